#!/usr/bin/env python3
"""Does the way an episode opens change what a model can do? For each HumanEval problem and each
opening, one greedy call; its code is graded as a submitted answer would be. No loop, no feedback:
what the first reply of an agentic episode would be worth if it were submitted as it is.

    .venv/bin/python scripts/probe_first_reply.py --problems 3,15,18,25,37,52,66,72
    .venv/bin/python scripts/probe_first_reply.py --model qwen2.5-coder-1.5b --problems sample:20

Openings: `system` (agentic's default: our instructions as the system prompt, then the task),
`task_first` (the scaffold piece: the task, then the same instructions, one message), `task_only`
(the task with no instructions) and `direct` (direct mode's prompt). Rows are appended to --out
(resumable: a (problem, opening) already there is skipped) and a pass count per opening is printed.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.base import PreparedTask
from benchmarks.humaneval.task import HumanEval, HumanEvalConfig, Solution, parse_problems
from ctxbench.config import read_config_file, validate_config
from ctxbench.llm import llama_server, make_backend
from ctxbench.modes.direct import reply_code
from ctxbench.modes.scaffold import ScaffoldConfig
from ctxbench.protocols.text import TextProtocol
from ctxbench.tracing.jsonl import read_trace

OPENINGS = ("system", "task_first", "task_only", "direct")


def messages(opening: str, task: HumanEval, prepared: PreparedTask, instructions: str) -> list[dict[str, Any]]:
    prompt = prepared.prompt
    if opening == "direct":
        return [{"role": "user", "content": task.direct_prompt(prepared)}]
    if opening == "task_only":
        return [{"role": "user", "content": prompt}]
    scaffold = ScaffoldConfig(task_first=opening == "task_first")
    roles = {"system": "system", "task": "user"}
    return [{"role": roles[kind], "content": content} for kind, content in scaffold.opening(instructions, prompt)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--problems", default="3,15,18,25,37,52,66,72", help="all | sample:K | A-B | 1,5,9")
    parser.add_argument("--openings", default=",".join(OPENINGS))
    parser.add_argument("--out", type=Path, default=None, help="default results/first_reply/<model>.jsonl")
    args = parser.parse_args()
    raw = read_config_file(Path("config.json"))
    config = validate_config({**raw, "model": {**raw.get("model", {}), "name": args.model}}, "config.json")
    out = args.out or Path("results/first_reply") / f"{config.model.name}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {(row["problem"], row["opening"]) for row in _rows(out)}
    instructions = TextProtocol().system_prompt(list(config.tools))
    openings = [o for o in args.openings.split(",") if o]
    problems = parse_problems(args.problems, seed=0)
    with llama_server.shared_server(config.model, out.parent / "llama_server.log"):
        llm = make_backend(config.model, log_dir=out.parent)
        for problem in problems:
            task = HumanEval(HumanEvalConfig(problem=problem), seed=0)
            with tempfile.TemporaryDirectory() as tmp:
                prepared = task.prepare(Path(tmp))
            for opening in [o for o in openings if (problem, o) not in done]:
                reply = llm.generate(messages(opening, task, prepared, instructions), temperature=0.0, seed=0)
                code = reply_code(reply.text)
                passed = "def " in code and task.grade(Solution(code=code)).value == 1.0
                row = {"problem": problem, "opening": opening, "passed": passed, "reply": reply.text}
                with open(out, "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(f"problem {problem} {opening}: {'pass' if passed else 'fail'}", flush=True)
    rows = [row for row in _rows(out) if row["problem"] in problems]
    for opening in openings:
        mine = [r["passed"] for r in rows if r["opening"] == opening]
        print(f"{opening:10s} {sum(mine)}/{len(mine)}")
    return 0


def _rows(path: Path) -> list[dict[str, Any]]:
    return read_trace(path) if path.exists() else []  # a torn last line from a killed run is skipped


if __name__ == "__main__":
    sys.exit(main())
