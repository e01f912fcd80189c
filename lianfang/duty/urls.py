"""Pages of the duty app, under /duty/."""

from django.urls import path

from lianfang.duty import views

app_name = "duty"
urlpatterns = [
    path("", views.index, name="index"),
    path("posts/new/", views.post_create, name="post-create"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post-edit"),
    path("posts/<int:pk>/", views.roster, name="roster"),
    path("posts/<int:pk>/print/", views.roster_print, name="roster-print"),
    path("posts/<int:pk>/log/", views.day_log, name="log"),
    path("posts/<int:pk>/log/print/", views.day_log_print, name="log-print"),
    path("shifts/<int:pk>/", views.shift_detail, name="shift"),
    path("shifts/<int:pk>/handover/", views.handover_create, name="handover-create"),
    path("handovers/<int:pk>/accept/", views.handover_accept, name="handover-accept"),
    path("swaps/", views.swaps, name="swaps"),
    path("swaps/<int:pk>/<str:decision>/", views.swap_decide, name="swap-decide"),
    path("coverage/", views.gaps, name="gaps"),
]
