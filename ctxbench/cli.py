"""Command line: read config.json, apply flag overrides, validate, run, print the score.

User errors (bad config, unknown names, missing data or model) print one line and exit 2.
"""

import argparse
import json
import shlex
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from context_policies import POLICIES
from ctxbench.config import describe_validation_error
from ctxbench.errors import ConfigError, HarnessError

if TYPE_CHECKING:
    from ctxbench.sweep import PromptVariant, SweepConfig

EXIT_USER_ERROR = 2
PhoenixWrite = Literal["never", "if_traced", "always"]  # when a sweep is written to Phoenix as experiments


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Run one agent episode described by a config.")
    parser.add_argument("--config", type=Path, default=Path("config.json"), help="default: config.json")
    parser.add_argument("--task", help="task name (resets the task's parameters unless it is the same task)")
    parser.add_argument("--task-file", type=Path, help="a task written as a YAML file (see task_files/)")
    parser.add_argument("--policy-type", help="context policy type, or a preset named in policy_presets")
    parser.add_argument(
        "--policy-param", action="append", default=[], metavar="KEY=VALUE",
        help="override a field of the selected policy (VALUE is JSON, or a plain string); repeatable",
    )  # fmt: skip
    parser.add_argument("--reasoning-mode", help="reasoning mode: agentic, controller or direct")
    parser.add_argument(
        "--scaffold", metavar="PIECES",
        help="scaffolding pieces to switch on, comma-separated: task_first, autosubmit, all_blocks, repeat_guard, "
        "error_first, silence_hint, submit_hint, worked_example, primer, retry_temperature=T; 'none' switches all off",
    )  # fmt: skip
    parser.add_argument(
        "--prompt", metavar="TEXT|FILE|FOLDER",
        help="text put before the task prompt: the text itself, a file's, or each file of a folder in turn",
    )  # fmt: skip
    parser.add_argument(
        "--dataset", metavar="NAME", help="annotate an imported dataset: datasets/NAME (pbmc_annotation)"
    )
    parser.add_argument("--watch", action="store_true", help="print the conversation as it happens")
    parser.add_argument(
        "--interactive", action="store_true",
        help="choose the task, prompt, dataset, policy, mode, model and attempts by answering questions",
    )  # fmt: skip
    parser.add_argument("--model", help="model name")
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint; selects the openai backend")
    parser.add_argument("--sandbox", help="sandbox backend")
    parser.add_argument("--max-steps", type=int, help="model calls per episode")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--out", type=Path, help="folder for episode results")
    parser.add_argument("--list-tasks", action="store_true", help="print the tasks with their metric and target")
    parser.add_argument("--sweep", type=Path, help="run the grid a sweep file describes (see sweeps/)")
    parser.add_argument(
        "--repeat", type=int, metavar="N",
        help="run the episode N times (seeds seed..seed+N-1) into results/<experiment>/<task>/<cell>/<i>/, "
        "with a table at the end; --resume goes on after a stop",
    )  # fmt: skip
    parser.add_argument(
        "--resume", action="store_true", help="with --sweep or --repeat: skip finished episodes, redo partial ones"
    )
    parser.add_argument("--workers", type=int, help="with --sweep: episodes run in parallel")
    parser.add_argument(
        "--executor", choices=["local", "ray"],
        help="with --sweep or --repeat: run episodes here (local) or as Ray tasks (ray); overrides the sweep file",
    )  # fmt: skip
    parser.add_argument(
        "--ray-address", metavar="ADDRESS",
        help="with --executor ray: the cluster to join (host:port or auto); none starts Ray on this machine",
    )  # fmt: skip
    parser.add_argument("--summarize", type=Path, metavar="EXPERIMENT_DIR", help="tables and plots of a sweep")
    parser.add_argument(
        "--phoenix", action="store_true",
        help="with --summarize: write the sweep to Phoenix as experiments, also when its episodes ran "
        "without Phoenix (a sweep whose episodes sent spans to Phoenix does this at its end)",
    )  # fmt: skip
    return parser


