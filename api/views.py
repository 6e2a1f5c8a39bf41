"""The open API, version 1: what a person may read, and what a bureau's own system sends.

Every read is scoped by the access door (``organisation.access.restrict``/``get``); every write calls the service
the page calls (``nominations.services``, ``evaluation.services``), which asks the door again (``require``) and
writes its audit record. A call made with a token is recorded too (``services.api_call_record``)."""

from decimal import Decimal

from django.db.models import DecimalField, Prefetch, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluation import selectors as evaluation_selectors
from evaluation import services as evaluation_services
from evaluation.models import Indicator
from incentives import params
from incentives.errors import DomainError
from measures.models import IncentiveCategory
from nominations import selectors as nomination_selectors
from nominations import services as nomination_services
from nominations.models import Cycle, Evidence, NominationList, Nominee
from organisation import access
from organisation.models import Programme, Unit
from reviews.models import Award

from . import serializers, services
from .models import ApiToken, Scope


class Pages(LimitOffsetPagination):
    default_limit = 100
    max_limit = 500


class Recorded:
    """Records every call made with a token, whatever its answer."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(getattr(request, "auth", None), ApiToken):
            services.api_call_record(actor=request.user, token=request.auth, method=request.method,
                                     path=request.get_full_path(), status=response.status_code)
        return response


class ReadList(Recorded, generics.ListAPIView):
    pagination_class = Pages


# --- reads --------------------------------------------------------------------------------------------------

class ProgrammeList(ReadList):
    """The programmes the person belongs to."""

    serializer_class = serializers.ProgrammeSerializer

    def get_queryset(self):
        return access.restrict(Programme.objects.order_by("-is_default", "code"), self.request.user)


class CatalogueList(ReadList):
    """The incentive categories the person may read, of the documents in force."""

    serializer_class = serializers.CategorySerializer

    def get_queryset(self):
        return access.restrict(
            IncentiveCategory.objects.filter(measure__document__in_force=True)
            .select_related("measure__document__programme")
            .order_by("measure__document__programme_id", "measure__number", "order", "pk"), self.request.user)


class UnitList(ReadList):
    """The units of the person's programmes (the ids a list's nominees and a sheet's values name)."""

    serializer_class = serializers.UnitSerializer

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Part of the unit's name")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        units = Unit.objects.select_related("programme").order_by("programme_id", "division_order", "name", "pk")
        text = (self.request.query_params.get("q") or "").replace("\x00", "").strip()[:100]
        if text:
            units = units.filter(name__contains=text)
        return access.restrict(units, self.request.user)


class CycleList(ReadList):
    """The cycles (years) of the person's programmes."""

    serializer_class = serializers.CycleSerializer

    def get_queryset(self):
        return access.restrict(Cycle.objects.select_related("programme").order_by("-year", "programme_id"),
                               self.request.user)


def _year_filter(request):
    raw = request.query_params.get("year")
    if raw is None:
        return None
    year = params.year_from(raw)
    if year is None:
        raise ValidationError({"year": "A year between 1900 and 2999."})
    return year


