"""Cycles in the admin: opening a cycle, moving its dates and granting extensions all go through the services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template import Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incentives import params
from incentives.errors import DomainError
from organisation.admin_mixins import LargeTableAdminMixin, ReadOnlyAdminMixin
from organisation.models import Programme

from . import services
from .forms import BeijingDateTimeField, ExtensionForm, check_year
from .models import (
    Cycle,
    Extension,
    NominationList,
    Nominee,
    ReminderKind,
    ReminderSettings,
    ReminderTemplate,
)


class CycleFilter(admin.ListFilter):
    """The rows of one cycle: the newest ``RECENT`` cycles as links, any other by its year typed in. A province keeps
    200 years: the stock filter linked every cycle ever opened, a tenth of the changelist's time at that size, and a
    list no one reads. One query (the cycle chosen, when it is older, read with the newest).

    ``field_path`` leads from the changelist's model to its cycle. The parameters are ``?cycle=<id>`` and
    ``?cycle_year=<year>`` whatever the path (one name for every changelist, and names the admin's lookup check
    lets through). A value that is not a number gives no rows, never an error page."""

    title = gettext_lazy("cycle")
    template = "admin/nominations/cycle_filter.html"
    field_path = "cycle"
    RECENT = 10

    @classmethod
    def on(cls, field_path: str) -> type["CycleFilter"]:
        return type(f"CycleFilter_{field_path}", (cls,), {"field_path": field_path})

    def __init__(self, request, params_, model, model_admin):
        super().__init__(request, params_, model, model_admin)
        self.id_parameter, self.year_parameter = "cycle", "cycle_year"
        for name in (self.id_parameter, self.year_parameter):
            if name in params_:
                values = params_.pop(name)
                self.used_parameters[name] = (values[-1] if isinstance(values, list) else values).strip()

    def _chosen(self, name: str, maximum: int):
        """The number given for ``name``; ``False`` when something else was given; ``None`` when nothing."""
        raw = self.used_parameters.get(name)
        if not raw:
            return None
        number = params.int_from(raw, maximum=maximum)
        return False if number is None else number

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.id_parameter, self.year_parameter]

    def queryset(self, request, queryset):
        cycle_id, year = self._chosen(self.id_parameter, params.ID_MAX), self._chosen(self.year_parameter, 9999)
        if cycle_id is False or year is False:
            return queryset.none()
        if cycle_id is not None:
            queryset = queryset.filter(**{f"{self.field_path}_id": cycle_id})
        if year is not None:
            queryset = queryset.filter(**{f"{self.field_path}__year": year})
        return queryset

    def choices(self, changelist):
        cycle_id = self._chosen(self.id_parameter, params.ID_MAX)
        order = ("-year", "programme__code", "pk")
        shown = Q(pk__in=Cycle.objects.order_by(*order).values("pk")[:self.RECENT])
        if cycle_id:
            shown |= Q(pk=cycle_id)
        shown = list(Cycle.objects.filter(shown).select_related("programme").order_by(*order))
        several = len({c.programme_id for c in shown}) > 1
        remove = [self.id_parameter, self.year_parameter]
        yield {
            "links": [(cycle_id is None and not self.used_parameters.get(self.year_parameter),
                       changelist.get_query_string(remove=remove), _("All"))] + [
                (cycle.pk == cycle_id, changelist.get_query_string({self.id_parameter: cycle.pk}, remove),
                 f"{cycle} · {cycle.programme.name}" if several else str(cycle)) for cycle in shown],
            "year_parameter": self.year_parameter,
            "year": self.used_parameters.get(self.year_parameter, ""),
            "hidden": [(key, value) for key, value in changelist.params.items() if key not in remove],
        }


class CycleAdminForm(forms.ModelForm):
    opens_at = BeijingDateTimeField(label=gettext_lazy("Opens at"), required=False,
                                    help_text=gettext_lazy("Beijing time; empty when opening: now"))
    deadline = BeijingDateTimeField(label=gettext_lazy("Deadline"), required=False,
                                    help_text=gettext_lazy("Beijing time, exact to the second; empty when opening: "
                                                           "31 March of the next year, 23:59:59"))

    class Meta:
        model = Cycle
        fields = ["year", "document", "opens_at", "deadline", "notice_working_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "document" in self.fields:
            self.fields["document"].required = False
        if "notice_working_days" in self.fields:
            self.fields["notice_working_days"].required = False  # empty: unchanged
        if self.instance.pk:
            self.fields["opens_at"].required = self.fields["deadline"].required = True

    def clean_year(self):
        year = self.cleaned_data["year"]
        check_year(year)
        return year


class ExtensionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Extension
    extra = 0
    can_delete = False
    fields = ["bureau", "new_deadline", "reason", "granted_by", "granted_at"]
    readonly_fields = fields


class CycleAdmin(admin.ModelAdmin):
    """The cycle's page; registered by reviews.admin, which adds the bulletin's document number."""

    form = CycleAdminForm
    list_display = ["year", "programme", "document", "opens_at", "deadline", "state"]
    list_filter = ["programme", "state"]
    inlines = [ExtensionInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["year", "document", "state", "published_at", "published_by", "bulletin_number", "grant_extension",
                "notice_starts_on", "notice_ends_on"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["year", "document", "opens_at", "deadline"]
        return ["year", "document", "state", "opens_at", "deadline", "grant_extension", "notice_working_days",
                "notice_starts_on", "notice_ends_on", "published_at", "published_by", "bulletin_number"]

    @admin.display(description=gettext_lazy("Deadline extensions"))
    def grant_extension(self, obj):
        url = reverse("admin:nominations_cycle_extension", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Grant a bureau an extension…"))

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                saved = services.cycle_dates_change(actor=request.user, cycle=obj, deadline=data["deadline"],
                                                    opens_at=data["opens_at"],
                                                    notice_working_days=data.get("notice_working_days"))
            else:
                saved = services.cycle_open(actor=request.user, year=data["year"], deadline=data.get("deadline"),
                                            opens_at=data.get("opens_at"), document=data.get("document"))
        except DomainError as error:
            # ModelAdmin has already validated the form; a refusal here is shown as an error and nothing is saved.
            raise _AdminRefusal(error.message) from error
        obj.pk = saved.pk
        obj.__dict__.update({f.attname: getattr(saved, f.attname) for f in Cycle._meta.concrete_fields})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _AdminRefusal as refusal:
            self.message_user(request, str(refusal), level=messages.ERROR)
            return redirect(request.get_full_path())

    def get_urls(self):
        return [
            path("<int:pk>/extension/", self.admin_site.admin_view(self.extension_view), name="nominations_cycle_extension"),
            *super().get_urls(),
        ]

    def extension_view(self, request, pk: int):
        """The General Office's decision to give one bureau a later deadline, with its reason."""
        cycle = get_object_or_404(Cycle, pk=pk)
        if not self.has_view_permission(request, cycle):
            raise PermissionDenied
        form = ExtensionForm(request.POST or None)
        form.fields["bureau"].queryset = form.fields["bureau"].queryset.filter(programme_id=cycle.programme_id)
        if request.method == "POST" and form.is_valid():
            try:
                services.extension_grant(actor=request.user, cycle=cycle, bureau=form.cleaned_data["bureau"],
                                         new_deadline=form.cleaned_data["new_deadline"], reason=form.cleaned_data["reason"])
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                self.message_user(request, _("Extension granted."), level=messages.SUCCESS)
                return redirect("admin:nominations_cycle_change", cycle.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": cycle, "cycle": cycle,
                   "form": form, "title": _("Grant a deadline extension")}
        return TemplateResponse(request, "nominations/admin_extension.html", context)


