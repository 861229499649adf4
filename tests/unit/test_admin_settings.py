"""orders-admin finds the stack to act on without writing the environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli.admin.session import settings_for


def test_database_url_option_wins_and_the_environment_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://from@env/db")
    before = dict(os.environ)

    settings = settings_for("postgresql+asyncpg://from@option/db")

    assert settings.database_url == "postgresql+asyncpg://from@option/db"
    assert dict(os.environ) == before


def test_the_make_dev_stack_fills_in_only_what_the_environment_does_not_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".local").mkdir()
    (tmp_path / ".local" / "stack.env").write_text(
        "DATABASE_URL=postgresql+asyncpg://from@stack/db\nTEMPORAL_ADDRESS=127.0.0.1:7999\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.example:7233")
    before = dict(os.environ)

    settings = settings_for(None)

    assert settings.database_url == "postgresql+asyncpg://from@stack/db"
    assert settings.temporal_address == "temporal.example:7233"
    assert dict(os.environ) == before
