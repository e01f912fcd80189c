"""The demo group: an invented enterprise group to try Lianfang with (``lianfang demo``, ``load_demo``).

Modelled on seeds 000 and 002: a group with twelve enterprises in one city, their departments and
sites (office areas, 13 heat stations, 12 residential communities, markets, a fleet of about 100
vehicles, buildings), about 2,000 people and one login per persona. Every name is invented.

The data comes from a seeded :class:`random.Random`, so two loads give the same people; only dates
(returns, expected returns) are relative to the day of the load, so the demo always looks current.

Units and roles are written through the services, as the group office would write them (only the
group itself and the first role are bootstrapped directly). People are written with ``bulk_create``:
2,000 ``person_create`` calls take tens of seconds and the demo must load in one or two. The
generator makes only valid rows, and the change log gets one row per person, as an import writes.
"""

from __future__ import annotations

import datetime
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lianfang.core import context
from lianfang.core.audit import record_change, record_changes
from lianfang.core.fields import blind_index
from lianfang.core.models import ChangeAction
from lianfang.demo import daily as demo_daily
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit, UnitKind
from lianfang.org.services import role_assign, unit_create
from lianfang.people.choices import Category, EmploymentStatus, Gender, Whereabouts
from lianfang.people.models import Person, Tag
from lianfang.people.validators import id_check_digit

SEED = 2026
DEMO_PASSWORD = "lianfang-demo-2026"  # noqa: S105  (printed for everyone: it only opens the demo)
CITY = "渭城市"
GROUP_CODE = "G"
GROUP_NAME = "渭城产业投资集团有限公司"
GROUP_SHORT_NAME = "渭城产投集团"


# --- The tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteSpec:
    code: str  # suffix after the enterprise code: "HS01" → "E01-HS01"
    name: str
    kind: str
    staff: int  # relative share of the enterprise's people who work there


@dataclass(frozen=True)
class EnterpriseSpec:
    code: str
    name: str
    short_name: str
    street: str
    people: int
    departments: tuple[str, ...]
    sites: tuple[SiteSpec, ...] = field(default=())


def _sites(prefix: str, kind: str, names: list[str], staff: int) -> tuple[SiteSpec, ...]:
    return tuple(SiteSpec(f"{prefix}{i:02d}", name, kind, staff) for i, name in enumerate(names, start=1))


HEAT_STATIONS = [
    "东风大街",
    "朝阳路",
    "站北路",
    "西岳路",
    "乐天大街",
    "胜利大街",
    "解放路",
    "育红路",
    "北塘路",
    "仓程路",
    "桥南",
    "杜桥",
    "向阳",
]
COMMUNITIES = [
    "金苑华庭",
    "金苑新村",
    "渭河花园",
    "朝阳小区",
    "东岳家园",
    "西城丽景",
    "站南小区",
    "胜利新村",
    "杜桥花园",
    "南塘小区",
    "秦东小区",
    "信达家园",
]

STREETS = [f"{n}路" if len(n) < 3 else n for n in HEAT_STATIONS] + ["秦东大街", "南塘路", "渭河北路", "高新大道"]

# The group's own departments and office (集团机关) hang directly under the group.
GROUP_DEPARTMENTS = ("集团办公室", "疫情防控办公室", "党群工作部", "财务部")
GROUP_PEOPLE = 60

