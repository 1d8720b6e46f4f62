"""Files as responses: :func:`send_file`, :func:`send_from_directory`, :func:`safe_join`.

A file is streamed in chunks straight from the open file, never read whole;
the file is closed when the response is. Responses carry validators (ETag,
Last-Modified) and answer conditional requests (304, RFC 9110 §13) and byte
ranges (206, RFC 9110 §14).
"""

from __future__ import annotations

import errno
import io
import mimetypes
import os
import re
import stat
import typing as t
import unicodedata
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import quote

from .ctx import _NO_APP, AppContext, _cv
from .http.dates import http_date, parse_date, parse_etags, quote_etag, unquote_etag
from .http.exceptions import NotFound, PreconditionFailed, RangeNotSatisfiable
from .http.headers import Headers, check_header
from .response import Response, _content_type_for

if t.TYPE_CHECKING:
    from .request import Request

__all__ = ["send_file", "send_from_directory", "safe_join"]

#: Bytes read from the file per chunk of the response body.
CHUNK_SIZE = 64 * 1024

MaxAge = t.Union[int, timedelta, Callable[[str | None], int | None], None]

# O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
# (it is refused after fstat anyway); it changes nothing for regular files.
# O_NOCTTY: opening a terminal must not make it the controlling terminal.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
)

# What "no such file" looks like from os.open on a path a client chose.
_MISSING_ERRNOS = frozenset(
    (errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.ELOOP, errno.EINVAL)
)

# A compressed file is sent as what it is (a .tar.gz downloads as a gzip
# file), not with Content-Encoding, which makes browsers unpack it.
_ENCODING_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
}

# RFC 5987 §3.2.1: attr-char, beside letters and digits (kept by quote()).
_ATTR_CHARS = "!#$&+-.^_`|~"
# Never in a Content-Disposition file name: controls (header injection) and
# the quoted-string delimiters.
_UNSAFE_NAME_RE = re.compile(r'[\x00-\x1f\x7f"\\]')


# -- the public functions ----------------------------------------------------


def send_file(
    path_or_file: str | os.PathLike[str] | t.IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: MaxAge = None,
) -> Response:
    """Return a response that sends a file to the client.

    ``path_or_file`` is a path (a relative one is taken from the app's
    ``root_path``) or a binary file object, read from its current position
    and closed when the response is. Never pass a path a user chose: use
    :func:`send_from_directory` for that.

    ::

        @app.get("/report")
        def report():
            return send_file("reports/q3.pdf", as_attachment=True)

    :param mimetype: the ``Content-Type``; guessed from ``download_name`` or
        the file name when not given (``application/octet-stream`` if unknown).
    :param as_attachment: ask the browser to save the file rather than show it.
    :param download_name: the file name the browser sees (default: the file's).
    :param conditional: answer ``If-None-Match``/``If-Modified-Since`` with 304
        and ``Range`` with 206.
    :param etag: ``True`` makes one from the file's path, size and time; a
        string is used as the ETag; ``False`` sends none.
    :param last_modified: the ``Last-Modified`` time (default: the file's).
    :param max_age: seconds browsers may cache the file without asking
        (``Cache-Control: public, max-age=N``); ``None`` sends ``no-cache``,
        so browsers revalidate each time (cheap: a 304). A callable gets the
        path and returns either.
    """
    context = _cv.get(None)
    size: int | None
    if isinstance(path_or_file, (str, os.PathLike)):
        given = os.fspath(path_or_file)
        if not os.path.isabs(given):
            given = os.path.join(_root_path(context), given)
        fd, status = _open_regular(given)
        path: str | None = given
        file: t.IO[bytes] | None = None
        size, start = status.st_size, 0
        mtime: float | None = status.st_mtime
        name: str | None = given
    else:
        path, fd, file, mtime = None, -1, path_or_file, None
        if isinstance(file, io.TextIOBase):
            raise TypeError(
                f"send_file() got a text file {file!r}; it sends bytes. Open the file in "
                "binary mode: open(path, 'rb')."
            )
        name = getattr(file, "name", None)
        if not isinstance(name, str):
            name = None
        size, start = _measure(file)
    try:
        return _respond(
            context,
            path,
            fd,
            file,
            name,
            size,
            start,
            mtime,
            mimetype,
            as_attachment,
            download_name,
            conditional,
            etag,
            last_modified,
            max_age,
        )
    except BaseException:
        _close(fd, file)
        raise


