"""A local OpenAI-compatible chat-completions server that answers a probe suite's cases
with a chosen behaviour. Used by the tests and ``make bench``, never by the service.

It knows each case by its messages and answers with the case's expected calls, bent by
the behaviour: ``correct``; ``broken_json`` (arguments cut short, a broken tool-call
parser); ``wrong_names`` (names prefixed ``functions.``, as some parsers leak);
``never_calls``; ``always_calls`` (also calls where no call is expected, with ``{}``);
``slow`` (answers correctly after ``delay`` seconds); ``http_500``. Binds 127.0.0.1 only.

Pure: no Django.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from metrics.probes.suite import ProbeSuite

BEHAVIOURS = ("correct", "broken_json", "wrong_names", "never_calls", "always_calls", "slow",
              "http_500")


def case_key(messages: list) -> str:
    return json.dumps(messages, sort_keys=True, ensure_ascii=False)


class FakeOpenAI:
    """``with FakeOpenAI(suite, "correct") as fake: fake.base_url`` → ``http://127.0.0.1:P/v1``.

    ``behaviour`` and ``delay`` may be changed while it runs (a provider fixing its parser).
    ``latency`` adds a fixed service time to every answer (benchmarks). ``every`` = n applies
    the behaviour to every n-th case of the suite only (by position), the rest correct: a
    provider that fails sometimes (demo data).
    """

    def __init__(self, suite: ProbeSuite, behaviour: str = "correct", *, delay: float = 5.0,
                 latency: float = 0.0, every: int = 1) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}")
        self.cases = {case_key(list(c.messages)): c for c in suite.cases}
        self.position = {c.id: i for i, c in enumerate(suite.cases)}
        self.every = max(1, every)
        self.behaviour = behaviour
        self.delay = delay
        self.latency = latency
        self.requests: list[dict] = []
        self.authorization: list[str | None] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, request: dict) -> tuple[int, dict]:
        case = self.cases.get(case_key(request.get("messages") or []))
        if case is None:
            return 400, {"error": {"message": "unknown case", "type": "invalid_request_error"}}
        behaviour = self.behaviour
        if self.position[case.id] % self.every:
            behaviour = "correct"
        if behaviour == "http_500":
            return 500, {"error": {"message": "internal error", "type": "server_error"}}
        if behaviour == "slow":
            time.sleep(self.delay)
        calls = [] if behaviour == "never_calls" else list(case.expected_calls)
        if behaviour == "always_calls" and not calls:
            calls = [{"name": case.tools[0]["function"]["name"], "arguments": {}}]
        tool_calls = []
        for index, call in enumerate(calls):
            arguments = json.dumps(call["arguments"], ensure_ascii=False)
            name = call["name"]
            if behaviour == "broken_json":
                arguments = arguments[:-1]
            elif behaviour == "wrong_names":
                name = f"functions.{name}"
            tool_calls.append({"id": f"call_{index}", "type": "function",
                               "function": {"name": name, "arguments": arguments}})
        message = {"role": "assistant", "content": None if tool_calls else "Here is my answer."}
        if tool_calls:
            message["tool_calls"] = tool_calls
        return 200, {
            "id": f"chatcmpl-{case.id}", "object": "chat.completion", "created": int(time.time()),
            "model": request.get("model", ""),
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if tool_calls else "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # Headers and body go out in two writes: without NODELAY, Nagle's algorithm
                # and the client's delayed ACK add ~40 ms to every answer, as no real
                # provider does.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    request = json.loads(self.rfile.read(length))
                except ValueError:
                    request = {}
                with fake._lock:
                    fake.requests.append(request)
                    fake.authorization.append(self.headers.get("Authorization"))
                if fake.latency:
                    time.sleep(fake.latency)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    status, body = 404, {"error": {"message": "not found"}}
                else:
                    status, body = fake.answer(request)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the prober gave up (timeout): nothing to answer

            def log_message(self, *args):
                pass

        return Handler
