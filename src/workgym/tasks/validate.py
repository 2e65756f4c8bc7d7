"""Validation: a draft ships only if the oracle scores 1.0 and the noop and plausible-wrong agents 0.0.

For each draft, in an episode at its cutoff and as its persona:

1. **oracle**: run the gold actions (every one must succeed); the diff they leave becomes the
   task's state checks (per field; ids, times and free text left out; a ticket's history rows
   follow from its fields) and its footprint (``no_collateral``). The task must score 1.0.
2. **noop**: nothing done; it must score 0.0 (the tau2-bench failure where doing nothing passes).
3. **plausible-wrong**: the gold actions aimed at a distractor; it must score 0.0. Where its
   actions share their first :data:`FORK_PREFIX` or more with the gold (a composed task's do), it
   starts from a fork of the oracle's episode taken after them instead of replaying them.

A draft that fails is dropped and counted by reason. Episodes are reused across drafts with the
same cutoff, persona and tools (reset costs nothing); clarify drafts get their own, with their
scripted user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from workgym.tasks.checks import Scorer, footprint, named, normalize
from workgym.tasks.env import TaskEnv
from workgym.tasks.families.base import SOURCE_OF, Draft
from workgym.tasks.model import Call, Check, Task
from workgym.tasks.toolsets import focused_tools
from workgym.world import Episode, EpisodePool, Limits, StateDiff, World
from workgym.world.schema import REGISTRY

APP_OF: dict[str, str] = {t.name: t.app for t in REGISTRY}
"""The app each tool belongs to: what a task's gold actions touch."""

UNPREDICTABLE = frozenset(
    {
        "id",
        "created",
        "updated",
        "resolved",
        "ts",
        "date",
        "committed",
        "authored",
        "locator",
        "source_id",
        "edited",
    }
)
"""Fields no agent can predict (new ids, times, where a row came from): never checked."""

FREE_TEXT = frozenset({"body", "text", "description", "message", "subject", "title", "summary", "references"})
"""Fields the agent words itself: checked by a ``references`` check where it matters, never verbatim."""

SIDE_EFFECTS = frozenset({"ticket_event"})
"""Tables a tool writes as a consequence of a checked change (a ticket's history)."""

LIMITS = Limits(max_steps=200, max_seconds=3600)
"""Validation's limits: the gold actions must never be cut off."""

FORK_PREFIX = 4
"""Calls the plausible-wrong actions must share with the gold, from the start, for the wrong run
to start from a fork of the oracle's episode after them rather than replay them (a fork opens a
new state, which costs about what a few calls do; a composed task's wrong actions share ~10)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A draft's validation: the task (None when dropped) and why it was dropped."""

    task: Task | None
    reason: str


def _gives_away(task: Task) -> bool:
    """Whether the instruction itself names the answer (a guess from its words would pass)."""
    said = normalize(task.instruction)
    for check in task.checks:
        if check.kind != "answer":
            continue
        if check.match == "entity" and any(len(a) >= 3 and named(normalize(a), said) for a in check.aliases):
            return True
        if check.match == "value" and named(normalize(str(check.expected)), said):
            return True
        if check.match == "set" and any(str(k).upper() in task.instruction.upper() for k in check.expected):
            return True
    return False


def run_calls(env: TaskEnv | Episode, calls: Sequence[Call]) -> list[str]:
    """Run calls in order in a task environment (or a bare episode); the error texts of those that failed."""
    return [obs.text for obs in (env.step(c.to_dict()) for c in calls) if obs.info.get("error")]


def shared_prefix(gold: Sequence[Call], wrong: Sequence[Call]) -> int:
    """How many calls the wrong actions share with the gold, from the first on."""
    n = 0
    for a, b in zip(gold, wrong, strict=False):
        if a != b:
            break
        n += 1
    return n


def derived_checks(diff: StateDiff) -> list[Check]:
    """The ``changes`` checks a diff implies, field by field, leaving out what cannot be predicted."""
    checks: list[Check] = []
    for change in diff.changes:
        if change.table in SIDE_EFFECTS:
            continue
        skip = UNPREDICTABLE | FREE_TEXT
        if change.kind == "inserted":
            fields = {k: v for k, v in change.row.items() if k not in skip}
            checks.append(Check(kind="changes", table=change.table, op="inserted", fields=fields))
        elif change.kind == "updated":
            fields = {f.field: f.new for f in change.fields if f.field not in skip}
            if fields:
                checks.append(
                    Check(kind="changes", table=change.table, op="updated", key=change.key, fields=fields)
                )
        else:
            checks.append(Check(kind="changes", table=change.table, op="deleted", key=change.key))
    return checks


