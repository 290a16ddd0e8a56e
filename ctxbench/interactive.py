"""`run_bench.py --interactive`: the episode chosen by answering questions (rich prompts), turned into
the same flags a script would pass; the CLI prints that command and runs it, watching the conversation.

Asked in order: a task or an imported dataset, an extra prompt (none, pasted, a file, a folder of
prompts), the context policy, the reasoning mode, the model and the number of attempts."""

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.prompt import IntPrompt, Prompt

from benchmarks import TASKS
from context_policies import POLICIES
from ctxbench.config import read_config_file
from ctxbench.datasets import list_datasets

PASTE_END = "."  # a line holding only this ends a pasted prompt
MODES = ["agentic", "controller", "direct"]


def ask_flags(config_file: Path, console: Console | None = None) -> list[str]:
    console = console or Console(highlight=False)
    raw = read_config_file(config_file)
    console.print(f"[bold]ctxbench[/] — one episode, chosen step by step (defaults from {config_file})")
    flags = ["--config", str(config_file), *task_flags(raw, console), *prompt_flags(console)]
    flags += policy_flags(raw, console)
    default_mode = str(raw.get("reasoning_mode", "agentic"))
    mode = Prompt.ask("Reasoning mode", choices=MODES, default=default_mode, console=console)
    model = Prompt.ask("Model", default=str((raw.get("model") or {}).get("name", "")), console=console)
    attempts = IntPrompt.ask("Attempts (repeats, one seed each)", default=1, console=console)
    flags += ["--reasoning-mode", mode, *(["--model", model] if model else []), "--watch"]
    return flags + (["--repeat", str(attempts)] if attempts > 1 else [])


def task_flags(raw: dict[str, Any], console: Console) -> list[str]:
    datasets = [d["name"] for d in list_datasets() if "error" not in d]
    choices = [*TASKS.names(), *(["dataset"] if datasets else [])]
    default = str((raw.get("task") or {}).get("name", "pbmc_annotation"))
    task = Prompt.ask("Task" + (" (or 'dataset': one of datasets/)" if datasets else ""), choices=choices,
                      default=default if default in choices else choices[0], console=console)  # fmt: skip
    if task == "dataset":
        return ["--dataset", Prompt.ask("Dataset", choices=datasets, default=datasets[0], console=console)]
    if task == "task_file":
        path = Prompt.ask("Task file (YAML)", default="task_files/pbmc_questions.yaml", console=console)
        return ["--task-file", path]
    return ["--task", task]


def prompt_flags(console: Console) -> list[str]:
    how = Prompt.ask("Extra prompt before the task's", choices=["none", "paste", "file", "folder"], default="none",
                     console=console)  # fmt: skip
    if how == "paste":
        console.print(f"Paste the prompt; end with a line holding only '{PASTE_END}'")
        lines = []
        while (line := console.input()) != PASTE_END:
            lines.append(line)
        return ["--prompt", "\n".join(lines)]
    if how in ("file", "folder"):
        while not (path := Path(Prompt.ask(f"Prompt {how}", console=console))).exists():
            console.print(f"[red]{path} does not exist[/]")
        return ["--prompt", str(path)]
    return []


def policy_flags(raw: dict[str, Any], console: Console) -> list[str]:
    presets = list(raw.get("policy_presets") or {})
    default = str((raw.get("policy") or {}).get("type", "full_history"))
    policy = Prompt.ask("Context policy", choices=[*POLICIES.names(), *presets], default=default, console=console)
    return ["--policy-type", policy]
