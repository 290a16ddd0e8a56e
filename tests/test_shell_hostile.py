"""run_bash against BOTH backends: the hostile suite of run_python (tests/test_sandbox_hostile.py)
again as shell commands. Each attack is contained with a clear outcome in the output, and the
session, with its Python variables, goes on to its next cell."""

import socket
import threading
from pathlib import Path

import pytest

from ctxbench.sandbox.shell import run_shell
from tests.sandbox_backends import backend_params, hostile_box

SLEEPERS = "cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^sleep$' || true"  # procps is not in every image


@pytest.fixture(params=backend_params())
def box(request, tmp_path: Path):
    with hostile_box(request.param, tmp_path) as sandbox:
        yield sandbox
        # whatever happened, the episode can go on: a command, and the Python session as it was
        assert run_shell(sandbox, "echo next step").stdout == "next step\n[exit status 0]\n"
        assert sandbox.run_cell("print(alive)").stdout == "yes\n"


def shell(box, command: str) -> str:
    result = run_shell(box, command)
    assert result.outcome == "ok", result.render()  # the command is stopped and reported, never the session
    return result.stdout


def test_a_command_runs_in_work_and_reports_its_exit_status(box):
    assert shell(box, "pwd; cat /data/input.txt; echo; exit 3") == "/work\ndata\n[exit status 3]\n"
    shell(box, "echo made > note.txt")
    assert (box.workdir / "note.txt").read_text() == "made\n"


def test_dns_and_raw_tcp_fail(box):
    with socket.socket() as server:  # a real listener on the host's loopback
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        accepted: list = []
        threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
        assert shell(box, "getent hosts example.com").endswith("[exit status 2]\n")
        for host, to in (("1.1.1.1", 80), ("127.0.0.1", port)):
            out = shell(box, f"timeout 2 bash -c 'exec 3<>/dev/tcp/{host}/{to}' 2>&1")
            assert "[exit status 0]" not in out, out
        assert not accepted


def test_host_files_and_environment_are_out_of_reach(box):
    secret_file = Path(__file__).resolve().parent.parent / ".env"
    out = shell(box, f"test -e {secret_file} || echo no-env; test -e /root/.cache || echo no-cache; env | grep -c KEY")
    assert out == "no-env\nno-cache\n0\n[exit status 1]\n"


@pytest.mark.parametrize("path", ["/usr/evil", "/opt/evil", "/data/evil", "/evil", "/etc/evil"])
def test_writing_outside_the_work_dir_fails(box, path):
    out = shell(box, f"echo x > {path}")
    assert "Read-only file system" in out or "Permission denied" in out
    assert out.endswith("[exit status 1]\n")


def test_fork_bomb_is_contained_and_its_processes_are_gone_after(box):
    out = shell(box, "for i in $(seq 1000); do sleep 30 & done 2>&1; echo forked")
    assert "timed out" in out or "Resource temporarily unavailable" in out, out
    assert shell(box, SLEEPERS) == "0\n[exit status 0]\n"


def test_memory_hog_is_contained(box):
    out = shell(box, "x=$(head -c 1500000000 /dev/zero | tr '\\0' a); echo ${#x}")
    assert "1500000000\n" not in out, out  # the string never grew to its full size


def test_endless_loop_and_ignored_signals_are_stopped_in_time(box):
    for command in ("while true; do :; done", "trap '' INT TERM HUP; while true; do :; done"):
        out = shell(box, command)
        assert out == "[timed out after 2.7 s: stopped]\n"


def test_hundred_megabyte_stdout_flood_is_capped_while_read(box):
    out = shell(box, "head -c 100000000 /dev/zero | tr '\\0' x")
    assert out == "x" * 900 + "\n[99999100 more bytes of output not shown]\n[exit status 0]\n", out[-200:]


def test_a_background_job_does_not_outlive_its_command(box):
    assert shell(box, "sleep 300 & echo started") == "started\n[exit status 0]\n"
    assert shell(box, SLEEPERS) == "0\n[exit status 0]\n"
