from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from guardian.admin import ReinforcedGuardedModelAdmin

from .models import IncentiveCategory, Measure, PolicyDocument, Responsibility


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "issuer", "issued_on", "in_force"]
    list_filter = ["in_force", "issuer"]
    search_fields = ["number", "title"]
    autocomplete_fields = ["supersedes"]


class CategoryInline(admin.StackedInline):
    model = IncentiveCategory
    extra = 0
    fields = [("code", "name", "order", "cap"), "description", "subject_kinds"]
    filter_horizontal = ["subject_kinds"]
    show_change_link = True


class ResponsibilityInline(admin.TabularInline):
    model = Responsibility
    extra = 0
    autocomplete_fields = ["bureau"]


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
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
        from django.urls import path

        from .importing import admin_views

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
        from incentives.roles import is_administrator

        extra_context = {**(extra_context or {}), "can_import": is_administrator(request.user)}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("responsibilities"))
    def responsibilities_overview(self, obj):
        rows = Responsibility.objects.filter(category__measure=obj).select_related("category", "bureau").order_by("category__order", "order")
        return "；".join(f"{r.category.code} {r.bureau.short_name}（{r.get_role_display()}）" for r in rows) or "—"


@admin.register(IncentiveCategory)
class IncentiveCategoryAdmin(ReinforcedGuardedModelAdmin):
    list_display = ["code", "name", "measure", "cap"]
    list_filter = ["measure__document", "subject_kinds", "responsibilities__bureau"]
    list_select_related = ["measure"]
    search_fields = ["code", "name", "measure__title"]
    filter_horizontal = ["subject_kinds"]
    inlines = [ResponsibilityInline]

    # Object permissions are the security administrator's (三员分立), who may not change the catalogue: guardian's
    # pages ask for the change permission of the model, so on those pages guardian's own permissions stand in.
    def _on_permission_pages(self, request):
        return request.resolver_match is not None and request.resolver_match.url_name.endswith(
            ("_permissions", "_permissions_manage_user", "_permissions_manage_group"))

    def has_change_permission(self, request, obj=None):
        if self._on_permission_pages(request) and request.user.has_perm("guardian.view_groupobjectpermission"):
            return True
        return super().has_change_permission(request, obj)


@admin.register(Responsibility)
class ResponsibilityAdmin(admin.ModelAdmin):
    list_display = ["category", "bureau", "role", "order"]
    list_filter = ["role", "bureau"]
    list_select_related = ["category", "bureau"]
    search_fields = ["category__name", "bureau__short_name"]
    autocomplete_fields = ["category", "bureau"]
