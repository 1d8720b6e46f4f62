"""Sans-IO HTTP/1.1 for the development server (RFC 9112): requests in, responses out.

Bytes go in through :meth:`RequestParser.receive_data`; events come out of
:meth:`RequestParser.next_event`: a :class:`Request`, then a :class:`Data`
for each piece of its body, then :class:`EndOfMessage`. A request the
parser cannot accept raises :class:`ProtocolError`, whose ``status_hint``
is the 4xx/5xx status to answer with. A :class:`ResponseWriter` turns a
status, headers and body pieces into the bytes to send, choosing the
framing. Nothing here does IO: tests feed bytes and check values, the
server drives both over a socket.

::

    parser = RequestParser()
    parser.receive_data(b"GET / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n")
    parser.next_event()  # Request(method=b"GET", target=b"/", ...)
    parser.next_event()  # EndOfMessage()
    parser.next_event()  # PAUSED, until start_next_request()
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus

__all__ = [
    "NEED_DATA",
    "PAUSED",
    "ConnectionClosed",
    "Data",
    "EndOfMessage",
    "Event",
    "ProtocolError",
    "Request",
    "RequestParser",
    "ResponseWriter",
    "check_response_head",
    "dump_error",
]

# RFC 9110 §5.6.2: token = 1*tchar
_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
# RFC 9112 §3: request-line = method SP request-target SP HTTP-version;
# §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT. The target is visible ASCII.
_REQUEST_LINE = re.compile(rb"(%s) ([\x21-\x7e]+) HTTP/([0-9])\.([0-9])" % _TOKEN)
# RFC 9112 §5: field-line = field-name ":" OWS field-value OWS (no space
# before the colon: §5.1 says to reject that with 400). The name is checked
# by this pattern and the value's OWS stripped with bytes.strip(): a regex
# with a lazy value between two OWS runs backtracks in time quadratic in a
# run of spaces (issue 15).
_FIELD_NAME = re.compile(_TOKEN)
# RFC 9110 §5.5: a field value holds VCHAR, obs-text, SP and HTAB; never
# CR, LF, NUL or other controls.
_FORBIDDEN_IN_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF;
# chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-value ] ), ignored.
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;.*)?")
# RFC 9112 §7.1 frames a chunked body with CRLF only. A bare LF there is
# read differently by different servers (a way to smuggle a request), so
# it is refused, as gunicorn and uvicorn do, rather than tolerated.
_BARE_LF = (
    "a line of the chunked body ends with a bare LF; chunked framing needs CRLF (RFC 9112 §7.1)"
)
# RFC 9110 §8.6: Content-Length = 1*DIGIT (bounded here: no 100-digit ints).
_DIGITS = re.compile(rb"[0-9]{1,18}")


class _Sentinel:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: :meth:`RequestParser.next_event` needs more bytes to go on.
NEED_DATA = _Sentinel("NEED_DATA")
#: The request is complete; call :meth:`RequestParser.start_next_request`.
PAUSED = _Sentinel("PAUSED")


@dataclass(frozen=True)
class Request:
    """A request head, with the framing and connection facts it implies."""

    method: bytes
    target: bytes
    http_version: bytes  # b"1.1" or b"1.0"
    headers: tuple[tuple[bytes, bytes], ...]  # names lower-cased, in order
    content_length: int | None = None
    chunked: bool = False
    keep_alive: bool = True
    expect_continue: bool = False


@dataclass(frozen=True)
class Data:
    """A piece of the request body (already de-chunked)."""

    data: bytes


@dataclass(frozen=True)
class EndOfMessage:
    """The request body is complete."""


@dataclass(frozen=True)
class ConnectionClosed:
    """The client closed the connection between requests."""


Event = Request | Data | EndOfMessage | ConnectionClosed | _Sentinel


class ProtocolError(Exception):
    """The client broke HTTP/1.1; answer with ``status_hint`` and close."""

    def __init__(self, message: str, status_hint: int = 400) -> None:
        super().__init__(message)
        self.status_hint = status_hint


# Parser states.
_IDLE, _HEADERS, _BODY, _CHUNK_HEAD, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _DONE, _ERROR = range(9)


class RequestParser:
    """Turn the bytes of one connection into request events.

    :param max_line: longest request line (longer: 414 URI Too Long).
    :param max_field: longest header line (longer: 431).
    :param max_fields: most header lines in one request (more: 431).
    """

    def __init__(self, max_line: int = 8192, max_field: int = 8192, max_fields: int = 100) -> None:
        self.max_line = max_line
        self.max_field = max_field
        self.max_fields = max_fields
        #: The request line as received, for logs (also after a bad one).
        self.request_line = b""
        self._buffer = bytearray()
        self._eof = False
        self._state = _IDLE
        self._head: tuple[bytes, bytes, bytes] = (b"", b"", b"")
        self._fields: list[tuple[bytes, bytes]] = []
        self._remaining = 0  # bytes left in the body (Content-Length) or chunk

    def receive_data(self, data: bytes) -> None:
        """Add bytes read from the client; ``b""`` means it closed its side."""
        if data:
            self._buffer += data
        else:
            self._eof = True

    def has_data(self) -> bool:
        """Whether bytes of a next request wait in the buffer (pipelined)."""
        return bool(self._buffer)

    def start_next_request(self) -> None:
        """Go on to the next request on this connection (after ``PAUSED``)."""
        if self._state != _DONE:
            raise RuntimeError("start_next_request() before the request was complete")
        self._state = _IDLE
        self.request_line = b""

    def next_event(self) -> Event:
        """Return the next event, ``NEED_DATA``, or ``PAUSED``."""
        if self._state == _ERROR:
            raise ProtocolError("the connection already failed")
        try:
            return self._next_event()
        except ProtocolError:
            self._state = _ERROR
            raise

    def _next_event(self) -> Event:  # noqa: C901 - one branch per state
        while True:
            state = self._state
            if state == _IDLE:
                line = self._line(self.max_line, 414, "request line")
                if line is None:
                    if self._eof and not self._buffer:
                        return ConnectionClosed()
                    return self._need_data("in the middle of the request line")
                if line:  # RFC 9112 §2.2: ignore empty lines before a request
                    self._start_request(line)
            elif state == _HEADERS:
                line = self._line(self.max_field, 431, "header line")
                if line is None:
                    return self._need_data("in the middle of the headers")
                if line:
                    self._add_field(line, self._fields)
                else:
                    return self._end_head()
            elif state == _BODY:
                if not self._remaining:
                    self._state = _DONE
                    return EndOfMessage()
                if not self._buffer:
                    return self._need_data("before sending the whole body (Content-Length)")
                return self._take_data()
            elif state == _CHUNK_HEAD:
                line = self._line(self.max_field, 400, "chunk size line", crlf=True)
                if line is None:
                    return self._need_data("in the middle of a chunked body")
                match = _CHUNK_SIZE.fullmatch(line)
                if match is None or _FORBIDDEN_IN_VALUE.search(line):
                    raise ProtocolError(f"invalid chunk size line {_show(line)}")
                self._remaining = int(match.group(1), 16)
                self._state = _CHUNK_DATA if self._remaining else _TRAILERS
                self._fields = []
            elif state == _CHUNK_DATA:
                if not self._remaining:
                    self._state = _CHUNK_END
                elif not self._buffer:
                    return self._need_data("in the middle of a chunk")
                else:
                    return self._take_data()
            elif state == _CHUNK_END:
                end = bytes(self._buffer[:2])
                if end == b"\r\n":
                    del self._buffer[:2]
                    self._state = _CHUNK_HEAD
                elif end in (b"", b"\r"):
                    return self._need_data("in the middle of a chunked body")
                elif end[:1] == b"\n":
                    raise ProtocolError(_BARE_LF)
                else:
                    raise ProtocolError("a chunk is longer than its chunk size said")
            elif state == _TRAILERS:
                # RFC 9112 §7.1.2: trailer fields are read, then discarded.
                line = self._line(self.max_field, 431, "trailer line", crlf=True)
                if line is None:
                    return self._need_data("in the middle of the trailer section")
                if not line:
                    self._state = _DONE
                    return EndOfMessage()
                self._add_field(line, self._fields)
            else:
                return PAUSED

    def _need_data(self, where: str) -> _Sentinel:
        if self._eof:
            raise ProtocolError(f"the client closed the connection {where}")
        return NEED_DATA

    def _line(self, limit: int, status: int, what: str, crlf: bool = False) -> bytes | None:
        """Remove and return one line (CRLF, or a bare LF: RFC 9112 §2.2).

        With ``crlf`` (the lines of a chunked body), a bare LF is an error.
        """
        buffer = self._buffer
        end = buffer.find(b"\n", 0, limit + 2)
        if end < 0:
            # limit + 1: a line of just the limit may wait for the LF after its CR.
            if len(buffer) > limit + 1:
                self._note_line(what, buffer)
                raise ProtocolError(f"the {what} is longer than {limit} bytes", status)
            return None
        line = bytes(buffer[:end])
        del buffer[: end + 1]  # perf: bytearray deletes from the front in O(1)
        if line.endswith(b"\r"):
            line = line[:-1]
        elif crlf:
            raise ProtocolError(_BARE_LF)
        if len(line) > limit:
            self._note_line(what, line)
            raise ProtocolError(f"the {what} is longer than {limit} bytes", status)
        return line

    def _note_line(self, what: str, line: bytes | bytearray) -> None:
        if what == "request line":
            self.request_line = bytes(line[:100])

    def _take_data(self) -> Data:
        size = min(self._remaining, len(self._buffer))
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        self._remaining -= size
        return Data(data)

    def _start_request(self, line: bytes) -> None:
        self.request_line = line[:1000]
        match = _REQUEST_LINE.fullmatch(line)
        if match is None:
            raise ProtocolError(f"invalid request line {_show(line)}")
        method, target, major, minor = match.groups()
        if major != b"1":
            raise ProtocolError(f"HTTP/{major.decode()} is not supported; send HTTP/1.1", 505)
        # RFC 9110 §2.5: a higher minor version is answered as 1.1.
        self._head = (method, target, b"1.0" if minor == b"0" else b"1.1")
        self._fields = []
        self._state = _HEADERS

    def _add_field(self, line: bytes, fields: list[tuple[bytes, bytes]]) -> None:
        if line[0] in b" \t":
            # RFC 9112 §5.2: obs-fold; a server may reject it with 400.
            raise ProtocolError("folded header lines (obs-fold) are not accepted")
        name, colon, value = line.partition(b":")
        if not colon or _FIELD_NAME.fullmatch(name) is None:
            raise ProtocolError(f"invalid header line {_show(line)}")
        value = value.strip(b" \t")
        if _FORBIDDEN_IN_VALUE.search(value):
            raise ProtocolError(f"control character in the {name.decode()} header")
        if len(fields) >= self.max_fields:
            raise ProtocolError(f"more than {self.max_fields} header lines", 431)
        fields.append((name.lower(), value))

    def _end_head(self) -> Request:
        method, target, version = self._head
        fields = self._fields
        lengths: list[bytes] = []
        codings: list[bytes] = []
        connection: list[bytes] = []
        hosts = expect = 0
        for name, value in fields:
            if name == b"content-length":
                lengths += (item.strip() for item in value.split(b","))
            elif name == b"transfer-encoding":
                codings += (item.strip().lower() for item in value.split(b","))
            elif name == b"connection":
                connection += (item.strip().lower() for item in value.split(b","))
            elif name == b"host":
                hosts += 1
            elif name == b"expect" and value.lower() == b"100-continue":
                expect = 1
        if hosts > 1:
            # RFC 9112 §3.2: more than one Host line is a 400, in any version;
            # which host was meant is ambiguous (a way past host checks).
            raise ProtocolError("a request may have only one Host header; this one has several")
        if version == b"1.1" and hosts != 1:
            # RFC 9112 §3.2: exactly one Host header in an HTTP/1.1 request.
            raise ProtocolError("an HTTP/1.1 request needs exactly one Host header")
        length: int | None = None
        chunked = False
        if codings:
            # RFC 9112 §6.1-6.3: both framings at once is a smuggling attempt;
            # chunked must come last; HTTP/1.0 has no Transfer-Encoding.
            if lengths:
                raise ProtocolError("both Content-Length and Transfer-Encoding were sent")
            if version == b"1.0":
                raise ProtocolError("Transfer-Encoding is not allowed in HTTP/1.0")
            if codings[-1] != b"chunked":
                raise ProtocolError("the last Transfer-Encoding must be chunked")
            if codings != [b"chunked"]:
                raise ProtocolError(
                    f"unsupported Transfer-Encoding {_show(b', '.join(codings))}", 501
                )
            chunked = True
        elif lengths:
            # RFC 9110 §8.6: repeated equal values may stand for one; else 400.
            if any(_DIGITS.fullmatch(item) is None for item in lengths):
                raise ProtocolError(f"invalid Content-Length {_show(b', '.join(lengths))}")
            if len({int(item) for item in lengths}) > 1:
                raise ProtocolError("conflicting Content-Length values")
            length = int(lengths[0])
        if version == b"1.1":
            keep_alive = b"close" not in connection
        else:
            keep_alive = b"keep-alive" in connection
        if chunked:
            self._state = _CHUNK_HEAD
        else:
            self._state = _BODY
            self._remaining = length or 0
        return Request(
            method,
            target,
            version,
            tuple(fields),
            content_length=length,
            chunked=chunked,
            keep_alive=keep_alive,
            expect_continue=bool(expect) and version == b"1.1",
        )


def _show(value: bytes) -> str:
    """Return ``value`` quoted for a message, shortened and escaped."""
    text = repr(value[:60])[1:]
    return text[:-1] + "...'" if len(value) > 60 else text


# -- the response side -----------------------------------------------------------

# RFC 9110 §7.6.1: hop-by-hop fields belong to the connection, so to the
# server; PEP 3333 forbids an app to send them.
_HOP_BY_HOP = frozenset(
    (
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    )
)
# RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
_STATUS = re.compile(r"([1-9][0-9]{2}) [^\x00-\x1f\x7f]*")
_TOKEN_STR = re.compile(_TOKEN.decode())
_FORBIDDEN_IN_VALUE_STR = re.compile(_FORBIDDEN_IN_VALUE.pattern.decode())
# Framings of a response body (RFC 9112 §6.3).
_NONE, _LENGTH, _CHUNKED, _UNTIL_CLOSE = range(4)


def check_response_head(status: str, headers: list[tuple[str, str]]) -> int:
    """Return the status code, or raise if a WSGI status or header is invalid."""
    match = _STATUS.fullmatch(status) if isinstance(status, str) else None
    if match is None:
        raise ValueError(f"Invalid status {status!r}: give a code and a phrase, as '200 OK'.")
    code = int(match.group(1))
    if code < 200:
        raise ValueError(f"Status {code} is informational; a WSGI app answers with 200-599.")
    if not isinstance(headers, list):
        raise TypeError(f"Headers must be a list of (name, value) tuples, not {headers!r}.")
    for item in headers:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise TypeError(f"Each header must be a (name, value) tuple, not {item!r}.")
        name, value = item
        if not (isinstance(name, str) and isinstance(value, str)):
            raise TypeError(f"Header {item!r}: the name and the value must both be str.")
        if not _TOKEN_STR.fullmatch(name) or _FORBIDDEN_IN_VALUE_STR.search(value):
            raise ValueError(f"Invalid header {item!r}: no spaces or controls (CR, LF).")
        if name.lower() in _HOP_BY_HOP:
            raise ValueError(
                f"The app set the hop-by-hop header {name!r}, which PEP 3333 forbids: "
                "the server manages the connection. Remove it."
            )
        if name.lower() == "content-length" and not (value.isascii() and value.isdigit()):
            raise ValueError(f"Invalid Content-Length {value!r}: give a number of bytes.")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(
                f"Header {name!r} holds characters beyond latin-1 (PEP 3333): "
                "percent-encode or RFC 2047-encode them."
            ) from None
    return code


class ResponseWriter:
    """The bytes of one response to ``request``: head, body pieces, end.

    :meth:`head` chooses the framing (RFC 9112 §6.3): the app's
    Content-Length, else a known length, else chunked for HTTP/1.1, else
    the end of the connection. ``keep_alive`` then says whether the
    connection may carry another request; set it to False before
    :meth:`head` to close after this response.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.keep_alive = request.keep_alive
        self.framing = _NONE
        self.length = 0  # the Content-Length, with _LENGTH framing
        self.sent = 0  # body bytes framed so far
        self.problem = ""  # how the app's body broke its own Content-Length

    def head(
        self, status: str, headers: list[tuple[str, str]], known_length: int | None = None
    ) -> bytes:
        """Return the status line and headers; ``status`` was checked already."""
        request = self.request
        code = int(status[:3])
        names = {name.lower() for name, _ in headers}
        if code in (204, 304):  # RFC 9110 §15.3.5, §15.4.5: no content
            if code == 204:  # RFC 9110 §8.6: no Content-Length in a 204
                headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
        elif request.method == b"HEAD":
            pass  # no body; a Content-Length is the GET's, kept as the app gave it
        elif "content-length" in names:
            self.framing = _LENGTH
            self.length = int(next(v for n, v in headers if n.lower() == "content-length"))
        elif known_length is not None:
            self.framing = _LENGTH
            self.length = known_length
            headers = [*headers, ("Content-Length", str(known_length))]
        elif request.http_version == b"1.1":
            self.framing = _CHUNKED
            headers = [*headers, ("Transfer-Encoding", "chunked")]
        else:
            self.framing = _UNTIL_CLOSE  # HTTP/1.0: the close ends the body
            self.keep_alive = False
        if "date" not in names:
            headers = [*headers, ("Date", formatdate(usegmt=True))]
        if "server" not in names:
            headers = [*headers, ("Server", "erlen-dev")]
        if not self.keep_alive:
            headers = [*headers, ("Connection", "close")]
        elif request.http_version == b"1.0":
            headers = [*headers, ("Connection", "keep-alive")]
        return _dump_head(status, headers)

    def data(self, data: bytes) -> bytes:
        """Return ``data`` framed as the next piece of the body."""
        framing = self.framing
        if framing == _NONE or not data:
            return b""
        if framing == _LENGTH:
            room = self.length - self.sent
            if len(data) > room:
                data = data[:room]
                self.keep_alive = False
                self.problem = f"the app sent more than the {self.length} bytes it announced"
            self.sent += len(data)
            return data
        self.sent += len(data)
        if framing == _CHUNKED:  # RFC 9112 §7.1
            return b"%x\r\n%s\r\n" % (len(data), data)
        return data

    def end(self) -> bytes:
        """Return the bytes that end the body (the last chunk, if chunked)."""
        if self.framing == _CHUNKED:
            return b"0\r\n\r\n"
        if self.framing == _LENGTH and self.sent < self.length:
            self.keep_alive = False  # the client would wait for the missing bytes
            self.problem = f"the app sent {self.sent} of the {self.length} bytes it announced"
        return b""


def dump_error(status: int, message: str) -> bytes:
    """Return a whole plain-text error response that closes the connection."""
    phrase = HTTPStatus(status).phrase
    body = f"{phrase}: {message}\n".encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    return _dump_head(f"{status} {phrase}", [*headers, ("Connection", "close")]) + body


def _dump_head(status: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