ENTERPRISES: tuple[EnterpriseSpec, ...] = (
    EnterpriseSpec(
        "E01",
        "渭城热力总公司",
        "热力公司",
        "东风大街 18 号",
        270,
        ("综合办公室", "生产运行部", "客户服务部"),
        (
            SiteSpec("O01", "热力公司办公区", "office", 3),
            *_sites("HS", "heat-station", [f"{n}热力站" for n in HEAT_STATIONS], 1),
        ),
    ),
    EnterpriseSpec(
        "E02",
        "金苑物业管理有限公司",
        "金苑物业",
        "朝阳路 66 号",
        290,
        ("综合部", "物业服务部", "工程维修部"),
        _sites("C", "community", COMMUNITIES, 1),
    ),
    EnterpriseSpec(
        "E03",
        "金盾护卫服务有限公司",
        "金盾护卫",
        "西岳路 9 号",
        300,
        ("综合部", "执勤一大队", "执勤二大队", "押运大队"),
        (
            SiteSpec("O01", "集团总值班室", "office", 1),
            SiteSpec("F01", "勤务车队（勤务车辆 98 辆）", "fleet", 3),
        ),
    ),
    EnterpriseSpec(
        "E04",
        "渭城燃气有限公司",
        "城市燃气",
        "乐天大街 120 号",
        150,
        ("综合部", "输配管网部", "客户服务部"),
        (SiteSpec("S01", "城东燃气储配站", "site", 2),),
    ),
    EnterpriseSpec(
        "E05",
        "渭城水务有限公司",
        "水务公司",
        "解放路 31 号",
        140,
        ("综合部", "供水调度中心", "水质检测中心"),
        (SiteSpec("S01", "第一水厂", "site", 2),),
    ),
    EnterpriseSpec(
        "E06",
        "渭城公共交通有限公司",
        "公交公司",
        "站北路 2 号",
        250,
        ("综合部", "运营调度部", "安全技术部"),
        (
            SiteSpec("F01", "公交一车队（公交车 56 辆）", "fleet", 3),
            SiteSpec("F02", "公交二车队（公交车 48 辆）", "fleet", 3),
        ),
    ),
    EnterpriseSpec(
        "E07",
        "渭城建设工程有限公司",
        "建设公司",
        "仓程路 77 号",
        150,
        ("工程管理部", "安全质量部", "综合部"),
        (SiteSpec("S01", "高新区安置房项目部", "site", 3),),
    ),
    EnterpriseSpec(
        "E08",
        "渭城银行城东支行",
        "城东支行",
        "胜利大街 200 号",
        70,
        ("综合部", "个人金融部", "公司金融部"),
        (SiteSpec("B01", "城东支行营业大楼", "building", 1),),
    ),
    EnterpriseSpec(
        "E09",
        "渭城宾馆有限公司",
        "渭城宾馆",
        "育红路 5 号",
        90,
        ("前厅部", "客房部", "餐饮部"),
        (SiteSpec("B01", "宾馆主楼", "building", 1),),
    ),
    EnterpriseSpec(
        "E10",
        "渭城市场管理有限公司",
        "市场公司",
        "北塘路 14 号",
        80,
        ("综合部", "市场管理部"),
        (
            SiteSpec("M01", "东关农贸市场", "market", 2),
            SiteSpec("M02", "西关农贸市场", "market", 2),
            SiteSpec("M03", "城北蔬菜批发市场", "market", 2),
        ),
    ),
    EnterpriseSpec(
        "E11",
        "渭城现代物流有限公司",
        "物流公司",
        "杜桥路 88 号",
        80,
        ("综合部", "仓储部", "运输部"),
        (
            SiteSpec("S01", "城南物流园仓库", "site", 2),
            SiteSpec("F01", "货运车队（货车 22 辆）", "fleet", 2),
        ),
    ),
    EnterpriseSpec(
        "E12",
        "渭城文化旅游有限公司",
        "文旅公司",
        "向阳路 3 号",
        70,
        ("综合部", "景区运营部", "演艺中心"),
        (
            SiteSpec("S01", "渭水公园景区", "site", 2),
            SiteSpec("B01", "文化中心大楼", "building", 1),
        ),
    ),
)

# Site kinds whose staff work the front line (一线): heat stations, communities, markets, fleets.
FRONT_LINE_KINDS = {"heat-station", "community", "market", "fleet", "site"}


