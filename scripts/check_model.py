#!/usr/bin/env python3
"""Proves the embedded model runs on this machine: starts the llama.cpp server exactly as the harness
does, generates a few tokens and prints the measured speed. Setup runs it, so a build that cannot run
on this CPU fails here with its crash report, not in the middle of an episode."""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ctxbench.errors import HarnessError
from ctxbench.llm.base import ModelConfig
from ctxbench.llm.llama_server import LlamaServer

REBUILD_HINT = (
    "The llama.cpp build does not run on this CPU. Rebuild it (llama-server and llama-cpp-python) with "
    "other flags, e.g.\n  LLAMA_CMAKE_ARGS='-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF' bash scripts/setup.sh"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-path", type=Path, help="GGUF (default: the fetched default model)")
    args = parser.parse_args()
    config = ModelConfig(model_path=args.model_path)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "llama_server.log"
        try:
            with LlamaServer(config, log) as server:
                speed = server.probe()
        except HarnessError as exc:
            print(f"model check failed: {exc}\n{REBUILD_HINT}", file=sys.stderr)
            return 1
    print(f"model ok: {speed.prompt_tps:.0f} tok/s prompt, {speed.generation_tps:.1f} tok/s generation "
          f"({config.n_threads} threads)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
