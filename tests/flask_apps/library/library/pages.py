"""Pages in several languages: URL processors put the language in g."""

from flask import Blueprint, abort, g, render_template, url_for

bp = Blueprint("pages", __name__, url_prefix="/<lang_code>")

GREETINGS = {"en": "Welcome", "de": "Willkommen", "fr": "Bienvenue"}


@bp.url_defaults
def add_language_code(endpoint, values):
    values.setdefault("lang_code", g.lang_code)


@bp.url_value_preprocessor
def pull_lang_code(endpoint, values):
    g.lang_code = values.pop("lang_code")
    if g.lang_code not in GREETINGS:
        abort(404)


@bp.route("/")
def home():
    return render_template("pages/home.html", greeting=GREETINGS[g.lang_code])


@bp.route("/about")
def about():
    return {"lang": g.lang_code, "home": url_for(".home")}