def send_from_directory(
    directory: str | os.PathLike[str], path: str | os.PathLike[str], **kwargs: t.Any
) -> Response:
    """Return a response that sends the file ``path`` from ``directory``.

    ``path`` may come from the client (a URL part): it is joined with
    :func:`safe_join`, so it can never reach outside ``directory``. Anything
    unsafe, missing, or not a regular file is a 404. A relative ``directory``
    is taken from the app's ``root_path``. ``kwargs`` go to :func:`send_file`.

    ::

        @app.get("/uploads/<path:name>")
        def upload(name):
            return send_from_directory("uploads", name)
    """
    directory = os.fspath(directory)
    if not os.path.isabs(directory):
        directory = os.path.join(_root_path(_cv.get(None)), directory)
    target = safe_join(directory, path)
    if target is None:
        raise NotFound()
    try:
        return send_file(target, **kwargs)
    except OSError as error:
        # Only opening the file raises OSError in send_file (reads come later).
        if error.errno in _MISSING_ERRNOS:
            raise NotFound() from None
        raise


# Windows opens these as devices in any folder, with any extension.
_RESERVED_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{device}{n}" for device in ("COM", "LPT") for n in "123456789\u00b9\u00b2\u00b3"]
)
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def safe_join(directory: str | os.PathLike[str], *paths: str | os.PathLike[str]) -> str | None:
    """Join ``paths`` (``/``-separated, untrusted) onto ``directory``, or return ``None``.

    ``None`` means the path could reach outside ``directory`` or name
    something that is not a plain file name: a ``..`` segment, an absolute
    path, a NUL byte, a backslash, a drive letter (``C:``) or a Windows
    device name (``NUL``, ``con.txt``, ``COM1`` ...). Empty and ``.``
    segments are dropped.

    >>> safe_join("/srv/static", "css/site.css")
    '/srv/static/css/site.css'
    >>> safe_join("/srv/static", "../app.py") is None
    True
    """
    base = os.fspath(directory)
    parts: list[str] = []
    for given in paths:
        path = os.fspath(given)
        if not path:
            continue
        if path[0] == "/" or "\\" in path or "\x00" in path:
            return None
        for segment in path.split("/"):
            if segment == "" or segment == ".":
                continue
            if _unsafe_segment(segment):
                return None
            parts.append(segment)
    if not parts:
        return base
    joined = os.path.join(base, *parts)
    # Belt and braces: with the segments checked this cannot fail, but a
    # mistake above must not become a file read outside the directory.
    normal = os.path.normpath(joined)
    prefix = _root_prefix(base)
    if prefix:
        if not normal.startswith(prefix):
            return None
    elif os.path.isabs(normal) or normal.split(os.sep, 1)[0] == os.pardir:
        return None  # the directory is "." (or ""): stay below it
    return joined


# -- path checks and opening -------------------------------------------------


@lru_cache(maxsize=64)
def _root_prefix(directory: str) -> str:
    """Return what every path inside ``directory`` starts with, once normalised.

    ``""`` for the current directory, whose paths normalise without a prefix.
    """
    # perf: an app serves from a handful of directories; normalise each once.
    root = os.path.normpath(directory)
    return "" if root == os.curdir else root.rstrip(os.sep) + os.sep


def _unsafe_segment(segment: str) -> bool:
    if not segment.strip(". "):
        return True  # "..", "...", " ": parent or (on Windows) trimmed to one
    if segment[1:2] == ":" and segment[0] in _ASCII_LETTERS:
        return True  # a drive: "C:", "c:foo"
    if os.name == "nt" and ":" in segment:
        return True  # an NTFS alternate data stream: "file.txt::$DATA"
    return segment.partition(".")[0].rstrip(" ").upper() in _RESERVED_NAMES


def _root_path(context: AppContext | None) -> str:
    if context is None:
        raise RuntimeError(
            _NO_APP + " A relative path is taken from the app's root_path; pass an "
            "absolute path to work without an app."
        )
    return context.app.root_path


