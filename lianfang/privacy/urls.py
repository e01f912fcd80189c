"""Pages of the privacy app, under /privacy/."""

from django.urls import path

from lianfang.privacy import views

app_name = "privacy"
urlpatterns = [
    path("notices/", views.notice_list, name="notices"),
    path("notices/<int:pk>/publish/", views.notice_publish, name="notice-publish"),
    path("bases/", views.basis_list, name="bases"),
    path("emergencies/", views.emergency_list, name="emergencies"),
    path("emergencies/<int:pk>/close/", views.emergency_close, name="emergency-close"),
    path("emergencies/<int:pk>/stand-down/", views.stand_down_propose, name="stand-down-propose"),
    path("stand-downs/<int:pk>/confirm/", views.stand_down_confirm, name="stand-down-confirm"),
    path("stand-downs/<int:pk>/withdraw/", views.stand_down_cancel, name="stand-down-cancel"),
    path("retention/", views.retention, name="retention"),
    path("retention/dry-run/", views.purge_dry_run, name="purge-dry-run"),
    path("receipts/", views.receipt_list, name="receipts"),
    path("receipts/<int:pk>/", views.receipt_detail, name="receipt"),
    path("register/", views.register, name="register"),
    path("register/<int:pk>/review/", views.withdrawal_review, name="withdrawal-review"),
    path("paper/", views.paper_consent, name="paper"),
    path("chain/", views.chain, name="chain"),
    path("notice/", views.notice_step, name="notice-step"),
    path("mine/", views.mine, name="mine"),
    path("my-data/", views.my_data, name="my-data"),
]
