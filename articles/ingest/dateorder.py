"""The order of a dump's numeric dates (day first or month first), settled by the dump.

`04-06-2019` is 4 June or 6 April; `12-25-2018` can only be month first, `25-12-2018` only
day first. Within one dump (one `iter_records` call) the first value of a date field that
only one order can read decides that field for every record. Records are streamed, so an
article whose date is still ambiguous waits, with those after it, until its field is
settled, or until WINDOW ambiguous values of that field (or MAX_HELD_CHARS of waiting
text) have gone by without a decision: then `--date-order` (day first by default) applies
to that field. Either way one warning (code `date-order`) says which order was used and why.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from . import dates
from .fields import Draft
from .records import WARNING, RecordError
from .urls import shorten

WINDOW = 5_000  # ambiguous values of one field looked at before the default applies
MAX_HELD_CHARS = 64 << 20  # text of the articles waiting for a decision
_NAMES = {"dmy": "day first", "mdy": "month first"}


@dataclass
class Pending:
    """A draft and what finishing it needs: its file's date context and extra tags."""

    draft: Draft
    ctx: dates.DateContext
    tags: tuple[str, ...] = ()


@dataclass
class _Field:
    order: str | None = None
    ambiguous: int = 0
    first: RecordError | None = None  # where its first ambiguous value was
    why: str = ""  # what settled the order
    noted: bool = False
    contradicted: bool = False


@dataclass
class DateOrders:
    """Decides each date field's order from the dump's values; holds articles meanwhile."""

    default: str = "dmy"
    decided: dict[str, str] = field(default_factory=dict)
    _fields: dict[str, _Field] = field(default_factory=dict)
    _held: deque[Pending] = field(default_factory=deque)
    _held_chars: int = 0
    _notes: list[RecordError] = field(default_factory=list)

    def add(self, pending: Pending) -> list[Pending]:
        """The articles ready to finish, in their order, now that `pending` has come."""
        ambiguous = False
        for name, value in _date_values(pending.draft):
            ambiguous |= self._see(name, value, pending.draft) == "either"
        if not self._held and not (ambiguous and self._waits(pending)):
            return [pending]  # nearly always: nothing waits
        self._held.append(pending)
        self._held_chars += len(pending.draft.body) + len(pending.draft.title)
        if self._held_chars > MAX_HELD_CHARS:
            self._settle_all("the articles waiting for the order filled the look-ahead")
        return self._release()

    def flush(self) -> list[Pending]:
        """Everything still waiting, at the end of the dump (undecided fields take the default)."""
        self._settle_all("no value settles the order")
        return self._release()

    def notes(self) -> list[RecordError]:
        """Warnings (code `date-order`) written since the last call."""
        if not self._notes:
            return self._notes  # empty: called once per article, so no new list
        notes, self._notes = self._notes, []
        return notes

    def _see(self, name: str, value: str, draft: Draft) -> str | None:
        """Take note of one date value; returns what it proves (see dates.numeric_order)."""
        proof = dates.numeric_order(value)
        if proof is None:
            return None
        state = self._fields.setdefault(name, _Field())
        if proof == "either":
            state.ambiguous += 1
            if state.first is None:
                state.first = RecordError(draft.origin, "", draft.line)
        if state.order is None:
            if proof != "either":
                state.order = self.decided[name] = proof
                state.why = f"{shorten(value)!r} proves it"
            elif state.ambiguous >= WINDOW:
                self._settle(name, f"none of its first {WINDOW:,} numeric dates settles it")
        elif proof not in ("either", state.order) and not state.contradicted:
            state.contradicted = True
            self._note(
                draft.origin,
                draft.line,
                f"dates in {name!r} are read {_NAMES[state.order]}, but {shorten(value)!r} "
                f"can only be {_NAMES[proof]}: check the dump (see --date-order)",
            )
        if state.order is not None and state.ambiguous and not state.noted:
            # Said once, and only where it matters: some value of the field reads both ways.
            state.noted = True
            where = state.first or RecordError(draft.origin, "", draft.line)
            self._note(
                where.origin,
                where.line,
                f"dates in {name!r} read {_NAMES[state.order]} ({state.why})",
            )
        return proof

    def _waits(self, pending: Pending) -> bool:
        for name, value in _date_values(pending.draft):
            state = self._fields.get(name)
            if state is not None and state.order is None and dates.numeric_order(value) == "either":
                return True
        return False

    def _settle(self, name: str, why: str) -> None:
        state = self._fields[name]
        state.order = self.decided[name] = self.default
        state.noted = True
        where = state.first or RecordError("", "")
        self._note(
            where.origin,
            where.line,
            f"dates in {name!r} read {_NAMES[self.default]} (--date-order {self.default}): {why}",
        )

    def _settle_all(self, why: str) -> None:
        for name, state in self._fields.items():
            if state.order is None and state.ambiguous:
                self._settle(name, why)

    def _release(self) -> list[Pending]:
        ready = []
        while self._held and not self._waits(self._held[0]):
            pending = self._held.popleft()
            self._held_chars -= len(pending.draft.body) + len(pending.draft.title)
            ready.append(pending)
        return ready

    def _note(self, origin: str, line: int | None, message: str) -> None:
        self._notes.append(RecordError(origin, message, line, WARNING, "date-order"))


def _date_values(draft: Draft) -> list[tuple[str, str]]:
    date, captured = draft.date, draft.captured
    if date is None and captured is None:
        return []
    values = []
    if isinstance(date, str) and draft.published_at is None:
        values.append((draft.date_field or "date", date))
    if isinstance(captured, str):
        values.append((draft.captured_field or "captured", captured))
    return values
