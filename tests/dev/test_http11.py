"""The development server's HTTP/1.1 (``erlen.dev.http11``): bytes in, values out.

No server and no socket. A test feeds bytes to a :class:`RequestParser`
and checks the events that come out, or gives a :class:`ResponseWriter` a
status, headers and body pieces and checks the bytes. ``parse`` and
``reject`` feed every input twice, whole and one byte at a time, and
require the same outcome both ways.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

import pytest

from erlen.dev import http11 as h11
from linear import assert_linear

# -- helpers ---------------------------------------------------------------------


def events(parser: h11.RequestParser) -> list[object]:
    """Return the events until more data is needed, the request ends, or the close."""
    found = []
    while (event := parser.next_event()) not in (h11.NEED_DATA, h11.PAUSED):
        found.append(event)
        if isinstance(event, h11.ConnectionClosed):
            break  # it would come again and again
    return found


def _joined(found: list[object]) -> list[object]:
    """Return ``found`` with each run of Data events merged into one."""
    merged: list[object] = []
    for event in found:
        if isinstance(event, h11.Data) and merged and isinstance(merged[-1], h11.Data):
            merged[-1] = h11.Data(merged[-1].data + event.data)
        else:
            merged.append(event)
    return merged


def _feed(pieces: list[bytes], close: bool, limits: dict[str, int]) -> list[object]:
    parser = h11.RequestParser(**limits)
    found: list[object] = []
    for piece in filter(None, pieces):  # b"" would mean the client closed
        parser.receive_data(piece)
        found += events(parser)
    if close:
        parser.receive_data(b"")
        found += events(parser)
    assert all(event != h11.Data(b"") for event in found), "an empty Data event"
    return found


def parse(data: bytes, *, close: bool = False, **limits: int) -> list[object]:
    """Return the events of ``data`` up to the first request's end (Data merged).

    The same bytes fed one at a time must give the same events.
    """
    whole = _joined(_feed([data], close, limits))
    assert _joined(_feed([bytes([b]) for b in data], close, limits)) == whole
    return whole


def reject(data: bytes, *, close: bool = False, **limits: int) -> h11.ProtocolError:
    """Return the error ``data`` raises, the same whether fed whole or byte by byte."""
    with pytest.raises(h11.ProtocolError) as whole:
        _feed([data], close, limits)
    with pytest.raises(h11.ProtocolError) as bytewise:
        _feed([bytes([b]) for b in data], close, limits)
    assert (str(bytewise.value), bytewise.value.status_hint) == (
        str(whole.value),
        whole.value.status_hint,
    )
    return whole.value


def request(data: bytes, **limits: int) -> h11.Request:
    """Return the Request event of ``data`` (a head, perhaps with a body)."""
    head = parse(data, **limits)[0]
    assert isinstance(head, h11.Request)
    return head


def body(found: list[object]) -> bytes:
    return b"".join(e.data for e in found if isinstance(e, h11.Data))


@dataclass
class Reply:
    """A response parsed from the bytes a writer gave."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def getheader(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        assert len(values) <= 1, f"{name} sent {len(values)} times"
        return values[0] if values else None


def parse_response(data: bytes, *, bodiless: bool = False) -> Reply:
    """Split one response into its parts; a Content-Length must match the body.

    ``bodiless``: the response has no body whatever its Content-Length says
    (the answer to HEAD, a 304).
    """
    head, separator, rest = data.partition(b"\r\n\r\n")
    assert separator, f"no end of the head in {data!r}"
    status_line, *lines = head.decode("latin-1").split("\r\n")
    version, code, reason = status_line.split(" ", 2)
    assert version == "HTTP/1.1"
    headers = [(name, value) for name, _, value in (line.partition(": ") for line in lines)]
    reply = Reply(int(code), reason, headers, rest)
    length = reply.getheader("Content-Length")
    if length is not None and not bodiless:
        assert len(rest) == int(length)
    return reply


# -- the parser: requests, bodies, pipelining (moved from test_devserver.py) -----


def test_parser_request_byte_by_byte():
    parser = h11.RequestParser()
    seen: list[object] = []
    for byte in b"\r\nPOST /a?b=1 HTTP/1.1\r\nHost: x\r\nX-A:  1 \r\nContent-Length: 3\r\n\r\nabc":
        parser.receive_data(bytes([byte]))
        seen += events(parser)
    head = seen[0]
    assert isinstance(head, h11.Request)
    assert (head.method, head.target, head.http_version) == (b"POST", b"/a?b=1", b"1.1")
    assert head.headers == ((b"host", b"x"), (b"x-a", b"1"), (b"content-length", b"3"))
    assert head.content_length == 3 and head.keep_alive and not head.chunked
    assert b"".join(e.data for e in seen if isinstance(e, h11.Data)) == b"abc"
    assert seen[-1] == h11.EndOfMessage()
    assert parser.next_event() is h11.PAUSED


