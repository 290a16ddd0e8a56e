"""A shell command run inside the sandbox session, as a cell of its own: `bash -c` in /work, with the
session's limits (memory, processes, network, files are the sandbox's), a time limit below the
cell's so the command is stopped and reported rather than the session interrupted, and its output
capped while it is read. Every process the command started in its group is killed when it ends,
so `sleep 600 &` leaves nothing behind (a process that makes a session of its own, `setsid`, lives
on inside the sandbox until the session ends, within the same limits)."""

from ctxbench.sandbox.base import CellResult, Sandbox, SandboxConfig

SHELL_TIME_SHARE = 0.9  # of the cell's time limit: the rest is for stopping the command and reporting
NOTE_CHARS = 100  # kept free of the cell's output limit for the lines that say what was cut and how it ended

# Runs in the kernel. No top-level definitions (a code answer's `def`s are tracked per cell), and its
# names are removed at the end so the agent's namespace is as it was.
CELL = """\
import os as _o, select as _sl, signal as _sg, subprocess as _sp, time as _t
_p = _sp.Popen(["bash", "-c", {command!r}], stdout=_sp.PIPE, stderr=_sp.STDOUT, stdin=_sp.DEVNULL,
               cwd="/work", start_new_session=True)
_kept, _dropped, _deadline, _status = bytearray(), 0, _t.monotonic() + {timeout_s!r}, None
while True:
    _left = _deadline - _t.monotonic()
    if _left <= 0:
        _status = "[timed out after {timeout_s:g} s: stopped]"
        break
    if _sl.select([_p.stdout], [], [], min(_left, 0.2))[0]:
        _chunk = _o.read(_p.stdout.fileno(), 65536)
        if not _chunk:
            break
        _room = max(0, {limit!r} - len(_kept))
        _kept += _chunk[:_room]
        _dropped += len(_chunk) - len(_chunk[:_room])
    elif _p.poll() is not None:
        break  # bash is done; a background job still holding the pipe is not waited for
try:
    _p.wait(max(0.0, _deadline - _t.monotonic()))  # its output ends a moment before it does
except _sp.TimeoutExpired:
    _status = "[timed out after {timeout_s:g} s: stopped]"
try:
    _o.killpg(_p.pid, _sg.SIGKILL)
except ProcessLookupError:
    pass
_p.wait()
_p.stdout.close()
print(_kept.decode(errors="replace"), end="" if _kept.endswith(b"\\n") or not _kept else "\\n")
if _dropped:
    print(f"[{{_dropped}} more bytes of output not shown]")
print(_status or f"[exit status {{_p.returncode}}]")
for _n in ("_o", "_sl", "_sg", "_sp", "_t", "_p", "_kept", "_dropped", "_deadline", "_status", "_left", "_chunk",
           "_room"):
    globals().pop(_n, None)
del _n
"""


def shell_cell(command: str, config: SandboxConfig) -> str:
    """The Python cell that runs `command` in the session's shell, within `config`'s limits."""
    timeout_s = round(config.cell_timeout_s * SHELL_TIME_SHARE, 3)
    return CELL.format(command=command, timeout_s=timeout_s, limit=max(0, config.output_limit_chars - NOTE_CHARS))


def run_shell(box: Sandbox, command: str) -> CellResult:
    return box.run_cell(shell_cell(command, box.config))
