"""TRL: the environment class passes TRL's own tool extraction, and TRL's tool loop earns each task's reward."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

pytest.importorskip("trl", reason='trl not installed: pip install "workgym[trl]"')

from transformers.utils import get_json_schema

from workgym.integrations.trl import TaskToolEnv, fork, grpo_spec
from workgym.tasks import Task, TaskSet


def tools_as_trl_sees_them(env: TaskToolEnv) -> dict[str, Any]:
    """The methods GRPOTrainer takes as tools: public functions of the class but reset and get_reward."""
    return {
        name: getattr(env, name)
        for name, _ in inspect.getmembers(type(env), predicate=inspect.isfunction)
        if name not in ("reset", "get_reward") and not name.startswith("_")
    }


def trl_rollout(env: TaskToolEnv, row: dict[str, Any], calls: list[dict[str, Any]]) -> float:
    """Drive one rollout as GRPOTrainer does: reset(**row), each tool call by name with its arguments."""
    opening = env.reset(**row)
    assert isinstance(opening, str)
    tools = tools_as_trl_sees_them(env)
    for call in calls:
        result = tools[call["name"]](**call["arguments"])
        assert isinstance(str(result), str)
    return env.get_reward()


def test_when_trl_extracts_the_tools_then_every_schema_is_the_world_s(taskset: TaskSet) -> None:
    spec = grpo_spec(taskset)
    env = spec.environment_factory()
    tools = tools_as_trl_sees_them(env)
    world = {s["function"]["name"]: s["function"] for s in taskset.world.tools(user=True)}
    used = {name for t in taskset.tasks for name in t.tools}
    assert set(tools) == used
    for name, method in tools.items():
        got = get_json_schema(method)["function"]
        want = world[name]
        assert got["name"] == name and got["description"] == " ".join(want["description"].split())
        props = want["parameters"]["properties"]
        assert list(got["parameters"]["properties"]) == sorted(
            props, key=lambda p: p not in want["parameters"].get("required", [])
        )
        for pname, schema in got["parameters"]["properties"].items():
            assert schema["type"] == props[pname]["type"], (name, pname)
            assert schema["description"] == " ".join(props[pname]["description"].split())
        assert sorted(got["parameters"].get("required", [])) == sorted(want["parameters"].get("required", []))


def test_when_trl_s_tool_loop_plays_the_gold_calls_then_every_task_earns_its_reward(
    taskset: TaskSet,
) -> None:
    spec = grpo_spec(taskset)
    assert spec.train_dataset.column_names == ["prompt", "task_id", "family"]
    env = spec.environment_factory()  # TRL reuses one instance across rollouts (reset in between)
    for row in spec.train_dataset:
        task = taskset.get(row["task_id"])
        assert [m["role"] for m in row["prompt"]] == ["system", "user"]
        assert row["prompt"][1]["content"] == task.instruction
        assert trl_rollout(env, row, [c.to_dict() for c in task.gold]) == 1.0, task.id
        assert trl_rollout(env, row, []) == 0.0, task.id  # doing nothing earns nothing


def test_when_dense_then_the_reward_is_progress_and_a_fork_after_a_prefix_is_scored_alone(
    taskset: TaskSet, one_per_family: list[Task]
) -> None:
    spec = grpo_spec(taskset, reward="dense")
    for task in one_per_family:
        env = spec.environment_factory()
        row = {"task_id": task.id}
        gold = [c.to_dict() for c in task.gold]
        assert trl_rollout(env, row, gold) == pytest.approx(1.0)
        env.reset(**row)
        tools = tools_as_trl_sees_them(env)
        for call in gold[:-1]:
            tools[call["name"]](**call["arguments"])
        group = [fork(env) for _ in range(4)]  # G rollouts from the shared prefix
        last = gold[-1]
        for child in group[:2]:
            tools_as_trl_sees_them(child)[last["name"]](**last["arguments"])
        assert [child.get_reward() for child in group[:2]] == [pytest.approx(1.0)] * 2
        assert all(child.get_reward() < 1.0 for child in group[2:]), task.family


def test_when_a_split_is_asked_then_only_its_tasks_are_rows(taskset: TaskSet) -> None:
    spec = grpo_spec(taskset, split="test")
    assert spec.train_dataset.num_rows == sum(t.split == "test" for t in taskset.tasks) > 0
    with pytest.raises(KeyError, match="task_id"):
        spec.environment_factory().reset(prompt=[])


def test_when_grpo_trainer_is_built_with_the_spec_then_it_takes_the_tools_and_the_reward(
    taskset: TaskSet, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GRPOTrainer's own constructor probes the class; a tiny random model, made here, stands in (no download)."""
    from pathlib import Path

    import trl
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM
    from trl import GRPOConfig, GRPOTrainer

    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    special = [
        "<|im_start|>",
        "<|im_end|>",
        "<|endoftext|>",
        "<tool_call>",
        "</tool_call>",
        "<think>",
        "</think>",
    ]
    trainer_spec = trainers.BpeTrainer(
        vocab_size=300, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(["a workplace"], trainer_spec)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    tokenizer.chat_template = (Path(trl.__file__).parent / "chat_templates" / "qwen3.jinja").read_text()
    config = Qwen3Config(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=1, head_dim=8, max_position_embeddings=64,
    )  # fmt: skip
    spec = grpo_spec(taskset, split="train")
    args = GRPOConfig(
        output_dir=str(tmp_path), num_generations=2, per_device_train_batch_size=2,
        max_completion_length=8, report_to=[], use_cpu=True, max_steps=1,
    )  # fmt: skip
    trainer = GRPOTrainer(
        model=Qwen3ForCausalLM(config),
        processing_class=tokenizer,
        args=args,
        train_dataset=spec.train_dataset,
        environment_factory=spec.environment_factory,
    )
    names = sorted(tool.__name__ for tool in trainer._env_tools[None])
    assert names == sorted({name for t in spec.taskset.tasks for name in t.tools})
    assert trainer.reward_func_names == ["WorkgymTaskEnv"]  # the environment owns the reward
    rendered = tokenizer.apply_chat_template(
        spec.train_dataset[0]["prompt"], tools=trainer._env_tools[None], tokenize=False
    )  # the chat template renders every tool's schema, made by transformers from the methods
    assert all(f'"name": "{name}"' in rendered for name in names)
