"""Register, log in, log out, and API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_url, login_user, logout_user

from .errors import json_error
from .extensions import db, login_manager
from .forms import ConfirmForm, LoginForm, RegisterForm
from .models import ApiToken, User
from .passwords import check_password, hash_password

bp = Blueprint("auth", __name__, url_prefix="/auth")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


@login_manager.unauthorized_handler
def unauthorized() -> ResponseReturnValue:
    """Send a visitor to the login page; answer an API client with a JSON 401."""
    if request.blueprint == "api":
        return json_error(
            401,
            "Unauthorized",
            "Log in, or send an API token as 'Authorization: Bearer <token>' "
            "(create one at /auth/token).",
        )
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def new_session_id() -> None:
    """Give the session a new id, dropping the old one from the store.

    Done when the user logs in (so an id planted before the login is
    worthless after it) and when they log out. Flask-Session's interfaces
    have ``regenerate``; a cookie session has nothing to regenerate.
    """
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if regenerate is not None:
        regenerate(session)


def safe_next(target: str | None) -> str:
    """Return ``target`` if it points into this site, else the home page."""
    if target and "\\" not in target:
        parts = urlsplit(target)
        if parts.scheme in ("", "http", "https") and parts.netloc in ("", request.host):
            if parts.netloc or target.startswith("/") and not target.startswith("//"):
                return target
    return url_for("blog.index")


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("blog.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        user = User(username=form.username.data, password_hash=hash_password(form.password.data))
        db.session.add(user)
        db.session.commit()
        flash("Welcome! You can log in now.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.execute(
            db.select(User).where(User.username == form.username.data)
        ).scalar_one_or_none()
        if check_password(user, form.password.data):
            db.session.commit()  # keeps a rehashed password
            new_session_id()
            login_user(user)
            flash(f"Hello, {user.username}.", "success")
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append("Unknown username or wrong password.")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    # The CSRF check (CSRFProtect) has run already: another site cannot log you out.
    logout_user()
    session.clear()  # the server-side record goes, not just the user id in it
    flash("You are logged out.", "success")
    new_session_id()
    return redirect(url_for("blog.index"))


@bp.route("/token", methods=["GET", "POST"])
@login_required
def token() -> ResponseReturnValue:
    form = ConfirmForm()
    created = None
    if form.validate_on_submit():
        created = ApiToken.issue(current_user)
        db.session.commit()
    return render_template("auth/token.html", form=form, token=created)
