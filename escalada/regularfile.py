"""Read a file that must be a regular file, with a size limit.

Policies, tickets and `{file:}` secrets are named by users, and a name can be a
FIFO (whose open and read block until a writer comes), a device (`/dev/zero`
reads forever, until MemoryError) or a directory. The file is opened without
blocking, checked to be a regular file on the open descriptor (no race with a
rename between check and read), and read up to one byte past the limit.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO


class NotReadable(OSError):
    """A path that is not a regular file, or larger than the limit; `strerror` says which."""


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """The file's bytes; raises NotReadable (an OSError) for a FIFO, device, socket
    or directory and for a file over `limit` bytes, OSError when it cannot be opened."""
    fd = _open_regular(path)
    try:
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise NotReadable(errno.EFBIG, f"larger than the {size_text(limit)} limit", path)
    return b"".join(chunks)


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """The file opened for reading as a stream (no size limit: a year of tickets is large);
    raises NotReadable for a FIFO, device, socket or directory, checked on the descriptor
    opened without blocking, OSError when it cannot be opened."""
    return os.fdopen(_open_regular(path), "rb")


def _open_regular(path: str | os.PathLike[str]) -> int:
    """A descriptor of the path opened without blocking (a FIFO would block an open
    for reading) once it is known to be a regular file; NotReadable otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotReadable(errno.EINVAL, f"not a regular file (it is {_kind(mode)})", path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def size_text(limit: int) -> str:
    """A byte count as people write it: 1 MiB, 64 KiB, 100 bytes."""
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"
