"""Insiders cannot grant themselves access (issue 19, section 2): each attack is tried through the page, through the
service, and behind the application's back, and must end in a refusal on record that names what was refused.

- self-granted 调阅: the direct path is only for an actual handler of the records' case (000/1/4, 001/4/3);
- handlers are assigned by the head (or the office the pack names), with a reason, never by editing the case;
- a confidentiality mark is raised by a handler and lowered only by the security administrator, with a reason
  (000/1/10);
- viewing streams a playback copy, never the original's bytes; originals leave only under a copying grant, in a
  package or on a disc the retention procedure burns (000/1/4, 001/2/11, 000/2/16).
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import connection, transaction
from django.utils import timezone

from access import exports, services
from access.models import AccessRequest, PackageExport
from authz.roles import Role
from cases import services as cases
from cases.models import Case
from evidence import derivatives
from evidence.models import Derivative
from evidence.store import store_named
from ledger.events import record_event
from ledger.models import Event
from policy import current
from policy.presenter import topics
from tests.access_world import PACKS, application, build
from tests.conftest import login
from tests.factories import UserFactory
from tests.pack_versions import put_in_force, variant

PAGE_FORM = {"purpose": "work", "reason": "为准备本局执法案卷评查材料，需要查阅该现场记录"}


def _until() -> str:
    return (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


def _refused_naming(verb: str, actor, obj) -> bool:
    return Event.objects.filter(verb=verb, result="denied", actor=actor, object_type=obj._meta.label_lower,
                                object_id=str(obj.pk)).exists()


def _plays(client, user, record) -> int:
    login(client, user)
    return client.get(f"/evidence/{record.pk}/play/").status_code


# --- self-granted 调阅 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_000_1_4_an_officer_who_handles_no_case_cannot_claim_to_be_its_case_officer(client, db, tmp_path, pack):
    w = build(pack, tmp_path)
    login(client, w.colleague)
    form = client.get(f"/access/new/?records={w.clip.pk}").context["form"]
    assert "case_officer" not in dict(form.fields["requester_type"].widget.choices)  # offered what they are
    for actions in (["view"], ["duplicate"]):
        response = client.post("/access/new/", {
            **PAGE_FORM, "requester_type": "case_officer", "requester_user": w.colleague.pk, "actions": actions,
            "records": [w.clip.pk, w.transcript.pk], "valid_until": _until()})
        assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not AccessRequest.objects.exists()
    assert _refused_naming("access.request", w.colleague, w.clip) or _refused_naming("access.request", w.colleague,
                                                                                      w.transcript)
    with pytest.raises(services.AccessRefused):
        services.submit_request(application(w, "case_officer", ["view"], person=w.colleague, records=[w.clip]),
                                actor=w.colleague)
    assert _refused_naming("access.request", w.colleague, w.case)  # asked for the case's records as its officer
    assert _plays(client, w.colleague, w.clip) == 403
    assert _refused_naming("record.view", w.colleague, w.clip)


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_000_1_5_anyone_else_goes_through_the_approvals_of_their_real_requester_type(db, tmp_path, pack):
    w = build(pack, tmp_path)
    access = services.submit_request(application(w, "other_staff", ["view"], person=w.colleague), actor=w.colleague)
    assert access.status == AccessRequest.Status.PENDING and access.steps
    assert not services.copyable_items(access, w.colleague)
    from evidence.queries import visible_records

    assert not visible_records(w.colleague, "play").filter(pk=w.clip.pk).exists()


def test_000_1_4_a_handler_still_views_and_copies_directly_where_the_pack_says_so(db, tmp_path):
    w = build("pingdingshan_emergency", tmp_path)  # 001/4/3: a case officer copies after registration alone
    access = services.submit_request(application(w, "case_officer", ["duplicate"], person=w.handler),
                                     actor=w.handler)
    assert access.status == AccessRequest.Status.GRANTED
    assert [r.pk for r in services.copyable_items(access, w.handler)] == [w.clip.pk]


def test_001_4_3_a_forged_case_officer_grant_behind_the_applications_back_opens_nothing(client, db, tmp_path,
                                                                                          settings):
    """A granted row written straight into the database for an officer who handles no case (raw SQL): the grant
    covers only records of cases its holder handles, so nothing plays, nothing is packed, nothing downloads."""
    settings.DATA_DIR = tmp_path / "data"
    w = build("pingdingshan_emergency", tmp_path)
    access = services.submit_request(application(w, "other_staff", ["view"], person=w.colleague), actor=w.colleague)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE access_accessrequest SET status = 'granted', requester_type = 'case_officer', "
                       "plays = %s, copies = %s, actions = %s WHERE id = %s",
                       [True, True, '["duplicate", "view"]', access.pk])
    assert _plays(client, w.colleague, w.clip) == 403
    assert _refused_naming("record.view", w.colleague, w.clip)
    response = client.post(f"/access/{access.pk}/package/", {"maker": "甲", "extractor": "甲", "proves": "x",
                                                              "fee_yuan": "0"})
    assert response.status_code == 403 and not PackageExport.objects.exists()
    assert _refused_naming("package.request", w.colleague, access)
    access.refresh_from_db()
    with pytest.raises(services.AccessRefused):
        exports.request_export(access, actor=w.colleague, maker="甲", extractor="甲", proves="x")
    # A package made while the colleague handled the case stops downloading once they no longer do.
    archive = exports.archive_dir() / "forged.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))
    export = PackageExport.objects.create(request=access, requested_by=w.colleague, record_ids=[w.clip.pk],
                                          maker="甲", extractor="甲", proves="x", state=PackageExport.State.READY,
                                          archive_name=archive.name)
    assert client.get(f"/access/packages/{export.pk}/download/").status_code == 403
    assert _refused_naming("package.download", w.colleague, export)


# --- handlers ------------------------------------------------------------------------------------------


def _case_form(case: Case, **changes) -> dict:
    data = {name: getattr(case, name) for name in cases.CASE_FIELDS}
    data.update(opened_on=case.opened_on.isoformat(), archived_on=case.archived_on.isoformat()
                if case.archived_on else "", **changes)
    return {k: ("on" if v is True else v) for k, v in data.items() if v not in (False, None)}


def test_000_1_4_editing_a_case_never_makes_an_officer_its_handler(client, db, tmp_path):
    w = build("lushan_finance", tmp_path)
    login(client, w.colleague)
    assert client.get(f"/cases/{w.case.pk}/edit/").status_code == 403  # not their case
    assert _refused_naming("case.edit", w.colleague, w.case)
    login(client, w.handler)  # even the handler's edit form names no handlers
    form = client.get(f"/cases/{w.case.pk}/edit/").context["form"]
    assert "handlers" not in form.fields
    client.post(f"/cases/{w.case.pk}/edit/", {**_case_form(w.case, title="改名"), "handlers": [w.colleague.pk]})
    w.case.refresh_from_db()
    assert w.case.title == "改名" and list(w.case.handlers.all()) == [w.handler]
    login(client, w.colleague)
    assert client.post(f"/cases/{w.case.pk}/handlers/", {"handlers": [w.colleague.pk], "reason": "协助办案"}
                       ).status_code == 403
    assert _refused_naming("case.assign_handlers", w.colleague, w.case) or Event.objects.filter(
        verb="case.assign_handlers", result="denied", actor=w.colleague).exists()
    with pytest.raises(cases.CaseRefused):
        cases.assign_handlers(w.case, [w.colleague], reason="协助办案", actor=w.colleague)
    assert _refused_naming("case.assign_handlers", w.colleague, w.case)
    assert list(w.case.handlers.all()) == [w.handler] and _plays(client, w.colleague, w.clip) == 403


def test_000_1_4_an_officer_opening_a_case_handles_it_alone_until_the_head_assigns_others(client, db, tmp_path):
    w = build("lushan_finance", tmp_path)
    login(client, w.colleague)
    form = client.get("/cases/new/").context["form"]
    assert "handlers" not in form.fields
    data = {"number": "鲁财罚〔2026〕900号", "title": "新案", "category": "penalty", "procedure": "general",
            "party_kind": "person", "party_name": "张某", "opened_on": timezone.localdate().isoformat(),
            "state": "open", "handlers": [w.handler.pk]}
    assert client.post("/cases/new/", data).status_code == 302
    assert list(Case.objects.get(number=data["number"]).handlers.all()) == [w.colleague]


def test_000_1_4_the_head_assigns_handlers_with_a_reason_on_record(client, db, tmp_path):
    w = build("lushan_finance", tmp_path)
    login(client, w.head)
    page = client.get(f"/cases/{w.case.pk}/handlers/")
    assert page.status_code == 200
    refused = client.post(f"/cases/{w.case.pk}/handlers/", {"handlers": [w.handler.pk, w.colleague.pk],
                                                            "reason": " "})
    assert refused.status_code == 200 and refused.context["form"].errors
    client.post(f"/cases/{w.case.pk}/handlers/", {"handlers": [w.handler.pk, w.colleague.pk],
                                                  "reason": "案情复杂，增加承办人"})
    assert set(w.case.handlers.all()) == {w.handler, w.colleague}
    event = Event.objects.get(verb="case.assign_handlers", result="done")
    assert event.actor == w.head and event.detail["reason"] == "案情复杂，增加承办人"
    assert event.before == {"handlers": [str(w.handler.pk)]}
    assert _plays(client, w.colleague, w.clip) == 200  # now a handler: views directly (000/1/4)


def test_000_1_4_a_pack_may_name_the_office_that_assigns_handlers(db, tmp_path):
    w = build("lushan_finance", tmp_path)
    # A version naming the office that assigns handlers, put into force the way the agency would (issue 21).
    put_in_force(w.agency, variant("lushan_finance")
                 + b"case_handling:\n  handlers_assigned_by: policy_office\n  cite: 000/1/4\n")
    with pytest.raises(cases.CaseRefused):
        cases.assign_handlers(w.case, [w.colleague], reason="增加承办人", actor=w.head)
    cases.assign_handlers(w.case, [w.handler, w.colleague], reason="增加承办人", actor=w.legal)
    assert set(w.case.handlers.all()) == {w.handler, w.colleague}
    shown = [rule for topic in topics(current.in_force(w.agency)) for rule in topic.rules
             if rule.cites == ["000/1/4"] and any(value == "办公室（政策法规处）" for _label, value in rule.details)]
    assert shown  # the agency's rules page says who assigns handlers


# --- confidentiality marks ------------------------------------------------------------------------------


def test_000_1_10_a_handler_raises_a_mark_but_cannot_clear_it(client, db, tmp_path):
    w = build("lushan_finance", tmp_path)
    login(client, w.handler)
    client.post(f"/cases/{w.case.pk}/edit/", _case_form(w.case, state_secret=True))
    w.case.refresh_from_db()
    assert w.case.state_secret
    assert client.get(f"/cases/{w.case.pk}/").status_code == 200
    login(client, w.colleague)
    assert client.get(f"/cases/{w.case.pk}/").status_code == 404  # hidden from the uncleared
    login(client, w.handler)
    refused = client.post(f"/cases/{w.case.pk}/edit/", _case_form(w.case, state_secret=False))
    assert refused.status_code == 200 and refused.context["form"].errors
    w.case.refresh_from_db()
    assert w.case.state_secret and _refused_naming("case.lower_mark", w.handler, w.case)
    with pytest.raises(cases.CaseRefused):
        cases.lower_marks(w.case, ["state_secret"], reason="已解密", actor=w.handler)
    with pytest.raises(cases.CaseRefused):  # the head is no security administrator either
        cases.lower_marks(w.case, ["state_secret"], reason="已解密", actor=w.head)
    login(client, w.colleague)
    assert client.get(f"/cases/{w.case.pk}/").status_code == 404


def test_000_1_10_only_a_handler_raises_a_mark(db, tmp_path):
    from django.core.exceptions import ValidationError

    w = build("lushan_finance", tmp_path)
    data = {name: getattr(w.case, name) for name in cases.CASE_FIELDS}
    with pytest.raises(ValidationError):  # the archivist may correct the case, not hide it from colleagues
        cases.update_case(w.case, {**data, "personal_privacy": True}, actor=w.archivist)
    assert _refused_naming("case.raise_mark", w.archivist, w.case)


def test_000_1_10_the_security_administrator_lowers_a_mark_with_a_reason(client, db, tmp_path):
    w = build("lushan_finance", tmp_path)
    Case.objects.filter(pk=w.case.pk).update(state_secret=True)
    from evidence.models import Record

    Record.objects.filter(pk=w.transcript.pk).update(confidentiality="personal_privacy")
    security = UserFactory(agency=w.agency, roles=(Role.SECURITY_ADMIN,))
    login(client, security)
    page = client.get("/access/marks/").content.decode()
    assert w.case.number in page and w.transcript.original_name in page
    client.post("/access/marks/", {"case": w.case.pk, "marks": ["state_secret"], "reason": ""})
    w.case.refresh_from_db()
    assert w.case.state_secret
    client.post("/access/marks/", {"case": w.case.pk, "marks": ["state_secret"], "reason": "经审查已解密"})
    w.case.refresh_from_db()
    assert not w.case.state_secret
    event = Event.objects.get(verb="case.lower_mark", result="done")
    assert event.detail["reason"] == "经审查已解密" and event.before == {"state_secret": True}
    client.post("/access/marks/", {"record": w.transcript.pk, "reason": "当事人同意公开"})
    w.transcript.refresh_from_db()
    assert w.transcript.confidentiality == ""
    assert Event.objects.filter(verb="record.lower_mark", result="done", object_id=str(w.transcript.pk)).exists()
    login(client, w.handler)
    assert client.get("/access/marks/").status_code == 403


def test_000_1_10_a_records_mark_is_not_cleared_by_classifying_it(client, db, tmp_path):
    from evidence import services as evidence
    from evidence.models import Record

    w = build("lushan_finance", tmp_path)
    Record.objects.filter(pk=w.transcript.pk).update(confidentiality="personal_privacy")
    w.transcript.refresh_from_db()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        evidence.classify_record(w.transcript, {"confidentiality": ""}, actor=w.handler)
    w.transcript.refresh_from_db()
    assert w.transcript.confidentiality == "personal_privacy"
    assert _refused_naming("record.lower_mark", w.handler, w.transcript)


def test_000_1_4_an_officer_cannot_file_anothers_record_into_their_own_case(db, tmp_path):
    from django.core.exceptions import ValidationError

    from evidence import services as evidence
    from tests.factories import CaseFactory

    w = build("lushan_finance", tmp_path)
    own = CaseFactory(agency=w.agency, handlers=[w.colleague])
    with pytest.raises(ValidationError):
        evidence.classify_record(w.clip, {"case": own}, actor=w.colleague)
    with pytest.raises(ValidationError):  # nor their own recording into a case they do not handle
        from evidence.ingest import Origin, ingest_file
        from evidence.synthetic import make_video

        path = make_video(tmp_path / "own.mp4", seconds=1, fps=8)
        mine = ingest_file(path, path.name, Origin(agency=w.agency, channel="upload", ingested_by=w.colleague,
                                                   officer=w.colleague)).record
        evidence.classify_record(mine, {"case": w.case}, actor=w.colleague)
    w.clip.refresh_from_db()
    assert w.clip.case_id == w.case.pk


# --- view is not copy -----------------------------------------------------------------------------------


def _stream(client, record, **headers) -> bytes:
    token = client.get(f"/evidence/{record.pk}/play/").context["token"]
    response = client.get(f"/evidence/{record.pk}/stream/{token}/", **headers)
    assert response.status_code in (200, 206), response.status_code
    return b"".join(response.streaming_content)


def _original(record) -> bytes:
    from evidence.derivatives import stored_object

    return b"".join(store_named(record.blob.backend).read_range(stored_object(record.blob), 0, None))


def test_000_1_4_a_view_only_grant_streams_a_playback_copy_never_the_original(client, db, tmp_path):
    w = build("lushan_finance", tmp_path)
    access = services.submit_request(application(w, "other_staff", ["view"], person=w.colleague), actor=w.colleague)
    services.decide(access, actor=w.head, approve=True, comment="同意")
    login(client, w.colleague)
    page = client.get(f"/evidence/{w.clip.pk}/play/")
    assert page.status_code == 200 and page.context["source"] is None  # no playback copy yet: nothing streams
    token = page.context["token"]
    assert client.get(f"/evidence/{w.clip.pk}/stream/{token}/").status_code == 404
    derivatives.make_all(w.clip)
    served = _stream(client, w.clip)
    original = _original(w.clip)
    proxy = w.clip.derivatives.get(kind=Derivative.Kind.PROXY)
    assert served != original and hashlib.sha256(served).hexdigest() == proxy.blob.sha256 != w.clip.blob.sha256
    assert proxy.source_sha256 == w.clip.blob.sha256  # the copy names the original it came from
    assert _stream(client, w.clip, HTTP_RANGE="bytes=0-99") == served[:100]
    login(client, w.handler)  # the case officer viewing directly gets the same copy
    assert _stream(client, w.clip) == served
    login(client, w.archivist)
    assert _stream(client, w.clip) == served


def test_000_1_4_photos_and_documents_are_shown_as_rendered_copies(client, db, tmp_path):
    from PIL import Image

    from evidence.ingest import Origin, ingest_file
    from lawtrace.pdf import render_pdf

    w = build("lushan_finance", tmp_path)
    origin = Origin(agency=w.agency, channel="upload", ingested_by=w.handler, officer=w.handler, case=w.case)
    photo_path = tmp_path / "现场照片.jpg"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(photo_path, "JPEG")
    photo = ingest_file(photo_path, photo_path.name, origin).record
    pdf_path = tmp_path / "询问笔录.pdf"
    pdf_path.write_bytes(render_pdf("access/package_note.html", {
        "agency": w.agency, "records": [], "extraction": None, "extracted_at": timezone.localtime()}))
    document = ingest_file(pdf_path, pdf_path.name, origin).record
    for record in (photo, document):
        derivatives.make_all(record)
        login(client, w.handler)
        served = _stream(client, record)
        assert served and served != _original(record), record.original_name
    assert _stream(client, document)[:5] == b"%PDF-"


# --- discs ----------------------------------------------------------------------------------------------


def test_000_2_16_the_archivist_burns_only_what_is_preserved_or_under_a_copying_grant(client, db, tmp_path,
                                                                                       settings):
    from retention import disc_services as discs
    from retention import services as retention
    from retention.discs import image_dir
    from retention.models import Disc

    settings.DATA_DIR = tmp_path / "data"
    w = build("lushan_finance", tmp_path)
    login(client, w.archivist)
    client.post("/retention/discs/", {"title": "现场检查", "records": [w.clip.pk]})
    assert not Disc.objects.exists() and _refused_naming("retention.disc_request", w.archivist, w.clip)
    with pytest.raises(retention.RetentionRefused):
        discs.request_disc([w.clip], title="现场检查", actor=w.archivist)
    # Behind the application's back: a ready disc of a record nothing preserves is not downloaded. (Its image and its
    # making are on record, so that only preservation decides; an image without that is refused anyway.)
    (image_dir() / "forged.iso").write_bytes(bytes(2048))
    digest = hashlib.sha256(bytes(2048)).hexdigest()
    forged = Disc.objects.create(agency=w.agency, title="x", maker=w.archivist, requested_at=timezone.now(),
                                 state=Disc.State.READY, image_name="forged.iso", sha256=digest)
    forged.records.set([w.clip])
    with transaction.atomic():
        record_event("retention.disc_made", obj=forged, after={"image": "forged.iso", "sha256": digest})
    assert client.get(f"/retention/discs/{forged.pk}/image/").status_code == 403
    assert _refused_naming("retention.disc_download", w.archivist, forged)
    hold = retention.place_hold([w.clip], kind="long_term", trigger="objection_or_complaint",
                                reason="当事人投诉", actor=w.archivist)[0]
    assert client.get(f"/retention/discs/{forged.pk}/image/").status_code == 200  # preserved now
    made = discs.make(discs.request_disc([w.clip], title="现场检查", actor=w.archivist).pk)
    assert client.get(f"/retention/discs/{made.pk}/image/").status_code == 200
    retention.release_hold(hold, actor=w.head, reason="投诉已处理完毕")
    assert client.get(f"/retention/discs/{made.pk}/image/").status_code == 403
    # Copy approval is the other way: an authority's copying grant the archivist holds (000/1/6).
    services.submit_request(application(w, "court", ["copy_out"], records=[w.clip], credentials={
        "introduction_letter": "法介〔2026〕3号", "valid_id": "410423198001010011"}), actor=w.archivist)
    assert discs.request_disc([w.clip], title="法院调取", actor=w.archivist).records.get() == w.clip
