"""The agent loop over a BrowserGym environment, GUI trajectories, and their multimodal SFT records.

:func:`run_gui_episode` is the usual Gymnasium loop (``reset``, then ``step`` until terminated or
truncated) around any agent with ``act(obs) -> action string``. With ``record`` it keeps each step
as data a trainer reads: the screenshot as a PNG file, the AXTree as text, the action, the URL and
the action's error. :func:`sft_record` turns such an episode into one OpenAI-chat record whose user
turns carry the page as an image part beside its AXTree, the form multimodal fine-tuning takes.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class BrowserAgent(Protocol):
    """Anything that picks a BrowserGym action string from an observation."""

    def act(self, obs: Mapping[str, Any]) -> str:
        """The next action."""
        ...


@dataclass(frozen=True, slots=True)
class GuiStep:
    """One step of a GUI episode: what the agent saw and did."""

    url: str
    axtree: str
    action: str
    error: str
    screenshot: str = ""
    """The PNG of the page the action was taken on (a path relative to the record folder), if recorded."""


@dataclass
class GuiEpisode:
    """A GUI episode: the task, its goal, each step, the reward and the scorer's check results."""

    task_id: str
    goal: str
    base: str = ""
    """The address its pages were served at (a free port, different each run)."""
    steps: list[GuiStep] = field(default_factory=list)
    reward: float = 0.0
    score: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return {
            "task_id": self.task_id,
            "goal": self.goal,
            "reward": self.reward,
            "score": self.score,
            "steps": [
                {
                    "url": s.url,
                    "axtree": s.axtree,
                    "action": s.action,
                    "error": s.error,
                    "screenshot": s.screenshot,
                }
                for s in self.steps
            ],
        }


def _axtree(obs: Mapping[str, Any]) -> str:
    from browsergym.utils.obs import flatten_axtree_to_str

    return str(flatten_axtree_to_str(obs["axtree_object"]))


def _png(obs: Mapping[str, Any], folder: Path, task_id: str, n: int) -> str:
    from PIL import Image

    safe = hashlib.sha256(task_id.encode()).hexdigest()[:12]
    name = f"{safe}-{n:03d}.png"
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(obs["screenshot"]).save(folder / name, format="PNG")
    return name


def run_gui_episode(
    env: Any,
    agent: BrowserAgent,
    *,
    seed: int = 0,
    max_steps: int = 40,
    record: Path | None = None,
) -> GuiEpisode:
    """Run one episode of a registered workgym browser env; returns it, scored.

    Args:
        env: ``gym.make("browsergym/workgym.<task id>")``.
        agent: what picks the actions.
        seed: the episode's seed.
        max_steps: the loop stops here; the episode is then scored as it stands.
        record: a folder for the screenshots (AXTree text and actions are kept in any case).
    """
    obs, _ = env.reset(seed=seed)
    task = env.unwrapped.task
    episode = GuiEpisode(task.task.id, str(obs["goal"]), task.base)
    terminated = truncated = False
    for n in range(max_steps):
        action = agent.act(obs)
        shot = _png(obs, record, task.task.id, n) if record is not None else ""
        seen_url, seen_axtree = str(obs["url"]), _axtree(obs)
        obs, _, terminated, truncated, _ = env.step(action)
        episode.steps.append(GuiStep(seen_url, seen_axtree, action, str(obs["last_action_error"]), shot))
        if terminated or truncated:
            break
    score = task.score if terminated and task.score is not None else task.finish()
    episode.reward = float(score.reward)
    episode.score = score.to_dict()
    return episode


SITE = "http://127.0.0.1:8300"
"""The address SFT records show for the pages, whatever port an episode was served on (so the same
episode gives the same record)."""

SYSTEM = (
    "You operate a company's workspace through its web pages. Each turn shows the page (a screenshot "
    "and its accessibility tree, elements marked [bid]); answer with one BrowserGym action, e.g. "
    "click('12'), fill('15', 'text'), select_option('20', 'Done'), goto('http://...'), "
    "send_msg_to_user('answer')."
)
"""The system turn of every GUI SFT record."""


def sft_record(
    episode: GuiEpisode, folder: Path | None = None, *, inline_images: bool = False
) -> dict[str, Any]:
    """One GUI episode as an OpenAI-chat SFT record: per step, the page (image + AXTree), then the action.

    Args:
        episode: a recorded episode.
        folder: where its screenshots are (``record`` of :func:`run_gui_episode`).
        inline_images: embed each screenshot as a ``data:`` URL instead of naming its file.
    """

    def site(text: str) -> str:
        return text.replace(episode.base, SITE) if episode.base else text

    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}]
    for n, step in enumerate(episode.steps):
        text = (f"Goal: {episode.goal}\n\n" if n == 0 else "") + f"URL: {site(step.url)}\n"
        if step.error:
            text += f"Last action failed: {site(step.error)}\n"
        parts: list[dict[str, Any]] = [
            {"type": "text", "text": text + f"Accessibility tree:\n{site(step.axtree)}"}
        ]
        if step.screenshot:
            where = str(folder / step.screenshot) if folder else step.screenshot
            if inline_images and folder is not None:
                data = base64.b64encode((folder / step.screenshot).read_bytes()).decode("ascii")
                where = f"data:image/png;base64,{data}"
            parts.append({"type": "image_url", "image_url": {"url": where}})
        messages.append({"role": "user", "content": parts})
        messages.append({"role": "assistant", "content": site(step.action)})
    return {
        "messages": messages,
        "metadata": {"task_id": episode.task_id, "reward": episode.reward, "face": "gui"},
    }


__all__ = ["SITE", "SYSTEM", "BrowserAgent", "GuiEpisode", "GuiStep", "run_gui_episode", "sft_record"]
