"""The demo leaves transfers in every state, an open request, offers and a proposal to review."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from lianfang.materials.choices import ProposalStatus, RequestStatus, TransferStatus
from lianfang.materials.demo.transfers import load_demo
from lianfang.materials.models import MaterialRequest, Offer, RebalanceProposal, Transfer
from lianfang.testing import UserFactory, add_unit

pytestmark = pytest.mark.django_db


def test_the_demo_shows_a_transfer_in_each_state_and_a_proposal_for_review(tree):
    for n in range(6):
        add_unit(tree.group, f"E{n:02d}", f"企业{n}", "subsidiary")
    admin = UserFactory(username="admin", is_superuser=True)
    load_demo(rng=random.Random(1), today=timezone.localdate(), users={"admin": admin}, group=tree.group)
    statuses = set(Transfer.objects.values_list("status", flat=True))
    assert statuses == set(TransferStatus.values)
    assert MaterialRequest.objects.filter(status=RequestStatus.OPEN).exists()
    assert Offer.objects.count() == 2
    assert RebalanceProposal.objects.get().status == ProposalStatus.DRAFT
