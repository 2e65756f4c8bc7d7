"""Prompt tokens per task: every tool (the baseline) against the focused tool sets, full and compact.

The sample's tasks (mined from the anonymized sample, n=150, seed 0) are mined once; each task's
first prompt (the system message: policy and opening text; the instruction; the tool schemas) is
measured three ways, side by side on the same tasks:

1. **all tools**: the baseline, what every task carried before the focused sets (all 28, with
   ``ask_user`` for tasks with a user);
2. **focused**: the task's own tools (:mod:`workgym.tasks.toolsets`), full schemas;
3. **focused, compact**: the same with ``compact`` schemas (no size limits, empty defaults or examples).

Tokens are counted by the first of these that is installed (nothing is downloaded):

- the local model's own tokenizer and chat template (``workgym[llm]``: llama.cpp's
  ``/apply-template`` then ``/tokenize``): exactly what that server prefills;
- tiktoken's cl100k_base, when its encoding is already in tiktoken's cache;
- an estimate, characters / 3.6 (the ratio the Qwen tokenizer gives on these prompts).

    python benchmarks/bench_prompt_tokens.py [--n 150]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from workgym.agents.base import POLICY
from workgym.anonymize.run import anonymize_workspace
from workgym.cli import sample_sources
from workgym.link.build import build_workspace
from workgym.tasks import Task, generate_tasks
from workgym.world import World

CHARS_PER_TOKEN = 3.6
"""The estimate's ratio (measured with the Qwen2.5 tokenizer on these prompts; see docs/BENCHMARKS.md)."""

Counter = Callable[[list[dict[str, str]], list[dict[str, Any]]], int]


def messages_of(world: World, task: Task, tools: tuple[str, ...]) -> list[dict[str, str]]:
    """The first prompt's messages as the LLM agents build them: policy and opening text, then the task."""
    with world.episode(cutoff=task.cutoff, persona=task.persona, tools=tools, user=None) as ep:
        intro = ep.intro()
    return [
        {"role": "system", "content": f"{POLICY}\n\n{intro}"},
        {"role": "user", "content": task.instruction},
    ]


def _text(messages: list[dict[str, str]], tools: list[dict[str, Any]]) -> str:
    return "\n".join(m["content"] for m in messages) + "\n" + json.dumps(tools, ensure_ascii=False)


def estimate_counter() -> tuple[str, Counter]:
    return f"estimate (characters / {CHARS_PER_TOKEN})", lambda m, t: round(
        len(_text(m, t)) / CHARS_PER_TOKEN
    )


def tiktoken_counter() -> tuple[str, Counter] | None:
    try:
        import tiktoken

        encoding = tiktoken.get_encoding("cl100k_base")
    except Exception:  # not installed, or its encoding not cached: the next counter
        return None
    return "tiktoken cl100k_base", lambda m, t: len(encoding.encode(_text(m, t)))


def model_counter(stack: list[Any]) -> tuple[str, Counter] | None:
    from workgym.agents.local_model import LocalModel, ModelUnavailable

    try:
        model = LocalModel.start(threads=1, context=16384)
    except ModelUnavailable as exc:
        print(f"(local model: {exc})")
        return None
    stack.append(model)
    root = model.base_url.removesuffix("/v1")
    client = httpx.Client(timeout=60)

    def count(messages: list[dict[str, str]], tools: list[dict[str, Any]]) -> int:
        prompt = client.post(f"{root}/apply-template", json={"messages": messages, "tools": tools}).json()
        tokens = client.post(f"{root}/tokenize", json={"content": prompt["prompt"]}).json()
        return len(tokens["tokens"])

    return f"{model.name} tokenizer and chat template (llama.cpp)", count


def stats(values: list[int]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):>6,.0f}   p90 {p90:>6,}   max {ordered[-1]:>6,}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=150)
    parser.add_argument("--estimate", action="store_true", help="count by the estimate alone")
    args = parser.parse_args()
    stack: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        raw, db = Path(tmp) / "raw.db", Path(tmp) / "anon.db"
        build_workspace(sample_sources(), raw)
        anonymize_workspace(raw, db, b"k" * 32)
        world = World.open(db)
        tasks, _ = generate_tasks(world, n=args.n, seed=0)
        every = tuple(t["function"]["name"] for t in world.tools())
        with_user = tuple(t["function"]["name"] for t in world.tools(user=True))
        counters = [estimate_counter()]
        if not args.estimate:
            found = model_counter(stack) or tiktoken_counter()
            if found:
                counters.insert(0, found)
        try:
            for name, count in counters:
                print(f"\n{len(tasks)} sample tasks; tokens by {name}")
                rows: dict[str, list[int]] = {"all tools": [], "focused": [], "focused, compact": []}
                tool_counts: dict[str, list[int]] = {k: [] for k in rows}
                for task in tasks:
                    base = with_user if task.user else every
                    for label, names, compact in (
                        ("all tools", base, False),
                        ("focused", task.tools, False),
                        ("focused, compact", task.tools, True),
                    ):
                        messages = messages_of(world, task, names)
                        schemas = world.tools(names, user=bool(task.user), compact=compact)
                        rows[label].append(count(messages, schemas))
                        tool_counts[label].append(len(schemas))
                base_median = statistics.median(rows["all tools"])
                for label, values in rows.items():
                    ratio = statistics.median(values) / base_median
                    under = sum(v <= 2000 for v in values) / len(values)
                    print(
                        f"  {label:<17} {stats(values)}   x{ratio:.2f} of all tools   "
                        f"tools median {statistics.median(tool_counts[label]):.0f}   <=2,000: {under:.0%}"
                    )
        finally:
            for model in stack:
                model.close()


if __name__ == "__main__":
    main()
