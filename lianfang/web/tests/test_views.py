import json
import re
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from lianfang.core.models import AuditEvent, AuditKind, ChangeAction, ObjectChange
from lianfang.org.choices import Role
from lianfang.org.services import unit_update
from lianfang.people.choices import Category, EmploymentStatus
from lianfang.testing import PersonFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "pw-Lianfang-2026"


def signed_in(client, user):
    client.force_login(user)
    return client


def in_english(client):
    """Pages are Chinese by default; a test that reads an English message asks for English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def change(unit, *, action=ChangeAction.UPDATE, user_name="someone", before=None, after=None):
    return ObjectChange.objects.create(
        user_name=user_name,
        request_id="11111111-1111-1111-1111-111111111111",
        action=action,
        content_type=ContentType.objects.get_for_model(unit),
        object_id=unit.pk,
        object_repr=unit.name,
        unit=unit,
        prechange_data=before,
        postchange_data=after,
    )


# --- health, sign-in, sign-out -----------------------------------------------------------------


def test_the_health_check_answers_ok_without_a_login(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.content == b"ok"


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_signing_in_opens_the_home_page_and_is_recorded(client, tree):
    UserFactory(username="clerk")

    response = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN, user_name="clerk").exists()


def test_a_wrong_password_shows_an_error_and_is_recorded_as_a_failed_login(client, tree):
    UserFactory(username="clerk")

    response = client.post(reverse("login"), {"username": "clerk", "password": "wrong"})

    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN_FAILED, user_name="clerk").exists()


def test_the_sign_in_button_is_the_first_submit_button_on_the_login_page(client):
    # Browser tests (and people pressing Enter) submit the first submit button of the page.
    page = client.get(reverse("login")).content.decode()

    first = re.search(r"<button[^>]*>", page).group(0)
    assert 'type="submit"' in first
    assert 'name="language"' not in first


def test_logging_out_takes_a_post_and_is_recorded(client, tree):
    user = UserFactory(username="clerk")
    signed_in(client, user)

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert AuditEvent.objects.filter(kind=AuditKind.LOGOUT, user_name="clerk").exists()
    assert client.get(reverse("home")).status_code == 302


# --- language -----------------------------------------------------------------------------------


def test_pages_are_chinese_by_default(client, tree):
    signed_in(client, user_with_role(Role.LEADER, tree.a))

    page = client.get(reverse("org:detail", args=[tree.a1s.pk])).content.decode()

    assert '<html lang="zh-hans"' in page
    assert "热力站" in page


def test_the_language_switch_turns_pages_english(client, tree):
    signed_in(client, user_with_role(Role.LEADER, tree.a))
    url = reverse("org:detail", args=[tree.a1s.pk])

    response = client.post(reverse("set_language"), {"language": "en", "next": url}, follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == url
    assert '<html lang="en"' in page
    assert "Heat station" in page
    assert "Sub-units" in page
    assert '<html lang="en"' in client.get(reverse("home")).content.decode()  # and it stays English


def test_every_page_offers_the_language_switch(client, tree):
    signed_in(client, user_with_role(Role.LEADER, tree.a))

    for url in (reverse("home"), reverse("org:tree"), reverse("people:list")):
        page = client.get(url).content.decode()
        assert 'action="/i18n/setlang/"' in page
        assert 'value="en"' in page and 'value="zh-hans"' in page


# --- home ---------------------------------------------------------------------------------------


def test_the_home_page_counts_units_and_people_by_category_in_the_viewers_units(client, tree):
    PersonFactory(unit=tree.a1, category=Category.EMPLOYEE)
    PersonFactory(unit=tree.a1s, category=Category.EMPLOYEE)
    PersonFactory(unit=tree.a2, category=Category.FAMILY)
    PersonFactory(unit=tree.a2, category=Category.FAMILY, employment_status=EmploymentStatus.LEFT)
    PersonFactory(unit=tree.b1, category=Category.EMPLOYEE)
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    page = client.get(reverse("home")).content.decode()

    assert 'data-stat="units">4<' in page
    assert 'data-stat="people">3<' in page
    assert 'data-category="employee">2<' in page
    assert 'data-category="family">1<' in page


def test_an_employee_sees_their_own_record_and_no_counts(client, tree):
    user = user_with_role(Role.EMPLOYEE, tree.a1)
    PersonFactory(unit=tree.a1, user=user, name="赵小明")
    PersonFactory(unit=tree.a1, name="钱同事")
    signed_in(client, user)

    page = client.get(reverse("home")).content.decode()

    assert "赵小明" in page
    assert "钱同事" not in page
    assert "data-stat" not in page


def test_a_user_without_any_role_is_told_whom_to_ask(client, tree):
    signed_in(in_english(client), UserFactory())

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "Ask the group prevention office" in response.content.decode()


# --- the audit log ------------------------------------------------------------------------------


def test_the_audit_log_is_forbidden_without_the_audit_right(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.group))

    assert client.get(reverse("audit-changes")).status_code == 403
    assert client.get(reverse("audit-events")).status_code == 403


def test_the_change_log_lists_only_changes_in_the_viewers_units(client, tree):
    mine = change(tree.a1)
    change(tree.b1)
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.a))

    response = client.get(reverse("audit-changes"))

    assert response.status_code == 200
    rows = {int(pk) for pk in re.findall(r'data-row="(\d+)"', response.content.decode())}
    assert rows == {mine.pk}


def test_the_change_log_filters_by_user_action_unit_and_request(client, tree):
    by_li = change(tree.a1, user_name="li", action=ChangeAction.CREATE)
    by_wang = change(tree.a2, user_name="wang")
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.a))

    def rows(**query):
        page = client.get(reverse("audit-changes"), query).content.decode()
        return {int(pk) for pk in re.findall(r'data-row="(\d+)"', page)}

    assert rows(user="li") == {by_li.pk}
    assert rows(action="update") == {by_wang.pk}
    assert rows(unit=tree.a2.pk) == {by_wang.pk}
    assert rows(request_id="11111111-1111-1111-1111-111111111111") == {by_li.pk, by_wang.pk}
    assert rows(date_from="2000-01-01", date_to="2000-01-02") == set()


def test_a_filter_that_cannot_be_read_shows_its_error_and_no_rows(client, tree):
    change(tree.a1)
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.a))

    page = client.get(reverse("audit-changes"), {"request_id": "not-a-uuid"}).content.decode()

    assert "field-errors" in page
    assert "data-row=" not in page


def test_the_change_log_offers_only_units_in_the_viewers_scope(client, tree):
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.a))

    page = client.get(reverse("audit-changes")).content.decode()

    assert f'value="{tree.a1.pk}"' in page
    assert tree.b1.name not in page


def test_a_filter_change_from_htmx_refreshes_only_the_table(client, tree):
    change(tree.a1)
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.a))

    response = client.get(reverse("audit-changes"), {"user": "someone"}, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert "<html" not in page
    assert 'data-total="1"' in page


def test_a_change_shows_what_it_changed_before_and_after(client, tree):
    admin = user_with_role(Role.GROUP_ADMIN, tree.group)
    tree.a1.person_in_charge_phone = "13800001111"
    tree.a1.save()
    unit_update(actor=admin, unit=tree.a1, name="甲公司办公室", person_in_charge_phone="13900002222")
    record = ObjectChange.objects.get(object_id=tree.a1.pk, action=ChangeAction.UPDATE)
    signed_in(in_english(client), admin)

    page = client.get(reverse("audit-change-detail", args=[record.pk])).content.decode()

    assert "甲公司综合部" in page and "甲公司办公室" in page
    assert "139****2222" in page
    assert "13900002222" not in page
    assert page.index("甲公司办公室") < page.index("Kind")  # changed fields come first


def test_a_change_outside_the_viewers_units_is_not_found(client, tree):
    record = change(tree.b1)
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.a))

    assert client.get(reverse("audit-change-detail", args=[record.pk])).status_code == 404


def test_audit_events_are_filtered_by_kind(client, tree):
    AuditEvent.objects.create(kind=AuditKind.EXPORT, request_id="11111111-1111-1111-1111-111111111111", unit=tree.a1)
    unmask = AuditEvent.objects.create(
        kind=AuditKind.UNMASK, request_id="11111111-1111-1111-1111-111111111111", unit=tree.a1
    )
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.a))

    page = client.get(reverse("audit-events"), {"kind": "unmask"}).content.decode()

    assert {int(pk) for pk in re.findall(r'data-row="(\d+)"', page)} == {unmask.pk}


def test_a_long_log_is_paged_fifty_rows_at_a_time(client, tree):
    for _ in range(55):
        change(tree.a1)
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.a))

    first = client.get(reverse("audit-changes")).content.decode()
    second = client.get(reverse("audit-changes"), {"page": 2}).content.decode()

    assert first.count("data-row=") == 50
    assert second.count("data-row=") == 5
    assert 'data-total="55"' in first


# --- error pages and assets ---------------------------------------------------------------------


def test_a_missing_page_uses_the_house_404_page(client, tree):
    signed_in(client, user_with_role(Role.LEADER, tree.a))

    response = client.get(reverse("org:detail", args=[999999]))

    assert response.status_code == 404
    assert 'class="error-page' in response.content.decode()


def test_no_template_or_static_file_loads_anything_from_the_internet():
    asset_reference = re.compile(
        r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//"""  # HTML attributes
        r"""|url\(\s*["']?\s*(?:https?:)?//"""  # CSS url()
        r"""|@import\s+["']?(?:url\()?\s*["']?(?:https?:)?//"""  # CSS @import
        r"""|\bimport\s*\(?\s*["'](?:https?:)?//""",  # JS modules
        re.IGNORECASE,
    )
    lianfang = ROOT / "lianfang"
    files = [
        *lianfang.glob("**/templates/**/*.html"),
        *lianfang.glob("static/**/*.css"),
        *lianfang.glob("static/**/*.js"),
        *lianfang.glob("static/**/*.html"),
    ]
    assert files
    offenders = [str(f.relative_to(ROOT)) for f in files if asset_reference.search(f.read_text(encoding="utf-8"))]
    assert offenders == []
    # Our own scripts may not even mention a URL. Vendored libraries carry XML namespace names
    # (http://www.w3.org/2000/svg) and licence links, which load nothing; the check above covers them.
    vendor = lianfang / "static" / "vendor"
    scripts = [
        f
        for f in lianfang.glob("static/**/*.js")
        if vendor not in f.parents and re.search(r"https?://", f.read_text(encoding="utf-8"))
    ]
    assert scripts == []


