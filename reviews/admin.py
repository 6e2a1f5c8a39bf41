"""Review records in the admin are read-only: every change goes through reviews.services (and is audited)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _

from measures.exports import export_response
from nominations.exports import nomination_rows
from nominations.models import Cycle
from organisation.roles import is_administrator

from .exports import award_rows
from .models import Award, Bulletin, CycleReopening, Decision

CYCLE_EXPORTS = {"nominations": nomination_rows, "awards": award_rows}


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Award)
class AwardAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "category", "slot", "unit", "cap_exception", "awarded_at"]
    list_filter = ["cycle"]
    list_select_related = ["cycle", "category", "unit__parent", "cap_exception__category"]
    search_fields = ["unit__name", "category__code"]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("exports/", wrap(self.exports_view), name="reviews_award_exports"),
            path("exports/<str:what>/<int:pk>.<str:file_format>", wrap(self.export_view), name="reviews_award_export"),
        ] + super().get_urls()

    def exports_view(self, request):
        """The nomination lists and the awards of every cycle, as .xlsx and .csv (administrators only)."""
        if not is_administrator(request.user):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": _("Exports"),
                   "cycles": Cycle.objects.select_related("document").order_by("-year")}
        return TemplateResponse(request, "admin/reviews/exports.html", context)

    def export_view(self, request, what: str, pk: int, file_format: str):
        if not is_administrator(request.user):
            raise PermissionDenied
        if what not in CYCLE_EXPORTS or file_format not in ("csv", "xlsx"):
            raise Http404
        cycle = get_object_or_404(Cycle, pk=pk)
        return export_response(CYCLE_EXPORTS[what](cycle), file_format=file_format, filename=f"{what}-{cycle.year}")


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["nominee", "approved", "decided_by", "decided_at"]
    list_filter = ["approved", "nominee__nomination_list__cycle"]
    list_select_related = ["nominee__unit__parent", "decided_by"]


@admin.register(CycleReopening)
class CycleReopeningAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "reopened_by", "reopened_at", "was_published_at"]
    list_select_related = ["cycle", "reopened_by"]


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "version", "status", "size", "requested_by", "requested_at", "finished_at"]
    list_select_related = ["cycle", "requested_by"]
