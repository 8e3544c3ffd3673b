"""What the write and read endpoints accept and answer. Shapes only: every rule is the action functions' (cases/,
evidence/), which the views call exactly as the pages do."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.models import Activity, Case, Decision
from cases.services import ACTIVITY_FIELDS, CASE_FIELDS

STAFF_NUMBERS = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=False,
                                      help_text="staff numbers (警号) or enforcement certificate numbers")


class CaseWrite(serializers.ModelSerializer):
    handlers = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=False, required=False,
                                     help_text="staff numbers (警号) or enforcement certificate numbers")
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    class Meta:
        model = Case
        fields = [*CASE_FIELDS, "handlers", "external_id"]


class PartyWrite(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = ["party_kind", "party_name", "party_identifier"]


class HandlersWrite(serializers.Serializer):
    handlers = STAFF_NUMBERS
    reason = serializers.CharField(max_length=500)


def _staff_numbers(people) -> list[str]:
    return [p.staff_number or p.username for p in people]


class CaseRead(serializers.ModelSerializer):
    handlers = serializers.SerializerMethodField()
    external_id = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["id", "external_id", *CASE_FIELDS, "handlers", "pack_version", "created_at", "updated_at"]

    def get_handlers(self, case: Case) -> list[str]:
        return _staff_numbers(case.handlers.all())

    def get_external_id(self, obj) -> str:
        return self.context.get("external", {}).get(obj.pk, "")


class ActivityWrite(serializers.ModelSerializer):
    stage = serializers.CharField(max_length=64, help_text="the id of the pack's checklist row")
    properties = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False,
        help_text="ids of the properties the agency's pack declares that hold for this activity (the pages' "
                  "questions); the whole list, replaced on a correction")
    officers = STAFF_NUMBERS
    assistants = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    case_external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    class Meta:
        model = Activity
        fields = [*ACTIVITY_FIELDS, "officers", "assistants", "case_external_id", "external_id"]

    def __init__(self, *args, cases=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if cases is not None:
            field = self.fields["case"]
            assert isinstance(field, serializers.PrimaryKeyRelatedField)
            field.queryset = cases


class ActivityRead(serializers.ModelSerializer):
    officers = serializers.SerializerMethodField()
    assistants = serializers.SerializerMethodField()
    external_id = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = ["id", "external_id", *ACTIVITY_FIELDS, "officers", "assistants", "pack_version", "created_at",
                  "updated_at"]

    def _part(self, activity: Activity, part: str) -> list[str]:
        return _staff_numbers(p.user for p in activity.participants.all() if p.part == part)

    def get_officers(self, activity: Activity) -> list[str]:
        return self._part(activity, "officer")

    def get_assistants(self, activity: Activity) -> list[str]:
        return self._part(activity, "assistant")

    def get_external_id(self, obj) -> str:
        return self.context.get("external", {}).get(obj.pk, "")


class DecisionWrite(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["decision_type", "amount_yuan", "measures", "law_requires_review"]


class DecisionRead(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["id", "case", "decision_type", "amount_yuan", "measures", "law_requires_review", "required_items",
                  "state", "drafted_at", "finalised_at", "pack_version"]


class LinkWrite(serializers.Serializer):
    activity = serializers.IntegerField(help_text=str(_("enforcement activity")))
