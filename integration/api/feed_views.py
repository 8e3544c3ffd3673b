"""The pull end of the feed, for systems that cannot receive calls: ``?after=<seq>`` resumes where the last page
ended (``next_after``), so nothing is missed or repeated however the system pauses. Events about cases and records
the system is not cleared for are left out (integration/withheld.py), and not counted: the pages hide them even from
counts (000/1/10)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from integration import feed
from integration.api.base import IntegrationView
from integration.api.errors import ApiError
from integration.withheld import withheld


class Feed(IntegrationView):
    operations = {"GET": "feed.read"}

    @extend_schema(parameters=[
        OpenApiParameter("after", int, description="上一页的 next_after；从头读取时省略"),
        OpenApiParameter("limit", int, description="1–500，默认 100"),
        OpenApiParameter("verb", str, many=True, enum=list(feed.FEED_VERBS))],
        responses=inline_serializer("FeedPage", {
            "events": serializers.ListField(child=serializers.DictField()),
            "next_after": serializers.IntegerField(), "more": serializers.BooleanField()}))
    def get(self, request: Request) -> Response:
        try:
            after = int(request.query_params.get("after", -1))
            limit = min(max(int(request.query_params.get("limit", 100)), 1), 500)
        except ValueError:
            raise ApiError("invalid_cursor") from None
        rows = list(feed.events(self.principal.agency.code, after=after,
                                verbs=request.query_params.getlist("verb") or None)[:limit + 1])
        page = rows[:limit]
        hidden = withheld(self.principal, page)
        return Response({"events": [feed.as_message(e) for e in page if e.seq not in hidden],
                         "next_after": page[-1].seq if page else after, "more": len(rows) > limit})
