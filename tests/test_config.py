import json
import subprocess
import sys
from pathlib import Path

import pytest

from ctxbench.cli import apply_overrides, build_parser
from ctxbench.config import read_config_file, validate_config
from ctxbench.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_config_is_valid():
    config = validate_config(read_config_file(ROOT / "config.json"), "config.json")
    assert config.task.name == "pbmc_annotation"
    assert config.model.backend == "llama_cpp"
    assert config.sandbox.backend == "bubblewrap"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"policy": {"type": "nope"}},
            "policy: Input tag 'nope' found using 'type' does not match any of the expected tags: 'full_history'",
        ),
        (
            {"policy": {"type": "pipeline", "stages": [{"type": "sliding_window", "turns": 0}]}},
            "policy.stages.0.turns: Input should be greater than or equal to 1",
        ),
        ({"policy": {"type": "sliding_window", "window": 3}}, "policy.window: Extra inputs are not permitted"),
        ({"reasoning_mode": "xyz"}, "reasoning_mode: Input should be 'agentic'"),
        ({"sandbox": {"backend": "vm"}}, "sandbox.backend: Input should be 'bubblewrap'"),
        ({"model": {"backend": "hf"}}, "model.backend: Input should be 'llama_cpp', 'openai' or 'scripted'"),
        ({"budget": {"max_steps": 0}}, "budget.max_steps: Input should be greater than or equal to 1"),
        ({"bogus": 1}, "bogus: Extra inputs are not permitted"),
        ({"task": {"name": "pbmc_annotation", "holdout": 0.5}}, "task.holdout: Extra inputs are not permitted"),
    ],
)
def test_bad_config_names_field_and_allowed_values(raw, expected):
    with pytest.raises(ConfigError) as info:
        validate_config(raw, "c.json")
    assert expected in str(info.value)


def test_invalid_json_and_missing_file(tmp_path):
    broken = tmp_path / "c.json"
    broken.write_text('{"task": ')
    with pytest.raises(ConfigError, match="invalid JSON at line 1"):
        read_config_file(broken)
    with pytest.raises(ConfigError, match="config file not found"):
        read_config_file(tmp_path / "missing.json")


def test_policy_presets_and_params():
    raw = read_config_file(ROOT / "config.json")
    for preset in ("short_context", "long_context"):
        config = validate_config(apply_overrides(raw, build_parser("x").parse_args(["--policy-type", preset])), "x")
        assert config.policy.type == "pipeline" and config.policy_label == preset
        assert config.policy.context_tokens == raw["policy_presets"][preset]["context_tokens"]
    args = build_parser("x").parse_args(["--policy-type", "short_context", "--policy-param", "context_tokens=900"])
    assert validate_config(apply_overrides(raw, args), "x").policy.context_tokens == 900
    args = build_parser("x").parse_args(["--policy-type", "sliding_window", "--policy-param", "turns=3"])
    config = validate_config(apply_overrides(raw, args), "x")
    assert (config.policy.type, config.policy.turns, config.policy_label) == ("sliding_window", 3, "sliding_window")


def test_flags_override_the_file():
    raw = read_config_file(ROOT / "config.json")
    args = build_parser("x").parse_args(
        ["--max-steps", "3", "--seed", "7", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--out", "o"]
    )
    config = validate_config(apply_overrides(raw, args), "x")
    assert (config.budget.max_steps, config.seed, config.model.name) == (3, 7, "m")
    assert config.model.backend == "openai"
    assert config.model.base_url == "http://127.0.0.1:9/v1"
    assert str(config.out) == "o"
    assert config.task.holdout_fraction == raw["task"]["holdout_fraction"]  # untouched sections stay


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--policy-type", "bogus"], "neither a policy type (budget_mix, full_history, observation_masking"),
        (["--policy-type", "sliding_window", "--policy-param", "turns=0"], "policy.turns: Input should be greater"),
        (["--reasoning-mode", "bogus"], "reasoning_mode: Input should be 'agentic'"),
        (["--task", "bogus"], "task: Input tag 'bogus' found using 'name' does not match any of the expected"),
    ],
)
def test_cli_bad_input_is_one_line_without_traceback(tmp_path, args, message):
    run = subprocess.run(
        [sys.executable, str(ROOT / "run_bench.py"), "--config", str(ROOT / "config.json"), *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_cli_malformed_config_file(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"task": {"name": "pbmc_annotation"}, "sandbox": {"memory_mb": "lots"}}))
    run = subprocess.run(
        [sys.executable, str(ROOT / "script.py"), "--config", str(config)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2
    assert "sandbox.memory_mb: Input should be a valid integer" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_config_without_policy_gets_the_default_and_flags_leave_it_alone(tmp_path):
    args = build_parser("x").parse_args(["--max-steps", "2"])
    config = validate_config(apply_overrides({"model": {"backend": "scripted"}}, args), "x")
    assert config.policy.type == "full_history"
    args = build_parser("x").parse_args(["--policy-param", "context_tokens=500"])
    assert validate_config(apply_overrides({}, args), "x").policy.context_tokens == 500


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"policy": {"type": "full_history", "max_tokens": 5}}, "policy: `max_tokens` was renamed `context_tokens`"),
        ({"model": {"max_tokens": 5}}, "model: `max_tokens` was renamed `reply_tokens`"),
        ({"budget": {"max_tokens": 5}}, "budget: `max_tokens` was renamed `episode_tokens`"),
        (
            {"policy": {"type": "pipeline", "stages": [{"type": "summarization", "summary_max_tokens": 50}]}},
            "policy.stages.0: `summary_max_tokens` was renamed `summary_reply_tokens`",
        ),
    ],
)
def test_an_old_budget_name_is_named_with_its_new_one(raw, expected):
    with pytest.raises(ConfigError) as error:
        validate_config(raw, "old.json")
    assert str(error.value) == f"old.json: {expected}"


def test_an_old_budget_name_as_a_flag(tmp_path):
    args = build_parser("x").parse_args(["--policy-param", "max_tokens=500"])
    with pytest.raises(ConfigError, match="`max_tokens` was renamed `context_tokens`"):
        validate_config(apply_overrides({}, args), "x")


def test_embedded_models_are_named_by_catalog_name_or_alias():
    from ctxbench.llm.base import ModelConfig
    from ctxbench.llm.catalog import EMBEDDED

    bigger = ModelConfig(name="qwen2.5-coder-1.5b")
    assert bigger.name == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert bigger.gguf_path().name == "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert ModelConfig().gguf_path() == EMBEDDED[0].path
    assert ModelConfig(backend="openai", name="gpt-4o-mini").name == "gpt-4o-mini"  # remote names are free
    assert [m.parts for m in EMBEDDED] == [6, 22] and len({m.sha256 for m in EMBEDDED}) == 2


def test_an_unknown_embedded_model_is_one_clear_line():
    with pytest.raises(ConfigError, match=r"no embedded model named 'qwen-9b'; known: qwen2\.5-coder-0\.5b"):
        validate_config({"model": {"name": "qwen-9b"}}, "test")
