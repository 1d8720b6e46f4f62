from erlen import Erlen, redirect, render_template_string, request, url_for

app = Erlen(__name__)

FORM = """
<form method="post">
  <label for="note">Leave a note:</label>
  <input id="note" name="note" required>
  <button>Send</button>
</form>
"""


@app.route("/")
def home():
    return f'<a href="{url_for("submit")}">Leave a note</a>'


@app.route("/submit", methods=["GET", "POST"])
def submit():
    if request.method == "POST":
        note = request.form.get("note", "").strip()
        if not note:
            return redirect(url_for("home"), code=303)
        return render_template_string("<p>You wrote: <strong>{{ note }}</strong></p>", note=note)
    return FORM
