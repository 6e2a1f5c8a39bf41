from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """``django.contrib.admin`` with the project's site as ``admin.site`` (see ``security.admin_site``)."""

    default_site = "security.admin_site.IncentivesAdminSite"

