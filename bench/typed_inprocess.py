"""Typed views: the cost of a validated JSON body, erlen and its peers, in-process.

One case: ``POST /items`` with ``{"name": "pen", "price": 1.5, "tags":
["a", "b", "c"]}``, validated against a model and echoed back as JSON.
Contenders:

- erlen typed (msgspec ``Struct``), erlen typed (pydantic ``BaseModel``),
  erlen untyped with the parsing written by hand (``msgspec.json.decode``
  with the type, then ``msgspec.json.encode``), each through WSGI and ASGI;
  and erlen with pydantic called by hand (WSGI), which shows the typed
  layer's own cost apart from pydantic's;
- FastAPI (pydantic), Litestar (msgspec) and Litestar with the pydantic
  model (the like-for-like peer of erlen's pydantic contender), through ASGI,
  ``async def`` handlers (no thread pool);
- flask-openapi3 (pydantic) through WSGI;
- and, as the floor, a bare ASGI app doing the same work with each library
  and no framework ("raw asgi"): what is left of a contender's figure above
  its library's floor is the framework's own cost.

No server and no socket. Each timing serves ``--number`` requests; the
contenders alternate inside every repeat (the order rotates), so a noisy
machine's drift hits all of them alike. The figure is CPU time of the
process per request (``time.process_time``: the worker thread an ASGI
``def`` view would use is counted too), median over repeats.

    python bench/typed_inprocess.py --quick
    python bench/typed_inprocess.py --number 2000 --repeat 15
"""

# No "from __future__ import annotations": the models are local to each builder,
# and every framework here reads the handlers' annotations at registration.
import argparse
import asyncio
import gc
import io
import json
import os
import platform
import statistics
import sys
import time
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
BODY = b'{"name":"pen","price":1.5,"tags":["a","b","c"]}'
EXPECTED = {"name": "pen", "price": 1.5, "tags": ["a", "b", "c"]}


# -- the apps ----------------------------------------------------------------


def _msgspec_item():
    import msgspec

    class Item(msgspec.Struct):
        name: str
        price: float
        tags: list[str]

    return Item


def _pydantic_item():
    import pydantic

    class Item(pydantic.BaseModel):
        name: str
        price: float
        tags: list[str]

    return Item


def erlen_msgspec():
    from erlen import Erlen

    Item = _msgspec_item()
    app = Erlen("typed_msgspec")

    @app.post("/items")
    def create(item: Item) -> Item:
        return item

    return app


def erlen_msgspec_async():
    from erlen import Erlen

    Item = _msgspec_item()
    app = Erlen("typed_msgspec_async")

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    return app


def erlen_pydantic():
    from erlen import Erlen

    Item = _pydantic_item()
    app = Erlen("typed_pydantic")

    @app.post("/items")
    def create(item: Item) -> Item:
        return item

    return app


def erlen_pydantic_async():
    from erlen import Erlen

    Item = _pydantic_item()
    app = Erlen("typed_pydantic_async")

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    return app


def _hand(asynchronous):
    import msgspec

    from erlen import Erlen, Response, abort, request

    Item = _msgspec_item()
    decode = msgspec.json.Decoder(Item).decode
    encode = msgspec.json.Encoder().encode
    app = Erlen("hand")

    def work():
        if request.mimetype != "application/json":
            abort(415)
        try:
            item = decode(request.get_data())
        except msgspec.DecodeError as error:
            abort(422, str(error))
        return Response(encode(item), content_type="application/json")

    if asynchronous:

        @app.post("/items")
        async def create_async():
            return work()

    else:
        app.post("/items")(work)
    return app


def erlen_hand():
    return _hand(False)


def erlen_hand_pydantic():
    from erlen import Erlen, Response, abort, request

    Item = _pydantic_item()
    app = Erlen("hand_pydantic")

    @app.post("/items")
    def create():
        if request.mimetype != "application/json":
            abort(415)
        try:
            item = Item.model_validate_json(request.get_data())
        except ValueError as error:
            abort(422, str(error))
        return Response(item.model_dump_json(), content_type="application/json")

    return app


