"""The menu, and the pages of the "Manage" hub (shared by its view and the menu).

Every entry is shown only to who may open it: each carries the same test its page makes before it
answers (a page that would answer 403 is not offered; ``lianfang/web/tests/test_menu_links.py`` opens
every link of every demo persona's menu, home page and Manage page to keep it so). Entries that belong
together are grouped in a submenu (防疫物资 ▸, 管理 ▸); a group with one entry the user may open is
drawn as that entry, so an employee sees "Check in", not a submenu of one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext_lazy

from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.org.scoping import has_any, roles_of

# (permission label, action, URL name, title, what it is for): each page shown to who may use it.
MANAGE_PAGES = (
    (
        "health.question",
        Action.ADD,
        "health:questions",
        gettext_lazy("Check-in questions"),
        gettext_lazy("Extra questions everyone answers when checking in; changes keep old answers' meaning."),
    ),
    (
        "reporting.reportfield",
        Action.ADD,
        "reporting:template",
        gettext_lazy("Unit report template"),
        gettext_lazy("The lines of the unit daily report and where their counts come from."),
    ),
    (
        "health.riskarea",
        Action.ADD,
        "health:risk-areas",
        gettext_lazy("Risk areas"),
        gettext_lazy(
            "High, medium and low risk areas in force, imported from the authorities' lists; past lists are kept."
        ),
    ),
    (
        "status.statusrule",
        Action.VIEW,
        "health:status-rules",
        gettext_lazy("Health status rules"),
        gettext_lazy("What makes a person green, yellow or red, in order, and for how long."),
    ),
    (
        "materials.item",
        Action.ADD,
        "materials:items",
        gettext_lazy("Materials catalogue"),
        gettext_lazy(
            "Masks, alcohol, goggles, suits: how each is counted, reorder thresholds and target days of supply."
        ),
    ),
    (
        "people.person",
        Action.CHANGE,
        "health:activation",
        gettext_lazy("Employee activation codes"),
        gettext_lazy("Print one-time QR codes with which employees set their password for the daily check-in."),
    ),
    (
        "people.person",
        Action.IMPORT,
        "people:import",
        gettext_lazy("Import the roster"),
        gettext_lazy("Add and update people from an .xlsx or .csv file."),
    ),
    (
        "duty.dutypost",
        Action.ADD,
        "duty:post-create",
        gettext_lazy("Units that keep duty"),
        gettext_lazy("Which units keep a duty room, their duty phone and shift times; rosters are made from a rota."),
    ),
    (
        "sites.disinfectant",
        Action.ADD,
        "sites:agents",
        gettext_lazy("Disinfectants"),
        gettext_lazy("The disinfectants in use, at their concentration, with the time each must act (contact time)."),
    ),
    (
        "sites.passkey",
        Action.CHANGE,
        "sites:pass-keys",
        gettext_lazy("Pass keys"),
        gettext_lazy("The keys that sign personal passes and cards: rotate them, or withdraw one that leaked."),
    ),
    (
        "notify.robotchannel",
        Action.VIEW,
        "notify:robots",
        gettext_lazy("Chat-group robots"),
        gettext_lazy("DingTalk, WeCom and Feishu robots that post reminders to units' chat groups."),
    ),
    (
        "notify.delivery",
        Action.VIEW,
        "notify:deliveries",
        gettext_lazy("Deliveries"),
        gettext_lazy("Every robot message and e-mail sent, and the ones that failed."),
    ),
    (
        "accounts.servicetoken",
        Action.VIEW,
        "accounts:security",
        gettext_lazy("Sign-in security"),
        gettext_lazy("Two-factor sign-in, idle timeout, locked sign-ins and service tokens for other systems."),
    ),
    (
        "core.objectchange",
        Action.VIEW,
        "audit-changes",
        gettext_lazy("Audit log"),
        gettext_lazy("Who changed what and when; logins, imports, exports and unmasks."),
    ),
)


def manage_pages(user) -> list[tuple[str, str, str]]:
    """(URL name, title, text) of the Manage hub's pages the user may open, the group settings first."""
    from django.utils.translation import gettext as _

    from lianfang.org.services import can_change_group_settings

    pages = [
        (name, str(title), str(text))
        for label, action, name, title, text in MANAGE_PAGES
        if has_any(user, label, action)
    ]
    if can_change_group_settings(user):
        # The group's rhythm is changed on the group itself, not on any unit.
        text = _("Check-in opening time, reminder times, report deadline, bulletin time, thresholds.")
        pages.insert(0, ("org:settings", _("Group settings"), text))
    if has_any(user, "command.severitylevel", Action.CHANGE):
        from lianfang.command.services.levels import may_edit_levels

        if may_edit_levels(user):
            pages.append(
                (
                    "command:levels",
                    _("Urgent matters: levels and time limits"),
                    _("Minutes each level has to acknowledge and to report in writing, per severity level."),
                )
            )
    from lianfang.outings.services import may_edit_settings as may_edit_outing_settings

    if may_edit_outing_settings(user):
        pages.append(
            (
                "outings:settings",
                _("Outing approval and filing"),
                _(
                    "Who approves outings, when the prevention office approves too, expiry, and the measures "
                    "on return (trip in the history, enhanced monitoring)."
                ),
            )
        )
    pages.extend(_privacy_pages(user))
    return pages


