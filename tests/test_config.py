"""Config: defaults, each loader, prefixed environment variables, namespaces."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from datetime import timedelta

import pytest

from erlen import Erlen
from erlen.config import DEFAULT_CONFIG, Config

# -- defaults and the app properties ---------------------------------------


def test_app_config_defaults() -> None:
    app = Erlen("x")
    assert app.config["DEBUG"] is False
    assert app.config["TESTING"] is False
    assert app.config["SECRET_KEY"] is None
    assert app.config["SECRET_KEY_FALLBACKS"] == []
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=31)
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    assert app.config["SESSION_COOKIE_SECURE"] is None
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["APPLICATION_ROOT"] == "/"
    assert app.config["PREFERRED_URL_SCHEME"] == "http"
    assert dict(app.config) == DEFAULT_CONFIG


def test_every_default_key_is_upper_case() -> None:
    assert all(key.isupper() for key in DEFAULT_CONFIG)


def test_mutable_defaults_are_not_shared() -> None:
    first, second = Erlen("first"), Erlen("second")
    first.config["SECRET_KEY_FALLBACKS"].append("old")
    assert second.config["SECRET_KEY_FALLBACKS"] == []
    assert DEFAULT_CONFIG["SECRET_KEY_FALLBACKS"] == []


def test_app_config_root_path(tmp_path) -> None:
    app = Erlen("x", root_path=str(tmp_path))
    assert app.config.root_path == str(tmp_path)


def test_app_properties_mirror_config() -> None:
    app = Erlen("x")
    app.config["DEBUG"] = True
    app.config["TESTING"] = True
    app.config["SECRET_KEY"] = "k"
    assert app.debug is True
    assert app.testing is True
    assert app.secret_key == "k"

    app.debug = False
    app.testing = False
    app.secret_key = "other"
    assert app.config["DEBUG"] is False
    assert app.config["TESTING"] is False
    assert app.config["SECRET_KEY"] == "other"


def test_config_is_a_dict_with_a_repr() -> None:
    config = Config(".", {"A": 1})
    assert isinstance(config, dict)
    assert repr(config) == "<Config {'A': 1}>"


def test_config_accepts_a_path_object(tmp_path) -> None:
    assert Config(tmp_path).root_path == str(tmp_path)


# -- from_mapping ------------------------------------------------------------


def test_from_mapping_loads_upper_case_keys_only() -> None:
    config = Config()
    assert config.from_mapping({"A": 1, "lower": 2, "Mixed": 3}, B=4, other=5) is True
    assert config == {"A": 1, "B": 4}


def test_from_mapping_keywords_override_mapping() -> None:
    config = Config()
    config.from_mapping({"A": 1}, A=2)
    assert config["A"] == 2


def test_from_mapping_none_and_non_string_keys() -> None:
    config = Config()
    assert config.from_mapping() is True
    config.from_mapping({1: "x", "A": 1})  # type: ignore[dict-item]
    assert config == {"A": 1}


# -- from_object -------------------------------------------------------------


class _Base:
    DEBUG = True
    SECRET_KEY = "base"
    lower = "ignored"


class _Production(_Base):
    SECRET_KEY = "production"


def test_from_object_class_and_inheritance() -> None:
    config = Config()
    config.from_object(_Production)
    assert config == {"DEBUG": True, "SECRET_KEY": "production"}


def test_from_object_instance() -> None:
    config = Config()
    config.from_object(_Production())
    assert config["SECRET_KEY"] == "production"
    assert "lower" not in config


@pytest.fixture
def settings_package(tmp_path, monkeypatch):
    """A package ``cfgpkg`` with a ``settings`` module holding a class."""
    package = tmp_path / "cfgpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(
        textwrap.dedent(
            """
            DEBUG = True
            SECRET_KEY = "module"
            helper = "ignored"

            class Production:
                SECRET_KEY = "production"
                PORT = 80

                class Nested:
                    NESTED = 1
            """
        )
    )
    (package / "broken.py").write_text("import cfgpkg_missing_dependency\nA = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "cfgpkg"
    for name in [name for name in sys.modules if name.startswith("cfgpkg")]:
        del sys.modules[name]


def test_from_object_import_string_module(settings_package) -> None:
    config = Config()
    config.from_object("cfgpkg.settings")
    assert config == {"DEBUG": True, "SECRET_KEY": "module"}


@pytest.mark.parametrize("name", ["cfgpkg.settings:Production", "cfgpkg.settings.Production"])
def test_from_object_import_string_class(settings_package, name) -> None:
    config = Config()
    config.from_object(name)
    assert config == {"SECRET_KEY": "production", "PORT": 80}


@pytest.mark.parametrize(
    "name", ["cfgpkg.settings:Production.Nested", "cfgpkg.settings.Production.Nested"]
)
def test_from_object_import_string_nested_attribute(settings_package, name) -> None:
    config = Config()
    config.from_object(name)
    assert config == {"NESTED": 1}


def test_from_object_top_level_module(tmp_path, monkeypatch) -> None:
    (tmp_path / "cfg_top_level.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        config = Config()
        config.from_object("cfg_top_level")
        assert config == {"VALUE": 1}
    finally:
        sys.modules.pop("cfg_top_level", None)


@pytest.mark.parametrize(
    "name", ["cfgpkg.settings:Missing", "cfgpkg.settings.Missing", "cfgpkg.settings.Production.X"]
)
def test_from_object_missing_attribute(settings_package, name) -> None:
    with pytest.raises(ImportError) as info:
        Config().from_object(name)
    message = str(info.value)
    assert repr(name) in message
    assert "has no attribute" in message
    assert "package.module:Object" in message


def test_from_object_missing_attribute_names_the_owner(settings_package) -> None:
    with pytest.raises(ImportError) as info:
        Config().from_object("cfgpkg.settings:Production.X")
    assert "'cfgpkg.settings.Production' has no attribute 'X'" in str(info.value)


def test_from_object_missing_submodule(settings_package) -> None:
    with pytest.raises(ImportError) as info:
        Config().from_object("cfgpkg.nosuch")
    assert "'cfgpkg' has no attribute 'nosuch'" in str(info.value)


def test_from_object_missing_module() -> None:
    with pytest.raises(ModuleNotFoundError):
        Config().from_object("cfg_no_such_module")


def test_from_object_reports_missing_import_inside_module(settings_package) -> None:
    # The module exists but imports something missing: that error, not
    # an attribute lookup on the package, is what the user needs to see.
    with pytest.raises(ModuleNotFoundError) as info:
        Config().from_object("cfgpkg.broken")
    assert info.value.name == "cfgpkg_missing_dependency"


# -- from_pyfile -------------------------------------------------------------

_PYFILE = """\
import os

