"""Pages of the reporting app. A plain list: the daily report's pages and the bulletin's are both here."""

from django.urls import path

from lianfang.reporting import views, views_bulletin, views_dashboard

app_name = "reporting"
urlpatterns = [
    # The unit daily report (日报告、零报告): lianfang/reporting/views.py
    path("", views.report_edit, name="report"),
    path("overview/", views.report_overview, name="overview"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("template/", views.report_template, name="template"),
    path("template/<int:pk>/", views.report_field_edit, name="field-edit"),
    path("raised/", views.raised_list, name="raised"),
    path("raised/<int:pk>/", views.raised_detail, name="raised-detail"),
    # The group daily bulletin and the dashboard: lianfang/reporting/views_bulletin.py, views_dashboard.py
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