def _privacy_pages(user) -> list[tuple[str, str, str]]:
    """The privacy pages: the office's (notice, legal bases, emergencies, retention, chain check: rights held
    on the group itself), and the consent register for whoever may read it (liaisons, for their units)."""
    from django.utils.translation import gettext as _

    from lianfang.privacy import selectors as privacy

    pages = []
    if privacy.is_office(user, action=Action.VIEW):
        pages.append(
            (
                "privacy:notices",
                _("Privacy and personal data"),
                _(
                    "The privacy notice, the legal basis of each data category, emergency periods, retention, "
                    "purge receipts and the stand-down."
                ),
            )
        )
    if privacy.may_see_register(user):
        pages.append(
            (
                "privacy:register",
                _("Consent register"),
                _("Who has consented to health and whereabouts data, who has not, who withdrew; consent on paper."),
            )
        )
    return pages


# The materials pages in menu order: (flag, permission label, action, URL name, title).
MATERIALS_PAGES = (
    ("stock", "materials.stock", Action.VIEW, "materials:stock", pgettext_lazy("menu", "Stock")),
    ("movements", "materials.movement", Action.VIEW, "materials:movements", pgettext_lazy("menu", "Movements")),
    ("stocktakes", "materials.stocktake", Action.VIEW, "materials:stocktakes", pgettext_lazy("menu", "Stock-takes")),
    ("requests", "materials.materialrequest", Action.VIEW, "materials:request-list", pgettext_lazy("menu", "Requests")),
    ("offers", "materials.offer", Action.VIEW, "materials:offer-list", pgettext_lazy("menu", "Offers")),
    ("transfers", "materials.transfer", Action.VIEW, "materials:transfer-list", pgettext_lazy("menu", "Transfers")),
    (
        "rebalance",
        "materials.rebalanceproposal",
        Action.VIEW,
        "materials:rebalance-list",
        pgettext_lazy("menu", "Rebalancing"),
    ),
    ("donations", "donations.donation", Action.VIEW, "materials:donation-list", pgettext_lazy("menu", "Donations")),
    (
        "collections",
        "donations.collection",
        Action.VIEW,
        "materials:collection-list",
        pgettext_lazy("menu", "Money collections"),
    ),
    ("funds", "donations.fund", Action.VIEW, "materials:fund-list", pgettext_lazy("menu", "Emergency funds")),
    ("spending", "donations.spending", Action.VIEW, "materials:spending-list", pgettext_lazy("menu", "Fund spending")),
    ("items", "materials.item", Action.ADD, "materials:items", pgettext_lazy("menu", "Catalogue")),
)


def materials_flags(user) -> dict[str, bool]:
    return {flag: has_any(user, label, action) for flag, label, action, _name, _title in MATERIALS_PAGES}


@dataclass(frozen=True)
class MenuLink:
    """One menu entry: where it leads, and the URL names (or namespaces) of the pages it stands for."""

    key: str
    title: str | Promise
    url: str
    sections: frozenset[str] = frozenset()

    @property
    def is_group(self) -> bool:
        return False


