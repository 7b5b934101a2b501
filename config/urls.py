from django.contrib import admin
from django.urls import include, path

from campaigns.dashboard.views import program_dashboard
from campaigns.monthly_report_views import program_report
from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # The admin's index: the program dashboard for marketers and analysts, the usual one for others.
    path("admin/", admin.site.admin_view(program_dashboard), name="program_dashboard"),
    path("admin/reports/monthly/", admin.site.admin_view(program_report), name="program_report"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("api.urls")),
    path("desk/", include("desk.urls")),
    path("", include("cabinet.urls")),
]
