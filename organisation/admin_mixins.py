"""Admin pages that only show: records written by the services (audit trail, awards, decisions, lists, …)."""


class ReadOnlyAdminMixin:
    """Nobody adds, changes or deletes these rows in the admin, whatever their permissions: they change only
    through the services. For ModelAdmins and inlines alike (an inline's permission methods also take ``obj``)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
