"""Parse the bodies HTML forms send into fields and uploaded files.

Two encodings are understood: ``application/x-www-form-urlencoded``, parsed
with :func:`erlen.http.parse_qs`, and ``multipart/form-data`` (RFC 7578),
parsed with the push parser of the ``python-multipart`` library, imported only
when the first multipart body arrives. A body over a limit answers 413 naming
the setting to raise; a malformed body answers 400 saying what was wrong.
"""

from __future__ import annotations

import re
import typing as t
from urllib.parse import unquote

from .datastructures import FileStorage, MultiDict
from .exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from .headers import Headers
from .negotiation import parse_options_header
from .query import parse_qs

__all__ = ["parse_form_data", "parse_urlencoded"]

_CHUNK_SIZE = 64 * 1024

# RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace. Any printable ASCII
# is accepted (a few clients stray outside bchars), but not a trailing space.
_BOUNDARY_RE = re.compile(r"[ -~]*[!-~]")

# RFC 7578 §4.2 / RFC 6266 §4.1: disposition-parm = token "=" (token | quoted-string).
_DISPOSITION_PARAM_RE = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def parse_form_data(
    stream: t.Any,
    mimetype: str,
    options: dict[str, str],
    *,
    max_form_memory_size: int | None = 500_000,
    max_form_parts: int | None = 1_000,
    max_part_header_size: int = 8_192,
    spool_threshold: int = 512 * 1024,
    charset: str = "utf-8",
) -> tuple[MultiDict[str], MultiDict[FileStorage]]:
    """Parse a form body into ``(form, files)``.

    ``stream`` is read with ``read(n)`` until it returns ``b""``; the caller
    caps it to ``MAX_CONTENT_LENGTH``. ``mimetype`` and ``options`` are the
    request's Content-Type split by :func:`~erlen.http.parse_options_header`.
    Any other mimetype gives two empty dicts.

    File parts become :class:`~erlen.http.datastructures.FileStorage` objects whose
    ``filename`` is kept exactly as the client sent it (minus NUL bytes): never
    use it as a path without making it safe first.

    :param max_form_memory_size: total bytes of non-file field data.
    :param max_form_parts: fields plus files.
    :param max_part_header_size: bytes of headers of one multipart part.
    :param spool_threshold: file parts larger than this go to a temporary file.
    :raises BadRequest: the body is malformed.
    :raises RequestEntityTooLarge: the body exceeds one of the limits.
    """
    if mimetype == "application/x-www-form-urlencoded":
        return _parse_urlencoded(stream, max_form_memory_size, max_form_parts, charset), _empty()
    if mimetype == "multipart/form-data":
        reader = _MultipartReader(
            charset, max_form_memory_size, max_form_parts, max_part_header_size, spool_threshold
        )
        reader.parse(stream, options.get("boundary", ""))
        return reader.form, reader.files
    return _empty(), _empty()


def _too_large(what: str, setting: str) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(f"{what} Raise app.config['{setting}'] if this is expected.")


def _memory_too_large(limit: int) -> RequestEntityTooLarge:
    return _too_large(
        f"The form's fields (files not counted) hold more than {limit} bytes. "
        "Send large data as a file upload, or",
        "MAX_FORM_MEMORY_SIZE",
    )


def _empty() -> MultiDict[t.Any]:
    # perf: MultiDict() runs a Python __init__ (~0.4 us); an empty one needs none.
    return MultiDict.__new__(MultiDict)


def _parse_urlencoded(
    stream: t.Any, max_size: int | None, max_fields: int | None, charset: str
) -> MultiDict[str]:
    """Read a whole urlencoded body within ``max_size`` and parse it."""
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(_CHUNK_SIZE):
        chunks.append(chunk)
        size += len(chunk)
        if max_size is not None and size > max_size:
            raise _memory_too_large(max_size)
    # perf: a small body arrives in one chunk, so no join.
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return parse_urlencoded(body, max_fields, charset)


