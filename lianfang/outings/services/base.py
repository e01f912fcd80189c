"""What the outings' writes share: who is acting for whom, locking a request, opening a step of its
route (with its expiry and reminder times), and telling people in their inbox.

Messages name the destination, the dates and the person, never a health detail: an inbox is read on
a shared screen. They are written in the group's language, whoever's action sent them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.notify.services import message_send
from lianfang.outings import selectors
from lianfang.outings.choices import StepKind
from lianfang.outings.models import Outing, OutingSettings, OutingStep
from lianfang.people.models import Person

KIND_ASKED = "outing_asked"
KIND_REMINDER = "outing_reminder"
KIND_DECIDED = "outing_decided"
KIND_RISK = "outing_risk"
KIND_RETURN = "outing_return"
KIND_FEVER = "outing_fever"


def is_self(actor, person: Person) -> bool:
    return person.user_id is not None and person.user_id == getattr(actor, "pk", None)


def lock(outing: Outing) -> Outing:
    return Outing.objects.select_for_update().select_related("person__unit", "unit").get(pk=outing.pk)


def outing_url(outing: Outing) -> str:
    return reverse("outings:detail", args=[outing.pk])


def in_default_language():
    return translation.override(django_settings.LANGUAGE_CODE)


def describe(outing: Outing) -> str:
    """“张伟 · 武汉市武昌区 12-10–12-14”, for messages."""
    return _("%(name)s · %(place)s %(first)s–%(last)s") % {
        "name": outing.person.name,
        "place": outing.place_name,
        "first": f"{outing.date_from:%m-%d}",
        "last": f"{outing.date_to:%m-%d}",
    }


def tell(recipients: Iterable[int | None], *, kind: str, title: str, body: str = "", url: str = "") -> int:
    ids = [pk for pk in dict.fromkeys(recipients) if pk]
    return message_send(recipients=ids, kind=kind, title=title, body=body, url=url)


def tell_person(outing: Outing, *, kind: str, title: str, body: str = "") -> int:
    return tell([outing.person.user_id], kind=kind, title=title, body=body, url=outing_url(outing))


def open_next_step(*, actor, outing: Outing, now: datetime.datetime, config: OutingSettings) -> OutingStep | None:
    """Open the first step not reached yet: its clocks start now (a filing never expires) and its
    deciders are told. None when every step is decided."""
    step = (
        OutingStep.objects.filter(outing=outing, opened_at__isnull=True)
        .select_related("unit", "outing__person")
        .order_by("seq")
        .first()
    )
    if step is None:
        return None
    before = snapshot(step)
    step.opened_at = now
    step.remind_at = now + datetime.timedelta(hours=config.remind_hours)
    step.due_at = None if step.kind == StepKind.FILING else now + datetime.timedelta(hours=config.expire_hours)
    step.save(update_fields=["opened_at", "remind_at", "due_at"])
    record_change(actor=actor, obj=step, action=ChangeAction.UPDATE, before=before)
    with in_default_language():
        if step.kind == StepKind.FILING:
            title = _("Outing filed for acknowledgement: %(outing)s") % {"outing": describe(outing)}
        else:
            title = _("Outing request to approve: %(outing)s") % {"outing": describe(outing)}
        body = _("Reason: %(reason)s.") % {"reason": outing.reason}
        if outing.risk_at_request:
            body += " " + _("The destination is in a risk area: %(area)s.") % {"area": outing.risk_area_name}
        if step.due_at is not None:
            body += " " + _("Decide by %(due)s, or the request expires.") % {"due": local(step.due_at)}
    tell(selectors.step_holders(step), kind=KIND_ASKED, title=title, body=body, url=outing_url(outing))
    return step


def local(moment: datetime.datetime) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%m-%d %H:%M")