@dataclass(frozen=True)
class MenuGroup:
    """A submenu: its links, in order. Drawn as a button that opens them."""

    key: str
    title: str | Promise
    links: tuple[MenuLink, ...] = field(default_factory=tuple)
    # Namespaces whose every page belongs to the group (the materials pages), besides its links' own.
    namespaces: frozenset[str] = frozenset()

    @property
    def is_group(self) -> bool:
        return True


MenuEntry = MenuLink | MenuGroup


def _link(key: str, title, name: str, *sections: str, url: str | None = None) -> MenuLink:
    return MenuLink(key=key, title=title, url=url or reverse(name), sections=frozenset({name, *sections}))


def _group(key: str, title, links: Iterable[MenuLink | None], *namespaces: str) -> MenuEntry | None:
    """The group, or its one link when it has only one, or None when it has none."""
    shown = tuple(link for link in links if link is not None)
    if not shown:
        return None
    if len(shown) == 1:
        only = shown[0]
        return MenuLink(key=only.key, title=only.title, url=only.url, sections=only.sections | set(namespaces))
    return MenuGroup(key=key, title=title, links=shown, namespaces=frozenset(namespaces))


def menu_for(user, *, cases_home: str | None, own_person) -> list[MenuEntry]:
    """The menu entries the user may open, top-level in order; submenus grouped. Each entry's test is
    the one its page makes before it answers."""
    from lianfang.reporting.selectors.dashboard import can_see_dashboard

    def can(label: str, action: str) -> bool:
        return has_any(user, label, action)

    materials = materials_flags(user)
    checkins = [
        _link("checkin", pgettext_lazy("menu", "My check-in"), "health:checkin", "health:checkin-same")
        if own_person is not None
        else None,
        _link("proxy", pgettext_lazy("menu", "Morning check"), "health:proxy")
        if can("health.checkin", Action.ADD)
        else None,
        _link(
            "completion",
            pgettext_lazy("menu", "Check-in status"),
            "health:completion",
            "health:non-reporters",
            "health:flagged",
        )
        if can("health.unitdaystat", Action.VIEW)
        else None,
    ]
    reports = [
        _link("dashboard", pgettext_lazy("menu", "Dashboard"), "reporting:dashboard")
        if can_see_dashboard(user)
        else None,
        _link("report", pgettext_lazy("menu", "Fill in the unit report"), "reporting:report")
        if can("reporting.unitdailyreport", Action.ADD)
        else None,
        _link(
            "overview",
            pgettext_lazy("menu", "Unit reports: late and missing"),
            "reporting:overview",
            "reporting:detail",
        )
        if can("reporting.unitdailyreport", Action.VIEW)
        else None,
        _link("bulletins", pgettext_lazy("menu", "Daily bulletins"), "reporting:bulletin-list", *_BULLETIN_PAGES)
        if can("reporting.bulletin", Action.VIEW)
        else None,
        _link(
            "raised", pgettext_lazy("menu", "Problems and needs raised"), "reporting:raised", "reporting:raised-detail"
        )
        if can("reporting.raiseditem", Action.VIEW)
        else None,
    ]
    # Outings sit with the people for whoever reads the roster (the office, liaisons, leaders), so the
    # office's menu keeps one row; an employee finds "My outings" beside "My check-in".
    outing_links = [link for link in _outing_links(user, own_person) if link is not None]
    # Teams too sit with the people for whoever reads the roster (the office's menu keeps one row).
    team_links = [link for link in _team_links(user) if link is not None]
    people_pages = ("people:list", "people:detail", "people:edit", "people:create")
    people_entry: MenuEntry | None = None
    outings_entry: MenuEntry | None = None
    teams_entry: MenuEntry | None = None
    if can("people.person", Action.VIEW):
        if outing_links or team_links:
            roster = _link("roster", pgettext_lazy("menu", "Roster"), *people_pages)
            people_entry = MenuGroup(
                key="people",
                title=pgettext_lazy("menu", "People"),
                links=(roster, *outing_links, *team_links),
                namespaces=frozenset({"people", "teams"} if team_links else {"people"}),
            )
        else:
            people_entry = _link("people", pgettext_lazy("menu", "People"), *people_pages)
    else:
        outings_entry = _group("outings", pgettext_lazy("menu", "Outings"), outing_links)
        teams_entry = _group("teams", pgettext_lazy("menu", "Teams"), team_links, "teams")
    entries: list[MenuEntry | None] = [
        _link("home", pgettext_lazy("menu", "Today"), "home"),
        # One's own pass: here for an employee; under one's name (the account menu) for whoever holds a role.
        _link("my-pass", pgettext_lazy("menu", "My pass"), "sites:my-pass")
        if own_person is not None and not roles_of(user) - {Role.EMPLOYEE}
        else None,
        _group("checkins", pgettext_lazy("menu", "Check-ins"), checkins),
        _group("reports", pgettext_lazy("menu", "Reports"), reports),
        outings_entry,
        _link("status", pgettext_lazy("menu", "Health status"), "health:status-board", *_STATUS_PAGES)
        if can("status.personstatus", Action.VIEW)
        else None,
        _link("cases", pgettext_lazy("menu", "Cases"), cases_home, "cases") if cases_home is not None else None,
        _group(
            "materials",
            pgettext_lazy("menu", "Materials"),
            [_link(flag, title, name) for flag, _label, _action, name, title in MATERIALS_PAGES if materials[flag]],
            "materials",
        ),
        _group("duty", pgettext_lazy("menu", "Duty"), _duty_links(user, own_person), "duty", "command"),
        _group("sites", pgettext_lazy("menu", "Sites"), _disinfection_links(user), "sites"),
        teams_entry,
        _link("units", pgettext_lazy("menu", "Units"), "org:tree", "org:detail", "org:edit", "org:create", "org:move")
        if can("org.unit", Action.VIEW)
        else None,
        people_entry,
        _link("inbox", pgettext_lazy("menu", "Inbox"), "notify:inbox", "notify:message"),
        _manage_group(user),
    ]
    return [entry for entry in entries if entry is not None]


