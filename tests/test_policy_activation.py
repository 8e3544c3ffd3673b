"""Pack activation: a version governs only once the head approves it, from its date, recorded with its text's hash;
a file dropped into a pack directory governs nothing; earlier versions keep governing what was done under them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from authz.roles import Role
from ledger.models import Event
from policy import activation, current
from policy.loader import PackInvalid
from policy.models import Activation, PackVersion
from policy.registry import sha256_of
from tests.conftest import login
from tests.factories import AgencyFactory, UserFactory, officer
from tests.pack_versions import administrators, put_in_force, variant

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
TWELVE, EIGHTEEN = "      keep: {months: 12}\n", "      keep: {months: 18}\n"


@pytest.fixture
def lushan():
    return AgencyFactory()


def test_an_agency_starts_with_its_first_version_recorded_with_the_texts_hash(lushan):
    made = lushan.pack_activations.get()
    assert made.state == Activation.State.APPROVED and made.pack.version == 1
    event = Event.objects.get(verb="pack.activate")
    assert event.after["sha256"] == made.pack.sha256 == sha256_of((ROOT / "policy/packs/lushan_finance/v1.yaml")
                                                                  .read_bytes().decode("utf-8"))
    assert event.after["initial"] is True and current.in_force(lushan).version == 1


def test_a_version_dropped_into_a_pack_directory_governs_nothing(lushan, tmp_path, settings):
    """Issue 19 §2: a v2 in an extra pack directory is offered, never silently in force."""
    from policy import registry as registry_module

    dropped = tmp_path / "extra"
    dropped.mkdir()
    (dropped / "v2.yaml").write_bytes(variant("lushan_finance", (TWELVE, EIGHTEEN)))
    shutil.copy(ROOT / "policy/packs/lushan_finance/000_589b0cd575f29a1c.txt", dropped)
    settings.POLICY_PACK_DIRS = [*settings.POLICY_PACK_DIRS, dropped]
    registry_module.reload_registry()
    try:
        assert [f.pack.version for f in registry_module.registry().files("lushan_finance")] == [1, 2]
        assert current.in_force(lushan).version == 1
        assert current.in_force(lushan, timezone.now() + dt.timedelta(days=3650)).version == 1
        assert [f.pack.version for f in activation.not_yet_proposed(lushan)] == [2]
        # Put forward and approved, it governs from its date.
        admin, head = administrators(lushan)
        found = activation.not_yet_proposed(lushan)[0]
        made = activation.propose_file(lushan, found, effective_from=timezone.localdate(), reason="新制度",
                                       actor=admin)
        assert current.in_force(lushan).version == 1  # waiting for the head
        activation.decide(made, approve=True, comment="", actor=head)
        assert current.in_force(lushan).version == 2
    finally:
        settings.POLICY_PACK_DIRS = settings.POLICY_PACK_DIRS[:-1]
        registry_module.reload_registry()


def test_only_the_agencys_administrators_put_versions_forward_and_only_its_head_approves(lushan):
    admin, head = administrators(lushan)
    raw = variant("lushan_finance", (TWELVE, EIGHTEEN))
    today = timezone.localdate()
    for stranger in (officer(lushan), head, UserFactory(agency=lushan, roles=(Role.ARCHIVIST,)),
                     UserFactory(agency=AgencyFactory(code="other", name="外机关"), roles=(Role.SECURITY_ADMIN,))):
        with pytest.raises(PermissionError):
            activation.propose(lushan, raw, "v2.yaml", effective_from=today, reason="x", actor=stranger)
    assert Event.objects.filter(verb="pack.propose", result="denied").count() == 4
    made = activation.propose(lushan, raw, "v2.yaml", effective_from=today, reason="新制度", actor=admin)
    for stranger in (admin, UserFactory(agency=lushan, roles=(Role.SYSTEM_ADMIN,)), officer(lushan)):
        with pytest.raises(PermissionError):
            activation.decide(made, approve=True, comment="", actor=stranger)
    assert Event.objects.filter(verb="pack.decide", result="denied").count() == 3
    with pytest.raises(ValidationError):
        activation.decide(made, approve=False, comment="  ", actor=head)  # a rejection says why
    approved = activation.decide(made, approve=True, comment="同意", actor=head)
    event = Event.objects.get(verb="pack.activate", object_id=str(approved.pk))
    assert event.after["sha256"] == sha256_of(raw.decode("utf-8")) and event.actor == head
    assert event.after["version"] == 2 and event.after["effective_from"] == today.isoformat()


def test_the_head_cannot_approve_a_version_they_put_forward():
    agency = AgencyFactory()
    both = UserFactory(agency=agency, roles=(Role.HEAD,))
    made = Activation.objects.create(agency=agency, pack=agency.pack_activations.get().pack,
                                     effective_from=timezone.localdate(), reason="x", proposed_by=both,
                                     proposed_at=timezone.now())
    with pytest.raises(PermissionError):
        activation.decide(made, approve=True, comment="", actor=both)


def test_a_version_comes_into_force_on_its_date_and_earlier_records_keep_theirs(lushan):
    """Earlier versions keep governing what was done under them: the activity of today stays under v1, retention and
    compliance read the same version for it."""
    person = officer(lushan)
    today = timezone.localdate()
    put_in_force(lushan, variant("lushan_finance", (TWELVE, EIGHTEEN)), effective=today + dt.timedelta(days=10))
    assert current.in_force(lushan).version == 1
    assert current.in_force(lushan, today + dt.timedelta(days=10)).version == 2
    from cases import services

    now = timezone.now().replace(microsecond=0)
    data = {"case": None, "category": "inspection", "stage": "on_site_enforcement", "place": "城关镇",
            "planned_start": now, "planned_end": now + dt.timedelta(hours=1), "actual_start": None,
            "actual_end": None, "properties": [], "moments": {}, "remote_or_continuous": False, "description": ""}
    early = services.create_activity(lushan, data, [person], [], actor=person)
    later = services.create_activity(lushan, {**data, "planned_start": now + dt.timedelta(days=11),
                                              "planned_end": now + dt.timedelta(days=11, hours=1)},
                                     [person], [], actor=person)
    assert (early.pack_version, later.pack_version) == (1, 2)
    assert current.version_of(lushan, early.pack_version).retention.rules[0].keep.months == 12
    assert current.version_of(lushan, later.pack_version).retention.rules[0].keep.months == 18


def test_no_version_may_come_into_force_in_the_past_or_reuse_a_number(lushan):
    admin, head = administrators(lushan)
    raw = variant("lushan_finance", (TWELVE, EIGHTEEN))
    with pytest.raises(ValidationError) as caught:
        activation.propose(lushan, raw, "v2.yaml", effective_from=timezone.localdate() - dt.timedelta(days=1),
                           reason="x", actor=admin)
    assert "effective_from" in caught.value.message_dict
    same_number = registry_text_as_v1_changed()
    with pytest.raises(ValidationError, match="不晚于已批准的第 1 版|not newer"):
        activation.propose(lushan, same_number, "v1.yaml", effective_from=timezone.localdate(), reason="x",
                           actor=admin)
    other_pack = variant("ruzhou_water")
    with pytest.raises(ValidationError):
        activation.propose(lushan, other_pack, "v2.yaml", effective_from=timezone.localdate(), reason="x",
                           actor=admin)


def registry_text_as_v1_changed() -> bytes:
    return variant("lushan_finance", (TWELVE, EIGHTEEN), version=1)


def test_an_invalid_upload_is_refused_with_file_line_and_reason_and_nothing_is_kept(lushan):
    admin, _head = administrators(lushan)
    broken = variant("lushan_finance", ("      place: 听证会场\n", "      place: 听证会场\n      colour: red\n"))
    with pytest.raises(PackInvalid) as caught:
        activation.propose(lushan, broken, "新制度.yaml", effective_from=timezone.localdate(), reason="x",
                           actor=admin)
    error = caught.value.errors[0]
    line = next(i for i, text in enumerate(broken.decode().splitlines(), 1) if "colour: red" in text)
    assert (error.file, error.line, error.message) == ("新制度.yaml", line, "unknown key (not part of the pack schema)")
    assert PackVersion.objects.filter(version=2).count() == 0 and lushan.pack_activations.count() == 1


def test_a_kept_text_altered_behind_the_applications_back_is_refused(lushan):
    kept = lushan.pack_activations.get().pack
    with connection.cursor() as cursor:
        cursor.execute("UPDATE policy_packversion SET text = %s WHERE id = %s",
                       [kept.text.replace("months: 12", "months: 1"), kept.pk])
    current._parsed.pop(kept.sha256, None)
    with pytest.raises(current.PackTampered, match="lushan_finance v1"):
        current.in_force(lushan)


def test_an_agency_with_no_approved_version_has_no_rules():
    agency = AgencyFactory(code="bare", name="未启用机关", activated=False)
    with pytest.raises(current.NoPackInForce):
        current.in_force(agency)


def test_the_upload_page_shows_problems_by_line_then_the_head_reads_the_difference_and_approves(client, lushan):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin, head = administrators(lushan)
    login(client, admin)
    broken = variant("lushan_finance", (TWELVE, "      keep: {months: 12, permanent: true}\n"))
    page = client.post("/rules/versions/new/", {"file": SimpleUploadedFile("v2.yaml", broken),
                                                "effective_from": timezone.localdate().isoformat(),
                                                "reason": "新制度"}).content.decode()
    assert "v2.yaml:" in page and "exactly one of" in page and lushan.pack_activations.count() == 1
    good = variant("lushan_finance", (TWELVE, EIGHTEEN))
    response = client.post("/rules/versions/new/", {"file": SimpleUploadedFile("v2.yaml", good),
                                                    "effective_from": timezone.localdate().isoformat(),
                                                    "reason": "鲁财字〔2026〕1号"})
    made = Activation.objects.get(state=Activation.State.PROPOSED)
    assert response.status_code == 302 and response["Location"] == f"/rules/versions/{made.pk}/"
    login(client, head)
    shown = client.get(f"/rules/versions/{made.pk}/").content.decode()
    assert "18个月" in shown and "12个月" in shown and made.pack.sha256 in shown  # before and after, readable
    assert "《鲁山县财政局音像记录管理制度》第十五条" in shown
    assert client.post(f"/rules/versions/{made.pk}/", {"decision": "approve"}).status_code == 302
    assert current.in_force(lushan).version == 2
    assert "18个月" in client.get("/rules/").content.decode()


def test_the_upload_command_puts_a_version_forward_for_approval(lushan, tmp_path, capsys):
    admin, _head = administrators(lushan)
    path = tmp_path / "v2.yaml"
    path.write_bytes(variant("lushan_finance", (TWELVE, EIGHTEEN)))
    call_command("policy", "upload", str(path), "--agency", lushan.code, "--by", admin.username,
                 "--effective", timezone.localdate().isoformat(), "--reason", "新制度")
    assert "待主要负责人批准" in capsys.readouterr().out
    assert lushan.pack_activations.get(state=Activation.State.PROPOSED).pack.version == 2
    broken = tmp_path / "v3.yaml"
    broken.write_bytes(variant("lushan_finance", ("pack: lushan_finance\n", "pack: lushan_finance\nextra: 1\n"),
                               version=3))
    with pytest.raises(CommandError):
        call_command("policy", "upload", str(broken), "--agency", lushan.code, "--by", admin.username,
                     "--effective", timezone.localdate().isoformat(), "--reason", "x")
    assert f"{broken.name}:" in capsys.readouterr().err
    with pytest.raises(CommandError):
        call_command("policy", "upload", str(path), "--agency", lushan.code, "--by", officer(lushan).username,
                     "--effective", timezone.localdate().isoformat(), "--reason", "x")


def test_existing_agencies_get_their_first_version_after_the_upgrade():
    """An installation upgraded to pack activation: migrate activates each agency's first version, recorded."""
    agency = AgencyFactory(code="old", name="旧机关", activated=False)
    assert activation.bootstrap_all() == 1
    assert current.in_force(agency).version == 1
    assert activation.bootstrap_all() == 0