def _open_regular(path: str) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading and stat it once; refuse anything but a regular file."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            if stat.S_ISDIR(status.st_mode):
                raise IsADirectoryError(errno.EISDIR, "Is a directory, not a file", path)
            raise OSError(errno.EINVAL, "Not a regular file (a device, pipe or socket)", path)
    except BaseException:
        os.close(fd)
        raise
    return fd, status


def _measure(file: t.IO[bytes]) -> tuple[int | None, int]:
    """Return ``(bytes left, position)`` of a file object; size ``None`` if unseekable."""
    try:
        if file.seekable():
            position = file.tell()
            end = file.seek(0, os.SEEK_END)
            file.seek(position)
            return end - position, position
    except (AttributeError, OSError, ValueError):
        pass
    return None, 0


def _close(fd: int, file: t.IO[bytes] | None) -> None:
    if file is not None:
        file.close()
    elif fd >= 0:
        os.close(fd)


@lru_cache(maxsize=1024)
def _guess_type(name: str) -> str:
    """Return the ``Content-Type`` for a file name (without directories)."""
    # perf: mimetypes.guess_type costs microseconds; a site has few file names.
    mimetype, encoding = mimetypes.guess_type(name)
    if encoding is not None:
        mimetype = _ENCODING_TYPES.get(encoding, "application/octet-stream")
    return _content_type_for(mimetype or "application/octet-stream")


@lru_cache(maxsize=1024)
def _format_date(seconds: int) -> str:
    # perf: a site's files share few mtimes, so most calls are a cache hit.
    return http_date(seconds)


def _timestamp(value: datetime | int | float) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    return float(value)


def _content_disposition(kind: str, name: str) -> str:
    """Build ``attachment; filename="..."`` (RFC 6266), with ``filename*`` for non-ASCII."""
    name = _UNSAFE_NAME_RE.sub("", name)
    if name.isascii():
        return f'{kind}; filename="{name}"'
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = _UNSAFE_NAME_RE.sub("", fallback)
    encoded = f"filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"
    stem = fallback.rpartition(".")[0] if "." in fallback else fallback
    if not stem.strip(". "):
        # Nothing readable left ("文件.txt" gives ".txt"): filename* alone.
        return f"{kind}; {encoded}"
    return f'{kind}; filename="{fallback}"; {encoded}'


# -- the response ------------------------------------------------------------


def _respond(
    context: AppContext | None,
    path: str | None,
    fd: int,
    file: t.IO[bytes] | None,
    name: str | None,
    size: int | None,
    start: int,
    mtime: float | None,
    mimetype: str | None,
    as_attachment: bool,
    download_name: str | None,
    conditional: bool,
    etag: bool | str,
    last_modified: datetime | int | float | None,
    max_age: MaxAge,
) -> Response:
    # -- representation headers
    if as_attachment and download_name is None:
        if name is None:
            raise TypeError(
                "send_file(as_attachment=True) needs a file name for the browser, and this "
                "file object has none: pass download_name='report.pdf'."
            )
        download_name = os.path.basename(name)
    if mimetype is None:
        guess_from = download_name if download_name is not None else name
        if guess_from is None:
            raise TypeError(
                "send_file() cannot tell the type of a file object with no name: pass "
                "mimetype='image/png' (or download_name='picture.png' to guess from)."
            )
        content_type = _guess_type(os.path.basename(guess_from))
    else:
        content_type = _content_type_for(mimetype)
        check_header("Content-Type", content_type)
    pairs = [("Content-Type", content_type)]
    if download_name is not None:
        kind = "attachment" if as_attachment else "inline"
        pairs.append(("Content-Disposition", _content_disposition(kind, download_name)))

    # -- validators and caching
    etag_value: str | None = None
    tag: str | None = None
    weak = False
    if etag is True:
        if path is not None and mtime is not None and size is not None:
            checksum = zlib.adler32(os.fsencode(path))
            tag = f"{int(mtime * 1_000_000):x}-{size:x}-{checksum:x}"
            etag_value = f'"{tag}"'
    elif etag:
        if etag[:1] == '"' or etag[:3] in ('W/"', 'w/"'):
            tag, weak = unquote_etag(etag)
        else:
            tag = etag
        etag_value = quote_etag(t.cast(str, tag), weak)
        check_header("ETag", etag_value)
    if last_modified is not None:
        mtime = _timestamp(last_modified)
    if callable(max_age):
        max_age = max_age(path)
    if max_age is None:
        cache_control = "no-cache"
    else:
        if isinstance(max_age, timedelta):
            max_age = int(max_age.total_seconds())
        cache_control = f"public, max-age={max(int(max_age), 0)}"
    validators = [("Cache-Control", cache_control)]
    if etag_value is not None:
        validators.append(("ETag", etag_value))
    if mtime is not None:
        validators.append(("Last-Modified", _format_date(int(mtime))))

    response_class = context.app.response_class if context is not None else Response
    request = context.request if context is not None else None
    ranges = conditional and size is not None
    status = 200
    first, length = 0, size
    if conditional and request is not None:
        status, first, length = _evaluate(request, tag, weak, mtime, size if ranges else None)
        if status == 304:
            _close(fd, file)
            response = response_class([], 304, Headers._trusted(validators))
            response.headers.remove("Content-Type")
            return response
        if status == 412:
            raise PreconditionFailed()
        if status == 416:
            raise RangeNotSatisfiable(length=size)

    pairs += validators
    if ranges:
        pairs.append(("Accept-Ranges", "bytes"))
    if length is not None:
        pairs.append(("Content-Length", str(length)))
        if status == 206:
            pairs.append(("Content-Range", f"bytes {first}-{first + length - 1}/{size}"))
    body: _FileChunks | _StreamChunks
    if file is None:
        if first:
            os.lseek(fd, first, os.SEEK_SET)
        body = _FileChunks(fd, t.cast(int, length))
    else:
        if first:
            file.seek(start + first)
        body = _StreamChunks(file, length)
    return response_class(body, status, Headers._trusted(pairs))


