import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from lianfang.core.models import ObjectChange
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings
from lianfang.org.services import group_settings_update
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db


def test_the_office_moves_the_report_deadline_and_the_change_is_logged(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    group_settings_update(actor=office, report_deadline=datetime.time(14, 30), reminder_times="9:30, 11:00")
    saved = GroupSettings.load()
    assert saved.report_deadline == datetime.time(14, 30)
    assert saved.reminder_time_list() == [datetime.time(9, 30), datetime.time(11, 0)]
    change = ObjectChange.objects.get(content_type__model="groupsettings")
    assert change.user_name == "office"


def test_reminder_times_that_are_not_times_are_refused_on_their_field(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    with pytest.raises(ValidationError) as exc:
        group_settings_update(actor=office, reminder_times="10点")
    assert "reminder_times" in exc.value.message_dict
    assert GroupSettings.load().reminder_times == "10:00,12:00"


@pytest.mark.parametrize("role", [Role.UNIT_ADMIN, Role.LEADER, Role.DUTY_OFFICER, Role.EMPLOYEE])
def test_only_the_group_office_on_the_group_may_change_the_rhythm(tree, role):
    user = user_with_role(role, tree.group)
    with pytest.raises(PermissionDenied):
        group_settings_update(actor=user, report_lock_days=1)
    assert GroupSettings.load().report_lock_days == 3


def test_a_group_admin_on_a_subsidiary_cannot_change_the_group_rhythm(tree):
    user = user_with_role(Role.GROUP_ADMIN, tree.a)
    with pytest.raises(PermissionDenied):
        group_settings_update(actor=user, report_lock_days=1)


def test_the_settings_page_saves_and_refuses_others(client, tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    client.force_login(office)
    page = client.get(reverse("org:settings"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    data = {
        "checkin_opens": "07:00",
        "reminder_times": "10:00,12:00",
        "report_deadline": "16:00",
        "bulletin_time": "16:30",
        "completion_target": "90",
        "fever_threshold": "37.3",
        "checkin_backdate_days": "2",
        "report_lock_days": "3",
        "reporting_tier": "subsidiary",
    }
    assert client.post(reverse("org:settings"), data).status_code == 302
    assert GroupSettings.load().report_deadline == datetime.time(16, 0)

    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a))
    assert client.get(reverse("org:settings")).status_code == 403
    assert client.post(reverse("org:settings"), {**data, "report_deadline": "09:00"}).status_code == 403
    assert GroupSettings.load().report_deadline == datetime.time(16, 0)


def test_the_manage_page_offers_each_role_only_its_own_pages(client, tree):
    client.force_login(user_with_role(Role.GROUP_ADMIN, tree.group))
    office_page = client.get(reverse("manage")).content.decode()
    assert reverse("org:settings") in office_page and reverse("audit-changes") in office_page

    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a))
    liaison_page = client.get(reverse("manage")).content.decode()
    assert reverse("people:import") in liaison_page and reverse("notify:robots") in liaison_page
    assert reverse("org:settings") not in liaison_page and reverse("audit-changes") not in liaison_page

    client.force_login(user_with_role(Role.EMPLOYEE, tree.a1))
    assert client.get(reverse("manage")).status_code == 403


def test_mentions_in_chat_group_reminders_are_off_until_the_office_turns_them_on(client, tree):
    assert GroupSettings.load().robot_mentions is False
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    client.force_login(office)
    page = client.get(reverse("org:settings"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="robot_mentions"' in page and "Feishu robots cannot mention" in page
    data = {
        "checkin_opens": "07:00",
        "reminder_times": "10:00,12:00",
        "report_deadline": "15:00",
        "bulletin_time": "16:00",
        "completion_target": "95",
        "fever_threshold": "37.3",
        "checkin_backdate_days": "2",
        "report_lock_days": "3",
        "reporting_tier": "subsidiary",
        "robot_mentions": "on",
    }
    assert client.post(reverse("org:settings"), data).status_code == 302
    assert GroupSettings.load().robot_mentions is True
    change = ObjectChange.objects.filter(content_type__model="groupsettings").latest("time")
    assert change.postchange_data["robot_mentions"] is True