def test_parser_chunked_body_with_extensions_and_trailers():
    parser = h11.RequestParser()
    parser.receive_data(
        b"PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n1\r\n \r\nA \r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    found = events(parser)
    assert found[0].chunked and found[0].content_length is None
    assert b"".join(e.data for e in found if isinstance(e, h11.Data)) == b"hello 0123456789"
    assert found[-1] == h11.EndOfMessage()


def test_parser_gives_the_same_events_however_the_bytes_are_split():
    data = (
        b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\nGET /b HTTP/1.1\r\nHost: y\r\n\r\n"
    )

    def parse(*pieces: bytes) -> list[object]:
        parser = h11.RequestParser()
        found: list[object] = []
        for piece in pieces:
            parser.receive_data(piece)
            while (event := parser.next_event()) is not h11.NEED_DATA:
                if event is h11.PAUSED:
                    parser.start_next_request()
                else:
                    found.append(event)
        return [e for e in found if not isinstance(e, h11.Data)] + [
            b"".join(e.data for e in found if isinstance(e, h11.Data))
        ]

    whole = parse(data)
    assert [type(e).__name__ for e in whole] == [
        "Request",
        "EndOfMessage",
        "Request",
        "EndOfMessage",
        "bytes",
    ]
    for cut in range(1, len(data)):
        assert parse(data[:cut], data[cut:]) == whole


def test_parser_pipelined_requests_and_close():
    parser = h11.RequestParser()
    parser.receive_data(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.0\r\n\r\n")
    first = events(parser)
    assert first[0].target == b"/1" and first[1] == h11.EndOfMessage()
    parser.start_next_request()
    second = events(parser)
    assert second[0].target == b"/2" and not second[0].keep_alive
    parser.start_next_request()
    parser.receive_data(b"")
    assert parser.next_event() == h11.ConnectionClosed()


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"GET /\r\n\r\n", 400, "invalid request line"),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "not supported"),
        (b"GET /" + b"a" * 9000, 414, "request line is longer"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 9000, 431, "header line is longer"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X: 1\r\n" * 100 + b"\r\n", 431, "more than 100"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: 1\r\n folded\r\n\r\n", 400, "folded"),
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "invalid header line"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", 400, "control character"),
        (b"GET / HTTP/1.1\r\n\r\n", 400, "Host"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400, "Host"),
        (b"GET / HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n", 400, "only one Host"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n", 400, "Content-Length"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\n", 400, "conflicting"),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            400,
            "both",
        ),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "gzip"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, "last"),
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "chunk"),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
            400,
            "longer than its chunk size",
        ),
    ],
)
def test_parser_rejects(data: bytes, status: int, message: str):
    parser = h11.RequestParser()
    parser.receive_data(data)
    with pytest.raises(h11.ProtocolError, match=message) as caught:
        events(parser)
    assert caught.value.status_hint == status
    with pytest.raises(h11.ProtocolError):  # it stays failed
        parser.next_event()


