"""Adapters that put a world's tasks into the trainers people use, each an optional extra.

* :mod:`workgym.integrations.trl`: ``GRPOTrainer(environment_factory=...)`` (``workgym[trl]``).
* :mod:`workgym.integrations.openenv`: an OpenEnv server (``workgym serve-openenv``;
  ``workgym[openenv]``).
* :mod:`workgym.integrations.verifiers`: a verifiers multi-turn tool environment whose rubric is
  workgym's scorer (``workgym[verifiers]``).

Each imports its trainer only when used; every one runs the tasks through
:class:`~workgym.tasks.env.TaskEnv`, so the prompt, the tools and the reward are the same in all.
See docs/training.md.
"""
