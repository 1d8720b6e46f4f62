from erlen import Erlen, request

app = Erlen(__name__)


@app.get("/")
def index():
    return "Hello, World!"


@app.get("/hello/<name>")
def hello(name):
    return f"Hello, {name}!"


@app.post("/echo")
def echo():
    return {"you sent": request.json}  # a dict is sent as JSON


if __name__ == "__main__":
    app.run(debug=True)
