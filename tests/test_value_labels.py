"""Each value a reader sees has one label, and each sentence is kept untranslated and translated where it is shown."""

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop

from lawtrace.value_labels import conflicts, value_labels
from ledger.display import changes
from ledger.events import record_denial
from ledger.models import Event
from ledger.wording import Wording, shown, stored_text
from retention.models import Hold

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")  # ideographs; the list comma 、 is typography


def test_a_value_has_one_label_in_the_shared_map():
    with translation.override("zh-hans"):
        assert conflicts() == {}


def test_a_value_with_two_labels_is_found():
    sources = [("Procedure", "hearing", "听证程序"), ("CaseFlag", "hearing", "适用听证程序"),
               ("Role", "head", "负责人")]
    assert conflicts(sources) == {"hearing": {"Procedure": "听证程序", "CaseFlag": "适用听证程序"}}


def test_an_event_key_names_the_field_whose_values_it_carries():
    # "litigation" is also an access purpose, labelled differently; the hold's own field decides here.
    event = Event(verb="retention.hold", object_type="evidence.record", after={"hold_kind": "litigation"})
    with translation.override("zh-hans"):
        [change] = changes(event, value_labels(""))
        assert change.after == str(Hold.Kind.LITIGATION.label) == "诉讼"


def test_a_field_labels_its_own_values():
    with translation.override("zh-hans"):
        case = changes(Event(verb="case.update", object_type="cases.case", after={"state": "open"}), value_labels(""))
        misconduct = changes(Event(verb="misconduct.open", object_type="supervision.misconductcase",
                                   after={"state": "open"}), value_labels(""))
    assert (case[0].after, misconduct[0].after) == ("办理中", "调查中")


@pytest.mark.django_db
def test_a_refusal_reason_is_kept_untranslated_and_shown_translated():
    with translation.override("zh-hans"):
        event = record_denial("package.download", detail={
            "reason": gettext_lazy("This package is not ready for download.")})
    event.refresh_from_db()
    assert event.detail == {"reason": "This package is not ready for download."}
    with translation.override("zh-hans"):
        assert changes(event)[-1].after == "证据包尚未制作完成，不能下载。"


@pytest.mark.django_db
def test_a_reason_with_values_keeps_them_beside_its_message_id():
    reason = Wording(gettext_noop("The package holds an unsafe path: %(path)s."), path="../etc/passwd")
    event = record_denial("package.verify", detail={"reason": reason})
    event.refresh_from_db()
    assert event.detail["reason"] == {"msgid": "The package holds an unsafe path: %(path)s.",
                                      "values": {"path": "../etc/passwd"}}
    with translation.override("zh-hans"):
        assert changes(event)[-1].after == shown(stored_text(reason)) == "证据包含不安全路径：../etc/passwd。"


def test_text_that_is_no_message_id_is_shown_as_it_is():
    with translation.override("zh-hans"):
        assert shown("申请单位撤回") == "申请单位撤回"
        assert shown('{"msgid" broken') == '{"msgid" broken'
        assert shown("") == ""


@pytest.mark.parametrize("module", ["access/packages.py", "access/exports.py", "ledger/wording.py"])
def test_user_facing_sentences_go_through_gettext(module):
    """No Chinese typed into the code of these modules: it lives in the catalogue (docstrings aside)."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    typed = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and id(node) not in docstrings and CJK.search(node.value)]
    assert typed == []
