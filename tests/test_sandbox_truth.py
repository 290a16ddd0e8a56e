"""No ground truth within the agent's reach, on both backends: every readable file inside a sandbox
(and every gzipped file's content) is hashed, and none may equal a file any grader reads: the
packaged sources in benchmarks/sources_manifest.json, or a task's hidden files as prepared for an
episode. Host paths seen inside name no run, task or seed."""

import json
import shutil
from pathlib import Path

import pytest

from benchmarks import TASKS, make_task
from benchmarks.manifest import content_hashes, current_sources, manifest_hashes
from ctxbench.sandbox import SandboxConfig, make_sandbox
from ctxbench.sandbox.staging import anonymous_session
from tests.sandbox_backends import backend_params

# Agent-side code: hashes what it can read, as a curious agent would, into /work/walk.json.
WALK = """
import contextlib, gzip, hashlib, json, os
def hashes_of(path):
    with open(path, 'rb') as f:
        data = f.read()
    found = [hashlib.sha256(data).hexdigest()]
    if data[:2] == b'\\x1f\\x8b':
        with contextlib.suppress(Exception):
            found.append(hashlib.sha256(gzip.decompress(data)).hexdigest())
    return found
seen = {}
for top in ROOTS:
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in ('/proc', '/sys', '/dev')]
        for name in files:
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                if os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path) < 300_000_000:
                    seen[path] = hashes_of(path)
json.dump(seen, open('/work/walk.json', 'w'))
print(len(seen))
"""


def walk(backend: str, tmp_path: Path, data_dir: Path | None, roots: list[str], plant: Path | None = None) -> dict:
    episode = tmp_path / "results" / "20261122-000000_task_full_history_agentic_s7"
    episode.mkdir(parents=True)
    with anonymous_session(episode, data_dir, 2048) as (work, data):
        if plant is not None:
            shutil.copy(plant, work / "planted.bin")
        config = SandboxConfig(backend=backend, cell_timeout_s=300, memory_mb=4096)
        with make_sandbox(config, work, data) as box:
            result = box.run_cell(f"ROOTS = {roots!r}\n{WALK}")
            assert result.outcome == "ok", result.render()
            mounts = box.run_cell("print(open('/proc/self/mountinfo').read())").stdout
    return {"seen": json.loads((episode / "work" / "walk.json").read_text()), "mounts": mounts}


def hidden_files(task_name: str, workspace: Path) -> tuple[Path, dict[str, set[str]]]:
    """A task prepared as for an episode: its data dir (mounted) and its other files' hashes."""
    prepared = make_task(TASKS.get(task_name).config_class(name=task_name), seed=7).prepare(workspace)
    hidden = {
        str(p): content_hashes(p) for p in workspace.rglob("*") if p.is_file() and prepared.data_dir not in p.parents
    }
    return prepared.data_dir, hidden


def leaks(seen: dict, truth: set[str]) -> list[str]:
    return sorted(path for path, hashes in seen.items() if set(hashes) & truth)


def test_the_manifest_names_the_installed_sources():
    assert {h for hashes in current_sources().values() for h in hashes} == manifest_hashes()


@pytest.mark.parametrize("backend", backend_params())
def test_no_packaged_source_is_readable_anywhere(backend, tmp_path):
    result = walk(backend, tmp_path, None, ["/"])
    assert len(result["seen"]) > 5000 and "/opt/kernel.py" in result["seen"]  # the walk saw the system
    assert leaks(result["seen"], manifest_hashes()) == []
    assert "s7" not in result["mounts"] and "full_history" not in result["mounts"]  # no run id, no seed


@pytest.mark.parametrize("backend", backend_params())
def test_no_hidden_file_of_any_task_is_readable(backend, tmp_path):
    for task_name in TASKS.names():
        data_dir, hidden = hidden_files(task_name, tmp_path / task_name / "task")
        truth = {h for hashes in hidden.values() for h in hashes} | manifest_hashes()
        result = walk(backend, tmp_path / task_name, data_dir, ["/data", "/work", "/tmp"])
        assert result["seen"], task_name  # the task's data was there to look at
        assert leaks(result["seen"], truth) == [], task_name


@pytest.mark.parametrize("backend", backend_params())
def test_the_walk_finds_a_planted_source(backend, tmp_path):
    """The check above can fail: a packaged source copied into the work dir is found (gzipped too)."""
    from benchmarks.manifest import source_path

    planted = source_path("sklearn", "datasets/data/diabetes_target.csv.gz")
    result = walk(backend, tmp_path, None, ["/work"], plant=planted)
    assert leaks(result["seen"], manifest_hashes()) == ["/work/planted.bin"]