def test_an_activation_written_behind_the_applications_back_puts_nothing_into_force(lushan):
    """A database insider inserts an approved v2 row and moves v1's date: what governs is read from the approval
    events in the ledger, so neither changes the version in force."""
    raw = variant("lushan_finance", (TWELVE, EIGHTEEN)).decode("utf-8")
    forged = PackVersion.objects.create(code="lushan_finance", version=2, sha256=sha256_of(raw), text=raw,
                                        file_name="v2.yaml", origin="upload", added_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO policy_activation (agency_id, pack_id, effective_from, reason, state, proposed_at, "
            "decision_comment) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [lushan.pk, forged.pk, timezone.localdate() - dt.timedelta(days=1), "x", "approved", timezone.now(), ""])
        cursor.execute("UPDATE policy_activation SET effective_from = %s WHERE pack_id = %s",
                       [dt.date(2099, 1, 1), lushan.pack_activations.get(pack__version=1).pack_id])
    assert current.in_force(lushan).version == 1
    assert [v.version for v in current.versions(lushan)] == [1]


def test_the_decision_page_refuses_everyone_but_the_head(client, lushan):
    admin, head = administrators(lushan)
    made = activation.propose(lushan, variant("lushan_finance", (TWELVE, EIGHTEEN)), "v2.yaml",
                              effective_from=timezone.localdate(), reason="新制度", actor=admin)
    for stranger in (admin, UserFactory(agency=lushan, roles=(Role.AUDIT_ADMIN,))):
        login(client, stranger)
        assert client.post(f"/rules/versions/{made.pk}/", {"decision": "approve"}).status_code == 403
    assert Event.objects.filter(verb="pack.decide", result="denied").count() == 2
    login(client, officer(lushan))
    assert client.get(f"/rules/versions/{made.pk}/").status_code == 403
    assert client.post("/rules/versions/new/", {}).status_code == 403
    assert current.in_force(lushan).version == 1
    login(client, head)
    assert client.post(f"/rules/versions/{made.pk}/", {"decision": "reject", "decision_comment": ""}).status_code \
        == 200  # a rejection needs its reason
    client.post(f"/rules/versions/{made.pk}/", {"decision": "reject", "decision_comment": "条款有误"})
    assert Activation.objects.get(pk=made.pk).state == Activation.State.REJECTED
    assert current.in_force(lushan).version == 1


def test_a_kept_text_replaced_with_its_hash_behind_the_applications_back_is_refused(lushan):
    """Rewriting both the text and its stored hash does not help: the hash approved is the one in the ledger."""
    kept = lushan.pack_activations.get().pack
    altered = kept.text.replace("months: 12", "months: 1")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE policy_packversion SET text = %s, sha256 = %s WHERE id = %s",
                       [altered, sha256_of(altered), kept.pk])
    current._parsed.pop(kept.sha256, None)
    with pytest.raises(current.PackTampered, match=kept.sha256):
        current.version_of(lushan, 1)
