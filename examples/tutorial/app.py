"""The erlen tutorial: a page, a form that posts to itself, and its result.

Run it with ``python examples/tutorial/app.py`` and open http://127.0.0.1:5000/.
"""

from erlen import Erlen, redirect, render_template, request, url_for

app = Erlen(__name__)


@app.route("/")
def home():
    return render_template("index.html", title="erlen tutorial", message="Hello from erlen!")


@app.route("/submit", methods=["GET", "POST"])
def submit():
    if request.method == "POST":
        note = request.form.get("note", "").strip()
        if not note:
            # 303 See Other: the browser follows it with a GET, never a re-POST.
            return redirect(url_for("home"), code=303)
        return render_template("result.html", title="Got it", note=note)
    return render_template("form.html", title="Leave a note")


if __name__ == "__main__":
    app.run(debug=True, port=5000)
