"""The experiment's figures (matplotlib, from traces only): score by iteration per policy (mean with
its 95 % interval band, see ctxbench.stats), score against every token spent (the agent's and the
summarizer's, with the Pareto front), the context tokens sent per step per policy, and for a swept
policy parameter (`sliding_window[turns=4]`, from a sweep's parameter axis) score and tokens against
its value, and per policy the prompt tokens the server evaluated vs reused from its KV cache."""

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ctxbench.results import score_by_iteration
from ctxbench.stats import mean_interval


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _label(row: dict[str, Any]) -> str:
    return f"{row['policy']} / {row['mode']}"


def _padded(curves: list[list[float]]) -> np.ndarray:
    """Curves of different lengths, each held at its last value (an episode that stopped keeps its score)."""
    length = max(len(c) for c in curves)
    return np.array([c + [c[-1] if c else 0.0] * (length - len(c)) for c in curves])


def _band(ax: Any, curves: list[list[float]], label: str) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    data = _padded(curves)
    estimates = [mean_interval(list(data[:, i])) for i in range(data.shape[1])]
    x = np.arange(1, data.shape[1] + 1)
    ax.plot(x, [e.mean for e in estimates], marker="o", label=f"{label} (n={data.shape[0]})")
    # No band where no interval holds (n < 2, or no variation); NaN leaves a gap.
    low = [e.low if e.low is not None else np.nan for e in estimates]
    high = [e.high if e.high is not None else np.nan for e in estimates]
    ax.fill_between(x, low, high, alpha=0.2)


def plot_all(rows: list[dict[str, Any]], figs: Path, name: str) -> list[Path]:
    plt = _pyplot()
    figs.mkdir(parents=True, exist_ok=True)
    groups = by_label(rows)
    paths = []

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, members in sorted(groups.items()):
        _band(ax, [score_by_iteration(m["trace"]) or [0.0] for m in members], label)
    ax.set(xlabel="iteration (model call)", ylabel="score (best so far)", title=f"{name}: score by iteration")
    ax.legend(fontsize=8)
    paths.append(_save(fig, figs / f"{name}_iteration_score.png"))

    fig, ax = plt.subplots(figsize=(7, 4.5))
    points = []
    for label, members in sorted(groups.items()):
        x, y = np.mean([m["total_tokens"] for m in members]), np.mean([m["score"] for m in members])
        ax.scatter([m["total_tokens"] for m in members], [m["score"] for m in members], alpha=0.3)
        ax.scatter([x], [y], marker="D", s=60, label=label)
        points.append((x, y))
    front = pareto_front(points)
    ax.plot([p[0] for p in front], [p[1] for p in front], "k--", linewidth=1, label="Pareto front")
    ax.set(xlabel="tokens per episode (agent + summarizer)", ylabel="score", title=f"{name}: score vs tokens")
    ax.legend(fontsize=8)
    paths.append(_save(fig, figs / f"{name}_score_vs_tokens.png"))

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, members in sorted(groups.items()):
        _band(ax, [[float(t) for t in m["trace"].context_tokens_per_step()] or [0.0] for m in members], label)
    ax.set(xlabel="step", ylabel="context tokens sent", title=f"{name}: context tokens per step")
    ax.legend(fontsize=8)
    paths.append(_save(fig, figs / f"{name}_context_tokens.png"))
    return [*paths, plot_prompt_cache(rows, figs, name), *plot_parameter_axes(rows, figs, name)]


