"""Tracing against a real local Phoenix server: the span tree, OpenInference attributes, the score
annotation, no secrets, and the trace page rendered by headless Chromium. A dead endpoint never
breaks a run."""

import csv
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from ctxbench.runner import run_episode
from ctxbench.tracing.jsonl import read_trace
from tests.conftest import needs_bwrap
from tests.test_episode_scripted import REFERENCE, code, make_config

pytestmark = [pytest.mark.slow, needs_bwrap]
ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:6006"
SECRET = "sk-phoenix-test-secret-4242"
COMMON = ("ctxbench.policy_type", "ctxbench.reasoning_mode", "ctxbench.task", "ctxbench.seed", "ctxbench.repeat")


@pytest.fixture(scope="module")
def phoenix() -> str:
    start = subprocess.run(["bash", str(ROOT / "scripts/phoenix.sh"), "start"], capture_output=True, text=True,
                           timeout=600)  # fmt: skip
    assert start.returncode == 0, start.stdout + start.stderr
    return BASE


@pytest.fixture(scope="module")
def episode(phoenix, tmp_path_factory):
    project = f"ctxbench-test-{uuid.uuid4().hex[:8]}"
    tmp_path = tmp_path_factory.mktemp("phoenix")
    replies = [code(f"print('{SECRET}')"), code("1/0"), code(REFERENCE), "FINAL_ANSWER: predictions.csv"]
    phoenix_config = {"traces_dir": str(tmp_path / "traces"), "phoenix": {"enabled": True, "project": project}}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENAI_API_KEY", SECRET)
        patch.setenv("CTXBENCH_PHOENIX_PROJECT", project)
        result = run_episode(make_config(tmp_path, replies, telemetry=phoenix_config, repeat=2, seed=5))
    spans = wait_for_spans(project, expected=18)
    return result, project, spans


def wait_for_spans(project: str, expected: int) -> list[dict]:
    from phoenix.client import Client

    client = Client(base_url=BASE)
    for _ in range(40):
        spans = client.spans.get_spans(project_identifier=project, limit=500)
        if len(spans) >= expected:
            return spans
        time.sleep(0.5)
    raise AssertionError(f"only {len(spans)} spans arrived")


def test_span_tree_and_attributes(episode):
    result, _, spans = episode
    by_id = {s["context"]["span_id"]: s for s in spans}
    named = {s["name"]: s for s in spans}
    parent = lambda s: by_id.get(s.get("parent_id"), {}).get("name")  # noqa: E731
    root = "pbmc_annotation · full_history · agentic"  # the run: task, policy, mode
    assert named[root].get("parent_id") is None and named[root]["attributes"]["session.id"]
    assert parent(named["episode pbmc_annotation"]) == root
    steps = [s for s in spans if s["name"].startswith("step ")]
    assert sorted(s["name"] for s in steps) == ["step 1", "step 2", "step 3", "step 4"]
    assert all(parent(s) == "episode pbmc_annotation" for s in steps)
    kinds = {(s["name"], parent(s)): s["span_kind"] for s in spans}
    assert kinds[("llm", "step 1")] == "LLM" and kinds[("run_python", "step 1")] == "TOOL"
    assert kinds[("context", "step 1")] == "CHAIN" and kinds[("final_answer", "step 4")] == "TOOL"
    assert len({s["context"]["trace_id"] for s in spans}) == 1
    for span in spans:
        attrs = span["attributes"]
        assert [attrs[k] for k in COMMON] == ["full_history", "agentic", "pbmc_annotation", 5, 2], span["name"]
    llm = next(s for s in steps if s["name"] == "step 3")
    llm = next(s for s in spans if s["name"] == "llm" and s.get("parent_id") == llm["context"]["span_id"])
    attrs = llm["attributes"]
    assert attrs["llm.model_name"] == "scripted:qwen2.5-coder-0.5b-instruct-q4_k_m"
    assert attrs["llm.token_count.prompt"] > 0 and attrs["llm.token_count.completion"] > 0
    assert attrs["llm.input_messages.0.message.role"] == "system"
    assert "LogisticRegression" in attrs["llm.output_messages.0.message.content"]
    tool = next(
        s for s in spans if s["name"] == "run_python" and "LogisticRegression" in s["attributes"]["input.value"]
    )
    assert (
        tool["attributes"]["ctxbench.outcome"] == "ok" and "wrote 140 predictions" in tool["attributes"]["output.value"]
    )
    context = next(s for s in spans if s["name"] == "context")
    assert context["attributes"]["ctxbench.context.policy"] == "full_history"
    assert context["attributes"]["ctxbench.context.tokens_after"] > 0
    episode_span = named["episode pbmc_annotation"]["attributes"]
    assert episode_span["ctxbench.score"] == result.score.value and episode_span["ctxbench.passed"] is True


