from django.contrib.admin.apps import AdminConfig


class ExactoAdminConfig(AdminConfig):
    """django.contrib.admin with Exacto's site (exacto_site/admin.py) as the default site."""

    default_site = "exacto_site.admin.ExactoAdminSite"
