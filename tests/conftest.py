"""Shared fixtures: the sample (raw, anonymized, its tasks) and the real corpora of ../shared/data (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workgym.anonymize.run import anonymize_workspace
from workgym.cli import sample_sources
from workgym.link.build import build_workspace
from workgym.tasks import Task, generate_tasks
from workgym.tasks.generate import Report
from workgym.world import World

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real corpora folder; tests using it skip when it is not beside the project."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real corpora not found at {SHARED_DATA} (clone the project with shared/ beside it)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample ingested once; tests read it and never write to it."""
    db = tmp_path_factory.mktemp("sample") / "workspace.db"
    build_workspace(sample_sources(), db)
    return db


@pytest.fixture(scope="session")
def titanium_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = shared_data / "titanium"
    if not (root / "jira").is_dir():
        pytest.skip(f"the titanium corpus is not under {shared_data}")
    db = tmp_path_factory.mktemp("titanium") / "titanium.db"
    build_workspace([root / "jira", root / "git_alloy"], db)
    return db


ANON_KEY = b"t" * 32
"""The key the anonymized sample is made with."""


@pytest.fixture(scope="session")
def anon_db(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample anonymized, as `workgym demo` makes it (tasks run on anonymized workspaces)."""
    out = tmp_path_factory.mktemp("anon") / "anon.db"
    anonymize_workspace(sample_db, out, ANON_KEY)
    return out


@pytest.fixture(scope="session")
def anon_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ANON_KEY as a key file."""
    path = tmp_path_factory.mktemp("key") / "sample.key"
    path.write_text(f"workgym-key-v1:{ANON_KEY.hex()}\n", encoding="ascii")
    return path


@pytest.fixture(scope="session")
def anon_world(anon_db: Path) -> World:
    return World.open(anon_db)


@pytest.fixture(scope="session")
def sample_tasks(anon_world: World) -> tuple[list[Task], Report]:
    return generate_tasks(anon_world, n=150, seed=0)
