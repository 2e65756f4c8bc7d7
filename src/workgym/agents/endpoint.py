"""An OpenAI-compatible chat endpoint, as the LLM agents call it: retries, backoff, timing, tokens.

Works with any server speaking the chat-completions API (vLLM, SGLang, Ollama, llama.cpp's server,
hosted APIs): ``--model``, ``--base-url`` and ``$OPENAI_API_KEY``. Connection errors, timeouts,
rate limits and 5xx answers are retried with exponential backoff; a 4xx answer other than 408/429
is not (it will not get better). What still fails raises :class:`EndpointError`.

Every sampling setting the request carries (temperature, top-p, the seed, the completion limit,
stop sequences) is on :class:`ModelEndpoint`, so a run records what it sent. Token counts come
from the endpoint's ``usage``; with ``logprobs=True`` the completion's tokens, their log
probabilities and (where the server returns them: vLLM's ``token_ids``, llama.cpp's per-token
``id``) their ids come back on the :class:`Turn`, for trainers that need them.
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from workgym.agents.base import Agent, EndpointError, Recorder
from workgym.agents.toolcalls import arguments_of


@dataclass(frozen=True, slots=True)
class ModelEndpoint:
    """Where the model is and how to call it.

    Attributes:
        model: the model's name at the endpoint.
        base_url: the endpoint, e.g. ``http://127.0.0.1:8000/v1``; None for the SDK's default.
        api_key: the key; default ``$OPENAI_API_KEY`` (a placeholder for local servers).
        temperature: sampling temperature.
        top_p: nucleus sampling's probability mass (None: the server's default, not sent).
        seed: passed to servers that honour it (the episode's seed when None).
        timeout: seconds to wait for one answer (a cold first turn of a CPU model takes minutes).
        retries: how many times a failed call is tried again.
        backoff: seconds before the first retry; doubled each time.
        max_tokens: the longest completion.
        logprobs: ask for the completion's log probabilities (and token ids where the server has them).
    """

    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    temperature: float = 0.0
    top_p: float | None = None
    seed: int | None = None
    timeout: float = 300.0
    retries: int = 3
    backoff: float = 0.5
    max_tokens: int = 1024
    logprobs: bool = False

    def settings(self) -> dict[str, Any]:
        """What a run records of the endpoint: everything but the key."""
        out = asdict(self)
        out.pop("api_key")
        return out

    def client(self) -> Any:
        """An ``openai.AsyncOpenAI`` for this endpoint (retries are ours, so the SDK's are off).

        Every client shares one TLS context: loading the CA bundle takes ~0.2 s, which a client
        per rollout would pay each time.
        """
        from openai import AsyncOpenAI, DefaultAsyncHttpxClient

        return AsyncOpenAI(
            base_url=self.base_url,
            api_key=self.api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            timeout=self.timeout,
            max_retries=0,
            http_client=DefaultAsyncHttpxClient(verify=_tls(), timeout=self.timeout),
        )


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for the process, trusting what httpx trusts by default.

    That is certifi's bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` where set.
    """
    import httpx

    return httpx.create_ssl_context()


@dataclass(slots=True)
class Turn:
    """One model turn as the endpoint answered it.

    Attributes:
        message: the reply's message (``content``, ``tool_calls``).
        tokens: ``prompt`` and ``completion`` tokens, from the endpoint's usage (0 when it gives none).
        seconds: the time it took, retries included.
        logprobs: per completion token ``{"token", "logprob"}`` (and ``"id"`` where the server gives
            it), when asked for and returned; None otherwise.
        token_ids: the completion's token ids, when the server returns them (vLLM's ``token_ids``).
        finish_reason: why the completion stopped (``stop``, ``length``, ``tool_calls``).
    """

    message: Any
    tokens: dict[str, int]
    seconds: float
    logprobs: list[dict[str, Any]] | None = None
    token_ids: list[int] | None = None
    finish_reason: str | None = None


def _logprobs(choice: Any) -> tuple[list[dict[str, Any]] | None, list[int] | None]:
    """The completion's token log probabilities and ids, as far as the server returned them."""
    extra = getattr(choice, "model_extra", None) or {}
    ids = extra.get("token_ids")
    token_ids = [int(i) for i in ids] if isinstance(ids, list) else None
    content = getattr(getattr(choice, "logprobs", None), "content", None)
    if not content:
        return None, token_ids
    out = []
    for entry in content:
        item: dict[str, Any] = {"token": entry.token, "logprob": float(entry.logprob)}
        token_id = (getattr(entry, "model_extra", None) or {}).get("id")
        if token_id is not None:
            item["id"] = int(token_id)
        out.append(item)
    return out, token_ids


async def chat(
    endpoint: ModelEndpoint,
    client: Any,
    messages: list[dict[str, Any]],
    *,
    seed: int,
    tools: list[dict[str, Any]] | None = None,
    stop: list[str] | None = None,
) -> Turn:
    """One chat completion, retried as the module says.

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
    kwargs: dict[str, Any] = {
        "model": endpoint.model,
        "messages": messages,
        "temperature": endpoint.temperature,
        "seed": endpoint.seed if endpoint.seed is not None else seed,
        "max_tokens": endpoint.max_tokens,
    }
    if endpoint.top_p is not None:
        kwargs["top_p"] = endpoint.top_p
    if tools:
        kwargs["tools"] = tools
    if stop:
        kwargs["stop"] = stop
    if endpoint.logprobs:
        kwargs["logprobs"] = True
    for attempt in range(endpoint.retries + 1):
        try:
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
        choice = response.choices[0]
        logprobs, token_ids = _logprobs(choice)
        return Turn(
            choice.message,
            tokens,
            time.perf_counter() - started,
            logprobs,
            token_ids,
            getattr(choice, "finish_reason", None),
        )
    raise EndpointError(f"no answer after {endpoint.retries + 1} tries ({last})")


async def complete(
    endpoint: ModelEndpoint,
    client: Any,
    messages: list[dict[str, Any]],
    *,
    seed: int,
    tools: list[dict[str, Any]] | None = None,
) -> tuple[Any, dict[str, int], float]:
    """One chat completion: the message, its tokens and the seconds it took (see :func:`chat`).

    Raises:
        EndpointError: the endpoint failed after every retry, or refused the request.
    """
    turn = await chat(endpoint, client, messages, seed=seed, tools=tools)
    return turn.message, turn.tokens, turn.seconds


NUDGES = 3
"""Replies in a row that are neither a call nor an answer before the agent gives up on the episode."""


class LLMAgent(Agent):
    """An agent that talks to a model at an endpoint (under asyncio, ``concurrency`` at a time).

    Args:
        endpoint: the model and where it is served.
        max_turns: model calls before the agent gives up.
        max_seconds: seconds in the environment (tool calls, not model latency) before the episode
            is cut off (None: no limit).
        max_context: the conversation's token budget (prompt plus ``max_tokens``); old observations
            are clipped, then dropped, to stay inside it (None: no budget).
    """

    concurrent = True

    def __init__(
        self,
        endpoint: ModelEndpoint,
        max_turns: int = 30,
        *,
        max_seconds: float | None = None,
        max_context: int | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.model = endpoint.model
        self.max_turns = max_turns
        self.max_seconds = max_seconds
        self.max_context = max_context

    def over_time(self, rec: Recorder) -> bool:
        """Whether the episode's time in the environment is past ``max_seconds``; it is cut off if so."""
        if self.max_seconds is None or rec.env_seconds <= self.max_seconds or rec.done:
            return False
        rec.episode.truncated = True  # the episode refuses further steps, and the trajectory says why
        return True


def parse_arguments(raw: Any) -> Any:
    """A tool call's arguments as the model wrote them: parsed when JSON, else the raw text.

    The raw text goes to the episode, which answers with an error observation the model can read.
    A JSON string of an object (arguments encoded twice) is read as the object.
    """
    return arguments_of(raw)


__all__ = ["NUDGES", "LLMAgent", "ModelEndpoint", "Turn", "chat", "complete", "parse_arguments"]
