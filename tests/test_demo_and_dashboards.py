import pytest
from django.core.management import call_command
from django.test import Client

from authz.roles import Role
from lawtrace import demo
from org.models import Agency, User

pytestmark = pytest.mark.django_db

PANEL_TITLE = {
    "officer": "我的待办执法活动", "archivist": "已结案待归档案件", "head": "本机关概况",
    "legal": "涉及重大执法决定的在办案件", "supervisor": "本年度执法活动（按类别）", "sysadmin": "本机关账号",
    "secadmin": "最近的角色授权", "auditor": "最新事件",
}


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    # Loading the demo hashes dozens of passwords; load it once for the module and empty the database after.
    with django_db_blocker.unblock():
        demo.load()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def test_demo_loads_four_agencies_with_one_account_per_role_and_is_idempotent(demo_data):
    assert Agency.objects.count() == 4
    first = {u.username: u for u in User.objects.filter(agency__code="lushan-finance")}
    held = {role for user in first.values() for role in user.role_set}
    assert held == set(Role.values)
    demo.load()
    assert Agency.objects.count() == 4


@pytest.mark.parametrize("username", list(PANEL_TITLE))
def test_each_demo_role_reaches_its_dashboard(demo_data, username):
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": demo.DEMO_PASSWORD}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert PANEL_TITLE[username] in page


def test_demo_logins_prints_url_and_accounts(demo_data, capsys):
    call_command("demo_logins", "--url", "http://127.0.0.1:8000/")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/" in out and demo.DEMO_PASSWORD in out
    assert all(name in out for name in PANEL_TITLE)


def test_demo_has_findings_a_note_to_review_and_a_device_ledger(demo_data):
    from compliance.models import Finding, InterruptionNote
    from ledger.models import Event

    for agency in Agency.objects.all():
        assert Finding.objects.filter(agency=agency, closed_at=None).exists()
        assert InterruptionNote.objects.filter(agency=agency, state="submitted").count() == 1
        assert Event.objects.filter(agency_code=agency.code, verb="device.hand_out").count() == 1
    client = Client()
    client.post("/accounts/login/", {"username": "head", "password": demo.DEMO_PASSWORD})
    assert "待审核的中断工作记录" in client.get("/").content.decode()


def test_demo_has_an_access_request_waiting_on_the_heads_dashboard(demo_data):
    from access.models import AccessRequest

    waiting = AccessRequest.objects.filter(status="pending")
    assert waiting.count() == Agency.objects.count()
    client = Client()
    client.post("/accounts/login/", {"username": "head", "password": demo.DEMO_PASSWORD})
    page = client.get("/").content.decode()
    head_agency = Agency.objects.get(staff__username="head")
    mine = waiting.get(agency=head_agency)
    assert "待您审批的调阅申请" in page and f"/access/{mine.pk}/" in page


def test_demo_register_shows_the_archivists_looks(demo_data):
    client = Client()
    client.force_login(User.objects.get(username="head"))
    page = client.get("/access/register/")
    assert page.status_code == 200 and page.context["page"].paginator.count == 2
    assert "该期间没有登记记录" not in page.content.decode()


def test_demo_keeps_one_clip_long_term_in_each_agency(demo_data):
    from retention.models import Hold, Schedule

    for agency in Agency.objects.all():
        assert Hold.objects.filter(agency=agency, kind="long_term", released_at__isnull=True).count() == 1
        assert Schedule.objects.filter(agency=agency).exists()


def test_demo_has_a_drawn_review_round_and_a_misconduct_case_for_the_head(demo_data):
    from supervision import reviews
    from supervision.models import MisconductCase, ReviewRound

    for agency in Agency.objects.all():
        made = ReviewRound.objects.get(agency=agency)
        assert made.state == "reviewing" and reviews.check(made) and made.reviews.count() == 1
        assert MisconductCase.objects.filter(agency=agency, state="open").count() == 1


def _links(html: str) -> list[str]:
    import re

    skipped = ("/static/", "/accounts/logout", "download", "/stream", "/play/", ".pdf", "format=")
    found = (m.group(1).replace("&amp;", "&") for m in re.finditer(r'href="(/[^"#]*)"', html))
    return [url for url in found if not any(part in url for part in skipped)]