def select_policy(raw: dict[str, Any], policy_type: str | None, params: list[str]) -> None:
    """--policy-type (a type or a preset of raw's policy_presets) and --policy-param KEY=VALUE, in place."""
    if not policy_type and not params:
        return
    if not isinstance(raw.get("policy"), dict):
        raw["policy"] = {"type": "full_history"}
    if policy_type:
        presets = raw.get("policy_presets") or {}
        if policy_type in presets:
            raw["policy"], raw["policy_preset"] = dict(presets[policy_type]), policy_type
        elif policy_type in POLICIES:
            if raw["policy"].get("type") != policy_type:
                raw["policy"] = {"type": policy_type}
        else:
            raise ConfigError(
                f"--policy-type {policy_type!r} is neither a policy type ({', '.join(POLICIES.names())}) "
                f"nor a preset ({', '.join(presets) or 'none defined'})"
            )
    for assignment in params:
        key, sep, value = assignment.partition("=")
        if not sep or not key:
            raise ConfigError(f"--policy-param expects KEY=VALUE, got {assignment!r}")
        raw["policy"] = {**raw["policy"], key: _json_or_text(value)}


def scaffold_pieces(spec: str) -> dict[str, Any]:
    """'repeat_guard,retry_temperature=0.8' -> {"repeat_guard": True, "retry_temperature": 0.8}."""
    pieces: dict[str, Any] = {}
    for piece in filter(None, (p.strip() for p in spec.split(","))):
        if piece == "none":
            continue
        name, sep, value = piece.partition("=")
        pieces[name] = _json_or_text(value) if sep else True
    return pieces


