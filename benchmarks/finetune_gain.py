"""The FireAct test of workgym's claim: fine-tuning a small open model on its trajectories helps.

One prepared script, built to finish in about 10 minutes of one GPU (and to be dry-run on a CPU
with a tiny slice first):

1. mine the sample's tasks (anonymized sample, n=150, seed 0) and split them (train / test);
2. run the oracle on the train split and export its successful trajectories with
   ``workgym export --format openai-chat --success-only`` (the same files a user would train on;
   ``--extra-runs`` adds real-model runs, e.g. a ``workgym run --agent openai`` folder);
3. score the small model on the test split, ``--trials`` tries each (pass^1 and pass^k), through the
   project's own tool-calling agent: the model is served by a loopback OpenAI-compatible endpoint
   that generates with ``transformers`` and the model's chat template, sampling at
   ``--temperature`` with a seed fixed by the request (so before and after see the same prompts and
   the same seeds);
4. LoRA fine-tune it on the export with TRL's ``SFTTrainer`` (``peft``);
5. score it again, the same way, and print both rows side by side (and write them to ``--out``).

The model is Qwen2.5-Coder-0.5B-Instruct from ``workgym[llm]`` (its GGUF, dequantized by
``transformers``), or any causal LM folder given with ``--model``. Needs ``torch`` (a CPU build:
``pip install torch==2.13.0``), ``transformers``, ``trl``, ``peft``, ``gguf``.

    python benchmarks/finetune_gain.py                      # on a GPU: ~10 minutes
    python benchmarks/finetune_gain.py --dry-run            # on a CPU: a tiny slice and a tiny
                                                            # random model of the same architecture
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' loopback endpoint, reused rather than written twice

from tests.fake_openai import FakeOpenAI, Reply  # noqa: E402

from workgym.agents import AgentSpec, ModelEndpoint  # noqa: E402
from workgym.anonymize.run import anonymize_workspace  # noqa: E402
from workgym.cli import sample_sources  # noqa: E402
from workgym.link.build import build_workspace  # noqa: E402
from workgym.rollout import RunConfig, run  # noqa: E402
from workgym.tasks import Task, generate_tasks, write_tasks  # noqa: E402
from workgym.world import World  # noqa: E402


def load_model(name: str | None, device: str, *, tiny: bool = False) -> tuple[Any, Any]:
    """The model and tokenizer: a folder already on disk, or the workgym[llm] GGUF.

    ``tiny``: the GGUF's tokenizer and chat template with a 2-layer model of the same architecture,
    randomly initialised (seeded): what a CPU dry run needs to exercise every step in minutes (the
    full model's GGUF is dequantized tensor by tensor, which takes long on a busy CPU).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    if name:
        tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(name, dtype=dtype, local_files_only=True)
        return model.to(device), tokenizer
    from workgym.agents.local_model import model_file

    path = model_file()
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    if tiny:
        torch.manual_seed(0)
        config = Qwen2Config(
            vocab_size=len(tokenizer),
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            tie_word_embeddings=True,
        )
        return Qwen2ForCausalLM(config).to(device), tokenizer
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=dtype)
    return model.to(device), tokenizer


class Generator:
    """Answers chat-completions requests with ``model.generate``: the reply's text, tool calls in it."""

    def __init__(self, model: Any, tokenizer: Any, device: str, temperature: float, max_new: int) -> None:
        self.model, self.tokenizer, self.device = model, tokenizer, device
        self.temperature, self.max_new = temperature, max_new

    def __call__(self, request: dict[str, Any]) -> Reply:
        import torch

        messages = [self._plain(m) for m in request["messages"]]
        ids = self.tokenizer.apply_chat_template(
            messages, tools=request.get("tools"), add_generation_prompt=True, return_tensors="pt"
        )
        if not isinstance(ids, torch.Tensor):
            ids = ids["input_ids"]
        ids = ids.to(self.device)
        # the seed the agent sent (the episode's), and how far the episode is: the same in both rows
        torch.manual_seed(int(request.get("seed") or 0) * 1000 + len(messages))
        with torch.no_grad():
            out = self.model.generate(
                ids,
                max_new_tokens=min(self.max_new, int(request.get("max_tokens") or self.max_new)),
                do_sample=self.temperature > 0,
                temperature=self.temperature if self.temperature > 0 else None,
                top_p=None,
                top_k=None,
                pad_token_id=self.tokenizer.eos_token_id,
            )
        text = self.tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
        return Reply(content=text, usage=(int(ids.shape[1]), int(out.shape[1] - ids.shape[1])))

    @staticmethod
    def _plain(message: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in message.items() if v is not None}
        for call in out.get("tool_calls") or []:  # chat templates want arguments as objects
            args = call.get("function", {}).get("arguments")
            if isinstance(args, str):
                try:
                    call["function"]["arguments"] = json.loads(args)
                except json.JSONDecodeError:
                    call["function"]["arguments"] = {}
        out.setdefault("content", "")
        return out


