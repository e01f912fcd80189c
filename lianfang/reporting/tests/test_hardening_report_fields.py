"""Adding a report field through the API with ``is_active`` (issue 11: a TypeError, a 500)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from lianfang.org.choices import Role
from lianfang.reporting.models import ReportField
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("active", [True, False])
def test_the_office_adds_a_field_active_or_not(tree, active):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_authenticate(user_with_role(Role.GROUP_ADMIN, tree.group))
    response = client.post(
        "/api/v1/report-fields/",
        {"code": "masks_used", "label": "口罩用量", "kind": "count", "is_active": active},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["is_active"] is active
    assert ReportField.objects.get(code="masks_used").is_active is active