class _AdminRefusal(Exception):
    pass


class NomineeInline(admin.TabularInline):
    model = Nominee
    extra = 0
    fields = ["rank", "unit", "achievements", "figures"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(NominationList)
class NominationListAdmin(ReadOnlyAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    """Read-only: lists change only through the bureaus' editor and the General Office's review."""

    list_display = ["cycle", "category", "bureau", "state", "submitted_at"]
    list_filter = [CycleFilter, "state"]
    list_select_related = ["cycle", "category", "bureau"]
    search_fields = ["=category__code", "bureau__short_name"]  # a bureau by its name: a province has 2,000
    inlines = [NomineeInline]
    # Built for a province's 600,000 lists: the newest cycle first along the (cycle, category) unique index rather
    # than a sort over joined columns, and no full count (organisation/paginators.py).
    ordering = ["-cycle_id", "category_id"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in NominationList._meta.fields]


# --- Reminders' schedule and wording ----------------------------------------------------------------------------


class ReminderSettingsForm(forms.ModelForm):
    programme = forms.ModelChoiceField(
        label=gettext_lazy("programme"), queryset=Programme.objects.all(), required=False,
        help_text=gettext_lazy("Empty: the default programme. One row per programme."))

    class Meta:
        model = ReminderSettings
        fields = ["programme", "offsets", "send_from_hour", "overdue_notice", "escalation_days", "warning_working_days",
                  "reviewer_digest", "max_attempts"]

    def clean_programme(self):
        return self.cleaned_data.get("programme") or Programme.objects.default()


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):
    form = ReminderSettingsForm
    list_display = ["__str__", "programme", "offsets", "send_from_hour", "overdue_notice", "reviewer_digest", "max_attempts"]

    def has_add_permission(self, request):
        # One row per programme: while a programme has none, its defaults apply.
        return (super().has_add_permission(request)
                and Programme.objects.filter(reminder_settings__isnull=True).exists())


class ReminderTemplateForm(forms.ModelForm):
    class Meta:
        model = ReminderTemplate
        fields = ["kind", "subject", "body", "is_active"]

    def _checked(self, name):
        value = self.cleaned_data[name]
        try:
            Engine.get_default().from_string(value)
        except TemplateSyntaxError as error:
            raise forms.ValidationError(str(error)) from None
        return value

    def clean_subject(self):
        return self._checked("subject")

    def clean_body(self):
        return self._checked("body")


@admin.register(ReminderTemplate)
class ReminderTemplateAdmin(admin.ModelAdmin):
    form = ReminderTemplateForm
    list_display = ["kind", "subject", "is_active", "updated_at"]
    list_filter = ["is_active"]

    def changelist_view(self, request, extra_context=None):
        """Above the list, every kind of message still worded by its default text, each with a link to a template
        that starts from that text: every kind the application sends is worded here."""
        worded = set(ReminderTemplate.objects.values_list("kind", flat=True))
        defaults = [(label, f"{reverse('admin:nominations_remindertemplate_add')}?{urlencode({'kind': kind})}")
                    for kind, label in ReminderKind.choices if kind not in worded]
        return super().changelist_view(request, {**(extra_context or {}), "default_kinds": defaults})

    def get_changeform_initial_data(self, request):
        """A new template starts from the default wording of its kind (?kind=deadline)."""
        initial = super().get_changeform_initial_data(request)
        kind = request.GET.get("kind", "")
        if kind in ReminderKind.values:
            engine = Engine.get_default()
            try:
                initial.setdefault("subject", engine.get_template(f"emails/{kind}_subject.txt").source.strip())
                initial.setdefault("body", engine.get_template(f"emails/{kind}.txt").source)
            except TemplateDoesNotExist:
                pass
        return initial
