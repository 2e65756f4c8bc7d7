"""workgym's tasks through the GUI: a BrowserGym environment over the workspace's own pages.

``register_tasks(world, tasks)`` registers every task as ``browsergym/workgym.<task id>``;
``gym.make`` of one gives BrowserGym's ``BrowserEnv`` (screenshot, AXTree, DOM, URL, goal; its
high-level action set), scored by workgym's checks. :class:`GuiOracle` does a task's gold
actions through the pages; :class:`GuiNoop` does nothing. Needs the ``browsergym`` extra and the
system's Chromium (never a downloaded one). See docs/browser.md.
"""

from workgym.browser.agents import GuiNoop, GuiOracle, gui_plan
from workgym.browser.chromium import BrowserNotFound, close_browsers, system_chromium, use_system_chromium
from workgym.browser.loop import GuiEpisode, GuiStep, run_gui_episode
from workgym.browser.task import PREFIX, WorkgymBrowserTask, register_tasks

__all__ = [
    "PREFIX",
    "BrowserNotFound",
    "GuiEpisode",
    "GuiNoop",
    "GuiOracle",
    "GuiStep",
    "WorkgymBrowserTask",
    "close_browsers",
    "gui_plan",
    "register_tasks",
    "run_gui_episode",
    "system_chromium",
    "use_system_chromium",
]
