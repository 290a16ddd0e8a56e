"""Session cgroups: a sweep's parallel sessions never remove each other's (needs write access to the
cgroup tree, as the bubblewrap backend's limits do)."""

import subprocess
import sys
import threading

import pytest

from ctxbench.sandbox import cgroup

pytestmark = pytest.mark.skipif(not cgroup.available(), reason="no writable cgroup tree here")


def test_leftovers_of_gone_processes_are_removed_and_a_live_sessions_cgroup_is_kept():
    live = cgroup.SessionCgroup(256, 8, 1.0)
    live.create()  # empty until a session joins it, as between create() and the sandbox's start
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = cgroup.SessionCgroup(256, 8, 1.0)
    left.name = f"session-{gone.stdout.strip()}-leftover0000"
    left.create()
    try:
        cgroup.sweep_leftovers()
        assert all(folder.is_dir() for folder in live.dirs)
        assert not any(folder.is_dir() for folder in left.dirs)
    finally:
        live.remove()
        left.remove()


def test_sessions_started_together_each_keep_their_cgroup():
    # What failed a two-worker sweep: one thread's first probe swept another's fresh cgroup away,
    # and that session's child could not join it ("Exception occurred in preexec_fn").
    sessions = [cgroup.SessionCgroup(256, 8, 1.0) for _ in range(4)]
    errors: list[BaseException] = []

    def start(session: cgroup.SessionCgroup) -> None:
        try:
            session.create()
            cgroup.sweep_leftovers()
            process = subprocess.run(["true"], preexec_fn=session.join, check=True)
            assert process.returncode == 0
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for session in sessions:
        session.remove()
    assert errors == []
