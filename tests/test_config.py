"""Config: which database, and how it is shown (never with a password)."""

from __future__ import annotations

from pathlib import Path

import pytest

from genie_repo import Config, InvalidInput
from genie_repo.config import DEFAULT_DB_FILE


def test_default_is_sqlite_in_home() -> None:
    config = Config()
    assert config.dialect == "sqlite"
    assert config.sqlite_path == DEFAULT_DB_FILE.expanduser()
    assert config.display_path().endswith("genie.db")


def test_dsn_selects_postgres_and_wins_over_file() -> None:
    assert Config(dsn="postgresql://u@h/db").dialect == "postgres"
    assert Config(db_file="/tmp/x.db", dsn="postgresql://u@h/db").dialect == "postgres"
    assert Config(db_file="/tmp/x.db").dialect == "sqlite"


def test_file_is_shown_verbatim() -> None:
    assert Config(db_file="/data/genie.db").display_path() == "/data/genie.db"


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://alice:s3cret@db.internal:6432/agents",
         "postgresql://alice:***@db.internal:6432/agents"),
        ("postgresql://alice@db.internal/agents", "postgresql://alice@db.internal/agents"),
        ("host=db.internal port=5432 user=alice password=s3cret dbname=agents",
         "postgresql://alice:***@db.internal:5432/agents"),
        ("postgresql://alice@db.internal/agents?password=s3cret&sslmode=require",
         "postgresql://alice:***@db.internal/agents?sslmode=require"),
    ],
)
def test_display_masks_only_the_password(dsn: str, shown: str) -> None:
    config = Config(dsn=dsn)
    assert config.display_path() == shown
    assert "s3cret" not in repr(config)
    assert "s3cret" not in str(config)


def test_yoyo_url_selects_psycopg3() -> None:
    url = Config(dsn="host=h user=u password=p@ss dbname=d").yoyo_url()
    assert url == "postgresql+psycopg://u:p%40ss@h/d"
    assert Config(db_file="/tmp/a.db").yoyo_url() == "sqlite:////tmp/a.db"


def test_from_env(tmp_path: Path) -> None:
    env = {"GENIE_DB_FILE": str(tmp_path / "a.db")}
    assert Config.from_env(env).sqlite_path == tmp_path / "a.db"
    env["GENIE_DB_DSN"] = "postgresql://u@h/d"
    assert Config.from_env(env).dialect == "postgres"
    assert Config.from_env({}).sqlite_path == DEFAULT_DB_FILE.expanduser()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dsn": "postgresql://u@h:notaport/d?x=="},
        {"dsn": "host=h user='unterminated"},
        {"durability": "sometimes"},
        {"busy_timeout_ms": 0},
    ],
)
def test_bad_settings_are_invalid_input(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        Config(**kwargs)  # type: ignore[arg-type]
