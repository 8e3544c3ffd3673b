"""scripts/typecheck.py: the mypy baseline only shrinks, and is keyed so that unrelated edits do not fail it."""

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def typecheck():
    spec = importlib.util.spec_from_file_location("typecheck", ROOT / "scripts" / "typecheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MYPY_OUTPUT = """\
access/views.py:40: error: Item "AnonymousUser" of "User | AnonymousUser" has no attribute "agency"  [union-attr]
access/views.py:52: error: Argument 1 to "restrict" has incompatible type "AnonymousUser"  [arg-type]
access/views.py:52: note: See https://mypy.readthedocs.io/en/stable/
access/views.py:90: error: Argument 2 to "f" has incompatible type "int"; expected "str"  [arg-type]
policy/schema.py:74: error: Invalid type comment or annotation  [valid-type]
"""


def test_parse_counts_errors_per_file_and_code_and_ignores_notes(typecheck):
    counts, lines = typecheck.parse(MYPY_OUTPUT)
    assert counts == Counter({("access/views.py", "arg-type"): 2, ("access/views.py", "union-attr"): 1,
                              ("policy/schema.py", "valid-type"): 1})
    assert lines[("policy/schema.py", "valid-type")] == [MYPY_OUTPUT.splitlines()[-1]]


def test_moved_lines_in_the_same_file_do_not_fail(typecheck):
    baseline, _ = typecheck.parse(MYPY_OUTPUT)
    moved, _ = typecheck.parse(MYPY_OUTPUT.replace(":40:", ":140:").replace(":52:", ":9:"))
    assert typecheck.compare(baseline, moved) == ({}, {})


def test_a_new_error_outside_the_baseline_fails(typecheck):
    baseline, _ = typecheck.parse(MYPY_OUTPUT)
    current, _ = typecheck.parse(MYPY_OUTPUT + 'org/models.py:3: error: Name "x" is not defined  [name-defined]\n'
                                 + 'access/views.py:99: error: Bad argument  [arg-type]\n')
    grown, shrunk = typecheck.compare(baseline, current)
    assert grown == {("access/views.py", "arg-type"): (2, 3), ("org/models.py", "name-defined"): (0, 1)}
    assert shrunk == {}


def test_a_fixed_error_left_in_the_baseline_fails(typecheck):
    baseline, _ = typecheck.parse(MYPY_OUTPUT)
    current, _ = typecheck.parse("\n".join(MYPY_OUTPUT.splitlines()[:-1]))
    assert typecheck.compare(baseline, current) == ({}, {("policy/schema.py", "valid-type"): (1, 0)})


def test_baseline_round_trips_and_drops_fixed_entries(typecheck, tmp_path):
    counts, _ = typecheck.parse(MYPY_OUTPUT)
    counts[("org/models.py", "misc")] = 0
    path = tmp_path / "baseline.txt"
    typecheck.dump(counts, path)
    assert "org/models.py" not in path.read_text(encoding="utf-8")
    assert typecheck.load(path) == +counts


def test_shrink_never_raises_a_count_nor_admits_a_new_error(typecheck, tmp_path, monkeypatch):
    path = tmp_path / "baseline.txt"
    typecheck.dump(Counter({("a.py", "arg-type"): 3, ("b.py", "misc"): 1}), path)
    monkeypatch.setattr(typecheck, "BASELINE", path)
    monkeypatch.setattr(typecheck, "run_mypy", lambda: "a.py:1: error: x  [arg-type]\nc.py:2: error: y  [misc]\n")

    assert typecheck.main(["--shrink"]) == 1  # c.py's error is new: shrinking does not admit it
    assert typecheck.load() == Counter({("a.py", "arg-type"): 1})
    assert typecheck.main([]) == 1


def test_refresh_takes_the_current_findings(typecheck, tmp_path, monkeypatch):
    monkeypatch.setattr(typecheck, "BASELINE", tmp_path / "baseline.txt")
    monkeypatch.setattr(typecheck, "run_mypy", lambda: "c.py:2: error: y  [misc]\n")
    assert typecheck.main(["--refresh"]) == 0
    assert typecheck.main([]) == 0
    assert typecheck.load() == Counter({("c.py", "misc"): 1})
