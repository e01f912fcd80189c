"""Pages of the materials app under /materials/ (namespace ``materials``, which also holds the
donations app's pages: lianfang/urls.py)."""

from django.urls import path

from lianfang.materials.views import stock, transfers

app_name = "materials"

urlpatterns = [
    # Catalogue, stock report, movements and ledgers, stock-takes
    path("items/", stock.item_list, name="items"),
    path("items/add/", stock.item_form, name="item-add"),
    path("items/<int:pk>/edit/", stock.item_form, name="item-edit"),
    path("stock/", stock.stock_report, name="stock"),
    path("stock/export/", stock.stock_export, name="stock-export"),
    path("stock/<int:unit_pk>/<int:item_pk>/levels/", stock.stock_levels, name="stock-levels"),
    path("movements/", stock.movement_list, name="movements"),
    path("movements/export/", stock.movement_export, name="movements-export"),
    path("movements/add/", stock.movement_add, name="movement-add"),
    path("ledger/<int:unit_pk>/<int:item_pk>/", stock.ledger, name="ledger"),
    path("stocktakes/", stock.stocktake_list, name="stocktakes"),
    path("stocktakes/add/", stock.stocktake_add, name="stocktake-add"),
    path("stocktakes/<int:pk>/", stock.stocktake_detail, name="stocktake-detail"),
    # Requests, offers, transfers, flows and rebalancing
    path("requests/", transfers.request_list, name="request-list"),
    path("requests/new/", transfers.request_create, name="request-create"),
    path("requests/<int:pk>/", transfers.request_detail, name="request-detail"),
    path(
        "requests/<int:pk>/<str:action>/",
        transfers.request_action,
        name="request-action",
    ),
    path("offers/", transfers.offer_list, name="offer-list"),
    path("offers/new/", transfers.offer_create, name="offer-create"),
    path("offers/<int:pk>/withdraw/", transfers.offer_withdraw, name="offer-withdraw"),
    path("transfers/", transfers.transfer_list, name="transfer-list"),
    path("transfers/new/", transfers.transfer_create, name="transfer-create"),
    path("transfers/in-transit/", transfers.transfer_in_transit, name="transfer-in-transit"),
    path("transfers/export.xlsx", transfers.transfer_export, name="transfer-export"),
    path("transfers/flows/", transfers.flows, name="flows"),
    path("transfers/<int:pk>/", transfers.transfer_detail, name="transfer-detail"),
    path("transfers/<int:pk>/note/", transfers.transfer_note, name="transfer-note"),
    path("transfers/<int:pk>/note.pdf", transfers.transfer_pdf, name="transfer-pdf"),
    path("transfers/<int:pk>/<str:action>/", transfers.transfer_action, name="transfer-action"),
    path("rebalancing/", transfers.rebalance_list, name="rebalance-list"),
    path("rebalancing/new/", transfers.rebalance_create, name="rebalance-create"),
    path("rebalancing/<int:pk>/", transfers.rebalance_detail, name="rebalance-detail"),
    path("rebalancing/<int:pk>/<str:action>/", transfers.rebalance_action, name="rebalance-action"),
]
