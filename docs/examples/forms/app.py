import os
import uuid

from erlen import Erlen, abort, redirect, render_template, request, send_from_directory, url_for

app = Erlen(__name__)
app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024  # refuse bodies over 2 MiB with 413
app.config["UPLOAD_FOLDER"] = os.path.join(app.instance_path, "uploads")

# The file types we accept, by extension. Never trust the client's name
# otherwise: the stored file gets a name we make.
ALLOWED = {".png", ".jpg", ".jpeg", ".gif", ".txt"}


@app.get("/")
def index():
    return render_template("index.html", title="Contact us")


@app.post("/contact")
def contact():
    name = request.form.get("name", "").strip()
    message = request.form["message"]  # missing: erlen answers 400, naming the field
    if not name:
        return render_template("index.html", title="Contact us", error="Say your name."), 422
    return render_template("thanks.html", title="Thanks", name=name, message=message)


@app.post("/upload")
def upload():
    file = request.files.get("picture")
    if file is None or not file.filename:
        abort(400, "Choose a file to upload (the form field is 'picture').")
    extension = os.path.splitext(file.filename)[1].lower()
    if extension not in ALLOWED:
        abort(
            415, f"A {extension or 'nameless'} file is not accepted: send one of {sorted(ALLOWED)}."
        )
    stored = uuid.uuid4().hex + extension  # our name, not the client's
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    file.save(os.path.join(app.config["UPLOAD_FOLDER"], stored))
    return redirect(url_for("uploaded", name=stored), code=303)


@app.get("/uploads/<name>")
def uploaded(name):
    # send_from_directory refuses any name that would leave the folder (404).
    return send_from_directory(app.config["UPLOAD_FOLDER"], name)
