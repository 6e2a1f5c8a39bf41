"""The dossiers (一事一档): one per category and year, downloaded as a zip (``dossier.json`` and ``dossier.pdf``)
by the reviewers of the programme and by the audit administrator. Every download is an audit record."""

from django.http import Http404, HttpResponse
from django.shortcuts import render

from measures.models import IncentiveCategory
from organisation import access
from organisation import services as organisation_services

from ..access import dossier_readers
from ..dossier import dossier_build, dossier_zip
from ..selectors.lists import cycle_years
from .common import _cycle_or_404

dossier_door = access.door(dossier_readers)


@dossier_door
def dossier_years(request):
    """The years whose dossiers the person downloads (every programme's for the audit administrator)."""
    return render(request, "reviews/dossier_years.html", {"years": cycle_years(request.user, "dossier")})


@dossier_door
def dossiers(request, year: int):
    """The categories of the year, each with its dossier to download."""
    cycle = _cycle_or_404(request, year, action="dossier")
    categories = (IncentiveCategory.objects.filter(measure__document_id=cycle.document_id)
                  .select_related("measure").order_by("measure__number", "order"))
    return render(request, "reviews/dossiers.html", {"cycle": cycle, "categories": categories})


@dossier_door
def dossier_download(request, year: int, category_pk: int):
    cycle = _cycle_or_404(request, year, action="dossier")
    category = (IncentiveCategory.objects.filter(pk=category_pk, measure__document_id=cycle.document_id)
                .select_related("measure").first())
    if category is None:
        raise Http404
    dossier = dossier_build(cycle=cycle, category=category)
    body = dossier_zip(dossier)
    organisation_services.data_export_record(actor=request.user, what="dossier", target=cycle, file_format="zip",
                                             rows=len(dossier.entries))
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = (f'attachment; filename="dossier-{cycle.programme.code}-{cycle.year}-'
                                       f'{category.code}.zip"')
    return response