CHUNKED_HEAD = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    "body",
    [
        b"3\na=b\n0\n\n",  # the example: every line ends with a bare LF
        b"3\na=b\r\n0\r\n\r\n",  # the chunk size line
        b"3\r\na=b\n0\r\n\r\n",  # the end of the chunk data
        b"3;ext=1\na=b\r\n0\r\n\r\n",  # a chunk size line with an extension
        b"3\r\na=b\r\n0\n\r\n",  # the last chunk
        b"3\r\na=b\r\n0\r\nX-T: 1\n\r\n",  # a trailer line
        b"3\r\na=b\r\n0\r\n\n",  # the end of the trailer section
    ],
)
def test_parser_refuses_a_bare_lf_in_chunked_framing(body: bytes):
    # RFC 9112 §7.1: chunk framing is CRLF; a bare LF is a 400, and the
    # parser stays failed, so nothing after it is read as a request.
    error = reject(CHUNKED_HEAD + body + b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
    assert error.status_hint == 400
    assert "bare LF" in str(error) and "CRLF" in str(error)


def test_parser_still_takes_a_bare_lf_in_the_head():
    # RFC 9112 §2.2 lets a recipient take a bare LF as a line end in the head.
    found = parse(b"GET / HTTP/1.1\nHost: x\n\n")
    assert found[0].headers == ((b"host", b"x"),)


def test_parser_equal_repeated_content_lengths_are_one():
    parser = h11.RequestParser()
    parser.receive_data(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\nok")
    found = events(parser)
    assert found[0].content_length == 2 and found[1] == h11.Data(b"ok")


def test_parser_eof_inside_a_body_is_an_error():
    parser = h11.RequestParser()
    parser.receive_data(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab")
    events(parser)
    parser.receive_data(b"")
    with pytest.raises(h11.ProtocolError, match="closed the connection"):
        parser.next_event()


# -- the request line ------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "method", "target"),
    [
        (b"GET /a/b?c=1&d HTTP/1.1", b"GET", b"/a/b?c=1&d"),  # RFC 9112 §3.2.1 origin-form
        (b"GET http://h:8/p?q HTTP/1.1", b"GET", b"http://h:8/p?q"),  # §3.2.2 absolute-form
        (b"CONNECT h:443 HTTP/1.1", b"CONNECT", b"h:443"),  # §3.2.3 authority-form
        (b"OPTIONS * HTTP/1.1", b"OPTIONS", b"*"),  # §3.2.4 asterisk-form
        (b"M-SEARCH /%7E%20 HTTP/1.1", b"M-SEARCH", b"/%7E%20"),  # any token; still encoded
    ],
)
def test_request_line_method_and_target_as_sent(line: bytes, method: bytes, target: bytes):
    head = request(line + b"\r\nHost: h\r\n\r\n")
    assert (head.method, head.target) == (method, target)


@pytest.mark.parametrize(
    ("version", "seen", "keep_alive"),
    [(b"1.1", b"1.1", True), (b"1.0", b"1.0", False), (b"1.7", b"1.1", True)],
)
def test_http_version(version: bytes, seen: bytes, keep_alive: bool):
    # RFC 9110 §2.5: a higher minor version is answered as HTTP/1.1.
    head = request(b"GET / HTTP/" + version + b"\r\nHost: h\r\n\r\n")
    assert (head.http_version, head.keep_alive) == (seen, keep_alive)


def test_empty_lines_before_a_request_and_bare_lf_line_ends():
    # RFC 9112 §2.2: a server ignores CRLFs before the request line and
    # accepts a lone LF as a line terminator.
    found = parse(b"\r\n\n\r\nGET / HTTP/1.1\nHost: h\nX: 1\r\n\n")
    assert found == [
        h11.Request(b"GET", b"/", b"1.1", ((b"host", b"h"), (b"x", b"1"))),
        h11.EndOfMessage(),
    ]


def test_request_line_is_kept_for_the_log():
    parser = h11.RequestParser()
    parser.receive_data(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n")
    events(parser)
    assert parser.request_line == b"GET /a HTTP/1.1"
    parser.start_next_request()
    assert parser.request_line == b""
    parser.receive_data(b"BAD LINE\r\n")
    with pytest.raises(h11.ProtocolError):
        events(parser)
    assert parser.request_line == b"BAD LINE"  # also after a bad one
    too_long = h11.RequestParser()
    too_long.receive_data(b"GET /" + b"a" * 9000)
    with pytest.raises(h11.ProtocolError):
        events(too_long)
    assert too_long.request_line == b"GET /" + b"a" * 95  # its start, at most 100 bytes


# -- header fields ----------------------------------------------------------------


def test_header_names_lowered_values_kept_in_order():
    head = request(
        b"GET / HTTP/1.1\r\nHost: h\r\nX-Many: 1\r\nx-many: 2\r\nX-Empty:\r\n"
        b"X-Space: \t a  b \t \r\nX-Tab:a\tb\r\nX-Latin: caf\xe9\r\n\r\n"
    )
    assert head.headers == (
        (b"host", b"h"),
        (b"x-many", b"1"),  # repeated fields stay apart, in order
        (b"x-many", b"2"),
        (b"x-empty", b""),
        (b"x-space", b"a  b"),  # RFC 9112 §5: OWS around the value goes, inside stays
        (b"x-tab", b"a\tb"),
        (b"x-latin", b"caf\xe9"),  # obs-text is passed on as it came
    )


@pytest.mark.parametrize(
    ("version", "connection", "keep_alive"),
    [
        (b"1.1", None, True),
        (b"1.1", b"close", False),
        (b"1.1", b"keep-alive, Close", False),  # a list, matched without case
        (b"1.1", b"upgrade", True),
        (b"1.0", None, False),
        (b"1.0", b"Keep-Alive", True),
        (b"1.0", b"close", False),
    ],
)
def test_keep_alive_from_version_and_connection(
    version: bytes, connection: bytes | None, keep_alive: bool
):
    field = b"Connection: " + connection + b"\r\n" if connection is not None else b""
    head = request(b"GET / HTTP/" + version + b"\r\nHost: h\r\n" + field + b"\r\n")
    assert head.keep_alive is keep_alive


@pytest.mark.parametrize(
    ("version", "expect", "expect_continue"),
    [
        (b"1.1", b"100-continue", True),
        (b"1.1", b"100-Continue", True),  # RFC 9110 §10.1.1: case-insensitive
        (b"1.1", b"something-else", False),
        (b"1.0", b"100-continue", False),  # §10.1.1: ignored from HTTP/1.0 clients
    ],
)
def test_expect_100_continue(version: bytes, expect: bytes, expect_continue: bool):
    head = request(
        b"POST / HTTP/" + version + b"\r\nHost: h\r\nExpect: " + expect + b"\r\n"
        b"Content-Length: 1\r\n\r\nx"
    )
    assert head.expect_continue is expect_continue


def test_host_rules():
    assert request(b"GET / HTTP/1.0\r\n\r\n").headers == ()  # HTTP/1.0 needs no Host
    assert request(b"GET / HTTP/1.1\r\nHost:\r\n\r\n").headers == ((b"host", b""),)


def test_header_count_and_length_limits():
    hundred = b"GET / HTTP/1.1\r\nHost: h\r\n" + b"X: 1\r\n" * 99 + b"\r\n"
    assert len(request(hundred).headers) == 100  # the default limit, reached
    assert request(b"GET /abcdefgh HTTP/1.1\r\nHost: h\r\n\r\n", max_line=22).target == b"/abcdefgh"
    error = reject(b"GET /abcdefghi HTTP/1.1\r\nHost: h\r\n\r\n", max_line=22)
    assert (str(error), error.status_hint) == ("the request line is longer than 22 bytes", 414)
    assert request(b"GET / HTTP/1.1\r\nHost: 12345\r\n\r\n", max_field=11).headers
    error = reject(b"GET / HTTP/1.1\r\nHost: 123456\r\n\r\n", max_field=11)
    assert (str(error), error.status_hint) == ("the header line is longer than 11 bytes", 431)
    assert len(request(b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n", max_fields=2).headers) == 2
    error = reject(b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", max_fields=2)
    assert (str(error), error.status_hint) == ("more than 2 header lines", 431)


def test_a_line_of_just_the_limit_passes_however_its_crlf_is_split():
    line = b"GET /" + b"a" * (8192 - len(b"GET / HTTP/1.1")) + b" HTTP/1.1"
    assert len(line) == 8192  # the default max_line
    parser = h11.RequestParser()
    parser.receive_data(line + b"\r")  # the CR arrives, its LF not yet
    assert parser.next_event() is h11.NEED_DATA
    parser.receive_data(b"\nHost: h\r\n\r\n")
    assert parser.next_event().target == line[4:-9]
    error = reject(line + b"a\r\nHost: h\r\n\r\n")  # one byte more, split anywhere
    assert (str(error), error.status_hint) == ("the request line is longer than 8192 bytes", 414)


# -- message bodies ---------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"POST / HTTP/1.1\r\nHost: h\r\n\r\n",  # RFC 9112 §6.3: no framing, no body
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
)
def test_empty_bodies_give_no_data(data: bytes):
    found = parse(data)
    assert len(found) == 2 and found[1] == h11.EndOfMessage()


def test_content_length_values():
    assert request(b"POST / HTTP/1.1\r\nHost: h\r\n\r\n").content_length is None
    head = request(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n1234567")
    assert head.content_length == 7  # leading zeros are still 1*DIGIT
    same = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"
    assert parse(same)[1:] == [h11.Data(b"ok"), h11.EndOfMessage()]


def test_a_body_ends_at_its_content_length():
    found = parse(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1")
    assert found[1:] == [h11.Data(b"abc"), h11.EndOfMessage()]  # the rest is the next request


def test_body_data_comes_as_it_arrives():
    parser = h11.RequestParser()
    parser.receive_data(b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab")
    assert isinstance(parser.next_event(), h11.Request)
    assert parser.next_event() == h11.Data(b"ab")
    assert parser.next_event() is h11.NEED_DATA
    parser.receive_data(b"cdefg")
    assert parser.next_event() == h11.Data(b"cde")  # never past the body's end
    assert parser.next_event() == h11.EndOfMessage()
    assert parser.next_event() is h11.PAUSED


def test_chunk_sizes():
    # RFC 9112 §7.1: chunk-size is hex in either case; extensions are ignored.
    chunks = b"000A\r\n0123456789\r\na\r\nabcdefghij\r\n3 ;x=y\r\nxyz\r\n2\t\r\n!!\r\n0\r\n\r\n"
    found = parse(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n" + chunks)
    assert found[0].chunked and found[0].content_length is None
    assert body(found) == b"0123456789abcdefghijxyz!!"
    assert found[-1] == h11.EndOfMessage()


def test_trailers_are_read_and_dropped():
    found = parse(
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nok\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n"
    )
    assert found[1:] == [h11.Data(b"ok"), h11.EndOfMessage()]
    assert b"x-sum" not in dict(found[0].headers)


# -- malformed requests, with their status hints --------------------------------


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        # The request line (RFC 9112 §3).
        (b"GET / http/1.1\r\n", 400, "invalid request line 'GET / http/1.1'"),
        (b"GET  / HTTP/1.1\r\n", 400, "invalid request line"),
        (b"GET /a b HTTP/1.1\r\n", 400, "invalid request line"),
        (b"GET HTTP/1.1\r\n", 400, "invalid request line"),
        (b"GET /\xff HTTP/1.1\r\n", 400, "invalid request line 'GET /\\xff HTTP/1.1'"),
        (b"G(T / HTTP/1.1\r\n", 400, "invalid request line"),
        (b"GET / HTTP/3\r\n", 400, "invalid request line"),
        (b"GET / HTTP/0.9\r\n", 505, "HTTP/0 is not supported; send HTTP/1.1"),
        # Header fields (RFC 9112 §5, RFC 9110 §5.5).
        (b"GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400, "folded"),
        (b"GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400, "invalid header line ': v'"),
        (b"GET / HTTP/1.1\r\nHost: h\r\nnocolon\r\n\r\n", 400, "invalid header line"),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX(y): 1\r\n\r\n", 400, "invalid header line"),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", 400, "control character in the X"),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400, "control character"),
        # Content-Length (RFC 9110 §8.6).
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400, "invalid Content-Length"),
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", 400, "invalid Content"),
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", 400, "invalid Content"),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123456789\r\n\r\n",
            400,
            "invalid Content-Length",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
            400,
            "conflicting Content-Length values",
        ),
        # Transfer-Encoding (RFC 9112 §6.1).
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
            400,
            "the last Transfer-Encoding must be chunked",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n",
            501,
            "unsupported Transfer-Encoding 'gzip, chunked'",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            501,
            "unsupported Transfer-Encoding",
        ),
        # Chunked bodies (RFC 9112 §7.1).
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"11111111111111111\r\n",
            400,
            "invalid chunk size line",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\x01\r\n",
            400,
            "invalid chunk size line",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\rX",
            400,
            "a chunk is longer than its chunk size said",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnocolon\r\n",
            400,
            "invalid header line",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n folded\r\n",
            400,
            "folded",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: "
            + b"a" * 9000,
            431,
            "the trailer line is longer than 8192 bytes",
        ),
    ],
)
def test_malformed_requests(data: bytes, status: int, message: str):
    error = reject(data)
    assert error.status_hint == status
    assert message in str(error)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"GET / HT", "in the middle of the request line"),
        (b"GET / HTTP/1.1\r\nHost: h\r\n", "in the middle of the headers"),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nab",
            "before sending the whole body (Content-Length)",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5",
            "in the middle of a chunked body",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
            "in the middle of a chunk",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n",
            "in the middle of the trailer section",
        ),
    ],
)
def test_the_client_closing_mid_request(data: bytes, where: str):
    error = reject(data, close=True)
    assert (str(error), error.status_hint) == (f"the client closed the connection {where}", 400)