def _duty_links(user, own_person) -> list[MenuLink | None]:
    """Duty (值班值守): who is on duty, coverage and handovers, swaps, urgent matters. The duty pages
    open for a duty role, or for anyone on a roster (the security company's staff keeping the group's
    duty room); that is asked only of people without such a role."""

    def can(label: str, action: str) -> bool:
        return has_any(user, label, action)

    on_roster = False
    if own_person is not None and not can("duty.dutypost", Action.VIEW):
        from lianfang.duty.selectors import is_on_a_roster

        on_roster = is_on_a_roster(own_person)
    duty_viewer = on_roster or can("duty.dutypost", Action.VIEW)
    return [
        _link("on-duty", pgettext_lazy("menu", "On duty now"), "duty:index", *_DUTY_PAGES) if duty_viewer else None,
        _link("coverage", pgettext_lazy("menu", "Coverage and handovers"), "duty:gaps") if duty_viewer else None,
        _link("swaps", pgettext_lazy("menu", "Duty swaps"), "duty:swaps")
        if on_roster or can("duty.swap", Action.VIEW)
        else None,
        _link("urgent", pgettext_lazy("menu", "Urgent matters"), "command:board", "command:detail", "command:act")
        if can("command.urgentmatter", Action.VIEW)
        else None,
        _link("urgent-new", pgettext_lazy("menu", "Report an urgent matter"), "command:new")
        if can("command.urgentmatter", Action.ADD)
        else None,
    ]


def _team_links(user) -> list[MenuLink | None]:
    """Teams (突击队、先锋队、志愿服务储备队) for whoever may see them. A member who only serves reaches
    their call-ups from the call-up message in the inbox, so an employee's menu stays as it was."""
    if not has_any(user, "teams.team", Action.VIEW):
        return []
    return [
        _link(
            "teams", pgettext_lazy("menu", "Teams and deployments"), "teams:list", "teams:detail", "teams:deployment"
        ),
        _link("my-call-ups", pgettext_lazy("menu", "My call-ups"), "teams:mine"),
    ]