def erlen_hand_async():
    return _hand(True)


def fastapi_app():
    from fastapi import FastAPI

    Item = _pydantic_item()
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    return app


def _litestar(Item):
    from litestar import Litestar, post

    @post("/items", status_code=200)
    async def create(data: Item) -> Item:
        return data

    return Litestar([create], openapi_config=None)


def litestar_app():
    return _litestar(_msgspec_item())


def litestar_pydantic_app():
    # Litestar with the same pydantic model erlen's pydantic contenders use: the
    # like-for-like peer of "erlen pydantic asgi" (Litestar reads pydantic models
    # through its bundled pydantic plugin).
    return _litestar(_pydantic_item())


def _raw(library):
    # The floor: a bare ASGI app doing the same work (find the content type,
    # receive the body, validate, encode, send), with no framework at all.
    if library == "msgspec":
        import msgspec

        Item = _msgspec_item()
        decode = msgspec.json.Decoder(Item).decode
        encode = msgspec.json.Encoder().encode
    else:
        Item = _pydantic_item()
        decode = Item.__pydantic_validator__.validate_json
        encode = Item.__pydantic_serializer__.to_json

    async def app(scope, receive, send):
        content_type = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
        if content_type != b"application/json":
            raise ValueError(content_type)
        body = encode(decode((await receive())["body"]))
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def raw_msgspec():
    return _raw("msgspec")


def raw_pydantic():
    return _raw("pydantic")


def flask_openapi3_app():
    from flask_openapi3 import OpenAPI

    Item = _pydantic_item()
    app = OpenAPI(__name__)

    @app.post("/items")
    def create(body: Item):
        return body.model_dump()

    return app


#: name -> (builder, protocol, distribution for the version line)
CONTENDERS = {
    "erlen msgspec": (erlen_msgspec, "wsgi", None),
    "erlen pydantic": (erlen_pydantic, "wsgi", None),
    "erlen by hand": (erlen_hand, "wsgi", None),
    "erlen by hand pydantic": (erlen_hand_pydantic, "wsgi", None),
    "flask-openapi3": (flask_openapi3_app, "wsgi", "flask-openapi3"),
    "erlen msgspec asgi": (erlen_msgspec_async, "asgi", None),
    "erlen pydantic asgi": (erlen_pydantic_async, "asgi", None),
    "erlen by hand asgi": (erlen_hand_async, "asgi", None),
    "fastapi": (fastapi_app, "asgi", "fastapi"),
    "litestar": (litestar_app, "asgi", "litestar"),
    "litestar pydantic": (litestar_pydantic_app, "asgi", "litestar"),
    "raw asgi msgspec": (raw_msgspec, "asgi", None),
    "raw asgi pydantic": (raw_pydantic, "asgi", None),
}


# -- calling them --------------------------------------------------------------


def _environ():
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/items",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT": "*/*",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(BODY)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def _scope():
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 54321),
        "scheme": "http",
        "method": "POST",
        "root_path": "",
        "path": "/items",
        "raw_path": b"/items",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"accept", b"*/*"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "state": {},
    }


class _Answer:
    status = None
    body = b""


def _wsgi_once(app, environ_template, answer=None):
    environ = environ_template.copy()
    environ["wsgi.input"] = io.BytesIO(BODY)

    def start_response(status, headers, exc_info=None):
        if answer is not None:
            answer.status = int(status.split()[0])

    result = app(environ, start_response)
    chunks = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    if answer is not None:
        answer.body = chunks


def _wsgi_timed(app, number):
    template = _environ()
    gc.collect()
    start = time.process_time()
    for _ in range(number):
        _wsgi_once(app, template)
    return (time.process_time() - start) / number


async def _asgi_once(app, scope_template, answer=None):
    sent = False
    chunks = []

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": BODY, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message):
        if answer is None:
            return
        if message["type"] == "http.response.start":
            answer.status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(dict(scope_template), receive, send)
    if answer is not None:
        answer.body = b"".join(chunks)


async def _asgi_timed(app, number):
    template = _scope()
    gc.collect()
    start = time.process_time()
    for _ in range(number):
        await _asgi_once(app, template)
    return (time.process_time() - start) / number


