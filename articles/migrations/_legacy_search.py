"""The expression the first migration's generated search columns were defined with.

Those columns (and this expression's SQL) are gone since migration 0011; the early
migrations still name it, so it is frozen here rather than in the app.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Expression, F, Field

from articles.languages import FALLBACK_CONFIG, TEXT_SEARCH_CONFIGS


class RegConfigField(Field):
    def db_type(self, connection: Any) -> str:
        return "regconfig"


class LanguageConfig(Expression):
    """`CASE language WHEN 'en' THEN 'english'::regconfig ... END`, per row."""

    output_field = RegConfigField()

    def __init__(self, language: Any = None) -> None:
        super().__init__()
        self.language = language if language is not None else F("language")

    def get_source_expressions(self) -> list[Any]:
        return [self.language]

    def set_source_expressions(self, exprs: Any) -> None:
        (self.language,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.language)
        whens = " ".join(
            f"WHEN '{code}' THEN '{config}'::regconfig"
            for code, config in sorted(TEXT_SEARCH_CONFIGS.items())
        )
        return f"(CASE {sql} {whens} ELSE '{FALLBACK_CONFIG}'::regconfig END)", params
