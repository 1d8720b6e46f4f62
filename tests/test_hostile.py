"""Hostile input, and what erlen (or the server in front of it) answers.

Part one sends raw bytes to ``tests/hostileapp`` served by erlen's
development server, gunicorn (sync worker), uvicorn, hypercorn and granian
(RSGI), one process of each for the module. Each row of the tables below says what each
server answers; whatever it is, the answer comes within ``TIMEOUT`` seconds,
is no 5xx (but the 501 and 505 refusals the RFCs name), never shows
``secret.txt``, leaves no traceback in the server's log, and the server
answers the next request. Where a server lets dubious input through (uvicorn
answering ``GET /`` without a version, hypercorn reading what follows a
``Content-Length`` + ``Transfer-Encoding`` request as a second request), the
row records it: that is the server's behaviour, and docs/security.md says so.
granian's RSGI interface drops a header whose value is not visible ASCII
before erlen sees it; those rows record that too.

Part two covers, through the ``client`` fixture (WSGI and ASGI), the items of
the hostile-input list that tests/test_bad_input.py and the others do not:
thousands of multipart parts, huge boundaries, deep JSON, spoofed ``Host``
and ``X-Forwarded-*`` headers, open redirects.

docs/security.md, "Bad input, and what erlen answers", has a row for each.
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from erlen import Erlen, Response, redirect, render_template_string, request, url_for
from erlen.middleware import ProxyFix
from servers import HOST, ServerProcess, server_env, server_process

TESTS = Path(__file__).resolve().parent
APP = "hostileapp.app:app"
#: ``rsgi`` is granian serving the app through RSGI (``granian --interface rsgi``).
SERVERS = ["dev", "gunicorn", "uvicorn", "hypercorn", "rsgi"]
#: Seconds any answer may take; a server that waits longer fails the test.
TIMEOUT = 5.0
SECRET = b"HOSTILE-SECRET"
#: What erlen (or the server, on erlen's behalf) logs for an unhandled error.
_ERROR_MARKERS = ("Traceback", "Exception on ", "Error in the app")
#: An answer that never came: the server closed the connection without one.
CLOSED = 0
#: The 5xx that are refusals, not failures: RFC 9112 names 501 for a transfer
#: coding the server does not know, RFC 9110 505 for an HTTP version.
REFUSALS = {501, 505}

SERVER = pytest.mark.server


# -- the servers -----------------------------------------------------------------


@dataclass
class Served:
    """A running server of one kind, and its log file."""

    kind: str
    process: ServerProcess

    def log_size(self) -> int:
        return os.path.getsize(self.process.log_path)

    def log_since(self, offset: int) -> str:
        with open(self.process.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")

    def exchange(
        self, data: bytes, *, half_close: bool = False, to_the_end: bool = False
    ) -> Answer:
        """Send ``data`` on a new connection; read one answer (or all, ``to_the_end``)."""
        received = b""
        with socket.create_connection((HOST, self.process.port), timeout=TIMEOUT) as sock:
            try:
                sock.sendall(data)
                if half_close:
                    sock.shutdown(socket.SHUT_WR)  # the client has nothing more to send
            except OSError:
                pass  # the server answered early and closed; its answer is still there
            while to_the_end or not _complete(received):
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                except TimeoutError:
                    pytest.fail(
                        f"{self.kind}: no complete answer within {TIMEOUT} s; got {received!r}"
                    )
                if not chunk:
                    break  # the server closed the connection
                received += chunk
        return Answer(received)

    def answers_the_next_request(self) -> bool:
        connection = self.process.connection(TIMEOUT)
        try:
            connection.request("GET", "/", headers={"Connection": "close"})
            response = connection.getresponse()
            return response.status == 200 and response.read() == b"hostile: ok"
        finally:
            connection.close()


@dataclass
class Answer:
    """What a server sent back, as bytes."""

    raw: bytes

    @property
    def status(self) -> int:
        if not self.raw.startswith(b"HTTP/"):
            return CLOSED
        return int(self.raw.split(b" ", 2)[1])

    @property
    def head(self) -> str:
        return self.raw.partition(b"\r\n\r\n")[0].decode("latin-1")

    def header(self, name: str) -> str | None:
        for line in self.head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


#: The status line of a response, wherever a line starts.
_STATUS_LINE = re.compile(rb"(?:^|\n)HTTP/1\.[01] [1-5][0-9][0-9] ")


def _complete(received: bytes) -> bool:
    """Whether ``received`` holds one whole response (head and framed body)."""
    head, separator, body = received.partition(b"\r\n\r\n")
    if not separator:
        return False
    lines = head.decode("latin-1").lower().split("\r\n")
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip() == "content-length":
            return len(body) >= int(value)
        if name.strip() == "transfer-encoding" and "chunked" in value:
            return body.endswith(b"0\r\n\r\n")
    return False  # framed by the end of the connection


def _start(kind: str, directory: Path) -> ServerProcess:
    env = server_env(TESTS)
    log = directory / "server.log"
    if kind == "dev":
        return ServerProcess(
            lambda port: [
                *(sys.executable, "-m", "erlen", "--app", APP),
                *("run", "--no-reload", "--port", str(port)),
            ],
            cwd=directory,
            env=env,
            log_path=log,
            ready_marker=" * Serving",
        )
    # The sync worker: one request at a time, the connection closed after each.
    options = ["--worker-class=sync", "--threads=1"] if kind == "gunicorn" else []
    kind = "granian-rsgi" if kind == "rsgi" else kind
    return server_process(kind, APP, cwd=directory, env=env, log_path=log, options=options)


@pytest.fixture(scope="module")
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    process = _start(request.param, tmp_path_factory.mktemp(request.param))
    process.start()
    try:
        yield Served(request.param, process)
    finally:
        process.stop()


# -- part one: raw bytes through real servers --------------------------------------


@dataclass(frozen=True)
class Raw:
    """Bytes to send, and what each server answers.

    ``answers`` maps a server to a status (``CLOSED``: no answer, the
    connection closed), to ``(status, text)``, ``text`` being in the
    answer, or to a frozenset of statuses any of which it may give;
    ``"*"`` is every other server.
    """

    id: str
    data: bytes
    answers: dict[str, int | tuple[int, str] | frozenset[int]]
    #: Shut the sending side after ``data``: the server sees the client end.
    half_close: bool = False
    #: Where a 3xx must point.
    location: str | None = None
    #: Servers that also answer the request ``SMUGGLED`` appends.
    second_request: frozenset[str] = frozenset()

    def expected(self, kind: str) -> tuple[frozenset[int], str | None]:
        answer = self.answers.get(kind, self.answers.get("*"))
        assert answer is not None, f"{self.id}: no answer given for {kind}"
        if isinstance(answer, frozenset):
            return answer, None
        if isinstance(answer, tuple):
            return frozenset((answer[0],)), answer[1]
        return frozenset((answer,)), None


#: What hypercorn answers a client that stops sending in the middle of a
#: body. Its reader stops at the end of the stream: when the last bytes and
#: the end come in one read, it closes the connection without an answer;
#: when the end comes in a read of its own, h11 sees the body cut short and
#: hypercorn answers 400. Which happens is the kernel's and the event
#: loop's timing, not the test's (no read on the client's side changes
#: it), so either passes.
HYPERCORN_CUT_SHORT = frozenset((400, CLOSED))


def at(
    default: int | tuple[int, str] | None = None,
    **servers: int | tuple[int, str] | frozenset[int],
):
    """Answers: ``default`` for every server, but those named."""
    answers: dict[str, int | tuple[int, str] | frozenset[int]] = dict(servers)
    if default is not None:
        answers["*"] = default
    return answers


def get(target: bytes, *headers: bytes, method: bytes = b"GET", body: bytes = b"") -> bytes:
    """A request with ``Host: x`` and ``headers``; ``body`` goes after the blank line."""
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: x", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def post(*headers: bytes, body: bytes = b"") -> bytes:
    return get(b"/echo", *headers, method=b"POST", body=body)


#: Appended to the smuggling rows: a server that split the request wrongly
#: would answer this as a second request.
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

REQUEST_LINE = [
    Raw("bad-method-token", b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", at(400)),
    Raw("no-http-version", b"GET /\r\nHost: x\r\n\r\n", at(400, uvicorn=200)),
    Raw("http-9.9", get(b"/").replace(b"1.1", b"9.9"), at(400, dev=505, hypercorn=200)),
    Raw(
        "http-2.0-as-text",
        get(b"/").replace(b"1.1", b"2.0"),
        at(400, dev=505, uvicorn=200, hypercorn=200),
    ),
    Raw(
        "request-line-64k",
        get(b"/echo?" + b"a" * 65536),
        at(dev=414, gunicorn=414, uvicorn=400, hypercorn=431, rsgi=414),
    ),
    Raw("space-in-target", get(b"/a b"), at(400)),
    Raw("binary-garbage", b"\x00\x01\x02\x03 garbage\r\n\r\n", at(400)),
    Raw(
        "bare-lf-line-ends",
        b"GET /echo HTTP/1.1\nHost: x\nX-Test: a\n\n",
        at(400, dev=(200, '"x":"a"'), hypercorn=(200, '"x":"a"'), rsgi=(200, '"x":"a"')),
    ),
]

HEADERS = [
    Raw("header-without-colon", get(b"/echo", b"NoColonHere"), at(400)),
    Raw("space-in-header-name", get(b"/echo", b"X Test: 1"), at(400)),
    Raw("space-before-colon", post(b"Content-Length : 3", body=b"abc"), at(400)),
    Raw(
        "obs-fold",
        get(b"/echo", b"X-Test: a", b" b"),
        at(400, hypercorn=(200, '"x":"a b"')),
    ),
    Raw("nul-in-value", get(b"/echo", b"X-Test: a\x00b"), at(400)),
    Raw("cr-alone-in-value", get(b"/echo", b"X-Test: a\rb"), at(400)),
    Raw(
        "header-line-20k",
        get(b"/echo", b"X-Big: " + b"a" * 20_000),
        at(
            431,
            uvicorn=(431, "MAX_REQUEST_HEADER_SIZE"),
            hypercorn=(431, "MAX_REQUEST_HEADER_SIZE"),
        ),
    ),
    Raw(
        "150-headers",
        get(b"/echo", *(b"X-H%d: 1" % i for i in range(150))),
        at(431, uvicorn=(431, "MAX_REQUEST_HEADERS"), hypercorn=(431, "MAX_REQUEST_HEADERS")),
    ),
    Raw(
        "cookie-20k",
        get(b"/echo", b"Cookie: a=" + b"a" * 20_000),
        at(431, uvicorn=(431, "Cookie"), hypercorn=(431, "Cookie")),
    ),
    Raw(
        "no-host",
        b"GET /whoami HTTP/1.1\r\n\r\n",
        at(
            400,
            gunicorn=(200, '"host":"127.0.0.1:'),
            uvicorn=(200, '"host":"127.0.0.1:'),
            rsgi=(200, '"host":"127.0.0.1:'),
        ),
    ),
    # uvicorn and granian pass two Host lines on joined ("x, y"); erlen
    # refuses that host when the view uses it (issue 15, item 10).
    Raw(
        "two-host-headers",
        get(b"/whoami", b"Host: y"),
        at(400, uvicorn=(400, "not a valid host name"), rsgi=(400, "not a valid host name")),
    ),
    Raw(
        "two-host-headers-http-1.0",
        b"GET /whoami HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n",
        at(400, uvicorn=(400, "not a valid host name"), rsgi=(400, "not a valid host name")),
    ),
    Raw("host-with-a-space", b"GET /whoami HTTP/1.1\r\nHost: x y\r\n\r\n", at(400)),
    Raw("host-with-a-comma", b"GET /whoami HTTP/1.1\r\nHost: x,y\r\n\r\n", at(400)),
    Raw("host-port-not-a-number", b"GET /whoami HTTP/1.1\r\nHost: x:http\r\n\r\n", at(400)),
    Raw("host-port-too-big", b"GET /whoami HTTP/1.1\r\nHost: x:99999\r\n\r\n", at(400)),
    Raw(
        "absolute-form-naming-another-host",
        b"GET http://evil.test/whoami HTTP/1.1\r\nHost: x\r\n\r\n",
        at((200, '"host":"x"'), hypercorn=404),
    ),
]

FRAMING = [
    Raw(
        "content-length-twice",
        post(b"Content-Length: 3", b"Content-Length: 5", body=b"abcde"),
        at(400),
    ),
    Raw("content-length-list", post(b"Content-Length: 3, 5", body=b"abcde"), at(400)),
    Raw("content-length-negative", post(b"Content-Length: -1"), at(400)),
    Raw("content-length-plus-sign", post(b"Content-Length: +3", body=b"abc"), at(400)),
    Raw(
        "content-length-23-digits",
        post(b"Content-Length: 99999999999999999999999", body=b"abc"),
        at(400, gunicorn=(400, "Content-Length")),
    ),
    Raw(
        "content-length-and-chunked",
        post(b"Content-Length: 4", b"Transfer-Encoding: chunked", body=b"0\r\n\r\n" + SMUGGLED),
        at(400, hypercorn=(400, "fewer than the 4 bytes"), rsgi=(200, '"length":0')),
        second_request=frozenset({"hypercorn"}),
    ),
    Raw(
        "chunked-and-content-length",
        post(b"Transfer-Encoding: chunked", b"Content-Length: 3", body=b"0\r\n\r\n" + SMUGGLED),
        at(400, hypercorn=(400, "fewer than the 3 bytes"), rsgi=(200, '"length":0')),
        second_request=frozenset({"hypercorn"}),
    ),
    Raw(
        "transfer-encoding-xchunked",
        post(b"Content-Length: 4", b"Transfer-Encoding: xchunked", body=b"abcd"),
        at(400, gunicorn=501, hypercorn=501),
    ),
    Raw(
        "chunked-then-identity",
        post(
            b"Transfer-Encoding: chunked",
            b"Transfer-Encoding: identity",
            body=b"3\r\nabc\r\n0\r\n\r\n",
        ),
        at(400, hypercorn=501),
    ),
    Raw(
        "chunk-size-not-hex",
        post(b"Transfer-Encoding: chunked", body=b"zz\r\nabc\r\n0\r\n\r\n"),
        at(400, gunicorn=(400, "could not be read"), rsgi=(400, "framing could not be read")),
    ),
    Raw(
        "chunk-size-negative",
        post(b"Transfer-Encoding: chunked", body=b"-3\r\nabc\r\n0\r\n\r\n"),
        at(400, gunicorn=(400, "could not be read"), rsgi=(400, "framing could not be read")),
    ),
    Raw(
        "chunk-longer-than-its-size",
        post(b"Transfer-Encoding: chunked", body=b"2\r\nabcdef\r\n0\r\n\r\n"),
        at(400, gunicorn=(400, "could not be read"), rsgi=(400, "framing could not be read")),
    ),
    Raw(
        "chunk-size-23-hex-digits",
        post(b"Transfer-Encoding: chunked", body=b"fffffffffffffffffffffff\r\nabc\r\n"),
        at(400, gunicorn=(400, "could not be read"), rsgi=(400, "framing could not be read")),
        half_close=True,
    ),
    Raw(
        "chunked-bare-lf",
        post(b"Transfer-Encoding: chunked", body=b"3\na=b\n0\n\n" + SMUGGLED),
        at(400),
    ),
    Raw(
        "body-shorter-than-content-length",
        post(b"Content-Length: 10", body=b"abc"),
        at(
            dev=400,
            gunicorn=(400, "Content-Length"),
            uvicorn=CLOSED,
            hypercorn=HYPERCORN_CUT_SHORT,
            rsgi=(400, "before all of it had come"),
        ),
        half_close=True,
    ),
    Raw(
        "chunked-body-cut-short",
        post(b"Transfer-Encoding: chunked", body=b"5\r\nab"),
        at(
            dev=400,
            gunicorn=(400, "could not be read"),
            uvicorn=CLOSED,
            hypercorn=HYPERCORN_CUT_SHORT,
            rsgi=(400, "before all of it had come"),
        ),
        half_close=True,
    ),
]

NON_UTF8 = [
    Raw("path-percent-ff", get(b"/a/%FF"), at((400, "UTF-8"))),
    Raw("path-raw-ff", get(b"/a/\xff\xfe"), at(400)),
    Raw("query-raw-ff", get(b"/echo?a=\xff\xfe"), at(400)),
    Raw("query-percent-ff", get(b"/echo?a=%FF"), at((200, '"a":"\ufffd"'))),
    Raw(
        "header-value-ff",
        get(b"/echo", b"X-Test: \xff\xfe"),
        at((200, '"x":"\u00ff\u00fe"'), rsgi=(200, '"x":null')),
    ),
    Raw("header-name-ff", get(b"/echo", b"X-\xff: 1"), at(400)),
    Raw(
        "cookie-ff",
        get(b"/echo", b"Cookie: a=\xff\xfe; b=ok"),
        at((200, '"a":"\ufffd\ufffd"'), rsgi=(200, '"cookies":{}')),
    ),
    Raw(
        "host-ff",
        b"GET /whoami HTTP/1.1\r\nHost: \xff\xfe\r\n\r\n",
        at((400, "not a valid host name"), rsgi=(200, '"host":"127.0.0.1:')),
    ),
]

TRAVERSAL = [
    Raw("static-file-control", get(b"/static/css/site.css"), at((200, "color: black"))),
    *(
        Raw(f"traversal-{name}", get(target), at(404))
        for name, target in [
            ("dotdot", b"/static/../secret.txt"),
            ("dotdot-below-a-folder", b"/static/css/../../secret.txt"),
            ("pct-2e", b"/static/%2e%2e/secret.txt"),
            ("pct-2e-2f-upper", b"/static/%2E%2E%2Fsecret.txt"),
            ("dotdot-pct-2f", b"/static/..%2fsecret.txt"),
            ("dotdot-pct-5c", b"/static/..%5csecret.txt"),
            ("backslash", b"/static/..\\secret.txt"),
            ("double-encoded", b"/static/%252e%252e/secret.txt"),
            ("pct-u", b"/static/%u002e%u002e/secret.txt"),
            ("absolute", b"/static/%2fetc%2fpasswd"),
            ("nul", b"/static/css/site.css%00.png"),
            ("absolute-form", b"http://x/static/../secret.txt"),
        ]
    ),
    Raw("traversal-overlong-utf8", get(b"/static/%c0%ae%c0%ae/secret.txt"), at((400, "UTF-8"))),
]

OPEN_REDIRECT = [
    Raw("slash-redirect-double-slash", get(b"//evil.example"), at(308), location="/evil.example/"),
    Raw(
        "slash-redirect-backslash",
        get(b"/\\evil.example"),
        at(308),
        location="/%5Cevil.example/",
    ),
    Raw(
        "slash-redirect-pct-5c",
        get(b"/%5Cevil.example"),
        at(308),
        location="/%5Cevil.example/",
    ),
    Raw("slash-redirect-tab", get(b"/%09/evil.example"), at(308), location="/%09/evil.example/"),
    # redirect() of a checked ?next= whose tab a browser would trim to //evil.example.
    Raw(
        "redirect-leading-tab",
        get(b"/next?next=%09//evil.example"),
        at(302),
        location="%09//evil.example",
    ),
]


#: A multipart body with one file, named ``filename`` (raw header text).
def _upload(filename: bytes) -> bytes:
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; ' + filename + b"\r\n"
        b"Content-Type: text/plain\r\n\r\nplanted\r\n--B--\r\n"
    )
    return get(
        b"/upload",
        b"Content-Type: multipart/form-data; boundary=B",
        b"Content-Length: " + str(len(body)).encode(),
        method=b"POST",
        body=body,
    )


#: Issue 15's items where the server passes the input on to erlen.
PASSED_ON = [
    # Item 2: url_for with a value from the query, on a /<path:page> rule.
    Raw("url-for-slash-value", get(b"/go?to=/evil.example"), at(302), location="/evil.example"),
    Raw("url-for-two-slashes", get(b"/go?to=//evil.example"), at(302), location="/evil.example"),
    Raw("url-for-backslash", get(b"/go?to=%5Cevil.example"), at(302), location="/%5Cevil.example"),
    # Items 1 and 3: a long segment of dots that almost matches a rule with
    # four variables in it: a 404 at once, not minutes of backtracking.
    Raw("router-four-variables-in-a-segment", get(b"/r/" + b"." * 3000 + b"x/e"), at(404)),
    Raw("router-four-variables-match", get(b"/r/a.b.c.7/e"), at((200, "dotted"))),
    # Item 6: a symbolic link out of a send_from_directory folder.
    Raw("symlink-out-of-the-folder", get(b"/linked/outside.txt"), at(404)),
    Raw("symlink-folder-control", get(b"/linked/inside.txt"), at((200, "inside"))),
    # Item 8: uploaded file names, saved with secure_filename.
    Raw(
        "upload-name-dot-dot",
        _upload(b'filename="../../x.txt"'),
        at((200, '"saved":["x.txt"]')),
    ),
    Raw(
        "upload-name-encoded-slashes",
        _upload(b"filename*=UTF-8''..%2F..%2Fy.txt"),
        at((200, '"saved":["y.txt"]')),
    ),
]

RAW = REQUEST_LINE + HEADERS + FRAMING + NON_UTF8 + TRAVERSAL + OPEN_REDIRECT + PASSED_ON


@SERVER
@pytest.mark.parametrize("served", SERVERS, indirect=True)
@pytest.mark.parametrize("row", RAW, ids=[row.id for row in RAW])
def test_raw_bytes(served: Served, row: Raw) -> None:
    statuses, text = row.expected(served.kind)
    start = served.log_size()
    smuggling = SMUGGLED in row.data
    answer = served.exchange(row.data, half_close=row.half_close, to_the_end=smuggling)
    assert answer.status in statuses, answer.raw[:600]
    assert answer.status < 500 or answer.status in REFUSALS
    if text is not None:
        assert text.encode() in answer.raw, answer.raw[:600]
    if row.location is not None:
        assert answer.header("Location") == row.location
    if smuggling and served.kind in row.second_request:
        # The server read the bytes after the body as a second request.
        assert answer.raw.count(b"HTTP/1.") == 2, answer.raw
        assert b"Location: /smuggled/" in answer.raw.replace(b"location:", b"Location:")
    elif smuggling:
        # One answer, then the connection closed: the rest was never read as a
        # request. (An error page may quote the bytes, "GET /smuggled HTTP/1.1"
        # among them, so status lines are counted, not "HTTP/1.".)
        assert len(_STATUS_LINE.findall(answer.raw)) == 1, answer.raw
        assert b"location: /smuggled/" not in answer.raw.lower()
    assert SECRET not in answer.raw
    assert served.answers_the_next_request()
    log = served.log_since(start)
    for marker in _ERROR_MARKERS:
        assert marker not in log, log


#: Forwarding headers, sent by the client itself, and what /whoami then says.
#: erlen reads none of them without ProxyFix; gunicorn and uvicorn apply some
#: on their own, because by default they trust them from 127.0.0.1.
PLAIN = {"host": "x", "remote_addr": "127.0.0.1", "scheme": "http", "root_path": ""}
FORWARDED = [
    ("x-forwarded-for", b"X-Forwarded-For: 6.6.6.6", {"uvicorn": {"remote_addr": "6.6.6.6"}}),
    (
        "x-forwarded-proto",
        b"X-Forwarded-Proto: https",
        {"gunicorn": {"scheme": "https"}, "uvicorn": {"scheme": "https"}},
    ),
    ("x-forwarded-host", b"X-Forwarded-Host: evil.test", {}),
    ("x-forwarded-prefix", b"X-Forwarded-Prefix: /evil", {}),
    ("forwarded", b"Forwarded: for=6.6.6.6;proto=https;host=evil.test", {}),
    ("underscore-x-forwarded-for", b"X_Forwarded_For: 6.6.6.6", {}),
]


@SERVER
@pytest.mark.parametrize("served", SERVERS, indirect=True)
@pytest.mark.parametrize(
    ("header", "changes"), [row[1:] for row in FORWARDED], ids=[row[0] for row in FORWARDED]
)
def test_forwarding_headers_from_the_client(served: Served, header: bytes, changes: dict) -> None:
    answer = served.exchange(get(b"/whoami", header))
    assert answer.status == 200, answer.raw
    seen = json.loads(answer.raw.partition(b"\r\n\r\n")[2])
    expected = {**PLAIN, **changes.get(served.kind, {})}
    expected["external"] = f"{expected['scheme']}://x/whoami"
    assert seen == expected


# -- part two: through the test client, WSGI and ASGI ----------------------------------


@pytest.fixture
def app() -> Erlen:
    app = Erlen("hostile_app")
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.post("/files")
    def files():
        return {
            "form": {key: values for key, values in request.form.lists()},
            "files": {key: [f.filename for f in found] for key, found in request.files.lists()},
        }

    @app.post("/json")
    def json_view():
        return {"type": type(request.json).__name__}

    @app.route("/whoami")
    def whoami():
        return {
            "host": request.host,
            "remote_addr": request.remote_addr,
            "external": url_for("whoami", _external=True),
        }

    @app.route("/next")
    def follow_next():
        return redirect(request.args["next"])

    @app.route("/cookie")
    def cookie():
        response = Response("set")
        response.set_cookie("pref", request.args["v"])
        return response

    @app.route("/cookie/read")
    def read_cookie():
        return {"pref": request.cookies.get("pref")}

    @app.route("/<a>/")
    def one_level(a):
        return f"one {a}"

    @app.route("/<string(minlength=0):a>/<b>/")
    def two_levels(a, b):
        return f"two {a} {b}"

    return app


def _multipart(*parts: bytes, boundary: bytes = b"B") -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + boundary + b"--\r\n"


def _field(name: bytes, value: bytes = b"v", filename: bytes | None = None) -> bytes:
    disposition = b'Content-Disposition: form-data; name="' + name + b'"'
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
    return disposition + b"\r\n\r\n" + value


def _post_multipart(client, body: bytes, boundary: str = "B"):
    return client.post(
        "/files", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_thousands_of_multipart_parts_are_refused(client):
    response = _post_multipart(client, _multipart(*[_field(b"f%d" % i) for i in range(5000)]))
    assert response.status_code == 413
    assert "MAX_FORM_PARTS" in response.text
    at_the_limit = _post_multipart(client, _multipart(*[_field(b"f") for _ in range(1000)]))
    assert at_the_limit.status_code == 200
    assert len(at_the_limit.json["form"]["f"]) == 1000


@pytest.mark.parametrize(
    ("boundary", "body", "status", "word"),
    [
        ("x" * 10_000, _multipart(_field(b"a"), boundary=b"x" * 10_000), 400, "at most 70"),
        ("B", b"x" * (1 << 20), 400, "boundary"),
        ("B", b"--B\r\n" * 5000 + b"--B--\r\n", 413, "MAX_FORM_PART_HEADER_SIZE"),
        (
            "B",
            _multipart(
                _field(b"a").replace(b"\r\n\r\n", b"\r\nX: " + b"p" * 100_000 + b"\r\n\r\n")
            ),
            413,
            "MAX_FORM_PART_HEADER_SIZE",
        ),
    ],
    ids=["boundary-10k", "1mib-without-boundary", "5000-bare-boundaries", "part-header-100k"],
)
def test_hostile_multipart_framing(client, boundary, body, status, word):
    response = _post_multipart(client, body, boundary)
    assert response.status_code == status
    assert word in response.text
    assert "Traceback" not in response.text


def test_multipart_file_over_max_content_length(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/files", data={"f": (io.BytesIO(b"x" * 5000), "big.bin")})
    assert response.status_code == 413
    assert "MAX_CONTENT_LENGTH" in response.text


def test_multipart_names_and_filenames_that_are_not_utf8_or_are_paths(client):
    body = _multipart(
        _field(b"a\xff"),
        _field(b"\xff\xfe", filename=b"\xff.txt"),
        _field(b"g", filename=b"../../etc/passwd"),
    )
    response = _post_multipart(client, body)
    assert response.status_code == 200
    assert response.json == {
        "form": {"a\ufffd": ["v"]},
        # The file name is kept as sent; erlen never uses it as a path.
        "files": {"\ufffd\ufffd": ["\ufffd.txt"], "g": ["../../etc/passwd"]},
    }


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"a":' * 500 + b"1" + b"}" * 500, 200),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'[{"a":' * 50_000 + b"1" + b"}]" * 50_000, 400),
    ],
    ids=["objects-500-deep", "objects-100k-deep", "arrays-100k-deep", "mixed-100k-deep"],
)
def test_deeply_nested_json(client, body, status):
    response = client.post("/json", data=body, content_type="application/json")
    assert response.status_code == status, response.text[-300:]
    if status == 400:
        assert "Failed to decode JSON" in response.text
        assert "Traceback" not in response.text


def test_host_header_builds_external_urls_unless_trusted_hosts_is_set(app, client):
    response = client.get("/whoami", headers={"Host": "evil.test"})
    # Without TRUSTED_HOSTS any host is answered, and links follow it.
    assert response.json["external"] == "http://evil.test/whoami"
    app.config["TRUSTED_HOSTS"] = ["example.com"]
    assert client.get("/whoami", headers={"Host": "evil.test"}).status_code == 400


@pytest.mark.parametrize(
    "host",
    [
        "evil.test",
        "example.com.evil.test",
        "example.com, evil.test",  # two Host lines, joined (uvicorn passes both)
        "evil.test, example.com",
        "example.com@evil.test",
        "example.com:80@evil.test",
        "example.com/evil",
        "example.com\tevil.test",
        "example.com evil.test",
        "\u00ff\u00fe",
        "",
    ],
)
def test_spoofed_hosts_are_refused_with_trusted_hosts(app, client, host):
    app.config["TRUSTED_HOSTS"] = ["example.com"]
    response = client.get("/whoami", headers={"Host": host})
    assert response.status_code == 400
    assert "TRUSTED_HOSTS" in response.text


INVALID_HOSTS = [
    "example.com, evil.test",  # two Host lines, joined (uvicorn and granian pass both)
    "evil.test,example.com",
    "example.com evil.test",
    "example.com\tevil.test",
    "example.com:http",
    "example.com:99999",
    "example.com:0",
    "example.com@evil.test",
    "example.com/evil.test",
    "\u00ff\u00fe",
    "[::1",
]


@pytest.mark.parametrize("host", INVALID_HOSTS)
def test_an_invalid_host_is_refused_without_trusted_hosts(client, host):
    # Whatever the server let through, erlen refuses a Host that is not a
    # host wherever it is used: no link (url_for(_external=True)), no
    # request.host, request.url or host_url is built from it.
    response = client.get("/whoami", headers={"Host": host})
    assert response.status_code == 400
    assert "is not a valid host name" in response.text
    assert "evil.test/whoami" not in response.text


@pytest.mark.parametrize("host", INVALID_HOSTS)
def test_url_for_external_never_builds_from_an_invalid_host(app, client, host):
    built: list[str] = []

    @app.route("/link")
    def link():
        built.append(url_for("link", _external=True))
        return "built"

    @app.route("/url")
    def url():
        return request.url

    assert client.get("/link", headers={"Host": host}).status_code == 400
    assert client.get("/url", headers={"Host": host}).status_code == 400
    assert built == []


@pytest.mark.parametrize("host", INVALID_HOSTS)
def test_bind_to_environ_never_builds_from_an_invalid_host(app, host):
    # Werkzeug's url_map.bind_to_environ(request.environ), which extensions
    # call, reads HTTP_HOST itself: it refuses what request.host refuses.
    from erlen.http.hosts import InvalidHost

    @app.route("/page")
    def page():
        return "page"

    environ = {"HTTP_HOST": host, "wsgi.url_scheme": "http", "PATH_INFO": "/page"}
    with pytest.raises(InvalidHost, match="not a valid host name") as caught:
        app.url_map.bind_to_environ(environ)
    assert caught.value.code == 400
    environ["HTTP_HOST"] = "example.com"
    adapter = app.url_map.bind_to_environ(environ)
    assert adapter.build("page", force_external=True) == "http://example.com/page"


def test_two_host_headers_in_an_asgi_scope_are_refused(app):
    # What uvicorn and granian hand on for two Host lines over HTTP/1.0: two
    # entries in the scope's headers, never taken as one host to build from.
    import asyncio

    @app.route("/plain")
    def plain():
        return url_for("plain", _external=True)

    async def call(hosts: list[bytes]) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.0",
            "method": "GET",
            "scheme": "http",
            "path": "/plain",
            "raw_path": b"/plain",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", host) for host in hosts],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
        }
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        await app(scope, receive, send)
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return sent[0]["status"], body

    status, body = asyncio.run(call([b"example.com", b"evil.test"]))
    assert status == 400 and b"not a valid host name" in body
    assert asyncio.run(call([b"example.com"])) == (200, b"http://example.com/plain")
    no_host = asyncio.run(call([]))  # HTTP/1.0 without Host: the server's address
    assert no_host == (200, b"http://127.0.0.1:8000/plain")


@pytest.mark.parametrize(
    "host", ["example.com", "EXAMPLE.com:8080", "127.0.0.1:5000", "[::1]:8000", "a_b.test."]
)
def test_valid_hosts_build_external_urls(client, host):
    response = client.get("/whoami", headers={"Host": host})
    assert response.status_code == 200
    assert response.json["external"] == f"http://{host}/whoami"


def test_forwarded_host_counts_only_through_proxyfix(app, client):
    app.config["TRUSTED_HOSTS"] = ["example.com"]
    headers = {"Host": "example.com", "X-Forwarded-Host": "evil.test", "X-Forwarded-For": "6.6.6.6"}
    response = client.get("/whoami", headers=headers)
    assert response.json == {
        "host": "example.com",
        "remote_addr": "127.0.0.1",
        "external": "http://example.com/whoami",
    }
    # Told to trust one proxy's X-Forwarded-Host, the forwarded host is what is checked.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_host=1)  # type: ignore[method-assign]
    app.asgi_app = ProxyFix(app.asgi_app, x_host=1)
    response = client.get("/whoami", headers=headers)
    assert response.status_code == 400
    assert "evil.test" in response.text


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("http://localhost//evil.example", "/evil.example/"),
        ("http://localhost/\\evil.example", "/%5Cevil.example/"),
        ("/%5Cevil.example", "/%5Cevil.example/"),
        ("/%09/evil.example", "/%09/evil.example/"),
    ],
)
def test_slash_redirect_never_leaves_the_site(client, path, location):
    response = client.get(path)
    assert response.status_code == 308
    assert response.headers["Location"] == location


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "/local/page"]
)
def test_redirect_goes_where_the_app_says(client, target):
    # redirect() does not judge its URL: checking a ?next= value is the app's job.
    response = client.get("/next", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == target


_OFF_SITE_VALUES = [
    "/evil.example",
    "//evil.example",
    "///evil.example",
    "\\evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "/%2F/evil.example",
]


def _stays_here(location: str) -> None:
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location
    # As a browser resolves it (a backslash counts as a slash there).
    resolved = urljoin("http://localhost/out", location.replace("\\", "/"))
    assert urlsplit(resolved).netloc == "localhost", location


@pytest.mark.parametrize("value", _OFF_SITE_VALUES)
def test_url_for_never_builds_a_url_to_another_host(app, client, value):
    @app.route("/page/<path:page>")
    def inner(page):
        return page

    @app.route("/<path:page>")
    def page(page):
        return f"page {page}"

    @app.route("/out")
    def out():
        # The pattern from issue 15: a path converter fed from the query string.
        return redirect(url_for("page", page=request.args["to"]))

    @app.route("/link")
    def link():
        return render_template_string("{{ url_for('page', page=to) }}", to=request.args["to"])

    response = client.get("/out", query_string={"to": value})
    assert response.status_code == 302
    location = response.headers["Location"]
    _stays_here(location)
    assert client.get(location).text.startswith("page ")
    _stays_here(client.get("/link", query_string={"to": value}).text.replace("&#34;", '"'))
    with app.test_request_context():
        # Deeper in the path the value keeps its slashes: the URL stays on this host.
        assert url_for("inner", page=value).startswith("/page/")
        _stays_here(url_for("page", page=value, _external=True).removeprefix("http://localhost"))


@pytest.mark.parametrize(
    "value",
    ["x; Domain=evil.example; Max-Age=99999", "x\r\nSet-Cookie: admin=1", 'x"; Secure', "a=b"],
)
def test_cookie_value_from_the_client_cannot_add_attributes(client, value):
    response = client.get("/cookie", query_string={"v": value})
    (header,) = response.headers.getlist("Set-Cookie")
    assert header.endswith("; Path=/")
    assert "Domain" not in header.split("; ")[-1] and header.count("; ") == 1
    assert not any(char in header for char in "\r\n")
    assert client.get("/cookie/read").json == {"pref": value}
