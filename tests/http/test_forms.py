"""Form body parsing: urlencoded and multipart, bytes in, values out."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import tempfile

import pytest

from erlen.http.datastructures import FileStorage, MultiDict
from erlen.http.exceptions import BadRequest, RequestEntityTooLarge
from erlen.http.forms import parse_form_data

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
BOUNDARY = "----erlenBoundary7MA4YWxk"


def urlencoded(body: bytes, **limits):
    form, files = parse_form_data(io.BytesIO(body), URLENCODED, {}, **limits)
    assert files == MultiDict()
    return form


def part(name: str | None = "field", data: bytes = b"", *, filename=None, headers=()) -> bytes:
    """Build one multipart part (without its boundary line)."""
    disposition = "form-data"
    if name is not None:
        disposition += f'; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    lines = [f"Content-Disposition: {disposition}".encode(), *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + data


def body(*parts: bytes, boundary: str = BOUNDARY) -> bytes:
    delimiter = b"--" + boundary.encode()
    return b"".join(delimiter + b"\r\n" + p + b"\r\n" for p in parts) + delimiter + b"--\r\n"


_parsed_files: list[FileStorage] = []


@pytest.fixture(autouse=True)
def _close_files():
    """Close every parsed upload, as the request does at its end."""
    yield
    while _parsed_files:
        _parsed_files.pop().close()


def multipart(data: bytes, boundary: str = BOUNDARY, stream=None, **limits):
    stream = stream if stream is not None else io.BytesIO(data)
    form, files = parse_form_data(stream, MULTIPART, {"boundary": boundary}, **limits)
    _parsed_files.extend(f for _, f in files.items(multi=True))
    return form, files


class TrickleStream:
    """A stream that returns at most ``size`` bytes per read, like a slow socket."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size = io.BytesIO(data), size

    def read(self, n: int) -> bytes:
        return self.data.read(min(n, self.size))


# --- urlencoded ---------------------------------------------------------------


def test_urlencoded_basic():
    form = urlencoded(b"name=Ada&lang=python")
    assert form.to_dict() == {"name": "Ada", "lang": "python"}


def test_urlencoded_repeated_keys_keep_order():
    form = urlencoded(b"tag=a&x=1&tag=b&tag=c")
    assert form.getlist("tag") == ["a", "b", "c"]
    assert form["tag"] == "a"


def test_urlencoded_blank_values_kept():
    form = urlencoded(b"a=&b&c=1")
    assert form.getlist("a") == [""]
    assert form.getlist("b") == [""]


def test_urlencoded_plus_and_percent_decoding():
    form = urlencoded(b"q=hello+world&e=%E2%82%AC&amp=a%26b%3Dc&plus=%2B")
    assert form["q"] == "hello world"
    assert form["e"] == "\u20ac"
    assert form["amp"] == "a&b=c"
    assert form["plus"] == "+"


def test_urlencoded_malformed_escapes_kept():
    form = urlencoded(b"a=%zz&b=100%&c=%4")
    assert form.to_dict() == {"a": "%zz", "b": "100%", "c": "%4"}


def test_urlencoded_non_utf8_becomes_replacement_character():
    form = urlencoded(b"escaped=%FF%FEok&raw=\xff\xfeok&utf8=caf\xc3\xa9")
    assert form["escaped"] == "\ufffd\ufffdok"
    assert form["raw"] == "\ufffd\ufffdok"
    assert form["utf8"] == "caf\u00e9"


def test_urlencoded_other_charset():
    form, _ = parse_form_data(io.BytesIO(b"a=%E9"), URLENCODED, {}, charset="latin-1")
    assert form["a"] == "\u00e9"


def test_urlencoded_empty_body():
    assert urlencoded(b"") == MultiDict()


def test_urlencoded_read_in_small_chunks():
    data = b"&".join(b"k%d=%d" % (i, i) for i in range(50))
    form, _ = parse_form_data(TrickleStream(data, 3), URLENCODED, {})
    assert form["k49"] == "49"