def apply_overrides(raw: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Flags override the file. Applied to the raw dict so validation errors name the same fields."""
    raw = dict(raw)

    def section(name: str) -> dict[str, Any]:
        value = raw.get(name)
        raw[name] = dict(value) if isinstance(value, dict) else {}
        return raw[name]  # type: ignore[no-any-return]

    if args.task and section("task").get("name") != args.task:
        raw["task"] = {"name": args.task}
    if args.task_file:
        raw["task"] = {"name": "task_file", "path": str(args.task_file)}
    if args.dataset:
        raw["task"] = dataset_task(args.dataset)
    if args.prompt and not is_folder(args.prompt):  # a folder is several episodes: a sweep's prompts
        raw["prompt_name"], raw["prompt_prefix"] = prompt_variant(args.prompt).expand()[0]
    if args.watch:
        section("telemetry")["console"] = True
    select_policy(raw, args.policy_type, args.policy_param)
    if args.reasoning_mode:
        raw["reasoning_mode"] = args.reasoning_mode
    if args.scaffold:
        raw["scaffold"] = scaffold_pieces(args.scaffold)
    if args.model:
        section("model")["name"] = args.model
    if args.base_url:
        section("model").update(backend="openai", base_url=args.base_url)
    if args.sandbox:
        section("sandbox")["backend"] = args.sandbox
    if args.max_steps is not None:
        section("budget")["max_steps"] = args.max_steps
    if args.seed is not None:
        raw["seed"] = args.seed
    if args.out is not None:
        raw["out"] = str(args.out)
    return raw


def is_folder(spec: str) -> bool:
    try:
        return Path(spec).is_dir()
    except (OSError, ValueError):  # pasted text: too long, or not a possible path at all
        return False


def is_file(spec: str) -> bool:
    try:
        return Path(spec).is_file()
    except (OSError, ValueError):
        return False


def prompt_variant(spec: str) -> "PromptVariant":
    """--prompt: an existing file or folder, else the text itself."""
    from ctxbench.sweep import PromptVariant

    if is_folder(spec):
        return PromptVariant(folder=Path(spec))
    return PromptVariant(file=Path(spec)) if is_file(spec) else PromptVariant(text=spec)


def dataset_task(name: str) -> dict[str, Any]:
    """--dataset: pbmc_annotation on an imported dataset, with the label column its metadata names."""
    from ctxbench.datasets import DATASETS_DIR

    meta_file = DATASETS_DIR / name / "metadata.json"
    if not meta_file.is_file():
        known = sorted(p.parent.name for p in DATASETS_DIR.glob("*/metadata.json"))
        raise ConfigError(f"no dataset {name!r} in {DATASETS_DIR}/ (import one with scripts/import_dataset.py); "
                          f"there are: {', '.join(known) or 'none'}")  # fmt: skip
    meta = json.loads(meta_file.read_text())
    task = {
        "name": "pbmc_annotation",
        "source_h5ad": str(DATASETS_DIR / name / "data.h5ad"),
        "title": meta.get("title", name),
    }
    return task | ({"label_key": meta["label_key"]} if "label_key" in meta else {})


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C: sandboxes and servers are stopped


def cleanup_on_sigterm() -> None:
    signal.signal(signal.SIGTERM, _interrupt)


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def main(argv: list[str] | None = None, prog: str = "run_bench.py") -> int:
    args = build_parser(prog).parse_args(argv)
    if args.list_tasks:
        return list_tasks()
    if args.interactive:
        from ctxbench.interactive import ask_flags

        flags = ask_flags(args.config)
        print(f"\nThe same without questions:\n  python {prog} {shlex.join(flags)}\n", flush=True)
        args = build_parser(prog).parse_args(flags)
    if args.sweep or args.summarize or args.repeat or (args.prompt and is_folder(args.prompt)):
        return sweep_main(args)
    cleanup_on_sigterm()
    try:
        from dotenv import load_dotenv

        from ctxbench.config import read_config_file, validate_config
        from ctxbench.runner import run_episode

        load_dotenv()  # secrets (OPENAI_API_KEY, ...) from .env; never written to traces
        config = validate_config(apply_overrides(read_config_file(args.config), args), str(args.config))
        result = run_episode(config)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print_result(result)
    return 0


def sweep_main(args: argparse.Namespace) -> int:
    try:
        from dotenv import load_dotenv

        from ctxbench.sweep import run_sweep

        load_dotenv()
        experiment = args.summarize
        if args.repeat or args.prompt:
            experiment = run_sweep(with_executor(repeat_sweep(args).model_dump(), args), resume=args.resume)
        elif args.sweep:
            raw = json.loads(args.sweep.read_text()) if args.sweep.is_file() else None
            if raw is None:
                raise ConfigError(f"sweep file not found: {args.sweep}")
            if args.workers:
                raw["workers"] = args.workers
            try:
                sweep = with_executor(raw, args)
            except ValidationError as exc:
                raise ConfigError(f"{args.sweep}: {describe_validation_error(exc, raw)}") from None
            experiment = run_sweep(sweep, resume=args.resume)
        phoenix: PhoenixWrite = "always" if args.phoenix else "if_traced" if (args.sweep or args.repeat) else "never"
        summarize_experiment(experiment, phoenix)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted: run again with --resume to finish", file=sys.stderr)
        return 130
    return 0


def with_executor(raw: dict[str, Any], args: argparse.Namespace) -> "SweepConfig":
    """The sweep with the executor flags applied (they override the sweep file's)."""
    from ctxbench.sweep import SweepConfig

    if args.ray_address and (args.executor or raw.get("executor")) != "ray":
        raise ConfigError("--ray-address needs --executor ray (or executor: ray in the sweep file)")
    overrides = {"executor": args.executor, "ray_address": args.ray_address}
    return SweepConfig.model_validate({**raw, **{k: v for k, v in overrides.items() if v is not None}})


def repeat_sweep(args: argparse.Namespace) -> "SweepConfig":
    """--repeat N: the episode the flags describe, as a sweep of one cell and N repeats."""
    from ctxbench.config import read_config_file, validate_config
    from ctxbench.sweep import SweepConfig, slug

    repeats = 1 if args.repeat is None else args.repeat
    if repeats < 1:
        raise ConfigError(f"--repeat must be at least 1, got {args.repeat}")
    raw = apply_overrides(read_config_file(args.config), args)
    prompts = [prompt_variant(args.prompt)] if args.prompt else []
    raw.pop("prompt_prefix", None), raw.pop("prompt_name", None)  # the sweep's prompts set them
    config = validate_config(raw, str(args.config))
    # The policy as configured (with its parameters) becomes a preset of its own label, so the
    # sweep's cell is exactly this episode.
    presets = {**(raw.get("policy_presets") or {}), config.policy_label: config.policy.model_dump(mode="json")}
    experiment = slug(f"{config.task.label}_{config.policy_label}_{config.reasoning_mode}_{config.model.name}")
    return SweepConfig(
        experiment=experiment, base_config=args.config, overrides={**raw, "policy_presets": presets},
        tasks=[config.task.model_dump(mode="json")], policies=[config.policy_label], modes=[config.reasoning_mode],
        models=[config.model.model_dump(mode="json")], prompts=prompts, repeats=repeats, results_dir=Path(config.out),
    )  # fmt: skip


def summarize_experiment(experiment: Path, phoenix: PhoenixWrite = "never") -> None:
    """Tables and figures, and the sweep as Phoenix experiments: "if_traced" when its episodes sent
    spans to Phoenix (a just-run sweep), "always" when asked for (--phoenix), with or without spans."""
    from ctxbench.episode_tables import write_episode_tables
    from ctxbench.plots import plot_all
    from ctxbench.results import load_rows, paired_table, print_table, scored, summarize, write_tables

    rows = load_rows(experiment)
    if not rows:
        raise HarnessError(f"no finished episodes under {experiment}")
    table, paired = summarize(rows), paired_table(rows)
    print_table(table, paired)
    warn_about_provenance(rows)
    tables = write_tables(table, experiment, paired) + write_episode_tables(rows, experiment)
    figures = plot_all(scored(rows), Path("figs"), experiment.name)
    print("tables: " + ", ".join(map(str, tables)))
    print("figures: " + ", ".join(map(str, figures)))
    if phoenix != "never":
        write_to_phoenix(experiment, rows, untraced_too=phoenix == "always")


def write_to_phoenix(experiment: Path, rows: list[dict[str, Any]], untraced_too: bool = False) -> None:
    """The sweep as Phoenix experiments, when its episodes sent spans there or untraced_too (their
    runs then link no trace). The sweep is done and its results written whatever happens here: a
    failure is one line, never an error exit."""
    from ctxbench.phoenix_experiments import log_sweep
    from ctxbench.tracing.otel import PhoenixConfig, phoenix_base_url, phoenix_reachable

    telemetry = [PhoenixConfig.model_validate(row["trace"].start["config"]["telemetry"]["phoenix"]) for row in rows]
    traced = all(t.enabled for t in telemetry)
    if not (traced or untraced_too):
        return  # a sweep run without Phoenix stays without it unless asked
    if not traced:
        print("Phoenix: episodes ran without Phoenix; their runs are written without trace links")
    base_url = phoenix_base_url(telemetry[0])
    retry = "start it, then: run_bench.py --summarize DIR --phoenix"
    if not phoenix_reachable(base_url):
        print(f"Phoenix does not answer at {base_url}: the sweep was not written as experiments ({retry})")
        return
    try:
        written = log_sweep(experiment, rows, base_url)
    except Exception as exc:  # the client and httpx raise many kinds
        print(f"Phoenix: the sweep was not written as experiments: {type(exc).__name__}: {exc} ({retry})")
        return
    print(
        f"Phoenix: {written['experiments']} experiments on dataset {written['dataset']} "
        f"({written['runs_logged']} runs written, {written['runs_kept']} already there): {written['compare_url']}"
    )


def warn_about_provenance(rows: list[dict[str, Any]]) -> None:
    """Episodes compared in one table should differ only in what the sweep varies."""
    from ctxbench.provenance import differences

    known = [row["provenance"] for row in rows if row.get("provenance")]
    if len(known) < len(rows):
        print(f"note: {len(rows) - len(known)} of {len(rows)} episodes carry no provenance (run before it was kept)")
    for key, values in differences(known).items():
        print(f"warning: the episodes compared differ in {key}: {', '.join(values)}")


def list_tasks() -> int:
    """Each task with its metric and default target."""
    from benchmarks import TASKS

    for name in TASKS:
        task = TASKS.get(name)
        print(f"{name:20s} {task.metric:20s} {task.target_text:34s} {task.description}")
    return 0


def print_result(result) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console

    t = result.totals
    s = result.score
    console = Console()
    if s is None:
        console.print(f"[bold red]not scored[/bold red]: the harness failed ({result.stop_reason}), not the agent")
    else:
        metrics = ", ".join(f"{k}={v:.3f}" for k, v in s.metrics.items())
        verdict = "passed" if s.passed else "not reached"
        console.print(f"[bold]score[/bold] {s.metric}={s.value:.3f} (target {s.target:.2f}, {verdict}); {metrics}")
    console.print(
        f"stop={result.stop_reason} steps={t.steps} cells={t.cells} (failed {t.failed_cells}) "
        f"format_errors={t.format_errors} repeats={t.repeats} invalid_answers={t.invalid_answers}"
    )
    console.print(
        f"tokens agent prompt={t.agent_prompt_tokens} completion={t.agent_completion_tokens} "
        f"(cached {t.agent_cached_tokens}) summarizer={t.summarizer_tokens} ({t.summarizer_calls} calls) "
        f"cost=${t.cost_usd:.4f} llm={t.llm_latency_s + t.summarizer_latency_s:.1f}s wall={result.wall_time_s:.1f}s"
    )
    if t.response_cache_hits or t.llm_retries:
        console.print(f"response cache hits={t.response_cache_hits} (replayed {t.replayed_latency_s:.1f}s of latency) "
                      f"retries={t.llm_retries} ({t.llm_retry_s:.1f}s lost)")  # fmt: skip
    if result.error:
        console.print(f"[red]error[/red] {result.error}")
    console.print(f"trace {result.trace_path}")
    for link in result.links:
        console.print(f"phoenix {link}", soft_wrap=True)
