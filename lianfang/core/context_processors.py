from lianfang.org.scoping import has_any


def navigation(request):
    """Which menu entries the user may see; the pages themselves check again."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "units": has_any(user, "org.unit", "view"),
            "people": has_any(user, "people.person", "view"),
            "import": has_any(user, "people.person", "import"),
            "audit": has_any(user, "core.objectchange", "view"),
            "own_person": getattr(user, "person", None) if hasattr(user, "person") else None,
        }
    }
