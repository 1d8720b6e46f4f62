"""The instance folder, resources, and Flask's constructor options."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from erlen import Erlen


@pytest.fixture
def importable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Make modules written under ``tmp_path`` importable; forget them afterwards."""
    before = set(sys.modules)

    def add(folder: Path) -> Path:
        monkeypatch.syspath_prepend(str(folder))
        return folder

    yield add
    for name in set(sys.modules) - before:
        del sys.modules[name]


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_module_in_a_source_folder_has_instance_beside_it(tmp_path, importable) -> None:
    write(tmp_path / "src" / "shopapp.py")
    importable(tmp_path / "src")
    app = Erlen("shopapp")
    assert app.instance_path == str(tmp_path / "src" / "instance")
    assert app.root_path == str(tmp_path / "src")


def test_a_package_has_instance_beside_the_package_folder(tmp_path, importable) -> None:
    write(tmp_path / "src" / "shoppkg" / "__init__.py")
    write(tmp_path / "src" / "shoppkg" / "views.py")
    importable(tmp_path / "src")
    assert Erlen("shoppkg").instance_path == str(tmp_path / "src" / "instance")
    # from a submodule too: the folder beside the top-level package
    assert Erlen("shoppkg.views").instance_path == str(tmp_path / "src" / "instance")


def test_a_namespace_package_uses_the_folder_that_holds_the_app(tmp_path, importable) -> None:
    write(tmp_path / "one" / "shopns" / "other" / "__init__.py")
    write(tmp_path / "two" / "shopns" / "site" / "__init__.py")
    importable(tmp_path / "one")
    importable(tmp_path / "two")
    assert Erlen("shopns.site").instance_path == str(tmp_path / "two" / "instance")
    assert Erlen("shopns.other").instance_path == str(tmp_path / "one" / "instance")


@pytest.mark.parametrize(
    "site",
    [
        Path("lib") / "python3.11" / "site-packages",  # a virtualenv on Unix
        Path("Lib") / "site-packages",  # Windows
        Path("site-packages"),  # another layout
    ],
)
def test_an_installed_package_uses_the_prefixs_var_folder(tmp_path, importable, site) -> None:
    prefix = tmp_path / "env"
    write(prefix / site / "shopinst" / "__init__.py")
    importable(prefix / site)
    assert Erlen("shopinst").instance_path == str(prefix / "var" / "shopinst-instance")
    # named after the app's whole import name, as in Flask
    write(prefix / site / "shopinst" / "web.py")
    assert Erlen("shopinst.web").instance_path == str(prefix / "var" / "shopinst.web-instance")


def test_an_instance_path_must_be_absolute() -> None:
    with pytest.raises(ValueError, match="must be absolute.*'instance' folder"):
        Erlen("test_app", instance_path="instance")
    assert Erlen("test_app", instance_path="/srv/shop").instance_path == "/srv/shop"


def test_instance_relative_config_reads_files_from_the_instance_folder(tmp_path) -> None:
    write(tmp_path / "instance" / "config.py", "SECRET_KEY = 'from the instance'\n")
    app = Erlen("test_app", instance_path=str(tmp_path / "instance"), instance_relative_config=True)
    assert app.config.from_pyfile("config.py") is True
    assert app.config["SECRET_KEY"] == "from the instance"
    assert app.config.from_pyfile("missing.py", silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        app.config.from_pyfile("missing.py")


def test_without_instance_relative_config_files_come_from_the_root_path(tmp_path) -> None:
    write(tmp_path / "config.py", "SECRET_KEY = 'from the root'\n")
    app = Erlen("test_app", root_path=str(tmp_path), instance_path=str(tmp_path / "instance"))
    assert app.config.from_pyfile("config.py") is True
    assert app.config["SECRET_KEY"] == "from the root"


def test_open_instance_resource_reads_and_writes(tmp_path) -> None:
    app = Erlen("test_app", instance_path=str(tmp_path))
    with app.open_instance_resource("notes.txt", "w") as file:
        file.write("kept é")
    with app.open_instance_resource("notes.txt", "r") as file:
        assert file.read() == "kept é"
    with app.open_instance_resource("notes.txt") as file:
        assert file.read() == "kept é".encode()


def test_open_resource_reads_beside_the_code_only(tmp_path) -> None:
    write(tmp_path / "schema.sql", "CREATE TABLE t (x);")
    app = Erlen("test_app", root_path=str(tmp_path))
    with app.open_resource("schema.sql") as file:
        assert file.read() == b"CREATE TABLE t (x);"
    with app.open_resource("schema.sql", "r", encoding="ascii") as file:
        assert file.read() == "CREATE TABLE t (x);"
    with pytest.raises(ValueError, match="reading only.*open_instance_resource"):
        app.open_resource("schema.sql", "w")
    assert os.path.getsize(tmp_path / "schema.sql") == len("CREATE TABLE t (x);")


def test_flasks_constructor_arguments_keep_their_positions(tmp_path) -> None:
    app = Erlen(
        "test_app",
        "/assets",  # static_url_path
        "static",  # static_folder
        None,  # static_host
        False,  # host_matching
        False,  # subdomain_matching
        "templates",  # template_folder
        str(tmp_path),  # instance_path
        True,  # instance_relative_config
    )
    assert app.static_url_path == "/assets"
    assert app.instance_path == str(tmp_path)
    assert app.config.root_path == str(tmp_path)