# Words a Chinese reader meets as they are: names of formats, standards and units, not of the system's insides.
ENGLISH_ALLOWED = {"PDF", "Excel", "xlsx", "csv", "zip", "ZIP", "ISO", "BagIt", "RFC", "Ed25519", "SM2", "SM3",
                   "SHA", "Hz", "fps", "kbps", "aac", "AAC", "mp3", "jpeg", "JPEG", "png", "mov", "mp4", "avi",
                   "pcm", "hevc", "h264", "hvc1", "avc1", "yuv420p", "ECharts", "HTTPS", "SMTP", "GiB", "MiB", "KiB",
                   "Lawtrace", "API", "ID", "GB", "DA", "XLSX", "JSON", "json", "OK", "pdf", "jpg", "wav", "opus",
                   "mjpeg", "flac", "CSV", "TOTP", "UTC", "EXIF", "moov", "BWF", "AVI", "IDIT", "LIST", "INFO"}


def _unreadable(html: str, names: set[str]) -> set[str]:
    """What a reader should not meet in the text of a page (identifiers shown on purpose sit in <code>): snake_case
    keys, ``#12`` references to rows, and English words other than format names and the accounts' log-in names."""
    import re
    from html import unescape

    text = unescape(re.sub(r"<(script|style|code|pre)\b.*?</\1>|<[^>]+>", " ", html, flags=re.S))
    found = set(re.findall(r"\b[a-z]+_[a-z_]+\b", text)) | set(re.findall(r"#\d+", text))
    words = re.findall(r"(?<![\w.\-/@:])[A-Za-z]{2,}(?![\w.\-/@])", text)
    return found | {word for word in words if word not in ENGLISH_ALLOWED and word not in names}


@pytest.mark.parametrize("username", ["officer", "xf-assistant", "rw-archivist", "head", "legal", "supervisor",
                                      "sysadmin", "auditor", "archivist", "secadmin", "pe-head", "rw-legal"])
def test_every_link_a_page_offers_opens_for_its_reader(demo_data, username):
    """From the dashboard, follow each link (at most three pages of a kind): none may refuse, vanish or fail.

    A link the reader would only be refused at, or a case the reader may not see, is not offered in the first place.
    """
    import re

    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username=username))
    names = set(User.objects.values_list("username", flat=True))
    to_visit, seen, kinds, broken, untranslated = [("/", "")], set(), {}, [], set()
    while to_visit:
        url, linked_from = to_visit.pop()
        kind = re.sub(r"\d+", "N", url.split("?")[0])
        if url in seen or kinds.get(kind, 0) >= 3:
            continue
        seen.add(url)
        kinds[kind] = kinds.get(kind, 0) + 1
        response = client.get(url)
        if response.status_code not in (200, 302):
            broken.append(f"{url} → {response.status_code} (linked from {linked_from})")
        elif "text/html" in response.get("Content-Type", ""):
            html = response.content.decode()
            to_visit.extend((link, url) for link in _links(html) if link not in seen)
            untranslated.update((word, url) for word in _unreadable(html, names))
    assert not broken, broken
    # Chinese first: no snake_case key, row id or English word reaches the reader
    assert not untranslated, sorted(untranslated)
    assert len(seen) > 3


def test_demo_has_expired_records_to_purge_and_names_each_agencys_prefix(demo_data, capsys):
    """000/2/15: historical clips past the pack's term wait for the archivist's review; one purge waits for the head.
    The start-up printout says which account prefix is whose."""
    from retention.models import PurgeProposal
    from retention.queries import due_for_review

    for agency in Agency.objects.all():
        archivist = User.objects.get(agency=agency, role_grants__role=Role.ARCHIVIST)
        assert due_for_review(archivist).exists() or PurgeProposal.objects.filter(record__agency=agency).exists()
        assert PurgeProposal.objects.filter(record__agency=agency, state="proposed").count() == 1
    call_command("demo_logins")
    out = capsys.readouterr().out
    for spec in demo.AGENCIES[1:]:
        name = Agency.objects.get(code=spec["code"]).name
        assert any(line.split()[:2] == [spec["prefix"], name] for line in out.splitlines())