class ListList(ReadList):
    """The nomination lists the person may read (their bureaus'; a reviewer's programmes')."""

    serializer_class = serializers.ListSummarySerializer

    @extend_schema(parameters=[OpenApiParameter("year", int, description="The performance year")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        lists = NominationList.objects.select_related("cycle__programme", "category", "bureau").order_by(
            "-cycle__year", "category__measure__number", "category__order", "pk")
        year = _year_filter(self.request)
        if year is not None:
            lists = lists.filter(cycle__year=year)
        return access.restrict(lists, self.request.user)


def _list_detail(user, pk) -> tuple[NominationList, bool]:
    """One list the person may read, with its nominees and evidence; whether its decisions are shown (to its
    reviewers, and to everyone once the year is published)."""
    nominees = Nominee.objects.select_related("unit", "decision").prefetch_related(
        Prefetch("evidence", queryset=Evidence.objects.order_by("uploaded_at", "id"))).order_by("rank")
    nomination_list = access.get(
        NominationList.objects.select_related("cycle__programme", "category", "bureau")
        .prefetch_related(Prefetch("nominees", queryset=nominees)), user, pk=pk)
    shown = (nomination_list.cycle.state == Cycle.State.PUBLISHED
             or access.restrict(NominationList.objects.filter(pk=nomination_list.pk), user, "review").exists())
    return nomination_list, shown


class ListDetail(Recorded, APIView):
    """One list with its nominees in rank order, their evidence, and the decisions where the person sees them."""

    @extend_schema(responses=serializers.ListDetailSerializer)
    def get(self, request, pk: int):
        nomination_list, shown = _list_detail(request.user, pk)
        return Response(serializers.ListDetailSerializer(nomination_list, context={"decisions_shown": shown}).data)


class ResultList(ReadList):
    """The published results of the person's programmes: the awards of every published year."""

    serializer_class = serializers.AwardSerializer

    def get_queryset(self):
        published = access.restrict(Cycle.objects.filter(state=Cycle.State.PUBLISHED), self.request.user)
        return (Award.objects.filter(cycle__in=published.values("pk"))
                .select_related("cycle__programme", "category", "unit")
                .order_by("-cycle__year", "category__measure__number", "category__order", "unit__division_order", "pk"))


class AwardList(ReadList):
    """Every award the person may read (the General Office's reviewers: their programmes', published or not)."""

    serializer_class = serializers.AwardSerializer

    def get_queryset(self):
        return access.restrict(Award.objects.select_related("cycle__programme", "category", "unit")
                               .order_by("-cycle__year", "pk"), self.request.user)


class FundsList(ReadList):
    """The funds ledger the person keeps (reviewers and the finance bureau): each award's amount pledged and paid."""

    serializer_class = serializers.FundsSerializer

    def get_queryset(self):
        paid = Coalesce(Sum("disbursements__amount"), Value(Decimal("0")),
                        output_field=DecimalField(max_digits=16, decimal_places=2))
        return (access.restrict(Award.objects.all(), self.request.user, "funds")
                .select_related("cycle__programme", "category", "unit").annotate(disbursed=paid)
                .order_by("-cycle__year", "pk"))


# --- writes: what a bureau's own system sends ------------------------------------------------------------------

def _list_access(user, year: int, category_id: int) -> nomination_selectors.ListAccess:
    if params.year_from(str(year)) is None or params.int_from(str(category_id)) is None:
        raise Http404
    try:
        return nomination_selectors.list_access(user, year=year, category_id=category_id)
    except (Cycle.DoesNotExist, IncentiveCategory.DoesNotExist):
        raise Http404 from None


class DraftSave(Recorded, APIView):
    """The bureau's draft of one category's list in one year: its nominees in rank order (the list is created at
    its first save). The same rules as the page's editor: the bureau that prepares the category, while lists are
    open and before its deadline; evidence is added to a nominee afterwards."""

    write_scope = Scope.LISTS

    @extend_schema(request=serializers.DraftSerializer, responses=serializers.ListDetailSerializer)
    def put(self, request, year: int, category_id: int):
        body = serializers.DraftSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        list_access = _list_access(request.user, year, category_id)
        if not list_access.can_edit_category:
            raise Http404
        data = body.validated_data
        resolution = nomination_selectors.units_resolve(list_access.category,
                                                        programme_id=list_access.cycle.programme_id,
                                                        ids=[row["unit"] for row in data["nominees"]])
        entries = []
        for index, row in enumerate(data["nominees"]):
            unit = resolution.by_id.get(row["unit"])
            if unit is None:
                raise DomainError(f"nominees[{index}].unit: no unit {row['unit']} is proposed in this category.",
                                  field=f"nominees[{index}].unit")
            entries.append(nomination_services.NomineeEntry(
                unit=unit, achievements=row["achievements"], figures=row["figures"],
                departure_reason=row["departure_reason"]))
        nomination_list = list_access.nomination_list or nomination_services.nomination_list_get_or_create(
            actor=request.user, cycle=list_access.cycle, category=list_access.category)
        nomination_services.nomination_list_save(
            actor=request.user, nomination_list=nomination_list, version=data["version"], entries=entries,
            nothing_to_propose=data["nothing_to_propose"], nothing_reason=data["nothing_reason"])
        saved, shown = _list_detail(request.user, nomination_list.pk)
        return Response(serializers.ListDetailSerializer(saved, context={"decisions_shown": shown}).data)


class EvidenceAdd(Recorded, APIView):
    """Add an evidence file to one nominee of a draft (multipart: ``file`` and the list's ``version``). The file is
    checked as on the page (kinds, size, macros)."""

    write_scope = Scope.LISTS
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=serializers.EvidenceUploadSerializer, responses=serializers.ListDetailSerializer)
    def post(self, request, pk: int, nominee_pk: int):
        body = serializers.EvidenceUploadSerializer(data=request.data)
        nomination_list, _shown = _list_detail(request.user, pk)
        nominees = list(nomination_list.nominees.all())
        if not any(n.pk == nominee_pk for n in nominees) or not nomination_selectors.can_edit_category(
                request.user, nomination_list.category):
            raise Http404  # co-responsible bureaus and reviewers read the list; only its bureau adds to it
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        entries = [nomination_services.NomineeEntry(
            unit=n.unit, achievements=n.achievements, figures=n.figures, departure_reason=n.departure_reason,
            files=[upload] if n.pk == nominee_pk else []) for n in nominees]
        nomination_services.nomination_list_save(
            actor=request.user, nomination_list=nomination_list, version=body.validated_data["version"],
            entries=entries, nothing_to_propose=nomination_list.nothing_to_propose,
            nothing_reason=nomination_list.nothing_reason)
        saved, shown = _list_detail(request.user, pk)
        return Response(serializers.ListDetailSerializer(saved, context={"decisions_shown": shown}).data, status=201)


class ValuesEnter(Recorded, APIView):
    """Scoring values of the evaluation (评价指标) of one category's year, as the scoring sheet takes them: every
    value is checked first (eligible unit, indicator of the current criteria, scale, declared interests and
    recusal); one problem refuses them all."""

    write_scope = Scope.SCORES

    @extend_schema(request=serializers.ValuesSerializer, responses=serializers.ValuesWrittenSerializer)
    def put(self, request, year: int, category_id: int):
        body = serializers.ValuesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if params.year_from(str(year)) is None:
            raise Http404
        category = access.get(IncentiveCategory.objects.select_related("measure__document"), request.user,
                              pk=category_id)
        criteria = evaluation_selectors.criteria_current(category=category, year=year)
        if criteria is None:
            raise Http404
        access.require(request.user, "score", criteria)
        rows = body.validated_data["values"]
        indicators = {i.pk: i for i in Indicator.objects.filter(criteria=criteria)}
        units = {u.pk: u for u in access.restrict(Unit.objects.filter(pk__in=[r["unit"] for r in rows]),
                                                  request.user)}
        cells = {}
        for index, row in enumerate(rows):
            unit, indicator = units.get(row["unit"]), indicators.get(row["indicator"])
            if unit is None or indicator is None:
                raise DomainError(f"values[{index}]: no such unit or indicator in these criteria.",
                                  field=f"values[{index}]")
            cells[(unit, indicator)] = row["value"]
        written = evaluation_services.values_enter(actor=request.user, criteria=criteria, cells=cells)
        return Response({"written": written})

