import functools

from lianfang.core.navigation import MANAGE_PAGES
from lianfang.notify.selectors import unread_count
from lianfang.org.scoping import has_any


def navigation(request):
    """Which menu entries the user may see; the pages themselves check again."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    own_person = getattr(user, "person", None) if hasattr(user, "person") else None
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
            "manage": any(has_any(user, label, action) for label, action, *_page in MANAGE_PAGES)
            or has_any(user, "org.groupsettings", "change"),
            # The inbox badge: a callable, so the template runs the one count on the (recipient, read_at)
            # index only when it draws the menu, and at most once per render.
            "unread": functools.cache(lambda: unread_count(viewer=user)),
        }
    }