def features(draft: Draft) -> dict[str, int]:
    """The difficulty features of a task: hops, sources, tools, actions, distractors, instruction length.

    ``sources`` counts the apps the task touches: those its evidence lives in and those its gold
    actions read or write (the directory and the answer aside).
    """
    apps = {SOURCE_OF.get(e.kind, e.kind) for e in draft.evidence}
    apps |= {APP_OF[c.name] for c in draft.gold if c.name in APP_OF}
    apps -= {"directory", "answer"}
    return {
        "hops": draft.hops,
        "sources": max(1, len(apps)),
        "tools": len({c.name for c in draft.gold}),
        "actions": len(draft.gold),
        "distractors": draft.distractors,
        "instruction_chars": len(draft.instruction),
    }


class Validator:
    """Validates drafts against one world, reusing episodes where it can."""

    def __init__(self, world: World, scorer: Scorer | None = None, *, focused: bool = True) -> None:
        self.world = world
        self.focused = focused
        self.scorer = scorer or Scorer(world)
        self.pool = EpisodePool(world, LIMITS, size=64)
        self.default_tools = tuple(t["function"]["name"] for t in world.tools())
        self.user_tools = tuple(t["function"]["name"] for t in world.tools(user=True))

    def tools_for(self, draft: Draft) -> tuple[str, ...]:
        """The tools a task allows: a focused set (:mod:`workgym.tasks.toolsets`), or all when not ``focused``.

        Either way ``ask_user`` only when the task has a user to ask.
        """
        if self.focused:
            return focused_tools(draft)
        return self.user_tools if draft.user else self.default_tools

    def env(self, task: Task) -> TaskEnv:
        """A task environment for ``task`` in its starting state, its episode from the pool."""
        return TaskEnv(self.world, task, scorer=self.scorer, pool=self.pool)

    def validate(self, draft: Draft) -> Outcome:
        """Run the oracle, noop and plausible-wrong agents on a draft; the task if it passes."""
        task = Task(
            family=draft.family,
            instruction=draft.instruction,
            cutoff=draft.cutoff,
            persona=draft.persona,
            tools=self.tools_for(draft),
            gold=tuple(draft.gold),
            checks=tuple(draft.checks),
            wrong=tuple(draft.wrong),
            features=features(draft),
            evidence=tuple(draft.evidence),
            entity=draft.entity,
            user=tuple(draft.user),
            policy=draft.policy,
        )
        if _gives_away(task):
            return Outcome(None, "the instruction names the answer")
        try:
            env = self.env(task)
        except ValueError as exc:
            return Outcome(None, f"no episode ({str(exc)[:40]})")
        # The wrong run replays the calls it shares with the gold: from a fork taken after them in
        # the oracle's run instead, where they are many (the same seed and calls: the same state).
        # Not with a user, whose answers the fork would share.
        shared = shared_prefix(task.gold, task.wrong) if not task.user else 0
        forked: TaskEnv | None = None
        try:
            # The draft's checks are not final: nothing to score yet.
            if shared >= FORK_PREFIX:
                failed = run_calls(env.episode, task.gold[:shared])
                forked = env.fork()
                failed += run_calls(env.episode, task.gold[shared:])
            else:
                failed = run_calls(env.episode, task.gold)
            if failed:
                return Outcome(None, "a gold action failed")
            diff = env.episode.state_diff()
            asks = any(c.kind == "answer" for c in task.checks)
            if asks and diff:
                return Outcome(None, "a question's gold actions write")
            derived = derived_checks(diff) if draft.derive_changes else []
            checks = (*task.checks, *derived, footprint(diff))
            if not any(c.gate and c.kind != "no_collateral" for c in checks):
                return Outcome(None, "nothing to check")
            final = replace(task, checks=checks)  # the checks the oracle's own run implies
            env = env.with_task(final)
            if env.score().reward != 1.0:
                return Outcome(None, "oracle scores below 1")
            env.reset(seed=0)
            if env.score().reward != 0.0:
                return Outcome(None, "noop passes")
            if not env.task.wrong:
                return Outcome(None, "no plausible-wrong actions")
            if forked is not None:
                wrong, forked = forked.with_task(final), None
                try:
                    run_calls(wrong, final.wrong[shared:])
                    reward = wrong.score().reward
                finally:
                    wrong.close()
            else:
                env.reset(seed=0)
                run_calls(env, env.task.wrong)
                reward = env.score().reward
            if reward != 0.0:
                return Outcome(None, "plausible-wrong passes")
            return Outcome(env.task.with_id(), "ok")
        finally:
            env.close()
            if forked is not None:
                forked.close()

    def close(self) -> None:
        """Close the pooled episodes."""
        self.pool.close()


__all__ = [
    "FREE_TEXT",
    "SIDE_EFFECTS",
    "UNPREDICTABLE",
    "Outcome",
    "Validator",
    "derived_checks",
    "features",
    "run_calls",
    "shared_prefix",
]
