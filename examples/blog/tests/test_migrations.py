"""The migrations build the schema from an empty database, and match the models."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import flask_migrate
import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from blog.extensions import db

from conftest import BLOG, FRAMEWORK, TEST_SETTINGS, make_app

HEAD = "8232c76e5572"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    postgres = request.getfixturevalue("postgres")
    return postgres.create_database(f"empty_{uuid.uuid4().hex}")


def tables(url: str) -> set[str]:
    engine = sqlalchemy.create_engine(url)
    try:
        return set(sqlalchemy.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_then_downgrade(empty_database):
    assert tables(empty_database) == set()
    app = make_app(empty_database)
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert context.get_current_revision() == HEAD
            # The models and the migrated schema agree: nothing left to migrate.
            assert compare_metadata(context, db.metadata) == []
        assert tables(empty_database) == {"alembic_version", "users", "posts", "api_tokens"}

        flask_migrate.downgrade(revision="base")
        assert tables(empty_database) == {"alembic_version"}
        db.engine.dispose()


def test_the_db_upgrade_command(tmp_path):
    """``flask db upgrade`` (on erlen: ``erlen db upgrade``, which finds app.py) on an empty file."""
    database = tmp_path / "cli.sqlite3"
    if FRAMEWORK == "flask":
        command = [sys.executable, "-m", "flask", "--app", "blog", "db", "upgrade"]
    else:
        command = [sys.executable, "-m", "erlen", "db", "upgrade"]
    env = {
        **os.environ,
        "BLOG_SECRET_KEY": TEST_SETTINGS["SECRET_KEY"],
        "BLOG_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
    }
    result = subprocess.run(command, cwd=BLOG, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Running upgrade  -> {HEAD}" in result.stderr
    assert tables(f"sqlite:///{database}") == {"alembic_version", "users", "posts", "api_tokens"}
