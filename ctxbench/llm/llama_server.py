"""The embedded default model: a llama.cpp server on loopback, started and stopped by the harness,
spoken to through the same OpenAI-compatible client as any remote model. Two servers can serve it
(config `model.local_server`): llama.cpp's own `llama-server`, which scripts/setup.sh builds from
the llama.cpp source vendored in the pinned llama-cpp-python (it reports the prompt tokens its KV
cache served, parses tool calls with the model's chat template, and drafts from n-grams), and
llama-cpp-python's server (`python -m llama_cpp.server`), which does none of those.

The server is the one part of an episode that can die under it (a build for another CPU crashes on
the first token), and the one that keeps computing a request its client gave up on. So it is
probed for speed once started, a request's timeout follows that speed and the reply limit, a timed
out request restarts the server before it is retried (a retry would queue behind the abandoned
generation), and a dead server is reported as a crash with its log, never as a bare connection error.
"""

import contextlib
import ctypes
import ctypes.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import openai

from ctxbench.errors import HarnessError, ServerCrashed
from ctxbench.events import Message
from ctxbench.llm.base import BACKENDS, ModelConfig
from ctxbench.llm.openai_compat import OpenAICompatLLM

READY_TIMEOUT_S = 120
PROBE_PROMPT = "Count from 1 to 100, separated by spaces: 1 2 3"
PROBE_TOKENS = 24
MIN_TIMEOUT_S = 30.0  # server hiccups, first-call warm-up
TIMEOUT_SLACK = 3.0  # a request may take this many times its expected duration before it is abandoned
CHARS_PER_TOKEN = 3.0  # a cautious prompt-size estimate (code and JSON run about 3-4 characters a token)
LOG_TAIL_LINES = 15


