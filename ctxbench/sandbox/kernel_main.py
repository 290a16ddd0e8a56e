"""The persistent Python session that runs INSIDE a sandbox (stdlib only; started once per session).

Protocol: one JSON object per line. The host writes {"code", "timeout", "limit"}; the kernel
answers {"stdout", "stderr", "error", "timed_out", "truncated_chars", "duration_s"}. The protocol
keeps private copies of stdin/stdout, so user code (and its subprocesses) can print, read stdin or
write to fd 1/2 without corrupting it: fd-level output is drained from a pipe into the cell's stdout.
"""

import ast
import builtins
import io
import json
import linecache
import os
import signal
import sys
import threading
import time
import traceback

SENTINEL = b"\x00__ctxbench_cell_end__\x00"


class CellTimeout(BaseException):
    """Raised by the interval timer; a BaseException so `except Exception` in user code can't eat it."""


class BoundedText(io.TextIOBase):
    """Keeps the first `limit` characters written and counts the rest (a 100 MB flood costs nothing)."""

    encoding = "utf-8"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.kept = 0
        self.dropped = 0

    def write(self, text: str) -> int:  # type: ignore[override]
        room = self.limit - self.kept
        if room > 0:
            head = text[:room]
            self.parts.append(head)
            self.kept += len(head)
            self.dropped += len(text) - len(head)
        else:
            self.dropped += len(text)
        return len(text)

    def writable(self) -> bool:
        return True

    def getvalue(self) -> str:
        return "".join(self.parts)


class FdDrain:
    """fd 1 and 2 point at a pipe; a thread copies what arrives into the current cell's buffer."""

    def __init__(self) -> None:
        read_end, write_end = os.pipe()
        os.dup2(write_end, 1)
        os.dup2(write_end, 2)
        os.close(write_end)
        self._read_end = read_end
        self.buffer = BoundedText(0)
        self._done = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        pending = b""
        while chunk := os.read(self._read_end, 65536):
            pending += chunk
            if SENTINEL in pending:
                before, _, pending = pending.partition(SENTINEL)
                self.buffer.write(before.decode("utf-8", "replace"))
                self._done.set()
                continue
            keep = len(SENTINEL) - 1  # a sentinel may be split across reads
            self.buffer.write(pending[:-keep].decode("utf-8", "replace"))
            pending = pending[-keep:]

    def collect(self, timeout: float = 2.0) -> None:
        """Wait until everything written to fd 1/2 before now has been drained."""
        self._done.clear()
        os.write(1, SENTINEL)
        self._done.wait(timeout)


def _on_timer(signum: int, frame: object) -> None:
    raise CellTimeout()


def format_cell_error(exc: BaseException) -> str:
    """A traceback of the cell's own frames and the error; library frames are folded into a count
    (they cost the model many tokens and rarely help it)."""
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # [0] is this kernel's exec
    shown = [f for f in frames if f.filename.startswith("<cell-")]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(shown)]
    hidden = len(frames) - len(shown)
    if hidden:
        last = frames[-1]
        lines.append(f"  ... {hidden} frame(s) in library code, last: {last.filename}:{last.lineno} in {last.name}\n")
    try:
        missing = missing_attribute(exc)
    except Exception:  # a cell's own exception or frame globals with a broken __str__/__repr__
        missing = None
    lines += [f"AttributeError: {missing}\n"] if missing else traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def missing_attribute(exc: BaseException) -> str | None:
    """What a bare `raise AttributeError` in a `__getattr__` was asked for. scanpy's module
    `__getattr__` raises it with no message, so the model sees only `AttributeError` and keeps
    calling a function that does not exist; the name is still in that frame's arguments."""
    if not isinstance(exc, AttributeError) or str(exc) or exc.__traceback__ is None:
        return None
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame, code = tb.tb_frame, tb.tb_frame.f_code
    if code.co_name != "__getattr__" or code.co_argcount not in (1, 2):
        return None
    args = [frame.f_locals.get(name) for name in code.co_varnames[: code.co_argcount]]
    if not isinstance(args[-1], str):
        return None
    if code.co_argcount == 1:  # a module's __getattr__(name)
        return f"module {frame.f_globals.get('__name__', '?')!r} has no attribute {args[0]!r}"
    return f"{type(args[0]).__name__!r} object has no attribute {args[1]!r}"


def run_cell(code: str, namespace: dict, number: int) -> str | None:
    """Executes a cell like a notebook: the value of a trailing expression is printed."""
    filename = f"<cell-{number}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    try:
        tree = ast.parse(code, filename, "exec")
    except SyntaxError:
        return traceback.format_exc(limit=0)
    last_expr = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last_expr = ast.Expression(tree.body.pop().value)  # type: ignore[attr-defined]
    try:
        exec(compile(tree, filename, "exec"), namespace)
        if last_expr is not None:
            value = eval(compile(last_expr, filename, "eval"), namespace)
            if value is not None:
                print(repr(value))
    except CellTimeout:
        raise
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are cell errors too
        return format_cell_error(exc)
    return None


def main() -> None:
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    sys.stdin = open(os.devnull)  # noqa: SIM115  (lives as long as the kernel)
    drain = FdDrain()
    signal.signal(signal.SIGALRM, _on_timer)
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    print(json.dumps({"ready": True, "pid": os.getpid()}), file=proto_out, flush=True)
    for number, line in enumerate(proto_in, start=1):
        request = json.loads(line)
        limit = int(request["limit"])
        out, err = BoundedText(limit), BoundedText(limit)
        drain.buffer = out
        sys.stdout, sys.stderr = out, err
        started = time.perf_counter()
        timed_out, error = False, None
        signal.setitimer(signal.ITIMER_REAL, float(request["timeout"]))
        try:
            error = run_cell(request["code"], namespace, number)
        except CellTimeout:
            timed_out = True
            error = f"TimeoutError: cell exceeded {request['timeout']}s and was interrupted"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        drain.collect()
        reply = {
            "stdout": out.getvalue(),
            "stderr": err.getvalue(),
            "error": error,
            "timed_out": timed_out,
            "truncated_chars": out.dropped + err.dropped,
            "duration_s": time.perf_counter() - started,
        }
        print(json.dumps(reply), file=proto_out, flush=True)


if __name__ == "__main__":
    main()