def score(
    db: Path, tasks: list[Task], generator: Generator, trials: int, max_turns: int, out: Path
) -> dict[str, Any]:
    """pass^1 and pass^k of the project's tool-calling agent with the model behind a loopback endpoint."""
    server = FakeOpenAI(generator)
    try:
        endpoint = ModelEndpoint(
            model="local", base_url=server.url, max_tokens=generator.max_new, timeout=3600
        )
        summary = run(
            RunConfig(
                workspace=db,
                tasks=tasks,
                agents=[AgentSpec("openai", endpoint, max_turns=max_turns)],
                trials=trials,
                out=out,
            )
        )
    finally:
        server.close()
    return summary


def headline(summary: dict[str, Any], trials: int) -> dict[str, Any]:
    """The figures compared: success rate, pass^1, pass^k, format failures (as the summary names them)."""
    agents = summary.get("agents") or {}
    first = next(iter(agents.values())) if isinstance(agents, dict) and agents else summary
    keep = {}
    for key, value in first.items():
        if isinstance(value, int | float | dict) and any(
            w in key for w in ("success", "pass", "format", "episodes", "reward")
        ):
            keep[key] = value
    return keep


def export_sft(runs: list[Path], out: Path) -> Path:
    """``workgym export --format openai-chat --success-only`` of the runs; the train split's file."""
    cmd = [
        sys.executable,
        "-m",
        "workgym.cli",
        "export",
        *map(str, runs),
        "--format",
        "openai-chat",
        "--success-only",
        "-o",
        str(out / "sft.jsonl"),
    ]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    found = sorted(out.glob("sft*.train.jsonl")) or sorted(out.glob("sft*.jsonl"))
    if not found:
        raise SystemExit(f"export wrote no train file into {out}")
    return found[0]


def finetune(model: Any, tokenizer: Any, train_file: Path, out: Path, steps: int, device: str) -> Any:
    """LoRA SFT with TRL on the exported chats; the adapted model (merged, ready to generate)."""
    from datasets import load_dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    rows = load_dataset("json", data_files=str(train_file), split="train")
    keep = [c for c in rows.column_names if c in ("messages", "tools")]
    rows = rows.select_columns(keep)
    config = SFTConfig(
        output_dir=str(out),
        max_steps=steps,
        per_device_train_batch_size=2 if device == "cuda" else 1,
        gradient_accumulation_steps=4 if device == "cuda" else 1,
        learning_rate=2e-4,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        bf16=device == "cuda",
        use_cpu=device != "cuda",
        max_length=4096 if device == "cuda" else 1024,
        seed=0,
    )
    lora = LoraConfig(
        r=16, lora_alpha=32, lora_dropout=0.05, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"]
    )
    trainer = SFTTrainer(
        model=model, args=config, train_dataset=rows, processing_class=tokenizer, peft_config=lora
    )
    trainer.train()
    return trainer.model.merge_and_unload()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="a tiny slice on the CPU: checks that it runs")
    parser.add_argument("--model", help="a causal LM folder (default: the workgym[llm] GGUF)")
    parser.add_argument("--test-tasks", type=int, default=30)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--max-turns", type=int, default=6)
    parser.add_argument("--max-new", type=int, default=256, help="tokens per model turn")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--steps", type=int, default=120, help="optimizer steps of the LoRA fine-tune")
    parser.add_argument("--extra-runs", type=Path, nargs="*", default=[], help="more run folders to export")
    parser.add_argument("--out", type=Path, default=Path("finetune-gain.json"))
    args = parser.parse_args()
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.dry_run:
        args.test_tasks, args.trials, args.max_turns, args.max_new, args.steps = 1, 1, 1, 24, 1
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        raw, db = tmp / "raw.db", tmp / "anon.db"
        build_workspace(sample_sources(), raw)
        anonymize_workspace(raw, db, b"k" * 32)
        tasks, _ = generate_tasks(World.open(db), n=150, seed=0)
        train = [t for t in tasks if t.split == "train"]
        test = [t for t in tasks if t.split == "test"]
        random.Random(0).shuffle(test)
        test = sorted(test[: args.test_tasks], key=lambda t: t.id)
        if args.dry_run:
            train = train[:4]
        write_tasks(train, tmp / "train.jsonl")
        oracle = tmp / "runs-oracle"
        run(RunConfig(workspace=db, tasks=train, agents=[AgentSpec("oracle")], out=oracle))
        train_file = export_sft([oracle, *args.extra_runs], tmp / "data")
        examples = sum(1 for _ in train_file.open(encoding="utf-8"))
        model, tokenizer = load_model(args.model, device, tiny=args.dry_run and not args.model)
        generator = Generator(model, tokenizer, device, args.temperature, args.max_new)
        before = score(db, test, generator, args.trials, args.max_turns, tmp / "runs-before")
        tuned = finetune(model, tokenizer, train_file, tmp / "sft", args.steps, device)
        generator.model = tuned
        after = score(db, test, generator, args.trials, args.max_turns, tmp / "runs-after")
        for folder in ("runs-before", "runs-after"):
            if args.out.parent.is_dir():
                shutil.copy(
                    tmp / folder / "summary.json", args.out.with_name(f"{args.out.stem}.{folder}.json")
                )
    result = {
        "device": device,
        "dry_run": args.dry_run,
        "train_examples": examples,
        "test_tasks": len(test),
        "trials": args.trials,
        "temperature": args.temperature,
        "steps": args.steps,
        "before": headline(before, args.trials),
        "after": headline(after, args.trials),
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
