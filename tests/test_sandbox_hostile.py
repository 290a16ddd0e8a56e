"""Hostile code against BOTH backends: each attack is contained with a clear recorded outcome, and
the session goes on to its next cell."""

import socket
import threading
from pathlib import Path

import pytest

from tests.sandbox_backends import backend_params, hostile_box


@pytest.fixture(params=backend_params())
def box(request, tmp_path: Path):
    with hostile_box(request.param, tmp_path) as sandbox:
        yield sandbox
        # whatever happened, the episode can go on to a next step
        assert sandbox.run_cell("print('next step')").stdout == "next step\n"


def test_dns_lookup_fails(box):
    result = box.run_cell("import socket\nsocket.getaddrinfo('example.com', 80)")
    assert result.outcome == "error" and "gaierror" in result.error


def test_raw_tcp_to_the_internet_and_to_the_host_fails(box):
    with socket.socket() as server:  # a real listener on the host's loopback
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        accepted: list = []
        threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
        for address in [("1.1.1.1", 80), ("127.0.0.1", port)]:
            result = box.run_cell(f"import socket\nsocket.create_connection({address!r}, timeout=2)")
            assert result.outcome in {"error", "timeout"}, result.render()
        assert not accepted


def test_host_files_and_environment_are_out_of_reach(box, monkeypatch):
    secret_file = Path(__file__).resolve().parent.parent / ".env"
    result = box.run_cell(
        f"import os\nprint(os.path.exists({str(secret_file)!r}), os.path.exists('/root/.cache'), "
        "any('KEY' in k for k in os.environ))"
    )
    assert result.stdout.strip() == "False False False", result.render()


@pytest.mark.parametrize("path", ["/usr/evil", "/opt/evil", "/data/evil", "/evil", "/etc/evil"])
def test_writing_outside_the_work_dir_fails(box, path):
    result = box.run_cell(f"open({path!r}, 'w').write('x')")
    assert result.outcome == "error"
    assert "Read-only file system" in result.error or "Permission denied" in result.error


def test_fork_bomb_is_contained(box):
    result = box.run_cell(
        "import os, time\nchildren = 0\ntry:\n    for _ in range(10_000):\n        if os.fork() == 0:\n"
        "            time.sleep(30)\n            os._exit(0)\n        children += 1\n"
        "except OSError as e:\n    print('stopped after', children, 'forks:', e)\n"
    )
    assert "stopped after" in result.stdout, result.render()


def test_memory_hog_is_contained(box):
    result = box.run_cell("hog = []\nwhile True:\n    hog.append(bytearray(50 * 1024 * 1024))")
    assert result.outcome in {"error", "crashed"}, result.render()
    assert "MemoryError" in (result.error or "") or result.restarted


def test_infinite_loop_is_interrupted_and_the_session_kept(box):
    result = box.run_cell("while True:\n    pass")
    assert result.outcome == "timeout" and "TimeoutError" in result.error
    assert box.run_cell("alive").stdout.strip() == "'yes'"


def test_hundred_megabyte_stdout_flood_is_truncated(box):
    result = box.run_cell("import sys, os\nsys.stdout.write('x' * 50_000_000)\n_ = os.write(1, b'y' * 50_000_000)")
    assert result.outcome == "ok", result.render()
    assert len(result.stdout) == 1000
    assert result.truncated_chars == 100_000_000 - 1000


def test_cell_ignoring_sigint_is_still_interrupted(box):
    result = box.run_cell("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")
    assert result.outcome == "timeout"


def test_cell_ignoring_every_interrupt_is_killed_and_the_session_restarted(box):
    result = box.run_cell(
        "import signal, time\nfor s in (signal.SIGINT, signal.SIGALRM, signal.SIGTERM):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.05)"
    )
    assert result.outcome == "killed" and result.restarted
    box.run_cell("alive = 'yes'")
