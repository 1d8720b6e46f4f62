"""Flask-Babel as its documentation uses it: locale and timezone selectors,
formatting, lazy strings, the Jinja2 filters and translations from a catalog."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
from babel.messages import Catalog
from babel.messages.mofile import write_mo
from flask import Flask, render_template_string, request
from flask_babel import (
    Babel,
    force_locale,
    format_currency,
    format_datetime,
    format_decimal,
    get_locale,
    get_timezone,
    gettext,
    lazy_gettext,
    ngettext,
    refresh,
)


@pytest.fixture
def app(tmp_path: Path):
    # A German catalog, compiled here: translations/de/LC_MESSAGES/messages.mo
    catalog = Catalog(locale="de")
    catalog.add("Hello", "Hallo")
    catalog.add(("%(num)d apple", "%(num)d apples"), ("%(num)d Apfel", "%(num)d Äpfel"))
    folder = tmp_path / "translations" / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as file:
        write_mo(file, catalog)
    app = Flask(__name__, root_path=str(tmp_path))
    app.config["TESTING"] = True
    Babel(
        app,
        locale_selector=lambda: request.args.get("lang", "en"),
        timezone_selector=lambda: request.args.get("tz", "UTC"),
    )
    return app


def test_the_locale_comes_from_the_selector(app):
    @app.get("/")
    def view():
        return f"{get_locale()} {gettext('Hello')} {ngettext('%(num)d apple', '%(num)d apples', 3)}"

    client = app.test_client()
    assert client.get("/?lang=de").get_data(as_text=True) == "de Hallo 3 Äpfel"
    assert client.get("/?lang=en").get_data(as_text=True) == "en Hello 3 apples"


def test_dates_and_numbers_follow_locale_and_timezone(app):
    moment = datetime(2024, 3, 1, 12, 30, tzinfo=timezone.utc)

    @app.get("/")
    def view():
        return " | ".join(
            [
                str(get_timezone()),
                format_datetime(moment, "short"),
                format_decimal(1234.5),
                format_currency(3.5, "EUR"),
            ]
        )

    client = app.test_client()
    german = client.get("/?lang=de&tz=Europe/Berlin").get_data(as_text=True)
    assert german == "Europe/Berlin | 01.03.24, 13:30 | 1.234,5 | 3,50\xa0€"
    english = client.get("/?lang=en").get_data(as_text=True)
    assert english.startswith("UTC | 3/1/24, 12:30") and "1,234.5" in english


def test_lazy_strings_translate_when_used(app):
    greeting = lazy_gettext("Hello")

    @app.get("/")
    def view():
        return str(greeting)

    client = app.test_client()
    assert client.get("/?lang=de").data.decode() == "Hallo"
    assert client.get("/?lang=en").data.decode() == "Hello"


def test_templates_get_the_gettext_functions_and_filters(app):
    @app.get("/")
    def view():
        return render_template_string(
            "{{ _('Hello') }} {{ ngettext('%(num)d apple', '%(num)d apples', n) }} "
            "{{ when|datetimeformat('yyyy') }}",
            n=1,
            when=datetime(2024, 3, 1),
        )

    assert app.test_client().get("/?lang=de").data.decode() == "Hallo 1 Apfel 2024"


def test_force_locale_and_refresh_inside_a_request(app):
    with app.test_request_context("/?lang=en"):
        assert gettext("Hello") == "Hello"
        with force_locale("de"):
            assert gettext("Hello") == "Hallo"
        refresh()
        assert str(get_locale()) == "en"
