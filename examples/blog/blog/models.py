"""The tables: users, their posts, and the API tokens they create."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Select, String, Text
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    """Return the time in UTC, without a zone (every column stores UTC)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    posts: Mapped[list[Post]] = relationship(back_populates="author", cascade="all, delete-orphan")
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<User {self.username!r}>"


class Post(db.Model):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime | None]
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    author: Mapped[User] = relationship(back_populates="posts")

    @classmethod
    def newest_first(cls) -> Select[tuple[Post]]:
        """Select the posts, newest first, each with its author (one query)."""
        return (
            db.select(cls)
            .options(joinedload(cls.author))
            .order_by(cls.created_at.desc(), cls.id.desc())
        )

    def to_json(self) -> dict[str, object]:
        """Return the post as the API sends it."""
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "author": self.author.username,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.title!r}>"


class ApiToken(db.Model):
    """A token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def digest_of(token: str) -> str:
        # A token is 32 random bytes, so a fast hash is enough (unlike passwords).
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User) -> str:
        """Create a token for ``user``; return it (the only time it is known)."""
        token = secrets.token_urlsafe(32)
        db.session.add(cls(user=user, digest=cls.digest_of(token)))
        return token

    @classmethod
    def find_user(cls, token: str) -> User | None:
        """Return the user owning ``token``, or ``None``."""
        found = db.session.execute(
            db.select(cls).where(cls.digest == cls.digest_of(token))
        ).scalar_one_or_none()
        return found.user if found is not None else None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"
