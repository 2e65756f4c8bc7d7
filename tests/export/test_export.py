"""Export: every format checked against the schema its trainers expect, round trips, splits, filters, leaks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from workgym.agents import AgentSpec
from workgym.export import ExportLeakError, ExportOptions, export
from workgym.rollout import RunConfig, run
from workgym.tasks import Task, write_tasks


@pytest.fixture(scope="module")
def run_dir(
    tmp_path_factory: pytest.TempPathFactory, anon_db: Path, sample_tasks: tuple[list[Task], Any]
) -> Path:
    """Oracle, noop and random, two tries each, on 7 tasks of each family of the sample's."""
    root = tmp_path_factory.mktemp("export")
    by_family: dict[str, list[Task]] = {}
    for t in sample_tasks[0]:
        by_family.setdefault(t.family, []).append(t)
    tasks = [t for ts in by_family.values() for t in ts[:7]]
    assert len(tasks) == TASKS
    tasks_file = root / "tasks.jsonl"
    write_tasks(tasks, tasks_file)
    agents = [AgentSpec("oracle"), AgentSpec("noop"), AgentSpec("random")]
    run(
        RunConfig(
            workspace=anon_db, tasks=tasks, agents=agents, trials=2, out=root / "run", tasks_file=tasks_file
        )
    )
    return root / "run"


TASKS = 49
"""Tasks in the run: 7 of each of the 7 families (compose included)."""


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def both_splits(folder: Path, stem: str) -> list[dict[str, Any]]:
    return records(folder / f"{stem}.train.jsonl") + records(folder / f"{stem}.test.jsonl")


def check_openai_chat(record: dict[str, Any]) -> None:
    """The OpenAI fine-tuning format for tool use, as its documentation states it."""
    assert set(record) == {"messages", "tools"}
    messages = record["messages"]
    assert (
        messages[0]["role"] == "system"
        and messages[1]["role"] == "user"
        and messages[-1]["role"] == "assistant"
    )
    open_calls: set[str] = set()
    for m in messages:
        assert m["role"] in {"system", "user", "assistant", "tool"}
        assert set(m) <= {"role", "content", "tool_calls", "tool_call_id", "weight"}
        if m["role"] == "assistant" and "tool_calls" in m:
            for call in m["tool_calls"]:
                assert call["type"] == "function" and isinstance(call["function"]["arguments"], str)
                assert set(call) == {"id", "type", "function"} and set(call["function"]) == {
                    "name",
                    "arguments",
                }
                open_calls.add(call["id"])
        elif m["role"] == "tool":
            assert m["tool_call_id"] in open_calls and isinstance(m["content"], str)
        else:
            assert isinstance(m["content"], str)
        if "weight" in m:
            assert m["role"] == "assistant" and m["weight"] in (0, 1)
    for tool in record["tools"]:
        assert tool["type"] == "function" and set(tool["function"]) == {"name", "description", "parameters"}
        assert tool["function"]["parameters"]["type"] == "object"


def test_when_exported_as_openai_chat_then_every_record_fits_the_fine_tuning_schema(
    tmp_path: Path, run_dir: Path
) -> None:
    report = export(
        [run_dir], tmp_path / "sft.jsonl", ExportOptions(formats=["openai-chat"], success_only=True)
    )
    found = both_splits(tmp_path, "sft")
    assert len(found) == report.selected == TASKS  # the oracle's, once each (its two tries are identical)
    for record in found:
        check_openai_chat(record)
    offered = [{t["function"]["name"] for t in r["tools"]} for r in found]
    assert all({"get_ticket", "submit_answer"} <= names for names in offered)
    assert 0 < sum("ask_user" in names for names in offered) < len(offered)  # only clarify tasks have a user


def test_when_exported_as_sharegpt_dpo_react_and_toolformer_then_each_has_its_trainer_s_columns(
    tmp_path: Path, run_dir: Path
) -> None:
    formats = ["sharegpt", "dpo", "react", "toolformer"]
    export([run_dir], tmp_path, ExportOptions(formats=formats, loss_mask=True))
    for r in both_splits(tmp_path, "sharegpt"):
        assert set(r) == {"conversations", "system", "tools"} and isinstance(json.loads(r["tools"]), list)
        assert all(set(turn) == {"from", "value"} for turn in r["conversations"])
        assert {turn["from"] for turn in r["conversations"]} <= {
            "human",
            "function_call",
            "observation",
            "gpt",
        }
        assert r["conversations"][0]["from"] == "human" and r["conversations"][-1]["from"] == "gpt"
    pairs = both_splits(tmp_path, "dpo")
    assert pairs  # the oracle's successes beside noop's or random's failures
    for r in pairs:
        assert {"prompt", "chosen", "rejected"} <= set(r)  # TRL's conversational preference columns
        for column in ("prompt", "chosen", "rejected"):
            assert r[column] and all({"role", "content"} <= set(m) for m in r[column])
        assert [m["role"] for m in r["prompt"]] == ["system", "user"] and r["chosen"] != r["rejected"]
    for r in both_splits(tmp_path, "react"):
        roles = [m["role"] for m in r["messages"]]
        assert roles[:2] == ["system", "user"] and roles[-1] == "assistant"
        assert all(a == "assistant" and u == "user" for a, u in zip(roles[2::2], roles[3::2], strict=False))
        assert (
            r["messages"][-1]["content"].startswith("Thought:")
            and "Final Answer:" in r["messages"][-1]["content"]
        )
    for r in both_splits(tmp_path, "toolformer"):
        text = r["text"]
        for start, end in r["loss_spans"]:
            assert (
                0 <= start < end <= len(text) and " -> " not in text[start:end]
            )  # results are never in a span


