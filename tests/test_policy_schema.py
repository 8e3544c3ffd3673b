"""Schema 2 as a reference and as a contract: SCHEMA.md is the schema, every key is explained with an example,
``policy explain`` says in Chinese what the system checks, citations resolve to declared documents and read as law."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from policy import citations, schema_doc
from policy.loader import PackInvalid, load_pack
from policy.registry import registry

ROOT = Path(__file__).resolve().parent.parent
LUSHAN = ROOT / "policy" / "packs" / "lushan_finance" / "v1.yaml"


def test_schema_md_is_generated_from_the_schema():
    assert (ROOT / "policy" / "SCHEMA.md").read_text(encoding="utf-8") == schema_doc.render(), \
        "regenerate: python manage.py policy schema > policy/SCHEMA.md"


def test_every_key_of_every_part_has_a_meaning_and_an_example():
    shipped = schema_doc._shipped_examples()
    missing = [f"{model.__name__}.{key}" for model in schema_doc._models() for key in model.model_fields
               if not schema_doc.meaning(model, key) or not schema_doc.example(model, key, shipped)]
    assert missing == []


def test_policy_explain_says_in_chinese_what_the_engine_will_do(capsys):
    call_command("policy", "explain", "jiaxian_ethnic_religious")
    out = capsys.readouterr().out
    assert "郏县民族宗教局——制度包 jiaxian_ethnic_religious 第 1 版" in out
    assert "写明下列情形之一的工作记录经主要负责人审核同意后" in out
    assert "情况紧急，不能进行执法记录的 《郏县民族宗教局行政执法音像记录管理制度》第五条第（二）项" in out
    assert "调阅与查阅登记：本制度未作规定，系统对此不作检查。" in out  # absent topics are named
    assert "两段录像间隔超过多少秒即为中断（秒）：120（部署默认值）" in out
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", out.split("\n", 1)[1])  # no snake_case after the heading


def test_citations_read_as_law():
    registry()  # every shipped pack's documents are known
    assert citations.law_text("001/2/8") == "《平顶山高新区应急管理局行政执法音像记录管理制度》第八条"
    assert citations.law_text("001/2/12/(一)") == "《平顶山高新区应急管理局行政执法音像记录管理制度》第十二条第（一）项"
    assert citations.law_text("001/1/(二)/6") == "《平顶山高新区应急管理局执法音像记录事项清单》（二）第6项"
    assert citations.law_text("001/5/一/1") == "《平顶山高新区应急管理局重大执法决定法制审核目录清单》一、第1项"
    assert citations.law_text("002/音像/18/(三)") == "《汝州市水利局行政执法音像记录管理制度》第十八条第（三）项"
    assert citations.law_text("004/24") == "《忻州市财政局行政执法全过程记录制度》第二十四条"
    assert citations.law("005/4/(一), 005/7") == \
        "《郏县民族宗教局行政执法音像记录管理制度》第四条第（一）项、第七条"
    assert citations.law_text("999/1") == "999/1"  # an unknown document is shown as written, never guessed


def test_a_pack_may_cite_several_documents_in_several_files(tmp_path):
    """A bureau's own rules and a second text it follows, each in its file; each citation resolves to its document."""
    source = ROOT / "policy" / "packs" / "jiaxian_ethnic_religious"
    for path in source.iterdir():
        shutil.copy(path, tmp_path)
    shutil.copy(ROOT / "policy" / "packs" / "pingdingshan_emergency" / "001_9f6dd5faa6205bb4.txt", tmp_path)
    text = (tmp_path / "v1.yaml").read_text(encoding="utf-8")
    text = text.replace("\nagency:\n", "\n  - {id: \"001/2\", title: 平顶山高新区应急管理局行政执法音像记录管理制度, "
                                       "file: 001_9f6dd5faa6205bb4.txt}\n\nagency:\n", 1)
    text = text.replace("cite: [005/4/(一), 005/7]", "cite: [005/4/(一), 005/7, 001/2/4]", 1)
    (tmp_path / "v1.yaml").write_text(text, encoding="utf-8")
    pack = load_pack(tmp_path / "v1.yaml")
    assert [d.id for d in pack.documents] == ["005", "001/2"]
    row = pack.checklist[0]
    citations.register(pack)
    assert citations.law(row.cite).endswith("、《平顶山高新区应急管理局行政执法音像记录管理制度》第四条")
    (tmp_path / "001_9f6dd5faa6205bb4.txt").unlink()
    with pytest.raises(PackInvalid, match="the source text 001_9f6dd5faa6205bb4.txt is not beside the pack"):
        load_pack(tmp_path / "v1.yaml")


def _lushan_with(tmp_path: Path, old: str, new: str) -> Path:
    for path in LUSHAN.parent.iterdir():
        shutil.copy(path, tmp_path)
    text = LUSHAN.read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "v1.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path / "v1.yaml"


def test_a_section_a_rulebook_lacks_is_simply_absent(tmp_path):
    text = LUSHAN.read_text(encoding="utf-8")
    start, end = text.index("\naccess:\n"), text.index("\nconfidentiality:\n")
    path = _lushan_with(tmp_path, text[start:end], "\n")
    pack = load_pack(path)
    assert pack.access is None


def test_what_one_part_names_must_exist_in_another(tmp_path):
    undeclared_property = _lushan_with(tmp_path, "      obligation: always\n",
                                       "      obligation: {when: {property: dispute_likely}}\n")
    with pytest.raises(PackInvalid, match="property 'dispute_likely' is not declared in properties"):
        load_pack(undeclared_property)
    unknown_moment = _lushan_with(tmp_path, "{at: activity_end, text: 听证结束}",
                                  "{at: hearing_closed, text: 听证结束}")
    with pytest.raises(PackInvalid, match="'hearing_closed' is neither the activity's start or end nor a moment"):
        load_pack(unknown_moment)


def test_a_schema_1_pack_is_refused_with_a_pointer_to_the_schema(tmp_path):
    path = _lushan_with(tmp_path, "schema: 2\n", "")
    with pytest.raises(PackInvalid, match="not written for pack schema 2"):
        load_pack(path)
