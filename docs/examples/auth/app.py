import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from erlen import Erlen, abort, g, redirect, request, session, url_for

app = Erlen(__name__)
app.config["SECRET_KEY"] = "dev only: change me"  # ERLEN_SECRET_KEY in production
app.config.from_prefixed_env()

hasher = PasswordHasher()  # Argon2id, with RFC 9106's parameters

# Stands for a users table: name -> password hash and a session id.
USERS: dict[str, dict[str, str]] = {}
# Checked when the name is unknown, so a wrong name takes as long as a wrong password.
DECOY_HASH = hasher.hash(secrets.token_hex())


def register(name, password):
    USERS[name] = {"hash": hasher.hash(password), "session_id": secrets.token_hex(16)}


def check_password(name, password):
    user = USERS.get(name)
    try:
        hasher.verify(user["hash"] if user else DECOY_HASH, password)
    except VerifyMismatchError:
        return None
    if hasher.check_needs_rehash(user["hash"]):  # the parameters were raised since
        user["hash"] = hasher.hash(password)
    return user


@app.before_request
def load_user():
    # The cookie names the user and the session id stored for them. Logging out
    # changes the stored id, so every copy of an old cookie stops working.
    name = session.get("user")
    user = USERS.get(name) if name else None
    if user is not None and secrets.compare_digest(user["session_id"], session.get("sid", "")):
        g.user = name
    else:
        g.user = None


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            return redirect(url_for("login", next=request.path), code=303)
        return view(*args, **kwargs)

    return wrapped


@app.post("/register")
def register_view():
    name, password = request.form["name"], request.form["password"]
    if name in USERS:
        abort(409, f"The name {name!r} is taken.")
    if len(password) < 12:
        abort(422, "Choose a password of at least 12 characters.")
    register(name, password)
    return {"registered": name}, 201


@app.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return '<form method="post"><input name="name"><input name="password" type="password"><button>Log in</button></form>'
    name = request.form["name"]
    user = check_password(name, request.form["password"])
    if user is None:
        return {"error": "Wrong name or password."}, 401
    session.clear()  # nothing from before the login carries over
    session["user"] = name
    session["sid"] = user["session_id"]
    next_url = request.args.get("next", "")
    # Only paths on this site: never redirect to a URL another site put in ?next=.
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = url_for("account")
    return redirect(next_url, code=303)


@app.post("/logout")
@login_required
def logout():
    USERS[g.user]["session_id"] = secrets.token_hex(16)  # ends this session everywhere
    session.clear()
    return redirect(url_for("login"), code=303)


@app.get("/account")
@login_required
def account():
    return {"user": g.user}
