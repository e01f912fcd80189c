"""Pages of requests, offers, transfers, flows and rebalancing (namespace ``materials``)."""

from django.urls import path

from lianfang.materials import views_transfers as views

urlpatterns = [
    path("requests/", views.request_list, name="request-list"),
    path("requests/new/", views.request_create, name="request-create"),
    path("requests/<int:pk>/", views.request_detail, name="request-detail"),
    path(
        "requests/<int:pk>/<str:action>/",
        views.request_action,
        name="request-action",
    ),
    path("offers/", views.offer_list, name="offer-list"),
    path("offers/new/", views.offer_create, name="offer-create"),
    path("offers/<int:pk>/withdraw/", views.offer_withdraw, name="offer-withdraw"),
    path("transfers/", views.transfer_list, name="transfer-list"),
    path("transfers/new/", views.transfer_create, name="transfer-create"),
    path("transfers/in-transit/", views.transfer_in_transit, name="transfer-in-transit"),
    path("transfers/export.xlsx", views.transfer_export, name="transfer-export"),
    path("transfers/flows/", views.flows, name="flows"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer-detail"),
    path("transfers/<int:pk>/note/", views.transfer_note, name="transfer-note"),
    path("transfers/<int:pk>/note.pdf", views.transfer_pdf, name="transfer-pdf"),
    path("transfers/<int:pk>/<str:action>/", views.transfer_action, name="transfer-action"),
    path("rebalancing/", views.rebalance_list, name="rebalance-list"),
    path("rebalancing/new/", views.rebalance_create, name="rebalance-create"),
    path("rebalancing/<int:pk>/", views.rebalance_detail, name="rebalance-detail"),
    path("rebalancing/<int:pk>/<str:action>/", views.rebalance_action, name="rebalance-action"),
]
