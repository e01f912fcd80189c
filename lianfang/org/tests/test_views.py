import re

import pytest
from django.urls import reverse

from lianfang.core.models import ChangeAction, ObjectChange
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.people.choices import EmploymentStatus
from lianfang.testing import PersonFactory, UserFactory, add_unit, kind, user_with_role

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


def in_english(client):
    """Pages are Chinese by default; a test that reads an English message asks for English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def units_listed(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-unit="(\d+)"', response.content.decode())]


def unit_form(unit: Unit, **changes) -> dict:
    data = {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind_id,
        "address": unit.address,
        "person_in_charge": unit.person_in_charge,
        "person_in_charge_phone": unit.person_in_charge_phone,
        "liaison": unit.liaison,
        "liaison_phone": unit.liaison_phone,
    }
    return {**data, **changes}


def reload(unit: Unit) -> Unit:
    return Unit.objects.get(pk=unit.pk)


# --- the tree -----------------------------------------------------------------------------------


def test_the_tree_shows_the_liaisons_subtree_in_tree_order(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.get(reverse("org:tree"))

    assert response.status_code == 200
    assert units_listed(response) == [tree.a.pk, tree.a1.pk, tree.a1s.pk, tree.a2.pk]
    assert tree.b.name not in response.content.decode()


def test_the_tree_counts_people_at_work_including_sub_units(client, tree):
    PersonFactory(unit=tree.a1)
    PersonFactory(unit=tree.a1s)
    PersonFactory(unit=tree.a1s, employment_status=EmploymentStatus.LEFT)
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    page = client.get(reverse("org:tree")).content.decode()

    counts = dict(re.findall(r'data-unit="(\d+)">.*?class="count"[^>]*>(\d+)<', page, re.S))
    assert counts[str(tree.a1.pk)] == "2"
    assert counts[str(tree.a1s.pk)] == "1"


def test_searching_the_tree_keeps_each_match_under_its_ancestors(client, tree):
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.group))

    response = client.get(reverse("org:tree"), {"q": "热力站"})

    assert units_listed(response) == [tree.group.pk, tree.a.pk, tree.a1.pk, tree.a1s.pk]
    assert 'class="leaf is-match"' in response.content.decode()


def test_deactivated_units_show_only_when_asked_for(client, tree):
    Unit.objects.filter(pk=tree.a2.pk).update(is_active=False)
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.group))

    assert tree.a2.pk not in units_listed(client.get(reverse("org:tree")))
    assert tree.a2.pk in units_listed(client.get(reverse("org:tree"), {"inactive": "1"}))


def test_a_search_from_htmx_refreshes_only_the_tree(client, tree):
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.group))

    page = client.get(reverse("org:tree"), {"q": "乙"}, HTTP_HX_REQUEST="true").content.decode()

    assert "<html" not in page
    assert 'data-total="3"' in page  # the group, 乙公司 and 乙公司综合部


def test_the_tree_takes_the_same_few_queries_for_three_hundred_units(client, tree, django_assert_max_num_queries):
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.group))
    client.get(reverse("org:tree"))
    for i in range(30):
        branch = add_unit(reload(tree.b), f"B-{i}", f"乙分公司{i}")
        for j in range(9):
            add_unit(reload(branch), f"B-{i}-{j}", f"乙站{i}-{j}", "heat-station")
            PersonFactory(unit_id=branch.pk)

    # Session, user, grants, menu, units, headcounts: never one query per unit.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("org:tree"))

    assert len(units_listed(response)) == 7 + 30 * 10


def test_a_role_without_the_unit_view_right_cannot_open_the_tree(client, tree):
    signed_in(client, user_with_role(Role.EMPLOYEE, tree.a))

    assert client.get(reverse("org:tree")).status_code == 403


# --- one unit -----------------------------------------------------------------------------------


def test_the_breadcrumbs_show_only_ancestors_the_viewer_may_see(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a1))

    page = client.get(reverse("org:detail", args=[tree.a1s.pk])).content.decode()

    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', page, re.S).group(0)
    assert f">{tree.a1.display_name}<" in crumbs
    assert f">{tree.a.display_name}<" not in crumbs
    assert f">{tree.group.display_name}<" not in crumbs


def test_contact_phones_are_masked_for_a_viewer_who_may_not_unmask(client, tree):
    Unit.objects.filter(pk=tree.a1.pk).update(liaison="李敏", liaison_phone="13812345678")
    signed_in(client, user_with_role(Role.LEADER, tree.a))

    page = client.get(reverse("org:detail", args=[tree.a1.pk])).content.decode()

    assert "138****5678" in page
    assert "13812345678" not in page


def test_contact_phones_are_shown_in_full_to_the_units_liaison(client, tree):
    Unit.objects.filter(pk=tree.a1.pk).update(liaison="李敏", liaison_phone="13812345678")
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    page = client.get(reverse("org:detail", args=[tree.a1.pk])).content.decode()

    assert 'href="tel:13812345678"' in page


def test_a_unit_outside_the_viewers_scope_is_not_found(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    assert client.get(reverse("org:detail", args=[tree.b1.pk])).status_code == 404


def test_the_unit_page_lists_sub_units_people_roles_and_history_for_the_office(client, tree):
    admin = user_with_role(Role.GROUP_ADMIN, tree.a)
    holder = user_with_role(Role.UNIT_ADMIN, tree.a1, username="liaison-a1")
    PersonFactory(unit=tree.a1)
    PersonFactory(unit=tree.a1s)
    signed_in(in_english(client), admin)
    client.post(reverse("org:edit", args=[tree.a1.pk]), unit_form(tree.a1, address="渭城市一路 1 号"))

    page = client.get(reverse("org:detail", args=[tree.a1.pk])).content.decode()

    assert f'data-row="{tree.a1s.pk}"' in page
    assert 'data-headcount="2"' in page
    assert holder.username in page
    assert reverse("org:role-assign", args=[tree.a1.pk]) in page
    assert "Change history" in page


def test_a_leader_sees_the_unit_but_no_buttons_to_change_it(client, tree):
    signed_in(client, user_with_role(Role.LEADER, tree.a))

    page = client.get(reverse("org:detail", args=[tree.a1.pk])).content.decode()

    assert reverse("org:edit", args=[tree.a1.pk]) not in page
    assert reverse("org:set-active", args=[tree.a1.pk]) not in page
    assert reverse("org:role-assign", args=[tree.a1.pk]) not in page
    assert "Change history" not in page


# --- create, edit, move -------------------------------------------------------------------------


def test_a_liaison_adds_a_sub_unit_and_it_is_logged(client, tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    signed_in(client, liaison)
    data = {"parent": tree.a1.pk, "code": "A1X", "name": "甲公司二号站", "kind": kind("heat-station").pk}

    response = client.post(reverse("org:create"), data)

    unit = Unit.objects.get(code="A1X")
    assert response.status_code == 302
    assert response["Location"] == reverse("org:detail", args=[unit.pk])
    assert unit.path.startswith(tree.a1.path)
    assert ObjectChange.objects.filter(object_id=unit.pk, action=ChangeAction.CREATE, user=liaison).exists()


def test_the_parent_choices_hold_only_units_where_the_user_may_add(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    page = client.get(reverse("org:create")).content.decode()
    parent_select = re.search(r'<select name="parent".*?</select>', page, re.S).group(0)

    assert f'value="{tree.a1.pk}"' in parent_select
    assert f'value="{tree.b1.pk}"' not in parent_select
    assert f'value="{tree.group.pk}"' not in parent_select


def test_the_group_kind_is_not_offered_for_a_new_unit(client, tree):
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.group))

    page = client.get(reverse("org:create")).content.decode()
    kind_select = re.search(r'<select name="kind".*?</select>', page, re.S).group(0)

    assert f'value="{kind("group").pk}"' not in kind_select
    assert f'value="{kind("heat-station").pk}"' in kind_select


def test_a_duplicate_code_is_shown_on_the_code_field(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))
    data = {"parent": tree.a1.pk, "code": "A2", "name": "重复", "kind": kind("department").pk}

    response = client.post(reverse("org:create"), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'field-text[^"]*has-error[^"]*".*?name="code"', page, re.S)
    assert Unit.objects.filter(code="A2").count() == 1


def test_a_parent_outside_the_scope_is_refused_on_the_field_and_nothing_is_added(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))
    data = {"parent": tree.b1.pk, "code": "B1X", "name": "越权", "kind": kind("department").pk}

    response = client.post(reverse("org:create"), data)

    assert response.status_code == 200
    assert "field-errors" in response.content.decode()
    assert not Unit.objects.filter(code="B1X").exists()


def test_a_liaison_renames_a_unit(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.post(reverse("org:edit", args=[tree.a1.pk]), unit_form(tree.a1, name="甲公司办公室"))

    assert response.status_code == 302
    assert reload(tree.a1).name == "甲公司办公室"


def test_an_empty_name_is_refused_on_its_field(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.post(reverse("org:edit", args=[tree.a1.pk]), unit_form(tree.a1, name=""))

    assert response.status_code == 200
    assert re.search(r'has-error[^"]*".*?name="name"', response.content.decode(), re.S)
    assert reload(tree.a1).name == tree.a1.name


def test_a_leader_may_not_edit_a_unit_in_scope(client, tree):
    signed_in(client, user_with_role(Role.LEADER, tree.a))

    assert client.get(reverse("org:edit", args=[tree.a1.pk])).status_code == 403
    assert client.post(reverse("org:edit", args=[tree.a1.pk]), unit_form(tree.a1, name="改")).status_code == 403
    assert reload(tree.a1).name == tree.a1.name


def test_a_unit_moves_with_its_subtree_to_a_new_parent(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.post(reverse("org:move", args=[tree.a1.pk]), {"new_parent": tree.a2.pk})

    assert response.status_code == 302
    assert reload(tree.a1).path.startswith(reload(tree.a2).path)
    assert reload(tree.a1s).path.startswith(reload(tree.a1).path)


def test_the_move_choices_leave_out_the_units_own_subtree_and_its_parent(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    page = client.get(reverse("org:move", args=[tree.a1.pk])).content.decode()
    select = re.search(r'<select name="new_parent".*?</select>', page, re.S).group(0)

    assert f'value="{tree.a2.pk}"' in select
    for unit in (tree.a1, tree.a1s, tree.a, tree.b):
        assert f'value="{unit.pk}"' not in select


def test_the_group_itself_cannot_be_moved(client, tree):
    signed_in(in_english(client), user_with_role(Role.GROUP_ADMIN, tree.group))

    response = client.post(reverse("org:move", args=[tree.group.pk]), {"new_parent": tree.a.pk})

    assert response.status_code == 200
    assert "The group itself cannot be moved." in response.content.decode()
    assert reload(tree.group).depth == 1


# --- deactivate ---------------------------------------------------------------------------------


def test_deactivating_asks_first_and_says_how_many_sub_units_follow(client, tree):
    signed_in(in_english(client), user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.get(reverse("org:set-active", args=[tree.a1.pk]))

    assert response.status_code == 200
    assert "1 active sub-unit will be deactivated too" in response.content.decode()
    assert reload(tree.a1).is_active


def test_deactivating_a_unit_deactivates_its_subtree(client, tree):
    signed_in(in_english(client), user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.post(reverse("org:set-active", args=[tree.a1.pk]), {"active": "0"}, follow=True)

    assert not reload(tree.a1).is_active
    assert not reload(tree.a1s).is_active
    assert "were deactivated" in response.content.decode()


def test_activating_under_a_deactivated_parent_explains_why_not(client, tree):
    Unit.objects.filter(pk__in=[tree.a1.pk, tree.a1s.pk]).update(is_active=False)
    signed_in(in_english(client), user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.post(reverse("org:set-active", args=[tree.a1s.pk]), {"active": "1"}, follow=True)

    assert "Activate the parent unit first." in response.content.decode()
    assert not reload(tree.a1s).is_active


# --- roles --------------------------------------------------------------------------------------


def test_the_office_grants_a_role_by_user_name(client, tree):
    UserFactory(username="zhang")
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.group))

    response = client.post(reverse("org:role-assign", args=[tree.a1.pk]), {"username": "zhang", "role": Role.LEADER})

    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user__username="zhang", unit=tree.a1, role=Role.LEADER).exists()


def test_an_unknown_user_name_is_refused_on_its_field(client, tree):
    signed_in(in_english(client), user_with_role(Role.GROUP_ADMIN, tree.group))

    response = client.post(reverse("org:role-assign", args=[tree.a1.pk]), {"username": "nobody", "role": Role.LEADER})

    assert response.status_code == 200
    assert "There is no active user named" in response.content.decode()


def test_granting_the_same_role_twice_says_so(client, tree):
    user_with_role(Role.LEADER, tree.a1, username="zhang")
    signed_in(in_english(client), user_with_role(Role.GROUP_ADMIN, tree.group))

    response = client.post(reverse("org:role-assign", args=[tree.a1.pk]), {"username": "zhang", "role": Role.LEADER})

    assert response.status_code == 200
    assert "already holds this role" in response.content.decode()
    assert RoleAssignment.objects.filter(user__username="zhang").count() == 1


def test_a_liaison_may_not_grant_roles(client, tree):
    UserFactory(username="zhang")
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.post(reverse("org:role-assign", args=[tree.a1.pk]), {"username": "zhang", "role": Role.LEADER})

    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user__username="zhang").exists()


def test_the_office_revokes_a_role_after_confirming(client, tree):
    holder = user_with_role(Role.LEADER, tree.a1, username="zhang")
    assignment = RoleAssignment.objects.get(user=holder)
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.group))

    confirm = client.get(reverse("org:role-revoke", args=[assignment.pk]))
    response = client.post(reverse("org:role-revoke", args=[assignment.pk]))

    assert "zhang" in confirm.content.decode()
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
