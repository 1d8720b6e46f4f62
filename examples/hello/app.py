"""The smallest erlen app: a page, a JSON endpoint and a form.

Run it with ``python examples/hello/app.py`` and open http://127.0.0.1:5000/.
"""

from html import escape

from erlen import Erlen, request, url_for

app = Erlen(__name__)


@app.route("/")
def index():
    return (
        "<h1>Hello from erlen</h1>"
        f'<p><a href="{url_for("user", uid=7)}">a JSON endpoint</a></p>'
        f'<form method="post" action="{url_for("greet")}">'
        '<input name="name" placeholder="Your name"> <button>Greet me</button></form>'
    )


@app.get("/user/<int:uid>")
def user(uid):
    return {"id": uid, "name": f"user{uid}"}


@app.post("/greet")
def greet():
    name = request.form.get("name", "").strip() or "stranger"
    return f"<p>Hello, {escape(name)}!</p>"


if __name__ == "__main__":
    app.run(debug=False)
