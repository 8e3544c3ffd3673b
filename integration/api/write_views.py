"""The write API: cases, parties, handlers, activities, decisions and record links, through the same action
functions as the pages (cases.services, cases.decisions, evidence.services), so the same rules, validation and
events apply; creates take an Idempotency-Key and an external id."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from authz.denied import Denied
from authz.routes import SYSTEM, Route
from cases import decisions, services
from cases.models import Activity, Case, Decision
from cases.queries import visible_activities, visible_cases
from evidence.models import Record
from evidence.services import link_record
from integration import external
from integration.api import idempotency
from integration.api.base import IntegrationView
from integration.api.errors import ApiError
from integration.api.pagination import IdCursor
from integration.api.serializers import (
    ActivityRead,
    ActivityWrite,
    CaseRead,
    CaseWrite,
    DecisionRead,
    DecisionWrite,
    HandlersWrite,
    LinkWrite,
    PartyWrite,
)
from ledger.wording import Wording
from org.models import User
from org.services import staff_by_number

IDEMPOTENCY = OpenApiParameter(idempotency.HEADER, str, OpenApiParameter.HEADER, required=False,
                               description="同一键的重试返回第一次的结果，不会重复创建")
CASE, ACTIVITY = "cases.case", "cases.activity"


def staff(agency, numbers: list[str], field: str) -> list[User]:
    found: list[User] = []
    unknown: list[str] = []
    for number in numbers:
        person = staff_by_number(agency, number)
        if person is None:
            unknown.append(number)
        else:
            found.append(person)
    if unknown:
        raise ApiError("validation_failed", errors={field: [_("No staff member has this number: %(numbers)s.") % {
            "numbers": "、".join(unknown)}]})
    return found


def _claim_external(view: IntegrationView, kind: str, external_id: str) -> None:
    if external_id and (known := external.object_id(view.caller.account, kind, external_id)) is not None:
        raise ApiError("external_id_taken", id=known)


class CaseList(IntegrationView):
    operations = {"GET": "cases.read", "POST": "cases.write"}

    @extend_schema(responses=CaseRead(many=True), parameters=[OpenApiParameter("external_id", str)])
    def get(self, request: Request) -> Response:
        cases = visible_cases(self.principal).prefetch_related("handlers")
        if wanted := request.query_params.get("external_id"):
            cases = cases.filter(pk=external.object_id(self.caller.account, CASE, wanted) or 0)
        paginator = IdCursor()
        page = paginator.paginate_queryset(cases, request, view=self) or []
        names = external.ids_of(self.caller.account, CASE, [c.pk for c in page])
        return paginator.get_paginated_response(CaseRead(page, many=True, context={"external": names}).data)

    @extend_schema(request=CaseWrite, responses={201: CaseRead}, parameters=[IDEMPOTENCY])
    def post(self, request: Request) -> Response:
        return idempotency.create(request, self.caller, self._create, self)

    def _create(self) -> tuple[int, dict]:
        data = CaseWrite(data=self.request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        external_id = values.pop("external_id", "")
        numbers = values.pop("handlers", None)
        _claim_external(self, CASE, external_id)
        agency = self.principal.agency
        handlers = staff(agency, numbers, "handlers") if numbers else []  # the action function asks for one
        case = services.create_case(agency, values, handlers, actor=self.principal, context=self.context())
        external.remember(self.caller.account, case, external_id)
        return 201, CaseRead(case, context={"external": {case.pk: external_id}}).data


class CaseDetail(IntegrationView):
    operations = {"GET": "cases.read", "PATCH": "cases.write"}
    authz_route = Route(SYSTEM, on=CASE)

    def _case(self, action: str = "view") -> Case:
        return get_object_or_404(Case.objects.restrict(self.principal, action), pk=self.kwargs["pk"])

    def _answer(self, case: Case) -> Response:
        names = external.ids_of(self.caller.account, CASE, [case.pk])
        return Response(CaseRead(case, context={"external": names}).data)

    @extend_schema(responses=CaseRead)
    def get(self, request: Request, pk: int) -> Response:
        return self._answer(self._case())

    @extend_schema(request=CaseWrite(partial=True), responses=CaseRead)
    def patch(self, request: Request, pk: int) -> Response:
        case = self._edit_target()
        data = CaseWrite(case, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items() if k not in ("handlers", "external_id")}
        if "handlers" in data.validated_data:
            raise ApiError("validation_failed", errors={"handlers": [_(
                "Handlers change through their own address, with a reason.")]})
        return self._answer(services.update_case(case, values, actor=self.principal, context=self.context()))

    def _edit_target(self) -> Case:
        case = self._case()
        if not Case.objects.restrict(self.principal, "edit").filter(pk=case.pk).exists():
            raise Denied("case.update", Wording(gettext_noop("You may not do this with %(object)s."), object=str(case)),
                         obj=case)
        return case


class CaseParty(CaseDetail):
    """The party of a case (当事人): its kind, name and ID or credit code."""

    operations = {"PUT": "cases.write"}
    authz_route = Route(SYSTEM, on=CASE, action="edit", methods=("PUT",), verb="case.update")

    @extend_schema(request=PartyWrite, responses=CaseRead)
    def put(self, request: Request, pk: int) -> Response:
        case = self._case("edit")
        data = PartyWrite(case, data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.update_case(case, dict(data.validated_data), actor=self.principal,
                                                 context=self.context()))


class CaseHandlers(CaseDetail):
    operations = {"PUT": "cases.write"}
    authz_route = Route(SYSTEM, on=CASE, methods=("PUT",))

    @extend_schema(request=HandlersWrite, responses=CaseRead)
    def put(self, request: Request, pk: int) -> Response:
        case = self._case()
        data = HandlersWrite(data=request.data)
        data.is_valid(raise_exception=True)
        people = staff(case.agency, data.validated_data["handlers"], "handlers")
        return self._answer(services.assign_handlers(case, people, reason=data.validated_data["reason"],
                                                     actor=self.principal, context=self.context()))


class CaseDecisions(IntegrationView):
    operations = {"GET": "cases.read", "POST": "cases.write"}
    authz_route = Route(SYSTEM, on=CASE)

    @extend_schema(responses=DecisionRead(many=True))
    def get(self, request: Request, pk: int) -> Response:
        rows = Decision.objects.restrict(self.principal).filter(case_id=pk)
        paginator = IdCursor()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response(DecisionRead(page, many=True).data)

    @extend_schema(request=DecisionWrite, responses={201: DecisionRead}, parameters=[IDEMPOTENCY])
    def post(self, request: Request, pk: int) -> Response:
        return idempotency.create(request, self.caller, self._draft, self)

    def _draft(self) -> tuple[int, dict]:
        case = get_object_or_404(visible_cases(self.principal), pk=self.kwargs["pk"])
        data = DecisionWrite(data=self.request.data)
        data.is_valid(raise_exception=True)
        decision = decisions.draft(case, **data.validated_data, actor=self.principal, context=self.context())
        return 201, DecisionRead(decision).data


def _activities(principal):
    return visible_activities(principal).prefetch_related("participants__user")


class ActivityList(IntegrationView):
    operations = {"GET": "cases.read", "POST": "cases.write"}

    @extend_schema(responses=ActivityRead(many=True), parameters=[OpenApiParameter("case", int),
                                                                  OpenApiParameter("external_id", str)])
    def get(self, request: Request) -> Response:
        rows = _activities(self.principal)
        if (case := request.query_params.get("case", "")).isdigit():
            rows = rows.filter(case_id=int(case))
        if wanted := request.query_params.get("external_id"):
            rows = rows.filter(pk=external.object_id(self.caller.account, ACTIVITY, wanted) or 0)
        paginator = IdCursor()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        names = external.ids_of(self.caller.account, ACTIVITY, [a.pk for a in page])
        return paginator.get_paginated_response(ActivityRead(page, many=True, context={"external": names}).data)

    @extend_schema(request=ActivityWrite, responses={201: ActivityRead}, parameters=[IDEMPOTENCY])
    def post(self, request: Request) -> Response:
        return idempotency.create(request, self.caller, self._create, self)

    def _create(self) -> tuple[int, dict]:
        values, officers, assistants, external_id = _activity_input(self, None)
        _claim_external(self, ACTIVITY, external_id)
        activity = services.create_activity(self.principal.agency, values, officers, assistants,
                                            actor=self.principal, context=self.context())
        external.remember(self.caller.account, activity, external_id)
        return 201, ActivityRead(activity, context={"external": {activity.pk: external_id}}).data


def _activity_input(view: IntegrationView, activity: Activity | None):
    cases = visible_cases(view.principal)
    data = ActivityWrite(activity, data=view.request.data, partial=activity is not None, cases=cases)
    data.is_valid(raise_exception=True)
    values = dict(data.validated_data)
    external_id = values.pop("external_id", "")
    if case_ref := values.pop("case_external_id", ""):
        found = external.object_id(view.caller.account, CASE, case_ref)
        values["case"] = cases.filter(pk=found or 0).first()
        if values["case"] is None:
            raise ApiError("validation_failed", errors={"case_external_id": [_("No case has this external id.")]})
    agency = view.principal.agency
    people = list(activity.participants.all()) if activity is not None else []
    officers = (staff(agency, values.pop("officers"), "officers") if "officers" in values
                else [p.user for p in people if p.part == "officer"])
    assistants = (staff(agency, values.pop("assistants"), "assistants") if "assistants" in values
                  else [p.user for p in people if p.part == "assistant"])
    return values, officers, assistants, external_id


class ActivityDetail(IntegrationView):
    operations = {"GET": "cases.read", "PATCH": "cases.write"}
    authz_route = Route(SYSTEM, on=ACTIVITY)

    def _answer(self, activity: Activity) -> Response:
        names = external.ids_of(self.caller.account, ACTIVITY, [activity.pk])
        return Response(ActivityRead(activity, context={"external": names}).data)

    @extend_schema(responses=ActivityRead)
    def get(self, request: Request, pk: int) -> Response:
        return self._answer(get_object_or_404(_activities(self.principal), pk=pk))

    @extend_schema(request=ActivityWrite(partial=True), responses=ActivityRead)
    def patch(self, request: Request, pk: int) -> Response:
        activity = get_object_or_404(_activities(self.principal), pk=pk)
        if not Activity.objects.restrict(self.principal, "edit").filter(pk=pk).exists():
            raise Denied("activity.update", Wording(gettext_noop("You may not do this with %(object)s."),
                                                    object=str(activity)),
                         obj=activity)
        values, officers, assistants, _external = _activity_input(self, activity)
        updated = services.update_activity(activity, values, officers, assistants, actor=self.principal,
                                           context=self.context())
        return self._answer(get_object_or_404(_activities(self.principal), pk=updated.pk))


class RecordLink(IntegrationView):
    """Link a filed record to an activity, as an archivist does on the record's page."""

    operations = {"POST": "cases.write"}
    authz_route = Route(SYSTEM, on="evidence.record", action="classify", methods=("POST",), verb="record.link")

    @extend_schema(request=LinkWrite, responses={200: None})
    def post(self, request: Request, pk: int) -> Response:
        record = get_object_or_404(Record.objects.restrict(self.principal, "classify"), pk=pk)
        data = LinkWrite(data=request.data)
        data.is_valid(raise_exception=True)
        activity = visible_activities(self.principal).filter(pk=data.validated_data["activity"]).first()
        if activity is None:
            raise ApiError("validation_failed", errors={"activity": [_("Choose an activity of your agency.")]})
        record = link_record(record, activity, actor=self.principal, context=self.context())
        return Response({"record": record.pk, "activity": record.activity_id, "case": record.case_id,
                         "link_state": record.link_state})
