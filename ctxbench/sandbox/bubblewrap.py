"""bubblewrap backend: no network, nothing of the host visible but read-only Python and data,
a writable work dir, an unprivileged uid (so the process limit holds), address-space limit."""

import functools
import itertools
import os
import shutil
import sys
import sysconfig
from pathlib import Path

from ctxbench.errors import HarnessError
from ctxbench.paths import sandbox_site_packages
from ctxbench.sandbox.base import SANDBOXES, SESSION_ENV
from ctxbench.sandbox.kernel_client import KERNEL_SOURCE, Channel, KernelSandbox, ProcessChannel

BASE_SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"]).relative_to(sys.prefix)  # lib/python3.X/site-packages

# Each session gets its own uid so that process limits of parallel sessions don't add up.
_UID_BASE = 61000
_uids = itertools.count()


def _next_uid() -> int:
    return _UID_BASE + (os.getpid() * 64 + next(_uids)) % 4000


def sandbox_env() -> dict[str, str]:
    return {**SESSION_ENV, "PATH": "/opt/python/bin:/usr/bin:/bin", "PYTHONPATH": "/opt/site-packages"}


@SANDBOXES.register("bubblewrap")
class BubblewrapSandbox(KernelSandbox):
    def open_channel(self) -> Channel:
        return ProcessChannel(self.kernel_command(), self.log_path)

    @functools.cached_property
    def uid(self) -> int:
        """One uid for the sandbox's life: a restarted session must still own the files it wrote."""
        return _next_uid()

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
            "--ro-bind", sys.base_prefix, "/opt/python", "--tmpfs", f"/opt/python/{BASE_SITE_PACKAGES}",
            "--ro-bind", str(site_packages), "/opt/site-packages",
            "--ro-bind", str(KERNEL_SOURCE), "/opt/kernel.py",
            "--bind", str(self.workdir), "/work",
            "--ro-bind-try", "/etc/fonts", "/etc/fonts",
            "--perms", "1777", "--tmpfs", "/tmp", "--proc", "/proc",
            "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm", "--chdir", "/work",
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
            f"--as={self.config.memory_mb * 1024 * 1024}", "--",
            f"/opt/python/bin/python{sys.version_info.major}.{sys.version_info.minor}", "/opt/kernel.py",
        ]  # fmt: skip
        return cmd

    def _write_etc(self, uid: int) -> Path:
        etc = self.workdir.parent / "sandbox_etc"
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "passwd").write_text(f"root:x:0:0::/root:/bin/false\nagent:x:{uid}:{uid}::/work:/bin/false\n")
        (etc / "group").write_text(f"root:x:0:\nagent:x:{uid}:\n")
        return etc