def _outing_links(user, own_person) -> list[MenuLink | None]:
    """Outings (外出审批报备): one's own (ask, return), those to approve, every outing in scope, the
    people under enhanced monitoring after one."""

    def can(label: str, action: str) -> bool:
        return has_any(user, label, action)

    # An outing's page belongs to "All outings" for who may see others', else to "My outings".
    own = () if can("outings.outing", Action.VIEW) else ("outings:detail",)
    return [
        _link("my-outings", pgettext_lazy("menu", "My outings"), "outings:mine", "outings:new", "outings:return", *own)
        if own_person is not None
        else None,
        _link("outing-approvals", pgettext_lazy("menu", "Outings to approve"), "outings:approvals")
        if can("outings.outing", Action.APPROVE)
        else None,
        _link("outing-list", pgettext_lazy("menu", "All outings"), "outings:list", "outings:detail")
        if can("outings.outing", Action.VIEW)
        else None,
        _link("outing-monitoring", pgettext_lazy("menu", "Enhanced monitoring"), "outings:monitoring")
        if can("outings.monitoringreading", Action.VIEW)
        else None,
    ]


def _disinfection_links(user) -> list[MenuLink | None]:
    """Sites (场所): disinfection (消杀) — the rounds of the sites in scope (site staff land on their site's
    day) and the plans; the checkpoints (卡口) with their gate pages, the entries and the visitors. The
    disinfectants and the pass keys are in Manage; an employee registers visitors from their pass page."""

    def can(label: str, action: str) -> bool:
        return has_any(user, label, action)

    return [
        _link(
            "disinfection",
            pgettext_lazy("menu", "Disinfection rounds"),
            "sites:disinfection",
            "sites:site-day",
            "sites:site-print",
        )
        if can("sites.disinfectionslot", Action.VIEW)
        else None,
        _link("disinfection-plans", pgettext_lazy("menu", "Disinfection plans"), "sites:plans", "sites:plan-edit")
        if can("sites.disinfectionplan", Action.VIEW)
        else None,
        _link(
            "checkpoints",
            pgettext_lazy("menu", "Checkpoints"),
            "sites:checkpoints",
            "sites:checkpoint-edit",
            "sites:gate",
        )
        if can("sites.checkpoint", Action.VIEW)
        else None,
        _link("entries", pgettext_lazy("menu", "Entries at the gates"), "sites:entries")
        if can("sites.entry", Action.VIEW)
        else None,
        _link("visitors", pgettext_lazy("menu", "Visitors"), "sites:visitors", "sites:site-visitors", "sites:walk-in")
        if can("sites.visitor", Action.VIEW)
        else None,
    ]


_DUTY_PAGES = ("duty:roster", "duty:roster-print", "duty:log", "duty:log-print", "duty:shift", "duty:post-edit")
_BULLETIN_PAGES = ("reporting:bulletin-detail", "reporting:bulletin-print")
_STATUS_PAGES = ("health:status-people", "health:status-return", "health:person-history")


# Pages reached from a Manage page that keep its menu entry current.
_MANAGE_SUBPAGES: dict[str, tuple[str, ...]] = {
    "audit-changes": ("audit-events", "audit-change-detail"),
    "health:risk-areas": ("health:risk-import",),
    "reporting:template": ("reporting:field-edit",),
    "sites:agents": ("sites:agent-edit",),
}


def _manage_group(user) -> MenuEntry | None:
    pages = manage_pages(user)
    if not pages:
        return None
    links = [_link("manage-hub", pgettext_lazy("menu", "All settings"), "manage")]
    for name, title, _text in pages:
        links.append(_link(name, title, name, *_MANAGE_SUBPAGES.get(name, ())))
    return MenuGroup(key="manage", title=pgettext_lazy("menu", "Manage"), links=tuple(links))


def current_keys(entries: list[MenuEntry], request) -> set[str]:
    """Keys of the entries (and groups) the current page belongs to."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return set()
    here = {match.namespace, match.view_name} - {""}
    found = set()
    for entry in entries:
        if isinstance(entry, MenuLink):
            if here & entry.sections:
                found.add(entry.key)
            continue
        if here & entry.namespaces:
            found.add(entry.key)
        for link in entry.links:
            if match.view_name in link.sections:
                found.update((link.key, entry.key))
    return found
