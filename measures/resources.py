"""django-import-export resources and safe file formats.

The admin's import buttons of bureaus, nominee units and user accounts use these resources through
django-import-export's own upload → preview → confirm pages, with ``SafeCSV`` / ``SafeXLSX`` formats that read
the upload through ``measures.importing.reading`` (size, zip bomb, password, formulas, merged headers, rows).
Every resource imports in a transaction, and the confirm step is offered only when no row has an error, so a
file with one bad row changes nothing.

``CatalogueResource`` is the row-by-row path for the catalogue; the admin imports measures through its own
preview (measures.admin), and the benchmark (bench/import_bench.py) measures one against the other.
"""

from __future__ import annotations

import tablib
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from import_export import fields, resources, widgets
from import_export.formats import base_formats

from measures.models import IncentiveCategory, Measure, PolicyDocument, Responsibility, chinese_numeral
from organisation import roles
from organisation.invitations import account_invite
from organisation.models import Bureau, Membership, Unit, UnitKind

from .importing.clauses import ClauseError, parse_clause
from .importing.names import BureauMatcher
from .importing.reading import read_table


def admin_max_rows() -> int:
    """Rows one admin upload takes on the row-by-row path; bigger files go through ``import_organisation``."""
    return int(getattr(settings, "IMPORT_ADMIN_MAX_ROWS", 10_000))


def _dataset(data, *, filename: str) -> tablib.Dataset:
    if isinstance(data, str):
        data = data.encode("utf-8")
    table = read_table(data, filename=filename, max_rows=admin_max_rows())
    dataset = tablib.Dataset(headers=[h for h in table.header if h])
    for _number, row in table.rows:
        dataset.append([row.get(h, "") for h in dataset.headers])
    return dataset


class SafeCSV(base_formats.CSV):
    def create_dataset(self, in_stream, **kwargs):
        return _dataset(in_stream, filename="upload.csv")


class SafeXLSX(base_formats.XLSX):
    def create_dataset(self, in_stream, **kwargs):
        return _dataset(in_stream, filename="upload.xlsx")


SAFE_FORMATS = [SafeCSV, SafeXLSX]


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
        import_id_fields = ["short_name"]
        use_transactions = True
        skip_unchanged = True
        report_skipped = True


class TopLevelUnitWidget(widgets.ForeignKeyWidget):
    """A street's district, by name, among units without a parent."""

    def get_queryset(self, value, row, *args, **kwargs):
        return Unit.objects.filter(parent__isnull=True)


class UnitResource(NeutralisingMixin, resources.ModelResource):
    kind = fields.Field(attribute="kind", column_name="kind", widget=widgets.ForeignKeyWidget(UnitKind, "code"))
    parent = fields.Field(attribute="parent", column_name="parent", widget=TopLevelUnitWidget(Unit, "name"))

    class Meta:
        model = Unit
        fields = ["name", "kind", "parent", "full_name", "division_order", "is_active"]
        import_id_fields = ["kind", "name", "parent"]
        use_transactions = True
        skip_unchanged = True
        report_skipped = True


class UserResource(NeutralisingMixin, resources.ModelResource):
    """One row per person; ``bureaus`` lists the bureaus they belong to (a bureau however it is written)."""

    role = fields.Field(column_name="role")
    bureaus = fields.Field(column_name="bureaus")

    class Meta:
        model = get_user_model()
        fields = ["username", "first_name", "last_name", "email", "is_active", "role", "bureaus"]
        import_id_fields = ["username"]
        use_transactions = True

    def dehydrate_role(self, user):
        return next((name for name in roles.ROLE_LABELS if name in {g.name for g in user.groups.all()}), "")

    def dehydrate_bureaus(self, user):
        return "、".join(m.bureau.short_name for m in user.memberships.select_related("bureau"))

    def before_import(self, dataset, **kwargs):
        self._matcher = BureauMatcher()

    def before_import_row(self, row, **kwargs):
        role = (row.get("role") or "").strip()
        if role and role not in roles.ROLE_LABELS:
            raise ValueError(f"Unknown role “{role}”: bureau_staff, reviewer or administrator.")
        for name in _names(row.get("bureaus")):
            if self._matcher.match(name) is None:
                raise ValueError(self._matcher.unknown_message(name))

    def after_init_instance(self, instance, new, row, **kwargs):
        if new:
            instance.set_unusable_password()
            instance._invite = True

    def after_save_instance(self, instance, row, **kwargs):
        if kwargs.get("dry_run"):
            return
        if getattr(instance, "_invite", False) and instance.email and instance.is_active:
            instance._invite = False
            # The new account receives its invitation once the import's transaction commits.
            account_invite(actor=kwargs.get("user"), user=instance)
        role = (row.get("role") or "").strip()
        if role:
            instance.groups.add(Group.objects.get_or_create(name=role)[0])
        if "bureaus" in row:
            wanted = {self._matcher.match(name).pk for name in _names(row.get("bureaus"))}
            for membership in Membership.objects.filter(user=instance).exclude(bureau_id__in=wanted):
                membership.delete()
            for bureau_id in wanted - set(Membership.objects.filter(user=instance).values_list("bureau_id", flat=True)):
                Membership.objects.create(user=instance, bureau_id=bureau_id)


