"""Review records in the admin are read-only: every change goes through reviews.services (and is audited)."""

from django.contrib import admin

from .models import Award, Bulletin, CapException, CycleReopening, Decision


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
    list_select_related = ["cycle", "category", "unit__parent", "cap_exception__cycle", "cap_exception__category"]
    search_fields = ["unit__name", "category__code"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["nominee", "approved", "decided_by", "decided_at"]
    list_filter = ["approved", "nominee__nomination_list__cycle"]
    list_select_related = ["nominee__unit__parent", "decided_by"]


@admin.register(CapException)
class CapExceptionAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "category", "new_limit", "decided_by", "decided_at"]
    list_select_related = ["cycle", "category", "decided_by"]


@admin.register(CycleReopening)
class CycleReopeningAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "reopened_by", "reopened_at", "was_published_at"]
    list_select_related = ["cycle", "reopened_by"]


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "version", "status", "size", "requested_by", "requested_at", "finished_at"]
    list_select_related = ["cycle", "requested_by"]
