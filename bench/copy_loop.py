#!/usr/bin/env python3
"""Can a retry temperature break a small model's copy loop? The embedded model is shown a context
whose last replies are the same failed code, each followed by its error, and sampled with several
seeds at the configured temperature and at a retry temperature with no truncation (top_p 1,
min_p 0, top_k 0). Prints how many distinct replies each setting gave.

    .venv/bin/python bench/copy_loop.py [--copies 4] [--seeds 4] [--model qwen2.5-coder-0.5b]
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ctxbench.llm import ModelConfig, make_backend

TASK = (
    "Task: report the 10 marker genes of each cell type in /data/pbmc68k_labeled.h5ad (AnnData; "
    "adata.obs['bulk_labels'] is the cell type). Load it with:\n    import anndata\n"
    "    adata = anndata.read_h5ad('/data/pbmc68k_labeled.h5ad')\nWrite /work/markers.csv, then reply "
    "FINAL_ANSWER: markers.csv"
)
REPLY = (
    "```python\nimport pandas as pd\nadata = anndata.read_h5ad('/data/pbmc68k_labeled.h5ad')\n"
    "cell_types = adata.obs['bulk_labels'].unique()\nfor cell_type in cell_types:\n"
    "    cells = adata[adata.obs['bulk_labels'] == cell_type]\n    print(cell_type, cells.n_obs)\n```"
)
ERROR = "Output of your code:\n[error]\nNameError: name 'anndata' is not defined\nThe code failed."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    args = parser.parse_args()
    messages = [{"role": "system", "content": "You are a data analyst. Reply with one ```python block."},
                {"role": "user", "content": TASK}]  # fmt: skip
    for _ in range(args.copies):
        messages += [{"role": "assistant", "content": REPLY}, {"role": "user", "content": ERROR}]
    config = ModelConfig(name=args.model, reply_tokens=120, temperature=0.5)
    with tempfile.TemporaryDirectory() as tmp:
        llm = make_backend(config, log_dir=Path(tmp))
        try:
            print(f"{args.model}, {args.copies} copies in the context, load {os.getloadavg()[0]:.2f}")
            for label, temperature in (("configured 0.5, llama.cpp truncation", None), ("retry 0.9, none", 0.9)):
                replies = [llm.generate(messages, seed=s, temperature=temperature).text for s in range(args.seeds)]
                copies = sum(REPLY.split("\n")[2] in r for r in replies)
                print(f"  {label:38s} distinct {len(set(replies))}/{args.seeds}, still using anndata unimported "
                      f"{copies}/{args.seeds}")  # fmt: skip
        finally:
            llm.close()


if __name__ == "__main__":
    main()
