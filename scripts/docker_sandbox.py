#!/usr/bin/env python3
"""Manage a Docker sandbox session by hand: build, start, status, run "code", stop.

scripts/docker_sandbox.py build                   build the image (skipped when built)
scripts/docker_sandbox.py start [--data DIR]      start a named session (variables persist)
scripts/docker_sandbox.py run "x = 1"             run a cell in it; `run "x"` prints 1 later
scripts/docker_sandbox.py status                  list sandbox containers (manual and episodes')
scripts/docker_sandbox.py stop [--all]            remove the session (or every sandbox container)
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.errors import HarnessError
from ctxbench.sandbox.base import CellResult, SandboxConfig
from ctxbench.sandbox.docker_backend import (
    LABEL,
    OWNER_LABEL,
    DockerChannel,
    create_container,
    docker_client,
)
from ctxbench.sandbox.kernel_client import KernelClient

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NAME = "ctxbench-manual"


def build(args: argparse.Namespace) -> int:
    return subprocess.call(["bash", str(ROOT / "scripts" / "docker_image.sh")])


def start(args: argparse.Namespace) -> int:
    client = docker_client()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    container = create_container(client, SandboxConfig(backend="docker"), work, args.data, "manual", args.name)
    kernel = KernelClient(DockerChannel(container, work.parent / "sandbox_stderr.log", start=True), args.name)
    kernel.wait_ready(30)
    kernel.channel.detach()  # type: ignore[attr-defined]
    print(
        f"started {args.name}: work dir {work} -> /work" + (f", {args.data} -> /data (read-only)" if args.data else "")
    )
    return 0


def run(args: argparse.Namespace) -> int:
    container = docker_client().containers.get(args.name)
    channel = DockerChannel(container, Path("/dev/null"), start=False)
    kernel = KernelClient(channel, args.name)
    config = SandboxConfig()
    try:
        result: CellResult = kernel.run(args.code, args.timeout, config.kill_grace_s, config.output_limit_chars)
    finally:
        channel.detach()
    print(result.render())
    return 0 if result.outcome == "ok" else 1


def status(args: argparse.Namespace) -> int:
    containers = docker_client().containers.list(all=True, filters={"label": LABEL})
    for c in containers:
        print(
            json.dumps({"name": c.name, "status": c.status, "owner": c.labels.get(OWNER_LABEL), "image": c.image.tags})
        )
    if not containers:
        print("no sandbox containers")
    return 0


def stop(args: argparse.Namespace) -> int:
    client = docker_client()
    targets = (
        client.containers.list(all=True, filters={"label": LABEL}) if args.all else [client.containers.get(args.name)]
    )
    for container in targets:
        container.remove(force=True)
        print(f"removed {container.name}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build").set_defaults(func=build)
    p = commands.add_parser("start")
    p.add_argument("--name", default=DEFAULT_NAME)
    p.add_argument("--data", type=Path, help="folder mounted read-only at /data")
    p.add_argument("--work", type=Path, default=ROOT / "results" / "manual" / "work")
    p.set_defaults(func=start)
    p = commands.add_parser("run")
    p.add_argument("code")
    p.add_argument("--name", default=DEFAULT_NAME)
    p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(func=run)
    commands.add_parser("status").set_defaults(func=status)
    p = commands.add_parser("stop")
    p.add_argument("--name", default=DEFAULT_NAME)
    p.add_argument("--all", action="store_true")
    p.set_defaults(func=stop)
    args = parser.parse_args()
    try:
        return int(args.func(args))
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # docker.errors.NotFound and friends: one line, not a traceback
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
