"""What the API reads and takes, field by field (each is in the OpenAPI description at /api/schema/)."""

from rest_framework import serializers

from measures.models import IncentiveCategory
from nominations.models import Cycle, Evidence, NominationList, Nominee
from organisation.models import Programme, Unit
from reviews.models import Award

from .models import Scope

MAX_ROWS = 50  # a list holds at most limits.ABSOLUTE_MAXIMUM nominees; values a sheet at most this many at once


class ProgrammeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Programme
        fields = ["id", "code", "name", "government", "level", "general_office"]


class UnitSerializer(serializers.ModelSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "programme", "name", "full_name", "kind", "parent", "is_active"]


class CategorySerializer(serializers.ModelSerializer):
    programme = serializers.CharField(source="measure.document.programme.code", read_only=True)
    document = serializers.CharField(source="measure.document.number", read_only=True)
    measure_number = serializers.IntegerField(source="measure.number", read_only=True)
    measure_title = serializers.CharField(source="measure.title", read_only=True)

    class Meta:
        model = IncentiveCategory
        fields = ["id", "code", "name", "kind", "programme", "document", "measure_number", "measure_title"]


class CycleSerializer(serializers.ModelSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)

    class Meta:
        model = Cycle
        fields = ["id", "programme", "year", "state", "opens_at", "deadline", "published_at"]


class ListSummarySerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="cycle.year", read_only=True)
    programme = serializers.CharField(source="cycle.programme.code", read_only=True)
    category_code = serializers.CharField(source="category.code", read_only=True)
    bureau = serializers.CharField(source="bureau.short_name", read_only=True)

    class Meta:
        model = NominationList
        fields = ["id", "programme", "year", "category", "category_code", "bureau", "state", "version",
                  "submitted_at", "updated_at"]


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "original_name", "content_type", "size", "sha256", "uploaded_at"]


class DecisionSerializer(serializers.Serializer):
    approved = serializers.BooleanField()
    comment = serializers.CharField()


class NomineeSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    decision = serializers.SerializerMethodField()

    class Meta:
        model = Nominee
        fields = ["id", "rank", "unit", "unit_name", "achievements", "figures", "departure_reason", "evidence",
                  "decision"]

    def get_decision(self, nominee) -> DecisionSerializer(allow_null=True):
        """The General Office's decision: shown to its reviewers, and to everyone once the year is published."""
        if not self.context.get("decisions_shown"):
            return None
        decision = getattr(nominee, "decision", None)
        return None if decision is None else {"approved": decision.approved, "comment": decision.comment}


class ListDetailSerializer(ListSummarySerializer):
    nominees = NomineeSerializer(many=True, read_only=True)

    class Meta(ListSummarySerializer.Meta):
        fields = [*ListSummarySerializer.Meta.fields, "nothing_to_propose", "nothing_reason", "return_reason",
                  "nominees"]


class AwardSerializer(serializers.ModelSerializer):
    programme = serializers.CharField(source="cycle.programme.code", read_only=True)
    year = serializers.IntegerField(source="cycle.year", read_only=True)
    category_code = serializers.CharField(source="category.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Award
        fields = ["id", "programme", "year", "category", "category_code", "unit", "unit_name", "is_entitlement",
                  "awarded_at"]


class FundsSerializer(AwardSerializer):
    disbursed = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta(AwardSerializer.Meta):
        fields = [*AwardSerializer.Meta.fields, "amount", "disbursed"]


# --- what a bureau's system sends ---------------------------------------------------------------------------

class NomineeEntrySerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, max_value=2**62, help_text="The unit's id (GET /api/v1/units/…)")
    achievements = serializers.CharField(allow_blank=True, max_length=20000)
    figures = serializers.CharField(allow_blank=True, required=False, default="", max_length=20000)
    departure_reason = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


class DraftSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, max_value=2**31 - 1,
                                       help_text="The list's version as last read (0 before it exists): a save over "
                                                 "someone else's newer one is refused (409)")
    nominees = NomineeEntrySerializer(many=True, max_length=MAX_ROWS, help_text="In rank order")
    nothing_to_propose = serializers.BooleanField(required=False, default=False)
    nothing_reason = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    version = serializers.IntegerField(min_value=0, max_value=2**31 - 1)


class ValueEntrySerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, max_value=2**62)
    indicator = serializers.IntegerField(min_value=1, max_value=2**62)
    value = serializers.CharField(max_length=100, allow_blank=True,
                                  help_text="A number, a score on the indicator's scale, or 是/否 for a condition")


class ValuesSerializer(serializers.Serializer):
    values = ValueEntrySerializer(many=True, min_length=1, max_length=2000)


class ValuesWrittenSerializer(serializers.Serializer):
    written = serializers.IntegerField()


class TokenScopesSerializer(serializers.Serializer):
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices))