def test_a_failed_parser_stays_failed():
    parser = h11.RequestParser()
    parser.receive_data(b"NOT HTTP\r\n")
    with pytest.raises(h11.ProtocolError):
        parser.next_event()
    parser.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")  # too late
    with pytest.raises(h11.ProtocolError, match="the connection already failed") as caught:
        parser.next_event()
    assert caught.value.status_hint == 400


# -- one connection, request after request ----------------------------------------


def test_pipelined_requests_with_bodies():
    parser = h11.RequestParser()
    parser.receive_data(
        b"POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab"
        b"POST /2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nc\r\n0\r\nT: 1\r\n\r\n"
        b"\r\nGET /3 HTTP/1.1\r\nHost: h\r\n\r\n"
    )
    seen = []
    for _ in range(3):
        found = events(parser)
        seen.append((found[0].target, body(found), found[-1]))
        assert parser.next_event() is h11.PAUSED
        parser.start_next_request()
    assert seen == [
        (b"/1", b"ab", h11.EndOfMessage()),
        (b"/2", b"c", h11.EndOfMessage()),
        (b"/3", b"", h11.EndOfMessage()),
    ]
    assert parser.next_event() is h11.NEED_DATA
    parser.receive_data(b"")
    assert parser.next_event() == h11.ConnectionClosed()


