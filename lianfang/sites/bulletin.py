"""The bulletin's card on disinfection (registered in ``lianfang.core.extensions.bulletin_sections`` when
the app loads): the day's rounds due, done and overdue, completion by subsidiary, the sites with
overdue rounds, and the terminal disinfections not done.

The totals are the unit report's feeds (``sites.feeds``) over the group root, so the bulletin and the
group's own unit report never disagree.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from lianfang.core.extensions import BulletinSection
from lianfang.org.models import Unit
from lianfang.sites import feeds
from lianfang.sites.choices import HEALTH_REASONS, Decision, Direction
from lianfang.sites.models import Checkpoint, DisinfectionSlot, Entry
from lianfang.sites.selectors import as_of, day_bounds, denials_by_reason, finished_by, terminal_open_q

LIST_CAP = 20

TITLE = pgettext_lazy("bulletin card", "Disinfection")


def _percent(done: int, due: int) -> float | None:
    return round(100.0 * done / due, 1) if due else None


def build(root: Unit, day: datetime.date) -> dict[str, Any]:
    at = as_of(day)
    in_group = DisinfectionSlot.objects.filter(site__path__startswith=root.path)
    totals = feeds.day_counts(root, day)
    # Completion by the units one level below the root (the subsidiaries), one grouped query.
    prefix_len = (root.depth + 1) * Unit.steplen
    per_branch = (
        in_group.filter(day=day, site__depth__gt=root.depth)
        .annotate(branch=Substr("site__path", 1, prefix_len), finished=finished_by(at))
        .values("branch")
        .annotate(
            due=Count("pk"),
            done=Count("pk", filter=Q(finished=True)),
            overdue=Count("pk", filter=Q(finished=False, due_at__lt=at)),
        )
        .order_by("branch")
    )
    names = dict(Unit.objects.filter(path__in=[r["branch"] for r in per_branch]).values_list("path", "name"))
    by_unit = [
        {
            "unit": names.get(r["branch"], r["branch"]),
            "due": r["due"],
            "done": r["done"],
            "overdue": r["overdue"],
            "percent": _percent(r["done"], r["due"]),
        }
        for r in per_branch
    ]
    late_sites = (
        in_group.filter(day=day, due_at__lt=at)
        .annotate(finished=finished_by(at))
        .filter(finished=False)
        .values("site__name", "site__path")
        .annotate(n=Count("pk"))
        .order_by("-n", "site__path")
    )
    terminal = in_group.filter(terminal_open_q(at)).select_related("site", "case").order_by("due_at")
    return {
        "due": totals.due,
        "done": totals.done,
        "overdue": totals.overdue,
        "percent": _percent(totals.done, totals.due),
        "by_unit": by_unit,
        "overdue_sites": [{"site": r["site__name"], "overdue": r["n"]} for r in late_sites[:LIST_CAP]],
        "overdue_sites_total": late_sites.count(),
        "terminal_open": feeds.terminal_open(root, day),
        "terminal": [
            {
                "site": s.site.name,
                "case": s.case.number if s.case_id else "",
                "due": timezone.localtime(s.due_at).strftime("%m-%d %H:%M"),
                "overdue": s.due_at < at,
            }
            for s in terminal[:LIST_CAP]
        ],
    }


def rows(section: dict[str, Any]) -> list[list[Any]]:
    out: list[list[Any]] = [
        [_("Disinfection rounds due"), section.get("due")],
        [_("Disinfection rounds done"), section.get("done")],
        [_("Disinfection rounds overdue"), section.get("overdue")],
        [_("Terminal disinfections not done"), section.get("terminal_open")],
    ]
    for r in section.get("by_unit") or []:
        share = "—" if r["percent"] is None else f"{r['percent']}%"
        out.append(
            [
                _("Disinfection: %(unit)s") % {"unit": r["unit"]},
                _("%(done)d of %(due)d done (%(share)s), %(overdue)d overdue")
                % {"done": r["done"], "due": r["due"], "share": share, "overdue": r["overdue"]},
            ]
        )
    for t in section.get("terminal") or []:
        out.append([_("Terminal disinfection not done"), f"{t['site']} {t['case']} {t['due']}".strip()])
    return out


SECTION = BulletinSection(key="sites", title=TITLE, build=build, template="sites/_bulletin.html", rows=rows)


# --- checkpoints ------------------------------------------------------------------------------------

GATES_TITLE = pgettext_lazy("bulletin card", "Checkpoints")


def build_gates(root: Unit, day: datetime.date) -> dict[str, Any]:
    """People let in and turned away at the group's gates that day, the denials by reason, and by
    subsidiary. The totals are the unit report's feeds over the root."""
    start, end = day_bounds(day)
    entries = Entry.objects.filter(site__path__startswith=root.path, at__gte=start, at__lt=end)
    prefix_len = (root.depth + 1) * Unit.steplen
    per_branch = (
        entries.filter(site__depth__gt=root.depth)
        .annotate(branch=Substr("site__path", 1, prefix_len))
        .values("branch")
        .annotate(
            came_in=Count("pk", filter=Q(decision=Decision.ALLOW, direction=Direction.IN)),
            denied=Count("pk", filter=Q(decision=Decision.DENY)),
            health=Count("pk", filter=Q(decision=Decision.DENY, reason__in=list(HEALTH_REASONS))),
        )
        .order_by("branch")
    )
    names = dict(Unit.objects.filter(path__in=[r["branch"] for r in per_branch]).values_list("path", "name"))
    return {
        "came_in": feeds.gate_in(root, day),
        "denied": feeds.gate_denied(root, day),
        "denied_health": feeds.gate_denied_health(root, day),
        "checkpoints": Checkpoint.objects.filter(site__path__startswith=root.path, is_active=True).count(),
        "reasons": [
            {"reason": code, "label": str(label), "n": n}
            for code, label, n in denials_by_reason(Entry.objects.filter(site__path__startswith=root.path), day)
        ],
        "by_unit": [
            {
                "unit": names.get(r["branch"], r["branch"]),
                "came_in": r["came_in"],
                "denied": r["denied"],
                "health": r["health"],
            }
            for r in per_branch
        ],
    }


def gates_rows(section: dict[str, Any]) -> list[list[Any]]:
    out: list[list[Any]] = [
        [_("People let in at checkpoints"), section.get("came_in")],
        [_("People turned away at checkpoints"), section.get("denied")],
        [_("Turned away for their health status or a fever"), section.get("denied_health")],
    ]
    for r in section.get("reasons") or []:
        out.append([_("Turned away: %(reason)s") % {"reason": r["label"]}, r["n"]])
    for r in section.get("by_unit") or []:
        out.append(
            [
                _("Checkpoints: %(unit)s") % {"unit": r["unit"]},
                _("%(came_in)d let in, %(denied)d turned away") % {"came_in": r["came_in"], "denied": r["denied"]},
            ]
        )
    return out


GATES_SECTION = BulletinSection(
    key="gates", title=GATES_TITLE, build=build_gates, template="sites/_bulletin_gates.html", rows=gates_rows
)
