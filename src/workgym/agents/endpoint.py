"""An OpenAI-compatible chat endpoint, as the LLM agents call it: retries, backoff, timing, tokens.

Works with any server speaking the chat-completions API (vLLM, SGLang, Ollama, llama.cpp's server,
hosted APIs): ``--model``, ``--base-url`` and ``$OPENAI_API_KEY``. Connection errors, timeouts,
rate limits and 5xx answers are retried with exponential backoff; a 4xx answer other than 408/429
is not (it will not get better). What still fails raises :class:`EndpointError`.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass
from typing import Any

from workgym.agents.base import Agent, EndpointError


@dataclass(frozen=True, slots=True)
class ModelEndpoint:
    """Where the model is and how to call it.

    Attributes:
        model: the model's name at the endpoint.
        base_url: the endpoint, e.g. ``http://127.0.0.1:8000/v1``; None for the SDK's default.
        api_key: the key; default ``$OPENAI_API_KEY`` (a placeholder for local servers).
        temperature: sampling temperature.
        seed: passed to servers that honour it (the episode's seed when None).
        timeout: seconds to wait for one answer.
        retries: how many times a failed call is tried again.
        backoff: seconds before the first retry; doubled each time.
        max_tokens: the longest completion.
    """

    model: str
    base_url: str | None = None
    api_key: str | None = None
    temperature: float = 0.0
    seed: int | None = None
    timeout: float = 60.0
    retries: int = 3
    backoff: float = 0.5
    max_tokens: int = 1024

    def client(self) -> Any:
        """An ``openai.AsyncOpenAI`` for this endpoint (retries are ours, so the SDK's are off)."""
        from openai import AsyncOpenAI

        return AsyncOpenAI(
            base_url=self.base_url,
            api_key=self.api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            timeout=self.timeout,
            max_retries=0,
        )


async def complete(
    endpoint: ModelEndpoint,
    client: Any,
    messages: list[dict[str, Any]],
    *,
    seed: int,
    tools: list[dict[str, Any]] | None = None,
) -> tuple[Any, dict[str, int], float]:
    """One chat completion: the message, its tokens and the seconds it took (retries included).

    Raises:
        EndpointError: the endpoint failed after every retry, or refused the request.
    """
    import openai

    retryable = (
        openai.APIConnectionError,
        openai.APITimeoutError,
        openai.RateLimitError,
        openai.InternalServerError,
    )
    started = time.perf_counter()
    last = ""
    for attempt in range(endpoint.retries + 1):
        try:
            kwargs: dict[str, Any] = {
                "model": endpoint.model,
                "messages": messages,
                "temperature": endpoint.temperature,
                "seed": endpoint.seed if endpoint.seed is not None else seed,
                "max_tokens": endpoint.max_tokens,
            }
            if tools:
                kwargs["tools"] = tools
            response = await client.chat.completions.create(**kwargs)
        except retryable as exc:
            last = f"{type(exc).__name__}: {str(exc)[:200]}"
            if attempt < endpoint.retries:
                await asyncio.sleep(endpoint.backoff * 2**attempt)
            continue
        except openai.APIError as exc:
            raise EndpointError(f"{type(exc).__name__}: {str(exc)[:300]}") from None
        if not getattr(response, "choices", None):
            last = "the endpoint answered with no choices"
            continue
        usage = getattr(response, "usage", None)
        tokens = {
            "prompt": int(getattr(usage, "prompt_tokens", 0) or 0),
            "completion": int(getattr(usage, "completion_tokens", 0) or 0),
        }
        return response.choices[0].message, tokens, time.perf_counter() - started
    raise EndpointError(f"no answer after {endpoint.retries + 1} tries ({last})")


class LLMAgent(Agent):
    """An agent that talks to a model at an endpoint (under asyncio, ``concurrency`` at a time).

    Args:
        endpoint: the model and where it is served.
        max_turns: model calls before the agent gives up.
    """

    concurrent = True

    def __init__(self, endpoint: ModelEndpoint, max_turns: int = 30) -> None:
        self.endpoint = endpoint
        self.model = endpoint.model
        self.max_turns = max_turns


def parse_arguments(raw: Any) -> Any:
    """A tool call's arguments as the model wrote them: parsed when JSON, else the raw text.

    The raw text goes to the episode, which answers with an error observation the model can read.
    """
    if isinstance(raw, str):
        try:
            return json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            return raw
    return raw


__all__ = ["LLMAgent", "ModelEndpoint", "complete", "parse_arguments"]
