"""Full-text search: the stored vector definitions (query building is added below them).

Each article is indexed with the text-search configuration of its own language,
chosen per row by `LanguageConfig`, so stemming is right for every language the
archive holds. Two vectors are stored, both as generated columns:

- `search_vector`: title (weight A) and the whole body (weight B), GIN-indexed,
  used for matching.
- `rank_vector`: title (A) and the lead of the body (B). It is small enough to
  stay inline in the heap row, so ranking thousands of matches never reads the
  full vector out of TOAST.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchVector
from django.db.models import Expression, F, Field
from django.db.models.functions import Left

from .languages import FALLBACK_CONFIG, TEXT_SEARCH_CONFIGS

# Characters of body that the ranking vector covers (about the first 100 words).
RANK_LEAD_CHARS = 700


class RegConfigField(Field):
    def db_type(self, connection: Any) -> str:
        return "regconfig"


class LanguageConfig(Expression):
    """`CASE language WHEN 'en' THEN 'english'::regconfig ... END`.

    Every branch is a regconfig constant, so the expression is immutable and may
    be used in a generated column (a text-to-regconfig cast of a column is not).
    """

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


def search_vector_expression() -> Any:
    return SearchVector("title", config=LanguageConfig(), weight="A") + SearchVector(
        "body", config=LanguageConfig(), weight="B"
    )


def rank_vector_expression() -> Any:
    return SearchVector("title", config=LanguageConfig(), weight="A") + SearchVector(
        Left("body", RANK_LEAD_CHARS), config=LanguageConfig(), weight="B"
    )