def _check(name, app, protocol, loop):
    answer = _Answer()
    if protocol == "wsgi":
        _wsgi_once(app, _environ(), answer)
    else:
        loop.run_until_complete(_asgi_once(app, _scope(), answer))
    if answer.status != 200 or json.loads(answer.body) != EXPECTED:
        return f"got {answer.status} {answer.body[:200]!r}"
    return None


def _version(distribution):
    try:
        return dist_version(distribution)
    except PackageNotFoundError:
        return "?"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, for a smoke run")
    parser.add_argument("--number", type=int, help="requests per timing (default 2000)")
    parser.add_argument("--repeat", type=int, help="timings per contender (default 15)")
    parser.add_argument("--only", nargs="+", choices=list(CONTENDERS), help="contenders to run")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    args = parser.parse_args(argv)
    number = args.number or (200 if args.quick else 2000)
    repeat = args.repeat or (3 if args.quick else 15)
    names = args.only or list(CONTENDERS)

    sys.path.insert(0, str(SRC))  # measure the working tree's erlen
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    libraries = ["msgspec", "pydantic", "fastapi", "litestar", "flask-openapi3", "flask"]
    print(f"Python {platform.python_version()} on {platform.machine()}")
    print("versions: " + ", ".join(f"{lib} {_version(lib)}" for lib in libraries))
    print(f"{number} requests x {repeat} repeats, CPU time per request, median of repeats")

    loop = asyncio.new_event_loop()
    apps = {}
    for name in names:
        builder, protocol, _ = CONTENDERS[name]
        try:
            app = builder()
            problem = _check(name, app, protocol, loop)
        except Exception as error:  # a peer not installed, or broken
            problem = f"unavailable: {type(error).__name__}: {error}"
        if problem:
            print(f"  {name}: {problem}")
            continue
        apps[name] = (app, protocol)

    def run(name, count):
        app, protocol = apps[name]
        if protocol == "wsgi":
            return _wsgi_timed(app, count)
        return loop.run_until_complete(_asgi_timed(app, count))

    for name in apps:  # warm up
        run(name, max(number // 10, 10))
    samples = {name: [] for name in apps}
    order = list(apps)
    for r in range(repeat):
        k = r % len(order)
        for name in order[k:] + order[:k]:
            samples[name].append(run(name, number) * 1e6)
    medians = {name: statistics.median(found) for name, found in samples.items()}

    print()
    for name, median in medians.items():
        low, high = min(samples[name]), max(samples[name])
        print(f"  {name:22} {median:8.2f} us   min {low:7.2f}  max {high:7.2f}")
    print()

    def ratio(a, b):
        if a in medians and b in medians:
            return medians[a] / medians[b]
        return None

    targets = [
        ("erlen msgspec", "erlen by hand", "<=", 1.15),
        ("erlen pydantic", "erlen by hand", "<=", 1.30),
        ("erlen pydantic", "erlen by hand pydantic", "<=", 1.15),
        ("erlen msgspec asgi", "erlen by hand asgi", "<=", 1.15),
        ("erlen pydantic asgi", "erlen by hand asgi", "<=", 1.30),
        ("fastapi", "erlen msgspec asgi", ">=", 4.0),
        ("fastapi", "erlen pydantic asgi", ">=", 4.0),
        ("litestar", "erlen msgspec asgi", ">=", 3.0),
        ("litestar", "erlen pydantic asgi", ">=", 3.0),
        ("litestar pydantic", "erlen pydantic asgi", ">=", 3.0),
        ("flask-openapi3", "erlen pydantic", ">=", 1.0),
    ]
    for a, b, how, bound in targets:
        value = ratio(a, b)
        if value is None:
            continue
        met = value <= bound if how == "<=" else value >= bound
        print(f"  {a} / {b} = {value:.2f}  (target {how} {bound}: {'met' if met else 'NOT met'})")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"medians_us": medians, "samples_us": samples}, indent=1)
        )
    loop.close()


if __name__ == "__main__":
    main()
