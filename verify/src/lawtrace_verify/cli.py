"""``lawtrace-verify PACKAGE_DIR|BUNDLE.json [--key FINGERPRINT]``: exit status 0 when everything checks, 1
otherwise."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lawtrace_verify.bundle import verify_bundle
from lawtrace_verify.package import verify_package


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lawtrace-verify",
                                     description="离线核验执法记录证据包 / verify a Lawtrace proof bundle offline")
    parser.add_argument("bundle", type=Path, help="evidence package directory, or a proof bundle (JSON)")
    parser.add_argument("--key", help="expected signing key fingerprint or hex public key, from the witness")
    args = parser.parse_args(argv)
    if args.bundle.suffix == ".json" and (kind := _draw_format(args.bundle)):
        return _verify_draw(args.bundle, kind)
    check = verify_package if args.bundle.is_dir() else verify_bundle
    report = check(args.bundle, args.key)
    for line in report.lines:
        print(line)
    print("结论 RESULT: " + ("全部通过 all checks passed" if report.passed
                             else f"{report.failures} 项未通过 check(s) failed"))
    return 0 if report.passed else 1


def _draw_format(path: Path) -> str | None:
    """The record's format when it is a published draw or review sample."""
    import json

    from lawtrace_verify.draw import FORMAT, SAMPLE_FORMAT

    try:
        kind = json.loads(path.read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError, AttributeError):
        return None
    return kind if kind in (FORMAT, SAMPLE_FORMAT) else None


def _verify_draw(path: Path, kind: str) -> int:
    import json

    from lawtrace_verify.draw import FORMAT, verify_record, verify_sample_record

    check = verify_record if kind == FORMAT else verify_sample_record
    try:
        problems = check(json.loads(path.read_text(encoding="utf-8")))
    except (KeyError, TypeError) as missing:
        problems = [f"记录缺少字段 the record lacks a field: {missing}"]
    for problem in problems:
        print(f"[失败 FAIL] {problem}")
    print("结论 RESULT: " + ("抽取可复现 the draw re-runs to the same result" if not problems
                             else f"{len(problems)} 项未通过 check(s) failed"))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
