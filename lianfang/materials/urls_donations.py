"""Pages of donations, money collections and the emergency fund (included in namespace "materials")."""

from django.urls import path

from lianfang.materials import views_donations as views

urlpatterns = [
    path("donations/", views.donation_list, name="donation-list"),
    path("donations/new/", views.donation_create, name="donation-create"),
    path("donations/export.xlsx", views.donation_export, name="donation-export"),
    path("donations/report/", views.donation_report, name="donation-report"),
    path("donations/report/export.xlsx", views.donation_report_export, name="donation-report-export"),
    path("donations/<int:pk>/", views.donation_detail, name="donation-detail"),
    path("donations/<int:pk>/receipt/", views.donation_receipt, name="donation-receipt"),
    path("donations/<int:pk>/cancel/", views.donation_cancel, name="donation-cancel"),
    path("collections/", views.collection_list, name="collection-list"),
    path("collections/new/", views.collection_create, name="collection-create"),
    path("collections/<int:pk>/", views.collection_detail, name="collection-detail"),
    path("collections/<int:pk>/contribute/", views.collection_contribute, name="collection-contribute"),
    path("collections/<int:pk>/pass-on/", views.collection_pass_on, name="collection-pass-on"),
    path("collections/<int:pk>/export.xlsx", views.collection_export, name="collection-export"),
    path("funds/", views.fund_list, name="fund-list"),
    path("funds/new/", views.fund_create, name="fund-create"),
    path("funds/<int:pk>/", views.fund_detail, name="fund-detail"),
    path("funds/<int:pk>/budget/", views.fund_budget, name="fund-budget"),
    path("funds/<int:pk>/request/", views.fund_request, name="fund-request"),
    path("funds/<int:pk>/export.xlsx", views.fund_export, name="fund-export"),
    path("spending/", views.spending_list, name="spending-list"),
    path("spending/<int:pk>/", views.spending_detail, name="spending-detail"),
    path("spending/<int:pk>/approve/", views.spending_approve, name="spending-approve"),
    path("spending/<int:pk>/reject/", views.spending_reject, name="spending-reject"),
    path("spending/<int:pk>/pay/", views.spending_pay, name="spending-pay"),
]
