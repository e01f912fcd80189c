"""Stock pages under /materials/ (namespace ``materials``): catalogue, stock report, movements and
ledgers, stock-takes."""

from django.urls import path

from lianfang.materials import views_stock as views

urlpatterns: list = [
    path("items/", views.item_list, name="items"),
    path("items/add/", views.item_form, name="item-add"),
    path("items/<int:pk>/edit/", views.item_form, name="item-edit"),
    path("stock/", views.stock_report, name="stock"),
    path("stock/export/", views.stock_export, name="stock-export"),
    path("stock/<int:unit_pk>/<int:item_pk>/levels/", views.stock_levels, name="stock-levels"),
    path("movements/", views.movement_list, name="movements"),
    path("movements/export/", views.movement_export, name="movements-export"),
    path("movements/add/", views.movement_add, name="movement-add"),
    path("ledger/<int:unit_pk>/<int:item_pk>/", views.ledger, name="ledger"),
    path("stocktakes/", views.stocktake_list, name="stocktakes"),
    path("stocktakes/add/", views.stocktake_add, name="stocktake-add"),
    path("stocktakes/<int:pk>/", views.stocktake_detail, name="stocktake-detail"),
]
