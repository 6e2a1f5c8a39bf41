"""Object permissions on categories, derived from bureaus' responsibilities.

Each bureau's group (``organisation.permissions``) holds guardian object permissions on the categories the
bureau is responsible for:

* every responsible bureau: ``view_incentivecategory`` and ``comment_incentivecategory``;
* lead, separately or jointly responsible bureaus also: ``nominate_incentivecategory`` (edit the list).

A signal (``measures.signals``) rewrites a category's rows whenever one of its responsibilities changes.
The rows of bureau groups belong to this module: one edited by hand (guardian's "Object permissions" page of a
category in the admin) is put back at the next sync. An exception for one person is a *user* object permission,
which the sync leaves alone and the selectors honour.
"""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from organisation.permissions import COMMENT, NOMINATE, VIEW, ensure_bureau_group

from .models import CategoryGroupObjectPermission, IncentiveCategory, Responsibility


def _category_permissions() -> dict[str, Permission]:
    content_type = ContentType.objects.get_for_model(IncentiveCategory)
    return {p.codename: p for p in Permission.objects.filter(content_type=content_type, codename__in=[VIEW, COMMENT, NOMINATE])}


def category_permissions_sync(category) -> None:
    """Rewrite the group permissions of one category from its responsibilities."""
    perms = _category_permissions()
    wanted: set[tuple[int, int]] = set()
    for responsibility in Responsibility.objects.filter(category=category).select_related("bureau", "bureau__group"):
        group = ensure_bureau_group(responsibility.bureau)
        codenames = [VIEW, COMMENT] + ([NOMINATE] if responsibility.can_edit else [])
        wanted.update((group.pk, perms[c].pk) for c in codenames)
    existing = {
        (row.group_id, row.permission_id): row.pk
        for row in CategoryGroupObjectPermission.objects.filter(content_object=category, group__bureau__isnull=False)
    }
    stale = [pk for key, pk in existing.items() if key not in wanted]
    if stale:
        CategoryGroupObjectPermission.objects.filter(pk__in=stale).delete()
    CategoryGroupObjectPermission.objects.bulk_create(
        [
            CategoryGroupObjectPermission(content_object=category, group_id=group_id, permission_id=permission_id)
            for group_id, permission_id in wanted - existing.keys()
        ]
    )
