"""Helpers Flask code imports from ``werkzeug.utils``: :func:`secure_filename` ...

``from werkzeug.utils import secure_filename`` becomes
``from erlen.utils import secure_filename``. The file helpers
(:func:`~erlen.sendfile.safe_join`, :func:`~erlen.sendfile.send_file`,
:func:`~erlen.sendfile.send_from_directory`) and
:func:`~erlen.response.redirect` are here too, as in ``werkzeug.utils``.
"""

from __future__ import annotations

import re
import unicodedata

from .response import redirect
from .sendfile import safe_join, send_file, send_from_directory

__all__ = [
    "redirect",
    "safe_join",
    "secure_filename",
    "send_file",
    "send_from_directory",
]

# Windows opens these as devices in any folder, whatever their extension.
_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"]
    + [f"{device}{n}" for device in ("COM", "LPT") for n in "0123456789"]
)
_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_.-]+")
_SEPARATORS_RE = re.compile(r"[/\\]")
#: Most file systems take names of at most 255 bytes.
_MAX_LENGTH = 255


def secure_filename(filename: str) -> str:
    """Return a safe ASCII file name made from ``filename``, or ``""``.

    For a name a client sent (``request.files["f"].filename``), before it
    becomes part of a path on your disk:

    >>> secure_filename("../../etc/passwd")
    'passwd'
    >>> secure_filename("C:\\\\Users\\\\me\\\\Mon été.JPG")
    'Mon_ete.JPG'
    >>> secure_filename("con.txt")
    '_con.txt'

    Only the last segment of a path (``/`` or ``\\``) is kept; accented
    letters lose their accents (NFKD) and other non-ASCII characters are
    dropped; spaces become ``_``; only letters, digits, ``_``, ``.`` and
    ``-`` remain; leading dots, underscores and dashes go (no hidden
    ``.htaccess``, no ``..``, no ``-rf``), as do trailing dots; a Windows
    device name (``CON``, ``NUL``, ``COM1`` ...) gets a ``_`` in front, on
    every system, since files move; and the name is cut to 255 characters,
    keeping a short extension.

    A name with nothing safe in it (``"..."``, ``"文件"``) gives ``""``:
    choose a name yourself then. Two uploads may clean up to the same name;
    to keep every upload, save under a name you generate (``uuid4().hex``)
    and keep the client's name for display only.
    """
    text = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    segments = [s for s in _SEPARATORS_RE.split(text) if s.strip(". \t")]
    if not segments:
        return ""
    name = "_".join(segments[-1].split())
    name = _UNSAFE_RE.sub("", name).lstrip("._-").rstrip("._")
    if not name:
        return ""
    if name.partition(".")[0].upper() in _DEVICE_NAMES:
        name = "_" + name
    if len(name) > _MAX_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 16:
            name = stem[: _MAX_LENGTH - len(extension) - 1].rstrip("._") + "." + extension
        else:
            name = name[:_MAX_LENGTH].rstrip("._")
    return name
