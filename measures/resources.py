"""The admin's exports of bureaus, nominee units and user accounts (django-import-export), and the admin's import
pages of the same models.

Imports have one path per kind: the planners of ``measures.importing.organisation`` (read and check the whole
file, every row error naming its row and column, compare with the database in a few queries, write in bulk in one
transaction, all or nothing). The admin reaches them through ``OrganisationImportMixin``'s upload → preview →
confirm pages (``measures.importing.admin_views.organisation_import_view``), the command through
``import_organisation``, the benchmark through bench/import_bench.py. django-import-export only exports here.
"""

from __future__ import annotations

import tablib
from django.contrib.auth import get_user_model
from django.urls import path
from import_export import fields, resources, widgets
from import_export.formats import base_formats

from organisation import roles
from organisation.models import Bureau, Unit, UnitKind


class NeutralisingMixin:
    """Exports neutralise formulas (= + - @) whatever IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT says."""

    def export(self, *args, **kwargs):
        from .exports import safe_cell

        dataset = super().export(*args, **kwargs)
        neutral = tablib.Dataset(headers=dataset.headers)
        for row in dataset:
            neutral.append([safe_cell(value) for value in row])
        return neutral


class BureauResource(NeutralisingMixin, resources.ModelResource):
    class Meta:
        model = Bureau
        fields = ["short_name", "full_name", "full_name_confirmed", "order", "is_active"]


class UnitResource(NeutralisingMixin, resources.ModelResource):
    kind = fields.Field(attribute="kind", column_name="kind", widget=widgets.ForeignKeyWidget(UnitKind, "code"))
    parent = fields.Field(attribute="parent", column_name="parent", widget=widgets.ForeignKeyWidget(Unit, "name"))

    class Meta:
        model = Unit
        fields = ["name", "kind", "parent", "full_name", "division_order", "is_active"]


class UserResource(NeutralisingMixin, resources.ModelResource):
    """One row per person; ``bureaus`` lists the bureaus they belong to. The columns are the ones the import reads
    (``measures.importing.organisation.USER_COLUMNS``), so an export can be changed and imported again."""

    role = fields.Field(column_name="role")
    bureaus = fields.Field(column_name="bureaus")

    class Meta:
        model = get_user_model()
        fields = ["username", "first_name", "last_name", "email", "is_active", "role", "bureaus"]

    def dehydrate_role(self, user):
        return next((name for name in roles.ROLE_LABELS if name in {g.name for g in user.groups.all()}), "")

    def dehydrate_bureaus(self, user):
        return "、".join(m.bureau.short_name for m in user.memberships.select_related("bureau"))


class OrganisationImportMixin:
    """For ModelAdmins with django-import-export's ExportMixin: an Import button (only administrators; the model's
    add permission decides which: people for the security administrator, the rest for the system administrator)
    leading to the importer of ``import_kind`` with its preview and confirmation, and the exports as .csv/.xlsx."""

    import_kind = ""  # "bureaus", "units" or "users" (measures.importing.organisation.IMPORTERS)
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    export_formats = [base_formats.CSV, base_formats.XLSX]

    def has_import_permission(self, request):
        from organisation.roles import is_administrator, is_security_administrator

        return ((is_administrator(request.user) or is_security_administrator(request.user))
                and self.has_add_permission(request))

    def get_urls(self):
        from .importing.admin_views import organisation_import_view

        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(lambda request: organisation_import_view(self, request, kind=self.import_kind))
        return [path("import/", view, name="%s_%s_import" % info)] + super().get_urls()

    def get_data_for_export(self, request, queryset, **kwargs):
        """Every export of the table is recorded (who, which table, how many rows)."""
        from django.contrib.contenttypes.models import ContentType

        from organisation.services import data_export_record

        data = super().get_data_for_export(request, queryset, **kwargs)
        data_export_record(actor=request.user, what=self.opts.label_lower, rows=len(data),
                           target=ContentType.objects.get_for_model(self.model))
        return data

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)