def parse_urlencoded(
    body: bytes,
    max_fields: int | None,
    charset: str = "utf-8",
    cls: type[MultiDict[str]] = MultiDict,
) -> MultiDict[str]:
    """Parse a whole urlencoded body into a ``cls`` instance.

    :raises RequestEntityTooLarge: more than ``max_fields`` fields.
    """
    form: MultiDict[str] = cls.__new__(cls)
    if not body:
        return form
    try:
        # Raw bytes that are not ``charset`` become U+FFFD here, escaped ones in parse_qs.
        pairs = parse_qs(body.decode(charset, "replace"), max_fields, charset)
    except ValueError:
        raise _too_large(f"The form has more than {max_fields} fields.", "MAX_FORM_PARTS") from None
    dict.update(form, pairs)  # perf: extend_pairs' fast path, one call fewer
    if len(form) != len(pairs):  # a key repeats: keep every value
        dict.clear(form)
        form.extend_pairs(pairs)
    return form


def _decode(data: bytes | bytearray, encoding: str | None, fallback: str) -> str:
    """Decode ``data``, bad bytes as U+FFFD, an unknown ``encoding`` as ``fallback``."""
    try:
        return data.decode(encoding or fallback, "replace")
    except LookupError:
        return data.decode(fallback, "replace")


def _parse_disposition(value: str) -> tuple[str, dict[str, str]]:
    """Split a Content-Disposition value into its type and parameters.

    Unlike :func:`~erlen.http.parse_options_header`, a quoted value loses only
    the backslash before ``"`` and ``\\``: browsers send Windows paths such as
    ``C:\\dir\\a.txt`` unescaped (HTML's multipart algorithm).
    """
    kind, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in _DISPOSITION_PARAM_RE.finditer(";" + rest):
        raw = match.group(2).strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        params.setdefault(match.group(1).lower(), raw)
    return kind.strip().lower(), params


def _decode_ext_value(value: str, fallback: str) -> str:
    """Decode an RFC 5987 §3.2 ext-value such as ``UTF-8''na%C3%AFve.txt``."""
    encoding, _, rest = value.partition("'")
    _language, found, text = rest.partition("'")
    if not found:
        return unquote(value, fallback, "replace")
    try:
        return unquote(text, encoding or fallback, "replace")
    except LookupError:
        return unquote(text, fallback, "replace")


