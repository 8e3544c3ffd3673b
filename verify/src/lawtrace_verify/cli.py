"""``lawtrace-verify 证据包.zip|证据包目录|证明文件.json|抽取记录.json [--key 指纹]… [--witness 见证名单]``

Exit status: 0 all checks passed and the signer is one the user trusts; 1 something failed, the input cannot be read,
or the signer is not the trusted one given; 2 the content is intact but no trusted fingerprint was given to confirm
the signer. A court, a lawyer or the supervising office can script on these.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from lawtrace_verify.archive import is_zip
from lawtrace_verify.bundle import FAILED, PASSED, Report, fingerprints_in, verify_bundle
from lawtrace_verify.package import verify_archive, verify_package

EXIT = {PASSED: 0, FAILED: 1, "unconfirmed": 2}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lawtrace-verify",
                                     description="离线核验执法全过程记录证据包、证明文件或抽取记录")
    parser.add_argument("path", type=Path, help="证据包（下载的 .zip 或解压后的目录）、证明文件或抽取记录（.json）")
    parser.add_argument("--key", action="append", default=[],
                        help="可信的签名公钥指纹（或公钥），取自出具机关公布的见证名单或监督机关留存的材料；可重复")
    parser.add_argument("--witness", type=Path, action="append", default=[],
                        help="见证名单文件（ledger witness 的输出）：其中列出的指纹均视为可信")
    args = parser.parse_args(argv)
    trusted = list(args.key)
    for witness in args.witness:
        try:
            trusted += fingerprints_in(witness.read_text(encoding="utf-8", errors="replace"))
        except OSError as error:
            print(f"[失败] 无法读取见证名单 {witness}：{error}")
            return 1
    if not args.path.exists():
        print(f"[失败] 找不到 {args.path}")
        return 1
    if args.path.suffix.lower() == ".json" and (kind := _draw_format(args.path)):
        return _verify_draw(args.path, kind)
    report = _verify(args.path, trusted)
    for line in report.lines:
        print(line)
    print("结论：" + conclusion(report))
    return EXIT[report.outcome]


def _verify(path: Path, trusted: list[str]) -> Report:
    if path.is_dir():
        return verify_package(path, trusted)
    if not is_zip(path):
        return verify_bundle(path, trusted)
    with tempfile.TemporaryDirectory(prefix="lawtrace-verify-") as work:
        return verify_archive(path, Path(work), trusted)


def conclusion(report: Report) -> str:
    if report.outcome == PASSED:
        return f"全部通过（签名者公钥指纹 {report.signer}，已确认）"
    if report.outcome == FAILED:
        return f"{report.failures} 项未通过"
    return (f"内容完整，但签名者未确认（签名公钥指纹 {report.signer}）。请与出具机关公布的见证名单或监督机关留存的指纹"
            "核对后，以 --key 指纹 重新核验")


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
    except (KeyError, TypeError, ValueError) as missing:
        problems = [f"记录缺少字段或格式错误：{missing}"]
    for problem in problems:
        print(f"[失败] {problem}")
    print("结论：" + ("抽取可复现，结果一致" if not problems else f"{len(problems)} 项未通过"))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
