"""CSV (and TSV) dumps with a header row, using the same column names as JSON fields."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from . import limits
from .encoding import TextSource
from .fields import Draft, draft_from_mapping, field_kind
from .records import RecordError

# Article bodies are longer than the csv module's default 128 KB field limit; an unclosed
# quote must still end at a limit, not swallow the rest of a file into one field.
csv.field_size_limit(limits.MAX_CSV_FIELD)


class _RecordTooLarge(Exception):
    pass


class _Lines:
    """The stream's lines for the csv reader, refusing a record over MAX_CSV_RECORD."""

    def __init__(self, stream: TextSource) -> None:
        self.stream = stream
        self.chars = 0  # of the record being read

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(limits.MAX_CSV_RECORD + 1)
        if not line:
            raise StopIteration
        self.chars += len(line)
        if self.chars > limits.MAX_CSV_RECORD:
            raise _RecordTooLarge
        return line


DELIMITERS = ",;\t|"


def guess_delimiter(header: str) -> str:
    """The delimiter the header line uses most (comma on a tie)."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def looks_like_csv_header(line: str) -> bool:
    """A header row naming article columns ('title,body,date'), not an article's first line."""
    delimiter = guess_delimiter(line)
    if delimiter not in line:
        return False
    names = [name.strip().strip('"').strip() for name in line.split(delimiter)]
    kinds = [field_kind(name) for name in names if name]
    if not any(kind in ("title", "body") for kind in kinds):
        return False
    return sum(1 for kind in kinds if kind) * 2 >= len(names) and all(len(n) <= 40 for n in names)


def iter_csv(
    stream: TextSource, origin: str, *, delimiter: str | None = None
) -> Iterator[Draft | RecordError]:
    """One article per row; a row that does not fit the header is reported with its line."""
    header_line = stream.readline(limits.MAX_CSV_RECORD)
    consumed = 1
    while header_line and not header_line.strip():
        header_line = stream.readline(limits.MAX_CSV_RECORD)
        consumed += 1
    if len(header_line) >= limits.MAX_CSV_RECORD:
        yield RecordError(origin, "CSV header row over the limit", consumed, code="too-large")
        return
    if not header_line:
        yield RecordError(origin, "empty CSV file (no header row)")
        return
    delimiter = delimiter or guess_delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    header = [name.strip() for name in header]
    if not any(field_kind(name) in ("title", "body") for name in header):
        shown = ", ".join(name for name in header[:10] if name) or "none"
        yield RecordError(
            origin, f"CSV header has no title or body column (columns: {shown})", consumed
        )
        return
    lines = _Lines(stream)
    reader = csv.reader(lines, delimiter=delimiter)
    previous_end = consumed
    try:
        for row in reader:
            lines.chars = 0
            start = previous_end + 1
            previous_end = reader.line_num + consumed
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
                yield RecordError(
                    origin, f"row has {len(row)} fields but the header has {len(header)}", start
                )
                continue
            yield draft_from_mapping(dict(zip(header, row, strict=False)), origin, start)
    except _RecordTooLarge:
        yield RecordError(
            origin,
            f"CSV record over the limit of {limits.MAX_CSV_RECORD >> 20} MB (an unclosed quote?): "
            "the rest of the file is not read",
            previous_end + 1,
            code="too-large",
        )
    except csv.Error as error:
        too_large = "field larger than field limit" in str(error)
        message = (
            f"CSV field over the limit of {limits.MAX_CSV_FIELD >> 20} MB (an unclosed quote?): "
            "the rest of the file is not read"
            if too_large
            else f"invalid CSV: {error}"
        )
        code = "too-large" if too_large else ""
        yield RecordError(origin, message, previous_end + 1, code=code)
