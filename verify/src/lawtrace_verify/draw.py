"""Double-random draws (双随机) anyone can re-run: the same seed and the same lists give the same result.

The agency commits to the SHA-256 of a secret seed and to digests of the target registry, the officers and the
declared conflicts before the draw; at the draw it reveals the seed. Each target's rank is SHA-256(seed, target),
each officer's rank for a target SHA-256(seed, target, officer); conflicted officers are skipped.
"""

from __future__ import annotations

import hashlib
import math


def seed_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def digest(items: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(items)).encode()).hexdigest()


def _rank(seed: str, *parts: str) -> str:
    return hashlib.sha256("\n".join((seed, *parts)).encode()).hexdigest()


def draw(seed: str, targets: list[str], officers: list[str], share: float, per_target: int,
         conflicts: list[list[str]]) -> dict:
    """``targets`` and ``officers`` are stable keys; ``conflicts`` are [target, officer] pairs to keep apart."""
    count = math.ceil(share * len(targets)) if targets else 0
    chosen = sorted(sorted(targets, key=lambda t: _rank(seed, "target", t))[:count])
    barred = {(t, o) for t, o in conflicts}
    assignments = {}
    for target in chosen:
        eligible = [o for o in officers if (target, o) not in barred]
        assignments[target] = sorted(eligible, key=lambda o: _rank(seed, "officer", target, o))[:per_target]
    return {"targets": chosen, "assignments": assignments}
