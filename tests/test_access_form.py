"""The 调阅 form shows what applies (000/1/4-8): the requester types the user may file under, the credentials the
chosen type needs (required exactly so on the server), each action explained by the pack's rules, and every refusal
naming the action asked and the rule that refused it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from access import services
from access.models import AccessRequest
from ledger.models import Event
from tests.access_world import application, build
from tests.conftest import login

LUSHAN = "《鲁山县财政局行政执法记录信息调阅监督制度》"


@pytest.fixture
def w(db, tmp_path):
    return build("lushan_finance", tmp_path)


def _until() -> str:
    return (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


def _offered(form) -> set[str]:
    choices = form.fields["requester_type"].widget.choices
    flat = [c for _group, group in choices for c in group] if isinstance(choices[0][1], list) else choices
    return {value for value, _label in flat}


def test_000_1_6_an_officer_is_offered_only_what_staff_ask_as_and_no_outside_fields(client, w):
    login(client, w.colleague)
    page = client.get("/access/new/")
    form = page.context["form"]
    assert _offered(form) == {"other_staff"}
    text = page.content.decode()
    # Staff file their own requests: no staff picker, no outside requester's name, no credentials to see.
    for hidden in ("requester_user", "requester_name", "requester_unit", "requester_id_number"):
        assert form[hidden].is_hidden
    assert not form.credential_fields() and "credentials_verified" not in form.fields
    assert "证件" not in text.split("<form")[1].split("</form>")[0].replace("身份证件号码", "")


def test_000_1_6_the_archivist_sees_types_grouped_and_credentials_per_type(client, w):
    login(client, w.archivist)
    page = client.get("/access/new/")
    form = page.context["form"]
    groups = dict(form.fields["requester_type"].widget.choices)
    assert {v for v, _l in groups["本机关工作人员"]} == {"case_officer", "other_staff"}
    assert {"court", "party", "party_lawyer"} <= {v for v, _l in groups["外单位及当事人"]}
    assert form.shown_for("credential_power_of_attorney") == "requester_type:party_lawyer"
    letter = form.shown_for("credential_introduction_letter").split(":")[1].split()
    assert "court" in letter and "party" in letter and "other_staff" not in letter
    assert "other_staff" not in form.shown_for("requester_name") and "court" in form.shown_for("requester_name")
    assert "data-show-for=\"requester_type:party_lawyer\"" in page.content.decode()


def test_000_1_7_the_server_requires_exactly_the_credentials_of_the_rule(client, w):
    login(client, w.archivist)
    data = {"requester_type": "party", "requester_name": "王某", "requester_unit": "某公司",
            "requester_id_number": "410423198001010011", "purpose": "litigation", "reason": "申请行政复议需要查阅",
            "actions": ["view"], "case": w.case.pk, "valid_until": _until(), "credentials_verified": "on",
            "credential_valid_id": "410423198001010011"}
    refused = client.post("/access/new/", data)
    errors = refused.context["form"].errors
    # A party shows a letter and an identity document (000/1/7); a lawyer's papers are not asked of a party.
    assert list(errors) == ["credential_introduction_letter"] and "第七条" in str(errors)
    assert not AccessRequest.objects.exists()
    client.post("/access/new/", {**data, "credential_introduction_letter": "介绍信〔2026〕1号",
                                 "credential_power_of_attorney": "不该留下"})
    access = AccessRequest.objects.get()
    assert {c["kind"] for c in access.credentials} == {"introduction_letter", "valid_id"}  # a stray paper is dropped
    lawyer = {**data, "requester_type": "party_lawyer", "credential_introduction_letter": "介绍信〔2026〕2号"}
    refused = client.post("/access/new/", lawyer)
    assert {"credential_power_of_attorney", "credential_authorisation", "credential_lawyer_licence"} == set(
        refused.context["form"].errors)


def test_000_1_4_each_action_is_explained_by_the_rules_that_allow_it(client, w):
    login(client, w.archivist)
    page = client.get("/access/new/")
    options = {o["widget"].data["value"]: o for o in page.context["form"].action_options()}
    copy_out = options["copy_out"]
    assert any(LUSHAN + "第六条" in str(_law(r["cite"])) for r in copy_out["rules"])
    assert "court" in copy_out["show_for"] and "other_staff" not in copy_out["show_for"]
    text = page.content.decode()
    assert "有关单位凭单位介绍信及申请人有效证件申请" in text and "拷贝" in text


def _law(cite):
    from policy.citations import law

    return law(cite)


def test_000_1_5_a_refusal_names_the_action_and_the_rule(client, w):
    """Other staff may only view (000/1/5): asking to copy is refused, naming the copy and the article."""
    login(client, w.colleague)
    data = {"requester_type": "other_staff", "requester_user": w.colleague.pk, "purpose": "work",
            "reason": "为准备本局执法案卷评查材料，需要复制该现场记录", "actions": ["duplicate"], "case": w.case.pk,
            "records": [w.clip.pk], "valid_until": _until()}
    refused = client.post("/access/new/", data)
    errors = str(refused.context["form"].non_field_errors())
    assert "复制" in errors and LUSHAN + "第五条" in errors
    assert Event.objects.filter(verb="access.request", result="denied", actor=w.colleague).exists()
    # Someone who may not file for outsiders is refused with the rule named too, through the page.
    outside = {**data, "requester_type": "court", "actions": ["view"], "requester_user": ""}
    errors = str(client.post("/access/new/", outside).context["form"].non_field_errors())
    assert "查阅" in errors and "第六条" in errors
    assert not AccessRequest.objects.exists()


def test_000_1_5_a_refused_decision_names_the_action_and_the_rule(w):
    access = services.submit_request(application(w, "other_staff", ["view"], person=w.head), actor=w.head)
    with pytest.raises(services.AccessRefused) as refusal:
        services.decide(access, actor=w.head, approve=True)
    assert "查阅" in str(refusal.value) and LUSHAN + "第五条" in str(refusal.value)
