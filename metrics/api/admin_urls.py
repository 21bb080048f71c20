"""Admin automation endpoints (admin-scoped tokens), under /api/v1/admin/."""

urlpatterns: list = []
