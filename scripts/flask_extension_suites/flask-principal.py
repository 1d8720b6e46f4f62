"""Flask-Principal as its documentation uses it: identities, needs, permissions."""

import pytest
from flask import Flask, g
from flask_principal import (
    AnonymousIdentity,
    Identity,
    Permission,
    PermissionDenied,
    Principal,
    RoleNeed,
    UserNeed,
    identity_changed,
    identity_loaded,
)


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="not secret", TESTING=True)
    Principal(app)
    admin = Permission(RoleNeed("admin"))

    @identity_loaded.connect_via(app)
    def add_needs(sender, identity):
        identity.provides.add(UserNeed(identity.id))
        if identity.id == "ann":
            identity.provides.add(RoleNeed("admin"))

    @app.get("/login/<name>")
    def login(name):
        identity_changed.send(app, identity=Identity(name))
        return "in"

    @app.get("/logout")
    def logout():
        identity_changed.send(app, identity=AnonymousIdentity())
        return "out"

    @app.get("/admin")
    @admin.require(http_exception=403)
    def admin_page():
        return "admin page"

    @app.get("/check")
    def check():
        return "yes" if admin.can() else "no"

    @app.get("/who")
    def who():
        return str(g.identity.id)

    @app.get("/strict")
    def strict():
        with admin.require():
            return "allowed"

    return app


def test_an_admin_gets_in(app):
    client = app.test_client()
    client.get("/login/ann")
    assert client.get("/admin").data == b"admin page"
    assert client.get("/check").data == b"yes"
    assert client.get("/who").data == b"ann"


def test_anyone_else_gets_the_http_error_asked_for(app):
    client = app.test_client()
    assert client.get("/admin").status_code == 403
    client.get("/login/bob")
    assert client.get("/admin").status_code == 403
    assert client.get("/check").data == b"no"


def test_the_identity_is_kept_in_the_session_until_logout(app):
    client = app.test_client()
    client.get("/login/ann")
    assert client.get("/who").data == b"ann"
    client.get("/logout")
    assert client.get("/who").data == b"None"
    assert client.get("/admin").status_code == 403


def test_without_http_exception_the_permission_raises(app):
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(PermissionDenied):
        app.test_client().get("/strict")


def test_permissions_combine():
    # A permission is met by any one of its needs; union() pools them.
    admin, editor = Permission(RoleNeed("admin")), Permission(RoleNeed("editor"))
    identity = Identity("eve")
    identity.provides.add(RoleNeed("editor"))
    assert admin.union(editor).allows(identity)
    assert editor.allows(identity) and not admin.allows(identity)
    assert Permission(RoleNeed("editor")).issubset(admin.union(editor))
