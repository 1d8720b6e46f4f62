"""Files as responses: :func:`send_file`, :func:`send_from_directory`, :func:`safe_join`.

A file is streamed in chunks straight from the open file, never read whole;
the file is closed when the response is. Responses carry validators (ETag,
Last-Modified) and answer conditional requests (304, RFC 9110 §13) and byte
ranges (206, RFC 9110 §14): :mod:`erlen._conditional` decides the answer,
:mod:`erlen._filebody` streams the bytes.
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

from ._conditional import evaluate_conditions
from ._filebody import CHUNK_SIZE as CHUNK_SIZE  # re-exported: erlen.sendfile.CHUNK_SIZE
from ._filebody import FileChunks, StreamChunks
from .ctx import _NO_APP, AppContext, _cv
from .http.dates import http_date, quote_etag, unquote_etag
from .http.exceptions import NotFound, PreconditionFailed, RangeNotSatisfiable
from .http.headers import Headers, check_header
from .response import Response, _content_type_for

__all__ = ["send_file", "send_from_directory", "safe_join"]

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

# perf: refuses a link as the last segment of a path in the open call itself
# (ELOOP), so send_from_directory checks links without a syscall of its own
# for a file at the top of its folder. None where the system lacks it.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", None)
# What opening a link with O_NOFOLLOW raises (BSDs say EMLINK).
_LINK_ERRNOS = frozenset((errno.ELOOP, errno.EMLINK))

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


class _File(t.NamedTuple):
    """What a response says about the file it sends: size, time, entity tag."""

    #: The path it was opened from; ``None`` for a file object.
    path: str | None
    #: A file name to guess the type and the download name from.
    name: str | None
    #: Bytes from ``start`` to the end; ``None`` if unknown (not seekable).
    size: int | None
    #: Where a file object stood when given: the bytes before are not sent.
    start: int
    #: Modification time in seconds, and as the ``Last-Modified`` header.
    mtime: float | None
    last_modified: str | None
    #: The entity tag without quotes, whether it is weak, and the ``ETag`` header.
    tag: str | None
    weak: bool
    etag: str | None


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
    return _send_file(
        path_or_file,
        _OPEN_FLAGS,
        mimetype,
        as_attachment,
        download_name,
        conditional,
        etag,
        last_modified,
        max_age,
    )


def _send_file(
    path_or_file: str | os.PathLike[str] | t.IO[bytes],
    flags: int,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: MaxAge = None,
) -> Response:
    """:func:`send_file`, opening a path with ``flags``."""
    context = _cv.get(None)
    source, file = _open(path_or_file, context, etag, last_modified, flags)
    try:
        headers = _representation_headers(file.name, mimetype, as_attachment, download_name)
        return _respond(context, source, file, headers, conditional, max_age)
    except BaseException:
        _close(source)
        raise


def send_from_directory(
    directory: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    follow_symlinks: bool = False,
    **kwargs: t.Any,
) -> Response:
    """Return a response that sends the file ``path`` from ``directory``.

    ``path`` may come from the client (a URL part): it is joined with
    :func:`~erlen.sendfile.safe_join`, so it can never reach outside ``directory``. Anything
    unsafe, missing, or not a regular file is a 404. A relative ``directory``
    is taken from the app's ``root_path``. ``kwargs`` go to :func:`send_file`.

    A symbolic link inside ``directory`` is followed only while its target
    stays inside ``directory``; one that leads out is a 404, since whoever
    can make a link in an upload folder could otherwise serve any file the
    app can read. ``follow_symlinks=True`` follows every link: use it only
    for a folder whose links you made yourself.

    ::

        @app.get("/uploads/<path:name>")
        def upload(name):
            return send_from_directory("uploads", name)
    """
    directory = os.fspath(directory)
    if not os.path.isabs(directory):
        directory = os.path.join(_root_path(_cv.get(None)), directory)
    parts = _safe_parts(os.fspath(path))
    if parts is None:
        raise NotFound()
    target = _join(directory, parts)
    if target is None:
        raise NotFound()
    flags = _OPEN_FLAGS if follow_symlinks else _no_links_out(directory, parts, target)
    # Only opening the file raises OSError in send_file (reads come later).
    try:
        try:
            return _send_file(target, flags, **kwargs)
        except OSError as error:
            if flags == _OPEN_FLAGS or error.errno not in _LINK_ERRNOS:
                raise
            # The file itself is a link: followed if it stays in the folder.
            if not _resolves_inside(directory, target):
                raise NotFound() from None
            return _send_file(target, _OPEN_FLAGS, **kwargs)
    except OSError as error:
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
    parts = _safe_parts(*(os.fspath(given) for given in paths))
    return None if parts is None else _join(os.fspath(directory), parts)


# -- path checks and opening -------------------------------------------------


def _safe_parts(*paths: str) -> list[str] | None:
    """Return the segments of ``paths`` (``/``-separated), or ``None`` if one is unsafe."""
    parts: list[str] = []
    for path in paths:
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
    return parts


def _join(base: str, parts: list[str]) -> str | None:
    """Join checked ``parts`` onto ``base``, or ``None`` if the result leaves it."""
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


def _no_links_out(directory: str, parts: list[str], target: str) -> int:
    """Return the flags to open ``target`` with, or raise 404 for a link out.

    The folders on the way are checked here, with one ``lstat`` each; the
    file itself is opened with ``O_NOFOLLOW``, which refuses a link at no
    cost (:func:`send_from_directory` then resolves it). The costlier
    ``realpath`` runs only where there is a link. A segment that does not
    exist passes: opening it answers 404.
    """
    checked = parts[:-1] if _NOFOLLOW is not None else parts
    path = directory
    for part in checked:
        path = os.path.join(path, part)
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            break
        if stat.S_ISLNK(mode):
            if not _resolves_inside(directory, target):
                raise NotFound()
            return _OPEN_FLAGS  # every link on the way resolved inside
    return _OPEN_FLAGS if _NOFOLLOW is None else _OPEN_FLAGS | _NOFOLLOW


def _resolves_inside(directory: str, target: str) -> bool:
    """Whether ``target``, links resolved, lies inside ``directory`` (resolved too)."""
    inside = os.path.join(os.path.realpath(directory), "")
    return os.path.realpath(target).startswith(inside)


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


def _open(
    path_or_file: str | os.PathLike[str] | t.IO[bytes],
    context: AppContext | None,
    etag: bool | str,
    last_modified: datetime | int | float | None,
    flags: int = _OPEN_FLAGS,
) -> tuple[int | t.IO[bytes], _File]:
    """Open the file (or take the caller's file object) and describe it."""
    source: int | t.IO[bytes]
    if isinstance(path_or_file, (str, os.PathLike)):
        path = os.fspath(path_or_file)
        if not os.path.isabs(path):
            path = os.path.join(_root_path(context), path)
        source, status = _open_regular(path, flags)
        file = _describe(path, status.st_mtime, status.st_size)
    else:
        if isinstance(path_or_file, io.TextIOBase):
            raise TypeError(
                f"send_file() got a text file {path_or_file!r}; it sends bytes. Open the "
                "file in binary mode: open(path, 'rb')."
            )
        name = getattr(path_or_file, "name", None)
        if not isinstance(name, str):
            name = None
        size, start = _measure(path_or_file)
        source = path_or_file
        file = _File(None, name, size, start, None, None, None, False, None)
    if etag is not True or last_modified is not None:
        try:
            file = _with_validators(file, etag, last_modified)
        except BaseException:
            _close(source)
            raise
    return source, file


@lru_cache(maxsize=1024)
def _describe(path: str, mtime: float, size: int) -> _File:
    """Describe a file on disk, with an entity tag made of its time, size and path."""
    # perf: a site's files change rarely; each version of one is described
    # once, not on each request for it.
    checksum = zlib.adler32(os.fsencode(path))
    tag = f"{int(mtime * 1_000_000):x}-{size:x}-{checksum:x}"
    return _File(path, path, size, 0, mtime, _format_date(int(mtime)), tag, False, f'"{tag}"')


def _with_validators(
    file: _File, etag: bool | str, last_modified: datetime | int | float | None
) -> _File:
    """Return ``file`` with the ETag and Last-Modified the caller chose."""
    tag, weak, header = file.tag, file.weak, file.etag
    if etag is not True:
        tag, weak, header = _given_etag(etag) if etag else (None, False, None)
    mtime, date = file.mtime, file.last_modified
    if last_modified is not None:
        mtime = _timestamp(last_modified)
        date = _format_date(int(mtime))
    return file._replace(mtime=mtime, last_modified=date, tag=tag, weak=weak, etag=header)


def _open_regular(path: str, flags: int = _OPEN_FLAGS) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading and stat it once; refuse anything but a regular file."""
    fd = os.open(path, flags)
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


def _close(source: int | t.IO[bytes]) -> None:
    if isinstance(source, int):
        os.close(source)
    else:
        source.close()


# -- the headers -------------------------------------------------------------


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


def _given_etag(etag: str) -> tuple[str, bool, str]:
    """Return ``(tag, weak, header)`` for an ETag the caller chose, quoted or not."""
    if etag[:1] == '"' or etag[:3] in ('W/"', 'w/"'):
        unquoted, weak = unquote_etag(etag)
        tag = t.cast(str, unquoted)  # only an empty value unquotes to None
    else:
        tag, weak = etag, False
    header = quote_etag(tag, weak)
    check_header("ETag", header)
    return tag, weak, header


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


def _representation_headers(
    name: str | None, mimetype: str | None, as_attachment: bool, download_name: str | None
) -> list[tuple[str, str]]:
    """Return ``Content-Type`` and, with a download name, ``Content-Disposition``."""
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
    return pairs


def _cache_control(max_age: MaxAge, path: str | None) -> str:
    """Return ``public, max-age=N`` for a ``max_age``, else ``no-cache``."""
    if callable(max_age):
        max_age = max_age(path)
    if max_age is None:
        return "no-cache"
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    return f"public, max-age={max(int(max_age), 0)}"


def _add_validators(
    pairs: list[tuple[str, str]], file: _File, cache_control: str
) -> list[tuple[str, str]]:
    """Append ``Cache-Control``, ``ETag`` and ``Last-Modified`` to ``pairs``."""
    pairs.append(("Cache-Control", cache_control))
    if file.etag is not None:
        pairs.append(("ETag", file.etag))
    if file.last_modified is not None:
        pairs.append(("Last-Modified", file.last_modified))
    return pairs


# -- the response ------------------------------------------------------------


def _respond(
    context: AppContext | None,
    source: int | t.IO[bytes],
    file: _File,
    headers: list[tuple[str, str]],
    conditional: bool,
    max_age: MaxAge,
) -> Response:
    """Answer the request for ``file``: all of it, a range of it (206), or 304.

    ``source`` is where its bytes come from: a descriptor or a file object.
    ``headers`` holds the representation headers; the others are added here.
    """
    cache_control = _cache_control(max_age, file.path)
    response_class = context.app.response_class if context is not None else Response
    request = context.request if context is not None else None
    size = file.size
    status, first, length = 200, 0, size
    if conditional and request is not None:
        status, first, length = evaluate_conditions(request, file.tag, file.weak, file.mtime, size)
        if status == 304:
            _close(source)
            validators = _add_validators([], file, cache_control)
            response = response_class([], 304, Headers._trusted(validators))
            response.headers.remove("Content-Type")
            return response
        if status == 412:
            raise PreconditionFailed()
        if status == 416:
            raise RangeNotSatisfiable(length=size)

    _add_validators(headers, file, cache_control)
    if conditional and size is not None:
        headers.append(("Accept-Ranges", "bytes"))
    if length is not None:
        headers.append(("Content-Length", str(length)))
        if status == 206:
            headers.append(("Content-Range", f"bytes {first}-{first + length - 1}/{size}"))
    body = _body(source, file.start, first, length)
    return response_class(body, status, Headers._trusted(headers))


def _body(
    source: int | t.IO[bytes], start: int, first: int, length: int | None
) -> FileChunks | StreamChunks:
    """Return ``length`` bytes (``None``: all) of ``source``, ``first`` bytes past ``start``."""
    if isinstance(source, int):
        if first:
            os.lseek(source, first, os.SEEK_SET)  # a file send_file opened: start is 0
        return FileChunks(source, t.cast(int, length))
    if first:
        source.seek(start + first)
    return StreamChunks(source, length)
