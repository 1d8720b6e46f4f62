"""Logging in with a name kept in the session, and a decorator for views."""

import functools

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.before_app_request
def load_logged_in_user():
    g.user = session.get("user")


def login_required(view):
    @functools.wraps(view)
    def wrapped_view(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(**kwargs)

    return wrapped_view


@bp.route("/login", methods=("GET", "POST"))
def login():
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        if not name:
            flash("A name is required.", "error")
        else:
            session.clear()
            session["user"] = name
            flash(f"Welcome, {name}.", "info")
            return redirect(request.args.get("next") or url_for("index"))
    return render_template("auth/login.html")


@bp.route("/logout")
def logout():
    session.clear()
    return redirect(url_for("index"))
