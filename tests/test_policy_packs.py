"""The pack schema, the loader's line-precise errors, versions, and the rules page."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from policy.loader import PackInvalid, load_pack
from policy.registry import PackRegistry, registry
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
PACK_FILES = sorted((ROOT / "policy" / "packs").glob("*/*.yaml"))
LUSHAN = ROOT / "policy" / "packs" / "lushan_finance" / "v1.yaml"


def test_the_shipped_packs_validate():
    packs = [load_pack(path) for path in PACK_FILES]
    numbers = {d.id[:3] for p in packs for d in p.documents}
    assert {"000", "001", "002", "004"} <= numbers


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = LUSHAN.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    for source in LUSHAN.parent.glob("*.txt"):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_unknown_key_is_reported_with_its_line(tmp_path):
    path = _broken(tmp_path, "      place: 听证会场\n", "      place: 听证会场\n      colour: red\n")
    with pytest.raises(PackInvalid) as caught:
        load_pack(path)
    error = caught.value.errors[0]
    assert error.line == _line_of(path, "colour: red")
    assert "unknown key" in error.message
    assert error.location == "recording.checklist.2.colour"


def test_bad_citation_is_reported_with_its_line(tmp_path):
    path = _broken(tmp_path, "      cite: 000/2/15\n", "      cite: article fifteen\n")
    with pytest.raises(PackInvalid) as caught:
        load_pack(path)
    assert caught.value.errors[0].line == _line_of(path, "article fifteen")


def test_citation_from_another_document_is_refused(tmp_path):
    path = _broken(tmp_path, "      cite: 000/2/15\n", "      cite: 001/3/8\n")
    with pytest.raises(PackInvalid) as caught:
        load_pack(path)
    assert "names no document of this pack (000/1, 000/2)" in str(caught.value)
    assert caught.value.errors[0].line == _line_of(path, "cite: 001/3/8")


def test_duplicate_rule_ids_are_refused(tmp_path):
    path = _broken(tmp_path, "    - id: investigation\n", "    - id: on_site_enforcement\n")
    with pytest.raises(PackInvalid, match="duplicate id 'on_site_enforcement'"):
        load_pack(path)


def test_term_needs_exactly_one_kind(tmp_path):
    path = _broken(tmp_path, "      keep: {months: 12}\n", "      keep: {months: 12, permanent: true}\n")
    with pytest.raises(PackInvalid, match="exactly one of"):
        load_pack(path)


def test_invalid_yaml_is_reported_with_its_line(tmp_path):
    path = _broken(tmp_path, "pack: lushan_finance\n", "pack: [lushan_finance\n")
    with pytest.raises(PackInvalid, match="not valid YAML"):
        load_pack(path)


def test_policy_check_command_prints_file_line_and_rule(tmp_path, capsys):
    path = _broken(tmp_path, "      place: 听证会场\n", "      place: 听证会场\n      colour: red\n")
    with pytest.raises(CommandError):
        call_command("policy", "check", str(path))
    err = capsys.readouterr().err
    assert f"{path}:{_line_of(path, 'colour: red')} (recording.checklist.2.colour): unknown key" in err


def test_policy_check_command_accepts_the_shipped_packs(capsys):
    call_command("policy", "check", *[str(p) for p in PACK_FILES])
    assert capsys.readouterr().out.count(": OK") == len(PACK_FILES)


def test_invalid_pack_stops_start_up(tmp_path):
    broken = _broken(tmp_path, "pack: lushan_finance\nversion: 1\n", "pack: lushan_finance\nversion: 2\nextra: 1\n")
    environment = {**os.environ, "LAWTRACE_POLICY_PACK_DIRS": str(broken.parent)}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"{broken}:{_line_of(broken, 'extra: 1')} (extra): unknown key" in result.stderr


def test_two_files_with_the_same_version_are_refused(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for directory in ("a", "b"):
        for source in LUSHAN.parent.iterdir():
            (tmp_path / directory / source.name).write_bytes(source.read_bytes())
    with pytest.raises(PackInvalid, match="lushan_finance v1 also in"):
        PackRegistry.from_dirs([tmp_path])


def test_no_agency_specific_branches_in_code():
    names = [code for code in registry().codes()] + ["鲁山", "汝州", "平顶山", "忻州", "郏县", "焦作", "四平"]
    allowed = {ROOT / "lawtrace" / "demo.py"}
    offenders = []
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & {".venv", "tests", "migrations", "var"} or path in allowed:
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path}: {name}" for name in names if name in text]
    assert offenders == []


@pytest.mark.django_db
def test_rules_page_shows_topics_with_citations(client, an_officer):
    login(client, an_officer)
    response = client.get("/rules/")
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("音像记录事项清单", "保存期限", "调阅与查阅登记", "《鲁山县财政局音像记录管理制度》第十五条",
                 "《鲁山县财政局行政执法记录信息调阅监督制度》第四条", "声像资料保存期限为12个月"):
        assert text in page
    assert "000/2/15" not in page  # the compact form is for code, not for readers


def test_002_random_inspection_plan_stage_must_be_a_checklist_row():
    import pydantic

    from policy.schema import PolicyPack

    data = registry().files("ruzhou_water")[0].pack.model_dump(mode="json", by_alias=True)
    data["random_inspection"]["plans"][0]["stage"] = "no_such_row"
    with pytest.raises(pydantic.ValidationError, match="no_such_row"):
        PolicyPack.model_validate(data)


@pytest.mark.parametrize("code", registry().codes())
def test_the_rules_page_names_every_key_and_id_it_shows(code):
    """No snake_case key or id of a shipped pack reaches the reader of its rules page."""
    import re

    from django.utils import translation

    from policy.presenter import topics

    raw = re.compile(r"\b[a-z]+_[a-z_]+\b")
    with translation.override("zh-hans"):
        shown = [str(part) for topic in topics(registry().files(code)[-1].pack) for rule in topic.rules
                 for part in (rule.title, *(text for pair in rule.details for text in pair))]
    assert [text for text in shown if raw.search(text)] == []
