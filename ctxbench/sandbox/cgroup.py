"""A cgroup per bubblewrap session, so that its limits hold for the whole session (every process
and thread, and the pages of its tmpfs mounts), as Docker's do for a container: memory without swap,
processes, CPU time. cgroup v1 (this project's machines) and v2 (most laptops); it needs write
access to the cgroup tree (root, or a delegated subtree). `available()` says whether it has it."""

import contextlib
import os
import threading
import time
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "ctxbench"
PERIOD_US = 100_000


def version() -> int | None:
    if (ROOT / "cgroup.controllers").is_file():
        return 2
    if (ROOT / "memory").is_dir() and (ROOT / "pids").is_dir():
        return 1
    return None


def _write(path: Path, value: str) -> None:
    path.write_text(value)


class SessionCgroup:
    def __init__(self, memory_mb: int, max_procs: int, cpus: float) -> None:
        self.name = f"session-{os.getpid()}-{uuid.uuid4().hex[:12]}"  # the pid: whose it is (sweep_leftovers)
        self.memory = str(memory_mb * 1024 * 1024)
        self.max_procs, self.quota = str(max_procs), str(int(cpus * PERIOD_US))
        self.version = version()
        self.dirs: list[Path] = []

    def create(self) -> None:
        """Raises OSError where the cgroup tree is not writable."""
        if self.version == 2:
            self._create_v2()
        elif self.version == 1:
            self._create_v1()
        else:
            raise OSError("no cgroup hierarchy with memory and pids controllers")

    def _create_v1(self) -> None:
        settings = {
            "memory": [("memory.limit_in_bytes", self.memory), ("memory.memsw.limit_in_bytes", self.memory)],
            "pids": [("pids.max", self.max_procs)],
            "cpu": [("cpu.cfs_period_us", str(PERIOD_US)), ("cpu.cfs_quota_us", self.quota)],
        }
        for controller, values in settings.items():
            folder = ROOT / controller / PARENT / self.name
            folder.mkdir(parents=True, exist_ok=True)
            self.dirs.append(folder)
            for name, value in values:
                if (folder / name).exists():  # memsw only where swap accounting is on
                    _write(folder / name, value)

    def _create_v2(self) -> None:
        parent = ROOT / PARENT
        parent.mkdir(exist_ok=True)
        for folder in (ROOT, parent):  # let the session's cgroup use these controllers
            _write(folder / "cgroup.subtree_control", "+memory +pids +cpu")
        folder = parent / self.name
        folder.mkdir(exist_ok=True)
        self.dirs.append(folder)
        for name, value in [("memory.max", self.memory), ("memory.swap.max", "0"), ("pids.max", self.max_procs),
                            ("cpu.max", f"{self.quota} {PERIOD_US}")]:  # fmt: skip
            _write(folder / name, value)

    def join(self) -> None:
        """In the child, before exec: moves the calling process in ("0" means the writer)."""
        for folder in self.dirs:
            with open(folder / "cgroup.procs", "w") as procs:
                procs.write("0")

    def remove(self) -> None:
        for folder in self.dirs:
            _rmdir_when_empty(folder)
        self.dirs = []


def _rmdir_when_empty(folder: Path, wait_s: float = 2.0) -> None:
    """A killed session's last processes take a moment to leave; one still busy after that is left
    for the next process's sweep."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            os.rmdir(folder)
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)


def sweep_leftovers() -> None:
    """Removes the empty session cgroups that killed harness processes left behind. A live
    process's cgroup is empty between its creation and the session joining it, so only those of
    processes that are gone are removed (removing a live one failed a parallel sweep's session)."""
    for folder in ROOT.glob(f"*/{PARENT}/session-*") if version() == 1 else ROOT.glob(f"{PARENT}/session-*"):
        with contextlib.suppress(OSError):
            if not _owner_alive(folder.name) and not (folder / "cgroup.procs").read_text().strip():
                os.rmdir(folder)


def _owner_alive(name: str) -> bool:
    """Whether the harness process that made the cgroup `session-<pid>-<id>` still runs (a name
    without a pid, from before pids were recorded, counts as gone)."""
    parts = name.split("-")
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def available() -> bool:
    """Whether sessions can get a cgroup here (tried once per process, by the first of a sweep's
    threads to ask)."""
    global _AVAILABLE
    with _PROBING:
        if _AVAILABLE is None:
            _AVAILABLE = _probe()
    return _AVAILABLE


def _probe() -> bool:
    sweep_leftovers()
    probe = SessionCgroup(256, 8, 1.0)
    try:
        probe.create()
        return True
    except OSError:
        return False
    finally:
        probe.remove()


_PROBING = threading.Lock()
_AVAILABLE: bool | None = None
