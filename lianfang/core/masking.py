"""Masking of personal identifiers shown to people who may not see them in full."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """First 6 and last 4 characters of a mainland ID number: ``110105********123X``."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """First 3 and last 4 digits of a phone number: ``138****5678``."""
    if not value:
        return ""
    if len(value) <= 7:
        return value[:1] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """Family name and a star per remaining character (张**), for robot messages and aggregates."""
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_name_middle(value: str | None) -> str:
    """First and last characters (张*伟, 欧**峰; 张* for two): what a gate's screen shows, enough to
    compare with a face while a photo of the screen names no one."""
    if not value:
        return ""
    if len(value) <= 2:
        return mask_name(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]
