#!/usr/bin/env python3
"""Browse the CZ CELLxGENE Census and download datasets (needs the network), or list local ones.

    .venv/bin/python scripts/czi_browser.py versions
    .venv/bin/python scripts/czi_browser.py datasets [--version stable] [--search pbmc] [--limit 20]
    .venv/bin/python scripts/czi_browser.py download DATASET_ID [--version stable] [--name NAME]
    .venv/bin/python scripts/czi_browser.py local           # datasets already in datasets/ (offline)

A download lands in datasets/<name>/data.h5ad with metadata.json (the Census row, version, sha256).
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.datasets import DATASETS_DIR, add_dataset, list_datasets
from ctxbench.errors import HarnessError


def census() -> Any:
    try:
        import cellxgene_census
    except ImportError:
        raise HarnessError("cellxgene-census is not installed (pip install cellxgene-census)") from None
    return cellxgene_census


def online(action: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """Runs a Census call; any network failure becomes one clear error."""
    try:
        return call(*args, **kwargs)
    except Exception as exc:  # requests, tiledb and s3 errors all mean: not reachable from here
        raise HarnessError(f"CELLxGENE Census unreachable while trying to {action} "
                           f"(this needs the network): {type(exc).__name__}: {str(exc)[:200]}") from None  # fmt: skip


def versions(args: argparse.Namespace) -> None:
    directory = online("list Census versions", census().get_census_version_directory)
    for name, info in directory.items():
        print(f"{name:12s} {info.get('release_build', '') if isinstance(info, dict) else info}")


def dataset_table(version: str) -> Any:
    cxg = census()
    with online("open the Census", cxg.open_soma, census_version=version) as soma:
        return online("read the dataset table", lambda: soma["census_info"]["datasets"].read().concat().to_pandas())


def datasets(args: argparse.Namespace) -> None:
    table = dataset_table(args.version)
    if args.search:
        text = table["dataset_title"].str.lower() + " " + table["collection_name"].str.lower()
        table = table[text.str.contains(args.search.lower(), regex=False)]
    for _, row in table.head(args.limit).iterrows():
        print(f"{row['dataset_id']}  {int(row['dataset_total_cell_count']):>9d} cells  {row['dataset_title']}")


def download(args: argparse.Namespace) -> None:
    table = dataset_table(args.version)
    rows = table[table["dataset_id"] == args.dataset_id]
    if rows.empty:
        raise HarnessError(f"dataset {args.dataset_id!r} is not in Census {args.version}")
    row = {k: (v.item() if hasattr(v, "item") else v) for k, v in rows.iloc[0].to_dict().items()}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.h5ad"
        online("download the dataset", census().download_source_h5ad, args.dataset_id, to_path=str(path),
               census_version=args.version)  # fmt: skip
        meta = {"source": "cellxgene-census", "census_version": args.version, "title": row.get("dataset_title"),
                "census_row": json.loads(json.dumps(row, default=str))}  # fmt: skip
        target = add_dataset(path, args.name or args.dataset_id, meta, args.root, move=True)
    print(f"downloaded {target}")


def local(args: argparse.Namespace) -> None:
    records = list_datasets(args.root)
    for record in records:
        print(f"{record['name']:24s} {record.get('n_obs', '?'):>8} cells  {record.get('source', '?'):18s} "
              f"{record.get('title', '')}")  # fmt: skip
    if not records:
        print(f"no datasets in {args.root}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DATASETS_DIR)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("versions").set_defaults(func=versions)
    p = commands.add_parser("datasets")
    p.add_argument("--version", default="stable")
    p.add_argument("--search")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(func=datasets)
    p = commands.add_parser("download")
    p.add_argument("dataset_id")
    p.add_argument("--version", default="stable")
    p.add_argument("--name")
    p.set_defaults(func=download)
    commands.add_parser("local").set_defaults(func=local)
    args = parser.parse_args()
    try:
        args.func(args)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