def by_label(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The episodes of each curve or bar: one per policy, mode, model and prompt label."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[_label(row)].append(row)
    return groups


def prompt_tokens(row: dict[str, Any]) -> int:
    """Every prompt token of an episode: the agent's and the summarizer's."""
    return int(row["totals"].get("agent_prompt_tokens", 0) + row["totals"].get("summarizer_prompt_tokens", 0))


def plot_prompt_cache(rows: list[dict[str, Any]], figs: Path, name: str) -> Path:
    """Per policy, an episode's prompt tokens the server evaluated and those it reused from its KV
    cache (stacked), with the client-side estimate of reused tokens (a prompt's prefix shared with
    the one before it, what an API would bill as cache reads) marked: which policies keep the prefix
    stable. The saved seconds, where a local server's log gave them, are written beside each bar."""
    plt = _pyplot()
    groups = by_label(rows)
    labels = sorted(groups)
    prompt = np.array([np.mean([prompt_tokens(m) for m in groups[label]]) for label in labels])
    reused = np.array([np.mean([m["cached_tokens"] for m in groups[label]]) for label in labels])
    estimate = [np.mean([m["client_reused_tokens"] for m in groups[label]]) for label in labels]
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(labels) + 2.4))
    y = np.arange(len(labels))
    ax.barh(y, prompt - reused, label="evaluated by the server")
    ax.barh(y, reused, left=prompt - reused, label="reused from its KV cache")
    ax.scatter(estimate, y, marker="|", s=300, color="k", label="client-side estimate of reused", zorder=3)
    for i, label in enumerate(labels):
        saved = [m["cache_saved_s"] for m in groups[label] if m.get("cache_saved_s") is not None]
        if saved:
            ax.annotate(f" saved ~{np.mean(saved):.0f} s", (prompt[i], i), va="center", fontsize=8)
    ax.set_yticks(y, [f"{label} (n={len(groups[label])})" for label in labels])
    # the title on two lines, so that a long sweep name is not cut off
    ax.set(xlabel="prompt tokens per episode (mean)", title=f"{name}\nprompt tokens evaluated vs reused")
    ax.set_xlim(0, max(prompt.max(initial=1.0), *estimate) * 1.3)  # room for the saved seconds
    ax.locator_params(axis="x", nbins=5)  # five-digit tick labels would run into each other
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    return _save(fig, figs / f"{name}_prompt_cache.png")


SWEPT = re.compile(r"^(\w+)\[(.+)\]$")  # a parameter-axis cell's policy label: type[key=value,...]


def swept_values(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, list[dict[str, Any]]]]:
    """(policy type, parameter, mode) -> value -> rows, for each parameter that takes several values."""
    found: dict[tuple[str, str, str], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if match := SWEPT.match(row["policy"]):
            for pair in match.group(2).split(","):
                key, _, value = pair.partition("=")
                found[match.group(1), key, row["mode"]][value].append(row)
    return {axis: dict(by_value) for axis, by_value in found.items() if len(by_value) > 1}


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def plot_parameter_axes(rows: list[dict[str, Any]], figs: Path, name: str) -> list[Path]:
    """Mean score (with its interval) and mean tokens against each swept parameter's value."""
    plt, paths = _pyplot(), []
    for (policy, key, mode), by_value in sorted(swept_values(rows).items()):
        numeric = all(_number(v) is not None for v in by_value)
        values = sorted(by_value, key=lambda v: _number(v) or 0.0) if numeric else sorted(by_value)
        x = [_number(v) for v in values] if numeric else list(range(len(values)))
        estimates = [mean_interval([r["score"] for r in by_value[v]], at_most=1.0) for v in values]
        fig, ax = plt.subplots(figsize=(7, 4.5))
        means = [e.mean or 0.0 for e in estimates]
        below = [m - e.low if e.low is not None else 0.0 for m, e in zip(means, estimates, strict=True)]
        above = [e.high - m if e.high is not None else 0.0 for m, e in zip(means, estimates, strict=True)]
        ax.errorbar(x, means, yerr=[below, above], marker="o", capsize=4, label="score (95 % interval)")
        ax.set(xlabel=f"{policy}: {key}", ylabel="score", title=f"{name}: {policy} {key} ({mode})")
        if not numeric:
            ax.set_xticks(x, values)
        tokens = ax.twinx()
        tokens.plot(x, [np.mean([r["total_tokens"] for r in by_value[v]]) for v in values], "s--", color="tab:orange",
                    label="tokens per episode")  # fmt: skip
        tokens.set_ylabel("tokens per episode")
        fig.legend(fontsize=8, loc="upper left")
        paths.append(_save(fig, figs / f"{name}_{policy}_{key}_{mode}.png"))
    return paths


def pareto_front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points no other point beats on both fewer tokens and a higher score, by tokens."""
    front: list[tuple[float, float]] = []
    for x, y in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or y > front[-1][1]:
            front.append((x, y))
    return front


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path
