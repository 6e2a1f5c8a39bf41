"""What several admin pages share: pages that only show records written by the services (audit trail, awards,
decisions, lists, …), and changelists over tables of millions of rows."""

from django.contrib import admin

from .paginators import CappedPaginator


class ReadOnlyAdminMixin:
    """Nobody adds, changes or deletes these rows in the admin, whatever their permissions: they change only
    through the services. For ModelAdmins and inlines alike (an inline's permission methods also take ``obj``)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LargeTableAdminMixin:
    """A changelist over a table that grows to millions of rows at a province's size (lists, awards, decisions, the
    audit trail): no full count (at most ``CappedPaginator.cap`` rows are counted, and the "show all" count is
    skipped), no facets, and 50 rows a page, as the audit trail's page shows (the admin's rows are rendered cell by
    cell: 100 of them were half of such a page's time)."""

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedPaginator
    list_per_page = 50
