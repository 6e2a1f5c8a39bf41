from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, Bureau, Membership, Unit, UnitKind

User = get_user_model()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["bureau"]
    verbose_name = _("bureau membership")


admin.site.unregister(User)


@admin.register(User)
class IncentivesUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups", "memberships__bureau"]


@admin.register(Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ["short_name", "full_name", "full_name_confirmed", "order", "is_active"]
    list_filter = ["full_name_confirmed", "is_active"]
    search_fields = ["short_name", "full_name"]
    ordering = ["order", "short_name"]


@admin.register(UnitKind)
class UnitKindAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "order"]
    search_fields = ["code", "name"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "full_name", "kind", "parent", "division_order", "is_active"]
    list_filter = ["kind", "is_active", "parent"]
    list_select_related = ["kind", "parent"]
    search_fields = ["name", "full_name"]
    autocomplete_fields = ["parent", "merged_into"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "bureau", "created_at"]
    list_filter = ["bureau"]
    list_select_related = ["user", "bureau"]
    search_fields = ["user__username", "user__first_name", "bureau__short_name"]
    autocomplete_fields = ["user", "bureau"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail is read-only, even for administrators."""

    list_display = ["at", "actor", "action", "target_type", "target_repr"]
    list_filter = ["action", "target_type"]
    list_select_related = ["actor", "target_type"]
    search_fields = ["target_repr", "message", "actor__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
