"""The bundled sample workspace is what its generator writes, deterministically."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from workgym.cli import sample_workspace

ROOT = Path(__file__).resolve().parents[1]


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_when_generator_runs_then_it_reproduces_the_checked_in_sample(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_sample.py"), str(tmp_path / "acme")], check=True
    )
    assert tree(tmp_path / "acme") == tree(sample_workspace())


def test_when_manifest_read_then_every_planted_value_is_in_its_file() -> None:
    data = json.loads((sample_workspace() / "MANIFEST.json").read_text())
    kinds = set(data["counts"])
    assert {"api_key", "ip", "credit_card", "iban", "street_address", "phone", "personal_email"} <= kinds
    for item in data["planted"]:
        place = sample_workspace() / item["file"]
        files = [place] if place.is_file() else sorted(place.rglob("*"))
        assert any(item["value"] in f.read_text(encoding="utf-8") for f in files if f.is_file()), item["kind"]
