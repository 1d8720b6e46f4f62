"""Sessions: a signed cookie by default, any store through an interface.

The default, :class:`SecureCookieSessionInterface`, keeps the whole
session in one cookie, signed with ``SECRET_KEY`` (itsdangerous) so the
client can read it but not change it. Do not put secrets in it. To keep
sessions on the server (Redis, a database), subclass
:class:`SessionInterface` and set ``app.session_interface``.

A request that never touches ``session`` neither loads nor writes it. The
cookie's JSON, :class:`~erlen.json.tag.TaggedJSONSerializer`, lives in :mod:`erlen.json.tag`.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from datetime import datetime, timedelta, timezone

from .ctx import _current_request
from .json.tag import TaggedJSONSerializer

if t.TYPE_CHECKING:
    from itsdangerous import URLSafeTimedSerializer

    from .app import Erlen
    from .request import Request
    from .response import Response

__all__ = [
    "SessionMixin",
    "SecureCookieSession",
    "NullSession",
    "SessionInterface",
    "SecureCookieSessionInterface",
    "TaggedJSONSerializer",
    "session_json_serializer",
]

#: The serializer of the cookie session (``SecureCookieSessionInterface.serializer``):
#: tags registered on it apply to every app's session cookie.
session_json_serializer = TaggedJSONSerializer()

_NO_SECRET_KEY = (
    "The session is unavailable because no secret key is set, so erlen cannot "
    "sign the session cookie. Reading the session works (it is empty), but "
    "writing to it (or flash()) needs a key. Set app.secret_key (or "
    "app.config['SECRET_KEY']) to a long random value, for example the output of:\n"
    '    python -c "import secrets; print(secrets.token_hex())"\n'
    "or put it in the ERLEN_SECRET_KEY environment variable and call "
    "app.config.from_prefixed_env(). Keep the key out of version control."
)


_NOTHING: t.Any = object()


#: Shorter keys are weak: 32 random bytes (``secrets.token_hex(32)``) are what to use.
MIN_SECRET_KEY_LENGTH = 32
# Keys copied from tutorials, examples and templates: anyone can try them.
_PLACEHOLDER_KEYS = frozenset(
    [
        *("a", "x", "xxx", "abc", "123", "1234", "12345", "123456", "key", "test", "testing"),
        *("dev", "development", "debug", "default", "secret", "secretkey", "secret-key"),
        *("secret_key", "secret key", "mysecret", "mysecretkey", "my-secret-key", "password"),
        *("changeme", "change-me", "change_me", "change me", "change this", "changethis"),
        *("replaceme", "replace-me", "replace me", "todo", "insecure", "notsecret", "s3cr3t"),
        *("supersecret", "super-secret", "super secret", "supersecretkey", "super secret key"),
        *("super-secret-key", "your-secret-key", "your_secret_key", "yoursecretkey"),
        *("your secret key", "keyboard cat", "flask", "erlen", "secret123", "hard to guess"),
        "hard to guess string",
        "you-will-never-guess",
        "your-secret-key-here",
        "change-this-to-a-random-secret-key",
        "please-change-me-to-a-long-random-string",
    ]
)


def _weakness(key: str | bytes) -> str | None:
    """Say what makes ``key`` weak, or return ``None``."""
    text = key.decode("latin-1") if isinstance(key, bytes) else key
    if text.strip().lower() in _PLACEHOLDER_KEYS:
        return f"the well-known placeholder {text!r}"
    size = len(key) if isinstance(key, bytes) else len(key.encode("utf-8", "surrogatepass"))
    if size < MIN_SECRET_KEY_LENGTH:
        return f"only {size} bytes long (at least {MIN_SECRET_KEY_LENGTH} are needed)"
    if len(set(text)) < 6:
        return f"made of only {len(set(text))} different characters"
    return None


def _check_secret_keys(app: Erlen, keys: list[str | bytes]) -> None:
    """Log a warning for (or, with ``SECRET_KEY_STRICT``, refuse) a weak secret key.

    Called when the session serializer is built: once per set of keys, so
    requests pay nothing for it. The warning goes to ``app.logger``, where
    the development server and production servers show it; never with
    ``TESTING`` on.
    """
    if app.testing:
        return
    for index, key in enumerate(reversed(keys)):
        why = _weakness(key)
        if why is None:
            continue
        setting = "SECRET_KEY" if index == 0 else "a key in SECRET_KEY_FALLBACKS"
        message = (
            f"{setting} is {why}. Anyone who guesses it can forge session cookies "
            "(and sign in as any user). Make a key of 32 random bytes with\n"
            "    python -c 'import secrets; print(secrets.token_hex(32))'\n"
            "and set it from the environment (ERLEN_SECRET_KEY, read by "
            "app.config.from_prefixed_env()), out of version control."
        )
        if app.config.get("SECRET_KEY_STRICT") and not app.debug:
            raise RuntimeError(
                message + " SECRET_KEY_STRICT is on, so erlen refuses to sign with it "
                "outside debug mode and testing."
            )
        app.logger.warning("%s", message)


class SessionMixin(MutableMapping[str, t.Any]):
    """What erlen expects of a session object, beyond a mutable mapping.

    A session class for a custom :class:`SessionInterface` inherits from
    this (usually together with ``dict``). The flags default to ``True``,
    the safe answer for a class that does not track them.
    """

    #: ``True`` when no valid session came with the request.
    new = False
    #: ``True`` when the session changed and must be saved.
    modified = True
    #: ``True`` when the session was read or written (adds ``Vary: Cookie``).
    accessed = True

    @property
    def permanent(self) -> bool:
        """Whether the session outlives the browser session.

        A permanent session's cookie expires after
        ``PERMANENT_SESSION_LIFETIME``; others end when the browser closes.
        Stored in the session under the key ``"_permanent"``.
        """
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)


class SecureCookieSession(dict[str, t.Any], SessionMixin):
    """A ``dict`` that records whether it was read (``accessed``) or changed.

    Setting, deleting, ``pop``, ``popitem``, ``update``, ``clear``,
    ``|=`` and ``setdefault`` of a missing key set ``modified``. Changing a
    value *inside* the session is not seen::

        session["cart"].append(item)   # not detected
        session.modified = True        # so say it yourself
    """

    def __init__(
        self,
        initial: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | None = None,
        *,
        new: bool = False,
    ) -> None:
        super().__init__(initial or ())
        self.new = new
        self.modified = False
        self.accessed = False

    # -- reads -----------------------------------------------------------

    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()

    def keys(self) -> t.Any:
        """Return the session's keys (marks it accessed)."""
        self.accessed = True
        return super().keys()

    def values(self) -> t.Any:
        """Return the session's values (marks it accessed)."""
        self.accessed = True
        return super().values()

    def items(self) -> t.Any:
        """Return the session's items (marks it accessed)."""
        self.accessed = True
        return super().items()

    def copy(self) -> dict[str, t.Any]:
        """Return a plain ``dict`` copy of the session (marks it accessed)."""
        self.accessed = True
        return dict.copy(self)

    def __eq__(self, other: object) -> bool:
        self.accessed = True
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        self.accessed = True
        return super().__ne__(other)

    __hash__ = None  # type: ignore[assignment]

    # -- writes ----------------------------------------------------------

    def __setitem__(self, key: str, value: t.Any) -> None:
        self.accessed = self.modified = True
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.accessed = True
        super().__delitem__(key)
        self.modified = True

    def pop(self, key: str, default: t.Any = _NOTHING, /) -> t.Any:
        """Remove ``key`` and return its value, else ``default`` (``KeyError`` without)."""
        self.accessed = True
        if super().__contains__(key):
            self.modified = True
        if default is _NOTHING:
            return super().pop(key)
        return super().pop(key, default)

    def popitem(self) -> tuple[str, t.Any]:
        self.accessed = True
        item = super().popitem()
        self.modified = True
        return item

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        if not super().__contains__(key):
            self.modified = True
        return super().setdefault(key, default)

    def update(  # type: ignore[override]  # Flask's signature: one optional mapping
        self,
        arg: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | None = None,
        /,
        **kwargs: t.Any,
    ) -> None:
        """Set the keys of ``arg`` and ``kwargs``; the session is modified."""
        self.accessed = self.modified = True
        super().update(arg or (), **kwargs)

    def on_update(self) -> None:
        """Mark the session changed (and read): what every change above does.

        Call it after changing a value *inside* the session, as an
        alternative to ``session.modified = True``.
        """
        self.modified = True
        self.accessed = True

    def clear(self) -> None:
        """Remove every key; the session is modified if it had any."""
        self.accessed = True
        if super().__len__():
            self.modified = True
        super().clear()

    def __ior__(self, other: t.Any) -> SecureCookieSession:  # type: ignore[override,misc]
        self.update(other)
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


