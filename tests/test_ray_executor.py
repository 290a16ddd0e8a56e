"""Sweeps on a real multi-node Ray cluster on this machine (ray.cluster_utils.Cluster: a head and
worker nodes, each its own raylet process): every episode exactly once, the same results as the
local executor, a node killed mid-sweep losing nothing, resume across executors, and one llama.cpp
server per node shared by that node's episodes."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import needs_bwrap

if TYPE_CHECKING:
    from ctxbench.executors.jobs import Job

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

pytestmark = needs_bwrap
slow = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
NODE_RESOURCES = {"ctxbench_sandbox_bubblewrap": 1, "ctxbench_llama": 1}
SUM_CELL = "import time\ntime.sleep({delay})\nprint(sum(int(x) for x in open('/data/numbers.txt')), " \
           "file=open('/work/sum.txt', 'w'))"  # fmt: skip
# What two runs of one episode may differ in: when and where it ran, and how long it took.
VARYING = {"run_id", "episode_dir", "trace_path", "wall_time_s", "provenance", "links"}


@pytest.fixture(scope="module")
def cluster():
    """A head and one worker node, one CPU each, both offering a bubblewrap sandbox and a model slot."""
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "resources": NODE_RESOURCES})
    cluster.add_node(num_cpus=1, resources=NODE_RESOURCES)
    cluster.wait_for_nodes()
    yield cluster
    if ray.is_initialized():
        ray.shutdown()
    cluster.shutdown()


def sweep_file(tmp_path: Path, name: str, delay: float = 0.0, repeats: int = 2, **extra) -> Path:
    """smoke_sum, scripted: one cell that writes the sum (after `delay` seconds), then submits it."""
    reply = f"```python\n{SUM_CELL.format(delay=delay)}\n```\nFINAL_ANSWER: sum.txt"
    base = {"model": {"backend": "scripted", "scripted_replies": [reply]},
            "budget": {"max_steps": 2}, "sandbox": {"memory_mb": 512},
            "telemetry": {"traces_dir": str(tmp_path / "traces"), "phoenix": {"enabled": False}}}  # fmt: skip
    (tmp_path / "base.json").write_text(json.dumps(base))
    sweep = {"experiment": name, "base_config": str(tmp_path / "base.json"), "repeats": repeats, "tasks": ["smoke_sum"],
             "policies": ["full_history", "sliding_window"], "results_dir": str(tmp_path / "results"),
             "ray": {"episode_memory_mb": 256}, **extra}  # fmt: skip
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(sweep))
    return path


def run_bench(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "run_bench.py"), *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def finish(process: subprocess.Popen, timeout: float = 600) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{out}\n{err}"
    return out


def results_of(experiment: Path) -> dict[str, dict]:
    """Each episode's result.json, by its place in the layout."""
    return {p.parent.relative_to(experiment).as_posix(): json.loads(p.read_text())
            for p in experiment.glob("*/*/*/result.json")}  # fmt: skip


def comparable(result: dict) -> dict:
    totals = {k: v for k, v in result["totals"].items() if not k.endswith("_s")}  # seconds vary
    return {**{k: v for k, v in result.items() if k not in VARYING}, "totals": totals}


@slow
def test_a_ray_sweep_on_two_nodes_gives_the_local_executors_results(cluster, tmp_path):
    local = finish(run_bench("--sweep", str(sweep_file(tmp_path, "local")), cwd=tmp_path))
    on_ray = finish(run_bench("--sweep", str(sweep_file(tmp_path, "onray")), "--executor", "ray",
                              "--ray-address", cluster.address, cwd=tmp_path))  # fmt: skip
    expected, got = results_of(tmp_path / "results/local"), results_of(tmp_path / "results/onray")
    assert len(expected) == 4 and got.keys() == expected.keys()
    for place, result in got.items():
        assert comparable(result) == comparable(expected[place]), place
        assert result["score"]["passed"] and result["episode_dir"] == str(tmp_path / "results/onray" / place)
    records = [json.loads(p.read_text()) for p in (tmp_path / "results/onray").glob("*/*/*/executor.json")]
    assert len(records) == 4 and all(len(r["attempts"]) == 1 for r in records)  # every episode exactly once
    assert len({r["node"] for r in records}) == 2  # both nodes ran episodes
    for folder in (tmp_path / "results/onray").glob("*/*/*/"):
        assert {"trace.jsonl", "messages.json", "work", "sandbox_stderr.log"} <= {p.name for p in folder.iterdir()}
        assert not list(folder.parent.glob("*.incoming"))
    local_summary = (tmp_path / "results/local/summary.csv").read_text().splitlines()
    ray_summary = (tmp_path / "results/onray/summary.csv").read_text().splitlines()
    assert local_summary[0] == ray_summary[0] and len(local_summary) == len(ray_summary) == 3
    assert "results: mean" in local and "results: mean" in on_ray


