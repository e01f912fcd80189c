"""Low-stock alerts: to the unit's keepers and liaisons and the office, at most once a day."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from lianfang.materials.alerts import stock_alerts_check
from lianfang.materials.choices import MovementKind
from lianfang.materials.services import stock
from lianfang.materials.tests.stock_helpers import items, put
from lianfang.notify.choices import MessageKind
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db(transaction=True)  # alerts go out when the movement commits

TODAY = timezone.localdate()
MONTH_AGO = TODAY - datetime.timedelta(days=30)


@pytest.fixture
def people(tree):
    return {
        "keeper": user_with_role(Role.MATERIALS_KEEPER, tree.a1, "keeper"),
        "liaison": user_with_role(Role.UNIT_ADMIN, tree.a, "liaison"),
        "office": user_with_role(Role.GROUP_ADMIN, tree.group, "office"),
        "other_keeper": user_with_role(Role.MATERIALS_KEEPER, tree.a2, "other"),
        "leader": user_with_role(Role.LEADER, tree.a1, "leader"),
    }


def alerted() -> list[str]:
    return sorted(m.recipient.username for m in Message.objects.filter(kind=MessageKind.STOCK_LOW))


def test_an_issue_below_the_threshold_alerts_the_keeper_the_liaison_and_the_office_once_a_day(tree, people):
    masks = items()["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 600, date=MONTH_AGO)
    stock.movement_record(
        actor=people["keeper"], unit=tree.a1, item=masks, kind=MovementKind.ISSUE, quantity=50, date=TODAY
    )
    assert alerted() == []  # 550 is above the threshold of 500, and 550 / (50/7) is 77 days

    stock.movement_record(
        actor=people["keeper"], unit=tree.a1, item=masks, kind=MovementKind.ISSUE, quantity=100, date=TODAY
    )
    assert alerted() == ["keeper", "liaison", "office"]
    message = Message.objects.filter(recipient=people["keeper"]).get()
    assert "医用外科口罩" in message.title and "450" in message.body
    assert message.url == f"/materials/ledger/{tree.a1.pk}/{masks.pk}/"

    stock.movement_record(
        actor=people["keeper"], unit=tree.a1, item=masks, kind=MovementKind.ISSUE, quantity=100, date=TODAY
    )
    assert len(alerted()) == 3  # not again today

    assert stock_alerts_check(keys=[(tree.a1.pk, masks.pk)], today=TODAY + datetime.timedelta(days=1)) == 1
    assert len(alerted()) == 6  # but again tomorrow


def test_under_three_days_of_supply_alerts_even_above_the_threshold(tree, people):
    suits = items()["protective-suit"]  # threshold 20
    put(tree.a1, suits, MovementKind.PURCHASE, 100, date=MONTH_AGO)
    put(tree.a1, suits, MovementKind.ISSUE, 70, date=TODAY - datetime.timedelta(days=2))
    assert alerted() == []  # 30 left at 10 a day: 3 days, not under
    put(tree.a1, suits, MovementKind.ISSUE, 7, date=TODAY)
    # 23 left (above 20) at 11 a day: 2.1 days.
    assert alerted() == ["keeper", "liaison", "office"]
    assert "2.1" in Message.objects.filter(recipient__username="office").get().body


def test_a_purchase_never_alerts(tree, people):
    masks = items()["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 10, date=TODAY)
    assert alerted() == []