class NullSession(SecureCookieSession):
    """The session when no secret key is set: empty, and any write raises.

    The ``RuntimeError`` says how to set a secret key.
    """

    def __init__(
        self,
        initial: Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | None = None,
        *,
        new: bool = True,
    ) -> None:
        super().__init__(initial, new=new)

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        """Raise the ``RuntimeError`` that says how to set a secret key."""
        raise RuntimeError(_NO_SECRET_KEY)

    __setitem__ = __delitem__ = pop = popitem = setdefault = update = clear = __ior__ = _fail
    on_update = _fail


# -- interfaces -------------------------------------------------------------------


def _lifetime(app: Erlen) -> timedelta:
    value = app.config["PERMANENT_SESSION_LIFETIME"]
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


class SessionInterface:
    """How sessions are opened and saved; subclass it to use another store.

    The app calls :meth:`open_session` the first time a request touches
    ``session``, and :meth:`save_session` after the ``after_request``
    hooks, only for a session that was opened. The ``get_cookie_*``
    methods read the ``SESSION_COOKIE_*`` settings.

    A server-side store keeps only a random id in the cookie. A sketch
    with Redis (``redis`` is a ``redis.Redis``)::

        import json
        import secrets

        class RedisSession(SecureCookieSession):
            sid = ""

        class RedisSessionInterface(SessionInterface):
            def __init__(self, redis):
                self.redis = redis

            def open_session(self, app, request):
                sid = request.cookies.get(self.get_cookie_name(app))
                stored = self.redis.get(f"session:{sid}") if sid else None
                if stored is None:
                    session = RedisSession(new=True)
                    session.sid = secrets.token_urlsafe(32)
                else:
                    session = RedisSession(json.loads(stored))
                    session.sid = sid
                return session

            def save_session(self, app, session, response):
                name = self.get_cookie_name(app)
                if not session:
                    if not session.new:
                        self.redis.delete(f"session:{session.sid}")
                        response.delete_cookie(name, path=self.get_cookie_path(app))
                    return
                if self.should_set_cookie(app, session):
                    ttl = int(app.config["PERMANENT_SESSION_LIFETIME"].total_seconds())
                    self.redis.setex(f"session:{session.sid}", ttl, json.dumps(session))
                    response.set_cookie(name, session.sid, httponly=True, samesite="Lax")

        app.session_interface = RedisSessionInterface(redis)
    """

    #: What :meth:`make_null_session` returns.
    null_session_class: type[SessionMixin] = NullSession
    #: Whether sessions are pickled; erlen's never are (Flask keeps this
    #: flag for extensions that check it).
    pickle_based = False

    def make_null_session(self, app: Erlen) -> SessionMixin:
        """Return the session to use when :meth:`open_session` returns ``None``.

        It reads as empty and explains, on any write, that a secret key is
        missing.
        """
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is a null session (which is never saved)."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Erlen) -> str:
        """The cookie's name: ``SESSION_COOKIE_NAME``."""
        return str(app.config["SESSION_COOKIE_NAME"])

    def get_cookie_domain(self, app: Erlen) -> str | None:
        """The ``Domain`` attribute: ``SESSION_COOKIE_DOMAIN`` (``None``: this host only)."""
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Erlen, request: Request | None = None) -> str:
        """The ``Path`` attribute: ``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``.

        With neither set (``APPLICATION_ROOT`` left at ``/``), it is where
        the server mounted the app (``request.root_path``, such as ``/shop``),
        so that apps sharing a host keep their sessions apart. ``request``
        defaults to the current one.
        """
        configured = app.config["SESSION_COOKIE_PATH"]
        if configured:
            return str(configured)
        root = str(app.config["APPLICATION_ROOT"] or "/")
        if root == "/":
            if request is None:
                request = _current_request()
            if request is not None and request.root_path:
                return request.root_path
        return root

    def get_cookie_httponly(self, app: Erlen) -> bool:
        """Whether scripts are kept from reading the cookie: ``SESSION_COOKIE_HTTPONLY``."""
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: Erlen, request: Request | None = None) -> bool:
        """Whether the cookie is sent over HTTPS only: ``SESSION_COOKIE_SECURE``.

        ``True`` or ``False`` decide; ``None`` (the default) means "when this
        request came over HTTPS". ``request`` defaults to the current one.
        """
        configured = app.config["SESSION_COOKIE_SECURE"]
        if configured is not None:
            return bool(configured)
        if request is None:
            request = _current_request()
        return request is not None and request.is_secure

    def get_cookie_samesite(self, app: Erlen) -> str | None:
        """The ``SameSite`` attribute: ``SESSION_COOKIE_SAMESITE`` (``"Lax"``)."""
        return app.config["SESSION_COOKIE_SAMESITE"] or None

    def get_cookie_partitioned(self, app: Erlen) -> bool:
        """Whether the cookie is ``Partitioned`` (CHIPS): ``SESSION_COOKIE_PARTITIONED``."""
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(self, app: Erlen, session: SessionMixin) -> datetime | None:
        """When the cookie expires: now + lifetime if permanent, else ``None``.

        ``None`` makes a browser-session cookie, gone when the browser closes.
        """
        if session.permanent:
            return datetime.now(timezone.utc) + _lifetime(app)
        return None

    def should_set_cookie(self, app: Erlen, session: SessionMixin) -> bool:
        """Whether :meth:`save_session` should send the cookie again.

        Yes if the session changed, or if it is permanent and
        ``SESSION_REFRESH_EACH_REQUEST`` moves its expiry forward.
        """
        return session.modified or (
            session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    def open_session(self, app: Erlen, request: Request) -> SessionMixin | None:
        """Return the request's session, or ``None`` to use a null session.

        Must not raise for a bad cookie: the client controls it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement open_session(app, request)."
        )

    def save_session(self, app: Erlen, session: SessionMixin, response: Response) -> None:
        """Store the session and set (or delete) its cookie on ``response``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement save_session(app, session, response)."
        )