def _names(value) -> list[str]:
    import re

    return [part.strip() for part in re.split(r"[、,，;；]", str(value or "")) if part.strip()]


class CatalogueResource(resources.ModelResource):
    """The catalogue row by row, as django-import-export does it by default: each row finds or creates its
    measure, then its category, then rewrites the category's responsibilities (a handful of queries per row)."""

    measure = fields.Field(attribute="measure", column_name="measure_number")
    code = fields.Field(attribute="code", column_name="category_code")
    name = fields.Field(attribute="name", column_name="category_name")
    cap = fields.Field(attribute="cap", column_name="cap", widget=widgets.IntegerWidget())

    class Meta:
        model = IncentiveCategory
        fields = ["measure", "code", "name", "cap"]
        import_id_fields = ["measure", "code"]
        use_transactions = True

    def __init__(self, *, document: PolicyDocument, **kwargs):
        super().__init__(**kwargs)
        self.document = document
        self.matcher = BureauMatcher()

    def before_import_row(self, row, **kwargs):
        number = int(row["measure_number"])
        measure, _created = Measure.objects.get_or_create(
            document=self.document, number=number,
            defaults={"numeral": chinese_numeral(number), "title": row.get("measure_title") or "", "text": "",
                      "responsibility_clause": row.get("responsibility_clause") or ""})
        row["measure_number"] = measure
        if not row.get("cap"):
            row["cap"] = 3

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.column_name == "measure_number":
            instance.measure = row["measure_number"]
            return
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def get_instance(self, instance_loader, row):
        return IncentiveCategory.objects.filter(measure=row["measure_number"], code=row["category_code"]).first()

    def before_save_instance(self, instance, row, **kwargs):
        if not instance.order:
            instance.order = 1
        if instance.pk is None:
            taken = set(IncentiveCategory.objects.filter(measure=instance.measure).values_list("order", flat=True))
            instance.order = max(taken, default=0) + 1

    def after_save_instance(self, instance, row, **kwargs):
        wanted = []
        for role, column in (("lead", "lead"), ("co", "co_responsible"), ("separate", "separately_responsible"), ("joint", "joint")):
            for name in _names(row.get(column)):
                wanted.append((self.matcher.match(name), role))
        if not wanted and row.get("responsibility_clause"):
            try:
                for category in parse_clause(row["responsibility_clause"]).categories:
                    wanted += [(self.matcher.match(name), role) for name, role in category]
            except ClauseError:
                pass
        Responsibility.objects.filter(category=instance).delete()
        for order, (bureau, role) in enumerate(wanted, start=1):
            if bureau is not None:
                Responsibility.objects.create(category=instance, bureau=bureau, role=role, order=order)


class AdministratorImportExportMixin:
    """For ModelAdmins (with django-import-export's ImportExportMixin): only administrators import, uploads are
    read safely, and a file that cannot be read says why instead of naming a Python exception."""

    import_formats = SAFE_FORMATS
    export_formats = [base_formats.CSV, base_formats.XLSX]

    def has_import_permission(self, request):
        from organisation.roles import is_administrator, is_security_administrator

        # The model permission decides which administrator: people for the security administrator, the rest for
        # the system administrator.
        return ((is_administrator(request.user) or is_security_administrator(request.user))
                and super().has_import_permission(request))

    def add_data_read_fail_error_to_form(self, form, e):
        from .importing.reading import ImportFileError

        if isinstance(e, ImportFileError):
            form.add_error("import_file", e.message)
        else:
            super().add_data_read_fail_error_to_form(form, e)
