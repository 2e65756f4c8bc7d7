"""Fixtures: the bundled sample as a workspace, a copy with private channels, titanium when present."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.world.helpers import CUTOFF, ME
from workgym.world import Episode, World


@pytest.fixture(scope="session")
def world(sample_db: Path) -> World:
    return World.open(sample_db)


@pytest.fixture
def ep(world: World) -> Iterator[Episode]:
    episode = world.episode(cutoff=CUTOFF, persona=ME, seed=1)
    yield episode
    episode.close()


@pytest.fixture(scope="session")
def private_db(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plus a private channel of P0001 and P0002 and a DM of P0003 and P0004, with messages."""
    db = tmp_path_factory.mktemp("private") / "workspace.db"
    shutil.copy(sample_db, db)
    conn = sqlite3.connect(db)
    with conn:
        for cid, name, kind, members in (
            ("G0SECRET", "secret-plans", "private", '["P0001", "P0002"]'),
            ("D0DM34", "dm-p0003-p0004", "dm", '["P0003", "P0004"]'),
        ):
            conn.execute(
                "INSERT INTO channel (id, name, locator, kind, created, creator, members, source_id) "
                "VALUES (?, ?, 'test', ?, '2024-03-01T00:00:00+00:00', 'P0001', ?, 8)",
                (cid, name, kind, members),
            )
            conn.execute(
                "INSERT INTO message (id, channel_id, ts, text, locator, author, source_id) "
                "VALUES (?, ?, '2024-03-10T10:00:00+00:00', ?, 'test', 'P0001', 8)",
                (f"{cid}:1", cid, f"the zebra migration plan, only in {name}"),
            )
    conn.close()
    return db


@pytest.fixture(scope="session")
def private_world(private_db: Path) -> World:
    return World.open(private_db)
