"""scripts/divergence.py: where a paired episode parts from its full_history twin, and whether the
policy (another context) or the server (another reply to the same context) parted them."""

from tests.conftest import load_script


def call(step: int, context: str, reply: str, latency: float = 1.0) -> dict:
    return {"step": step, "messages": [{"role": "user", "content": context}],
            "reply": {"text": reply, "tool_calls": [], "latency_s": latency}}  # fmt: skip


def test_a_pair_parts_by_context_by_server_or_never():
    divergence = load_script("divergence")
    twin = [call(1, "task", "a"), call(2, "task a out", "b")]
    slower = [call(1, "task", "a", latency=9.0), call(2, "task a out", "b")]
    assert divergence.parting(slower, twin) == ("identical", None)
    assert divergence.parting([call(1, "task", "a"), call(2, "task [masked]", "b")], twin) == ("context", 2)
    assert divergence.parting([call(1, "task", "x"), call(2, "task x out", "b")], twin) == ("server", 1)
    assert divergence.parting([call(1, "task", "a")], twin) == ("context", 2)  # one stopped, the other went on


def test_only_episodes_with_a_full_history_twin_at_the_same_seed_are_paired():
    divergence = load_script("divergence")

    def row(policy: str, seed: int, calls: list) -> dict:
        return {"task": "t", "mode": "agentic", "model": "m", "prompt": "", "repeat": seed, "seed": seed,
                "policy": policy, "trace": type("Trace", (), {"llm_calls": calls})()}  # fmt: skip

    rows = [row("full_history", 0, [call(1, "task", "a")]), row("window", 0, [call(1, "task", "z")]),
            row("window", 1, [call(1, "task", "a")])]  # fmt: skip
    assert divergence.partings(rows, rows) == {("t", "window"): [(0, "server", 1)]}
