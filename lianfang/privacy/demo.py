"""The demo's privacy notice, published by the office, and the demo people's consents.

Consents are seeded directly (thousands of rows in one insert, not one service call each), as the
demo does for its other history; the chain is built here exactly as the service builds it, so
``lianfang verify_consents`` finds it intact. Staff without an account consented on paper before
their liaison, the rest on their phones. The demo's check-ins were written before this runs, so
the seeded consents are dated two weeks back.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from lianfang.people.models import Person
from lianfang.privacy import services
from lianfang.privacy.choices import CHECKIN_CATEGORIES, HEALTH, RETENTION, WHEREABOUTS, Basis, Channel, ConsentAction
from lianfang.privacy.models import ConsentChainHead, ConsentRecord

NOTICE_TITLE = "联防平台个人信息处理告知书"
NOTICE_TITLE_EN = "Lianfang privacy notice"
# The notice states the retention the purge applies: the defaults of choices.RETENTION.
HEALTH_DAYS = RETENTION[HEALTH][0]
WHEREABOUTS_DAYS = RETENTION[WHEREABOUTS][0]
NOTICE_BODY = f"""为做好疫情防控，集团及各成员单位通过联防平台处理您的以下个人信息：
一、收集的信息：每日体温、症状及防控问答（健康信息），当日所在地及行程（行踪信息）。二者均为敏感个人信息，分别征求您的单独同意。
二、必要性：用于判断能否到岗、及时发现发热和风险接触，并按属地要求报送汇总数据。
三、保存期限：健康打卡信息自收集之日起保存不超过 {HEALTH_DAYS} 日，行踪及行程信息不超过 {WHEREABOUTS_DAYS} 日，\
期满删除；汇总统计数据不含个人身份，予以保留。
四、谁能看到：本人；所在单位联络员、集团防控办；病例管理员仅在发生病例时查看相关记录。
五、您的权利：可随时在“我的同意”中撤回同意，撤回后不再收集您的健康信息，但不影响撤回前已进行的处理；可在“我的个人信息”中查阅和下载平台保存的全部个人信息。"""
NOTICE_BODY_EN = f"""To prevent and control the epidemic, the group and its member units process the following
personal information about you on Lianfang:
1. What is collected: daily temperature, symptoms and prevention questions (health data), today's location and
trips (whereabouts). Both are sensitive personal information; your separate consent is asked for each.
2. Why it is necessary: to decide whether you may come to work, to find fevers and risky contacts early, and to
report the totals the local authorities require.
3. How long it is kept: check-ins at most {HEALTH_DAYS} days from collection, whereabouts and trips at most
{WHEREABOUTS_DAYS} days, then deleted; totals hold no identities and are kept.
4. Who sees it: you; your unit's liaison and the group's prevention office; case managers only when a case occurs.
5. Your rights: withdraw consent at any time under "My consents" (nothing more is collected from then on; what
was processed before stays lawful); read and download everything Lianfang holds about you under "My data"."""


def load_demo(*, rng, today: datetime.date, users: dict, group) -> None:
    admin = users["admin"]
    notice = services.notice_create(
        actor=admin, title=NOTICE_TITLE, title_en=NOTICE_TITLE_EN, body=NOTICE_BODY, body_en=NOTICE_BODY_EN
    )
    notice = services.notice_publish(actor=admin, notice=notice)
    liaison = users.get("liaison", admin)
    given = timezone.now() - datetime.timedelta(days=14)
    head, _created = ConsentChainHead.objects.get_or_create(pk=1)
    previous = head.last_hash
    records = []
    for n, (person_id, user_id) in enumerate(Person.objects.order_by("pk").values_list("pk", "user_id")):
        paper = user_id is None
        for category in CHECKIN_CATEGORIES:
            record = ConsentRecord(
                person_id=person_id,
                category=category,
                notice=notice,
                notice_version=notice.version,
                action=ConsentAction.CONSENT,
                basis=Basis.CONSENT,
                channel=Channel.PAPER if paper else Channel.SELF,
                given_at=given + datetime.timedelta(seconds=n),
                recorded_by_id=liaison.pk if paper else user_id,
                attested_by_id=liaison.pk if paper else None,
                attested_on=(given + datetime.timedelta(seconds=n)).date() if paper else None,
                prev_hash=previous,
            )
            record.hash = record.compute_hash()
            previous = record.hash
            records.append(record)
    ConsentRecord.objects.bulk_create(records, batch_size=2000)
    ConsentChainHead.objects.filter(pk=1).update(last_hash=previous, count=head.count + len(records))
