from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import path
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from guardian.admin import (
    AdminGroupObjectPermissionsForm,
    AdminUserObjectPermissionsForm,
    GroupManage,
    ReinforcedGuardedModelAdmin,
)
from guardian.shortcuts import get_perms_for_model
from import_export.admin import ExportMixin

from organisation import admin as organisation_admin
from organisation.admin_mixins import ReadOnlyAdminMixin
from organisation.models import Bureau, Unit
from organisation.permissions import permission_label
from organisation.roles import is_administrator
from security.admin_mixins import AccountSecurityAdminMixin

from . import services
from .importing import admin_views
from .models import CapException, IncentiveCategory, Measure, PolicyDocument, Responsibility, SupportForm
from .resources import BureauResource, OrganisationImportMixin, UnitResource, UserResource

User = get_user_model()


class SupportFormsMixin:
    """The forms of support (a list of codes in the database) are chosen by their names, in the person's language."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "support_forms":
            return forms.TypedMultipleChoiceField(
                choices=SupportForm.choices, required=False, widget=forms.CheckboxSelectMultiple,
                label=capfirst(db_field.verbose_name), help_text=db_field.help_text)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        """Read only (a security administrator's view), the forms of support by their names too."""
        fields = super().get_fields(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fields

        def swap(name):
            return "shown_support_forms" if name == "support_forms" else name
        return [tuple(map(swap, f)) if isinstance(f, (list, tuple)) else swap(f) for f in fields]

    @admin.display(description=_("forms of support"))
    def shown_support_forms(self, obj):
        names = dict(SupportForm.choices)
        return "、".join(str(names.get(code, code)) for code in obj.support_forms or []) or "—"


class AuditedCatalogueMixin(SupportFormsMixin):
    """Categories and responsibilities edited here, inline or not, go through ``measures.services``."""

    def save_formset(self, request, form, formset, change):
        if formset.model not in (Responsibility, IncentiveCategory):
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            if isinstance(obj, Responsibility):
                services.responsibility_remove(actor=request.user, responsibility=obj)
            else:
                obj.delete()
        for obj in instances:
            if isinstance(obj, Responsibility):
                services.responsibility_save(actor=request.user, responsibility=obj)
            else:
                services.category_save(actor=request.user, category=obj)
        formset.save_m2m()


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "programme", "issuer", "issued_on", "in_force"]
    list_filter = ["programme", "in_force", "issuer"]
    search_fields = ["number", "title"]
    autocomplete_fields = ["supersedes"]


class CategoryInline(SupportFormsMixin, admin.StackedInline):
    model = IncentiveCategory
    extra = 0
    fields = [("code", "name", "order", "cap"), "description", "subject_kinds", ("kind", "earned_by_higher_award"),
              "support_forms", "support_text", "award_amount"]
    filter_horizontal = ["subject_kinds"]
    show_change_link = True


class ResponsibilityInline(admin.TabularInline):
    model = Responsibility
    extra = 0
    autocomplete_fields = ["bureau"]


@admin.register(Measure)
class MeasureAdmin(AuditedCatalogueMixin, admin.ModelAdmin):
    list_display = ["number", "numeral", "title", "document", "responsibility_clause"]
    list_display_links = ["number", "title"]
    list_filter = ["document", "subject_kinds", "categories__responsibilities__bureau"]
    list_select_related = ["document"]
    search_fields = ["title", "text", "responsibility_clause"]
    filter_horizontal = ["subject_kinds"]
    inlines = [CategoryInline]
    readonly_fields = ["responsibilities_overview"]
    fields = ["document", ("number", "numeral"), "title", "text", "responsibility_clause", "responsibilities_overview",
              "subject_kinds", "support_forms", "support_text"]
    # Import (spreadsheet or notice text, with a preview to confirm), the template, and the exports.
    change_list_template = "admin/measures/measure/change_list.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(lambda request: admin_views.import_view(self, request, kind="measures")),
                 name="measures_measure_import"),
            path("import-notice/", wrap(lambda request: admin_views.import_view(self, request, kind="notice")),
                 name="measures_measure_import_notice"),
            path("import-template.<str:file_format>", wrap(lambda request, file_format: admin_views.template_view(self, request, file_format)),
                 name="measures_measure_import_template"),
            path("exports/", wrap(lambda request: admin_views.exports_view(self, request)), name="measures_measure_exports"),
            path("exports/<str:what>/<int:pk>.<str:file_format>",
                 wrap(lambda request, what, pk, file_format: admin_views.export_view(self, request, what, pk, file_format)),
                 name="measures_measure_export"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": is_administrator(request.user)}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("responsibilities"))
    def responsibilities_overview(self, obj):
        rows = Responsibility.objects.filter(category__measure=obj).select_related("category", "bureau").order_by("category__order", "order")
        return "；".join(f"{r.category.code} {r.bureau.short_name}（{r.get_role_display()}）" for r in rows) or "—"


class PermissionNamesMixin:
    """guardian's form of a person's or a role's permissions on one object names each permission in the person's
    language (``permission_label``), not by the English name Django stored."""

    def get_obj_perms_field_choices(self):
        return [(p.codename, permission_label(p)) for p in get_perms_for_model(self.obj).select_related("content_type")]


class UserPermissionsForm(PermissionNamesMixin, AdminUserObjectPermissionsForm):
    pass


class GroupPermissionsForm(PermissionNamesMixin, AdminGroupObjectPermissionsForm):
    pass


class GroupChoiceForm(GroupManage):
    """guardian's box for the group whose permissions to manage, labelled in the person's language."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].label = _("Group")


@admin.register(IncentiveCategory)
class IncentiveCategoryAdmin(AuditedCatalogueMixin, ReinforcedGuardedModelAdmin):
    list_display = ["code", "name", "measure", "cap"]
    list_filter = ["measure__document", "subject_kinds", "responsibilities__bureau"]
    list_select_related = ["measure"]
    search_fields = ["code", "name", "measure__title"]
    filter_horizontal = ["subject_kinds"]
    autocomplete_fields = ["measure"]  # a province's catalogue has thousands: searched, never all listed
    inlines = [ResponsibilityInline]

    def save_model(self, request, obj, form, change):
        services.category_save(actor=request.user, category=obj)

    # Object permissions are the security administrator's (三员分立), who may not change the catalogue: guardian's
    # pages ask for the change permission of the model, so on those pages guardian's own permissions stand in.
    def _on_permission_pages(self, request):
        return request.resolver_match is not None and request.resolver_match.url_name.endswith(
            ("_permissions", "_permissions_manage_user", "_permissions_manage_group"))

    def has_change_permission(self, request, obj=None):
        if self._on_permission_pages(request) and request.user.has_perm("guardian.view_groupobjectpermission"):
            return True
        return super().has_change_permission(request, obj)

    def get_obj_perms_base_context(self, request, obj):
        """guardian's table heads its columns by the permissions' names: in the person's language."""
        context = super().get_obj_perms_base_context(request, obj)
        perms = list(context["model_perms"].select_related("content_type"))
        for perm in perms:
            perm.name = permission_label(perm)  # shown only, never saved
        context["model_perms"] = perms
        return context

    def get_obj_perms_manage_user_form(self, request):
        return UserPermissionsForm

    def get_obj_perms_manage_group_form(self, request):
        return GroupPermissionsForm

    def get_obj_perms_group_select_form(self, request):
        return GroupChoiceForm


@admin.register(Responsibility)
class ResponsibilityAdmin(admin.ModelAdmin):
    list_display = ["category", "bureau", "role", "order"]
    list_filter = ["role", "bureau"]
    list_select_related = ["category", "bureau"]
    search_fields = ["category__name", "bureau__short_name"]
    autocomplete_fields = ["category", "bureau"]

    def save_model(self, request, obj, form, change):
        services.responsibility_save(actor=request.user, responsibility=obj)

    def delete_model(self, request, obj):
        services.responsibility_remove(actor=request.user, responsibility=obj)

    def delete_queryset(self, request, queryset):
        for responsibility in queryset.select_related("category", "bureau"):
            services.responsibility_remove(actor=request.user, responsibility=responsibility)


@admin.register(CapException)
class CapExceptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Exceptions are recorded by reviewers on the review pages (reviews.services); here they are read only."""

    list_display = ["year", "category", "new_limit", "decided_by", "decided_at"]
    list_select_related = ["category", "decided_by"]


# --- the organisation's bureaus, units and people ---------------------------------------------------------------
# Registered here, once, with their final pages: the organisation's (organisation.admin), for people with the rules
# of accounts (security.admin_mixins), and all three with the spreadsheet import and export, here because they share
# the catalogue importer's safe file reading (measures.importing.reading).


@admin.register(Bureau)
class BureauAdmin(OrganisationImportMixin, ExportMixin, organisation_admin.BureauAdmin):
    import_kind = "bureaus"
    resource_classes = [BureauResource]


@admin.register(Unit)
class UnitAdmin(OrganisationImportMixin, ExportMixin, organisation_admin.UnitAdmin):
    import_kind = "units"
    resource_classes = [UnitResource]


# django.contrib.auth's admin module registers its stock UserAdmin on the site as it is imported (the base class
# below imports it): the page of people takes its place, Django's documented way for the stock User model.
admin.site.unregister(User)
# Its stock page of groups too: groups are the code's, shown but not changed here (organisation.admin.RoleGroupAdmin).
admin.site.unregister(Group)
admin.site.register(Group, organisation_admin.RoleGroupAdmin)


@admin.register(User)
class PersonAdmin(OrganisationImportMixin, ExportMixin, AccountSecurityAdminMixin,
                  organisation_admin.PersonAdmin):
    import_kind = "users"
    resource_classes = [UserResource]
