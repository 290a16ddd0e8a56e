"""A sweep, written to Phoenix as experiments so its comparison page sets the policies side by side:
a dataset with one example per task (`ctxbench-sweep-<experiment>`), one experiment per policy x
mode x model x prompt cell with the sweep's repeats as repetitions, and one run per episode,
linked to the episode's trace by its trace id, with its score and stop reason as evaluations and
its tokens, cost and wall time in the run's output. Idempotent: what is there already (the
dataset, an experiment of that name, a run Phoenix answers 409 for) is kept, never duplicated.
(Notes on the API: ../shared/DESIGN.md, "Phoenix experiments".)"""

import datetime
from collections import defaultdict
from pathlib import Path
from typing import Any

from ctxbench.errors import HarnessError

CELL = ("policy", "mode", "model", "prompt")


def trace_id_of(row: dict[str, Any]) -> str | None:
    """The episode's Phoenix trace id, from the link its trace recorded (none when Phoenix was off)."""
    for event in row["trace"].events:
        if event["type"] == "telemetry" and event.get("link"):
            return str(event["link"]).rstrip("/").rsplit("/", 1)[-1]
    return None


def experiment_name(sweep: str, cell: tuple[str, ...]) -> str:
    return " · ".join([sweep, *[part for part in cell if part]])


def log_sweep(experiment: Path, rows: list[dict[str, Any]], base_url: str) -> dict[str, Any]:
    """Writes the sweep's episodes to Phoenix; returns what was written and where to compare."""
    from phoenix.client import Client

    client = Client(base_url=base_url)
    try:
        dataset = dataset_for(client, f"ctxbench-sweep-{experiment.name}", sorted({row["task"] for row in rows}))
    except Exception as exc:  # httpx and the client raise many kinds; none may end the summary
        raise HarnessError(f"Phoenix at {base_url} did not take the sweep's dataset: {exc}") from None
    # The example's internal id (node_id where the client gives one): a chosen id gave HTTP 500.
    examples = {example["input"]["task"]: example.get("node_id") or example["id"] for example in dataset.examples}
    known = {e["name"]: e["id"] for e in client.experiments.list(dataset_id=dataset.id)}
    cells: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        cells[tuple(str(row[key] or "") for key in CELL)].append(row)
    logged, kept, ids = 0, 0, []
    for cell, members in sorted(cells.items()):
        name = experiment_name(experiment.name, cell)
        if name not in known:
            created = client.experiments.create(
                dataset_id=dataset.id, dataset_version_id=dataset.version_id, experiment_name=name,
                experiment_metadata=dict(zip(CELL, cell, strict=True)),
                repetitions=max(int(r["repeat"]) for r in members) + 1,
            )  # fmt: skip
            known[name] = created["id"]
        ids.append(known[name])
        for row in members:
            if log_episode(client, known[name], examples[row["task"]], row):
                logged += 1
            else:
                kept += 1
    compare = f"{base_url}/datasets/{dataset.id}/compare?" + "&".join(f"experimentId={i}" for i in ids)
    return {"dataset": dataset.name, "experiments": len(ids), "runs_logged": logged, "runs_kept": kept,
            "compare_url": compare}  # fmt: skip


def dataset_for(client: Any, name: str, tasks: list[str]) -> Any:
    """The sweep's dataset, one example per task: made once, then only added to."""
    try:
        dataset = client.datasets.get_dataset(dataset=name)
    except Exception:  # not there yet
        return client.datasets.create_dataset(
            name=name, inputs=[{"task": t} for t in tasks], outputs=[{} for _ in tasks],
            metadata=[{"task": t} for t in tasks],
        )  # fmt: skip
    missing = [t for t in tasks if t not in {example["input"]["task"] for example in dataset.examples}]
    if missing:
        dataset = client.datasets.add_examples_to_dataset(
            dataset=dataset, inputs=[{"task": t} for t in missing], outputs=[{} for _ in missing]
        )
    return dataset


def log_episode(client: Any, experiment_id: str, example_id: str, row: dict[str, Any]) -> bool:
    """One episode as a run with its evaluations; False when Phoenix already has that run (409)."""
    import httpx

    trace = row["trace"]
    start = datetime.datetime.fromtimestamp(float(trace.start["ts"]), tz=datetime.UTC)
    end = datetime.datetime.fromtimestamp(float((trace.end or trace.start)["ts"]), tz=datetime.UTC)
    output = {"score": row["score"], "passed": row["passed"], "stop_reason": row["stop_reason"],
              "total_tokens": row["total_tokens"], "cost_usd": row["cost_usd"], "wall_s": row["wall_s"],
              "steps": row["steps"], "seed": row["seed"]}  # fmt: skip
    try:
        run = client.experiments.log_run(
            experiment_id=experiment_id, dataset_example_id=example_id, output=output, start_time=start,
            end_time=end, repetition_number=int(row["repeat"]) + 1, trace_id=trace_id_of(row),
            error=None if row["score"] is not None else f"not scored: {row['stop_reason']}",
        )  # fmt: skip
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code == 409:
            return False
        raise
    if row["score"] is not None:
        client.experiments.log_evaluation(experiment_run_id=run["id"], name="score", score=float(row["score"]),
                                          label="passed" if row["passed"] else "not passed")  # fmt: skip
    client.experiments.log_evaluation(experiment_run_id=run["id"], name="stop_reason", label=str(row["stop_reason"]))
    return True