def _evaluate(
    request: Request, tag: str | None, weak: bool, mtime: float | None, size: int | None
) -> tuple[int, int, int | None]:
    """Apply the request's preconditions and Range: ``(status, first byte, length)``.

    Follows the order of RFC 9110 §13.2.2. ``size`` is ``None`` when ranges
    are not offered.
    """
    header = request._raw_header
    if_match = header("HTTP_IF_MATCH")
    if_unmodified_since = header("HTTP_IF_UNMODIFIED_SINCE")
    if_none_match = header("HTTP_IF_NONE_MATCH")
    if_modified_since = header("HTTP_IF_MODIFIED_SINCE")
    range_value = header("HTTP_RANGE")
    # perf: a plain request has none of these; skip all parsing.
    if not (if_match or if_unmodified_since or if_none_match or if_modified_since or range_value):
        return 200, 0, size
    method = request.method
    seconds = int(mtime) if mtime is not None else None

    # §13.1.1 If-Match: strong comparison; "*" matches any current file.
    if if_match:
        strong, _, star = parse_etags(if_match)
        if not star and (tag is None or weak or tag not in strong):
            return 412, 0, size
    # §13.1.4 If-Unmodified-Since, only without If-Match.
    elif if_unmodified_since and seconds is not None:
        date = parse_date(if_unmodified_since)
        if date is not None and seconds > date.timestamp():
            return 412, 0, size
    # §13.1.2 If-None-Match: weak comparison.
    if if_none_match:
        strong, weak_tags, star = parse_etags(if_none_match)
        if star or (tag is not None and (tag in strong or tag in weak_tags)):
            return (304 if method in ("GET", "HEAD") else 412), 0, size
    # §13.1.3 If-Modified-Since, only without If-None-Match, only GET/HEAD.
    elif if_modified_since and seconds is not None and method in ("GET", "HEAD"):
        date = parse_date(if_modified_since)
        if date is not None and seconds <= date.timestamp():
            return 304, 0, size

    # §14.2: Range is defined for GET only; anything else ignores it.
    if not range_value or size is None or method != "GET":
        return 200, 0, size
    if_range = header("HTTP_IF_RANGE")
    if if_range and not _if_range_matches(if_range.strip(), tag, weak, seconds):
        return 200, 0, size
    span = _parse_range(range_value, size)
    if span is None:
        return 200, 0, size
    first, last = span
    if first >= size:
        return 416, 0, size
    return 206, first, last - first + 1


