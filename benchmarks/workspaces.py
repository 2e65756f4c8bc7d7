"""The workspaces the benchmarks measure: the bundled sample, and titanium when ../shared/data has it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from workgym.cli import sample_sources
from workgym.link.build import build_workspace

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def workspaces(folder: Path, data: Path = DEFAULT_DATA) -> Iterator[tuple[str, Path]]:
    """(name, workspace file) for the sample, then titanium (said and skipped when absent)."""
    sample = folder / "sample.db"
    build_workspace(sample_sources(), sample)
    yield "sample", sample
    titanium = data / "titanium"
    if not (titanium / "jira").is_dir():
        print(f"\ntitanium: not found under {data}; skipped")
        return
    db = folder / "titanium.db"
    build_workspace([titanium / "jira", titanium / "git_alloy"], db)
    yield "titanium", db
