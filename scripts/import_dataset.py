#!/usr/bin/env python3
"""Import a local .h5ad as a task dataset: datasets/<name>/data.h5ad + metadata.json.

.venv/bin/python scripts/import_dataset.py my_cells.h5ad --name my_cells --label-key cell_type
.venv/bin/python run_bench.py --config config.json   # with "task": {"name": "pbmc_annotation",
    "source_h5ad": "datasets/my_cells/data.h5ad", "label_key": "cell_type", "title": "my cells"}
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.datasets import DATASETS_DIR, add_dataset
from ctxbench.errors import HarnessError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("h5ad", type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--label-key", help="obs column with cell types (checked to exist)")
    parser.add_argument("--title", help="a human-readable title")
    parser.add_argument("--root", type=Path, default=DATASETS_DIR)
    args = parser.parse_args()
    try:
        meta = {"source": "local", "origin_path": str(args.h5ad.resolve()), "title": args.title or args.name}
        if args.label_key:
            meta["label_key"] = args.label_key
        target = add_dataset(args.h5ad, args.name, meta, args.root)
        record = json.loads((target.parent / "metadata.json").read_text())
        if args.label_key and args.label_key not in record["obs_columns"]:
            raise HarnessError(f"--label-key {args.label_key!r} is not an obs column: {list(record['obs_columns'])}")
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"imported {target} ({record['n_obs']} cells x {record['n_vars']} genes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
