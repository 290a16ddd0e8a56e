#!/usr/bin/env python3
"""Removes from a sandbox's Python environment every file that holds a grader's truth: the data
files of the analysis packages (scanpy's and scikit-learn's bundled datasets) and any file whose
content, or gunzipped content, has a sha256 listed in the sources manifest.

    python prune_datasets.py SITE_PACKAGES benchmarks/sources_manifest.json

Standard library only: it runs in the Docker build and on the bubblewrap venv alike.
"""

import contextlib
import gzip
import hashlib
import json
import sys
from pathlib import Path

# Whole dataset folders: more than the manifest names (a future task may read another of them).
DATASET_GLOBS = ("scanpy/datasets/*.h5ad", "scanpy/datasets/*.txt", "sklearn/datasets/data/*.csv*",
                 "sklearn/datasets/data/*.rst")  # fmt: skip


def hashes_of(path: Path) -> set[str]:
    data = path.read_bytes()
    found = {hashlib.sha256(data).hexdigest()}
    if data[:2] == b"\x1f\x8b":  # gzip: its content too
        with contextlib.suppress(OSError, EOFError):
            found.add(hashlib.sha256(gzip.decompress(data)).hexdigest())
    return found


def prune(site_packages: Path, manifest: Path) -> list[Path]:
    truth = {h for hashes in json.loads(manifest.read_text()).values() for h in hashes}
    doomed = {p for pattern in DATASET_GLOBS for p in site_packages.glob(pattern)}
    for path in site_packages.rglob("*"):
        if path.is_file() and not path.is_symlink() and path not in doomed and hashes_of(path) & truth:
            doomed.add(path)
    for path in sorted(doomed):
        path.unlink()
    return sorted(doomed)


def main() -> int:
    site_packages, manifest = Path(sys.argv[1]), Path(sys.argv[2])
    removed = prune(site_packages, manifest)
    print(f"[prune] removed {len(removed)} dataset files from {site_packages}")
    for path in removed:
        print(f"[prune]   {path.relative_to(site_packages)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
