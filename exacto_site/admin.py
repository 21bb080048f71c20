"""The admin site: Django's, plus Exacto's own pages (overview, import a results file).

Installed as the default site by `exacto_site.apps.ExactoAdminConfig` (Django's documented
way to override the default admin site), so `admin.site` and every `@admin.register` use it.
"""

from django.contrib import admin
from django.urls import path

from metrics import admin_pages


class ExactoAdminSite(admin.AdminSite):
    def get_urls(self):
        return [
            path("overview/", self.admin_view(self.overview_view), name="overview"),
            path("import-results/", self.admin_view(self.import_results_view),
                 name="import-results"),
            *super().get_urls(),
        ]

    def overview_view(self, request):
        return admin_pages.overview(request, self.each_context(request))

    def import_results_view(self, request):
        return admin_pages.import_results(request, self.each_context(request))
