"""Flask-Mail as its documentation uses it: messages built, recorded, not sent."""

import pytest
from flask import Flask, render_template_string
from flask_mail import Attachment, Mail, Message


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config.update(
        TESTING=True, MAIL_DEFAULT_SENDER="Shop <shop@example.com>", MAIL_SUPPRESS_SEND=True
    )
    return app


@pytest.fixture
def mail(app):
    return Mail(app)


def test_messages_are_recorded_instead_of_sent(app, mail):
    with app.app_context(), mail.record_messages() as outbox:
        mail.send(Message("Welcome", recipients=["ann@example.com"], body="Hello Ann"))
        mail.send_message("Bye", recipients=["bob@example.com"], body="Bye Bob")
    assert [m.subject for m in outbox] == ["Welcome", "Bye"]
    assert outbox[0].sender == "Shop <shop@example.com>"
    assert outbox[1].recipients == ["bob@example.com"]


def test_a_message_renders_its_parts_and_attachments(app, mail):
    with app.app_context():
        message = Message(
            "Invoice",
            recipients=["ann@example.com"],
            cc=["boss@example.com"],
            body="text part",
            html=render_template_string("<b>{{ total }}</b>", total="12 €"),
            attachments=[Attachment("invoice.txt", "text/plain", b"total: 12")],
        )
        message.attach("note.txt", "text/plain", "a note")
        text = message.as_string()
    assert "Subject: Invoice" in text
    assert "Cc: boss@example.com" in text
    assert 'filename="invoice.txt"' in text and 'filename="note.txt"' in text
    assert "text/html" in text and "text/plain" in text


def test_the_extension_is_found_on_the_app(app, mail):
    assert app.extensions["mail"].default_sender == "Shop <shop@example.com>"
    assert app.extensions["mail"].suppress is True


def test_connection_sends_each_message_once(app, mail):
    with app.app_context(), mail.record_messages() as outbox:
        with mail.connect() as connection:
            for name in ("ann", "bob", "cid"):
                connection.send(Message(f"Hi {name}", recipients=[f"{name}@example.com"]))
    assert [m.subject for m in outbox] == ["Hi ann", "Hi bob", "Hi cid"]


def test_a_message_without_recipients_is_refused(app, mail):
    with app.app_context():
        with pytest.raises(AssertionError):
            mail.send(Message("Nobody", body="x"))


def test_views_send_mail_under_the_test_client(app, mail):
    @app.post("/signup")
    def signup():
        from flask import request

        mail.send(Message("Confirm", recipients=[request.form["email"]], body="click"))
        return "sent"

    with mail.record_messages() as outbox:
        response = app.test_client().post("/signup", data={"email": "dee@example.com"})
    assert response.data == b"sent"
    assert outbox[0].recipients == ["dee@example.com"]
