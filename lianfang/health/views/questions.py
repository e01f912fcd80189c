"""Pages of the office's extra check-in questions (in the Manage hub)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.health import selectors
from lianfang.health.forms import QuestionForm
from lianfang.health.services import questions as question_services
from lianfang.org.models import Unit
from lianfang.org.scoping import has_any


def _ensure_office(user, action: str) -> None:
    if not has_any(user, "health.question", action):
        raise PermissionDenied


@login_required
def question_list(request: HttpRequest) -> HttpResponse:
    _ensure_office(request.user, Action.VIEW)
    questions = selectors.question_list(viewer=request.user)
    return render(
        request,
        "health/questions/list.html",
        {"questions": questions, "can_add": has_any(request.user, "health.question", Action.ADD)},
    )


@login_required
def question_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    question = get_object_or_404(selectors.question_list(viewer=user), pk=pk) if pk else None
    _ensure_office(user, Action.CHANGE if question else Action.ADD)
    units = Unit.objects.restrict(user, Action.VIEW).filter(is_active=True)
    initial: dict[str, Any] = {}
    if question and question.current:
        v = question.current
        initial = {
            "code": question.code,
            "text": v.text,
            "text_en": v.text_en,
            "kind": v.kind,
            "choices": v.choices,
            "required": v.required,
            "flag_values": ",".join(v.flag_values),
            "sort": question.sort,
            "units": list(question.units.all()),
        }
    form = QuestionForm(request.POST or None, initial=initial, units=units, editing=question is not None)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            if question:
                question = question_services.question_update(actor=user, question=question, **fields)
            else:
                question = question_services.question_create(actor=user, code=form.cleaned_data["code"], **fields)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The question was saved."))
            return redirect("health:questions")
    versions = list(question.versions.all()) if question else []
    return render(request, "health/questions/form.html", {"form": form, "question": question, "versions": versions})


@require_POST
@login_required
def question_active(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(selectors.question_list(viewer=request.user), pk=pk)
    _ensure_office(request.user, Action.CHANGE)
    question_services.question_set_active(
        actor=request.user, question=question, is_active=request.POST.get("active") == "1"
    )
    return redirect("health:questions")