class _MultipartReader:
    """Callbacks for python-multipart's parser that build ``form`` and ``files``."""

    def __init__(
        self,
        charset: str,
        max_memory: int | None,
        max_parts: int | None,
        max_header_size: int,
        spool_threshold: int,
    ) -> None:
        self.charset = charset
        self.max_memory = max_memory
        self.max_parts = max_parts
        self.max_header_size = max_header_size
        self.spool_threshold = spool_threshold
        self.form: MultiDict[str] = MultiDict()
        self.files: MultiDict[FileStorage] = MultiDict()
        self.opened: list[t.Any] = []  # every temporary file, closed on error
        self.parts = self.memory = 0
        self.ended = False
        self._start_part()

    def _start_part(self) -> None:
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.header_size = 0
        self.headers: Headers | None = None
        self.name: str | None = None
        self.filename: str | None = None
        self.content_type: str | None = None
        self.file: t.Any = None  # the part's temporary file, None for a field
        self.data = bytearray()  # the part's value, for a field

    def parse(self, stream: t.Any, boundary: str) -> None:
        """Feed ``stream`` to the parser; on any error close the files made."""
        if not boundary:
            raise BadRequest(
                "The multipart/form-data request has no boundary in its Content-Type header "
                "(expected 'multipart/form-data; boundary=...'). Let the HTTP client set the "
                "Content-Type of a multipart body itself, as it picks the boundary."
            )
        if len(boundary) > 70:
            raise BadRequest(
                f"The multipart/form-data boundary is {len(boundary)} characters long; "
                "RFC 2046 §5.1.1 allows at most 70."
            )
        if not _BOUNDARY_RE.fullmatch(boundary):
            raise BadRequest(
                f"The multipart/form-data boundary {boundary!r} is invalid: it must be "
                "printable ASCII and not end with a space (RFC 2046 §5.1.1)."
            )
        from python_multipart.exceptions import MultipartParseError
        from python_multipart.multipart import MultipartParser

        parser = MultipartParser(
            boundary.encode("ascii"),
            {
                "on_part_begin": self.on_part_begin,
                "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value,
                "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished,
                "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end,
                "on_end": self.on_end,
            },
            # Our own count bounds the sum; these only stop the parser's own checks
            # from firing first (each header line costs at least 4 bytes).
            max_header_count=self.max_header_size // 4 + 1,
            max_header_size=self.max_header_size,
        )
        # The parser logs a warning for each malformed body; the 400 already says
        # it, and a hostile client should not be able to fill the server's logs.
        import logging

        parser.logger = logging.Logger("python_multipart.multipart")
        parser.logger.disabled = True
        received = 0
        try:
            while chunk := stream.read(_CHUNK_SIZE):
                received += len(chunk)
                parser.write(chunk)
            if received and not self.ended:
                raise BadRequest(
                    "The multipart/form-data body ended before its closing boundary "
                    f"('--{boundary}--'): the upload was cut off or the body is malformed."
                )
        except HTTPException:
            self.close()
            raise
        except MultipartParseError as error:
            self.close()
            if str(error).startswith("Maximum header"):
                raise self._headers_too_large() from None
            raise BadRequest(
                f"The multipart/form-data body is malformed ({error}). Parts must be "
                "separated by '--' + the boundary from the Content-Type, with CRLF line ends."
            ) from None
        except (ValueError, LookupError) as error:  # python-multipart's FormParserError too
            self.close()
            raise BadRequest(
                f"The multipart/form-data body could not be parsed: {error}."
            ) from None
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close every temporary file created so far."""
        for file in self.opened:
            file.close()

    def _headers_too_large(self) -> RequestEntityTooLarge:
        return _too_large(
            f"The headers of a part of the multipart/form-data body exceed "
            f"{self.max_header_size} bytes.",
            "MAX_FORM_PART_HEADER_SIZE",
        )

    def _count_header(self, size: int) -> None:
        self.header_size += size
        if self.header_size > self.max_header_size:
            raise self._headers_too_large()

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.max_parts is not None and self.parts > self.max_parts:
            raise _too_large(
                f"The multipart/form-data body has more than {self.max_parts} parts "
                "(fields and files).",
                "MAX_FORM_PARTS",
            )
        self._start_part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self._count_header(4)  # ": " and CRLF
        self.raw_headers.append((bytes(self.header_name), bytes(self.header_value)))
        self.header_name = bytearray()
        self.header_value = bytearray()

    def on_headers_finished(self) -> None:
        # Names are tokens (checked by the parser); browsers send values in the form's charset.
        pairs = [
            (k.decode("latin-1"), _decode(v, self.charset, "utf-8")) for k, v in self.raw_headers
        ]
        self.headers = Headers._trusted(pairs)
        disposition = self.headers.get("Content-Disposition")
        if disposition is None:
            raise BadRequest(
                "A part of the multipart/form-data body has no Content-Disposition header; "
                "RFC 7578 §4.2 requires 'Content-Disposition: form-data; name=\"...\"'."
            )
        kind, params = _parse_disposition(disposition)
        if kind != "form-data" or "name" not in params:
            raise BadRequest(
                f"A part of the multipart/form-data body has 'Content-Disposition: "
                f"{disposition}'; RFC 7578 §4.2 requires 'form-data; name=\"...\"'."
            )
        self.name = params["name"]
        self.content_type = self.headers.get("Content-Type")
        if "filename*" in params:  # RFC 6266 §4.3: filename* wins over filename
            self.filename = _decode_ext_value(params["filename*"], self.charset)
        else:
            self.filename = params.get("filename")
        if self.filename is not None:
            import tempfile

            self.filename = self.filename.replace("\x00", "")
            if self.spool_threshold > 0:
                self.file = tempfile.SpooledTemporaryFile(max_size=self.spool_threshold)
            else:  # SpooledTemporaryFile treats 0 as "never roll over"
                self.file = tempfile.TemporaryFile()
            self.opened.append(self.file)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.file is not None:
            self.file.write(data[start:end])
            return
        self.memory += end - start
        if self.max_memory is not None and self.memory > self.max_memory:
            raise _memory_too_large(self.max_memory)
        self.data += data[start:end]

    def on_part_end(self) -> None:
        if self.name is None:  # unreachable: the parser sends headers first
            raise BadRequest("A part of the multipart/form-data body has no headers.")
        if self.file is not None:
            self.file.seek(0)
            storage = FileStorage(
                self.file, self.filename, self.name, self.content_type, self.headers
            )
            self.files.add(self.name, storage)
        else:
            charset = None
            if self.content_type:
                charset = parse_options_header(self.content_type)[1].get("charset")
            self.form.add(self.name, _decode(self.data, charset, self.charset))
        self.name = None
        self.file = None

    def on_end(self) -> None:
        self.ended = True
