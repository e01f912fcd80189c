import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "pw-Lianfang-2026"


@pytest.fixture(autouse=True)
def _two_factor_on(settings):
    """The suite runs with the second factor off (settings.py); these tests are about it."""
    settings.LIANFANG_TWO_FACTOR_ENFORCED = True
    from lianfang.accounts.selectors import forget_sign_in_settings

    forget_sign_in_settings()  # a rolled-back test must not leave its settings in the cache
    yield
    forget_sign_in_settings()


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def client_at(address: str = "10.0.0.1") -> Client:
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")


def sign_in(client: Client, user, password: str = PASSWORD):
    return client.post("/login/", {"username": user.username, "password": password})
