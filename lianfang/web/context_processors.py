import functools

from lianfang.notify.selectors import unread_count
from lianfang.org.scoping import has_any
from lianfang.web.navigation import MATERIALS_PAGES, current_keys, materials_flags, menu_for


def navigation(request):
    """Which menu entries the user may see; the pages themselves check again."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    own_person = getattr(user, "person", None) if hasattr(user, "person") else None
    materials = materials_flags(user)
    cases_home = functools.cache(lambda: _cases_home(user))

    @functools.cache
    def menu():
        # Built only when a page draws the menu (not for HTMX partials), at most once per render.
        entries = menu_for(user, cases_home=cases_home(), own_person=own_person)
        return {"entries": entries, "current": current_keys(entries, request)}

    return {
        "nav": {
            "menu": menu,
            "units": has_any(user, "org.unit", "view"),
            "people": has_any(user, "people.person", "view"),
            "import": has_any(user, "people.person", "import"),
            "audit": has_any(user, "core.objectchange", "view"),
            "own_person": own_person,
            "checkin": own_person is not None,
            "proxy": has_any(user, "health.checkin", "add"),
            "completion": has_any(user, "health.unitdaystat", "view"),
            # Who has not checked in and who was flagged name people: the counts' pages link to them
            # only for who may read check-ins (an inspector sees the counts, not the names).
            "checkin_lists": has_any(user, "health.checkin", "view"),
            "report": has_any(user, "reporting.unitdailyreport", "add"),
            "overview": has_any(user, "reporting.unitdailyreport", "view"),
            "bulletin": has_any(user, "reporting.bulletin", "view"),
            "status": has_any(user, "status.personstatus", "view"),
            # Cases, isolation follow-ups and care: where the menu entry leads, or None (a callable, so
            # the checks for "responsible for an isolation" and "carer" run only when the menu is drawn).
            "cases_home": cases_home,
            "materials": materials,
            "materials_home": next(
                (name for flag, _label, _action, name, _title in MATERIALS_PAGES if materials[flag]), None
            ),
            # The inbox badge: a callable, so the template runs the one count on the (recipient, read_at)
            # index only when it draws the menu, and at most once per render.
            "unread": functools.cache(lambda: unread_count(viewer=user)),
        }
    }


def _cases_home(user) -> str | None:
    from lianfang.cases.views.cases import nav_flags

    flags = nav_flags(user)
    for flag, name in (
        ("cases", "cases:list"),
        ("isolations", "cases:followups"),
        ("care", "cases:care"),
        ("alerts", "cases:alerts"),
    ):
        if flags[flag]:
            return name
    return None