# --- Personas ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    username: str
    name: str
    gender: str
    role: str
    role_units: tuple[str, ...]  # unit codes where the role is held
    home_unit: str  # unit of the persona's own person record
    hint: str  # what the persona sees; marked for translation here, translated when printed


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "admin",
        "周明远",
        Gender.MALE,
        Role.GROUP_ADMIN,
        (GROUP_CODE,),
        "G-D02",
        gettext_noop("the whole group: units, people, import, audit log"),
    ),
    Persona(
        "leader",
        "高建国",
        Gender.MALE,
        Role.LEADER,
        (GROUP_CODE,),
        "G-D01",
        gettext_noop("the whole group: reads everything, approves outings"),
    ),
    Persona(
        "liaison",
        "李晓燕",
        Gender.FEMALE,
        Role.UNIT_ADMIN,
        ("E01",),
        "E01-D01",
        gettext_noop("the heat company only: its 13 heat stations and staff"),
    ),
    Persona(
        "duty",
        "王志强",
        Gender.MALE,
        Role.DUTY_OFFICER,
        ("E03",),
        "E03-O01",
        gettext_noop("the security company, where the group duty room sits"),
    ),
    Persona(
        "checkpoint",
        "刘国华",
        Gender.MALE,
        Role.CHECKPOINT,
        ("E02-C01",),
        "E02-C01",
        gettext_noop("one residential community's gate"),
    ),
    Persona(
        "inspector",
        "陈静",
        Gender.FEMALE,
        Role.INSPECTOR,
        ("E01", "E02", "E03"),
        "G-D03",
        gettext_noop("the three key units assigned for inspection"),
    ),
    Persona(
        "epi",
        "孙丽华",
        Gender.FEMALE,
        Role.CASE_MANAGER,
        ("E01", "E02"),
        "E01-D01",
        gettext_noop("cases, contacts, isolation and care in the heat and property companies"),
    ),
    Persona(
        "keeper",
        "赵德胜",
        Gender.MALE,
        Role.MATERIALS_KEEPER,
        ("E01",),
        "E01-D01",
        gettext_noop("the heat company's store of masks, alcohol and protective suits"),
    ),
    Persona(
        "employee",
        "张伟",
        Gender.MALE,
        Role.EMPLOYEE,
        ("E01-HS01",),
        "E01-HS01",
        gettext_noop("only their own record"),
    ),
)


# --- Names, ID numbers, phones -----------------------------------------------------------------

# Common surnames, the most frequent first and listed more than once so they come up more often.
SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤"
    "尹黎易常武乔贺赖龚文"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳东亮成建国志海峰文博"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美琳莉雪梅玲燕婷颖倩洁琴云萍红月兰晶欣怡佳悦"
# Districts of the (invented) city and, for people who came back from elsewhere, other places.
LOCAL_REGIONS = ("610502", "610503", "610522", "610523", "610524", "610525", "610526", "610528", "610581")
OTHER_REGIONS = ("420106", "410105", "440304", "330302", "510107", "430102", "110105", "310115")
PLACES = (
    "湖北省武汉市",
    "河南省郑州市",
    "广东省深圳市",
    "浙江省温州市",
    "四川省成都市",
    "湖南省长沙市",
    "北京市",
    "上海市",
)
MOBILE_PREFIXES = tuple(str(n) for n in (*range(130, 140), *range(150, 160), 177, *range(180, 190), 199))

CATEGORY_WEIGHTS = (
    (Category.EMPLOYEE, 78),
    (Category.TEMPORARY, 7),
    (Category.DISPATCHED, 6),
    (Category.OUTSOURCED, 5),
    (Category.FAMILY, 4),
)


