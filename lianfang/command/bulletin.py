"""The bulletin's card on urgent matters (registered in ``lianfang.core.extensions.bulletin_sections``
when the app loads): the day's matters by severity level, those still open at the end of the day,
overdue clocks and level skips (越级), and the list the leaders read.

The counts are the unit report's feeds (``command.feeds``) over the group root, so the bulletin and
the group's own unit report never disagree. Names are stored in both languages: the snapshot is read
later by Chinese and English readers alike.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from lianfang.command import feeds
from lianfang.command.choices import HopVia, MatterKind, MatterState
from lianfang.command.models import Hop, SeverityLevel, UrgentMatter
from lianfang.command.selectors import overdue_q
from lianfang.core.extensions import BulletinSection
from lianfang.org.models import Unit

LIST_CAP = 30  # the bulletin lists at most this many matters; the count says how many there were

TITLE = gettext_lazy("Urgent matters")


def _open_at(end: datetime.datetime) -> Q:
    """Matters reported before ``end`` and neither resolved nor closed by then."""
    return Q(reported_at__lt=end) & ~Q(resolved_at__lt=end) & ~Q(closed_at__lt=end)


def build(root: Unit, day: datetime.date) -> dict[str, Any]:
    start, end = feeds._day_bounds(day)
    at = min(timezone.now(), end)
    in_group = UrgentMatter.objects.filter(unit__path__startswith=root.path)
    reported = in_group.filter(reported_at__gte=start, reported_at__lt=end)
    per_level = dict(reported.values_list("severity_id").annotate(n=Count("pk")).values_list("severity_id", "n"))
    levels = [
        {"code": level.code, "name": level.name, "name_en": level.name_en, "reported": per_level.get(level.pk, 0)}
        for level in SeverityLevel.objects.order_by("rank", "pk")
        if level.is_active or per_level.get(level.pk)
    ]
    overdue_ids = set(in_group.filter(overdue_q(at)).values_list("pk", flat=True))
    skipped = Exists(Hop.objects.filter(matter=OuterRef("pk"), via=HopVia.ESCALATED, received_at__lt=end))
    shown = (
        in_group.filter(Q(reported_at__gte=start, reported_at__lt=end) | Q(pk__in=overdue_ids))
        .annotate(skipped=skipped)
        .select_related("unit", "severity")
        .order_by("severity__rank", "reported_at", "pk")
    )
    total_shown = shown.count()
    matters = [
        {
            "number": m.number,
            "unit": m.unit.name,
            "level": m.severity.name,
            "level_en": m.severity.name_en,
            "kind": m.kind,
            "title": m.title,
            "state": m.state,
            "reported_at": timezone.localtime(m.reported_at).isoformat(timespec="minutes"),
            "today": start <= m.reported_at < end,
            "overdue": m.pk in overdue_ids,
            "skipped": m.skipped,
        }
        for m in shown[:LIST_CAP]
    ]
    return {
        "reported": feeds.reported(root, day),
        "reported_major": feeds.reported_major(root, day),
        "open_at_end": in_group.filter(_open_at(end)).count(),
        "overdue": len(overdue_ids),
        "skipped": reported.filter(skipped).count(),
        "levels": levels,
        "matters": matters,
        "matters_total": total_shown,
    }


def present(section: dict[str, Any]) -> dict[str, Any]:
    """The stored figures with names in the reader's language (for the template)."""
    english = (get_language() or "").startswith("en")
    kinds, states = dict(MatterKind.choices), dict(MatterState.choices)
    return {
        **section,
        "levels": [
            {**lv, "label": (lv["name_en"] if english and lv["name_en"] else lv["name"])}
            for lv in section.get("levels") or []
        ],
        "matters": [
            {
                **m,
                "level_label": m["level_en"] if english and m["level_en"] else m["level"],
                "kind_label": kinds.get(m["kind"], m["kind"]),
                "state_label": states.get(m["state"], m["state"]),
            }
            for m in section.get("matters") or []
        ],
    }


def rows(section: dict[str, Any]) -> list[list[Any]]:
    shown = present(section)
    out: list[list[Any]] = [
        [_("Urgent matters reported"), section.get("reported")],
        *[[_("Urgent matters reported: %(level)s") % {"level": lv["label"]}, lv["reported"]] for lv in shown["levels"]],
        [_("Urgent matters open at the end of the day"), section.get("open_at_end")],
        [_("Urgent matters with an overdue clock"), section.get("overdue")],
        [_("Urgent matters that skipped a level"), section.get("skipped")],
    ]
    for m in shown["matters"]:
        out.append([m["number"], f"{m['unit']}：{m['level_label']} · {m['title']} · {m['state_label']}"])
    return out


SECTION = BulletinSection(
    key="command", title=TITLE, build=build, template="command/_bulletin.html", rows=rows, present=present
)
