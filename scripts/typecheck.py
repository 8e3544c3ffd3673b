"""Type-check the apps with mypy (settings in pyproject.toml) against the baseline in mypy-baseline.txt.

The baseline counts the known errors per file and error code, not per line, so an edit elsewhere in a file that
moves lines never fails it. The check fails when a file has more errors of a code than the baseline allows (a new
error) and also when it has fewer: fixing an error must shrink the baseline in the same commit (``--shrink``), so
the baseline only ever goes down. ``--refresh`` rewrites it from the current findings, growth included; the lead
uses it after merging branches and says so in the commit.

    .venv/bin/python scripts/typecheck.py            # check (make typecheck, make test)
    .venv/bin/python scripts/typecheck.py --shrink   # after fixing errors: lower the counts, never raise them
    .venv/bin/python scripts/typecheck.py --refresh  # after a merge: the baseline becomes what mypy finds now
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
# path:line: error: message  [code]   (mypy's default one-line form; notes and summaries are ignored)
ERROR = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+)(?::\d+)?: error: (?P<message>.*?)"
                   r"(?:  \[(?P<code>[a-z0-9-]+)\])?$")

HEADER = ("# Known mypy errors: file, error code, count. Only ever shrinks; see scripts/typecheck.py.\n"
          "# Refresh after a merge: .venv/bin/python scripts/typecheck.py --refresh\n")

Key = tuple[str, str]
Changes = dict[Key, tuple[int, int]]


def parse(output: str) -> tuple[Counter[Key], dict[Key, list[str]]]:
    """Error counts per (file, code) and the lines behind each, from mypy's output."""
    counts: Counter[Key] = Counter()
    lines: dict[Key, list[str]] = defaultdict(list)
    for line in output.splitlines():
        match = ERROR.match(line)
        if not match:
            continue
        key = (Path(match["path"]).as_posix(), match["code"] or "no-code")
        counts[key] += 1
        lines[key].append(line)
    return counts, lines


def compare(baseline: Counter[Key], current: Counter[Key]) -> tuple[Changes, Changes]:
    """(grown, shrunk): the keys whose current count is above / below the baseline, as (allowed, found)."""
    grown: Changes = {}
    shrunk: Changes = {}
    for key in sorted(set(baseline) | set(current)):
        allowed, found = baseline.get(key, 0), current.get(key, 0)
        if found > allowed:
            grown[key] = (allowed, found)
        elif found < allowed:
            shrunk[key] = (allowed, found)
    return grown, shrunk


def load(path: Path | None = None) -> Counter[Key]:
    path = path or BASELINE
    counts: Counter[Key] = Counter()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                file, code, n = line.split()
                counts[(file, code)] = int(n)
    return counts


def dump(counts: Counter[Key], path: Path | None = None) -> None:
    path = path or BASELINE
    # One line per file and code, no separators, so branches that shrink different files merge line by line.
    rows = [f"{file} {code} {n}" for (file, code), n in sorted(counts.items()) if n > 0]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")


def run_mypy() -> str:
    # The django-stubs plugin loads the settings, which keep a generated secret key in the data directory.
    with tempfile.TemporaryDirectory(prefix="lawtrace-mypy-") as data_dir:
        env = {**os.environ, "LAWTRACE_DATA_DIR": data_dir}
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--show-error-codes", "--no-pretty", "--no-color-output",
             "--hide-error-context", "--no-error-summary"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):  # 2: mypy could not run (bad configuration, crash)
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"mypy failed to run (exit {result.returncode})")
    return result.stdout


def report_grown(grown: Changes, lines: dict[Key, list[str]]) -> None:
    print("Type errors outside the baseline (mypy-baseline.txt); fix them "
          "(the lines of each file and code are listed, the new ones among them):")
    for (file, code), (allowed, found) in grown.items():
        print(f"\n{file} [{code}]: {found} found, {allowed} allowed")
        for line in lines[(file, code)]:
            print(f"  {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--shrink", action="store_true", help="lower the baseline where errors were fixed")
    mode.add_argument("--refresh", action="store_true", help="rewrite the baseline from the current findings")
    args = parser.parse_args(argv)

    current, lines = parse(run_mypy())
    baseline = load()
    grown, shrunk = compare(baseline, current)

    if args.refresh:
        dump(current)
        for (file, code), (allowed, found) in grown.items():
            print(f"baseline grew: {file} [{code}] {allowed} → {found}")
        print(f"{BASELINE.name}: {sum(current.values())} errors in {len({f for f, _ in current})} files")
        return 0
    if args.shrink and shrunk:
        dump(Counter({key: min(n, current.get(key, 0)) for key, n in baseline.items()}))
        print(f"{BASELINE.name}: {sum(a - f for a, f in shrunk.values())} fixed errors removed")
        shrunk = {}
    if grown:
        report_grown(grown, lines)
    if shrunk:
        print(f"\nFewer type errors than {BASELINE.name} allows; shrink it with the fix "
              "(.venv/bin/python scripts/typecheck.py --shrink):")
        for (file, code), (allowed, found) in shrunk.items():
            print(f"  {file} [{code}]: {found} found, {allowed} allowed")
    if grown or shrunk:
        return 1
    print(f"mypy: {sum(current.values())} known errors (baseline), none new")
    return 0


if __name__ == "__main__":
    sys.exit(main())
