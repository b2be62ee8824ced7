"""`python -m newsarchive.serve` (what `make run` does): this checkout served the way the
archive is served in production, on 127.0.0.1.

gunicorn with `DEBUG` off, static files collected and served by WhiteNoise, the site's own
error pages, and a secret key generated once and kept in `var/secret_key` (readable by its
owner only). Plain HTTP on the loopback address, so HTTPS redirects and secure-only cookies
are off; everything else is as in production. Without `DATABASE_URL` it serves the embedded
PostgreSQL, asked for explicitly as the settings require.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_FILE = ROOT / "var" / "secret_key"
# Two cores: one worker per core and one more, as gunicorn's documentation suggests.
WORKERS = 3


def local_secret_key(path: Path) -> str:
    """The secret key kept in `path`, made on first use (50+ random characters, mode 600)."""
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 50:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    os.chmod(path, 0o600)
    return key


def server_environment(port: int, secret_file: Path) -> dict[str, str]:
    """The environment of a local production-like server."""
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        SECRET_KEY=local_secret_key(secret_file),
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
    )
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env.setdefault("CSRF_TRUSTED_ORIGINS", f"http://127.0.0.1:{port},http://localhost:{port}")
    if not env.get("DATABASE_URL"):
        env["USE_EMBEDDED_DATABASE"] = "true"
    return env


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--secret-file", type=Path, default=SECRET_FILE)
    args = parser.parse_args(argv)
    env = server_environment(args.port, args.secret_file)
    python = sys.executable
    collect = [python, "manage.py", "collectstatic", "--no-input", "-v", "0"]
    collected = subprocess.run(collect, cwd=ROOT, env=env)  # noqa: S603 -- fixed arguments
    if collected.returncode:
        raise SystemExit(collected.returncode)
    print(f"Serving the archive at http://127.0.0.1:{args.port}/ (Ctrl-C stops)", flush=True)
    command = [
        python,
        "-m",
        "gunicorn",
        "newsarchive.wsgi",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--access-logfile",
        "-",
    ]
    os.chdir(ROOT)
    os.execve(python, command, env)  # noqa: S606 -- our own interpreter, fixed arguments


if __name__ == "__main__":
    main()
