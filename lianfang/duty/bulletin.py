"""The bulletin's card on duty (registered in ``lianfang.core.extensions.bulletin_sections`` when the
app loads): how many units kept duty, the day's duty-log entries, the shifts that ended without an
accepted handover, and the hours no leader on duty or no duty officer was rostered.

The log and handover counts are the unit report's feeds (``duty.feeds``) over the group root, so the
bulletin and the group's own unit report never disagree.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from lianfang.core.extensions import BulletinSection
from lianfang.duty import feeds
from lianfang.duty.choices import GapRole, HandoverStatus
from lianfang.duty.models import DutyPost, Shift
from lianfang.duty.selectors import coverage_gaps, day_bounds
from lianfang.org.models import Unit

LIST_CAP = 20

TITLE = pgettext_lazy("bulletin card", "Duty")


def _hhmm(at: datetime.datetime) -> str:
    return timezone.localtime(at).strftime("%H:%M")


def build(root: Unit, day: datetime.date) -> dict[str, Any]:
    start, end = day_bounds(day)
    posts = {
        p.pk: p
        for p in DutyPost.objects.filter(unit__path__startswith=root.path, is_active=True).select_related("unit")
    }
    gaps = coverage_gaps(posts, start, end)
    hours = {str(role): 0.0 for role in GapRole.values}
    gap_units: dict[int, dict[str, Any]] = {}
    for gap in gaps:
        hours[gap.missing] += gap.hours
        row = gap_units.setdefault(gap.post_id, {"unit": posts[gap.post_id].unit.name, "leader": 0.0, "officer": 0.0})
        row[gap.missing] += gap.hours
    not_handed = (
        Shift.objects.filter(
            post__unit__path__startswith=root.path, ends_at__gt=start, ends_at__lte=min(end, timezone.now())
        )
        .filter(Q(handover__isnull=True) | Q(handover__status=HandoverStatus.PENDING))
        .select_related("post__unit", "handover")
        .order_by("post__unit__path", "starts_at")
    )
    shifts = [
        {
            "unit": s.post.unit.name,
            "from": _hhmm(s.starts_at),
            "until": _hhmm(s.ends_at),
            "waiting": getattr(s, "handover", None) is not None,
        }
        for s in not_handed[:LIST_CAP]
    ]
    return {
        "posts": len(posts),
        "log_entries": feeds.log_entries(root, day),
        "handovers_unaccepted": feeds.handovers_unaccepted(root, day),
        "shifts": shifts,
        "uncovered_leader_hours": round(hours[GapRole.LEADER], 1),
        "uncovered_officer_hours": round(hours[GapRole.OFFICER], 1),
        "gap_units": [
            {**row, "leader": round(row["leader"], 1), "officer": round(row["officer"], 1)}
            for _pk, row in sorted(gap_units.items(), key=lambda kv: kv[1]["unit"])
        ][:LIST_CAP],
        "gap_units_total": len(gap_units),
    }


def rows(section: dict[str, Any]) -> list[list[Any]]:
    out: list[list[Any]] = [
        [_("Units keeping duty"), section.get("posts")],
        [_("Duty log entries"), section.get("log_entries")],
        [_("Shifts not handed over or not accepted"), section.get("handovers_unaccepted")],
        [_("Hours with no leader on duty"), section.get("uncovered_leader_hours")],
        [_("Hours with no duty officer"), section.get("uncovered_officer_hours")],
    ]
    for s in section.get("shifts") or []:
        state = _("waiting to be accepted") if s["waiting"] else _("not handed over")
        out.append([_("Shift not handed over"), f"{s['unit']} {s['from']}–{s['until']}：{state}"])
    return out


SECTION = BulletinSection(key="duty", title=TITLE, build=build, template="duty/_bulletin.html", rows=rows)
