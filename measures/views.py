from django.http import Http404
from django.shortcuts import render

from organisation import access
from organisation.models import Bureau, UnitKind

from . import selectors
from .models import Measure


@access.door()
def measure_list_view(request):
    """The catalogue, filterable by responsible bureau and by kind of unit rewarded."""
    document = selectors.document_in_force(request.user)
    bureaus = list(selectors.bureaus_with_responsibilities(document=document))
    kinds = list(UnitKind.objects.all())
    bureau = next((b for b in bureaus if str(b.pk) == request.GET.get("bureau")), None)
    kind = next((k for k in kinds if k.code == request.GET.get("kind")), None)
    measures = list(selectors.measure_list(document=document, bureau=bureau, kind=kind))
    return render(request, "measures/measure_list.html", {
        "document": document,
        "measures": measures,
        "bureaus": bureaus,
        "kinds": kinds,
        "selected_bureau": bureau,
        "selected_kind": kind,
    })


@access.door()
def measure_detail_view(request, pk: int):
    try:
        measure = selectors.measure_detail(pk=pk, user=request.user)
    except Measure.DoesNotExist:
        raise Http404 from None
    return render(request, "measures/measure_detail.html", {
        "measure": measure, "rules": selectors.rules_in_force(measure),
        "rules_readable": access.opens_programme_files(access.person(request.user))})


@access.door()
def bureau_list_view(request):
    """Each responsible bureau with the categories it answers for and its role in each."""
    document = selectors.document_in_force(request.user)
    measures = list(selectors.measure_list(document=document))
    by_bureau: dict[int, list] = {}
    for measure in measures:
        for category in measure.categories.all():
            for responsibility in category.responsibilities.all():
                by_bureau.setdefault(responsibility.bureau_id, []).append((measure, category, responsibility))
    bureaus = [(b, by_bureau.get(b.pk, [])) for b in Bureau.objects.filter(pk__in=by_bureau).order_by("order", "short_name")]
    return render(request, "measures/bureau_list.html", {"document": document, "bureaus": bureaus})
