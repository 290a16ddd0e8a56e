"""Docker containers never outlive the harness: removed on close, on Ctrl-C, and swept after a crash."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sandbox_backends import docker_ready

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not docker_ready() and not os.environ.get("CI"), reason="docker sandbox image not built"),
]
ROOT = Path(__file__).resolve().parent.parent

HOLDER = """
import signal, sys, time
from pathlib import Path
# A job started in the background by a non-interactive shell inherits SIGINT ignored; Ctrl-C is what
# this holder stands for, so it takes SIGINT as an interactive Python does.
signal.signal(signal.SIGINT, signal.default_int_handler)
from ctxbench.sandbox import SandboxConfig, make_sandbox
box = make_sandbox(SandboxConfig(backend="docker"), Path(sys.argv[1]), None)
box.start()
print(box._kernel.channel.container.id, flush=True)
time.sleep(120)
"""


def labelled_containers() -> set[str]:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--no-trunc", "--filter", "label=ctxbench.sandbox"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(out.stdout.split())


def start_holder(tmp_path: Path) -> tuple[subprocess.Popen, str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "work")], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert holder.stdout is not None
    container_id = holder.stdout.readline().strip()
    assert container_id in labelled_containers()
    return holder, container_id


def test_ctrl_c_removes_the_container(tmp_path):
    holder, container_id = start_holder(tmp_path)
    holder.send_signal(signal.SIGINT)
    holder.wait(timeout=30)
    assert container_id not in labelled_containers()


def test_leftovers_of_a_killed_harness_are_swept_at_next_start(tmp_path):
    from ctxbench.sandbox import SandboxConfig, make_sandbox

    holder, container_id = start_holder(tmp_path)
    holder.kill()  # SIGKILL: no cleanup can run
    holder.wait(timeout=30)
    time.sleep(0.5)
    assert container_id in labelled_containers()
    with make_sandbox(SandboxConfig(backend="docker"), tmp_path / "next" / "work", None) as box:
        assert box.run_cell("1 + 1").stdout.strip() == "2"
        assert container_id not in labelled_containers()
    assert not any(c.startswith(container_id) for c in labelled_containers())


def test_close_removes_the_container_and_keeps_the_agents_files(tmp_path):
    from ctxbench.sandbox import SandboxConfig, make_sandbox

    before = labelled_containers()
    with make_sandbox(SandboxConfig(backend="docker"), tmp_path / "work", None) as box:
        box.run_cell(
            "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.savefig('/work/fig.png')\n"
            "open('/work/notes.txt', 'w').write('hi')"
        )
    assert labelled_containers() == before
    assert (tmp_path / "work" / "fig.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "work" / "notes.txt").read_text() == "hi"
