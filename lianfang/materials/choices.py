from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Category(models.TextChoices):
    MASKS = "masks", _("Masks")
    DISINFECTANT = "disinfectant", _("Disinfectant")
    PROTECTIVE = "protective", _("Protective clothing and goggles")
    GLOVES = "gloves", _("Gloves")
    INSTRUMENTS = "instruments", _("Thermometers and instruments")
    TESTING = "testing", _("Test kits")
    MEDICINE = "medicine", _("Medicine")
    LIVING = "living", _("Daily supplies")
    OTHER = "other", pgettext_lazy("material category", "Other")


class Measure(models.TextChoices):
    """Units of measure as people count them; the counted ones take whole numbers only.

    Each item is counted the way a store-keeper writes it on a receipt: masks in 只, face shields in
    个, goggles and gloves in 副, suits in 套, books in 本 (never 只)."""

    PIECE = "piece", pgettext_lazy("measure", "pieces (只)")
    EACH = "each", pgettext_lazy("measure", "items (个)")
    PAIR = "pair", pgettext_lazy("measure", "pairs (副)")
    SET = "set", pgettext_lazy("measure", "sets (套)")
    BOTTLE = "bottle", pgettext_lazy("measure", "bottles (瓶)")
    STICK = "stick", pgettext_lazy("measure", "thermometers (支)")
    BOX = "box", pgettext_lazy("measure", "boxes (盒)")
    BARREL = "barrel", pgettext_lazy("measure", "barrels (桶)")
    COPY = "copy", pgettext_lazy("measure", "copies (本)")
    JIN = "jin", pgettext_lazy("measure", "jin (斤)")
    KG = "kg", pgettext_lazy("measure", "kilograms (kg)")
    LITRE = "litre", pgettext_lazy("measure", "litres (L)")

    @classmethod
    def counted(cls) -> frozenset[str]:
        """Measures counted in whole numbers (no half a mask)."""
        return frozenset({cls.PIECE, cls.EACH, cls.PAIR, cls.SET, cls.BOTTLE, cls.STICK, cls.BOX, cls.BARREL, cls.COPY})


class MovementKind(models.TextChoices):
    """Every way stock changes. In-kinds add, out-kinds subtract; an adjustment has a sign."""

    PURCHASE = "purchase", _("Purchase received")
    ALLOCATION = "allocation", _("Allocation from the group")
    DONATION_IN = "donation_in", _("Donation received")
    ISSUE = "issue", _("Issued for use")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    DONATION_OUT = "donation_out", _("Donation given")
    ADJUSTMENT = "adjustment", _("Stock-take adjustment")

    @classmethod
    def inbound(cls) -> frozenset[str]:
        return frozenset({cls.PURCHASE, cls.ALLOCATION, cls.DONATION_IN, cls.TRANSFER_IN})

    @classmethod
    def outbound(cls) -> frozenset[str]:
        return frozenset({cls.ISSUE, cls.TRANSFER_OUT, cls.DONATION_OUT})


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical: running out")


class RequestStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("request status", "Open")
    PARTLY = "partly", _("Partly covered")
    COVERED = "covered", pgettext_lazy("request status", "Covered")
    CANCELLED = "cancelled", _("Cancelled")


class OfferStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("offer status", "Open")
    TAKEN = "taken", _("Taken")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class TransferStatus(models.TextChoices):
    """调拨: proposed → approved → shipped → (partly) received; or rejected / cancelled before shipping."""

    PROPOSED = "proposed", pgettext_lazy("transfer status", "Proposed")
    APPROVED = "approved", pgettext_lazy("transfer status", "Approved")
    SHIPPED = "shipped", pgettext_lazy("transfer status", "Shipped")
    PARTLY_RECEIVED = "partly_received", pgettext_lazy("transfer status", "Partly received")
    RECEIVED = "received", pgettext_lazy("transfer status", "Received")
    REJECTED = "rejected", pgettext_lazy("transfer status", "Rejected")
    CANCELLED = "cancelled", pgettext_lazy("transfer status", "Cancelled")


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", _("For review")
    ACCEPTED = "accepted", _("Turned into transfers")
    DISCARDED = "discarded", _("Discarded")
