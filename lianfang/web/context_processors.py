import functools

from lianfang.notify.selectors import unread_count
from lianfang.org.scoping import has_any
from lianfang.web.navigation import MANAGE_PAGES


def navigation(request):
    """Which menu entries the user may see; the pages themselves check again."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    own_person = getattr(user, "person", None) if hasattr(user, "person") else None
    materials = _materials(user)
    return {
        "nav": {
            "units": has_any(user, "org.unit", "view"),
            "people": has_any(user, "people.person", "view"),
            "import": has_any(user, "people.person", "import"),
            "audit": has_any(user, "core.objectchange", "view"),
            "own_person": own_person,
            "checkin": own_person is not None,
            "proxy": has_any(user, "health.checkin", "add"),
            "completion": has_any(user, "health.unitdaystat", "view"),
            "report": has_any(user, "reporting.unitdailyreport", "add"),
            "overview": has_any(user, "reporting.unitdailyreport", "view"),
            "bulletin": has_any(user, "reporting.bulletin", "view"),
            "status": has_any(user, "status.personstatus", "view"),
            # Cases, isolation follow-ups and care: where the menu entry leads, or None (a callable, so
            # the checks for "responsible for an isolation" and "carer" run only when the menu is drawn).
            "cases_home": functools.cache(lambda: _cases_home(user)),
            "materials": materials,
            "materials_home": next((name for flag, name in MATERIALS_HOME if materials[flag]), None),
            "manage": any(has_any(user, label, action) for label, action, *_page in MANAGE_PAGES)
            or has_any(user, "org.groupsettings", "change"),
            # The inbox badge: a callable, so the template runs the one count on the (recipient, read_at)
            # index only when it draws the menu, and at most once per render.
            "unread": functools.cache(lambda: unread_count(viewer=user)),
        }
    }


# The materials pages in menu order: (flag, permission label, action, URL name of the page).
_MATERIALS = (
    ("stock", "materials.stock", "view", "materials:stock"),
    ("movements", "materials.movement", "view", "materials:movements"),
    ("stocktakes", "materials.stocktake", "view", "materials:stocktakes"),
    ("requests", "materials.materialrequest", "view", "materials:request-list"),
    ("offers", "materials.offer", "view", "materials:offer-list"),
    ("transfers", "materials.transfer", "view", "materials:transfer-list"),
    ("rebalance", "materials.rebalanceproposal", "view", "materials:rebalance-list"),
    ("donations", "donations.donation", "view", "materials:donation-list"),
    ("collections", "donations.collection", "view", "materials:collection-list"),
    ("funds", "donations.fund", "view", "materials:fund-list"),
    ("spending", "donations.spending", "view", "materials:spending-list"),
    ("items", "materials.item", "add", "materials:items"),
)
# Where the "Materials" menu entry leads: the first page of the list above the user may open.
MATERIALS_HOME = tuple((flag, name) for flag, _label, _action, name in _MATERIALS)


def _materials(user) -> dict[str, bool]:
    return {flag: has_any(user, label, action) for flag, label, action, _name in _MATERIALS}


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
