"""Where a session's files live on the host while it runs. A sandbox can read the host paths of its
mounts (/proc/self/mountinfo), and an episode's folder names its run, task and seed; the seed of a
generated dataset is enough to rebuild its hidden answers. So the session gets a work dir and a copy
of the task data under a random name, and its work dir is copied into the episode's folder at the
end. Where this process may mount (root), the work dir is a file system of its own, so that its size
holds however the agent writes (a bind mount cannot be sized)."""

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)  # no bytes copied where both are on one file system
    except OSError:
        shutil.copy2(source, target)


@contextlib.contextmanager
def sized_folder(folder: Path, size_mb: int) -> Iterator[bool]:
    """Mounts a fresh ext4 image of `size_mb` (sparse: it takes only what is written) on `folder`;
    yields False, mounting nothing, where that is not possible here."""
    image = folder.with_name(folder.name + ".img")
    mkfs = shutil.which("mkfs.ext4") or "/usr/sbin/mkfs.ext4"
    try:
        with open(image, "wb") as f:
            f.truncate(size_mb << 20)
        subprocess.run([mkfs, "-q", "-F", "-m", "0", str(image)], check=True, capture_output=True, timeout=60)
        subprocess.run(["mount", "-o", "loop,nosuid,nodev", str(image), str(folder)], check=True,
                       capture_output=True, timeout=60)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        image.unlink(missing_ok=True)
        yield False
        return
    try:
        (folder / "lost+found").rmdir()
        yield True
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=60)
        image.unlink(missing_ok=True)


@contextlib.contextmanager
def anonymous_session(episode_dir: Path, data_dir: Path | None, work_mb: int) -> Iterator[tuple[Path, Path | None]]:
    """(work dir, data dir) under /tmp/ctxbench-<random>; on exit the work dir and the sandbox's
    log become `episode_dir/work` and `episode_dir/sandbox_stderr.log`."""
    root = Path(tempfile.mkdtemp(prefix="ctxbench-"))
    os.chmod(root, 0o755)  # the session's unprivileged uid must reach work/ below it
    work = root / "work"
    work.mkdir()
    data = None
    if data_dir is not None:
        data = root / "data"
        shutil.copytree(data_dir, data, copy_function=_link_or_copy)
    try:
        with sized_folder(work, work_mb) as sized:
            if not sized:
                (root / "sandbox_stderr.log").write_text(f"[sandbox] work dir not size-limited ({work_mb} MB): "
                                                        "cannot mount a file system here\n")  # fmt: skip
            try:
                yield work, data
            finally:
                shutil.copytree(work, episode_dir / "work", symlinks=True, dirs_exist_ok=True)
    finally:
        if (root / "sandbox_stderr.log").exists():
            shutil.move(root / "sandbox_stderr.log", episode_dir / "sandbox_stderr.log")
        shutil.rmtree(root, ignore_errors=True)
