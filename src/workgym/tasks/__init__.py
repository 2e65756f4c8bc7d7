"""Tasks mined from a workspace: families of generators, checks that cannot be gamed, validation.

``generate_tasks(world, n=..., seed=...)`` drafts tasks from the workspace's graph and history,
keeps those the oracle solves and the noop and plausible-wrong agents fail, and splits them by
entity; :class:`Scorer` scores any episode against a task; :class:`TaskEnv` runs one task (its
episode, its prompt, its reward) and :class:`TaskSet` makes them from a tasks file. See docs/tasks.md.
"""

from workgym.tasks.checks import CheckResult, Score, Scorer
from workgym.tasks.env import Prompt, TaskEnv, TaskSet
from workgym.tasks.generate import Report, generate_tasks, write_tasks
from workgym.tasks.model import Call, Check, Evidence, Task, UserFact, load_tasks, read_tasks
from workgym.tasks.users import ScriptedUser

__all__ = [
    "Call",
    "Check",
    "CheckResult",
    "Evidence",
    "Prompt",
    "Report",
    "Score",
    "Scorer",
    "ScriptedUser",
    "Task",
    "TaskEnv",
    "TaskSet",
    "UserFact",
    "generate_tasks",
    "load_tasks",
    "read_tasks",
    "write_tasks",
]
