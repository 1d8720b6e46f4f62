"""The JSON API: ``/api/posts`` (list, one, create).

Reading needs nothing. Creating needs a user: either a token
(``Authorization: Bearer <token>``, from the page ``/auth/token``) or the
browser's session, which then must send its CSRF token in an
``X-CSRFToken`` header (the pages carry it in ``<meta name="csrf-token">``),
as forms send it in a field. Every error is JSON:
``{"error": {"status": 404, "title": "Not Found", "detail": "..."}}``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from .errors import json_error
from .extensions import csrf, db, login_manager
from .forms import PostForm
from .models import ApiToken, Post, User

bp = Blueprint("api", __name__, url_prefix="/api")

# The session's forms carry their CSRF token in a field; the API checks it
# itself below, and only for the requests that a browser sends with cookies.
csrf.exempt(bp)

MAX_PER_PAGE = 100


@login_manager.request_loader
def load_user_from_token(_request: object) -> User | None:
    """The user a valid API token names (set by :func:`authenticate`)."""
    return g.get("token_user")


@bp.before_request
def authenticate() -> ResponseReturnValue | None:
    header = request.headers.get("Authorization")
    if header is None:
        # A browser sends the session cookie by itself, even with a request that
        # another site makes it send: a logged-in session must prove that the
        # request comes from our pages (csrf.protect() looks at unsafe methods only).
        if current_user.is_authenticated and current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return json_error(401, "Unauthorized", "Send the token as 'Authorization: Bearer <token>'.")
    user = ApiToken.find_user(token.strip())
    if user is None:
        return json_error(
            401, "Unauthorized", "This API token is not valid. Create one at /auth/token."
        )
    g.token_user = user
    return None


def _page_argument(name: str, default: int, highest: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1 or (highest is not None and int(raw) > highest):
        limit = f" of at most {highest}" if highest else ""
        raise _BadArgument(f"'{name}' must be a whole number{limit} from 1 up, not {raw!r}.")
    return int(raw)


class _BadArgument(ValueError):
    pass


@bp.get("/posts")
def list_posts() -> ResponseReturnValue:
    try:
        page_number = _page_argument("page", 1)
        per_page = _page_argument("per_page", current_app.config["POSTS_PER_PAGE"], MAX_PER_PAGE)
    except _BadArgument as exc:
        return json_error(400, "Bad Request", str(exc))
    page = db.paginate(
        Post.newest_first(),
        page=page_number,
        per_page=per_page,
        error_out=False,
    )
    return {
        "posts": [post.to_json() for post in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
        "total": page.total,
    }


@bp.get("/posts/<int:post_id>")
def get_post(post_id: int) -> ResponseReturnValue:
    post = db.session.get(Post, post_id)
    if post is None:
        return json_error(404, "Not Found", f"There is no post {post_id}.")
    return post.to_json()


@bp.post("/posts")
@login_required
def create_post() -> ResponseReturnValue:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return json_error(
            400,
            "Bad Request",
            'Send a JSON object such as {"title": "...", "body": "..."} '
            "with 'Content-Type: application/json'.",
        )
    wrong = [name for name in ("title", "body") if name in data and not isinstance(data[name], str)]
    if wrong:
        return json_error(400, "Bad Request", f"{' and '.join(wrong)} must be text.")
    # The page's form checks the fields here too; its CSRF token was checked above.
    form = PostForm(formdata=None, data=data, meta={"csrf": False})
    if not form.validate():
        problems = {name: errors for name, errors in form.errors.items() if errors}
        return jsonify(
            error={
                "status": 422,
                "title": "Unprocessable Content",
                "detail": "The post is not valid: "
                + "; ".join(f"{name}: {' '.join(errs)}" for name, errs in problems.items()),
                "fields": problems,
            }
        ), 422
    post = Post(title=form.title.data, body=form.body.data, author=current_user)
    db.session.add(post)
    db.session.commit()
    return post.to_json(), 201, {"Location": url_for("api.get_post", post_id=post.id)}
