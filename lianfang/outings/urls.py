"""Pages of the outings app, under /outings/."""

from django.urls import path

from lianfang.outings import views

app_name = "outings"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("new/", views.new, name="new"),
    path("approvals/", views.approvals, name="approvals"),
    path("all/", views.outing_list, name="list"),
    path("monitoring/", views.monitoring, name="monitoring"),
    path("settings/", views.settings_page, name="settings"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/return/", views.confirm_return, name="return"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
