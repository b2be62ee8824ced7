"""Turning dumps into article records: pure Python, no Django import.

The database side (`articles.importer`) only ever sees `ParsedArticle` and
`RecordError` values produced here, through `iter_records`.
"""

from __future__ import annotations

from .reader import FORMATS, ReadProgress, count_inputs, input_size, iter_records
from .records import ParsedArticle, ParseOptions, RecordError

__all__ = [
    "FORMATS",
    "ParseOptions",
    "ParsedArticle",
    "ReadProgress",
    "RecordError",
    "count_inputs",
    "input_size",
    "iter_records",
]