def test_when_written_as_parquet_then_datasets_loads_the_same_records_as_the_jsonl(
    tmp_path: Path, run_dir: Path
) -> None:
    datasets = pytest.importorskip("datasets", reason='datasets not installed: pip install "workgym[export]"')
    options = {"formats": ["openai-chat"], "success_only": True, "loss_mask": True}
    export([run_dir], tmp_path / "j" / "sft.jsonl", ExportOptions(**options))
    export([run_dir], tmp_path / "p" / "sft.parquet", ExportOptions(**options, parquet=True))
    loaded = datasets.load_dataset(
        "parquet",
        data_files={s: str(tmp_path / "p" / f"sft.{s}.parquet") for s in ("train", "test")},
    )

    def plain(value: Any) -> Any:  # Arrow gives absent struct fields as null; JSON leaves them out
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    for split in ("train", "test"):
        from_jsonl = records(tmp_path / "j" / f"sft.{split}.jsonl")
        from_parquet = [{**row, "tools": json.loads(row["tools"])} for row in loaded[split]]
        assert plain(from_parquet) == plain(from_jsonl)
    assert (tmp_path / "p" / "sft.card.md").read_text(encoding="utf-8").startswith("---\nconfigs:")


def test_when_split_then_no_task_is_in_both(tmp_path: Path, run_dir: Path) -> None:
    export([run_dir], tmp_path / "rl.jsonl", ExportOptions(formats=["rl"]))
    train = {r["task_id"] for r in records(tmp_path / "rl.train.jsonl")}
    test = {r["task_id"] for r in records(tmp_path / "rl.test.jsonl")}
    assert train and test and not train & test


def test_when_rl_steps_are_exported_then_each_replays_with_its_state_and_reward_at_the_end(
    tmp_path: Path, run_dir: Path
) -> None:
    report = export(
        [run_dir], tmp_path / "rl.jsonl", ExportOptions(formats=["rl"], agents=["oracle"], split=False)
    )
    steps = records(tmp_path / "rl.jsonl")
    assert not any("diverged" in reason for reason in report.dropped)
    by_episode: dict[str, list[dict[str, Any]]] = {}
    for s in steps:
        by_episode.setdefault(s["episode"], []).append(s)
    assert len(by_episode) == TASKS
    for ep in by_episode.values():
        assert [s["step"] for s in ep] == list(range(len(ep)))
        assert [s["done"] for s in ep] == [False] * (len(ep) - 1) + [True]
        assert ep[-1]["reward"] == 1.0 and all(s["reward"] == 0.0 for s in ep[:-1])
        assert isinstance(json.loads(ep[-1]["state_diff"]), dict)
    assert any(json.loads(s["state_diff"]) for s in steps)  # workflow tasks change the state


