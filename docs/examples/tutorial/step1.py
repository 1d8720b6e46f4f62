from erlen import Erlen

app = Erlen(__name__)


@app.route("/")
def home():
    return "<h1>Hello from erlen!</h1>"


if __name__ == "__main__":
    app.run(debug=True, port=5000)