def test_score_is_an_annotation_on_the_trace(episode):
    result, project, spans = episode
    trace_id = spans[0]["context"]["trace_id"]
    response = httpx.get(f"{BASE}/v1/projects/{project}/trace_annotations", params={"trace_ids": trace_id}, timeout=10)
    (annotation,) = response.json()["data"]
    assert annotation["name"] == "score" and annotation["annotator_kind"] == "CODE"
    assert annotation["result"]["score"] == pytest.approx(result.score.value)
    assert annotation["result"]["label"] == "passed"


def test_secrets_never_reach_spans_or_jsonl(episode):
    result, _, spans = episode
    assert SECRET not in json.dumps(spans, default=str)
    assert SECRET not in result.trace_path.read_text()
    assert any("[REDACTED]" in json.dumps(s["attributes"]) for s in spans)


@pytest.mark.skipif(
    shutil.which("chromium") is None and not os.environ.get("CI"), reason="chromium not installed (setup.sh --phoenix)"
)
def test_trace_page_renders_the_span_names(episode, tmp_path):
    _, project, spans = episode
    projects = httpx.get(f"{BASE}/v1/projects", timeout=10).json()["data"]
    project_id = next(p["id"] for p in projects if p["name"] == project)
    url = f"{BASE}/projects/{project_id}/traces/{spans[0]['context']['trace_id']}"
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1000", "--virtual-time-budget=20000",
    ]  # fmt: skip
    shot = tmp_path / "trace.png"
    subprocess.run(["chromium", *flags, f"--screenshot={shot}", url], capture_output=True, timeout=120)
    assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 10_000
    dom = subprocess.run(["chromium", *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    for name in ("episode pbmc_annotation", "step 1", "run_python", "final_answer"):
        assert name in dom, name


def test_the_run_links_its_trace_page(episode):
    result, project, spans = episode
    projects = httpx.get(f"{BASE}/v1/projects", timeout=10).json()["data"]
    project_id = next(p["id"] for p in projects if p["name"] == project)
    assert result.links == [f"{BASE}/projects/{project_id}/traces/{spans[0]['context']['trace_id']}"]
    assert httpx.get(result.links[0], timeout=10).status_code == 200
    assert json.loads((Path(result.meta["episode_dir"]) / "result.json").read_text())["links"] == result.links


def test_dead_endpoint_never_breaks_a_run(tmp_path, capfd):
    dead = {"enabled": True, "endpoint": "http://127.0.0.1:9"}
    phoenix_config = {"traces_dir": str(tmp_path / "traces"), "phoenix": dead}
    started = time.monotonic()
    result = run_episode(make_config(tmp_path, [code("print(1)")], telemetry=phoenix_config, budget={"max_steps": 1}))
    elapsed = time.monotonic() - started
    assert result.stop_reason == "max_steps" and result.links == []
    (note,) = [e for e in read_trace(result.trace_path) if e["type"] == "telemetry"]
    assert "Phoenix does not answer at http://127.0.0.1:9" in note["problems"][0]
    err = capfd.readouterr().err
    assert err.count("Phoenix does not answer at http://127.0.0.1:9") == 1 and "scripts/phoenix.sh start" in err
    assert len(err.strip().splitlines()) == 1, err  # one line, no exporter retries
    assert elapsed < 15  # generous: the figure itself is measured by bench, not asserted here


class _RefusesSpans(http.server.BaseHTTPRequestHandler):
    """Answers like a web server but refuses every span batch: Phoenix failing mid-run."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(503)
        self.end_headers()


def test_failing_exports_are_kept_in_the_trace_not_printed(tmp_path, capfd):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RefusesSpans)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        phoenix_config = {"traces_dir": str(tmp_path / "traces"), "phoenix": {"enabled": True, "endpoint": endpoint}}
        result = run_episode(make_config(tmp_path, [code("print(1)")], telemetry=phoenix_config,
                                         budget={"max_steps": 1}))  # fmt: skip
    finally:
        server.shutdown()
    assert result.stop_reason == "max_steps"
    (note,) = [e for e in read_trace(result.trace_path) if e["type"] == "telemetry"]
    assert any("503" in problem or "export" in problem.lower() for problem in note["problems"]), note
    assert capfd.readouterr().err.strip() == ""


def test_spans_say_what_happened(episode):
    """A failed cell has an error status (the others do not), the LLM span names its provider and
    invocation parameters, and the context span lasts as long as the build did."""
    _, _, spans = episode
    cells = [s for s in spans if s["name"] == "run_python"]
    failed = [s for s in cells if "ZeroDivisionError" in s["attributes"]["output.value"]]
    assert len(failed) == 1 and failed[0]["status_code"] == "ERROR" and "error" in failed[0]["status_message"]
    assert all(s["status_code"] != "ERROR" for s in cells if s not in failed)
    llm = next(s for s in spans if s["name"] == "llm")["attributes"]
    assert llm["llm.provider"] == "ctxbench-scripted"
    assert json.loads(llm["llm.invocation_parameters"])["temperature"] is not None
    assert all(s["end_time"] > s["start_time"] for s in spans if s["name"] == "context")


def chromium_dom(url: str, profile: Path) -> str:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--window-size=1600,1000", "--virtual-time-budget=20000",
    ]  # fmt: skip
    return subprocess.run(["chromium", *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout


def write_scripted_sweep(tmp_path: Path, name: str, policies: list, phoenix: bool) -> None:
    """tmp_path/sweep.json: two repeats of each policy, the scripted model submitting the reference
    solution at once (its base config in tmp_path/base.json), Phoenix on or off."""
    reply = f"```python\n{REFERENCE}\n```\nFINAL_ANSWER: predictions.csv"
    base = {"model": {"backend": "scripted", "scripted_replies": [reply]}, "budget": {"max_steps": 2},
            "telemetry": {"traces_dir": str(tmp_path / "traces"), "phoenix": {"enabled": phoenix}}}  # fmt: skip
    (tmp_path / "base.json").write_text(json.dumps(base))
    sweep = {"experiment": name, "base_config": str(tmp_path / "base.json"), "repeats": 2, "policies": policies,
             "results_dir": str(tmp_path / "results")}  # fmt: skip
    (tmp_path / "sweep.json").write_text(json.dumps(sweep))


def test_a_sweep_becomes_phoenix_experiments_once_and_compares_its_policies(phoenix, tmp_path):
    from phoenix.client import Client

    project = f"ctxbench-test-{uuid.uuid4().hex[:8]}"
    name = f"sweep-{uuid.uuid4().hex[:6]}"
    write_scripted_sweep(tmp_path, name, ["full_history", {"type": "sliding_window", "turns": [1, 3]}], phoenix=True)
    env = {**os.environ, "CTXBENCH_PHOENIX_PROJECT": project}
    command = [sys.executable, str(ROOT / "run_bench.py")]
    done = subprocess.run([*command, "--sweep", str(tmp_path / "sweep.json")], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Phoenix: 3 experiments" in done.stdout and "6 runs written, 0 already there" in done.stdout
    client = Client(base_url=BASE)
    dataset = client.datasets.get_dataset(dataset=f"ctxbench-sweep-{name}")
    experiments = client.experiments.list(dataset_id=dataset.id)
    assert sorted(e["name"].split(" · ")[1] for e in experiments) == [
        "full_history", "sliding_window[turns=1]", "sliding_window[turns=3]"]  # fmt: skip
    again = subprocess.run([*command, "--summarize", str(tmp_path / "results" / name), "--phoenix"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)  # fmt: skip
    assert again.returncode == 0 and "0 runs written, 6 already there" in again.stdout, again.stdout + again.stderr
    compare = again.stdout.split("already there): ")[1].split()[0]
    dom = chromium_dom(compare, tmp_path / "profile")
    summary = {row["policy"]: float(row["score"]) for row in csv.DictReader(
        (tmp_path / "results" / name / "summary.csv").read_text().splitlines())}  # fmt: skip
    for policy, mean in summary.items():  # every policy's name and mean score on the comparison page
        assert policy in dom and f"{mean:.2f}" in dom, (policy, mean)
    assert "score" in dom and "stop_reason" in dom  # the evaluations


def test_a_sweep_run_without_phoenix_is_written_there_only_when_asked(phoenix, tmp_path):
    from phoenix.client import Client

    name = f"untraced-{uuid.uuid4().hex[:6]}"
    write_scripted_sweep(tmp_path, name, ["full_history", "observation_masking"], phoenix=False)
    command = [sys.executable, str(ROOT / "run_bench.py")]
    done = subprocess.run([*command, "--sweep", str(tmp_path / "sweep.json")], capture_output=True, text=True,
                          cwd=tmp_path, timeout=600)  # fmt: skip
    assert done.returncode == 0 and "Phoenix" not in done.stdout, done.stdout + done.stderr
    asked = subprocess.run([*command, "--summarize", str(tmp_path / "results" / name), "--phoenix"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=300)  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert "without trace links" in asked.stdout and "Phoenix: 2 experiments" in asked.stdout, asked.stdout
    assert "4 runs written, 0 already there" in asked.stdout
    client = Client(base_url=BASE)
    dataset = client.datasets.get_dataset(dataset=f"ctxbench-sweep-{name}")
    names = sorted(e["name"].split(" · ")[1] for e in client.experiments.list(dataset_id=dataset.id))
    assert names == ["full_history", "observation_masking"]
