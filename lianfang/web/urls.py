"""The shell's pages: home, the Manage hub and the audit log (names without a namespace, as before)."""

from django.urls import path

from lianfang.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("manage/", views.manage, name="manage"),
    path("audit/", views.audit_changes, name="audit-changes"),
    path("audit/events/", views.audit_events, name="audit-events"),
    path("audit/changes/<int:pk>/", views.audit_change_detail, name="audit-change-detail"),
]
