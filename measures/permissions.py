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
from django.db.models import CharField, Value

from organisation import access, roles
from organisation.permissions import COMMENT, NOMINATE, VIEW, ensure_bureau_group

from .models import (
    CategoryGroupObjectPermission,
    CategoryUserObjectPermission,
    IncentiveCategory,
    Responsibility,
)


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


IN_PROGRAMME = "in_programme"  # a marker row of rights(): the category is of one of the person's programmes
RIGHTS_CACHE = "_category_rights"  # on the user object: category pk → frozenset of codenames (one request's)


def rights(user, category) -> frozenset[str]:
    """What ``user`` may do with ``category``: a set of ``VIEW``, ``COMMENT``, ``NOMINATE``, in one query.

    The same answer as the selectors (``measures.selectors.categories_visible_to``, ``categories_editable_by``,
    ``categories_commentable_by``): the bureau groups' rows and the person's own exceptions (user rows), and for
    reviewers and administrators the view of every category of their programmes; nothing when signed out or
    inactive. Kept on the user object, so that a page asks once (``forget_cached_permissions`` drops it)."""
    pk = category.pk if hasattr(category, "pk") else int(category)
    cached = user.__dict__.setdefault(RIGHTS_CACHE, {}) if user.is_authenticated else {}
    if pk in cached:
        return cached[pk]
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    codenames = [VIEW, COMMENT, NOMINATE]
    own = (CategoryUserObjectPermission.objects.filter(user_id=user.pk, content_object_id=pk,
                                                       permission__codename__in=codenames)
           .order_by().values_list("permission__codename"))
    groups = (CategoryGroupObjectPermission.objects.filter(group__user=user.pk, content_object_id=pk,
                                                           permission__codename__in=codenames)
              .order_by().values_list("permission__codename"))
    parts = [groups]
    wide = roles.is_reviewer(user) or roles.is_administrator(user)
    if wide:
        # Reviewers and administrators see every category of their programmes, and only those (as
        # ``categories_visible_to``); commenting and nominating remain the permission rows' alone.
        parts.append(IncentiveCategory.objects.filter(pk=pk, measure__document__programme__in=access.person(user).programmes)
                     .order_by()
                     .annotate(codename=Value(IN_PROGRAMME, output_field=CharField())).values_list("codename"))
    rows = {row[0] for row in own.union(*parts)}
    if wide:
        in_programme = IN_PROGRAMME in rows
        rows -= {VIEW, IN_PROGRAMME}
        if in_programme:
            rows.add(VIEW)
    found = frozenset(rows)
    cached[pk] = found
    return found
