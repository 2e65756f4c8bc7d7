"""The dataset card an export writes with its files, in the Hugging Face layout.

An export into a folder names it ``README.md`` (the Hub's card); an export named by a file
(``sft.jsonl``) names it from that file, ``sft.card.md``, so that no README of the user's is touched.
YAML front matter names the files of each split (so ``datasets.load_dataset(folder)`` finds
them in a folder export); the body says where the data came from (workspace and key
fingerprints, never the key), what it holds (families, agents and models, formats, counts per
split), how it was selected (filters, dedupe, length) and checked (the leak re-scan), and what
its columns mean.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workgym.export.run import ExportOptions, ExportReport

COLUMNS = {
    "openai-chat": "`messages` (system, user, assistant with `tool_calls`, `tool` results, a closing assistant message) and `tools` (the OpenAI function schemas)",
    "react": "`messages` whose assistant turns are Thought / Action / Action Input text and whose user turns are Observation text",
    "sharegpt": "`conversations` of `from`/`value` turns (human, function_call, observation, gpt), `system`, and `tools` as JSON text",
    "toolformer": "`text`: the task, each call inline as `[tool(args) -> result]`, then the answer",
    "dpo": "`prompt` (system and task messages), `chosen` and `rejected` (what followed, in a success and a failure of the same task), `task_id`",
    "rl": "`episode`, `task_id`, `step`, `observation`, `action` (JSON text), `reward` (on the last step), `done`, `state_diff` (JSON text)",
}


def dataset_card(
    report: ExportReport,
    options: ExportOptions,
    trajectories: Sequence[Mapping[str, Any]],
    tasks: Mapping[str, Mapping[str, Any]],
    infos: Sequence[Mapping[str, Any]],
    key_fingerprint: str | None,
) -> str:
    """The card's Markdown."""
    files = {Path(p).name: n for p, n in report.files.items()}
    by_split: dict[str, list[str]] = {}
    for name in files:
        parts = name.split(".")
        split = parts[-2] if len(parts) > 2 else "train"
        by_split.setdefault(split, []).append(name)
    front = ["---", "configs:", "- config_name: default", "  data_files:"]
    for split, names in sorted(by_split.items()):
        front.append(f"  - split: {split}")
        front.append("    path:")
        front += [f"    - {n}" for n in sorted(names)]
    front += ["tags:", "- agents", "- tool-use", "- workgym", "---", ""]
    worlds = sorted({str(t["world"]) for t in trajectories})
    agents = Counter(str(t["agent"]) for t in trajectories)
    families = Counter(
        str(tasks.get(t["task_id"], {}).get("family", t.get("family", "?"))) for t in trajectories
    )
    filters = [
        f"agents: {', '.join(options.agents)}" if options.agents else "agents: all",
        "successes only" if options.success_only else None,
        f"reward at least {options.min_reward}" if options.min_reward is not None else None,
        "identical trajectories once" if options.dedupe else "duplicates kept",
        f"at most {options.max_length} {'tokens' if options.tokenizer else 'characters'} per record"
        if options.max_length
        else None,
        "loss masks: chat `weight`, toolformer `loss_spans`" if options.loss_mask else None,
        "call-level negatives in dpo (invented tools or arguments, with the corrected call)"
        if options.negatives
        else None,
    ]
    leak = report.leak
    leak_line = (
        "Not run (export without --raw and --key)."
        if leak is None
        else f"Every string of every record ({leak.strings:,} in {leak.records:,} records) was matched against every "
        "original identifier of the raw workspace's directory, and for the key: none found."
    )
    body = [
        "# workgym agent trajectories",
        "",
        "Trajectories of agents acting in an anonymized workplace (chat, tracker, docs, mail, calendar, code), "
        "exported for training by `workgym export`.",
        "",
        "## Source",
        "",
        f"- workspace fingerprint(s): {', '.join(f'`{w}`' for w in worlds) or 'unknown'}",
        f"- anonymization key fingerprint: `{key_fingerprint or 'unknown'}` (the key itself is in no file)",
        f"- runs: {len(infos)}; trajectories read: {report.trajectories:,}; selected: {report.selected:,}",
        f"- agents and models: {', '.join(f'{a} ({n})' for a, n in sorted(agents.items()))}",
        f"- task families: {', '.join(f'{f} ({n})' for f, n in sorted(families.items()))}",
        "",
        "## Files",
        "",
        "| file | records |",
        "|---|---|",
        *(f"| {name} | {n:,} |" for name, n in sorted(files.items())),
        "",
        f"Splits: {', '.join(f'{s} {n:,}' for s, n in sorted(report.splits.items()))}. The split follows the tasks' "
        "split, made by entity: no task, and no task's answer, is in two splits.",
        "",
        "## Columns",
        "",
        *(f"- **{fmt}**: {COLUMNS[fmt]}" for fmt in options.formats),
        "",
        "In Parquet files, `tools` is JSON text (tool schemas differ in shape from record to record).",
        "",
        "## Selection",
        "",
        *(f"- {f}" for f in filters if f),
        *(f"- left out: {reason} ({n:,})" for reason, n in sorted(report.dropped.items())),
        "",
        "## Leak check",
        "",
        leak_line,
        "",
    ]
    return "\n".join(front + body)


__all__ = ["COLUMNS", "dataset_card"]