def llama_server_binary() -> Path:
    """$CTXBENCH_LLAMA_SERVER, else the one setup put beside the venv's Python, else on PATH."""
    candidates = [os.environ.get("CTXBENCH_LLAMA_SERVER"), str(Path(sys.executable).parent / "llama-server"),
                  shutil.which("llama-server")]  # fmt: skip
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise HarnessError(
        "llama-server not found: run `bash scripts/setup.sh` (it builds it), or set model.local_server "
        "to llama-cpp-python"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child: the kernel kills it when the harness dies, even by SIGKILL (Linux). Strictly,
    when the thread that started it ends: servers are started and stopped by the same thread.
    SIGKILL, not SIGTERM: on SIGTERM the server shuts down gracefully, waiting for the generation in
    flight, and one found running nine minutes after its sweep was killed, at 150 % CPU."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Speed:
    """Measured on the running server: prompt processing and generation, tokens per second."""

    prompt_tps: float
    generation_tps: float

    def expected_s(self, prompt_tokens: float, reply_tokens: int) -> float:
        return prompt_tokens / self.prompt_tps + reply_tokens / self.generation_tps


class LlamaServer:
    """A llama-server (or llama_cpp.server) child process; use as a context manager so it always stops."""

    def __init__(self, config: ModelConfig, log_path: Path, python: str = sys.executable) -> None:
        self.model_path = config.gguf_path()
        if not self.model_path.is_file():
            raise HarnessError(
                f"model file not found: {self.model_path}; run `python scripts/fetch_model.py --model {config.name}`"
            )
        self.config = config
        self.log_path = log_path
        self.python = python  # another venv's llama_cpp.server serves another llama.cpp build (bench)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None  # None: not running by our choice
        self.speed: Speed | None = None  # measured by probe()
        self.starts = 0  # a request that timed out restarts the server only if no one else already did
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        c = self.config
        if c.local_server == "llama-server":
            return [
                str(llama_server_binary()),
                "--model", str(self.model_path), "--alias", c.name,
                "--host", "127.0.0.1", "--port", str(self.port),
                "--ctx-size", str(c.n_ctx), "--threads", str(c.n_threads), "--threads-batch", str(c.n_threads),
                # One slot: one request at a time, as the Python server; the whole n_ctx is its own.
                "--parallel", "1", "--jinja", "--no-webui",
                *(["--spec-type", c.speculative] if c.speculative != "none" else []),
            ]  # fmt: skip
        return [
            self.python, "-m", "llama_cpp.server",
            "--model", str(self.model_path), "--model_alias", c.name,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--n_ctx", str(c.n_ctx), "--n_threads", str(c.n_threads),
            "--n_threads_batch", str(c.n_threads), "--logits_all", "false",
        ]  # fmt: skip

    def start(self) -> "LlamaServer":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=_die_with_parent,
            )  # fmt: skip
        self.starts += 1
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            self.raise_if_dead()
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise HarnessError(f"llama.cpp server not ready after {READY_TIMEOUT_S}s; see {self.log_path}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def raise_if_dead(self) -> None:
        """A server that exited on its own is a crash: say how it died and what it logged last."""
        if self.process is None or self.process.poll() is None:
            return
        code = self.process.returncode
        how = f"signal {-code} {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        raise ServerCrashed(f"llama.cpp server crashed ({how}); last lines of {self.log_path}:\n{self.log_tail()}")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def probe(self) -> Speed:
        """Two tiny requests: a one-token reply times the prompt, a second one (its prompt now cached)
        times generation. Also proves the build runs on this CPU: a bad build dies right here."""
        started = time.perf_counter()
        first = self._complete(PROBE_PROMPT, 1)
        prompt_s = time.perf_counter() - started
        started = time.perf_counter()
        second = self._complete(PROBE_PROMPT, PROBE_TOKENS)
        generation_s = time.perf_counter() - started
        prompt_tokens = first["usage"]["prompt_tokens"]
        generated = max(1, second["usage"]["completion_tokens"])
        self.speed = Speed(prompt_tokens / max(prompt_s, 1e-3), generated / max(generation_s, 1e-3))
        return self.speed

    def _complete(self, prompt: str, max_tokens: int) -> dict[str, Any]:
        body = {"messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens, "temperature": 0.0}
        request = urllib.request.Request(
            f"{self.base_url}/chat/completions", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=READY_TIMEOUT_S) as response:
                return json.loads(response.read())  # type: ignore[no-any-return]
        except OSError as exc:
            self.wait_exit(2.0)
            self.raise_if_dead()
            raise HarnessError(f"llama.cpp server did not answer a probe: {exc}; see {self.log_path}") from None

    def wait_exit(self, seconds: float) -> None:
        """A crashing server closes its socket a moment before the process is gone."""
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=seconds)

    def restart_after_timeout(self, started_as: int) -> None:
        """Abandons whatever the server computes (it would finish a request nobody waits for) and
        measures it again, a slow machine being the likely cause. `started_as` is `starts` when the
        timed-out request was sent: if another client restarted it since, once is enough."""
        with self.lock:
            if self.starts == started_as:
                self.stop()
                self.start()
                self.probe()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> "LlamaServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ServerHandle(Protocol):
    """What a backend uses of its server: a LlamaServer in this process, or a proxy of one that a
    Ray actor runs on this node (executors/ray_model_server.py)."""

    lock: threading.Lock

    @property
    def base_url(self) -> str: ...
    @property
    def speed(self) -> Speed | None: ...
    @property
    def starts(self) -> int: ...
    def probe(self) -> Speed: ...
    def raise_if_dead(self) -> None: ...
    def wait_exit(self, seconds: float) -> None: ...
    def restart_after_timeout(self, started_as: int) -> None: ...
    def stop(self) -> None: ...


_SHARED: dict[tuple[Path, int, int], ServerHandle] = {}


def server_key(config: ModelConfig) -> tuple[Path, int, int]:
    """Backends with the same key can share a server."""
    return config.gguf_path().resolve(), config.n_ctx, config.n_threads


@contextlib.contextmanager
def shared_server(config: ModelConfig, log_path: Path) -> Iterator[LlamaServer]:
    """While open, every llama_cpp backend for this model (a sweep's workers) uses one server."""
    with LlamaServer(config, log_path) as server:
        server.probe()
        with attached(config, server):
            yield server


@contextlib.contextmanager
def attached(config: ModelConfig, server: ServerHandle) -> Iterator[None]:
    """While open, every llama_cpp backend for this model uses the given server and never stops it."""
    key = server_key(config)
    _SHARED[key] = server
    try:
        yield
    finally:
        _SHARED.pop(key, None)


@BACKENDS.register("llama_cpp")
class LocalLlamaLLM(OpenAICompatLLM):
    """Starts its own server, or uses the shared one that is open; closing stops only its own."""

    def __init__(self, config: ModelConfig, *, log_path: Path) -> None:
        shared = _SHARED.get(server_key(config))
        self.owns_server = shared is None
        self.server: ServerHandle = shared or LlamaServer(config, log_path).start()
        try:
            if self.server.speed is None:
                self.server.probe()
            super().__init__(config, base_url=self.server.base_url, api_key="local")
        except BaseException:
            self.close_server()
            raise

    @property
    def speed(self) -> Speed:
        assert self.server.speed is not None
        return self.server.speed

    def timeout_for(self, messages: list[Message], reply_tokens: int) -> float:
        """Follows the reply limit and the measured speed (config.timeout_s is for remote endpoints)."""
        prompt_tokens = sum(len(str(m.get("content") or "")) for m in messages) / CHARS_PER_TOKEN
        return max(MIN_TIMEOUT_S, TIMEOUT_SLACK * self.speed.expected_s(prompt_tokens, reply_tokens))

    def sampling(self, temperature: float | None) -> dict[str, Any]:
        """llama.cpp also truncates with min_p 0.05 and top_k 40 by default: a retry's own
        temperature switches those off too, so that the temperature alone decides. (It is not enough
        against a copy loop: bench/copy_loop.py measures the copies in the context as the cause.)"""
        sampling = super().sampling(temperature)
        # Always sent: llama-cpp-python's server penalizes 1.1 unless told (llama-server: 1.0).
        extra: dict[str, Any] = {"repeat_penalty": self.config.repeat_penalty}
        if temperature is not None and temperature > 0:
            extra.update(min_p=0.0, top_k=0)
        if self.config.repeat_penalty != 1.0:  # over the whole context, as transformers applies it
            extra["repeat_last_n"] = self.config.n_ctx  # (llama-server refuses -1, its "context size")
        sampling["extra_body"] = extra
        return sampling

    def _create(self, messages, seed, reply_tokens, tools, temperature):  # type: ignore[no-untyped-def]
        with self.server.lock:  # a restart in progress (another worker's timeout) finishes first
            self.server.raise_if_dead()
            started_as = self.server.starts
        try:
            return super()._create(messages, seed, reply_tokens, tools, temperature)
        except openai.APIConnectionError as exc:  # APITimeoutError included
            self.server.wait_exit(2.0)
            self.server.raise_if_dead()  # a crash is not retried
            if isinstance(exc, openai.APITimeoutError):
                self.server.restart_after_timeout(started_as)
            raise

    def close_server(self) -> None:
        if self.owns_server:
            self.server.stop()

    def close(self) -> None:
        super().close()
        self.close_server()
