"""Host side of the kernel protocol (see kernel_main.py): one child process, JSON lines both ways."""

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

from ctxbench.errors import HarnessError
from ctxbench.sandbox.base import CellResult, Sandbox, SandboxConfig

KERNEL_SOURCE = Path(__file__).with_name("kernel_main.py")


class KernelDied(Exception):
    pass


class KernelClient:
    def __init__(self, command: list[str], stderr_log: Path) -> None:
        self.command = command
        self.stderr_log = stderr_log
        self.process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()

    def start(self, timeout_s: float) -> None:
        self.stderr_log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.stderr_log, "a") as log:
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                text=True, encoding="utf-8", bufsize=1, start_new_session=True,
            )  # fmt: skip
        self._lines = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=_pump, args=(self.process.stdout, self._lines), daemon=True).start()
        try:
            hello = self._next(timeout_s)
        except (KernelDied, TimeoutError) as exc:
            self.kill()
            raise HarnessError(f"sandbox session failed to start ({exc}); see {self.stderr_log}") from None
        if not hello.get("ready"):
            raise HarnessError(f"sandbox session sent {hello!r} instead of ready")

    def run(self, code: str, timeout_s: float, grace_s: float, limit: int) -> CellResult:
        """Runs one cell. Raises TimeoutError if the kernel ignores its own timer, KernelDied if it exits."""
        assert self.process is not None and self.process.stdin is not None
        started = time.perf_counter()
        try:
            self.process.stdin.write(json.dumps({"code": code, "timeout": timeout_s, "limit": limit}) + "\n")
            self.process.stdin.flush()
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
            code = self.process.wait() if self.process else None
            raise KernelDied(f"session exited with code {code}")
        return json.loads(line)  # type: ignore[no-any-return]

    def kill(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process = None


def _pump(stream: IO[str], lines: "queue.Queue[str | None]") -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


class KernelSandbox(Sandbox):
    """A sandbox whose session is a kernel process; backends only say how to launch it."""

    def __init__(self, config: SandboxConfig, workdir: Path, data_dir: Path | None) -> None:
        self.config = config
        self.workdir = workdir
        self.data_dir = data_dir
        self._kernel: KernelClient | None = None

    def kernel_command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._kernel = KernelClient(self.kernel_command(), self.workdir.parent / "sandbox_stderr.log")
        self._kernel.start(self.config.startup_timeout_s)

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
        self.close()
        self.start()

    def close(self) -> None:
        if self._kernel is not None:
            self._kernel.kill()
            self._kernel = None
