"""The demo's urgent matters: one resolved within its limits, one that escalated (越级).

Both are told through the services, replayed at the times they happened (yesterday evening and
early this morning), so the levels, clocks, reports, inbox messages and change log say the same
thing as for a real matter. The clock is set for the replay by patching ``timezone.now`` inside this
module's function only: seeding may do what the services never do, and says why.
"""

from __future__ import annotations

import datetime
import random
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.core.exceptions import ValidationError
from django.utils import timezone

from lianfang.command.choices import MatterKind
from lianfang.command.models import SeverityLevel, UrgentMatter
from lianfang.command.services import matters
from lianfang.command.services.escalation import escalation_scan
from lianfang.command.services.levels import ensure_default_levels
from lianfang.core.scoping import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import can


@contextmanager
def _at(moment: datetime.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def load_demo(*, rng: random.Random, today: datetime.date, users: dict[str, Any], group: Unit) -> None:
    ensure_default_levels()
    admin = users["admin"]
    liaison = users.get("liaison") or admin
    stations = list(Unit.objects.filter(code__startswith="E01-HS").order_by("code")[:2])
    if len(stations) < 2:
        return
    levels = {lv.code: lv for lv in SeverityLevel.objects.all()}
    local = timezone.get_current_timezone()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    evening = datetime.datetime.combine(yesterday, datetime.time(19, 40), tzinfo=local)

    # 1. Resolved within its limits: a shortage at a heat station, acknowledged and settled by the heat company.
    def minutes(n: int) -> datetime.datetime:
        return evening + datetime.timedelta(minutes=n)

    with _at(minutes(0)):
        first = matters.matter_report(
            actor=liaison,
            unit=stations[0],
            kind=MatterKind.SHORTAGE,
            severity=levels["significant"],
            title="一线测温枪电池耗尽，夜班无法测温",
            description=(
                "19:30 交班时发现 3 把测温枪电池耗尽，库存为零，夜班卡口无法测温。"
                "已临时改为人工登记并限制外来人员进入。"
            ),
            place="热力站大门卡口",
            occurred_at=minutes(-10),
        )
    holder = _actor_for(first, liaison, admin)
    with _at(minutes(8)):
        first = _acknowledge(first, holder)
    with _at(minutes(25)):
        matters.matter_add_report(actor=holder, matter=first, text="公司物资库已调出电池 20 节，车辆 20:10 出发送达。")
    with _at(minutes(50)):
        first = matters.matter_resolve(
            actor=holder, matter=first, text="20:28 电池送达，3 把测温枪恢复使用，卡口恢复测温。事项办结。"
        )

    # 2. Escalated: a suspected case at work; the heat company did not acknowledge within
    # 15 minutes, its leader on duty was told, and after the grace period it went to the group (越级).
    # Three hours ago, whatever the time of the load, so the matter is still open with its clocks running.
    night = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(hours=3)
    with _at(night):
        second = matters.matter_report(
            actor=liaison,
            unit=stations[1],
            kind=MatterKind.SUSPECTED_CASE,
            severity=levels["major"],
            title="夜班运行工发热 38.6℃，疑似病例",
            description="运行工一名自述发热、咽痛，测温 38.6℃。已在值班室单独隔离，同班 2 人原地待命。",
            place="热力站值班室",
            occurred_at=night - datetime.timedelta(minutes=10),
        )
    step = 16  # the scan runs every minute; these are the minutes something happens
    while not _holder_is_top(second) and step < 240:
        escalation_scan(now=night + datetime.timedelta(minutes=step))
        escalation_scan(now=night + datetime.timedelta(minutes=step + 15))
        step += 31
    with _at(night + datetime.timedelta(minutes=step + 4)):
        if _holder_is_top(second):
            second = _acknowledge(second, admin, followup_minutes=60)
            matters.matter_add_report(
                actor=admin,
                matter=second,
                text="集团值班室已电话联系当事人及热力公司带班领导；120 已联系，定点医院发热门诊接收。",
            )
    with _at(night + datetime.timedelta(minutes=step + 25)):
        if _holder_is_top(second):
            matters.external_report_record(
                actor=admin,
                matter=second,
                recipient="市疫情防控指挥部办公室",
                channel="电话 + 书面报告",
                note="已按重大事项时限报告。",
            )


def _acknowledge(matter, actor, **extra):
    try:
        return matters.matter_acknowledge(actor=actor, matter=matter, **extra)
    except ValidationError:  # the reporter's own duty room acknowledged it already
        return matter


def _actor_for(matter, liaison, admin):
    """The heat company's liaison acts at its own levels; at the group, the office."""
    live = matter.hops.filter(closed_at__isnull=True).order_by("-seq").select_related("unit").first()
    return liaison if live is not None and can(liaison, Action.CHANGE, UrgentMatter, live.unit) else admin


def _holder_is_top(matter) -> bool:
    live = matter.hops.filter(closed_at__isnull=True).order_by("-seq").first()
    return live is not None and live.is_top
