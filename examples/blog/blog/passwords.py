"""Password hashing with Argon2id (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app

from .models import User


def init_app(app: Flask) -> None:
    hasher = PasswordHasher(**app.config["ARGON2_PARAMETERS"])
    app.extensions["password_hasher"] = hasher
    # Checked against when the username is unknown, so that a wrong username
    # takes as long as a wrong password and does not tell which names exist.
    app.extensions["password_decoy"] = hasher.hash("decoy password")


def hash_password(password: str) -> str:
    return current_app.extensions["password_hasher"].hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s; rehash it if the settings changed.

    The caller commits the session (the rehash updates ``user``).
    """
    hasher: PasswordHasher = current_app.extensions["password_hasher"]
    stored = user.password_hash if user is not None else current_app.extensions["password_decoy"]
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True
