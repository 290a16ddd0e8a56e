"""The embedded default model: a llama.cpp server (llama-cpp-python) on loopback, started and stopped
by the harness, spoken to through the same OpenAI-compatible client as any remote model."""

import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ctxbench.errors import HarnessError
from ctxbench.llm.base import BACKENDS, ModelConfig
from ctxbench.llm.openai_compat import OpenAICompatLLM
from ctxbench.paths import default_model_path

READY_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child: the kernel sends SIGTERM when the harness dies, even by SIGKILL (Linux). Strictly,
    when the thread that started it ends: servers are started and stopped by the same thread."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


class LlamaServer:
    """A llama_cpp.server child process; use as a context manager so it always stops."""

    def __init__(self, config: ModelConfig, log_path: Path) -> None:
        self.model_path = Path(config.model_path or default_model_path())
        if not self.model_path.is_file():
            raise HarnessError(f"model file not found: {self.model_path}; run `python scripts/fetch_model.py` first")
        self.config = config
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        c = self.config
        return [
            sys.executable, "-m", "llama_cpp.server",
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
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise HarnessError(f"llama.cpp server exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise HarnessError(f"llama.cpp server not ready after {READY_TIMEOUT_S}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "LlamaServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@BACKENDS.register("llama_cpp")
class LocalLlamaLLM(OpenAICompatLLM):
    """Starts its own server; closing the backend stops it."""

    def __init__(self, config: ModelConfig, *, log_path: Path) -> None:
        self.server = LlamaServer(config, log_path).start()
        try:
            super().__init__(config, base_url=self.server.base_url, api_key="local")
        except BaseException:
            self.server.stop()
            raise

    def close(self) -> None:
        super().close()
        self.server.stop()