def test_the_vendored_htmx_is_the_version_package_json_pins():
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["htmx.org"]
    vendored = (ROOT / "lianfang" / "static" / "vendor" / "htmx.min.js").read_text(encoding="utf-8")

    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), "pin an exact version"
    assert f'version:"{pinned}"' in vendored
    assert pinned in (ROOT / "lianfang" / "static" / "vendor" / "README.md").read_text(encoding="utf-8")
    assert (ROOT / "lianfang" / "static" / "vendor" / "htmx.LICENSE").exists()


def test_a_change_names_units_and_choices_but_only_units_the_reader_may_see(client, tree):
    from lianfang.people.services import person_update

    root = UserFactory(username="root-office", is_superuser=True)
    person = PersonFactory(unit=tree.a1, category=Category.EMPLOYEE)
    person_update(actor=root, person=person, unit=tree.b1, category=Category.FAMILY)
    record = ObjectChange.objects.get(object_id=person.pk, action=ChangeAction.UPDATE)
    signed_in(in_english(client), user_with_role(Role.GROUP_ADMIN, tree.b))

    page = client.get(reverse("audit-change-detail", args=[record.pk])).content.decode()
    changed = re.search(r'<table class="table diff">.*?</table>', page, re.S).group(0)

    assert "Family member" in changed
    assert tree.b1.name in changed
    assert tree.a1.name not in page
    assert f">{tree.a1.pk}<" in changed
