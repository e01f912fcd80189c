from django.urls import path

from lianfang.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("manage/", views.manage, name="manage"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("audit/", views.audit_changes, name="audit-changes"),
    path("audit/events/", views.audit_events, name="audit-events"),
    path("audit/changes/<int:pk>/", views.audit_change_detail, name="audit-change-detail"),
    path("healthz", views.healthz, name="healthz"),
]
