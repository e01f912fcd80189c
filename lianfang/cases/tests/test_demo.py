"""The demo outbreak loads through the services on top of the demo group."""

import pytest
from django.contrib.auth import get_user_model

from lianfang.cases.choices import AlertStatus
from lianfang.cases.models import CareContact, Case, ClusterAlert, Contact, FollowUp, Isolation
from lianfang.cases.selectors import followups_due

pytestmark = pytest.mark.django_db


def test_the_demo_outbreak_has_a_chain_isolations_follow_ups_open_needs_and_one_open_cluster_alert():
    from lianfang.demo import loader as demo

    demo.load()

    assert Case.objects.count() == 5
    assert Contact.objects.filter(became_case__isnull=False).count() == 1
    assert Isolation.objects.filter(released_on__isnull=True).exists()
    assert Isolation.objects.filter(released_on__isnull=False).exists()
    assert FollowUp.objects.exists()
    assert CareContact.objects.filter(is_open=True).count() == 2
    assert ClusterAlert.objects.filter(status=AlertStatus.OPEN).count() == 1
    # The demo's case manager follows the isolations up, and has missed a reading.
    epi = get_user_model().objects.get(username="epi")
    assert any(row.missed_earlier for row in followups_due(viewer=epi))
