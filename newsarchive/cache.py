"""The cache every web process shares: Django's database cache with atomic counters.

The rate limits count each client's requests in it. Django's DatabaseCache adds and
increments by reading, then writing (and counts the whole table before each write): eight
threads incrementing one counter 25 times each left it at 34, not 200, so a client sending
requests in parallel was barely counted. Here `add` is one INSERT ... ON CONFLICT and `incr`
of a number one UPDATE, each atomic in PostgreSQL, one statement per rate-limited request.
"""

from __future__ import annotations

import base64
import pickle
from datetime import UTC, datetime
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router

# A number is stored as its text pickle ("I42\n.", base64-encoded like every value), which
# Django's get() reads like any other value and PostgreSQL can rewrite in place.
_NUMBER = r"^I-?[0-9]+\n\.$"
_STORED_TEXT = "encode(decode(value, 'base64'), 'escape')"


def _encode(value: Any, protocol: int) -> str:
    pickled = f"I{value}\n.".encode() if type(value) is int else pickle.dumps(value, protocol)
    return base64.b64encode(pickled).decode("latin1")


class DatabaseCache(DjangoDatabaseCache):
    def _table_name(self) -> tuple[str, Any]:
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        return connection.ops.quote_name(self._table), connection  # type: ignore[attr-defined]

    def _expiry(self, timeout: Any) -> datetime:
        seconds = self.get_backend_timeout(timeout)
        if seconds is None:
            return datetime.max.replace(tzinfo=UTC)
        return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=0)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        """Store `value` unless a live entry holds `key` (an expired one is replaced)."""
        key = self.make_and_validate_key(key, version=version)
        table, connection = self._table_name()
        now = datetime.now(tz=UTC)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s) "  # noqa: S608
                f"ON CONFLICT (cache_key) DO UPDATE SET value = EXCLUDED.value, "
                f"expires = EXCLUDED.expires WHERE {table}.expires < %s RETURNING 1",
                [key, _encode(value, self.pickle_protocol), self._expiry(timeout), now],
            )
            added = cursor.fetchone() is not None
            if added:
                # A new entry (a client's first request of a window): the moment to drop
                # the expired ones, so the table holds only live counters.
                cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608
        return added

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        """Add `delta` to the number under `key`, counting every concurrent caller."""
        cache_key = self.make_and_validate_key(key, version=version)
        table, connection = self._table_name()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET value = encode(convert_to('I' || "  # noqa: S608
                f"(substring({_STORED_TEXT} FROM '^I(-?[0-9]+)')::bigint + %s) "
                f"|| E'\\n.', 'UTF8'), 'base64') "
                f"WHERE cache_key = %s AND expires >= %s AND {_STORED_TEXT} ~ %s "
                "RETURNING value",
                [delta, cache_key, datetime.now(tz=UTC), _NUMBER],
            )
            row = cursor.fetchone()
        if row is None:  # missing, expired, or not a number stored by this class
            return super().incr(key, delta, version=version)
        return pickle.loads(base64.b64decode(row[0]))  # noqa: S301 (written just above)
