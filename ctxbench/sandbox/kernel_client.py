"""Host side of the kernel protocol (see kernel_main.py): JSON lines over a channel to one kernel.

A channel is how a backend reaches its kernel: a child process's pipes (bubblewrap) or a
container's attached stdin/stdout (Docker). Everything above the channel is shared.
"""

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from ctxbench.errors import HarnessError
from ctxbench.sandbox.base import CellResult, Sandbox, SandboxConfig

KERNEL_SOURCE = Path(__file__).with_name("kernel_main.py")


class KernelDied(Exception):
    pass


class Channel(Protocol):
    def send(self, line: str) -> None: ...

    def lines(self) -> Iterator[str]:
        """Blocks for each line the kernel writes; ends when the kernel is gone."""
        ...

    def kill(self) -> None: ...


class ProcessChannel:
    def __init__(self, command: list[str], stderr_log: Path, before_exec: Callable[[], None] | None = None) -> None:
        """before_exec: run in the child before it executes `command` (e.g. joining a cgroup)."""
        stderr_log.parent.mkdir(parents=True, exist_ok=True)
        with open(stderr_log, "a") as log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                text=True, encoding="utf-8", bufsize=1, start_new_session=True, preexec_fn=before_exec,
            )  # fmt: skip

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line)
        self.process.stdin.flush()

    def lines(self) -> Iterator[str]:
        assert self.process.stdout is not None
        yield from self.process.stdout

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()


class KernelClient:
    def __init__(self, channel: Channel, where: str) -> None:
        self.channel = channel
        self.where = where  # for error messages: where to look when the kernel fails
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        try:
            for line in self.channel.lines():
                self._lines.put(line)
        except (OSError, ValueError):  # the channel was closed under us by kill()
            pass
        finally:
            self._lines.put(None)

    def wait_ready(self, timeout_s: float) -> None:
        try:
            hello = self._next(timeout_s)
        except (KernelDied, TimeoutError) as exc:
            self.channel.kill()
            raise HarnessError(f"sandbox session failed to start ({exc}); see {self.where}") from None
        if not hello.get("ready"):
            raise HarnessError(f"sandbox session sent {hello!r} instead of ready")

    def run(self, code: str, timeout_s: float, grace_s: float, limit: int) -> CellResult:
        """Runs one cell. Raises TimeoutError if the kernel ignores its own timer, KernelDied if it exits."""
        started = time.perf_counter()
        try:
            self.channel.send(json.dumps({"code": code, "timeout": timeout_s, "limit": limit}) + "\n")
        except OSError as exc:
            raise KernelDied(f"session is gone ({exc})") from None
        reply = self._next(timeout_s + grace_s)
        return CellResult(
            outcome="timeout" if reply["timed_out"] else ("error" if reply["error"] else "ok"),
            stdout=reply["stdout"],
            stderr=reply["stderr"],
            error=reply["error"],
            duration_s=time.perf_counter() - started,
            truncated_chars=reply["truncated_chars"],
        )

    def _next(self, timeout_s: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout_s)
        except queue.Empty:
            raise TimeoutError(f"no reply within {timeout_s:.0f}s") from None
        if line is None:
            raise KernelDied("session exited")
        return json.loads(line)  # type: ignore[no-any-return]

    def kill(self) -> None:
        self.channel.kill()


class KernelSandbox(Sandbox):
    """A sandbox whose session is a kernel; backends only say how to open a channel to one."""

    def __init__(self, config: SandboxConfig, workdir: Path, data_dir: Path | None) -> None:
        self.config = config
        self.workdir = workdir
        self.data_dir = data_dir
        self._kernel: KernelClient | None = None

    def open_channel(self) -> Channel:
        raise NotImplementedError

    @property
    def log_path(self) -> Path:
        return self.workdir.parent / "sandbox_stderr.log"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._kernel = KernelClient(self.open_channel(), str(self.log_path))
        self._kernel.wait_ready(self.config.startup_timeout_s)

    def run_cell(self, code: str, timeout_s: float | None = None) -> CellResult:
        if self._kernel is None:
            self.start()
        assert self._kernel is not None
        timeout = timeout_s or self.config.cell_timeout_s
        started = time.perf_counter()
        try:
            return self._kernel.run(code, timeout, self.config.kill_grace_s, self.config.output_limit_chars)
        except TimeoutError:
            outcome, error = "killed", f"cell ignored its {timeout:.0f}s timeout and was killed"
        except KernelDied as exc:
            outcome, error = "crashed", f"the Python session died ({exc}); possibly out of memory or processes"
        self.restart()
        return CellResult(outcome, "", "", error, time.perf_counter() - started, restarted=True)  # type: ignore[arg-type]

    def restart(self) -> None:
        self.stop_kernel()
        self.start()

    def stop_kernel(self) -> None:
        if self._kernel is not None:
            self._kernel.kill()
            self._kernel = None

    def close(self) -> None:
        """The end of the sandbox: the session, and what it held for its whole life."""
        self.stop_kernel()
