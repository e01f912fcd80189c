"""The tags every group starts with."""

DEFAULT_TAGS = [
    ("party-member", "党员", "Party member"),
    ("front-line", "一线", "Front line"),
    ("overseas", "境外", "Overseas"),
    ("volunteer", "志愿者", "Volunteer"),
]


def ensure_default_tags(tag_model=None) -> None:
    """Create the default tags that are missing (used by the migration and by test set-up)."""
    if tag_model is None:
        from lianfang.people.models import Tag as tag_model
    for code, name, name_en in DEFAULT_TAGS:
        tag_model.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})
