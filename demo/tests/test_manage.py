"""demo/app/manage.py against a real PostgreSQL: what the migration task does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MANAGE = Path(__file__).resolve().parents[1] / "app" / "manage.py"


def pre_update(env: dict[str, str], database: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(MANAGE), "pre_update"],
        env=dict(env, DATABASE_NAME=database), capture_output=True, text=True,
    )


def sql(env: dict[str, str], database: str, query: str) -> list[str]:
    run = subprocess.run(["psql", "-X", "-At", "-d", database, "-c", query], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout.split()


def test_creates_the_database_and_applies_every_migration(postgres):
    run = pre_update(postgres, "create-db")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Created database 'create-db'." in run.stdout
    assert "Applying blog.0001_initial... OK" in run.stdout
    assert sql(postgres, "create-db", "SELECT name FROM django_migrations ORDER BY id") == [
        "0001_initial",
        "0002_post_slug",
    ]
    assert "slug" in sql(postgres, "create-db", "SELECT column_name FROM information_schema.columns WHERE table_name = 'blog_post'")


def test_a_rerun_applies_nothing_and_copies_nothing(postgres):
    assert pre_update(postgres, "rerun-db").returncode == 0
    run = pre_update(postgres, "rerun-db")
    assert run.returncode == 0, run.stdout
    assert "Database 'rerun-db' exists." in run.stdout
    assert "No migrations to apply." in run.stdout
    assert "0 static files copied" in run.stdout and "3 unmodified" in run.stdout
    assert sql(postgres, "rerun-db", "SELECT count(*) FROM django_migrations") == ["2"]


def test_two_envs_share_one_server(postgres):
    for database in ("alpha-db", "beta-db"):
        assert pre_update(postgres, database).returncode == 0
    names = sql(postgres, "postgres", "SELECT datname FROM pg_database")
    assert {"alpha-db", "beta-db"} <= set(names)


def test_refuses_a_name_that_could_break_out_of_the_quoting(postgres):
    run = pre_update(postgres, 'x"; DROP DATABASE postgres; --')
    assert run.returncode == 2
    assert "DATABASE_NAME must be" in run.stderr


def test_an_unreachable_server_fails_the_task(postgres):
    run = pre_update(dict(postgres, PGPORT="1"), "never-db")
    assert run.returncode == 1
    assert "pre_update failed" in run.stderr
