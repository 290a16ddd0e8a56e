"""bubblewrap backend: no network, nothing of the host visible but read-only Python and data,
a writable work dir, an unprivileged uid (so the process limit holds), address-space limit."""

import fcntl
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO

from ctxbench.errors import HarnessError
from ctxbench.paths import sandbox_site_packages
from ctxbench.sandbox import cgroup
from ctxbench.sandbox.base import SANDBOXES, SESSION_ENV
from ctxbench.sandbox.cgroup import SessionCgroup
from ctxbench.sandbox.kernel_client import KERNEL_SOURCE, Channel, KernelSandbox, ProcessChannel


def base_site_dirs() -> list[str]:
    """Where packages sit beside the interpreter (pyenv: lib/python3.X/site-packages; Debian's
    /usr: lib/python3/dist-packages), relative to it: hidden in the sandbox."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [f"lib/{version}/site-packages", "lib/python3/dist-packages", f"local/lib/{version}/dist-packages"]
    return [c for c in candidates if (Path(sys.base_prefix) / c).is_dir()]


# Each sandbox claims its own uid, so that the process limits of parallel sessions (in this harness
# or another) don't add up: a lock file per uid, held while the sandbox lives (freed if it dies).
UID_RANGE = range(61000, 65000)
UID_LOCKS = Path(tempfile.gettempdir()) / "ctxbench-uids"


def claim_uid() -> tuple[int, IO[str]]:
    UID_LOCKS.mkdir(mode=0o700, exist_ok=True)
    for uid in UID_RANGE:
        lock = open(UID_LOCKS / str(uid), "a")  # noqa: SIM115  (held until the sandbox closes)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return uid, lock
        except BlockingIOError:
            lock.close()
    raise HarnessError(f"no free sandbox uid in {UID_RANGE}: too many sandboxes at once")


def sandbox_env() -> dict[str, str]:
    return {**SESSION_ENV, "PATH": "/opt/python/bin:/usr/bin:/bin", "PYTHONPATH": "/opt/site-packages"}


@SANDBOXES.register("bubblewrap")
class BubblewrapSandbox(KernelSandbox):
    _uid: tuple[int, IO[str]] | None = None
    _cgroup: SessionCgroup | None = None

    @property
    def uid(self) -> int:
        """One uid for the sandbox's life: a restarted session must still own the files it wrote."""
        if self._uid is None:
            self._uid = claim_uid()
        return self._uid[0]

    def open_channel(self) -> Channel:
        self._new_cgroup()
        command = self.kernel_command()
        return ProcessChannel(command, self.log_path, self._cgroup.join if self._cgroup else None)

    def _new_cgroup(self) -> None:
        """A fresh cgroup for each kernel (limits of the whole session); none where cgroups can't be
        written, and then memory_mb limits each process's address space instead (recorded)."""
        self._drop_cgroup()
        if cgroup.available():
            self._cgroup = SessionCgroup(self.config.memory_mb, self.config.max_procs, self.config.cpus)
            self._cgroup.create()
        else:
            with open(self.log_path, "a") as log:
                log.write("[sandbox] no writable cgroup: memory_mb limits each process's address space\n")

    def _drop_cgroup(self) -> None:
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None

    def stop_kernel(self) -> None:
        super().stop_kernel()
        self._drop_cgroup()

    def close(self) -> None:
        super().close()
        if self._uid is not None:
            self._uid[1].close()
            self._uid = None

    def kernel_command(self) -> list[str]:
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise HarnessError("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
        if self.data_dir is not None and not self.data_dir.is_dir():
            raise HarnessError(f"task data dir not found: {self.data_dir}")
        site_packages = self.config.site_packages or sandbox_site_packages()
        if not (site_packages / "numpy").is_dir():
            raise HarnessError(f"sandbox packages not found in {site_packages}; run scripts/sandbox_env.sh")
        uid = self.uid
        os.chmod(self.workdir, 0o777)  # the session's uid must be able to write here
        etc = self._write_etc(uid)
        cmd = [
            bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
            "--perms", "0755", "--dir", "/opt", "--perms", "0755", "--dir", "/etc",
            "--ro-bind", str(etc / "passwd"), "/etc/passwd", "--ro-bind", str(etc / "group"), "/etc/group",
            # The interpreter and its standard library, without the packages installed beside it.
            "--ro-bind", sys.base_prefix, "/opt/python",
            *(arg for folder in base_site_dirs() for arg in ("--tmpfs", f"/opt/python/{folder}")),
            "--ro-bind", str(site_packages), "/opt/site-packages",
            "--ro-bind", str(KERNEL_SOURCE), "/opt/kernel.py",
            "--bind", str(self.workdir), "/work",
            "--ro-bind-try", "/etc/fonts", "/etc/fonts",
            "--perms", "1777", "--size", str(self.config.tmp_mb << 20), "--tmpfs", "/tmp", "--proc", "/proc",
            "--dev", "/dev", "--perms", "1777", "--size", str(self.config.shm_mb << 20), "--tmpfs", "/dev/shm",
            "--chdir", "/work",
        ]  # fmt: skip
        if self.data_dir is not None:
            cmd += ["--ro-bind", str(self.data_dir), "/data"]
        for key, value in sandbox_env().items():
            cmd += ["--setenv", key, value]
        # Drop to an unprivileged uid inside: as root, RLIMIT_NPROC would not be enforced.
        cmd += [
            "--", "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
            "/usr/bin/prlimit", f"--nproc={self.config.max_procs}",
            *([] if self._cgroup else [f"--as={self.config.memory_mb << 20}"]), "--",
            f"/opt/python/bin/python{sys.version_info.major}.{sys.version_info.minor}", "/opt/kernel.py",
        ]  # fmt: skip
        return cmd

    def _write_etc(self, uid: int) -> Path:
        etc = self.workdir.parent / "sandbox_etc"
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "passwd").write_text(f"root:x:0:0::/root:/bin/false\nagent:x:{uid}:{uid}::/work:/bin/false\n")
        (etc / "group").write_text(f"root:x:0:\nagent:x:{uid}:\n")
        return etc
