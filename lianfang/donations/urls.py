"""Pages of donations, money collections and the emergency fund, under /materials/ in the "materials"
namespace (lianfang/urls.py) where they were before money left the materials app."""

from django.urls import path

from lianfang.donations.views import collections, donations, funds

urlpatterns = [
    path("donations/", donations.donation_list, name="donation-list"),
    path("donations/new/", donations.donation_create, name="donation-create"),
    path("donations/export.xlsx", donations.donation_export, name="donation-export"),
    path("donations/report/", donations.donation_report, name="donation-report"),
    path("donations/report/export.xlsx", donations.donation_report_export, name="donation-report-export"),
    path("donations/<int:pk>/", donations.donation_detail, name="donation-detail"),
    path("donations/<int:pk>/receipt/", donations.donation_receipt, name="donation-receipt"),
    path("donations/<int:pk>/cancel/", donations.donation_cancel, name="donation-cancel"),
    path("collections/", collections.collection_list, name="collection-list"),
    path("collections/new/", collections.collection_create, name="collection-create"),
    path("collections/<int:pk>/", collections.collection_detail, name="collection-detail"),
    path("collections/<int:pk>/contribute/", collections.collection_contribute, name="collection-contribute"),
    path("collections/<int:pk>/pass-on/", collections.collection_pass_on, name="collection-pass-on"),
    path("collections/<int:pk>/export.xlsx", collections.collection_export, name="collection-export"),
    path("funds/", funds.fund_list, name="fund-list"),
    path("funds/new/", funds.fund_create, name="fund-create"),
    path("funds/<int:pk>/", funds.fund_detail, name="fund-detail"),
    path("funds/<int:pk>/budget/", funds.fund_budget, name="fund-budget"),
    path("funds/<int:pk>/request/", funds.fund_request, name="fund-request"),
    path("funds/<int:pk>/export.xlsx", funds.fund_export, name="fund-export"),
    path("spending/", funds.spending_list, name="spending-list"),
    path("spending/<int:pk>/", funds.spending_detail, name="spending-detail"),
    path("spending/<int:pk>/approve/", funds.spending_approve, name="spending-approve"),
    path("spending/<int:pk>/reject/", funds.spending_reject, name="spending-reject"),
    path("spending/<int:pk>/pay/", funds.spending_pay, name="spending-pay"),
]
