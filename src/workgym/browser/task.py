"""A workgym task as a BrowserGym task: the workspace's own pages, the task's episode, the same checks.

``setup`` opens the task's episode (its cutoff, persona, allowed tools and scripted user), serves
the agent's pages for it on loopback (:func:`workgym.browser.site.agent_site`), blocks every
request off the machine and opens the start page; the goal is the task's instruction. The
agent acts with BrowserGym's high-level actions (click, fill, select_option, goto, ...); each form
it posts is one tool call on the episode. Its first ``send_msg_to_user`` is its final message:
the answer (``submit_answer``) in a task that takes one. ``validate`` then scores the episode with
workgym's scorer, so the reward is the reward the tool face gives for the same state and answer.

:func:`register_tasks` registers each task as ``browsergym/workgym.<task id>``, the way
BrowserGym's own benchmarks register theirs (``browsergym.core.registration.register_task``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from browsergym.core.registration import register_task
from browsergym.core.task import AbstractBrowserTask

from workgym.browser.chromium import use_system_chromium
from workgym.browser.site import SITES, agent_site
from workgym.report.viewer import viewer_address
from workgym.tasks import Score, Scorer, Task, load_tasks
from workgym.tasks.env import TaskEnv
from workgym.world import Episode, World

PREFIX = "workgym"
"""Task ids are registered as ``browsergym/<PREFIX>.<task id>``."""

ENV_DEFAULTS: Mapping[str, Any] = {"pre_observation_delay": 0.0}
"""BrowserEnv arguments every registered task gets by default (the pages run no script to wait for)."""

VIEWPORT: Mapping[str, int] = {"width": 1024, "height": 640}
"""The task's viewport: the pages are one column of text and forms, and a screenshot's cost (its
capture in the browser, BrowserGym's PNG decode) grows with its pixels (``gym.make(..., viewport=...)``
overrides it)."""

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def open_task_env(world: World, task: Task, seed: int = 0, scorer: Scorer | None = None) -> TaskEnv:
    """The task's environment (the tool face's): its episode has the task's cutoff, persona, tools and user."""
    return TaskEnv(world, task, seed=seed, scorer=scorer)


def open_episode(world: World, task: Task, seed: int = 0) -> Episode:
    """The task's episode, as its task environment opens it (closing it closes the episode)."""
    return open_task_env(world, task, seed).episode


def score_episode(scorer: Scorer, task: Task, episode: Episode) -> Score:
    """The episode's score on the task, by workgym's scorer (the tool face's reward)."""
    return scorer.score(task, episode)


def goal_text(world: World, task: Task, episode: Episode) -> str:
    """What the agent is told: who it is, when it is, the instruction, and how to finish."""
    who = "an observer"
    if episode.persona:
        info = world.facts.people.get(episode.persona)
        who = f"{info.name} ({episode.persona})" if info else episode.persona
    answer = (
        "send your answer to the user (send_msg_to_user)"
        if "submit_answer" in episode.tools
        else "tell the user you are done (send_msg_to_user)"
    )
    rules = (task.policy or "").strip()  # the workplace rules a tool-face agent's prompt carries too
    rules_text = f"Workplace rules you must follow:\n{rules}\n\n" if rules else ""
    return (
        f"You are {who}. It is {episode.now[:16].replace('T', ' ')} UTC. "
        f"You work in the workspace's web pages.\n\n{rules_text}{task.instruction}\n\n"
        f"When you have finished, {answer}."
    )


