"""The read API: records' metadata (never their content), compliance findings and rates, the access register,
retention due lists and supervision results — each through the query the pages use, so ``restrict`` decides what
a token sees, one page at a time by cursor."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from access import register
from authz.capabilities import require
from compliance import queries as compliance
from compliance.labels import RULES
from compliance.models import Finding
from evidence.models import Record
from evidence.queries import visible_records
from integration.api.base import IntegrationView
from integration.api.errors import ApiError
from integration.api.pagination import IdCursor
from retention import queries as retention
from supervision.models import RecordReview


def _number(user) -> str | None:
    return (user.staff_number or user.username) if user is not None else None


class RecordMeta(serializers.ModelSerializer):
    sha256 = serializers.CharField(source="blob.sha256")
    size = serializers.IntegerField(source="blob.size")
    officer = serializers.SerializerMethodField()
    device = serializers.CharField(source="device.serial", default=None)

    class Meta:
        model = Record
        fields = ["id", "kind", "usage", "original_name", "channel", "sha256", "size", "officer", "device", "case",
                  "activity", "link_state", "recorded_start", "recorded_end", "stored_at", "due_at", "late",
                  "confidentiality", "conclusive", "purged_at"]

    def get_officer(self, record: Record) -> str | None:
        return _number(record.officer)


class RecordList(IntegrationView):
    operations = {"GET": "records.read"}

    @extend_schema(responses=RecordMeta(many=True), parameters=[OpenApiParameter("case", int),
                                                                OpenApiParameter("activity", int)])
    def get(self, request: Request) -> Response:
        rows = visible_records(self.principal).select_related("blob", "officer", "device")
        for name in ("case", "activity"):
            if (value := request.query_params.get(name, "")).isdigit():
                rows = rows.filter(**{f"{name}_id": int(value)})
        paginator = IdCursor()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response(RecordMeta(page, many=True).data)


class FindingRow(serializers.ModelSerializer):
    rule_label = serializers.SerializerMethodField()
    officer = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = ["id", "rule", "rule_label", "severity", "cites", "activity", "record", "officer", "unit", "params",
                  "opened_at", "closed_at"]

    def get_rule_label(self, finding: Finding) -> str:
        return str(RULES.get(finding.rule, finding.rule))

    def get_officer(self, finding: Finding) -> str | None:
        return _number(finding.officer)


class FindingList(IntegrationView):
    operations = {"GET": "compliance.read"}

    @extend_schema(responses=FindingRow(many=True), parameters=[
        OpenApiParameter("state", str, enum=["open", "closed", "all"]), OpenApiParameter("rule", str),
        OpenApiParameter("activity", int), OpenApiParameter("month", str, description="YYYY-MM")])
    def get(self, request: Request) -> Response:
        rows = compliance.filter_findings(compliance.visible_findings(self.principal), request.query_params)
        paginator = IdCursor()
        page = paginator.paginate_queryset(rows.select_related("officer"), request, view=self) or []
        return paginator.get_paginated_response(FindingRow(page, many=True).data)


class ComplianceRates(IntegrationView):
    operations = {"GET": "compliance.read"}

    @extend_schema(parameters=[OpenApiParameter("by", str, enum=["month", "unit", "officer", "category"]),
                               OpenApiParameter("since", str, description="YYYY-MM-DD")],
                   responses=inline_serializer("Rates", {"by": serializers.CharField(),
                                                         "rows": serializers.ListField(child=serializers.DictField())}))
    def get(self, request: Request) -> Response:
        by = request.query_params.get("by", "month")
        if by not in ("month", "unit", "officer", "category"):
            raise ApiError("validation_failed", errors={"by": ["month / unit / officer / category"]})
        since = _day(request, "since")
        rows = compliance.rates(self.principal, by, since)  # one row per group: small whatever the data
        return Response({"by": by, "rows": [{k: (str(v) if isinstance(v, dt.date) else v) for k, v in row.items()}
                                            for row in rows]})


def _day(request: Request, name: str) -> dt.date | None:
    text = request.query_params.get(name, "")
    if not text:
        return None
    day = parse_date(text)
    if day is None:
        raise ApiError("validation_failed", errors={name: ["YYYY-MM-DD"]})
    return day


class SeqCursor(IdCursor):
    ordering = "seq"


class AccessRegister(IntegrationView):
    """The register (查阅登记簿, 000/1/3) as the page shows it: every look and copy, with the request it served."""

    operations = {"GET": "access.read"}

    @extend_schema(parameters=[OpenApiParameter("since", str), OpenApiParameter("until", str)],
                   responses=inline_serializer("RegisterRow", {name: serializers.CharField()
                                                               for name in ("seq", *register.COLUMNS)}, many=True))
    def get(self, request: Request) -> Response:
        require(self.principal, "access.register")
        since, until = _day(request, "since"), _day(request, "until")
        events = register.register_events(
            self.principal.agency.code,
            _moment(since), _moment(until + dt.timedelta(days=1)) if until else None)
        paginator = SeqCursor()
        page = paginator.paginate_queryset(events, request, view=self) or []
        rows = [{"seq": row.seq, **dict(zip(register.COLUMNS, row.cells(), strict=True))}
                for row in register.rows(page)]
        return paginator.get_paginated_response(rows)


def _moment(day: dt.date | None) -> dt.datetime | None:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) if day else None


class DueRow(serializers.ModelSerializer):
    retain_until = serializers.DateField(source="retention.retain_until")
    rules = serializers.CharField(source="retention.rules")
    cites = serializers.CharField(source="retention.cites")

    class Meta:
        model = Record
        fields = ["id", "kind", "original_name", "case", "activity", "stored_at", "retain_until", "rules", "cites"]


class RetentionDue(IntegrationView):
    """Records whose term has ended and that nothing keeps (000/2/15), as the retention page lists them."""

    operations = {"GET": "retention.read"}

    @extend_schema(responses=DueRow(many=True))
    def get(self, request: Request) -> Response:
        paginator = IdCursor()
        rows = retention.due_for_review(self.principal).order_by()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response(DueRow(page, many=True).data)


class ReviewResult(serializers.ModelSerializer):
    round_title = serializers.CharField(source="round.title")
    round_kind = serializers.CharField(source="round.kind")
    round_state = serializers.CharField(source="round.state")
    officer = serializers.SerializerMethodField()

    class Meta:
        model = RecordReview
        fields = ["id", "round", "round_title", "round_kind", "round_state", "record", "officer", "scores",
                  "percent", "remarks", "reviewed_at"]

    def get_officer(self, review: RecordReview) -> str | None:
        return _number(review.officer)


class SupervisionResults(IntegrationView):
    """Sampling checks and annual reviews: each reviewed record's scores, as the rounds' pages show them."""

    operations = {"GET": "supervision.read"}

    @extend_schema(responses=ReviewResult(many=True), parameters=[OpenApiParameter("round", int)])
    def get(self, request: Request) -> Response:
        rows = RecordReview.objects.restrict(self.principal).select_related("round", "officer")
        if (value := request.query_params.get("round", "")).isdigit():
            rows = rows.filter(round_id=int(value))
        paginator = IdCursor()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response(ReviewResult(page, many=True).data)
