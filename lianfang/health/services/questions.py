"""Writes of the office's extra check-in questions: each change makes a new version, so answers
given earlier keep the wording they were given to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.health.choices import QuestionKind
from lianfang.health.models import Question, QuestionVersion
from lianfang.org.models import Unit
from lianfang.org.scoping import has_any

VERSION_FIELDS = ("text", "text_en", "kind", "choices", "required", "flag_values")


def _ensure_office(actor, action: str) -> None:
    if not has_any(actor, "health.question", action):
        raise PermissionDenied


def _clean_version(fields: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    text = (fields.get("text") or "").strip()
    if not text:
        errors["text"] = [_("Write the question.")]
    kind = fields.get("kind")
    if kind not in QuestionKind.values:
        errors["kind"] = [_("Choose the kind of answer.")]
    choices = list(fields.get("choices") or [])
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        values = [str(c.get("value", "")).strip() for c in choices]
        if len(choices) < 2 or not all(values) or len(set(values)) != len(values):
            errors["choices"] = [_("Give at least two options, each with its own value.")]
    elif kind in QuestionKind.values:
        choices = []
    flag_values = [str(v) for v in fields.get("flag_values") or []]
    if kind == QuestionKind.YES_NO:
        if any(v not in ("yes", "no") for v in flag_values):
            errors["flag_values"] = [_("A yes/no question can only raise a flag on yes or no.")]
    elif kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        allowed = {str(c.get("value")) for c in choices}
        if any(v not in allowed for v in flag_values):
            errors["flag_values"] = [_("Flag only on answers that are among the options.")]
    elif flag_values:
        errors["flag_values"] = [_("Only yes/no and choice questions can raise a flag.")]
    if errors:
        raise ValidationError(errors)
    return {
        "text": text,
        "text_en": (fields.get("text_en") or "").strip(),
        "kind": kind,
        "choices": [
            {
                "value": str(c["value"]).strip(),
                "label": str(c.get("label") or c["value"]).strip(),
                "label_en": str(c.get("label_en") or "").strip(),
            }
            for c in choices
        ],
        "required": bool(fields.get("required")),
        "flag_values": flag_values,
    }


def _new_version(actor, question: Question, fields: Mapping[str, Any]) -> QuestionVersion:
    number = (question.versions.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    version = QuestionVersion(question=question, version=number, created_by=actor, **fields)
    version.full_clean()
    version.save()
    record_change(actor=actor, obj=version, action=ChangeAction.CREATE)
    return version


@transaction.atomic
def question_create(
    *, actor, code: str, sort: int = 100, units: Iterable[Unit] = (), **version_fields: Any
) -> Question:
    _ensure_office(actor, Action.ADD)
    fields = _clean_version(version_fields)
    question = Question(code=code, sort=sort)
    question.full_clean(exclude=["current"])
    question.save()
    question.units.set(list(units))
    question.current = _new_version(actor, question, fields)
    question.save(update_fields=["current"])
    record_change(actor=actor, obj=question, action=ChangeAction.CREATE)
    return question


@transaction.atomic
def question_update(
    *,
    actor,
    question: Question,
    sort: int | None = None,
    units: Iterable[Unit] | None = None,
    **version_fields: Any,
) -> Question:
    """Change a question. A change to the wording, kind, options, requirement or flags is a new
    version; answers given to earlier versions keep pointing at the wording they answered."""
    _ensure_office(actor, Action.CHANGE)
    question = Question.objects.select_for_update(of=("self",)).select_related("current").get(pk=question.pk)
    before = snapshot(question)
    if version_fields:
        current = question.current
        merged = {name: getattr(current, name) for name in VERSION_FIELDS} if current else {}
        merged.update(version_fields)
        fields = _clean_version(merged)
        if current is None or any(getattr(current, k) != v for k, v in fields.items()):
            question.current = _new_version(actor, question, fields)
    if sort is not None:
        question.sort = sort
    question.full_clean(exclude=["current"])
    question.save()
    if units is not None:
        question.units.set(list(units))
    record_change(actor=actor, obj=question, action=ChangeAction.UPDATE, before=before)
    return question


@transaction.atomic
def question_set_active(*, actor, question: Question, is_active: bool) -> Question:
    """Stop (or resume) asking a question; its past answers stay."""
    _ensure_office(actor, Action.CHANGE)
    question = Question.objects.select_for_update().get(pk=question.pk)
    before = snapshot(question)
    question.is_active = is_active
    question.save(update_fields=["is_active"])
    record_change(actor=actor, obj=question, action=ChangeAction.UPDATE, before=before)
    return question
