"""Class-based views."""

from __future__ import annotations

import asyncio

import pytest

from erlen import MethodView, View, request


def test_view_dispatch_and_arguments(app, client):
    class Greeting(View):
        methods = ["GET", "POST"]

        def __init__(self, word):
            self.word = word

        def dispatch_request(self, name):
            return f"{self.word}, {name} ({request.method})"

    app.add_url_rule("/hi/<name>", view_func=Greeting.as_view("greet", "Hello"))
    assert client.get("/hi/ada").text == "Hello, ada (GET)"
    assert client.post("/hi/ada").text == "Hello, ada (POST)"
    assert client.put("/hi/ada").status_code == 405


def test_new_instance_per_request_unless_disabled(app, client):
    made = []

    class Counter(View):
        def __init__(self):
            made.append(self)

        def dispatch_request(self):
            return str(len(made))

    class Shared(Counter):
        init_every_request = False

    app.add_url_rule("/per", view_func=Counter.as_view("per"))
    app.add_url_rule("/shared", view_func=Shared.as_view("shared"))
    assert len(made) == 1  # the shared instance, made once by as_view
    client.get("/per")
    client.get("/per")
    assert len(made) == 3
    client.get("/shared")
    client.get("/shared")
    assert len(made) == 3


def test_method_view_derives_methods(app, client):
    class Items(MethodView):
        def get(self, iid):
            return {"get": iid}

        def delete(self, iid):
            return "", 204

    class MoreItems(Items):
        def post(self, iid):
            return {"post": iid}

    view = MoreItems.as_view("items")
    assert set(view.methods) == {"GET", "DELETE", "POST"}
    app.add_url_rule("/items/<int:iid>", view_func=view)
    assert client.get("/items/1").json == {"get": 1}
    assert client.post("/items/2").json == {"post": 2}
    assert client.delete("/items/3").status_code == 204
    assert client.head("/items/4").status_code == 200
    assert client.put("/items/5").status_code == 405
    assert "PUT" not in client.put("/items/5").headers["Allow"]


def test_decorators_and_metadata(app, client):
    def add_header(view):
        def wrapped(**kwargs):
            response = app.make_response(view(**kwargs))
            response.headers["X-Decorated"] = "1"
            return response

        return wrapped

    class Page(View):
        """A documented page."""

        decorators = [add_header]

        def dispatch_request(self):
            return "page"

    view = Page.as_view("page")
    assert view.__name__ == "page"
    assert view.view_class is Page
    assert view.__doc__ == "A documented page."
    app.add_url_rule("/", view_func=view)
    assert client.get("/").headers["X-Decorated"] == "1"


def test_async_method_view(app, client):
    class Slow(MethodView):
        async def get(self):
            await asyncio.sleep(0)
            return "async get"

    app.add_url_rule("/", view_func=Slow.as_view("slow"))
    assert client.get("/").text == "async get"


def test_view_without_dispatch_explains(app, client):
    class Empty(View):
        pass

    app.add_url_rule("/", view_func=Empty.as_view("empty"))
    with pytest.raises(NotImplementedError, match="dispatch_request"):
        client.get("/")


def test_class_based_views_get_automatic_options(app, client):
    class Items(MethodView):
        def get(self):
            return "items"

        def post(self):
            return "added", 201

    class Answers(MethodView):
        def get(self):
            return "answers"

        def options(self):
            return "my own options"

    app.add_url_rule("/items", view_func=Items.as_view("items"))
    app.add_url_rule("/answers", view_func=Answers.as_view("answers"))
    response = client.options("/items")
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert "OPTIONS" in client.delete("/items").headers["Allow"]
    # a view that answers OPTIONS itself keeps its answer
    assert client.options("/answers").text == "my own options"
