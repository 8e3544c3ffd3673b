"""A refusal is kept on record in its source words (the message id and its values), whatever language the refused
person was using, and each reader sees it in theirs (ledger.wording)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import translation

from authz import capabilities
from authz.denied import Denied
from authz.roles import Role
from cases import decisions
from cases import services as cases
from evidence import services as evidence
from ledger.display import changes
from ledger.models import Event
from supervision import accountability
from supervision.refusals import Refused
from tests.factories import CaseFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db


def _refused_twice(attempt) -> tuple[Event, Event]:
    """The same refused attempt made in English and in Chinese: the two denied events it left."""
    events = []
    for language in ("en", "zh-hans"):
        with translation.override(language), pytest.raises((ValidationError, PermissionDenied, Refused,
                                                           decisions.DecisionRefused, PermissionError)):
            attempt()
        events.append(Event.objects.filter(result=Event.Result.DENIED).order_by("-seq").first())
    return events[0], events[1]


def _same_and_shown_in_each_language(english: Event, chinese: Event) -> None:
    assert english.detail == chinese.detail and english.verb == chinese.verb
    reason = english.detail["reason"]
    kept = reason["msgid"] if isinstance(reason, dict) else reason
    assert kept.isascii()  # the message id, not a translation
    shown = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            shown[language] = [c.after for c in changes(english)][-1]
    assert shown["en"] != shown["zh-hans"] and not shown["zh-hans"].isascii()


def test_a_case_refusal_stores_the_same_detail_in_either_language(agency):
    officer = UserFactory(agency=agency, roles=(Role.OFFICER,))
    case = CaseFactory(agency=agency, handlers=[officer])
    # Values that are names (the office that assigns handlers) are kept as message ids too.
    _same_and_shown_in_each_language(*_refused_twice(
        lambda: cases.assign_handlers(case, [officer], reason="调整", actor=officer)))


def test_a_record_refusal_stores_the_same_detail_in_either_language(agency):
    officer = UserFactory(agency=agency, roles=(Role.OFFICER,))
    record = RecordFactory(agency=agency, officer=officer, confidentiality="personal_privacy")
    _same_and_shown_in_each_language(*_refused_twice(
        lambda: evidence.lower_record_mark(record, reason="已解密", actor=officer)))


def test_a_decision_refusal_stores_the_same_detail_in_either_language(agency):
    archivist = UserFactory(agency=agency, roles=(Role.AUDIT_ADMIN,))
    case = CaseFactory(agency=agency)
    _same_and_shown_in_each_language(*_refused_twice(
        lambda: decisions.draft(case, decision_type="warning", amount_yuan=None, measures="警告",
                                law_requires_review=False, actor=archivist)))


def test_a_supervision_refusal_stores_the_same_detail_in_either_language(agency):
    officer = UserFactory(agency=agency, roles=(Role.OFFICER,))
    target = UserFactory(agency=agency, roles=(Role.OFFICER,))
    _same_and_shown_in_each_language(*_refused_twice(
        lambda: accountability.open_case(agency, officer=target, misconduct="x", facts="事实", actor=officer)))


def test_a_refusal_at_a_route_stores_the_same_detail_in_either_language(agency):
    """The web layer's refusal of a capability (authz.routes → lawtrace.refusals) names the capability in words kept
    as their message id."""
    from lawtrace.refusals import DeniedOnRecordMiddleware

    officer = UserFactory(agency=agency, roles=(Role.OFFICER,))
    request = RequestFactory().get("/settings/systems/")
    request.user = officer
    middleware = DeniedOnRecordMiddleware(lambda request: None)

    def attempt():
        denied = Denied("integration.manage", capabilities.refusal("integration.manage"),
                        capability="integration.manage")
        middleware.process_exception(request, denied)
        raise denied

    english, chinese = _refused_twice(attempt)
    assert english.detail["reason"] == {"msgid": "Your role does not allow this: %(what)s.",
                                        "values": {"what": "manage connected systems, their tokens and webhooks"}}
    _same_and_shown_in_each_language(english, chinese)