class SecureCookieSessionInterface(SessionInterface):
    """The default: the whole session in a signed, timestamped cookie.

    The payload is :class:`~erlen.json.tag.TaggedJSONSerializer` JSON, possibly
    zlib-compressed, base64url-encoded and signed with an HMAC (itsdangerous
    ``URLSafeTimedSerializer``). It is signed with ``SECRET_KEY``; cookies
    signed with a key in ``SECRET_KEY_FALLBACKS`` (newest first) still
    load, and are signed with the new key the next time they are saved.
    A cookie older than ``PERMANENT_SESSION_LIFETIME``, tampered with or
    malformed gives an empty session.
    """

    #: Separates session signatures from other uses of the same secret key.
    salt = "cookie-session"
    #: The hash for HMAC (a name :func:`hmac.new` accepts, or a constructor).
    digest_method: t.Any = "sha256"
    #: How the signing key is derived from the secret key.
    key_derivation = "hmac"
    #: Turns the session into a string and back (``dumps``/``loads``).
    serializer: t.Any = session_json_serializer
    session_class: type[SecureCookieSession] = SecureCookieSession
    #: A longer cookie is dropped unread (no browser sends one); at least
    #: ``MAX_COOKIE_SIZE`` when that is larger.
    max_load_size = 8192

    _cached: tuple[tuple[t.Any, ...], URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Erlen) -> URLSafeTimedSerializer | None:
        """Return the itsdangerous serializer, or ``None`` with no secret key.

        Empty keys in ``SECRET_KEY_FALLBACKS`` are skipped (anyone could
        sign with one); a single key given as a string counts as one key.
        """
        secret_key = app.secret_key  # a subclass may set it as a class attribute
        if not secret_key:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"] or ()
        if isinstance(fallbacks, (str, bytes)):
            fallbacks = (fallbacks,)
        keys = [*(key for key in reversed(fallbacks) if key), secret_key]
        cache_key = (self.salt, self.key_derivation, self.digest_method, self.serializer, *keys)
        cached = self._cached
        # perf: building the serializer costs more than checking a cookie;
        # reuse it until the keys change.
        if cached is not None and cached[0] == cache_key:
            return cached[1]
        for key in keys:
            if not isinstance(key, (str, bytes)):
                raise TypeError(
                    f"SECRET_KEY and SECRET_KEY_FALLBACKS must hold str or bytes keys, "
                    f"not {type(key).__name__} ({key!r}). Quote the value if it comes "
                    "from the environment or a config file."
                )
        _check_secret_keys(app, keys)
        from itsdangerous import URLSafeTimedSerializer

        # itsdangerous signs with the last key and tries them all, last first.
        serializer = URLSafeTimedSerializer(
            keys,
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )
        self._cached = (cache_key, serializer)
        return serializer

    def open_session(self, app: Erlen, request: Request) -> SecureCookieSession | None:
        """Load the session from its cookie; anything wrong gives an empty one."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or len(value) > max(self.max_load_size, app.config["MAX_COOKIE_SIZE"] or 0):
            return self.session_class(new=True)
        from itsdangerous import BadData

        max_age = int(_lifetime(app).total_seconds())
        try:
            data = serializer.loads(value, max_age=max_age)
        except BadData:  # bad signature or timestamp, expired, bad base64 or JSON
            return self.session_class(new=True)
        if not isinstance(data, dict):
            return self.session_class(new=True)
        return self.session_class(data)

    def save_session(self, app: Erlen, session: SessionMixin, response: Response) -> None:
        """Set the cookie if the session changed; delete it if it was emptied."""
        name = self.get_cookie_name(app)
        if not session:
            # Delete a cookie the client sent (emptied, or one that did not
            # verify), so the browser stops sending it.
            request = _current_request()
            sent = (name in request.cookies) if request is not None else session.modified
            if sent:
                response.delete_cookie(name, *self._cookie_attributes(app))
            return
        # perf: a session that was only read costs no more than this check.
        if not self.should_set_cookie(app, session):
            return

        serializer = self.get_signing_serializer(app)
        if serializer is None:  # the key was removed during the request
            return
        value = serializer.dumps(session)
        size = len(name) + 1 + len(value)
        limit = app.config["MAX_COOKIE_SIZE"]
        if limit and size > limit:
            app.logger.warning(
                "The session cookie %r is %d bytes, over MAX_COOKIE_SIZE (%d): browsers "
                "may drop it silently, and the session with it. Keep less in the "
                "session (large data belongs on the server, with only its id in the "
                "session).",
                name,
                size,
                limit,
            )
        expires = self.get_expiration_time(app, session)
        max_age = int(_lifetime(app).total_seconds()) if expires is not None else None
        if limit and size > limit:
            # Logged above in the session's terms; set_cookie would warn again.
            response.max_cookie_size = None
        response.set_cookie(name, value, max_age, expires, *self._cookie_attributes(app))

    def _cookie_attributes(
        self, app: Erlen
    ) -> tuple[str, str | None, bool, bool, str | None, bool]:
        """``path, domain, secure, httponly, samesite, partitioned``, in that order."""
        return (
            self.get_cookie_path(app),
            self.get_cookie_domain(app),
            self.get_cookie_secure(app),
            self.get_cookie_httponly(app),
            self.get_cookie_samesite(app),
            self.get_cookie_partitioned(app),
        )