def test_paused_until_the_next_request_is_asked_for():
    parser = h11.RequestParser()
    parser.receive_data(b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
    assert isinstance(parser.next_event(), h11.Request)
    with pytest.raises(RuntimeError, match="before the request was complete"):
        parser.start_next_request()
    assert parser.next_event() == h11.EndOfMessage()
    assert parser.next_event() is h11.PAUSED
    assert parser.next_event() is h11.PAUSED  # the next request waits, buffered
    parser.start_next_request()
    assert parser.next_event().target == b"/2"


@pytest.mark.parametrize("data", [b"", b"\r\n", b"\r\n\r\n"])
def test_a_close_between_requests_is_connection_closed(data: bytes):
    parser = h11.RequestParser()
    assert parser.next_event() is h11.NEED_DATA
    assert parse(data, close=True) == [h11.ConnectionClosed()]


def test_events_are_values():
    head = request(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    assert head == h11.Request(b"GET", b"/", b"1.1", ((b"host", b"h"),))
    assert hash(head) == hash(h11.Request(b"GET", b"/", b"1.1", ((b"host", b"h"),)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        head.target = b"/other"  # type: ignore[misc]
    assert h11.Data(b"x") == h11.Data(b"x") != h11.Data(b"y")
    assert (repr(h11.NEED_DATA), repr(h11.PAUSED)) == ("NEED_DATA", "PAUSED")


# -- the response side (moved from test_devserver.py) ---------------------------


def head_of(method: bytes = b"GET", version: bytes = b"1.1", **facts) -> h11.Request:
    return h11.Request(method, b"/", version, ((b"host", b"x"),), **facts)


def test_writer_frames_a_streamed_body_as_chunks():
    writer = h11.ResponseWriter(head_of())
    head = writer.head("200 OK", [("Content-Type", "text/plain")])
    assert head.startswith(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
    assert b"\r\nTransfer-Encoding: chunked\r\n" in head and b"Server: erlen-dev" in head
    assert head.endswith(b"\r\n\r\n") and b"Connection" not in head
    assert writer.data(b"hello world, hi") + writer.data(b"") == b"f\r\nhello world, hi\r\n"
    assert writer.end() == b"0\r\n\r\n"
    assert writer.keep_alive and writer.sent == 15


def test_writer_respects_and_enforces_content_length():
    writer = h11.ResponseWriter(head_of())
    head = writer.head("200 OK", [("Content-Length", "3"), ("Date", "then")])
    assert b"Transfer-Encoding" not in head and head.count(b"Date") == 1
    assert writer.data(b"abcdef") == b"abc"  # never more than announced
    assert not writer.keep_alive and "more than the 3 bytes" in writer.problem
    short = h11.ResponseWriter(head_of())
    short.head("200 OK", [], known_length=4)
    short.data(b"ab")
    assert short.end() == b"" and not short.keep_alive


def test_writer_http_1_0_and_head_and_no_content():
    old = h11.ResponseWriter(head_of(version=b"1.0", keep_alive=False))
    head = old.head("200 OK", [])
    assert b"Connection: close" in head and b"Transfer-Encoding" not in head
    assert old.data(b"raw") == b"raw" and old.end() == b""  # the close ends the body
    persistent = h11.ResponseWriter(head_of(version=b"1.0", keep_alive=True))
    assert b"Connection: keep-alive" in persistent.head("200 OK", [], known_length=0)
    head_request = h11.ResponseWriter(head_of(b"HEAD"))
    head = head_request.head("200 OK", [("Content-Length", "99")])
    assert b"Content-Length: 99" in head and head_request.data(b"x") == b""
    no_content = h11.ResponseWriter(head_of())
    head = no_content.head("204 No Content", [("Content-Length", "5")])
    assert b"Content-Length" not in head and b"Transfer-Encoding" not in head
    assert no_content.data(b"x") + no_content.end() == b""


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        ("200", [], "Invalid status"),
        ("101 Switching Protocols", [], "informational"),
        ("200 OK", [("Connection", "close")], "hop-by-hop"),
        ("200 OK", [("Transfer-Encoding", "chunked")], "hop-by-hop"),
        ("200 OK", [("X-Bad", "a\r\nSet-Cookie: evil=1")], "Invalid header"),
        ("200 OK", [("Bad Name", "1")], "Invalid header"),
        ("200 OK", [("X-Name", "caf\u00e9 \u2603")], "latin-1"),
        ("200 OK", [("Content-Length", "\u00b2")], "Content-Length"),
        ("200 OK", [("X", 1)], "must both be str"),
        ("200 OK", (("X", "1"),), "list"),
    ],
)
def test_check_response_head_refuses(status, headers, message):
    with pytest.raises((TypeError, ValueError), match=message):
        h11.check_response_head(status, headers)


def test_dump_error():
    data = h11.dump_error(431, "too many headers")
    reply = parse_response(data)
    assert reply.status == 431 and reply.getheader("Connection") == "close"
    assert reply.body == b"Request Header Fields Too Large: too many headers\n"


# -- the response side: more framing and checks ---------------------------------


def test_writer_sends_a_known_length_as_content_length():
    writer = h11.ResponseWriter(head_of())
    reply = parse_response(writer.head("200 OK", [("X", "1")], known_length=5) + b"hello")
    assert reply.getheader("Content-Length") == "5" and reply.getheader("Transfer-Encoding") is None
    assert writer.data(b"hel") + writer.data(b"lo") + writer.end() == b"hello"
    assert writer.keep_alive and writer.problem == "" and writer.sent == 5


def test_writer_finds_the_apps_content_length_in_any_case():
    writer = h11.ResponseWriter(head_of())
    head = writer.head("200 OK", [("content-length", "2")], known_length=99)
    assert b"Content-Length: 99" not in head and b"Transfer-Encoding" not in head
    assert writer.data(b"ok") + writer.end() == b"ok" and writer.keep_alive


def test_writer_not_modified_keeps_the_content_length_and_sends_no_body():
    # RFC 9110 §15.4.5: a 304 may carry the Content-Length the 200 would have.
    writer = h11.ResponseWriter(head_of())
    head = writer.head("304 Not Modified", [("Content-Length", "5")])
    reply = parse_response(head, bodiless=True)
    assert (reply.status, reply.getheader("Content-Length")) == (304, "5")
    assert writer.data(b"hello") + writer.end() == b"" and writer.keep_alive


def test_writer_head_request_without_a_length():
    writer = h11.ResponseWriter(head_of(b"HEAD"))
    reply = parse_response(writer.head("200 OK", [("Content-Type", "text/plain")]))
    assert reply.getheader("Content-Length") is None
    assert reply.getheader("Transfer-Encoding") is None
    assert writer.data(b"body") + writer.end() == b"" and writer.keep_alive


def test_writer_status_line_and_the_apps_date_and_server():
    writer = h11.ResponseWriter(head_of(version=b"1.0", keep_alive=True))
    head = writer.head("404 Not Found", [("Server", "mine"), ("Date", "today")], known_length=0)
    assert head.startswith(b"HTTP/1.1 404 Not Found\r\n")  # the server's version, always
    reply = parse_response(head)
    assert (reply.getheader("Server"), reply.getheader("Date")) == ("mine", "today")


@pytest.mark.parametrize(
    ("request_head", "close_first", "connection"),
    [
        (head_of(), False, None),
        (head_of(keep_alive=False), False, "close"),  # the client asked to close
        (head_of(), True, "close"),  # the server decided to close
        (head_of(version=b"1.0", keep_alive=True), False, "keep-alive"),
    ],
)
def test_writer_connection_header(request_head, close_first: bool, connection: str | None):
    writer = h11.ResponseWriter(request_head)
    if close_first:
        writer.keep_alive = False
    reply = parse_response(writer.head("200 OK", [], known_length=0))
    assert reply.getheader("Connection") == connection
    assert writer.keep_alive is (connection != "close")


@pytest.mark.parametrize(
    ("status", "headers", "code"),
    [
        ("200 OK", [], 200),
        ("404 Not Found", [("Content-Type", "text/html")], 404),
        ("599 Custom", [("X-Tab", "a\tb")], 599),
        ("200 ", [("Content-Length", "12")], 200),  # an empty reason phrase is allowed
        ("201 Created", [("X-Latin", "caf\u00e9")], 201),
    ],
)
def test_check_response_head_returns_the_code(status: str, headers, code: int):
    assert h11.check_response_head(status, headers) == code


@pytest.mark.parametrize(
    ("status", "headers", "error", "message"),
    [
        ("99 Low", [], ValueError, "Invalid status '99 Low'"),
        ("1000 High", [], ValueError, "Invalid status"),
        ("200 OK\r\nX: 1", [], ValueError, "Invalid status"),
        (b"200 OK", [], ValueError, "Invalid status"),
        ("200 OK", [("X", "1", "2")], TypeError, "Each header must be a"),
        ("200 OK", ["X: 1"], TypeError, "Each header must be a"),
        ("200 OK", [("Content-Length", "-1")], ValueError, "Invalid Content-Length '-1'"),
        ("200 OK", [("Keep-Alive", "timeout=5")], ValueError, "hop-by-hop header 'Keep-Alive'"),
        ("200 OK", [("upgrade", "h2c")], ValueError, "hop-by-hop"),
        ("200 OK", [("X", "a\x00b")], ValueError, "no spaces or controls"),
    ],
)
def test_check_response_head_refuses_more(status, headers, error, message: str):
    with pytest.raises(error) as caught:
        h11.check_response_head(status, headers)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "status",
    [400, 414, 431, 501, 505],  # every status_hint the parser gives
)
def test_dump_error_for_each_status_hint(status: int):
    reason = HTTPStatus(status).phrase  # 414's differs between Python versions
    reply = parse_response(h11.dump_error(status, "why"))
    assert (reply.status, reply.reason) == (status, reason)
    assert reply.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert reply.getheader("Connection") == "close"
    assert reply.body == f"{reason}: why\n".encode()


# -- linear time (issue 15) --------------------------------------------------------


def _parse_all(data: bytes, **limits: int) -> Callable[[], object]:
    def work() -> object:
        parser = h11.RequestParser(**limits)
        parser.receive_data(data)
        try:
            return events(parser)
        except h11.ProtocolError as error:
            return error

    return work


@pytest.mark.parametrize(
    "make",
    [
        lambda n: b"X-A: a" + b" " * n + b"b",  # OWS inside a value: the old regex's worst
        lambda n: b"X-A: a" + b"\t " * (n // 2) + b"b",
        lambda n: b"X-A:" + b" " * n,
        lambda n: b"X-A" + b" " * n + b": b",  # space before the colon: refused
        lambda n: b"X" * n + b": b",
        lambda n: b"X-A: " + b'"' * n,
    ],
    ids=["spaces", "tabs-spaces", "only-spaces", "space-before-colon", "long-name", "quotes"],
)
def test_header_lines_are_parsed_in_linear_time(make):
    def prepare(n: int) -> Callable[[], object]:
        return _parse_all(
            b"GET / HTTP/1.1\r\nHost: x\r\n" + make(n) + b"\r\n\r\n", max_field=n * 20
        )

    assert_linear(prepare)


@pytest.mark.parametrize(
    "make",
    [
        lambda n: b"GET /" + b"a" * n + b" HTTP/1.1",
        lambda n: b"GET " + b" " * n + b"/ HTTP/1.1",
        lambda n: b"G" * n + b" / HTTP/1.1",
        lambda n: b"GET /" + b" HTTP/1.1" * (n // 9),
    ],
    ids=["long-target", "spaces", "long-method", "versions"],
)
def test_request_lines_are_parsed_in_linear_time(make):
    def prepare(n: int) -> Callable[[], object]:
        return _parse_all(make(n) + b"\r\nHost: x\r\n\r\n", max_line=n * 20)

    assert_linear(prepare)


@pytest.mark.parametrize(
    "make",
    [
        lambda n: b"3" + b" " * n + b";x",
        lambda n: b"3;" + b";" * n,
        lambda n: b"3; a=" + b'"' * n,
        lambda n: b"0" * n,
    ],
    ids=["spaces", "semicolons", "quotes", "zeros"],
)
def test_chunk_size_lines_are_parsed_in_linear_time(make):
    head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

    def prepare(n: int) -> Callable[[], object]:
        return _parse_all(head + make(n) + b"\r\nabc\r\n0\r\n\r\n", max_field=n * 20)

    assert_linear(prepare)


def test_ten_header_lines_of_spaces_are_parsed_in_linear_time():
    # The report: ten lines, each a few KB of spaces between two
    # characters, kept the old parser busy for 10 s.
    def prepare(n: int) -> Callable[[], object]:
        lines = b"".join(b"X-%d: a%sb\r\n" % (i, b" " * n) for i in range(10))
        return _parse_all(b"GET / HTTP/1.1\r\nHost: x\r\n" + lines + b"\r\n", max_field=n * 20)

    assert_linear(prepare, n=512)
