"""Where a session's files live on the host while it runs. A sandbox can read the host paths of its
mounts (/proc/self/mountinfo), and an episode's folder names its run, task and seed; the seed of a
generated dataset is enough to rebuild its hidden answers. So the session gets a work dir and a copy
of the task data under a random name, and its work dir moves into the episode's folder at the end."""

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)  # no bytes copied where both are on one file system
    except OSError:
        shutil.copy2(source, target)


@contextlib.contextmanager
def anonymous_session(episode_dir: Path, data_dir: Path | None) -> Iterator[tuple[Path, Path | None]]:
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
        yield work, data
    finally:
        for name in ("work", "sandbox_stderr.log"):
            if (root / name).exists():
                shutil.move(root / name, episode_dir / name)
        shutil.rmtree(root, ignore_errors=True)
