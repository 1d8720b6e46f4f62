import pytest
from app import app as shop_app  # the app above, in app.py


@pytest.fixture(params=["wsgi", "asgi"])
def client(request):
    # Every test runs twice: through WSGI, as gunicorn serves the app, and
    # through ASGI, as uvicorn does. WebSockets always go through ASGI.
    with shop_app.test_client(asgi=request.param == "asgi") as client:
        yield client


def test_basket_asks_for_every_price(client):
    answer = client.get("/basket?item=tea&item=cake")
    assert answer.json == {"prices": {"tea": 2.5, "cake": 4.0}, "total": 6.5}
    assert client.get("/basket?item=caviar").status_code == 404


def test_echo(client):
    with client.websocket("/echo") as ws:
        ws.send("ping")
        assert ws.receive() == "ping"


def test_chat_reaches_everyone_in_the_room(client):
    with client.websocket("/chat/lobby?name=ada") as ada:
        with client.websocket("/chat/lobby?name=bob") as bob:
            ada.send("hello")
            assert ada.receive() == bob.receive() == "ada: hello"


def test_progress_events(client):
    response = client.get("/jobs/7/progress")
    assert response.mimetype == "text/event-stream"
    assert response.text.split("\n\n")[:2] == [
        'event: progress\ndata: {"job":7,"percent":0}',
        'event: progress\ndata: {"job":7,"percent":50}',
    ]
    assert response.text.endswith("event: end\ndata: done\n\n")
