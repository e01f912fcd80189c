"""Pages of the command app (urgent matters), under /urgent/."""

from django.urls import path

from lianfang.command import views

app_name = "command"
urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.report, name="new"),
    path("levels/", views.levels, name="levels"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
]
