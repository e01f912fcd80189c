"""The demo outbreak loads through the services on top of the demo group."""

import random

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from lianfang.cases.choices import AlertStatus
from lianfang.cases.models import CareContact, Case, ClusterAlert, Contact, FollowUp, Isolation
from lianfang.cases.selectors import followups_due
from lianfang.org.models import Unit

pytestmark = pytest.mark.django_db


def test_the_demo_outbreak_has_a_chain_isolations_follow_ups_open_needs_and_one_open_cluster_alert():
    from lianfang import demo
    from lianfang.cases.demo import load_demo

    demo.load()
    if not Case.objects.exists():  # until the lead wires it into lianfang.demo
        users = {
            u.username: u for u in get_user_model().objects.filter(username__in=[p.username for p in demo.PERSONAS])
        }
        group = Unit.objects.get(code=demo.GROUP_CODE, depth=1)
        load_demo(rng=random.Random(demo.SEED), today=timezone.localdate(), users=users, group=group)

    assert Case.objects.count() == 5
    assert Contact.objects.filter(became_case__isnull=False).count() == 1
    assert Isolation.objects.filter(released_on__isnull=True).exists()
    assert Isolation.objects.filter(released_on__isnull=False).exists()
    assert FollowUp.objects.exists()
    assert CareContact.objects.filter(is_open=True).count() == 2
    assert ClusterAlert.objects.filter(status=AlertStatus.OPEN).count() == 1
    admin = get_user_model().objects.get(username="admin")
    assert any(row.missed_earlier for row in followups_due(viewer=admin))