def test_when_duplicates_are_planted_then_dedupe_and_filters_take_them_out(
    tmp_path: Path, run_dir: Path
) -> None:
    planted = tmp_path / "planted"
    shutil.copytree(run_dir, planted)
    lines = (planted / "trajectories.jsonl").read_text(encoding="utf-8").splitlines()
    copies = [
        json.dumps({**json.loads(line), "trial": json.loads(line)["trial"] + 10}) for line in lines[:30]
    ]
    (planted / "trajectories.jsonl").write_text("\n".join(lines + copies) + "\n", encoding="utf-8")
    kept = export([planted], tmp_path / "a.jsonl", ExportOptions(formats=["openai-chat"], split=False))
    unique = {
        json.dumps([t["task_id"], [s["call"] for s in t["steps"]], t.get("answer")])
        for t in map(json.loads, lines)
    }
    assert kept.selected == len(unique) and kept.dropped["duplicate"] == len(lines) + 30 - len(unique)
    assert len(records(tmp_path / "a.jsonl")) == len(unique)
    every = export(
        [planted], tmp_path / "b.jsonl", ExportOptions(formats=["openai-chat"], split=False, dedupe=False)
    )
    assert every.selected == len(lines) + 30
    good = export(
        [planted], tmp_path / "c.jsonl", ExportOptions(formats=["openai-chat"], split=False, min_reward=1.0)
    )
    assert good.selected == TASKS and good.dropped["reward under the minimum"] > 0
    oracle = export(
        [planted],
        tmp_path / "d.jsonl",
        ExportOptions(formats=["openai-chat"], split=False, agents=["oracle"]),
    )
    assert oracle.selected == TASKS and oracle.dropped["agent not included"] == 2 * 2 * TASKS
    sizes = sorted(len(json.dumps(r, ensure_ascii=False)) for r in records(tmp_path / "d.jsonl"))
    limit = sizes[len(sizes) // 2]
    options = ExportOptions(formats=["openai-chat"], split=False, agents=["oracle"], max_length=limit)
    short = export([planted], tmp_path / "e.jsonl", options)
    kept_sizes = [len(json.dumps(r, ensure_ascii=False)) for r in records(tmp_path / "e.jsonl")]
    assert kept_sizes and max(kept_sizes) <= limit
    assert short.dropped[f"openai-chat: longer than {limit}"] == TASKS - len(kept_sizes) > 0


def test_when_an_agent_invents_a_call_then_negatives_pair_it_with_the_fix(
    tmp_path: Path, run_dir: Path
) -> None:
    planted = tmp_path / "invented"
    shutil.copytree(run_dir, planted)
    lines = [
        json.loads(line) for line in (planted / "trajectories.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    oracle = next(t for t in lines if t["agent"] == "oracle" and len(t["steps"]) >= 2)
    wrong = {
        "call": {"name": "get_tickets", "arguments": {"key": "X"}},
        "observation": "Error: there is no tool",
        "error": "unknown_tool",
        "thought": None,
        "seconds": {"env": 0, "model": 0},
        "tokens": {},
    }
    lines.append({**oracle, "agent": "openai:m", "steps": [wrong, *oracle["steps"]]})
    (planted / "trajectories.jsonl").write_text(
        "".join(json.dumps(t) + "\n" for t in lines), encoding="utf-8"
    )
    export(
        [planted],
        tmp_path / "dpo.jsonl",
        ExportOptions(formats=["dpo"], negatives=True, split=False, agents=["openai"]),
    )
    (pair,) = records(tmp_path / "dpo.jsonl")
    assert pair["rejected"][0]["tool_calls"][0]["function"]["name"] == "get_tickets"
    assert pair["chosen"][0]["tool_calls"][0]["function"]["name"] == oracle["steps"][0]["call"]["name"]
    with_mask = export(
        [planted],
        tmp_path / "m.jsonl",
        ExportOptions(formats=["openai-chat"], split=False, agents=["openai"], loss_mask=True),
    )
    assert with_mask.selected == 1
    (record,) = records(tmp_path / "m.jsonl")
    assert (
        record["messages"][2]["weight"] == 0 and record["messages"][4]["weight"] == 1
    )  # the invented call is not taught


def test_when_a_leak_is_planted_then_export_refuses_and_writes_nothing(
    tmp_path: Path, run_dir: Path, sample_db: Path, anon_key_file: Path, anon_db: Path
) -> None:
    clean = export(
        [run_dir],
        tmp_path / "ok" / "sft.jsonl",
        ExportOptions(formats=["openai-chat"], agents=["oracle"], raw=sample_db, key=anon_key_file),
    )
    assert clean.leak is not None and clean.leak.clean and clean.leak.strings > 1000
    planted = tmp_path / "leaky"
    shutil.copytree(run_dir, planted)
    lines = [
        json.loads(line) for line in (planted / "trajectories.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    step = next(s for t in lines if t["agent"] == "oracle" for s in t["steps"])
    step["observation"] += "\nping Aisha Khan about it"  # a real (sample) person's name, not a surrogate
    (planted / "trajectories.jsonl").write_text(
        "".join(json.dumps(t) + "\n" for t in lines), encoding="utf-8"
    )
    out = tmp_path / "leak" / "sft.jsonl"
    with pytest.raises(ExportLeakError, match="original identifier"):
        export(
            [planted],
            out,
            ExportOptions(formats=["openai-chat"], agents=["oracle"], raw=sample_db, key=anon_key_file),
        )
    assert not out.parent.exists() or not any(out.parent.iterdir())
    wrong_key = tmp_path / "other.key"
    wrong_key.write_text("workgym-key-v1:" + "ab" * 32 + "\n", encoding="ascii")
    with pytest.raises(ValueError, match="did not make the anonymized workspace"):
        export(
            [run_dir],
            tmp_path / "x.jsonl",
            ExportOptions(formats=["openai-chat"], raw=sample_db, key=wrong_key),
        )
