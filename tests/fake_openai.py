"""A local OpenAI-compatible chat endpoint for tests: real HTTP on loopback, replies from a script.

``reply(request) -> Reply`` decides each answer from the request the client sent (its messages,
tools, model), so a test can play a model that calls tools, writes malformed arguments, fails
with a status, or answers too slowly. :func:`gold_player` is such a model that knows each task's
gold actions and plays them, one per turn.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from workgym.tasks import Task


@dataclass
class Reply:
    """One answer: text and/or tool calls ``(name, arguments text)``; or an HTTP error; after a delay.

    ``logprobs`` are ``(token, logprob, id)`` per completion token, sent as the chat-completions
    API's ``logprobs.content`` (with llama.cpp's per-token ``id``); ``token_ids`` as vLLM's
    ``choices[0].token_ids``; ``usage`` the prompt and completion tokens the answer reports.
    """

    content: str | None = None
    tool_calls: list[tuple[str, str]] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    logprobs: list[tuple[str, float, int]] | None = None
    token_ids: list[int] | None = None
    usage: tuple[int, int] = (11, 7)


class FakeOpenAI:
    """An OpenAI-compatible server on a free loopback port; ``url`` is its ``/v1`` base."""

    def __init__(self, reply: Callable[[dict[str, Any]], Reply]) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.requests.append(body)
                    answer = reply(body)
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.status != 200:
                    payload = json.dumps(
                        {"error": {"message": f"scripted {answer.status}", "type": "server_error"}}
                    )
                else:
                    message: dict[str, Any] = {"role": "assistant", "content": answer.content}
                    if answer.tool_calls:
                        message["tool_calls"] = [
                            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
                            for i, (n, a) in enumerate(answer.tool_calls)
                        ]
                    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "message": message}
                    if answer.logprobs is not None:
                        tokens = [
                            {"id": i, "token": t, "logprob": lp, "bytes": [*t.encode()], "top_logprobs": []}
                            for t, lp, i in answer.logprobs
                        ]
                        choice["logprobs"] = {"content": tokens}
                    if answer.token_ids is not None:
                        choice["token_ids"] = answer.token_ids
                    payload = json.dumps(
                        {
                            "id": "chatcmpl-test",
                            "object": "chat.completion",
                            "created": 0,
                            "model": body.get("model", ""),
                            "choices": [choice],
                            "usage": {
                                "prompt_tokens": answer.usage[0],
                                "completion_tokens": answer.usage[1],
                                "total_tokens": sum(answer.usage),
                            },
                        }
                    )
                data = payload.encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


MALFORMED = "{not json"


def gold_player(
    tasks: list[Task],
    react: bool = False,
    before: Callable[[dict[str, Any], int], Reply | None] | None = None,
) -> Callable[[dict[str, Any]], Reply]:
    """A model that plays each task's gold actions, one per turn; ``before`` may answer a turn instead."""
    by_instruction = {t.instruction: t for t in tasks}

    def reply(request: dict[str, Any]) -> Reply:
        messages = request["messages"]
        task = by_instruction[messages[1]["content"]]
        turn = sum(1 for m in messages if m["role"] == "assistant")
        early = before(request, turn) if before is not None else None
        if early is not None:
            return early
        if react:
            played = sum(1 for m in messages if m["role"] == "assistant" and "\nAction: " in m["content"])
        else:  # gold calls made so far: every tool call but the scripted malformed ones
            calls = [c for m in messages if m["role"] == "assistant" for c in m.get("tool_calls") or []]
            played = sum(1 for c in calls if c["function"]["arguments"] != MALFORMED)
        if played >= len(task.gold):  # a task of changes, all made: the model says so and ends
            if react:
                return Reply(content="Thought: all made\nFinal Answer: made the changes asked for")
            return Reply(tool_calls=[("submit_answer", json.dumps({"text": "made the changes asked for"}))])
        call = task.gold[played]
        arguments = json.dumps(dict(call.arguments))
        if react:
            return Reply(
                content=f"Thought: next, {call.name}\nAction: {call.name}\nAction Input: {arguments}"
            )
        return Reply(tool_calls=[(call.name, arguments)])

    return reply
