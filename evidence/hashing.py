"""SHA-256 and SM3 of a stream in one read pass, optionally copying it to a sink as it goes.

SM3 is the slow one (about a ninth of SHA-256's speed with SHA extensions), so it runs in a thread of its own;
SHA-256 and the write to the sink run in a second thread, and this thread only reads. hashlib releases the GIL on
large updates, so on two cores the whole copy runs at about SM3's own speed.

Memory stays flat whatever the file's size: a fixed ring of buffers is read into (``readinto``) and handed to both
threads, and a buffer is reused only once both are done with it, so nothing is allocated per chunk. A file sink is
never waited on while it grows: every ``WRITEBACK_EVERY`` bytes the kernel is asked to start writing the new range
back and to drop the range before it, now on disk, from the page cache (``posix_fadvise(DONTNEED)`` starts
write-back without waiting). The caller's final fsync then waits only for the last few megabytes, where a periodic
fdatasync would stall both hashes on the disk every time.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_SIZE = 4 << 20
RING = 6
WRITEBACK_EVERY = 64 << 20
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

    def __init__(self, sink: BinaryIO | None) -> None:
        self.sha256 = hashlib.sha256()
        self.sink = sink
        self.written = 0
        self.kicked = 0
        self.fd = None
        if sink is not None:
            try:
                sink.flush()
                self.fd = sink.fileno()
            except (AttributeError, OSError, ValueError):
                self.fd = None

    def take(self, chunk: memoryview) -> None:
        self.sha256.update(chunk)
        if self.sink is None:
            return
        if self.fd is None:
            self.sink.write(chunk)
            return
        view = chunk
        while view:
            view = view[os.write(self.fd, view):]
        self.written += len(chunk)
        if self.written - self.kicked >= WRITEBACK_EVERY:
            # Start write-back of what is new; the range before it went to disk meanwhile and leaves the cache.
            start = max(0, self.kicked - WRITEBACK_EVERY)
            os.posix_fadvise(self.fd, start, self.written - start, os.POSIX_FADV_DONTNEED)
            self.kicked = self.written


def _filler(source: BinaryIO):
    """A function filling a buffer as far as the source allows; short reads (sockets, pipes) are completed."""
    readinto = getattr(source, "readinto", None)

    def fill(buffer: bytearray) -> int:
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
    copy = _Sink(sink)
    fill = _filler(source)
    first = bytearray(chunk_size)
    count = fill(first)
    if count < chunk_size:
        # A photo or a document: one chunk, where starting threads would cost more than they save.
        view = memoryview(first)[:count]
        sm3.update(view)
        copy.take(view)
        return Digests(sha256=copy.sha256.hexdigest(), sm3=sm3.hexdigest(), size=count)
    size = 0
    free = [bytearray(chunk_size) for _ in range(RING - 1)]
    pending: deque[tuple[bytearray, Future, Future]] = deque()
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


def _wait(item: tuple[bytearray, Future, Future]) -> bytearray:
    buffer, *futures = item
    for future in futures:
        future.result()
    return buffer