def test_urlencoded_memory_limit():
    assert urlencoded(b"a=" + b"x" * 8, max_form_memory_size=10)["a"] == "x" * 8
    with pytest.raises(RequestEntityTooLarge) as info:
        urlencoded(b"a=" + b"x" * 9, max_form_memory_size=10)
    assert "MAX_FORM_MEMORY_SIZE" in info.value.description
    assert urlencoded(b"a=" + b"x" * 100_000, max_form_memory_size=None)["a"] == "x" * 100_000


def test_urlencoded_too_many_fields():
    assert len(urlencoded(b"&".join([b"a=1"] * 5), max_form_parts=5).getlist("a")) == 5
    with pytest.raises(RequestEntityTooLarge) as info:
        urlencoded(b"&".join([b"a=1"] * 6), max_form_parts=5)
    assert "MAX_FORM_PARTS" in info.value.description
    assert len(urlencoded(b"&".join([b"a=1"] * 5000), max_form_parts=None).getlist("a")) == 5000


def test_empty_results_are_plain_multidicts():
    form, files = parse_form_data(io.BytesIO(b""), URLENCODED, {})
    assert type(form) is MultiDict and vars(form) == vars(MultiDict())
    form.add("a", "1")
    assert files == MultiDict() and form["a"] == "1"


def test_other_mimetype_gives_empty_dicts():
    form, files = parse_form_data(io.BytesIO(b'{"a": 1}'), "application/json", {})
    assert form == MultiDict() and files == MultiDict()


# --- multipart: values --------------------------------------------------------


def test_multipart_fields_and_files():
    data = body(
        part("title", b"Hello"),
        part("upload", b"file content", filename="a.txt", headers=[b"Content-Type: text/plain"]),
        part("title", b"again"),
    )
    form, files = multipart(data)
    assert form.getlist("title") == ["Hello", "again"]
    upload = files["upload"]
    assert isinstance(upload, FileStorage)
    assert upload.name == "upload"
    assert upload.filename == "a.txt"
    assert upload.content_type == "text/plain"
    assert upload.headers.get("content-type") == "text/plain"
    assert upload.stream.tell() == 0
    assert upload.read() == b"file content"


def test_multipart_file_default_content_type_and_binary_data():
    payload = bytes(range(256)) * 4 + b"\r\n--" + BOUNDARY.encode()[:-1]
    form, files = multipart(body(part("bin", payload, filename="b.bin")))
    assert files["bin"].content_type == "application/octet-stream"
    assert files["bin"].read() == payload


def test_multipart_several_files_same_name():
    data = body(part("f", b"1", filename="1.txt"), part("f", b"2", filename="2.txt"))
    _, files = multipart(data)
    assert [f.read() for f in files.getlist("f")] == [b"1", b"2"]


def test_multipart_large_file_round_trips_through_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # NamedTemporaryFile shows the spooled file in tmp_path (TemporaryFile has no name).
    monkeypatch.setattr(tempfile, "TemporaryFile", tempfile.NamedTemporaryFile)
    big = random.Random(7).randbytes(2 * 1024 * 1024)
    _, files = multipart(body(part("small", b"tiny", filename="s"), part("big", big, filename="b")))
    assert len(list(tmp_path.iterdir())) == 1  # only the big file went to disk
    assert files["big"].read() == big
    assert files["small"].read() == b"tiny"
    files["big"].close()
    assert list(tmp_path.iterdir()) == []


def test_multipart_spool_threshold_zero_goes_to_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(tempfile, "TemporaryFile", tempfile.NamedTemporaryFile)
    _, files = multipart(body(part("f", b"x", filename="x")), spool_threshold=0)
    assert len(list(tmp_path.iterdir())) == 1
    assert files["f"].read() == b"x"


def test_multipart_read_in_small_chunks():
    data = body(
        part("a", b"one\r\ntwo\r\n--not-the-boundary"),
        part("f", b"x" * 1000, filename="f.txt", headers=[b"Content-Type: text/csv"]),
    )
    form, files = multipart(data, stream=TrickleStream(data, 7))
    assert form["a"] == "one\r\ntwo\r\n--not-the-boundary"
    assert files["f"].read() == b"x" * 1000
    assert files["f"].content_type == "text/csv"


