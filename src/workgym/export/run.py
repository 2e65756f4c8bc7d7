"""From run folders to a training dataset: select, convert, split, check for leaks, write, describe.

::

    report = export([Path("runs/base")], Path("data/sft.jsonl"), ExportOptions(formats=["openai-chat"]))

Selection: agents to include, success only or a minimum reward, identical trajectories once
(same task, same calls, same answer), a maximum length. The split follows the tasks' own split
(by entity, so no task and no answer is in two splits); a trajectory whose task is unknown is
split by a hash of its task id. Every record of every format is built first and re-scanned for
leaks when the raw workspace and key are given: on a leak nothing is written. Then each split's
records go to ``<stem>.<split><suffix>`` (JSONL, or Parquet through ``datasets``).

Where: ``out`` names a file (``data/sft.jsonl``: one format) or a folder (``data``: no suffix, an
existing folder, or several formats). A file's outputs are named from it: ``sft.train.jsonl``,
``sft.test.jsonl``, the dataset card ``sft.card.md`` and the manifest ``sft.manifest.json``. A
folder gets ``<format>.<split>.jsonl``, the card as ``README.md`` (the Hugging Face layout) and
``manifest.json``. The manifest lists every file the export wrote, with its sha256: a later export
replaces those (unchanged since) and removes the ones it no longer writes, and refuses any other
file in its way unless ``force`` (:mod:`workgym.outputs`). Every file is written to a temporary
one first and renamed into place at the end, so an export that fails leaves the old one whole.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workgym import __version__, jsonl
from workgym.anonymize.keys import load_key
from workgym.export.card import dataset_card
from workgym.export.formats import CONVERTERS, FORMATS, Record, Trajectory
from workgym.export.leaks import ExportLeakError, LeakCheck, LeakScanner
from workgym.export.pairs import dpo_pairs, negative_pairs
from workgym.export.steps import rl_steps
from workgym.outputs import FOLDER, MANIFEST, Manifest, Staged, claim, remove_own, sha256
from workgym.world import World
from workgym.world.fts import ro_uri

PARQUET_JSON_COLUMNS = frozenset({"tools"})
"""Columns Parquet holds as JSON text: their shape varies from record to record (tool schemas)."""


@dataclass
class ExportOptions:
    """How to export.

    Attributes:
        formats: one or more of :data:`FORMATS`.
        agents: agent labels (``openai:qwen3``) or kinds (``openai``) to include; default all.
        success_only: only trajectories that solved their task (not for dpo, which needs failures).
        min_reward: only trajectories with at least this reward (likewise).
        dedupe: identical trajectories once.
        max_length: drop records longer than this, in characters (or tokens with ``tokenizer``).
        tokenizer: ``tiktoken`` to count tokens (cl100k_base, from its local cache); default characters.
        split: write one file per split (else one file).
        test_share: the share of unknown tasks sent to the test split.
        loss_mask: mark model-written spans (chat ``weight``, toolformer ``loss_spans``).
        negatives: add call-level negative pairs to ``dpo`` (invented tools or arguments, corrected).
        parquet: write Parquet through ``datasets`` (else JSONL); set by the output's suffix.
        raw: the raw workspace, for the final leak check (with ``key``).
        key: the key file the workspace was anonymized with.
        workspace: the workspace the runs used (for ``rl`` replay; default from the run's run.json).
        force: replace files in the way that no earlier export wrote (never an input).
    """

    formats: Sequence[str]
    agents: Sequence[str] = ()
    success_only: bool = False
    min_reward: float | None = None
    dedupe: bool = True
    max_length: int | None = None
    tokenizer: str | None = None
    split: bool = True
    test_share: float = 0.2
    loss_mask: bool = False
    negatives: bool = False
    parquet: bool = False
    raw: Path | None = None
    key: Path | None = None
    workspace: Path | None = None
    force: bool = False


@dataclass
class ExportReport:
    """What an export wrote and left out."""

    files: dict[str, int] = field(default_factory=dict)
    trajectories: int = 0
    selected: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    splits: Counter[str] = field(default_factory=Counter)
    leak: LeakCheck | None = None
    card: Path | None = None
    manifest: Path | None = None


def _load(
    runs: Sequence[Path],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], list[dict[str, Any]]]:
    from workgym.rollout import load_trajectories, run_info, run_tasks

    trajectories: list[dict[str, Any]] = []
    tasks: dict[str, dict[str, Any]] = {}
    for run_dir in runs:
        path = run_dir / "trajectories.jsonl"
        if not path.is_file():
            raise FileNotFoundError(f"{run_dir}: no trajectories.jsonl; run `workgym run` into it first")
        trajectories += load_trajectories(path)
        tasks.update(run_tasks(run_dir))  # the folder's own copy: a moved folder keeps its tasks
    return trajectories, tasks, [run_info(r) for r in runs]


def _cut_off(runs: Sequence[Path]) -> int:
    """How many run files end in a line cut off mid-way (a run killed or still writing): left out."""
    from workgym.rollout.runner import cut_off_line

    return sum(cut_off_line(r / "trajectories.jsonl") is not None for r in runs)


def _replay_world(workspace: Path | None, infos: Sequence[Mapping[str, Any]], named: bool) -> World:
    """The workspace rl replays on: the runs' own (run.json), checked by its fingerprint."""
    if workspace is None:
        raise ValueError("rl needs the workspace the runs used: --workspace anon.db")
    if not workspace.is_file():
        where = "" if named else " (the one their run.json names)"
        raise ValueError(
            f"rl needs the workspace the runs used{where}, {workspace}: not there; --workspace anon.db"
        )
    world = World.open(workspace)
    other = sorted({str(i["world"]) for i in infos if i.get("world")} - {world.fingerprint})
    if other:
        raise ValueError(
            f"{workspace} is not the workspace the runs used (a run's world is {other[0][:12]}…, "
            f"this one is {world.fingerprint[:12]}…); --workspace the one they ran on"
        )
    return world


def _included(t: Trajectory, agents: Sequence[str]) -> bool:
    label = str(t["agent"])
    return label in agents or label.split(":", 1)[0] in agents


def _length(record: Record, tokenizer: Any) -> int:
    text = json.dumps(record, ensure_ascii=False)
    return len(tokenizer.encode(text)) if tokenizer is not None else len(text)


def _tokenizer(name: str | None) -> Any:
    if name is None:
        return None
    if name != "tiktoken":
        raise ValueError(f"unknown tokenizer {name!r} (tiktoken, or none to count characters)")
    try:
        import tiktoken

        return tiktoken.get_encoding("cl100k_base")
    except Exception as exc:  # not installed, or its encoding is not in the local cache (no download)
        raise ValueError(
            f"tiktoken's cl100k_base is not available offline here ({type(exc).__name__})"
        ) from None


def _split_of(t: Trajectory, tasks: Mapping[str, Mapping[str, Any]], test_share: float) -> str:
    known = tasks.get(t["task_id"], {}).get("split") or t.get("split")
    if known:
        return str(known)
    digest = hashlib.sha256(str(t["task_id"]).encode()).digest()
    return "test" if int.from_bytes(digest[:8], "big") / 2**64 < test_share else "train"


def _select(
    trajectories: list[dict[str, Any]], options: ExportOptions, report: ExportReport, *, keep_failures: bool
) -> list[dict[str, Any]]:
    out = []
    seen: set[str] = set()
    for t in trajectories:
        if options.agents and not _included(t, options.agents):
            report.dropped["agent not included"] += 1
            continue
        if not keep_failures and options.success_only and t["reward"] < 1.0:
            report.dropped["not a success"] += 1
            continue
        if not keep_failures and options.min_reward is not None and t["reward"] < options.min_reward:
            report.dropped["reward under the minimum"] += 1
            continue
        if t.get("failure"):
            report.dropped[f"failed at the {t['failure']['boundary']}"] += 1
            continue
        if options.dedupe:
            same = json.dumps(
                [t["task_id"], [s["call"] for s in t["steps"]], t.get("answer")],
                sort_keys=True,
                ensure_ascii=False,
            )
            if same in seen:
                report.dropped["duplicate"] += 1
                continue
            seen.add(same)
        out.append(t)
    return out


def _records(
    fmt: str,
    trajectories: list[dict[str, Any]],
    tasks: Mapping[str, Mapping[str, Any]],
    options: ExportOptions,
    world: World | None,
) -> tuple[list[Record], int]:
    if fmt in CONVERTERS:
        return [CONVERTERS[fmt](t, loss_mask=options.loss_mask) for t in trajectories], 0
    if fmt == "dpo":
        records = dpo_pairs(trajectories)
        if options.negatives:
            gold = {tid: task.get("gold", []) for tid, task in tasks.items()}
            records += negative_pairs(trajectories, gold)
        return records, 0
    if fmt == "rl":
        if world is None:
            raise ValueError("rl needs the workspace the runs used: --workspace anon.db")
        return rl_steps(world, trajectories, tasks)
    raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")


def _with_task(
    trajectories: list[dict[str, Any]], tasks: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each trajectory with its task's tools (the schemas a chat record lists) and instruction."""
    out = []
    for t in trajectories:
        task = tasks.get(t["task_id"], {})
        out.append(
            {
                **t,
                "tools": task.get("tools"),
                "instruction": t.get("instruction") or task.get("instruction", ""),
            }
        )
    return out


def export(runs: Sequence[Path], out: Path, options: ExportOptions) -> ExportReport:
    """Export the runs' trajectories as training data; see the module doc.

    Raises:
        ExportLeakError: the records hold original identifiers or the key (nothing is written).
        ValueError: an unknown format, a key that did not make the workspace, rl without a workspace.
        FileNotFoundError: a run folder without trajectories.
    """
    unknown = [f for f in options.formats if f not in FORMATS]
    if unknown or not options.formats:
        raise ValueError(f"unknown formats {unknown}; formats: {', '.join(FORMATS)}")
    report = ExportReport()
    trajectories, tasks, infos = _load(runs)
    report.trajectories = len(trajectories)
    if cut_off := _cut_off(runs):
        report.dropped["a last line cut off (run again to resume)"] += cut_off
    trajectories = _with_task(trajectories, tasks)
    workspace = options.workspace or next((Path(i["workspace"]) for i in infos if i.get("workspace")), None)
    world = (
        _replay_world(workspace, infos, options.workspace is not None) if "rl" in options.formats else None
    )
    tokenizer = _tokenizer(options.tokenizer)
    built: dict[tuple[str, str], list[Record]] = {}
    main = _select(trajectories, options, report, keep_failures=False)
    with_failures = (
        _select(trajectories, options, ExportReport(), keep_failures=True) if "dpo" in options.formats else []
    )
    report.selected = len(main)
    for fmt in options.formats:
        chosen = with_failures if fmt == "dpo" else main
        by_split: dict[str, list[dict[str, Any]]] = {}
        for t in chosen:
            by_split.setdefault(
                _split_of(t, tasks, options.test_share) if options.split else "all", []
            ).append(t)
        for split, ts in sorted(by_split.items()):
            records, diverged = _records(fmt, ts, tasks, options, world)
            if diverged:
                report.dropped[f"{fmt}: replay diverged"] += diverged
            if options.max_length is not None:
                kept = [r for r in records if _length(r, tokenizer) <= options.max_length]
                report.dropped[f"{fmt}: longer than {options.max_length}"] += len(records) - len(kept)
                records = kept
            built[(fmt, split)] = records
    if options.raw is not None or options.key is not None:
        report.leak = _leak_check(built, options, workspace)
        if not report.leak.clean:
            raise ExportLeakError(
                f"{report.leak.leaks} original identifier(s){' and the key' if report.leak.key_found else ''} "
                f"in the export ({', '.join(report.leak.where[:5])}); nothing was written"
            )
    into_folder = _into_folder(out, options)
    folder = out if into_folder else out.parent
    stem = out.name.removesuffix(out.suffix)
    card = folder / ("README.md" if into_folder else f"{stem}.card.md")
    manifest = Manifest.read(folder / ("manifest.json" if into_folder else f"{stem}.manifest.json"))
    planned = [
        (_path(out, fmt, split, options, into_folder), split, records)
        for (fmt, split), records in built.items()
        if records
    ]
    earlier = manifest.made("a file of an earlier export")
    claim(
        [
            *([(folder, FOLDER)] if into_folder else []),
            *((path, earlier) for path, _, _ in planned),
            (card, earlier),
            (manifest.path, MANIFEST),
        ],
        inputs=_inputs(runs, infos, options, workspace),
        force=options.force,
    )
    written: dict[str, str] = {}
    with Staged() as stage:
        for path, split, records in planned:
            _write(records, stage.path(path), options.parquet)
            written[path.name] = sha256(stage.path(path))
            report.files[str(path)] = len(records)
            report.splits[split] += len(records)
        text = dataset_card(report, options, trajectories, tasks, infos, _anonymized_fingerprint(workspace))
        stage.path(card).write_text(text, encoding="utf-8")
        written[card.name] = sha256(stage.path(card))
        stage.path(manifest.path).write_text(
            manifest.text(written, formats=list(options.formats), workgym_version=__version__), "utf-8"
        )
    for stale in sorted(set(manifest.files) - set(written)):  # an earlier export's, not written now
        remove_own(folder / stale, earlier)
    report.card, report.manifest = card, manifest.path
    return report


def _into_folder(out: Path, options: ExportOptions) -> bool:
    """Whether ``out`` names a folder (several formats, no suffix, or a folder already) or a file."""
    return len(options.formats) > 1 or not out.suffix or out.is_dir()


def _inputs(
    runs: Sequence[Path], infos: Sequence[Mapping[str, Any]], options: ExportOptions, workspace: Path | None
) -> list[Path | None]:
    """Every path the export reads, none of which it may write."""
    read: list[Path | None] = [options.raw, options.key, workspace]
    for run_dir, info in zip(runs, infos, strict=True):
        read += [run_dir, *(run_dir / name for name in ("trajectories.jsonl", "run.json", "summary.json"))]
        read += [run_dir / "tasks.jsonl", Path(info["tasks_file"]) if info.get("tasks_file") else None]
    return read


def _anonymized_fingerprint(workspace: Path | None) -> str | None:
    if workspace is None or not workspace.is_file():
        return None
    conn = sqlite3.connect(ro_uri(workspace), uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'key_fingerprint'").fetchone()
    finally:
        conn.close()
    return str(row[0]) if row else None


def _leak_check(
    built: Mapping[tuple[str, str], list[Record]], options: ExportOptions, workspace: Path | None
) -> LeakCheck:
    if options.raw is None or options.key is None:
        raise ValueError("the leak check needs both --raw (the raw workspace) and --key")
    key = load_key(options.key)
    expected = _anonymized_fingerprint(workspace)
    scanner = LeakScanner(options.raw, key, expected)
    total = LeakCheck()
    for (fmt, split), records in built.items():
        found = scanner.scan(records, label=f"{fmt}/{split} record")
        total.records += found.records
        total.strings += found.strings
        total.leaks += found.leaks
        total.by_kind.update(found.by_kind)
        total.where += found.where
        total.key_found |= found.key_found
    total.where = total.where[:20]
    return total


def _path(out: Path, fmt: str, split: str, options: ExportOptions, into_folder: bool) -> Path:
    suffix = ".parquet" if options.parquet else ".jsonl"
    if into_folder:
        stem, folder = fmt, out
    else:
        stem, folder = out.name.removesuffix(out.suffix), out.parent
    name = f"{stem}{suffix}" if split == "all" else f"{stem}.{split}{suffix}"
    return folder / name


def _write(records: list[Record], path: Path, parquet: bool) -> None:
    if not parquet:
        jsonl.write(path, records)
        return
    try:
        import datasets
    except ImportError:
        raise ValueError('Parquet is written through `datasets`: pip install "workgym[export]"') from None
    rows = [
        {
            k: json.dumps(v, ensure_ascii=False, sort_keys=True) if k in PARQUET_JSON_COLUMNS else v
            for k, v in r.items()
        }
        for r in records
    ]
    datasets.Dataset.from_list(rows).to_parquet(str(path))


__all__ = ["PARQUET_JSON_COLUMNS", "ExportLeakError", "ExportOptions", "ExportReport", "export"]
