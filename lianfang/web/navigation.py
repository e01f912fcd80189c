"""The pages of the "Manage" hub, shared by its view and the menu."""

from django.utils.translation import gettext_lazy

from lianfang.core.scoping import Action

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
        "reporting.raiseditem",
        Action.VIEW,
        "reporting:raised",
        gettext_lazy("Problems and needs raised"),
        gettext_lazy("What units raised in their reports, routed to a department and followed to resolution."),
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
        "core.objectchange",
        Action.VIEW,
        "audit-changes",
        gettext_lazy("Audit log"),
        gettext_lazy("Who changed what and when; logins, imports, exports and unmasks."),
    ),
)
