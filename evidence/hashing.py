"""SHA-256 and SM3 of a stream in one read pass, optionally copying it to a sink as it goes.

SM3 is the slow one (about a ninth of SHA-256's speed with SHA extensions), so it runs in a thread of its own;
SHA-256 and the write to the sink run in a second thread, and this thread only reads. hashlib releases the GIL on
large updates, so on two cores the whole copy runs at about SM3's own speed.

Memory stays flat whatever the file's size: a fixed ring of page-aligned buffers is read into (``readinto``) and
handed to both threads, and a buffer is reused only once both are done with it, so nothing is allocated per chunk.

A file sink is written with ``O_DIRECT`` where the file system allows it: the disk takes the bytes straight from
the ring, so the copy costs the CPU no second memory copy and no page-cache upkeep (about a tenth of the whole
ingest's CPU for a large file, which counts where the two cores are shared), leaves the page cache to what is read
again, and the caller's final fsync has nothing left to wait for. The last, partial block goes through the page
cache. Where ``O_DIRECT`` is refused, every ``WRITEBACK_EVERY`` bytes the kernel is asked to start writing the new
range back and to drop the range before it (``posix_fadvise(DONTNEED)`` starts write-back without waiting), so the
final fsync waits only for the last few megabytes.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import mmap
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_SIZE = 4 << 20
RING = 6
WRITEBACK_EVERY = 64 << 20
DIRECT_ALIGN = 4096  # O_DIRECT wants buffer, offset and length in multiples of the block size
ALGORITHMS = ("sha256", "sm3")


@dataclass(frozen=True)
class Digests:
    sha256: str
    sm3: str
    size: int

    def as_dict(self) -> dict[str, str]:
        return {"sha256": self.sha256, "sm3": self.sm3}


class _Sink:
    """SHA-256 and the copy, run in order on one worker thread."""

    def __init__(self, sink: BinaryIO | None, *, direct: bool = False) -> None:
        self.sha256 = hashlib.sha256()
        self.sink = sink
        self.written = 0
        self.kicked = 0
        self.fd = None
        self.direct = False
        if sink is not None:
            try:
                sink.flush()
                self.fd = sink.fileno()
            except (AttributeError, OSError, ValueError):
                self.fd = None
        if direct and sink is not None and self.fd is not None and sink.tell() % DIRECT_ALIGN == 0:
            self.direct = _set_direct(self.fd, True)

    def take(self, chunk: memoryview) -> None:
        self.sha256.update(chunk)
        if self.sink is None:
            return
        if self.fd is None:
            self.sink.write(chunk)
            return
        fd = self.fd
        if self.direct and len(chunk) % DIRECT_ALIGN:
            self._buffered(fd)  # the last, partial block
        try:
            self._write(fd, chunk)
        except OSError as exc:
            if not self.direct or exc.errno != errno.EINVAL:
                raise
            self._buffered(fd)  # the file system took the flag but not the write
            self._write(fd, chunk)
        if self.direct:
            return
        if self.written - self.kicked >= WRITEBACK_EVERY:
            # Start write-back of what is new; the range before it went to disk meanwhile and leaves the cache.
            start = max(0, self.kicked - WRITEBACK_EVERY)
            os.posix_fadvise(self.fd, start, self.written - start, os.POSIX_FADV_DONTNEED)
            self.kicked = self.written


    def _write(self, fd: int, chunk: memoryview) -> None:
        view = chunk
        while view:
            view = view[os.write(fd, view):]
        self.written += len(chunk)

    def _buffered(self, fd: int) -> None:
        _set_direct(fd, False)
        self.direct = False
        self.kicked = self.written

    def close(self) -> None:
        if self.direct and self.fd is not None:
            self._buffered(self.fd)  # the caller's file object goes on as it came


def _set_direct(fd: int, on: bool) -> bool:
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, (flags | os.O_DIRECT) if on else (flags & ~os.O_DIRECT))
    except (OSError, AttributeError):
        return False
    return on


def _buffer(size: int) -> mmap.mmap:
    """Page-aligned memory, as O_DIRECT needs, and returned to the system whole when freed."""
    return mmap.mmap(-1, size)


def _filler(source: BinaryIO):
    """A function filling a buffer as far as the source allows; short reads (sockets, pipes) are completed."""
    readinto = getattr(source, "readinto", None)

    def fill(buffer: mmap.mmap) -> int:
        view = memoryview(buffer)
        filled = 0
        while filled < len(buffer):
            if readinto is not None:
                got = readinto(view[filled:])
            else:
                piece = source.read(len(buffer) - filled)
                got = len(piece)
                view[filled:filled + got] = piece
            if not got:
                break
            filled += got
        return filled

    return fill


def hash_stream(source: BinaryIO, sink: BinaryIO | None = None, *, chunk_size: int = CHUNK_SIZE) -> Digests:
    sm3 = hashlib.new("sm3")
    fill = _filler(source)
    first = _buffer(chunk_size)
    count = fill(first)
    if count < chunk_size:
        # A photo or a document: one chunk, where starting threads would cost more than they save.
        copy = _Sink(sink)
        view = memoryview(first)[:count]
        sm3.update(view)
        copy.take(view)
        view.release()
        return Digests(sha256=copy.sha256.hexdigest(), sm3=sm3.hexdigest(), size=count)
    copy = _Sink(sink, direct=chunk_size % DIRECT_ALIGN == 0)
    try:
        return _pipeline(fill, first, count, sm3, copy, chunk_size)
    finally:
        copy.close()


def _pipeline(fill, first: mmap.mmap, count: int, sm3, copy: _Sink, chunk_size: int) -> Digests:
    size = 0
    free = [_buffer(chunk_size) for _ in range(RING - 1)]
    pending: deque[tuple[mmap.mmap, Future, Future]] = deque()
    with ThreadPoolExecutor(1, thread_name_prefix="sm3") as sm3_pool, \
            ThreadPoolExecutor(1, thread_name_prefix="sha256-copy") as copy_pool:
        try:
            buffer = first
            while count:
                view = memoryview(buffer)[:count]
                pending.append((buffer, sm3_pool.submit(sm3.update, view), copy_pool.submit(copy.take, view)))
                size += count
                if count < chunk_size:
                    break
                if not free:
                    free.append(_wait(pending.popleft()))
                buffer = free.pop()
                count = fill(buffer)
        finally:
            # Let every submitted chunk finish (or fail) before the sink is closed by the caller.
            errors = []
            while pending:
                try:
                    _wait(pending.popleft())
                except Exception as exc:  # noqa: BLE001 — re-raised below, first one wins
                    errors.append(exc)
        if errors:
            raise errors[0]
    return Digests(sha256=copy.sha256.hexdigest(), sm3=sm3.hexdigest(), size=size)


def hash_file(path: os.PathLike | str) -> Digests:
    """Both hashes of a file, read once and written nowhere."""
    with open(path, "rb") as source:
        read_sequentially(source)
        return hash_stream(source)


def read_sequentially(source: BinaryIO) -> None:
    """Tell the kernel the file is read front to back, so read-ahead keeps ahead of the hashes."""
    with suppress(AttributeError, OSError, ValueError):
        os.posix_fadvise(source.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)


def _wait(item: tuple[mmap.mmap, Future, Future]) -> mmap.mmap:
    buffer, *futures = item
    for future in futures:
        future.result()
    return buffer
