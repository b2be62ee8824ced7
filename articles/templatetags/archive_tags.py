"""Small template helpers for the reader pages."""

from __future__ import annotations

from typing import Any

from django import template

from articles.languages import RTL_LANGUAGES

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping[key]` in a template (dicts and dataclasses alike); None when absent."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return getattr(mapping, key, None)


@register.filter
def text_dir(language: str) -> str:
    """The `dir` for text in `language`: rtl for Arabic and the like, auto otherwise."""
    return "rtl" if language in RTL_LANGUAGES else "auto"
