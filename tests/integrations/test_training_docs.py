"""docs/training.md: the trainers' sections' Python runs as written, on the sample's tasks."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "training.md"
MODEL = "Qwen/Qwen3-0.6B"
"""The model the TRL example names; the test stands a tiny random model, made here, in its place."""


def section_blocks(heading: str) -> list[str]:
    """The Python blocks from ``heading`` to the next ``## `` heading."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"## {heading}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start : end if end > 0 else None], flags=re.DOTALL)


def tiny_model(root: Path) -> Path:
    """A one-layer Qwen3 with a byte-level tokenizer and TRL's Qwen3 chat template, saved locally."""
    import trl
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

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
    bpe.train_from_iterator(
        ["a workplace"],
        trainers.BpeTrainer(
            vocab_size=300, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    tokenizer.chat_template = (Path(trl.__file__).parent / "chat_templates" / "qwen3.jinja").read_text()
    config = Qwen3Config(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=1, head_dim=8, max_position_embeddings=64,
    )  # fmt: skip
    Qwen3ForCausalLM(config).save_pretrained(root)
    tokenizer.save_pretrained(root)
    return root


@pytest.fixture
def folder(anon_db: Path, tasks_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(anon_db, tmp_path / "anon.db")
    shutil.copy(tasks_file, tmp_path / "tasks.jsonl")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_when_the_gymnasium_example_runs_then_it_prints_the_task_s_reward(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("gymnasium", reason='gymnasium not installed: pip install "workgym[gym]"')
    [block] = section_blocks("Every face carries the tasks")
    exec(compile(block, str(DOC), "exec"), {})
    assert " 0.0 " in capsys.readouterr().out  # "I do not know" earns nothing


def test_when_the_trl_example_runs_then_grpo_trainer_is_built(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("trl", reason='trl not installed: pip install "workgym[trl]"')
    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    [block] = section_blocks("TRL")
    assert MODEL in block
    local = tiny_model(folder / "tiny-model")
    scope: dict[str, object] = {}
    import torch

    runnable = block.replace(MODEL, str(local))
    if not torch.cuda.is_available():  # the example is for a GPU; here it runs on the CPU
        runnable = runnable.replace("GRPOConfig(", "GRPOConfig(use_cpu=True, ")
    exec(compile(runnable, str(DOC), "exec"), scope)
    trainer = scope["trainer"]
    assert trainer.reward_func_names == ["WorkgymTaskEnv"]  # type: ignore[attr-defined]


def test_when_the_openenv_example_runs_then_it_prints_the_reward(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("openenv", reason="openenv not installed: see docs/training.md")
    [block] = section_blocks("OpenEnv")
    exec(compile(block, str(DOC), "exec"), {})
    assert capsys.readouterr().out.split() == ["0.0", "True", "0.0"]
