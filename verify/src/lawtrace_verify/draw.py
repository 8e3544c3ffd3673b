"""Double-random draws (双随机) and review samples (抽查) anyone can re-run: the same seed and the same lists give
the same result.

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


def sample(seed: str, items: list[str], count: int) -> list[str]:
    """The ``count`` items of lowest rank SHA-256(seed, "sample", item), in sorted order."""
    return sorted(sorted(items, key=lambda i: _rank(seed, "sample", i))[:max(0, count)])


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


FORMAT = "lawtrace-draw/1"


def verify_record(record: dict) -> list[str]:
    """Problems with a published draw record (empty when the seed matches its commitment and the draw re-runs)."""
    problems = []
    if seed_hash(record["seed"]) != record["seed_hash"]:
        problems.append("随机种子与承诺值不符 the seed does not match its commitment")
    inputs = record["inputs"]
    for name in ("targets", "officers"):
        if digest(inputs[name]) != record["digests"][name]:
            problems.append(f"{name} 名单与承诺的摘要不符 the {name} list differs from the committed digest")
    if digest(["\t".join(c) for c in inputs["conflicts"]]) != record["digests"]["conflicts"]:
        problems.append("回避名单与承诺的摘要不符 the conflicts differ from the committed digest")
    again = draw(record["seed"], inputs["targets"], inputs["officers"], record["share"], record["per_target"],
                 inputs["conflicts"])
    if again != record["result"]:
        problems.append("重新抽取的结果不同 re-running the draw gives a different result")
    return problems


SAMPLE_FORMAT = "lawtrace-sample/1"


def verify_sample_record(record: dict) -> list[str]:
    """Problems with a published review sample (empty when the seed matches its commitment and the sample re-runs)."""
    problems = []
    if seed_hash(record["seed"]) != record["seed_hash"]:
        problems.append("随机种子与承诺值不符 the seed does not match its commitment")
    if digest(record["population"]) != record["population_digest"]:
        problems.append("抽样总体与承诺的摘要不符 the population differs from the committed digest")
    if sample(record["seed"], record["population"], record["count"]) != record["sample"]:
        problems.append("重新抽样的结果不同 re-running the sample gives a different result")
    return problems
