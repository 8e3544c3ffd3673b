"""Merkle tree hashing and proofs exactly as RFC 9162 section 2.1 defines them.

Ranges are half-open ``(start, end)`` leaf positions. The functions that *plan* proofs return the ranges whose
subtree hashes make up a proof, so a server can fetch those hashes from storage in one read, and a test can
compute them from the leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

Range = tuple[int, int]
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves, by the RFC's recursive definition (reference, used for checking)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = split_point(n)
    return node_hash(root(leaf_hashes[:k]), root(leaf_hashes[k:]))


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """PATH(m, D[n]) as the ranges whose hashes form the audit path, leaf level first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    result: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index - start < k:
            result.append((start + k, end))
            end = start + k
        else:
            result.append((start, start + k))
            start += k
    return list(reversed(result))


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as ranges, in the RFC's order."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size}")
    if old_size == new_size:
        return []
    result: list[Range] = []
    start, end, m, whole = 0, new_size, old_size, True
    while True:
        if m == end - start:
            if not whole:
                result.append((start, end))
            break
        k = split_point(end - start)
        if m <= k:
            result.append((start + k, end))
            end = start + k
        else:
            result.append((start, start + k))
            start, m, whole = start + k, m - k, False
    return list(reversed(result))


def perfect_pieces(start: int, end: int) -> list[tuple[int, int]]:
    """Split a range of the tree into aligned perfect subtrees, as (level, index) pairs, left to right.

    Every range that occurs in an RFC 9162 tree starts at a multiple of a power of two at least its size, so the
    pieces follow the binary digits of its length.
    """
    pieces = []
    position = start
    for level in range((end - start).bit_length() - 1, -1, -1):
        if (end - start) >> level & 1:
            pieces.append((level, position >> level))
            position += 1 << level
    return pieces


def fold(hashes: Sequence[bytes]) -> bytes:
    """Hash of a range from its perfect pieces (left to right): the right edge is folded in first."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def range_hash(start: int, end: int, perfect: Callable[[int, int], bytes]) -> bytes:
    return fold([perfect(level, index) for level, index in perfect_pieces(start, end)])


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes) -> bool:
    """RFC 9162 2.1.3.2."""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 2.1.4.2."""
    if old_size <= 0 or old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if not path:
        return False
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class CompactRange:
    """The right edge of a growing tree: one hash per set bit of its size. Appending is O(1) amortised."""

    def __init__(self, size: int = 0, edge: Sequence[bytes] = ()) -> None:
        if len(edge) != bin(size).count("1"):
            raise ValueError("edge does not match the tree size")
        self.size = size
        self.edge = list(edge)  # largest subtree first

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the perfect subtrees completed by it as (level, index, hash)."""
        completed = [(0, self.size, leaf)]
        current, level, index = leaf, 0, self.size
        while index & 1:
            current = node_hash(self.edge.pop(), current)
            level += 1
            index >>= 1
            completed.append((level, index, current))
        self.edge.append(current)
        self.size += 1
        return completed

    def root(self) -> bytes:
        return fold(self.edge) if self.edge else EMPTY_ROOT
