"""Limits that hold for a whole session and mean the same on both backends: memory_mb is the memory
the session may touch, its tmpfs included (not the address space it may reserve); /tmp and /dev/shm
have a size; each bubblewrap sandbox has a uid of its own, also across harness processes."""

import subprocess
import sys
from pathlib import Path

import pytest

from ctxbench.sandbox import SandboxConfig, make_sandbox
from ctxbench.sandbox.bubblewrap import claim_uid
from ctxbench.sandbox.staging import anonymous_session
from tests.conftest import needs_bwrap
from tests.sandbox_backends import backend_params

MB = 2**20
LIMITS = dict(memory_mb=600, tmp_mb=2048, shm_mb=64, cell_timeout_s=60, kill_grace_s=5)


@pytest.fixture(params=backend_params())
def box(request, tmp_path: Path):
    with make_sandbox(SandboxConfig(backend=request.param, **LIMITS), tmp_path / "ep" / "work", None) as sandbox:
        yield sandbox
        assert sandbox.run_cell("print('next step')").stdout == "next step\n"


def test_memory_is_what_the_session_touches_not_what_it_reserves(box):
    reserve = box.run_cell(f"import mmap\nreserved = mmap.mmap(-1, 3 * 600 * {MB})\nprint('reserved')")
    assert reserve.outcome == "ok", reserve.render()  # an address-space limit would refuse this
    assert box.run_cell(f"half = bytearray(300 * {MB})\nprint(len(half))").outcome == "ok"
    over = box.run_cell(f"more = bytearray(900 * {MB})")
    assert over.outcome in {"error", "crashed"} and (over.restarted or "MemoryError" in (over.error or ""))


def test_tmpfs_counts_against_the_session_memory(box):
    result = box.run_cell(f"open('/tmp/big', 'wb').write(b'x' * (900 * {MB}))")
    assert result.outcome in {"error", "crashed"}, result.render()


def test_shm_has_a_size(box):
    result = box.run_cell(f"open('/dev/shm/big', 'wb').write(b'x' * (100 * {MB}))")
    assert result.outcome == "error" and "No space left on device" in result.error


@needs_bwrap
def test_uids_are_unique_within_and_across_processes(tmp_path):
    first, second = claim_uid(), claim_uid()
    program = "from ctxbench.sandbox.bubblewrap import claim_uid\nprint(claim_uid()[0])"
    root = Path(__file__).resolve().parent.parent
    other = int(subprocess.run([sys.executable, "-c", program], cwd=root, capture_output=True, text=True,
                               check=True).stdout)  # fmt: skip
    assert len({first[0], second[0], other}) == 3
    first[1].close()
    assert claim_uid()[0] == first[0]  # a released uid is free again
    second[1].close()


@pytest.mark.parametrize("backend", backend_params())
def test_work_has_a_size_and_its_files_reach_the_episode(backend, tmp_path):
    episode = tmp_path / "episode"
    episode.mkdir()
    config = SandboxConfig(backend=backend, cell_timeout_s=60)
    with anonymous_session(episode, None, work_mb=64) as (work, _), make_sandbox(config, work, None) as sandbox:
        assert sandbox.run_cell("open('/work/kept.txt', 'w').write('figure')").outcome == "ok"
        flood = sandbox.run_cell(f"open('/work/flood.bin', 'wb').write(b'x' * (100 * {MB}))")
        assert flood.outcome == "error" and "No space left on device" in flood.error
        listing = sandbox.run_cell("import os\nprint(sorted(os.listdir('/work')))").stdout.strip()
        assert listing == "['flood.bin', 'kept.txt']"  # no lost+found
    assert (episode / "work" / "kept.txt").read_text() == "figure"
    assert not work.parent.exists()  # the anonymous folder and its image are gone


def test_where_nothing_can_be_mounted_the_work_dir_is_unbounded_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr("ctxbench.sandbox.staging.shutil.which", lambda name: "/nonexistent/mkfs.ext4")
    episode = tmp_path / "episode"
    episode.mkdir()
    with anonymous_session(episode, None, work_mb=64) as (work, _):
        (work / "big.bin").write_bytes(b"x" * (70 * MB))  # more than work_mb: no file system of its own
    assert (episode / "work" / "big.bin").stat().st_size == 70 * MB
    assert "work dir not size-limited (64 MB)" in (episode / "sandbox_stderr.log").read_text()