def test_multipart_filename_star():
    disposition = (
        "Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''na%C3%AFve%20%E2%82%AC.txt"
    )
    data = body(disposition.encode() + b"\r\n\r\ndata")
    _, files = multipart(data)
    assert files["f"].filename == "na\u00efve \u20ac.txt"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            "filename=\"fallback.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
            "r\u00e9sum\u00e9.pdf",
        ),
        ("filename*=iso-8859-1'en'%E9t%E9.txt", "\u00e9t\u00e9.txt"),
        ("filename*=x-unknown''a%C3%A9", "a\u00e9"),
        ("filename*=no-quotes%20here", "no-quotes here"),
        ('filename="C:\\Users\\ada\\a.txt"', "C:\\Users\\ada\\a.txt"),
        ('filename="say \\"hi\\".txt"', 'say "hi".txt'),
        ('filename="../../etc/passwd"', "../../etc/passwd"),
        ('filename="nul\x00byte.txt"', "nulbyte.txt"),
        ("filename=bare.txt", "bare.txt"),
    ],
)
def test_multipart_filenames_kept_as_sent(params, expected):
    data = body(f'Content-Disposition: form-data; name="f"; {params}'.encode() + b"\r\n\r\nd")
    _, files = multipart(data)
    assert files["f"].filename == expected


def test_multipart_raw_utf8_filename_and_name():
    data = body(part("\u00e4", b"v", filename="\u65e5\u672c.txt"))
    _, files = multipart(data)
    assert files["\u00e4"].filename == "\u65e5\u672c.txt"


def test_multipart_empty_filename_is_a_file():
    # What a browser sends for a file input left empty.
    data = body(part("f", b"", filename="", headers=[b"Content-Type: application/octet-stream"]))
    form, files = multipart(data)
    assert "f" not in form
    assert files["f"].filename == ""
    assert not files["f"]
    assert files["f"].read() == b""


def test_multipart_field_charsets():
    data = body(
        part(
            "latin",
            "\u00e9t\u00e9".encode("latin-1"),
            headers=[b"Content-Type: text/plain; charset=latin-1"],
        ),
        part("bad", b"ok\xff\xfe"),
        part("unknown", b"caf\xc3\xa9", headers=[b"Content-Type: text/plain; charset=x-nope"]),
        part("empty", b""),
    )
    form, _ = multipart(data)
    assert form["latin"] == "\u00e9t\u00e9"
    assert form["bad"] == "ok\ufffd\ufffd"
    assert form["unknown"] == "caf\u00e9"
    assert form["empty"] == ""


def test_multipart_save(tmp_path):
    _, files = multipart(body(part("f", b"saved bytes", filename="x.txt")))
    files["f"].save(tmp_path / "out.bin")
    assert (tmp_path / "out.bin").read_bytes() == b"saved bytes"
    files["f"].seek(0)
    target = io.BytesIO()
    files["f"].save(target)
    assert target.getvalue() == b"saved bytes"


def test_multipart_preamble_crlf_and_epilogue_ignored():
    data = b"\r\n" + body(part("a", b"1")) + b"epilogue text\r\n"
    form, _ = multipart(data)
    assert form["a"] == "1"


def test_multipart_quoted_boundary_chars():
    boundary = "simple boundary'()+_,-./:=?"
    form, _ = multipart(body(part("a", b"1"), boundary=boundary), boundary=boundary)
    assert form["a"] == "1"


def test_multipart_empty_body():
    assert multipart(b"") == (MultiDict(), MultiDict())


def test_multipart_no_parts():
    assert multipart(b"--" + BOUNDARY.encode() + b"--\r\n") == (MultiDict(), MultiDict())


# --- multipart: limits --------------------------------------------------------


