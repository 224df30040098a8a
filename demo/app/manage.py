"""A stand-in for the μblog's `python manage.py pre_update`, the command the
migration task runs before any service rolls.

It does what the real one does, against a real PostgreSQL server, with only
the standard library and the `psql` client (no Django, no driver to install):
create the database named by DATABASE_NAME when it is missing, apply the
migrations not yet recorded in `django_migrations`, then "collectstatic".
Every line it prints becomes a CloudWatch log line in the sandbox.

Connection: the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD), as the
real task gets them from its task definition and secrets.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

APP = "blog"
# (name, SQL): applied in order, each in one transaction with its record, so
# a re-run applies nothing and a failed one leaves no half-applied migration.
MIGRATIONS = [
    (
        "0001_initial",
        "CREATE TABLE blog_post (id bigserial PRIMARY KEY, title varchar(200) NOT NULL,"
        " body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());",
    ),
    (
        "0002_post_slug",
        "ALTER TABLE blog_post ADD COLUMN slug varchar(200) NOT NULL DEFAULT '';"
        " CREATE INDEX blog_post_slug ON blog_post (slug);",
    ),
]
LEDGER = (
    "CREATE TABLE IF NOT EXISTS django_migrations (id bigserial PRIMARY KEY,"
    " app varchar(255) NOT NULL, name varchar(255) NOT NULL, applied timestamptz NOT NULL);"
)
# Database names are interpolated into SQL as quoted identifiers: allow only
# what the `<env>-db` convention produces, so no name can break the quoting.
DATABASE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
STATIC = Path(__file__).resolve().parent / "static"


class MigrationError(Exception):
    pass


def psql(database: str, sql: str) -> list[str]:
    """Runs SQL (from stdin, in one transaction) and returns the rows as lines."""
    run = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", database],
        input=sql,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise MigrationError(f"psql exited {run.returncode}: {run.stderr.strip()}")
    return [line for line in run.stdout.splitlines() if line]


def ensure_database(name: str) -> None:
    exists = psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if exists:
        print(f"Database {name!r} exists.")
        return
    # CREATE DATABASE cannot run inside a transaction block: psql without -1.
    run = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", f'CREATE DATABASE "{name}"'],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0 and "already exists" not in run.stderr:
        raise MigrationError(f"could not create database {name!r}: {run.stderr.strip()}")
    print(f"Created database {name!r}.")


def migrate(name: str) -> None:
    psql(name, LEDGER)
    applied = set(psql(name, f"SELECT name FROM django_migrations WHERE app = '{APP}';"))
    pending = [(m, sql) for m, sql in MIGRATIONS if m not in applied]
    print("Operations to perform:")
    print(f"  Apply all migrations: {APP}")
    print("Running migrations:")
    if not pending:
        print("  No migrations to apply.")
    for migration, sql in pending:
        psql(name, f"{sql}\nINSERT INTO django_migrations (app, name, applied) VALUES ('{APP}', '{migration}', now());")
        print(f"  Applying {APP}.{migration}... OK")


def collectstatic(name: str) -> None:
    root = Path(os.environ.get("STATIC_ROOT") or Path(tempfile.gettempdir()) / "ublog-static") / name
    copied = unmodified = 0
    for source in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        target = root / source.relative_to(STATIC)
        if target.exists() and target.read_bytes() == source.read_bytes():
            unmodified += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copied += 1
    print(f"{copied} static files copied to '{root}', {unmodified} unmodified.")


def pre_update() -> int:
    name = os.environ.get("DATABASE_NAME", "")
    if not DATABASE_NAME.match(name):
        print(f"DATABASE_NAME must be a lowercase database name, got {name!r}", file=sys.stderr)
        return 2
    where = f"{os.environ.get('PGHOST', 'localhost')}:{os.environ.get('PGPORT', '5432')}"
    print(f"pre_update: database {name!r} on {where}")
    try:
        ensure_database(name)
        migrate(name)
        collectstatic(name)
    except (MigrationError, OSError) as err:
        print(f"pre_update failed: {err}", file=sys.stderr)
        return 1
    print("pre_update: done")
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] != ["pre_update"]:
        print("usage: python manage.py pre_update", file=sys.stderr)
        return 2
    # Line-buffered, so each line reaches the log stream as it is printed.
    sys.stdout.reconfigure(line_buffering=True)
    return pre_update()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
