from django.urls import path

from lianfang.accounts import views

app_name = "accounts"

urlpatterns = [
    path("two-factor/", views.two_factor, name="two-factor"),
    path("sign-ins/", views.my_sign_ins, name="sign-ins"),
    path("security/", views.security, name="security"),
    path("security/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("security/locks/<int:pk>/unlock/", views.unlock, name="unlock"),
    path("security/sign-ins/end/", views.user_sign_ins_end, name="user-sign-ins-end"),
]
