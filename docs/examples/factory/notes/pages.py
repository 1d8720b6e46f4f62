from erlen import Blueprint, current_app, render_template, url_for

bp = Blueprint("pages", __name__, template_folder="templates")

NOTES = ["Buy milk", "Call Ada"]


@bp.get("/")
def index():
    return render_template("notes/index.html", title=current_app.config["NOTES_TITLE"], notes=NOTES)


@bp.get("/about")
def about():
    # ".index" is this blueprint's index; "api.list_notes" is another blueprint's view.
    return {"home": url_for(".index"), "api": url_for("api.list_notes")}
