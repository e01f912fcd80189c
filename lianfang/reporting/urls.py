"""Pages of the reporting app. A plain list: the daily report's pages and the bulletin's are both here."""

from django.urls import path

from lianfang.reporting.views import bulletins as views_bulletin
from lianfang.reporting.views import dashboard as views_dashboard
from lianfang.reporting.views import reports

app_name = "reporting"
urlpatterns = [
    # The unit daily report (日报告、零报告): lianfang/reporting/views.py
    path("", reports.report_edit, name="report"),
    path("overview/", reports.report_overview, name="overview"),
    path("<int:pk>/", reports.report_detail, name="detail"),
    path("template/", reports.report_template, name="template"),
    path("template/<int:pk>/", reports.report_field_edit, name="field-edit"),
    path("raised/", reports.raised_list, name="raised"),
    path("raised/<int:pk>/", reports.raised_detail, name="raised-detail"),
    # The group daily bulletin and the dashboard: lianfang/reporting/views/bulletins.py, views_dashboard.py
    path("bulletins/", views_bulletin.bulletin_list, name="bulletin-list"),
    path("bulletins/build/", views_bulletin.bulletin_build, name="bulletin-build"),
    path("bulletins/<int:pk>/", views_bulletin.bulletin_detail, name="bulletin-detail"),
    path("bulletins/<int:pk>/summary/", views_bulletin.bulletin_summary, name="bulletin-summary"),
    path("bulletins/<int:pk>/rebuild/", views_bulletin.bulletin_rebuild, name="bulletin-rebuild"),
    path("bulletins/<int:pk>/publish/", views_bulletin.bulletin_publish, name="bulletin-publish"),
    path("bulletins/<int:pk>/reopen/", views_bulletin.bulletin_reopen, name="bulletin-reopen"),
    path("bulletins/<int:pk>/print/", views_bulletin.bulletin_print, name="bulletin-print"),
    path("bulletins/<int:pk>/export.<str:fmt>", views_bulletin.bulletin_export, name="bulletin-export"),
    path("dashboard/", views_dashboard.dashboard_view, name="dashboard"),
]
