"""Fixtures: the anonymized sample as a world, and its tasks generated once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from workgym.anonymize.run import anonymize_workspace
from workgym.tasks import Task, generate_tasks
from workgym.tasks.generate import Report
from workgym.world import World


@pytest.fixture(scope="session")
def anon_db(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample anonymized, as `workgym demo` makes it (tasks run on anonymized workspaces)."""
    out = tmp_path_factory.mktemp("anon") / "anon.db"
    anonymize_workspace(sample_db, out, b"t" * 32)
    return out


@pytest.fixture(scope="session")
def anon_world(anon_db: Path) -> World:
    return World.open(anon_db)


@pytest.fixture(scope="session")
def sample_tasks(anon_world: World) -> tuple[list[Task], Report]:
    return generate_tasks(anon_world, n=150, seed=0)
