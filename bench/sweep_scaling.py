#!/usr/bin/env python3
"""Episodes per minute of a scripted sweep: the local executor at 1 and 2 workers, and the Ray
executor on a cluster of 1 and then 2 nodes (ray.cluster_utils: separate raylets on this machine,
1 CPU each), with the overhead Ray adds per episode and what it is made of.

    .venv/bin/python bench/sweep_scaling.py [--repeats 4] [--no-ray]

Each episode is real apart from the model: task preparation, a bubblewrap session running the
reference solution, grading, traces. 2 policies x 1 mode x repeats episodes per setting. On one
2-core machine two Ray nodes share the same two cores as two local workers do: the figures show
Ray's overhead, not scaling; a real cluster adds up the per-node figure, one node per machine.
"""

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.executors.ray_cluster import land, pack
from ctxbench.sweep import SweepConfig, run_sweep

ROOT = Path(__file__).resolve().parent.parent
NODE_RESOURCES = {"ctxbench_sandbox_bubblewrap": 1, "ctxbench_llama": 1}


def timed_sweep(name: str, repeats: int, tmp: Path, **executor: object) -> float:
    """Seconds the sweep took, from its start to its last episode landed (the summary not included)."""
    reference = (ROOT / "benchmarks/pbmc_annotation/reference.py").read_text()
    reply = f"```python\n{reference}\n```\nFINAL_ANSWER: predictions.csv"
    base = {"model": {"backend": "scripted", "scripted_replies": [reply]}, "budget": {"max_steps": 1},
            "telemetry": {"traces_dir": str(tmp / "traces"), "phoenix": {"enabled": False}}}  # fmt: skip
    (tmp / "base.json").write_text(json.dumps(base))
    sweep = SweepConfig.model_validate({
        "experiment": name, "base_config": tmp / "base.json", "policies": ["full_history", "sliding_window"],
        "repeats": repeats, "results_dir": tmp / "results", "ray": {"episode_memory_mb": 1024}, **executor,
    })  # fmt: skip
    started = time.perf_counter()
    run_sweep(sweep, resume=False)
    return time.perf_counter() - started


def episode_seconds(experiment: Path) -> float:
    """Seconds the episodes themselves took (their own wall time, summed)."""
    return sum(json.loads(p.read_text())["wall_time_s"] for p in experiment.glob("*/*/*/result.json"))


def transfer_figures(experiment: Path, tmp: Path) -> tuple[float, float]:
    """An episode folder's size as sent back (KB), and the seconds to pack and land it."""
    sizes, seconds = [], []
    for index, folder in enumerate(sorted(experiment.glob("*/*/*/"))):
        started = time.perf_counter()
        bundle = pack(folder)
        land(bundle, tmp / "landed" / str(index), {"executor": "bench"})
        seconds.append(time.perf_counter() - started)
        sizes.append(len(bundle) / 1024)
    return statistics.mean(sizes), statistics.mean(seconds)


def ray_figures(repeats: int, tmp: Path) -> dict[str, float]:
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "resources": NODE_RESOURCES})
    try:
        cluster.wait_for_nodes()
        started = time.perf_counter()
        ray.init(address=cluster.address, logging_level=logging.WARNING)
        ray.shutdown()
        connect = time.perf_counter() - started
        one = timed_sweep("ray1", repeats, tmp, executor="ray", ray_address=cluster.address)
        cluster.add_node(num_cpus=1, resources=NODE_RESOURCES)
        cluster.wait_for_nodes()
        two = timed_sweep("ray2", repeats, tmp, executor="ray", ray_address=cluster.address)
    finally:
        cluster.shutdown()
    return {"connect_s": connect, "ray1_s": one, "ray2_s": two}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    n = 2 * args.repeats
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        one = timed_sweep("local1", args.repeats, tmp, workers=1)
        two = timed_sweep("local2", args.repeats, tmp, workers=2)
        print(f"local, 1 worker : {n / one * 60:6.1f} episodes/min ({one:.1f} s for {n})")
        print(f"local, 2 workers: {n / two * 60:6.1f} episodes/min ({two:.1f} s for {n})")
        print(f"scaling local 2/1 workers: {one / two:.2f}x")
        if args.no_ray:
            return 0
        ray_s = ray_figures(args.repeats, tmp)
        size_kb, transfer_s = transfer_figures(tmp / "results/ray1", tmp)
        own = episode_seconds(tmp / "results/ray1") / n
        print(f"ray, 1 node     : {n / ray_s['ray1_s'] * 60:6.1f} episodes/min ({ray_s['ray1_s']:.1f} s for {n})")
        print(f"ray, 2 nodes    : {n / ray_s['ray2_s'] * 60:6.1f} episodes/min ({ray_s['ray2_s']:.1f} s for {n})")
        print(f"scaling ray 2/1 nodes: {ray_s['ray1_s'] / ray_s['ray2_s']:.2f}x (two nodes on the same 2 cores)")
        print(f"ray overhead per episode vs local, 1 worker = 1 node: {(ray_s['ray1_s'] - one) / n:+.2f} s "
              f"(an episode itself: {own:.2f} s); joining the cluster once: {ray_s['connect_s']:.2f} s")  # fmt: skip
        print(f"an episode sent back: {size_kb:.0f} KB, packed and landed in {transfer_s * 1000:.0f} ms")
        print(
            f"per node, 1 CPU: {n / ray_s['ray1_s'] * 60:.1f} episodes/min; a cluster of k such nodes, one per "
            f"machine, adds up to about k times that (the driver lands each episode in {transfer_s * 1000:.0f} ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