class WorkgymBrowserTask(AbstractBrowserTask):  # type: ignore[misc]  # browsergym ships no type hints
    """One workgym task in a browser (see the module's docstring)."""

    @classmethod
    def get_task_id(cls) -> str:
        """The family of ids this class registers under."""
        return PREFIX

    def __init__(self, seed: int | None, task: Task, world: World, scorer: Scorer | None = None) -> None:
        super().__init__(0 if seed is None else seed)
        self.task = task
        self.world = world
        self.scorer = scorer or Scorer(world)
        self.seed = 0 if seed is None else seed
        self.viewport = dict(VIEWPORT)
        self.slow_mo = 0
        self.timeout = 5000
        self.env: TaskEnv | None = None
        self.episode: Episode | None = None
        self.score: Score | None = None
        self.base = ""
        self._stack = ExitStack()

    def setup(self, page: Any) -> tuple[str, dict[str, Any]]:
        """Open the episode, serve its pages on loopback and open the start page."""
        self.env = open_task_env(self.world, self.task, self.seed, self.scorer)
        self._stack.callback(self.env.close)
        self.episode = self.env.episode
        try:
            app = agent_site(self.world, self.task, self.episode)
            self.base = self._stack.enter_context(SITES.mounted(app))
            page.context.route("**/*", _loopback_only)
            page.goto(viewer_address(app, self.base))
        except BaseException:  # nothing stays open when the pages cannot start
            self._stack.close()
            raise
        info = {"task_id": self.task.id, "family": self.task.family, "start_url": self.base + "/"}
        return goal_text(self.world, self.task, self.episode), info

    def validate(
        self, page: Any, chat_messages: list[dict[str, Any]]
    ) -> tuple[float, bool, str, dict[str, Any]]:
        """Score the episode once the agent has sent its final message; until then, nothing."""
        if self.score is None:
            final = _final_message(chat_messages)
            assert self.episode is not None, "validate before setup"
            if final is None and not (self.episode.truncated or self.episode.terminated):
                return 0.0, False, "", {}
            self.finish(final)
        assert self.score is not None
        return self.score.reward, True, "", {"score": self.score.to_dict()}

    def finish(self, message: str | None = None) -> Score:
        """End the episode: ``message`` as the answer where the task takes one; score it (once)."""
        assert self.env is not None, "finish before setup"
        if self.score is None:
            if message is not None and "submit_answer" in self.env.episode.tools and not self.env.done:
                self.env.step({"name": "submit_answer", "arguments": {"text": message}})
            self.score = self.env.score()
        return self.score

    def teardown(self) -> None:
        """Stop the pages' server and close the episode."""
        self._stack.close()


def _final_message(chat_messages: Sequence[Mapping[str, Any]]) -> str | None:
    """The agent's first message after the goal (BrowserGym's greeting comes before it), if any."""
    seen_goal = False
    for m in chat_messages:
        if m["role"] == "user":
            seen_goal = True
        elif seen_goal and m["role"] in ("assistant", "infeasible"):
            return str(m["message"]) if m["role"] == "assistant" else ""
    return None


BLOCKED = (
    "<!doctype html><title>blocked</title><h1>Blocked</h1><p>Only the workspace's pages can be opened.</p>"
)
"""What a page off this machine shows (answered in place; an aborted navigation leaves an error page
whose DOM BrowserGym cannot always read)."""


def _loopback_only(route: Any) -> None:
    if (urlparse(route.request.url).hostname or "") in LOOPBACK:
        route.continue_()
    else:
        route.fulfill(status=403, content_type="text/html", body=BLOCKED)


def register_tasks(
    world: World | str | Path,
    tasks: Iterable[Task] | str | Path,
    *,
    env_kwargs: Mapping[str, Any] | None = None,
) -> list[str]:
    """Register each task as ``browsergym/workgym.<task id>``; returns the gym ids.

    Also makes BrowserGym launch the system Chromium (:func:`~workgym.browser.chromium.use_system_chromium`).

    Args:
        world: the workspace (a :class:`World` or the path of an anonymized workspace).
        tasks: the tasks, or a tasks.jsonl.
        env_kwargs: BrowserEnv defaults on top of :data:`ENV_DEFAULTS` (``gym.make`` may still override them).

    Raises:
        BrowserNotFound: no Chromium on this machine.
    """
    use_system_chromium()
    world = world if isinstance(world, World) else World.open(world)
    chosen = load_tasks(Path(tasks)) if isinstance(tasks, str | Path) else list(tasks)
    scorer = Scorer(world)
    ids = []
    defaults = {**ENV_DEFAULTS, **(env_kwargs or {})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # registering an id again replaces it (a new world, new tasks)
        for task in chosen:
            name = f"{PREFIX}.{task.id}"
            register_task(
                name,
                WorkgymBrowserTask,
                task_kwargs={"task": task, "world": world, "scorer": scorer},
                nondeterministic=False,
                kwargs=dict(defaults),
            )
            ids.append(f"browsergym/{name}")
    return ids


__all__ = [
    "ENV_DEFAULTS",
    "PREFIX",
    "VIEWPORT",
    "WorkgymBrowserTask",
    "goal_text",
    "open_episode",
    "open_task_env",
    "register_tasks",
    "score_episode",
]
