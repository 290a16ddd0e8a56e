"""Docker backend: one hardened container per session, its main process the kernel, reached through
the container's attached stdin/stdout (docker SDK). Restarting the session replaces the container.

Hardening: no network, memory = memory+swap limit, pids limit, CPU quota, read-only root with tmpfs
/tmp, task data bound read-only, the work dir bound read-write (so files and figures the agent
writes land in the episode folder), non-root user, all capabilities dropped, no-new-privileges, init.
Containers carry a label and their owner's pid: they are removed on close, on exit, and swept at
the next start if their owner died without cleaning up.
"""

import atexit
import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ctxbench.errors import HarnessError
from ctxbench.sandbox.base import SANDBOXES, SESSION_ENV, SandboxConfig
from ctxbench.sandbox.kernel_client import KERNEL_SOURCE, Channel, KernelSandbox

LABEL = "ctxbench.sandbox"
OWNER_LABEL = "ctxbench.owner_pid"
STDOUT, STDERR = 1, 2

_live: dict[str, Any] = {}  # container id -> container, removed at interpreter exit if still there


@atexit.register
def _remove_live_containers() -> None:
    for container in list(_live.values()):
        _remove(container)


def _remove(container: Any) -> None:
    _live.pop(container.id, None)
    with contextlib.suppress(Exception):  # already gone, or the engine is down: nothing more to do
        container.remove(force=True)


def docker_client() -> Any:
    import docker  # deferred: only this backend needs it

    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as exc:
        raise HarnessError(f"Docker engine not reachable ({exc}); run scripts/docker_engine.sh") from None
    return client


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_leftovers(client: Any) -> list[str]:
    """Removes sandbox containers whose owning harness process is gone. Returns their names."""
    removed = []
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        owner = container.labels.get(OWNER_LABEL, "")
        if owner == "manual" or (owner.isdigit() and _pid_alive(int(owner))):
            continue
        _remove(container)
        removed.append(container.name)
    return removed


def create_container(
    client: Any, config: SandboxConfig, workdir: Path, data_dir: Path | None, owner: str, name: str | None = None
) -> Any:
    """A hardened, not yet started kernel container. owner: the harness pid, or "manual" (never swept)."""
    volumes = {
        str(workdir.resolve()): {"bind": "/work", "mode": "rw"},
        str(KERNEL_SOURCE): {"bind": "/opt/kernel.py", "mode": "ro"},
    }
    if data_dir is not None:
        volumes[str(data_dir.resolve())] = {"bind": "/data", "mode": "ro"}
    memory = f"{config.memory_mb}m"
    os.chmod(workdir, 0o777)  # the container's uid 1000 must be able to write here
    try:
        return client.containers.create(
            config.docker_image, command=["/opt/venv/bin/python", "-u", "/opt/kernel.py"], name=name,
            stdin_open=True, detach=True, tty=False,  # detach: stdin stays open between attaches
            environment=SESSION_ENV,
            labels={LABEL: "1", OWNER_LABEL: owner},
            network_mode="none", mem_limit=memory, memswap_limit=memory, pids_limit=config.max_procs,
            nano_cpus=int(config.cpus * 1e9), read_only=True,
            tmpfs={"/tmp": f"rw,nosuid,nodev,size={config.tmp_mb}m,mode=1777"}, shm_size=f"{config.shm_mb}m",
            volumes=volumes, user="1000:1000", cap_drop=["ALL"], security_opt=["no-new-privileges"],
            init=True, working_dir="/work",
        )  # fmt: skip
    except Exception as exc:
        raise HarnessError(f"could not create sandbox container from {config.docker_image!r}: {exc}") from None


class DockerChannel:
    """The kernel's stdin/stdout through the docker attach API (multiplexed frames, no tty)."""

    def __init__(self, container: Any, log: Path, *, start: bool) -> None:
        self.container = container
        self.log = log
        # Attach before start so the kernel's first line (ready) is not missed.
        self.sock = container.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        self.raw: socket.socket = self.sock._sock
        if start:
            container.start()

    def send(self, line: str) -> None:
        self.raw.sendall(line.encode())

    def lines(self) -> Iterator[str]:
        from docker.utils.socket import frames_iter

        pending = b""
        with open(self.log, "ab") as log:
            for stream, data in frames_iter(self.sock, tty=False):
                if stream == STDERR:
                    log.write(data)
                    log.flush()
                    continue
                pending += data
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    yield line.decode("utf-8", "replace") + "\n"

    def detach(self) -> None:
        self.sock.close()

    def kill(self) -> None:
        try:
            self.detach()
        finally:
            _remove(self.container)


@SANDBOXES.register("docker")
class DockerSandbox(KernelSandbox):
    def __init__(self, config: SandboxConfig, workdir: Path, data_dir: Path | None) -> None:
        super().__init__(config, workdir, data_dir)
        self._client: Any = None

    def open_channel(self) -> Channel:
        if self._client is None:
            self._client = docker_client()
            sweep_leftovers(self._client)
        container = create_container(self._client, self.config, self.workdir, self.data_dir, str(os.getpid()))
        _live[container.id] = container
        return DockerChannel(container, self.log_path, start=True)
