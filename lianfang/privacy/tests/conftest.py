from __future__ import annotations

import pytest
from django.utils import translation

from lianfang.org.choices import Role
from lianfang.privacy import gate, services
from lianfang.testing import user_with_role


@pytest.fixture(autouse=True)
def _english_and_fresh_gate():
    gate.invalidate()
    with translation.override("en"):
        yield
    gate.invalidate()


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office")


@pytest.fixture
def liaison(tree):
    return user_with_role(Role.UNIT_ADMIN, tree.a1, username="liaison-a1")


def publish(office, *, substantive: bool = True, title: str = "告知书"):
    notice = services.notice_create(
        actor=office, title=title, title_en="Notice", body="正文", body_en="Text", substantive=substantive
    )
    return services.notice_publish(actor=office, notice=notice)


@pytest.fixture
def notice(office):
    return publish(office)