DEBUG = True
SECRET_KEY = "from file"
NAMES = [name.upper() for name in ("a", "b")]
lower = "ignored"
HERE = __file__
"""


def test_from_pyfile_relative_to_root_path(tmp_path) -> None:
    (tmp_path / "settings.py").write_text(_PYFILE)
    config = Config(str(tmp_path), {"DEBUG": False})
    assert config.from_pyfile("settings.py") is True
    assert config["DEBUG"] is True
    assert config["SECRET_KEY"] == "from file"
    assert config["NAMES"] == ["A", "B"]
    assert config["HERE"] == os.path.join(str(tmp_path), "settings.py")
    assert "lower" not in config
    assert "os" not in config


def test_from_pyfile_through_app_config(tmp_path) -> None:
    (tmp_path / "settings.py").write_text(_PYFILE)
    app = Erlen("x", root_path=str(tmp_path))
    app.config.from_pyfile("settings.py")
    assert app.debug is True
    assert app.secret_key == "from file"


def test_from_pyfile_absolute_path(tmp_path) -> None:
    (tmp_path / "settings.py").write_text("A = 1\n")
    config = Config("/somewhere/else")
    config.from_pyfile(str(tmp_path / "settings.py"))
    assert config == {"A": 1}


def test_from_pyfile_coding_line(tmp_path) -> None:
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\nNAME = '\xe9'\n")
    config = Config(str(tmp_path))
    config.from_pyfile("latin.py")
    assert config["NAME"] == "\xe9"


def test_from_pyfile_missing(tmp_path) -> None:
    config = Config(str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        config.from_pyfile("missing.py")
    message = str(info.value)
    full_path = os.path.join(str(tmp_path), "missing.py")
    assert full_path in message
    assert "Unable to load configuration file" in message
    assert "silent=True" in message
    assert info.value.filename == full_path


def test_from_pyfile_missing_silent(tmp_path) -> None:
    config = Config(str(tmp_path))
    assert config.from_pyfile("missing.py", silent=True) is False
    assert config == {}


def test_from_pyfile_directory_silent(tmp_path) -> None:
    (tmp_path / "adir").mkdir()
    assert Config(str(tmp_path)).from_pyfile("adir", silent=True) is False


def test_from_pyfile_syntax_error_is_not_silenced(tmp_path) -> None:
    (tmp_path / "bad.py").write_text("A = (\n")
    with pytest.raises(SyntaxError):
        Config(str(tmp_path)).from_pyfile("bad.py", silent=True)


# -- from_file ---------------------------------------------------------------


def test_from_file_json(tmp_path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps({"DEBUG": True, "NAME": "caf\u00e9", "lower": 1}), encoding="utf-8"
    )
    config = Config(str(tmp_path))
    assert config.from_file("config.json", load=json.load) is True
    assert config == {"DEBUG": True, "NAME": "caf\u00e9"}


def test_from_file_toml(tmp_path) -> None:
    tomllib = pytest.importorskip("tomllib")
    (tmp_path / "config.toml").write_text(
        'SECRET_KEY = "toml"\nMAX_CONTENT_LENGTH = 1024\nlower = 1\n\n[DB]\nHOST = "db"\n',
        encoding="utf-8",
    )
    app = Erlen("x", root_path=str(tmp_path))
    assert app.config.from_file("config.toml", load=tomllib.load, text=False) is True
    assert app.secret_key == "toml"
    assert app.config["MAX_CONTENT_LENGTH"] == 1024
    assert app.config["DB"] == {"HOST": "db"}
    assert "lower" not in app.config


def test_from_file_text_flag_passes_text_or_bytes(tmp_path) -> None:
    (tmp_path / "config.json").write_text('{"A": 1}')
    seen: list[object] = []

    def load(file):
        data = file.read()
        seen.append(type(data))
        return json.loads(data)

    config = Config(str(tmp_path))
    config.from_file("config.json", load=load)
    config.from_file("config.json", load=load, text=False)
    assert seen == [str, bytes]


def test_from_file_missing(tmp_path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        Config(str(tmp_path)).from_file("missing.json", load=json.load)
    message = str(info.value)
    assert os.path.join(str(tmp_path), "missing.json") in message
    assert "silent=True" in message


def test_from_file_missing_silent(tmp_path) -> None:
    config = Config(str(tmp_path))
    assert config.from_file("missing.json", load=json.load, silent=True) is False
    assert config == {}


def test_from_file_not_a_mapping(tmp_path) -> None:
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(TypeError) as info:
        Config(str(tmp_path)).from_file("list.json", load=json.load)
    message = str(info.value)
    assert "list.json" in message
    assert "expected a mapping" in message


def test_from_file_load_errors_propagate(tmp_path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(json.JSONDecodeError):
        Config(str(tmp_path)).from_file("bad.json", load=json.load, silent=True)


# -- from_envvar -------------------------------------------------------------


def test_from_envvar(tmp_path, monkeypatch) -> None:
    (tmp_path / "settings.py").write_text("SECRET_KEY = 'env'\nlower = 1\n")
    monkeypatch.setenv("ERLEN_TEST_SETTINGS", str(tmp_path / "settings.py"))
    config = Config()
    assert config.from_envvar("ERLEN_TEST_SETTINGS") is True
    assert config == {"SECRET_KEY": "env"}


def test_from_envvar_relative_to_root_path(tmp_path, monkeypatch) -> None:
    (tmp_path / "settings.py").write_text("A = 1\n")
    monkeypatch.setenv("ERLEN_TEST_SETTINGS", "settings.py")
    app = Erlen("x", root_path=str(tmp_path))
    app.config.from_envvar("ERLEN_TEST_SETTINGS")
    assert app.config["A"] == 1


def test_from_envvar_unset(monkeypatch) -> None:
    monkeypatch.delenv("ERLEN_TEST_SETTINGS", raising=False)
    with pytest.raises(RuntimeError) as info:
        Config().from_envvar("ERLEN_TEST_SETTINGS")
    message = str(info.value)
    assert "'ERLEN_TEST_SETTINGS' is not set" in message
    assert "Set it to the path of a" in message
    assert "silent=True" in message


@pytest.mark.parametrize("value", [None, ""])
def test_from_envvar_unset_silent(monkeypatch, value) -> None:
    if value is None:
        monkeypatch.delenv("ERLEN_TEST_SETTINGS", raising=False)
    else:
        monkeypatch.setenv("ERLEN_TEST_SETTINGS", value)
    assert Config().from_envvar("ERLEN_TEST_SETTINGS", silent=True) is False


def test_from_envvar_missing_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ERLEN_TEST_SETTINGS", "missing.py")
    config = Config(str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        config.from_envvar("ERLEN_TEST_SETTINGS")
    assert os.path.join(str(tmp_path), "missing.py") in str(info.value)
    assert config.from_envvar("ERLEN_TEST_SETTINGS", silent=True) is False


# -- from_prefixed_env -------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch):
    """Remove any ERLEN_/MYAPP_ variables the environment already has."""
    for name in list(os.environ):
        if name.startswith(("ERLEN_", "MYAPP_")):
            monkeypatch.delenv(name)
    return monkeypatch


def test_from_prefixed_env_json_values(clean_env) -> None:
    clean_env.setenv("ERLEN_DEBUG", "true")
    clean_env.setenv("ERLEN_PORT", "5000")
    clean_env.setenv("ERLEN_RATIO", "0.5")
    clean_env.setenv("ERLEN_NAMES", '["a", "b"]')
    clean_env.setenv("ERLEN_OPTIONS", '{"x": 1}')
    clean_env.setenv("ERLEN_NOTHING", "null")
    config = Config()
    assert config.from_prefixed_env() is True
    assert config == {
        "DEBUG": True,
        "PORT": 5000,
        "RATIO": 0.5,
        "NAMES": ["a", "b"],
        "OPTIONS": {"x": 1},
        "NOTHING": None,
    }


def test_from_prefixed_env_plain_strings(clean_env) -> None:
    clean_env.setenv("ERLEN_SECRET_KEY", "s3cr3t-key")
    clean_env.setenv("ERLEN_SERVER_NAME", "example.com:8080")
    clean_env.setenv("ERLEN_EMPTY", "")
    clean_env.setenv("ERLEN_QUOTED", '"quoted"')
    config = Config()
    config.from_prefixed_env()
    assert config == {
        "SECRET_KEY": "s3cr3t-key",
        "SERVER_NAME": "example.com:8080",
        "EMPTY": "",
        "QUOTED": "quoted",
    }


def test_from_prefixed_env_secret_key_reaches_app(clean_env) -> None:
    clean_env.setenv("ERLEN_SECRET_KEY", "from-env")
    app = Erlen("x")
    app.config.from_prefixed_env()
    assert app.secret_key == "from-env"


def test_from_prefixed_env_ignores_unrelated_variables(clean_env) -> None:
    clean_env.setenv("ERLENX_DEBUG", "true")
    clean_env.setenv("ERLEN", "1")
    clean_env.setenv("OTHER_ERLEN_DEBUG", "true")
    clean_env.setenv("MYAPP_DEBUG", "true")
    config = Config(".", {"DEBUG": False})
    config.from_prefixed_env()
    assert config == {"DEBUG": False}


def test_from_prefixed_env_custom_prefix(clean_env) -> None:
    clean_env.setenv("MYAPP_DEBUG", "true")
    clean_env.setenv("ERLEN_TESTING", "true")
    config = Config()
    config.from_prefixed_env("MYAPP")
    assert config == {"DEBUG": True}


def test_from_prefixed_env_custom_loads(clean_env) -> None:
    clean_env.setenv("ERLEN_A", "1")
    clean_env.setenv("ERLEN_B", "text")
    config = Config()
    config.from_prefixed_env(loads=int)
    assert config == {"A": 1, "B": "text"}


def test_from_prefixed_env_nested(clean_env) -> None:
    clean_env.setenv("ERLEN_DB__HOST", "db.local")
    clean_env.setenv("ERLEN_DB__PORT", "5432")
    clean_env.setenv("ERLEN_DB__POOL__SIZE", "10")
    config = Config(".", {"DB": {"NAME": "app"}})
    config.from_prefixed_env()
    assert config["DB"] == {"NAME": "app", "HOST": "db.local", "PORT": 5432, "POOL": {"SIZE": 10}}


def test_from_prefixed_env_nested_does_not_change_defaults(clean_env) -> None:
    defaults = {"DB": {"NAME": "app"}}
    clean_env.setenv("ERLEN_DB__HOST", "db.local")
    Config(".", defaults).from_prefixed_env()
    assert defaults == {"DB": {"NAME": "app"}}


def test_from_prefixed_env_sorted_order(clean_env) -> None:
    # ERLEN_DB (a dict) sorts before ERLEN_DB__HOST, which then adds to it.
    clean_env.setenv("ERLEN_DB__HOST", "db.local")
    clean_env.setenv("ERLEN_DB", '{"NAME": "app"}')
    config = Config()
    config.from_prefixed_env()
    assert config["DB"] == {"NAME": "app", "HOST": "db.local"}


def test_from_prefixed_env_nested_under_non_dict(clean_env) -> None:
    clean_env.setenv("ERLEN_DB__HOST", "db.local")
    config = Config(".", {"DB": "sqlite:///app.db"})
    with pytest.raises(TypeError) as info:
        config.from_prefixed_env()
    message = str(info.value)
    assert "'ERLEN_DB__HOST'" in message
    assert "config['DB']" in message
    assert "not a dict but 'str'" in message


@pytest.mark.parametrize("name", ["ERLEN_", "ERLEN_DB__", "ERLEN___HOST", "ERLEN_A____B"])
def test_from_prefixed_env_empty_key(clean_env, name) -> None:
    clean_env.setenv(name, "x")
    with pytest.raises(ValueError) as info:
        Config().from_prefixed_env()
    assert repr(name) in str(info.value)


def test_module_imports_no_parsers_at_import_time() -> None:
    import erlen.config

    # json and tomllib are imported inside the loaders that need them.
    assert not hasattr(erlen.config, "json")
    assert not hasattr(erlen.config, "tomllib")


# -- get_namespace -----------------------------------------------------------


@pytest.fixture
def mail_config() -> Config:
    return Config(
        ".",
        {"MAIL_SERVER": "smtp.example.com", "MAIL_PORT": 25, "MAILER": "x", "OTHER": 1},
    )


def test_get_namespace_default(mail_config) -> None:
    assert mail_config.get_namespace("MAIL_") == {"server": "smtp.example.com", "port": 25}


def test_get_namespace_keep_case(mail_config) -> None:
    assert mail_config.get_namespace("MAIL_", lowercase=False) == {
        "SERVER": "smtp.example.com",
        "PORT": 25,
    }


def test_get_namespace_keep_prefix(mail_config) -> None:
    assert mail_config.get_namespace("MAIL_", trim_namespace=False) == {
        "mail_server": "smtp.example.com",
        "mail_port": 25,
    }


def test_get_namespace_keep_both(mail_config) -> None:
    assert mail_config.get_namespace("MAIL_", lowercase=False, trim_namespace=False) == {
        "MAIL_SERVER": "smtp.example.com",
        "MAIL_PORT": 25,
    }


def test_get_namespace_no_match(mail_config) -> None:
    assert mail_config.get_namespace("NOPE_") == {}


def test_docs_list_every_default_setting() -> None:
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs" / "config.md"
    text = docs.read_text(encoding="utf-8")
    missing = [key for key in DEFAULT_CONFIG if f"| `{key}` |" not in text]
    assert not missing, f"docs/config.md does not list {missing}"


def test_prefixed_env_keeps_secret_keys_as_text(monkeypatch):
    from erlen.config import Config

    monkeypatch.setenv("ERLEN_SECRET_KEY", "12345678901234567890")
    monkeypatch.setenv("ERLEN_SECRET_KEY_FALLBACKS", '["old key"]')
    config = Config(".", {})
    config.from_prefixed_env()
    assert config["SECRET_KEY"] == "12345678901234567890"
    assert config["SECRET_KEY_FALLBACKS"] == ["old key"]