@slow
def test_workers_write_to_a_shared_results_dir_when_told_to(cluster, tmp_path):
    sweep = sweep_file(tmp_path, "shared", repeats=1, ray={"episode_memory_mb": 256, "shared_results": True})
    finish(run_bench("--sweep", str(sweep), "--executor", "ray", "--ray-address", cluster.address, cwd=tmp_path))
    results = results_of(tmp_path / "results/shared")
    assert len(results) == 2 and all(r["score"]["passed"] for r in results.values())
    for folder in (tmp_path / "results/shared").glob("*/*/*/"):
        assert {"trace.jsonl", "work", "executor.json"} <= {p.name for p in folder.iterdir()}
    relative = json.loads(sweep.read_text()) | {"results_dir": "results", "experiment": "relative"}
    sweep.write_text(json.dumps(relative))
    process = run_bench("--sweep", str(sweep), "--executor", "ray", "--ray-address", cluster.address, cwd=tmp_path)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 2 and "shared_results needs an absolute results_dir" in err


@slow
def test_without_an_address_the_ray_executor_starts_ray_here(cluster, tmp_path):
    """Even with a cluster running on this machine (the fixture's), which Ray would join on its own."""
    finish(run_bench("--sweep", str(sweep_file(tmp_path, "here", repeats=1, workers=2)), "--executor", "ray",
                     cwd=tmp_path))  # fmt: skip
    results = results_of(tmp_path / "results/here")
    assert len(results) == 2 and all(r["score"]["passed"] for r in results.values())
    nodes = {json.loads(p.read_text())["node"] for p in (tmp_path / "results/here").glob("*/*/*/executor.json")}
    assert len(nodes) == 1 and not nodes & {node.node_id for node in cluster.list_all_nodes()}


@slow
def test_a_node_killed_mid_sweep_loses_nothing(cluster, tmp_path):
    victim = cluster.add_node(num_cpus=1, resources=NODE_RESOURCES)
    cluster.wait_for_nodes()
    sweep = sweep_file(tmp_path, "killed", delay=4.0, repeats=3)
    process = run_bench("--sweep", str(sweep), "--executor", "ray", "--ray-address", cluster.address, cwd=tmp_path)
    ray.init(address=cluster.address, namespace="ctxbench", logging_level="WARNING")
    try:
        killed = wait_for_an_episode_on(victim.node_id, "killed", deadline=time.monotonic() + 300)
        cluster.remove_node(victim, allow_graceful=False)
        finish(process)
    finally:
        ray.shutdown()
    experiment = tmp_path / "results/killed"
    records = {p.parent.as_posix(): json.loads(p.read_text()) for p in experiment.glob("*/*/*/executor.json")}
    assert len(results_of(experiment)) == len(records) == 6  # every episode, once in the layout
    assert all(r["score"]["passed"] for r in results_of(experiment).values())
    again = records[killed]["attempts"]
    assert again[0] == victim.node_id and len(again) >= 2 and again[-1] != victim.node_id  # it ran again


def wait_for_an_episode_on(node_id: str, experiment: str, deadline: float) -> str:
    """The folder of an episode the sweep's attempt log says started on the node (and is not done)."""
    while time.monotonic() < deadline:
        names = [n for n in ray.util.list_named_actors() if n.startswith(f"ctxbench-attempts-{experiment}-")]
        if names:
            attempts = ray.get(ray.get_actor(names[0], namespace="ctxbench").all.remote())
            for key, nodes in attempts.items():
                if nodes[-1] == node_id and not (Path(key) / "result.json").exists():
                    return key
        time.sleep(0.2)
    raise AssertionError(f"no episode started on node {node_id}")