def test_multipart_too_many_parts():
    data = body(*[part(f"f{i}", b"v") for i in range(5)])
    assert len(multipart(data, max_form_parts=5)[0]) == 5
    with pytest.raises(RequestEntityTooLarge) as info:
        multipart(data, max_form_parts=4)
    assert "MAX_FORM_PARTS" in info.value.description


def test_multipart_thousands_of_parts():
    data = body(*[part("f", b"%d" % i) for i in range(5000)])
    with pytest.raises(RequestEntityTooLarge) as info:
        multipart(data)  # default limit: 1000
    assert "MAX_FORM_PARTS" in info.value.description
    form, _ = multipart(data, max_form_parts=None)
    assert len(form.getlist("f")) == 5000


def test_multipart_files_count_as_parts():
    data = body(part("a", b"1"), part("f", b"x", filename="f"))
    with pytest.raises(RequestEntityTooLarge) as info:
        multipart(data, max_form_parts=1)
    assert "MAX_FORM_PARTS" in info.value.description


def test_multipart_field_memory_is_summed_over_fields():
    data = body(part("a", b"x" * 60), part("b", b"y" * 60))
    assert len(multipart(data, max_form_memory_size=120)[0]) == 2
    with pytest.raises(RequestEntityTooLarge) as info:
        multipart(data, max_form_memory_size=100)
    assert "MAX_FORM_MEMORY_SIZE" in info.value.description
    assert multipart(data, max_form_memory_size=None)[0]["b"] == "y" * 60


def test_multipart_files_not_counted_in_memory_limit():
    _, files = multipart(body(part("f", b"z" * 10_000, filename="z")), max_form_memory_size=100)
    assert files["f"].read() == b"z" * 10_000


@pytest.mark.parametrize(
    "headers",
    [
        [b"X-Big: " + b"v" * 300],
        [b"X-H%d: vvvvvvvvvv" % i for i in range(30)],
        [b"X-" + b"n" * 300 + b": v"],
    ],
    ids=["one-long-value", "many-headers", "long-name"],
)
def test_multipart_part_header_size(headers):
    data = body(part("a", b"1", headers=headers))
    assert multipart(data, max_part_header_size=1000)[0]["a"] == "1"
    with pytest.raises(RequestEntityTooLarge) as info:
        multipart(data, max_part_header_size=200)
    assert "MAX_FORM_PART_HEADER_SIZE" in info.value.description


def test_multipart_default_header_limit_allows_common_headers():
    headers = [b"Content-Type: text/plain; charset=utf-8", b"Content-Transfer-Encoding: 8bit"]
    headers += [b"X-Extra-%d: value" % i for i in range(10)]
    assert multipart(body(part("a", b"1", headers=headers)))[0]["a"] == "1"


# --- multipart: malformed input -----------------------------------------------


@pytest.mark.parametrize(
    "options",
    [{}, {"boundary": ""}, {"charset": "utf-8"}],
    ids=["absent", "empty", "other-params-only"],
)
def test_multipart_missing_boundary(options):
    with pytest.raises(BadRequest) as info:
        parse_form_data(io.BytesIO(body(part())), MULTIPART, options)
    assert "no boundary" in info.value.description


@pytest.mark.parametrize(
    ("boundary", "word"),
    [("b" * 71, "70"), ("x" * 10_000, "70"), ("caf\u00e9", "ASCII"), ("trailing ", "space")],
    ids=["71-chars", "huge", "non-ascii", "trailing-space"],
)
def test_multipart_bad_boundary(boundary, word):
    with pytest.raises(BadRequest) as info:
        multipart(body(part(), boundary=boundary), boundary=boundary)
    assert word in info.value.description


def test_multipart_70_char_boundary_is_fine():
    boundary = "b" * 70
    assert multipart(body(part("a", b"1"), boundary=boundary), boundary=boundary)[0]["a"] == "1"


VALID = body(part("a", b"1"), part("f", b"data", filename="f.txt"))
B = BOUNDARY.encode()