def _if_range_matches(value: str, tag: str | None, weak: bool, seconds: int | None) -> bool:
    """Whether ``If-Range`` names the current file (RFC 9110 §13.1.5)."""
    if value[:1] == '"' or value[:2] in ("W/", "w/"):
        # An entity tag, compared strongly: a weak one never matches.
        other, other_weak = unquote_etag(value)
        return tag is not None and not weak and not other_weak and other == tag
    date = parse_date(value)
    return date is not None and seconds is not None and date.timestamp() == seconds


# RFC 9110 §14.1.2: int-range = first-pos "-" [ last-pos ]; suffix-range = "-" suffix-length
_RANGE_SPEC_RE = re.compile(r"(\d+)-(\d*)|-(\d+)")


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """Parse a ``Range`` header into ``(first, last)`` byte positions.

    ``None`` means "send the whole file": a malformed header (RFC 9110 §14.2
    says to ignore it), another unit, or several ranges. Serving several
    ranges as multipart/byteranges is allowed but never required, and a
    200 with the whole file is always a correct answer; it also shuts out
    the many-small-ranges amplification trick. ``(size, size)`` means
    unsatisfiable.
    """
    unit, sep, spec = value.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    # A list may hold empty elements (RFC 9110 §5.6.1): "bytes=0-9, ".
    specs = [item.strip() for item in spec.split(",") if item.strip()]
    if len(specs) != 1:
        return None
    match = _RANGE_SPEC_RE.fullmatch(specs[0])
    if match is None:
        return None
    first_text, last_text, suffix_text = match.groups()
    try:
        if suffix_text is not None:
            suffix = int(suffix_text)
            if suffix == 0:
                return size, size
            return max(size - suffix, 0), size - 1
        first = int(first_text)
        last = int(last_text) if last_text else None
    except ValueError:  # more digits than int() takes
        return None
    if last is not None and last < first:
        return None  # invalid (§14.1.1), so the header is ignored
    if first >= size:
        return size, size
    return first, size - 1 if last is None or last >= size else last


# -- the body ----------------------------------------------------------------


class _FileChunks:
    """A file's bytes read from a descriptor in chunks; closes it when done.

    Not ``wsgi.file_wrapper``: the WSGI adapter wraps every streamed body
    (to keep the request context alive), so a server never sees the wrapper
    and cannot use sendfile(2); its plain iteration reads 8 KiB blocks,
    slower than these 64 KiB reads.
    """

    __slots__ = ("_fd", "_remaining")

    def __init__(self, fd: int, length: int) -> None:
        self._fd = fd
        self._remaining = length

    def __iter__(self) -> _FileChunks:
        return self

    def __next__(self) -> bytes:
        remaining = self._remaining
        if remaining > 0:
            data = os.read(self._fd, CHUNK_SIZE if remaining > CHUNK_SIZE else remaining)
            if data:
                self._remaining = remaining - len(data)
                return data
            self.close()
            # Fewer bytes than Content-Length promised: fail, so the server
            # cuts the connection instead of leaving the client waiting.
            raise OSError(errno.EIO, f"The file shrank by {remaining} bytes while being sent")
        self.close()
        raise StopIteration

    def close(self) -> None:
        """Close the file (the server calls this when the response is done)."""
        fd = self._fd
        if fd >= 0:
            self._fd = -1
            self._remaining = 0
            os.close(fd)


class _StreamChunks:
    """A file object's bytes in chunks; ``length`` ``None`` reads to the end."""

    __slots__ = ("_file", "_remaining")

    def __init__(self, file: t.IO[bytes], length: int | None) -> None:
        self._file = file
        self._remaining = length

    def __iter__(self) -> _StreamChunks:
        return self

    def __next__(self) -> bytes:
        remaining = self._remaining
        if remaining is None:
            data = self._file.read(CHUNK_SIZE)
            if data:
                return data
            raise StopIteration
        if remaining > 0:
            data = self._file.read(CHUNK_SIZE if remaining > CHUNK_SIZE else remaining)
            if data:
                self._remaining = remaining - len(data)
                return data
            raise OSError(errno.EIO, f"The file ended {remaining} bytes early")
        raise StopIteration

    def close(self) -> None:
        """Close the file object."""
        self._file.close()
