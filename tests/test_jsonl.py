"""JSON Lines: lines end at "\\n" only, every value round-trips, a bad line is named, readers never write."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workgym import jsonl
from workgym.agents import AgentSpec
from workgym.export import ExportOptions, export
from workgym.rollout import RunConfig, load_trajectories, run
from workgym.tasks import Task, load_tasks, read_tasks, write_tasks

SEPARATORS = "\u2028\u2029\u0085\x0b\x0c\x1c\x1d\x1e\r"
"""Every character ``str.splitlines`` ends a line at, besides "\\n" (real text holds each)."""
TEXT = f"first{SEPARATORS}last"


def test_when_text_holds_every_line_separator_then_it_round_trips_and_stays_on_one_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.jsonl"
    values: list[Any] = [{"text": TEXT, "list": [TEXT, 1]}, TEXT, {"lone surrogate": "\ud83d!"}]
    assert jsonl.write(path, values) == 3
    assert jsonl.read(path) == values
    written = path.read_text(encoding="utf-8")
    assert len(written.splitlines()) == 3  # escaped: a splitlines-based reader sees three lines too
    assert not set("\u2028\u2029\u0085") & set(written)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(st.text(), st.text() | st.integers() | st.none()), max_size=5))
def test_when_any_records_are_written_then_they_read_back_equal(records: list[dict[str, Any]]) -> None:
    line = "\n".join(jsonl.dumps(r) for r in records)
    assert jsonl.parse(line) == records
    assert len(line.splitlines()) == len(records) or not records


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"a": 1}\r\n{"a": 2}\r\n', [{"a": 1}, {"a": 2}]),  # written on Windows
        (b'\xef\xbb\xbf{"a": 1}\n\n  \n{"a": 2}', [{"a": 1}, {"a": 2}]),  # BOM, blank lines, no last newline
        ('{"a": "x\u2028y"}\n'.encode(), [{"a": "x\u2028y"}]),  # raw U+2028, as other writers leave it
    ],
)
def test_when_a_file_is_read_then_lines_end_at_newlines_only(
    tmp_path: Path, data: bytes, expected: list[Any]
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    assert jsonl.read(path) == expected


@pytest.mark.parametrize(
    ("data", "line", "why"),
    [
        (b'{"a": 1}\n{"a": \n{"a": 3}\n', 2, "not JSON"),  # a broken line in the middle
        (b'{"a": 1}\n\n{"a": "\xff"}\n', 3, "not UTF-8"),  # a bad byte, after a blank line
        (b'{"a": 1}\n{"a": 2', 2, "cut off"),  # the writer stopped mid-line
    ],
)
def test_when_a_line_is_bad_then_the_error_names_the_file_and_the_line(
    tmp_path: Path, data: bytes, line: int, why: str
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    with pytest.raises(jsonl.JsonlError, match=f"x.jsonl:{line}: {why}") as caught:
        jsonl.read(path)
    assert caught.value.line == line and path.read_bytes() == data


def test_when_the_last_line_is_cut_off_then_readers_skip_it_and_only_repair_changes_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.jsonl"
    data = b'{"a": 1}\n{"a": 2}\n{"a": '
    path.write_bytes(data)
    assert jsonl.read(path, cut_off="skip") == [{"a": 1}, {"a": 2}]
    assert jsonl.unended_tail(path) == jsonl.Tail(line=3, offset=18, whole=False)
    assert path.read_bytes() == data  # reading changed nothing
    assert "x.jsonl:3: removed" in (jsonl.repair(path) or "")
    assert path.read_bytes() == data[:18] and jsonl.repair(path) is None


def test_when_the_last_line_only_lacks_its_newline_then_it_is_a_record_and_repair_ends_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}')
    assert jsonl.read(path) == [{"a": 1}, {"a": 2}]
    assert "ended it" in (jsonl.repair(path) or "")
    assert path.read_bytes() == b'{"a": 1}\n{"a": 2}\n'


# -- every stage's files: tasks, trajectories, export records --------------------------------------


def with_separators(task: Task) -> Task:
    return replace(task, instruction=f"{task.instruction} {TEXT}")


def test_when_a_task_holds_line_separators_then_the_tasks_file_round_trips(
    tmp_path: Path, sample_tasks: tuple[list[Task], Any]
) -> None:
    tasks = [with_separators(t) for t in sample_tasks[0][:5]]
    path = tmp_path / "tasks.jsonl"
    write_tasks(tasks, path)
    assert load_tasks(path) == tasks
    assert read_tasks(path.read_text(encoding="utf-8")) == tasks
    assert len(path.read_text(encoding="utf-8").splitlines()) == 5


def test_when_a_trajectory_and_its_export_hold_line_separators_then_they_round_trip(
    tmp_path: Path, anon_db: Path, sample_tasks: tuple[list[Task], Any]
) -> None:
    tasks = [with_separators(t) for t in sample_tasks[0][:4]]
    out = tmp_path / "run"
    config = RunConfig(workspace=anon_db, tasks=tasks, agents=[AgentSpec("oracle")], trials=2, out=out)
    run(config)
    run(config)  # resumed: the file is read back, whole, before anything more is written
    trajectories = load_trajectories(out / "trajectories.jsonl")
    assert len(trajectories) == 8 and all(t["reward"] == 1.0 for t in trajectories)
    assert {t["instruction"] for t in trajectories} == {t.instruction for t in tasks}
    written = export(
        [out], tmp_path / "data" / "sft.jsonl", ExportOptions(formats=["openai-chat"], split=False)
    )
    [(path, count)] = written.files.items()
    records = jsonl.read(Path(path))
    assert count == len(records) == 4  # one per task: the second tries are duplicates
    assert {r["messages"][1]["content"] for r in records} == {t.instruction for t in tasks}
    text = Path(path).read_text(encoding="utf-8")
    assert len(text.splitlines()) == 4 and json.loads(text.splitlines()[0]) == records[0]
