"""The demo's risk areas and trips load through the services; with the status demo after them, every
person has a status."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from lianfang.health.demo import AREAS, load_demo
from lianfang.health.models import RiskArea, Trip
from lianfang.health.tests.status_helpers import rules
from lianfang.status import demo as status_demo
from lianfang.status.models import PersonStatus
from lianfang.testing import PersonFactory

pytestmark = pytest.mark.django_db


def test_the_demo_lists_risk_areas_some_lifted_adds_trips_and_computes_every_status(tree, superuser):
    rules()
    for unit in (tree.a1, tree.a1s, tree.a2, tree.b1):
        for _ in range(30):
            PersonFactory(unit=unit)
    args = {"rng": random.Random(4), "today": timezone.localdate(), "users": {"admin": superuser}, "group": tree.group}
    load_demo(**args)
    status_demo.load_demo(**args)
    assert RiskArea.objects.count() == AREAS
    assert RiskArea.objects.filter(lifted_on__isnull=False).exists()
    assert Trip.objects.count() >= 2
    assert PersonStatus.objects.count() == 120
    assert PersonStatus.objects.filter(colour="yellow").exists()  # a trip through a risk area in force