@slow
def test_a_sweep_begun_locally_finishes_on_ray_and_back(cluster, tmp_path):
    sweep = sweep_file(tmp_path, "both", repeats=3)
    experiment = tmp_path / "results/both"
    local = subprocess.Popen([sys.executable, str(ROOT / "run_bench.py"), "--sweep", str(sweep)], cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 300
    while len(results_of(experiment)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    local.kill()  # a local sweep stopped part-way, with no cleanup
    local.wait()
    before = {p: p.stat().st_mtime_ns for p in experiment.glob("*/*/*/result.json")}
    assert 2 <= len(before) < 6
    finish(run_bench("--sweep", str(sweep), "--resume", "--executor", "ray", "--ray-address", cluster.address,
                     cwd=tmp_path))  # fmt: skip
    assert len(results_of(experiment)) == 6
    assert all(p.stat().st_mtime_ns == mtime for p, mtime in before.items())  # finished ones not rerun
    by_ray = {p.parent for p in experiment.glob("*/*/*/executor.json")}
    assert len(by_ray) == 6 - len(before)
    for folder in sorted(by_ray)[:2]:  # two episodes Ray ran, lost, then finished locally
        shutil.rmtree(folder)
    finish(run_bench("--sweep", str(sweep), "--resume", cwd=tmp_path))
    assert len(results_of(experiment)) == 6
    assert len(list(experiment.glob("*/*/*/executor.json"))) == 6 - len(before) - 2


@slow
def test_each_node_runs_one_llama_server_shared_by_its_episodes(cluster, tmp_path, local_model_path):
    """The embedded model, direct mode on smoke_sum: the node's first episode starts the server, the
    others attach to it, and the driver stops them all at the end."""
    base = {"reasoning_mode": "direct", "sandbox": {"memory_mb": 512},
            "telemetry": {"traces_dir": str(tmp_path / "traces"), "phoenix": {"enabled": False}}}  # fmt: skip
    (tmp_path / "base.json").write_text(json.dumps(base))
    name = f"llama{time.time_ns()}"  # its servers' logs in /tmp are told apart by it
    sweep = {"experiment": name, "base_config": str(tmp_path / "base.json"), "repeats": 4, "tasks": ["smoke_sum"],
             "results_dir": str(tmp_path / "results"), "ray": {"episode_memory_mb": 256}}  # fmt: skip
    (tmp_path / "sweep.json").write_text(json.dumps(sweep))
    finish(run_bench("--sweep", str(tmp_path / "sweep.json"), "--executor", "ray", "--ray-address", cluster.address,
                     cwd=tmp_path))  # fmt: skip
    experiment = tmp_path / "results" / name
    results = results_of(experiment)
    assert len(results) == 4 and not any(r["harness_failure"] for r in results.values())
    nodes = {json.loads(p.read_text())["node"] for p in experiment.glob("*/*/*/executor.json")}
    server_logs = list(Path("/tmp").glob(f"ctxbench-llama-{name}-*.log"))
    started = [log for log in server_logs if any(node in log.name for node in nodes)]
    assert len(started) == len(nodes)  # one server per node that ran episodes
    for folder in experiment.glob("*/*/*/"):
        assert list(folder.glob("llama_server_*.log"))  # its slice of its node's server log
    ray.init(address=cluster.address, namespace="ctxbench", logging_level="WARNING")
    try:
        assert not [n for n in ray.util.list_named_actors() if n.startswith(f"ctxbench-llama-{name}-")]  # all stopped
    finally:
        ray.shutdown()


def job_with(tmp_path: Path, **overrides) -> "Job":
    from ctxbench.config import validate_config
    from ctxbench.executors.jobs import Job

    config = validate_config({"task": {"name": "smoke_sum"}, **overrides}, "test")
    return Job(config, tmp_path / "results/x/smoke_sum/cell/0", {})


def test_an_episode_asks_a_node_for_its_sandbox_and_model_server(tmp_path):
    from ctxbench.executors.ray_cluster import resource_needs
    from ctxbench.executors.ray_options import RayOptions

    local = resource_needs(job_with(tmp_path, sandbox={"backend": "docker", "memory_mb": 2048}), RayOptions())
    assert local == {"num_cpus": 1.0, "memory": 3072 * 2**20,
                     "resources": {"ctxbench_sandbox_docker": 1.0, "ctxbench_llama": 1.0}}  # fmt: skip
    remote = resource_needs(job_with(tmp_path, model={"backend": "openai", "name": "m", "base_url": "http://h/v1"}),
                            RayOptions(episode_cpus=0.5, episode_memory_mb=700))  # fmt: skip
    assert remote == {"num_cpus": 0.5, "memory": 700 * 2**20, "resources": {"ctxbench_sandbox_bubblewrap": 1.0}}


def test_a_cluster_without_a_needed_resource_is_refused_at_once(tmp_path):
    from ctxbench.errors import ConfigError
    from ctxbench.executors.ray_cluster import RayExecutor
    from ctxbench.executors.ray_options import RayOptions

    class NoModelNodes:
        def cluster_resources(self) -> dict[str, float]:
            return {"CPU": 4.0, "memory": 8e9, "ctxbench_sandbox_bubblewrap": 2.0}

    with pytest.raises(ConfigError, match=r"offers ctxbench_llama.*ray start --resources"):
        RayExecutor(RayOptions(), "h:6379", "x", 1).check_resources(NoModelNodes(), [job_with(tmp_path)])


def test_an_episode_lands_whole_or_not_at_all(tmp_path, monkeypatch):
    from ctxbench.executors import ray_cluster

    episode = tmp_path / "worker/episode"
    (episode / "work").mkdir(parents=True)
    (episode / "work/sum.txt").write_text("42")
    (episode / "result.json").write_text("{}")
    bundle = ray_cluster.pack(episode)
    folder = tmp_path / "results/exp/task/cell/0"
    folder.mkdir(parents=True)
    (folder / "trace.jsonl").write_text("partial")  # left by a killed local run
    ray_cluster.land(bundle, folder, {"executor": "ray", "node": "n1"})
    assert sorted(p.name for p in folder.iterdir()) == ["executor.json", "result.json", "work"]
    assert (folder / "work/sum.txt").read_text() == "42" and not list(folder.parent.glob("*.incoming"))

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the driver dies while unpacking

    monkeypatch.setattr(ray_cluster.tarfile.TarFile, "extractall", killed)
    other = tmp_path / "results/exp/task/cell/1"
    with pytest.raises(KeyboardInterrupt):
        ray_cluster.land(bundle, other, {})
    assert not other.exists()  # nothing that could pass for a finished episode


def test_links_the_agent_made_out_of_its_work_dir_never_land_outside_and_never_stop_the_sweep(tmp_path):
    from ctxbench.executors import ray_cluster

    episode = tmp_path / "worker/episode"
    (episode / "work").mkdir(parents=True)
    (episode / "result.json").write_text('{"score": 1}')
    (episode / "work/passwd").symlink_to("/etc/passwd")  # hostile: an absolute link
    (episode / "work/up").symlink_to("../../../../../..")  # hostile: a link out of the folder
    (episode / "work/answer.csv").write_text("a\n")
    folder = tmp_path / "results/exp/task/cell/0"
    ray_cluster.land(ray_cluster.pack(episode), folder, {"executor": "ray"})
    assert (folder / "result.json").read_text() == '{"score": 1}'
    assert sorted(p.name for p in (folder / "work").iterdir()) == ["answer.csv"]  # the links left out


def test_ray_address_without_the_ray_executor_is_one_clear_line(tmp_path):
    sweep = sweep_file(tmp_path, "flags")
    process = run_bench("--sweep", str(sweep), "--ray-address", "127.0.0.1:1", cwd=tmp_path)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2 and "--ray-address needs --executor ray" in err and "Traceback" not in err
    raw = json.loads(sweep.read_text())
    sweep.write_text(json.dumps({**raw, "executor": "rayy"}))
    process = run_bench("--sweep", str(sweep), cwd=tmp_path)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2 and "executor" in err and "'local' or 'ray'" in err