@pytest.mark.parametrize(
    ("data", "word"),
    [
        (b"hello world", "malformed"),
        (b"--other\r\n" + part("a", b"1") + b"\r\n--other--\r\n", "malformed"),
        (b"preamble text\r\n" + VALID, "malformed"),
        (VALID.replace(b"\r\n", b"\n"), "malformed"),
        (VALID[: VALID.index(b"\r\n\r\n")], "closing boundary"),
        (VALID[: VALID.index(b"data") + 2], "closing boundary"),
        (VALID[: -len(b"--\r\n")], "closing boundary"),
        (VALID[:-4] + b"\r\n", "closing boundary"),
        (b"\r\n\r\n", "closing boundary"),
        (
            b"--" + B + b"\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + B + b"--",
            "Content-Disposition",
        ),
        (b"--" + B + b"\r\n\r\nx\r\n--" + B + b"--", "Content-Disposition"),
        (body(part(None, b"nameless")), "name"),
        (body(b'Content-Disposition: attachment; name="a"\r\n\r\nx'), "form-data"),
        (body(b'Content-Disposition: form-data; filename="a.txt"\r\n\r\nx'), "name"),
        (body(b'Bad Header: x\r\nContent-Disposition: form-data; name="a"\r\n\r\nx'), "malformed"),
        (body(b': empty name\r\nContent-Disposition: form-data; name="a"\r\n\r\nx'), "malformed"),
        (body(b"No colon here\r\n\r\nx"), "malformed"),
        (b"--" + B + b"\r\r\n", "malformed"),
    ],
    ids=[
        "no-boundary-in-body",
        "wrong-boundary",
        "text-preamble",
        "lf-line-ends",
        "truncated-in-headers",
        "truncated-in-data",
        "no-final-boundary",
        "final-boundary-without-dashes",
        "only-blank-lines",
        "no-content-disposition",
        "no-headers",
        "no-name",
        "not-form-data",
        "file-without-name",
        "space-in-header-name",
        "empty-header-name",
        "header-without-colon",
        "bad-crlf-after-boundary",
    ],
)
def test_multipart_malformed(data, word):
    with pytest.raises(BadRequest) as info:
        multipart(data)
    assert word in info.value.description


def test_multipart_every_truncation_is_ok_or_400():
    for end in range(len(VALID)):
        try:
            multipart(VALID[:end])
        except BadRequest as error:
            assert "multipart" in error.description or "Content-Disposition" in error.description


def test_multipart_random_corruption_only_raises_http_errors():
    rng = random.Random(1234)
    for _ in range(2000):
        data = bytearray(VALID)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            multipart(bytes(data), max_form_parts=3)
        except (BadRequest, RequestEntityTooLarge):
            pass


# --- multipart: cleanup -------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "error"),
    [
        (b"--" + B + b"\r\n" + part("g", b"trunc", filename="g"), BadRequest),
        (b"--" + B + b"\r\n" + part("c", b"1") + b"\r\n" + body(part("d")), RequestEntityTooLarge),
        (b"--" + B + b"\r\n" + part(None, b"x"), BadRequest),
    ],
    ids=["truncated", "too-many-parts", "no-name"],
)
def test_multipart_no_temp_files_leak_on_error(tmp_path, monkeypatch, tail, error):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(tempfile, "TemporaryFile", tempfile.NamedTemporaryFile)
    created = []
    spooled = tempfile.SpooledTemporaryFile

    def tracking(*args, **kwargs):
        created.append(spooled(*args, **kwargs))
        return created[-1]

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", tracking)
    big = b"b" * 300_000
    data = b"--" + B + b"\r\n" + part("a", big, filename="a") + b"\r\n"
    data += b"--" + B + b"\r\n" + part("s", b"small", filename="s") + b"\r\n" + tail
    with pytest.raises(error):
        multipart(data, spool_threshold=1000, max_form_parts=3)
    assert len(created) >= 2
    assert all(f.closed for f in created)
    assert list(tmp_path.iterdir()) == []


def test_python_multipart_imported_lazily():
    code = (
        "import sys, erlen.http.forms\n"
        "assert 'python_multipart' not in sys.modules, 'imported at module import time'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
