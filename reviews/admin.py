"""Review records in the admin are read-only: every change goes through reviews.services (and is audited).

The cycle's page (defined by nominations, registered here once) gains the bulletin's document number, editable
until the cycle is published and saved through ``bulletins.bulletin_number_set`` (validated, unique, audited)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incentives.errors import DomainError
from measures.exports import export_response
from nominations import admin as nominations_admin
from nominations.exports import nomination_rows
from nominations.models import Cycle
from organisation import services as organisation_services
from organisation.admin_mixins import LargeTableAdminMixin, ReadOnlyAdminMixin
from organisation.roles import is_administrator

from . import bulletins
from .document_numbers import bulletin_number_validate
from .exports import award_rows
from .models import Award, BalanceSettings, Bulletin, CycleReopening, Decision

CYCLE_EXPORTS = {"nominations": nomination_rows, "awards": award_rows}


@admin.register(Award)
class AwardAdmin(ReadOnlyAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ["cycle", "category", "slot", "unit", "shown_cap_exception", "awarded_at"]
    list_filter = [nominations_admin.CycleFilter]
    # Not the exception's own category (the award's): one join fewer, which PostgreSQL took 5 ms to plan.
    list_select_related = ["cycle", "category", "unit__parent", "cap_exception"]
    search_fields = ["unit__name", "category__code"]
    # A million awards at a province's size: the (cycle, category, slot) unique index gives the order, no full count.
    ordering = ["-cycle_id", "category_id", "slot"]

    @admin.display(description=Award._meta.get_field("cap_exception").verbose_name, ordering="cap_exception")
    def shown_cap_exception(self, award) -> str | None:
        """As the exception reads itself (``CapException.__str__``), with the award's category, which is its own;
        none: the admin's empty value."""
        exception = award.cap_exception
        return f"{exception.year} · {award.category.code} → {exception.new_limit}" if exception else None

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
        rows = list(CYCLE_EXPORTS[what](cycle))
        organisation_services.data_export_record(actor=request.user, what=what, target=cycle, file_format=file_format,
                                                 rows=len(rows) - 1)
        return export_response(rows, file_format=file_format, filename=f"{what}-{cycle.year}")


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ["nominee", "approved", "decided_by", "decided_at"]
    list_filter = ["approved", nominations_admin.CycleFilter.on("nominee__nomination_list__cycle")]
    list_select_related = ["nominee__unit__parent", "decided_by"]


@admin.register(CycleReopening)
class CycleReopeningAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["cycle", "reopened_by", "reopened_at", "was_published_at"]
    list_select_related = ["cycle", "reopened_by"]


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["cycle", "version", "status", "size", "requested_by", "requested_at", "finished_at"]
    list_select_related = ["cycle", "requested_by"]


class CycleBulletinNumberForm(nominations_admin.CycleAdminForm):
    def clean_bulletin_number(self):
        number = (self.cleaned_data.get("bulletin_number") or "").strip()
        if number and self.instance.pk:
            number = bulletin_number_validate(number, year=bulletins.bulletin_issue_year(self.instance),
                                              issuer_code=self.instance.programme.number_prefix)
        return number


@admin.register(Cycle)
class CycleAdmin(nominations_admin.CycleAdmin):
    form = CycleBulletinNumberForm

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not obj.is_published:
            fields.remove("bulletin_number")
        elif obj is not None:
            fields.append("bulletin_printing_date")
        return fields

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None:
            name = "bulletin_printing_date" if obj.is_published else "bulletin_printed_on"
            fields.insert(fields.index("bulletin_number") + 1, name)
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The printing date is the form's own field (kept beside the cycle, reviews.BulletinPrinting).
        if obj is not None and not obj.is_published:
            kwargs["fields"] = [f for f in (kwargs.get("fields") or self.get_fields(request, obj))
                                if f != "bulletin_printed_on" and f not in self.get_readonly_fields(request, obj)]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and not obj.is_published:
            form = type("CyclePrintingForm", (form,), {"bulletin_printed_on": forms.DateField(
                label=_("Bulletin printing date"), required=False,
                initial=bulletins.cycle_printing_date(obj),
                help_text=_("The date the closing block (版记) prints: …印发. Empty: the signing date"))})
        return form

    @admin.display(description=gettext_lazy("Bulletin printing date"))
    def bulletin_printing_date(self, obj):
        return bulletins.bulletin_printing_date(obj)

    def save_model(self, request, obj, form, change):
        number = form.cleaned_data.get("bulletin_number") if "bulletin_number" in form.fields else None
        printing = "bulletin_printed_on" in form.fields
        if change and number is not None:
            obj.bulletin_number = Cycle.objects.values_list("bulletin_number", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        if change and printing:
            try:
                bulletins.bulletin_printing_date_set(actor=request.user, cycle=obj,
                                                     day=form.cleaned_data.get("bulletin_printed_on"))
            except DomainError as error:
                raise nominations_admin._AdminRefusal(error.message) from error
        if change and number is not None:
            try:
                saved = bulletins.bulletin_number_set(actor=request.user, cycle=obj, number=number)
            except DomainError as error:
                raise nominations_admin._AdminRefusal(error.message) from error
            obj.bulletin_number = saved.bulletin_number


@admin.register(BalanceSettings)
class BalanceSettingsAdmin(admin.ModelAdmin):
    """What the balance of the year flags for a programme (the same unit in the same category N years running);
    saved through ``services.balance_settings_set`` (audited)."""

    list_display = ("programme", "repeat_years")
    fields = ("programme", "repeat_years")

    def get_readonly_fields(self, request, obj=None):
        return ("programme",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        from .services import balance_settings_set

        saved = balance_settings_set(actor=request.user, programme_id=obj.programme_id, repeat_years=obj.repeat_years)
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False

