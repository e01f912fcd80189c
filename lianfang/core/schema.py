"""The OpenAPI schema documents the refusals every operation can give, not only its success.

drf-spectacular describes what a view returns when it succeeds. Every operation of Lianfang's API
can also answer 401 (no or a bad token), 403 (the role may not do this, with the reason), 404 (the
record is outside the caller's units, or the page is past the end) and, when it reads input, 400
(what to fix, by field). This post-processing hook adds those answers, with their bodies, to every
operation, so a client generated from the schema handles them and the API fuzz run
(tests/fuzz/) can hold the API to its schema.
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "description": "A refusal: why, in the caller's language.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# {"field": ["message", …], "non_field_errors": [...]} — nested serializers nest the same shape; a
# request body that is not valid JSON gives {"detail": "…"}.
VALIDATION_ERROR = {
    "type": "object",
    "description": "What to fix: messages by field (non_field_errors for the request as a whole), or a detail.",
    "additionalProperties": {},
}

_ANSWERS = {
    "400": ("ValidationError", "The input was refused; nothing was written. The body says what to fix."),
    "401": ("Error", "No valid credentials: sign in or send a valid token."),
    "403": ("Error", "Signed in, but this role may not do this here; the body says why."),
    "404": ("Error", "No such record among those the caller may see (or a page past the end)."),
}
_THROTTLED = ("Error", "Too many attempts: the body says when to try again.")
_UNSUPPORTED = ("Error", "The request body is not in a type this operation reads (send JSON).")
_METHODS = {"get", "put", "post", "patch", "delete"}


def _reads_input(method: str, operation: dict[str, Any]) -> bool:
    return method in {"post", "put", "patch"} or "requestBody" in operation or bool(operation.get("parameters"))


def document_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    throttled = {
        (path, method.lower())
        for path, _regex, method, view in getattr(generator, "endpoints", None) or ()
        if getattr(getattr(view, "cls", None), "throttle_classes", None)
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            answers = dict(_ANSWERS)
            if (path, method) in throttled:
                answers["429"] = _THROTTLED
            if "requestBody" in operation:
                answers["415"] = _UNSUPPORTED
            for status, (component, description) in answers.items():
                if status == "400" and not _reads_input(method, operation):
                    continue
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
                    },
                )
    return result
