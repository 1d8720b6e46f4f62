"""Response bodies that read a file in chunks, for :mod:`erlen.sendfile`.

Both close the file when the response is closed, and fail loudly when the
file holds fewer bytes than the ``Content-Length`` already sent promised.
"""

from __future__ import annotations

import errno
import os
import typing as t

#: Bytes read from the file per chunk of the response body.
CHUNK_SIZE = 64 * 1024


class FileChunks:
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

    def __iter__(self) -> FileChunks:
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


class StreamChunks:
    """A file object's bytes in chunks; ``length`` ``None`` reads to the end."""

    __slots__ = ("_file", "_remaining")

    def __init__(self, file: t.IO[bytes], length: int | None) -> None:
        self._file = file
        self._remaining = length

    def __iter__(self) -> StreamChunks:
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
