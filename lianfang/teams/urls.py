"""Pages of the teams app, under /teams/."""

from django.urls import path

from lianfang.teams import views

app_name = "teams"
urlpatterns = [
    path("", views.team_list, name="list"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.team_detail, name="detail"),
    path("deployments/<int:pk>/", views.deployment_detail, name="deployment"),
    path("deployments/<int:pk>/call-up/", views.call_up, name="call_up"),
    path("call-ups/<int:pk>/accept/", views.accept, name="accept"),
]
