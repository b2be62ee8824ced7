"""The embedded PostgreSQL used when no DATABASE_URL is set.

`pgserver` ships a real PostgreSQL server in a wheel. The server is started on
first use, keeps running after the process that started it exits (so the dev
server's autoreloader, a parallel `ingest` and the test runner share it), and
keeps its data in var/pgdata/. pgserver serialises start-up with a file lock, so
concurrent processes never start two servers on one data folder.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PGDATA = BASE_DIR / "var" / "pgdata"

# Server settings for an archive workload, applied once per data folder.
SERVER_SETTINGS = {
    "shared_buffers": "1GB",
    "effective_cache_size": "8GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "random_page_cost": "1.1",
    "max_connections": "200",
    "jit": "off",
}

_lock = threading.Lock()
_socket_dir: str | None = None


def pgdata_dir() -> Path:
    return Path(os.environ.get("NEWSARCHIVE_PGDATA", DEFAULT_PGDATA)).resolve()


def database_name() -> str:
    """The database used on the embedded server: EMBEDDED_DATABASE_NAME, or newsarchive."""
    return os.environ.get("EMBEDDED_DATABASE_NAME", "newsarchive")


def socket_dir() -> str:
    """Start the embedded server if it is not running; return its Unix-socket folder."""
    global _socket_dir
    with _lock:
        if _socket_dir is None:
            host = _start()
            _ensure_database(host, database_name())
            _socket_dir = host
        return _socket_dir


def _ensure_database(host: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            # Another process may create it first: DuplicateDatabase when its CREATE has
            # committed, UniqueViolation (on pg_database's name index) when both run at once.
            with contextlib.suppress(
                psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation
            ):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _start() -> str:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (as under CI); its fallback is fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    pgdata = pgdata_dir()
    # Made here: pgserver makes a missing folder with exist_ok=False, which fails in all but
    # one of the processes that start at once on a fresh checkout (the test processes of
    # `make test`); its own lock then lets one of them run initdb.
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    host = parse_qs(urlparse(server.get_uri()).query)["host"][0]
    with pgserver.PostgresServer._lock:
        if _apply_settings(pgdata):
            # shared_buffers needs a restart: only ever on the very first start.
            pg_ctl(["-w", "restart"], pgdata=pgdata, user=server.system_user, timeout=60)
    return host


def _apply_settings(pgdata: Path) -> bool:
    """Write SERVER_SETTINGS into the data folder once; True when written now."""
    marker = pgdata / "newsarchive.conf"
    if marker.exists():
        return False
    marker.write_text("".join(f"{key} = '{value}'\n" for key, value in SERVER_SETTINGS.items()))
    conf = pgdata / "postgresql.conf"
    with conf.open("a") as handle:
        handle.write("\ninclude_if_exists = 'newsarchive.conf'\n")
    return True


def stop() -> None:
    """Stop the embedded server (used by `make db-stop`)."""
    pgdata = pgdata_dir()
    if not (pgdata / "postmaster.pid").exists():
        return
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    server = pgserver.get_server(pgdata, cleanup_mode=None)
    pg_ctl(["-w", "stop"], pgdata=pgdata, user=server.system_user, timeout=60)