class Generator:
    """Deterministic fake people: names, ID numbers and phones that pass the validators."""

    def __init__(self, seed: int = SEED, today: datetime.date | None = None):
        self.rng = random.Random(seed)
        self.today = today or timezone.localdate()
        self._ids: set[str] = set()
        self._phones: set[str] = set()

    def gender(self) -> str:
        return self.rng.choice((Gender.MALE, Gender.FEMALE))

    def name(self, gender: str) -> str:
        chars = GIVEN_MALE if gender == Gender.MALE else GIVEN_FEMALE
        given = "".join(self.rng.choice(chars) for _i in range(self.rng.choice((1, 2, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self._phones:
                self._phones.add(phone)
                return phone

    def id_number(self, gender: str, *, min_age: int, max_age: int, region: str | None = None) -> str:
        """GB 11643-1999: region, birth date, a sequence whose last digit is odd for men, the check character."""
        while True:
            born = self.today - datetime.timedelta(days=self.rng.randint(min_age * 365 + 5, max_age * 365))
            seq = self.rng.randrange(500) * 2 + (1 if gender == Gender.MALE else 0)
            first17 = f"{region or self.rng.choice(LOCAL_REGIONS)}{born:%Y%m%d}{seq:03d}"
            value = first17 + id_check_digit(first17)
            if value not in self._ids:
                self._ids.add(value)
                return value

    def category(self) -> str:
        return self.rng.choices([c for c, _w in CATEGORY_WEIGHTS], weights=[w for _c, w in CATEGORY_WEIGHTS])[0]

    def whereabouts(self) -> dict:
        """Seed 004's classes: most stayed, some returned from another province, a few not back yet."""
        roll = self.rng.random()
        if roll < 0.85:
            return {"whereabouts": Whereabouts.STAYED}
        place = self.rng.choice(PLACES)
        if roll < 0.95:
            return {
                "whereabouts": Whereabouts.RETURNED,
                "returned_from": place,
                "returned_on": self.today - datetime.timedelta(days=self.rng.randint(1, 20)),
            }
        return {
            "whereabouts": Whereabouts.NOT_RETURNED,
            "returned_from": place,
            "expected_return_on": self.today + datetime.timedelta(days=self.rng.randint(1, 21)),
        }

    def employment_status(self) -> str:
        roll = self.rng.random()
        if roll < 0.97:
            return EmploymentStatus.ACTIVE
        return EmploymentStatus.ON_LEAVE if roll < 0.99 else EmploymentStatus.LEFT


# --- Loading -----------------------------------------------------------------------------------


class DemoRefused(Exception):
    """The database is not empty and is not the demo: loading would mix invented people with real ones."""


@dataclass
class DemoSummary:
    units: int
    enterprises: int
    people: int
    users: list[str]
    seconds: float = 0.0
    already_loaded: bool = False
    daily: demo_daily.DailySummary | None = None


def is_loaded() -> bool:
    return Unit.objects.filter(code=GROUP_CODE, name=GROUP_NAME, depth=1).exists()


def is_empty() -> bool:
    """No units and no people: nothing a demo load could be mixed up with."""
    return not Unit.objects.exists() and not Person.objects.exists()


def summary(*, already_loaded: bool = False) -> DemoSummary:
    group = Unit.objects.get(code=GROUP_CODE, depth=1)
    subtree = Unit.objects.filter(path__startswith=group.path)
    return DemoSummary(
        units=subtree.count(),
        enterprises=subtree.filter(depth=2, kind__code="subsidiary").count(),
        people=Person.objects.filter(unit__path__startswith=group.path).count(),
        users=[p.username for p in PERSONAS],
        already_loaded=already_loaded,
    )


def load(*, seed: int = SEED, today: datetime.date | None = None) -> DemoSummary:
    """Load the demo group into an empty database; do nothing if it is already there.

    Raises :class:`DemoRefused` on a database that holds anything else.
    """
    if is_loaded():
        return summary(already_loaded=True)
    if not is_empty():
        raise DemoRefused(_("The database already holds units or people that are not the demo group."))
    taken = sorted(
        get_user_model().objects.filter(username__in=[p.username for p in PERSONAS]).values_list("username", flat=True)
    )
    if taken:
        raise DemoRefused(
            _("These user names are taken, and the demo needs them: %(names)s.") % {"names": ", ".join(taken)}
        )
    started = timezone.now()
    # One request id for the whole load, so the change log shows it as one operation.
    with context.bind(context.RequestContext(source="demo")), transaction.atomic():
        daily = _load(Generator(seed, today))
    result = summary()
    result.daily = daily
    result.seconds = (timezone.now() - started).total_seconds()
    return result


def _contact(gen: Generator) -> dict[str, str]:
    return {
        "person_in_charge": gen.name(gen.gender()),
        "person_in_charge_phone": gen.phone(),
        "liaison": gen.name(gen.gender()),
        "liaison_phone": gen.phone(),
    }


def _address(street: str) -> str:
    return f"{CITY}{street}"


def _street(gen: Generator) -> str:
    return _address(f"{gen.rng.choice(STREETS)} {gen.rng.randint(1, 240)} 号")


def _load(gen: Generator) -> demo_daily.DailySummary:
    kinds = {k.code: k for k in UnitKind.objects.all()}
    users = _create_users()
    admin = users["admin"]
    phones = {p.username: gen.phone() for p in PERSONAS}
    # The persona who is the heat company's liaison is named as its liaison, with the same phone.
    liaison = next(p for p in PERSONAS if p.username == "liaison")
    contact_overrides = {"E01": {"liaison": liaison.name, "liaison_phone": phones["liaison"]}}

    # Bootstrap: nobody holds a role yet who could be allowed to create the group or grant the first
    # role, so these two rows are written directly and logged without an actor.
    group = Unit.objects.add_root(
        instance=Unit(
            code=GROUP_CODE,
            name=GROUP_NAME,
            short_name=GROUP_SHORT_NAME,
            kind=kinds["group"],
            address=_address("迎宾大道 1 号"),
            **_contact(gen),
        )
    )
    record_change(actor=None, obj=group, action=ChangeAction.CREATE)
    first_role = RoleAssignment.objects.create(user=admin, unit=group, role=Role.GROUP_ADMIN)
    record_change(actor=None, obj=first_role, action=ChangeAction.CREATE)

    # From here on the group office administrator builds the tree through the services.
    units: dict[str, Unit] = {GROUP_CODE: group}

    def add(parent: Unit, code: str, name: str, kind: str, address: str, **extra) -> Unit:
        fields = {**_contact(gen), **contact_overrides.get(code, {}), **extra}
        unit = unit_create(
            actor=admin, parent=parent, code=code, name=name, kind=kinds[kind], address=address, **fields
        )
        units[code] = unit
        return unit

    per_unit: dict[str, int] = {}
    group_departments = [
        (add(group, f"G-D{i:02d}", name, "department", _address("迎宾大道 1 号")), 1)
        for i, name in enumerate(GROUP_DEPARTMENTS, start=1)
    ]
    add(group, "G-O01", "集团机关办公区", "office", _address("迎宾大道 1 号"))
    per_unit.update(_share(GROUP_PEOPLE, group_departments))

    for ent in ENTERPRISES:
        enterprise = add(group, ent.code, ent.name, "subsidiary", _address(ent.street), short_name=ent.short_name)
        children = [(f"{ent.code}-D{i:02d}", name, "department", 2) for i, name in enumerate(ent.departments, start=1)]
        children += [(f"{ent.code}-{s.code}", s.name, s.kind, s.staff) for s in ent.sites]
        # Created in code order, so each child lands last among its siblings and no path shifts.
        # Departments sit in the enterprise's offices; sites are out in the city.
        staffed = [
            (add(enterprise, code, name, kind, _address(ent.street) if kind == "department" else _street(gen)), share)
            for code, name, kind, share in sorted(children)
        ]
        per_unit.update(_share(ent.people, staffed))

    for persona in PERSONAS:
        for code in persona.role_units:
            if persona.role == Role.GROUP_ADMIN and code == GROUP_CODE:
                continue  # granted in the bootstrap above
            role_assign(actor=admin, user=users[persona.username], unit=units[code], role=persona.role)

    people = list(_people(gen, units, per_unit, users, phones))
    _save_people(admin, people)
    # Two weeks of check-ins, reports, a bulletin and inbox messages, so the dashboards are alive.
    daily = demo_daily.load_daily(rng=gen.rng, today=gen.today, users=users, group=group)
    _load_control_and_materials(gen, users, group)
    _refresh_report_counts()
    # Anyone may try the office roles without an authenticator app: the demo turns the second factor
    # off (seeding writes the row directly), and the logins table says so and where to turn it on.
    from lianfang.org.models import GroupSettings

    group_settings = GroupSettings.load()
    group_settings.two_factor_roles = []
    group_settings.save(update_fields=["two_factor_roles", "updated"])
    # The office's privacy notice and everyone's consent, so check-ins stay open in the demo.
    from lianfang.privacy import demo as privacy_demo

    privacy_demo.load_demo(rng=gen.rng, today=gen.today, users=users, group=group)
    from lianfang.duty import demo as duty_demo  # a month of rosters, a day's log and handover

    duty_demo.load_demo(rng=gen.rng, today=gen.today, users=users, group=group)
    from lianfang.command import demo as command_demo  # urgent matters: one resolved in time, one escalated

    command_demo.load_demo(rng=gen.rng, today=gen.today, users=users, group=group)
    from lianfang.outings import demo as outings_demo  # outings: away, back under monitoring, waiting, filed

    outings_demo.load_demo(rng=gen.rng, today=gen.today, users=users, group=group)
    from lianfang.sites import demo as sites_demo  # a week of disinfection rounds, two overdue, terminal ones

    sites_demo.load_demo(rng=gen.rng, today=gen.today, users=users, group=group)
    from lianfang.sites import gate_demo  # checkpoints at the office and 12 communities, a week of entries

    gate_demo.load_demo(rng=gen.rng, today=gen.today, users=users, group=group)
    from lianfang.teams import demo as teams_demo  # a commando team of 50, vanguards, 30 deployed, 150 in reserve

    teams_demo.load_demo(rng=gen.rng, today=gen.today, users=users, group=group)
    # Last: yesterday's bulletin, so its cards count what every app's demo wrote.
    demo_daily.publish_yesterday_bulletin(today=gen.today, users=users)
    return daily


def _refresh_report_counts() -> None:
    """The cases demo puts the check-ins of isolated people at their isolation mode after the daily
    demo wrote the reports; the invented reports would have been made from those check-ins, so their
    check-in counts are taken again from the records (seeding writes the rows directly)."""
    from lianfang.core.extensions import feed_counts
    from lianfang.reporting.models import ReportField, UnitDailyReport

    sources = {f.code: f.source for f in ReportField.objects.filter(source__startswith="checkin.")}
    if not sources:
        return
    changed = []
    for report in UnitDailyReport.objects.select_related("unit"):
        counts = feed_counts(report.unit, report.date, sources.values())
        for code, source in sources.items():
            if code in (report.values or {}) and counts.get(source) is not None:
                report.values[code] = counts[source]
            if code in (report.prefilled or {}) and counts.get(source) is not None:
                report.prefilled[code] = counts[source]
        changed.append(report)
    UnitDailyReport.objects.bulk_update(changed, ["values", "prefilled"], batch_size=500)


def _load_control_and_materials(gen: Generator, users: dict, group: Unit) -> None:
    """Cases, isolation and care, risk areas and trips, then everyone's status from all of it; and the
    materials: two weeks of stock, transfers between units, donations and the emergency fund."""
    from lianfang.cases import demo as cases_demo
    from lianfang.donations import demo as donation_demo
    from lianfang.health import demo as risk_demo
    from lianfang.materials.demo import stock as stock_demo
    from lianfang.materials.demo import transfers as transfer_demo
    from lianfang.status import demo as status_demo

    # Order matters: transfers and donations draw on the stock; statuses are computed from the
    # cases, isolations, risk areas and trips, so the status demo comes last.
    for module in (stock_demo, transfer_demo, donation_demo, cases_demo, risk_demo, status_demo):
        module.load_demo(rng=gen.rng, today=gen.today, users=users, group=group)


def _share(total: int, weighted: list[tuple[Unit, int]]) -> Iterator[tuple[str, int]]:
    """Split ``total`` people over units by weight (largest remainder), so the sum is exact."""
    weight_sum = sum(w for _u, w in weighted)
    exact = [(unit, total * w / weight_sum) for unit, w in weighted]
    counts = {unit.code: int(x) for unit, x in exact}
    left = total - sum(counts.values())
    for unit, _x in sorted(exact, key=lambda item: (int(item[1]) - item[1], item[0].code))[:left]:
        counts[unit.code] += 1
    for unit, _w in weighted:
        yield unit.code, counts[unit.code]


def _create_users() -> dict:
    User = get_user_model()
    # The password is printed for everyone to read, so one hash (one salt) for all personas loses
    # nothing and saves a second of PBKDF2 per user.
    password = make_password(DEMO_PASSWORD)
    return {
        p.username: User.objects.create(username=p.username, first_name=p.name, password=password) for p in PERSONAS
    }


def _people(
    gen: Generator, units: dict[str, Unit], per_unit: dict[str, int], users: dict, phones: dict[str, str]
) -> Iterator[Person]:
    numbers: dict[str, int] = {}

    def employee_no(unit: Unit) -> str:
        prefix = unit.code.split("-")[0]
        numbers[prefix] = numbers.get(prefix, 0) + 1
        return f"{prefix}-{numbers[prefix]:04d}"

    personas_by_unit: dict[str, list[Persona]] = {}
    for p in PERSONAS:
        personas_by_unit.setdefault(p.home_unit, []).append(p)

    for code, count in per_unit.items():
        unit = units[code]
        for index in range(count):
            personas = personas_by_unit.get(code, [])
            # The first people of a persona's home unit are the personas themselves.
            persona: Persona | None = personas[index] if index < len(personas) else None
            category = Category.EMPLOYEE if persona else gen.category()
            gender = persona.gender if persona else gen.gender()
            family = category == Category.FAMILY
            person = Person(
                name=persona.name if persona else gen.name(gender),
                gender=gender,
                employee_no=employee_no(unit),
                id_number=gen.id_number(
                    gender,
                    min_age=3 if family else 20,
                    max_age=80 if family else 59,
                    region=gen.rng.choice(OTHER_REGIONS) if gen.rng.random() < 0.08 else None,
                ),
                phone=phones[persona.username] if persona else _phone(gen, family),
                unit=unit,
                category=category,
                employment_status=EmploymentStatus.ACTIVE if persona else gen.employment_status(),
                user=users[persona.username] if persona else None,
                **({"whereabouts": Whereabouts.STAYED} if persona else gen.whereabouts()),
            )
            person.id_number_digest = blind_index(person.id_number)  # bulk_create skips save()
            person._demo_tags = _tags_for(gen, unit, category)  # type: ignore[attr-defined]
            yield person


def _phone(gen: Generator, family: bool) -> str:
    # Children on the family list often have no phone of their own.
    return "" if family and gen.rng.random() < 0.4 else gen.phone()


def _tags_for(gen: Generator, unit: Unit, category: str) -> list[str]:
    if category == Category.FAMILY:
        return []
    front_line = unit.kind.code in FRONT_LINE_KINDS
    tags = []
    if gen.rng.random() < (0.85 if front_line else 0.1):
        tags.append("front-line")
    if category == Category.EMPLOYEE and gen.rng.random() < 0.28:
        tags.append("party-member")
    if gen.rng.random() < 0.08:
        tags.append("volunteer")
    if gen.rng.random() < 0.01:
        tags.append("overseas")
    return tags


def _save_people(admin, people: list[Person]) -> None:
    tags = {t.code: t for t in Tag.objects.all()}
    Person.objects.bulk_create(people, batch_size=500)  # SQLite and PostgreSQL both return the pks
    Through = Person.tags.through
    Through.objects.bulk_create(
        [Through(person_id=p.pk, tag_id=tags[code].pk) for p in people for code in p._demo_tags],  # type: ignore[attr-defined]
        batch_size=1000,
    )
    for p in people:
        # The change log snapshot reads the tags; hand them over instead of one query per person.
        p._prefetched_objects_cache = {"tags": [tags[code] for code in p._demo_tags]}  # type: ignore[attr-defined]
    record_changes(actor=admin, items=[(p, ChangeAction.CREATE, None) for p in people])


# --- Printing the logins -----------------------------------------------------------------------


def logins_table() -> str:
    """The personas' logins as a plain-text table for the console."""
    units = {u.code: u for u in Unit.objects.filter(code__in={c for p in PERSONAS for c in p.role_units})}
    header = (_("User name"), _("Password"), _("Role"), _("Scope"), _("Can see"))
    rows = []
    for p in PERSONAS:
        scope = "、".join(units[c].display_name if c in units else c for c in p.role_units)
        rows.append((p.username, DEMO_PASSWORD, str(Role(p.role).label), scope, _(p.hint)))
    widths = [max(_width(r[i]) for r in (header, *rows)) for i in range(len(header))]

    def line(cells) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    # The demo has no internet, so it sends nothing to chat groups; say where that is set up.
    robots = _("No chat-group robots are set up in the demo: configure them under %(menu)s.") % {
        "menu": _("Manage") + " → " + _("Chat-group robots")
    }
    two_factor = _(
        "Two-factor sign-in is off in the demo, so these logins need no authenticator app; the office turns it on "
        "under %(menu)s."
    ) % {"menu": _("Manage") + " → " + _("Sign-in security")}
    return "\n".join([line(header), rule, *(line(r) for r in rows), "", two_factor, robots])


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters are two columns wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
