from django.core.management.base import BaseCommand

from measures.models import IncentiveCategory
from measures.permissions import category_permissions_sync
from organisation.models import Bureau, Membership
from organisation.permissions import ensure_bureau_group, membership_sync, role_groups_sync


class Command(BaseCommand):
    help = "Rebuild the role groups, bureau groups and category permissions from memberships and responsibilities (after loaddata)."

    def handle(self, *args, **options):
        role_groups_sync()
        for bureau in Bureau.objects.select_related("group"):
            ensure_bureau_group(bureau)
        categories = list(IncentiveCategory.objects.all())
        for category in categories:
            category_permissions_sync(category)
        users = {m.user for m in Membership.objects.select_related("user")}
        for user in users:
            membership_sync(user)
        self.stdout.write(f"Permissions synchronised: {len(categories)} categories, {len(users)} members.")
