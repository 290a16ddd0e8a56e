"""The embedded model on a Ray cluster: one llama.cpp server per node and model, run by a Ray actor
pinned to that node, shared by the node's episodes (as the local executor's workers share one).

The node's first episode starts the actor (a named, detached actor: `get_if_exists` makes the
node's concurrent episodes agree on one); the driver stops every one of its sweep at the end. An
episode reaches the server on the node's loopback and speaks to the actor through `RemoteServer`,
which a backend uses as it would a server of its own process: the actor serializes restarts after
a timeout as the server's lock does, and reports a crash with the server's signal and log."""

import contextlib
import hashlib
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ctxbench.errors import HarnessError, ServerCrashed
from ctxbench.llm import llama_server
from ctxbench.llm.base import ModelConfig
from ctxbench.llm.llama_server import LlamaServer, Speed

NAMESPACE = "ctxbench"
ACTOR_PREFIX = "ctxbench-llama"


class NodeModelServer:
    """A Ray actor: the node's llama.cpp server for one model. Methods run one at a time (the
    actor's single thread), so a restart finishes before anyone reads the server again; the server
    process is started by that thread and dies with the actor (PR_SET_PDEATHSIG)."""

    def __init__(self, model: ModelConfig, log_path: str) -> None:
        self.server = LlamaServer(model, Path(log_path)).start()
        self.server.probe()

    def info(self) -> dict[str, Any]:
        speed = self.server.speed
        assert speed is not None
        return {"base_url": self.server.base_url, "speed": (speed.prompt_tps, speed.generation_tps)}

    def status(self) -> tuple[int, str | None]:
        """How many times the server was started, and its crash report if it died on its own."""
        try:
            self.server.raise_if_dead()
        except ServerCrashed as exc:
            return self.server.starts, str(exc)
        return self.server.starts, None

    def wait_exit(self, seconds: float) -> None:
        self.server.wait_exit(seconds)

    def restart_after_timeout(self, started_as: int) -> tuple[float, float]:
        self.server.restart_after_timeout(started_as)
        speed = self.server.speed
        assert speed is not None
        return speed.prompt_tps, speed.generation_tps

    def log_size(self) -> int:
        path = self.server.log_path
        return path.stat().st_size if path.exists() else 0

    def log_since(self, offset: int) -> bytes:
        with contextlib.suppress(OSError), open(self.server.log_path, "rb") as log:
            log.seek(offset)
            return log.read()
        return b""

    def stop(self) -> None:
        self.server.stop()


class RemoteServer:
    """The node's server as a backend sees it (llama_server.ServerHandle), answered by the actor."""

    def __init__(self, actor: Any, node: str) -> None:
        import ray

        self.ray, self.actor, self.node = ray, actor, node
        info = self.call("info")
        self._base_url, self._speed = info["base_url"], Speed(*info["speed"])
        self.lock = threading.Lock()
        self.log_start = self.call("log_size")

    def call(self, method: str, *args: Any) -> Any:
        try:
            return self.ray.get(getattr(self.actor, method).remote(*args))
        except self.ray.exceptions.RayActorError as exc:
            raise HarnessError(f"the llama.cpp server actor of node {self.node} is gone: {exc}") from None

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def speed(self) -> Speed:
        return self._speed

    @property
    def starts(self) -> int:
        return int(self.call("status")[0])

    def probe(self) -> Speed:
        return self._speed  # the actor probed it when it started (and after every restart)

    def raise_if_dead(self) -> None:
        _, crash = self.call("status")
        if crash is not None:
            raise ServerCrashed(crash)

    def wait_exit(self, seconds: float) -> None:
        self.call("wait_exit", seconds)

    def restart_after_timeout(self, started_as: int) -> None:
        self._speed = Speed(*self.call("restart_after_timeout", started_as))

    def stop(self) -> None:
        """Never by an episode: the driver stops the node's server when the sweep ends."""

    def keep_log_slice(self, folder: Path) -> None:
        """What the node's server logged during this episode, beside its sandbox_stderr.log (with
        several episodes on the node, their lines of that time too)."""
        text = self.call("log_since", self.log_start)
        if text:
            (folder / f"llama_server_{self.node[:12]}.log").write_bytes(text)


def actor_name(experiment: str, node: str, model: ModelConfig) -> str:
    key = hashlib.sha256(repr(llama_server.server_key(model)).encode()).hexdigest()[:12]
    return f"{ACTOR_PREFIX}-{experiment}-{node}-{key}"


@contextlib.contextmanager
def node_server(model: ModelConfig, experiment: str, node: str) -> Iterator[RemoteServer]:
    """Within it, the episode's llama_cpp backend uses this node's server for `model`, started by
    whichever episode of the node came first."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    name = actor_name(experiment, node, model)
    log_path = Path(tempfile.gettempdir()) / f"{name}.log"
    actor = (
        ray.remote(NodeModelServer)
        .options(name=name, namespace=NAMESPACE, get_if_exists=True, lifetime="detached", num_cpus=0, max_restarts=0,
                 scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
        .remote(model, str(log_path))
    )  # fmt: skip
    server = RemoteServer(actor, node)
    with llama_server.attached(model, server):
        yield server


def stop_all(ray: Any, experiment: str) -> None:
    """Stops every node's server of this sweep (the actors outlive the episodes that started them)."""
    prefix = f"{ACTOR_PREFIX}-{experiment}-"
    for name in ray.util.list_named_actors():
        if not name.startswith(prefix):
            continue
        with contextlib.suppress(Exception):  # a node already gone took its actor along
            actor = ray.get_actor(name, namespace=NAMESPACE)
            with contextlib.suppress(Exception):
                ray.get(actor.stop.remote(), timeout=30)
            ray.kill(actor)
