"""The README's ladder table (scripts/above_trivial.py --by-mode): a row per task, policy and model,
a column per mode in the order direct, agentic, controller, and a cell in bold only when its
interval's lower bound clears the task's trivial score."""

from tests.conftest import load_script


def cell(task, mode, score, low, high, n=5, model="m"):
    return {"task": task, "mode": mode, "model": model, "policy": "full_history", "n": n, "score": score,
            "score_ci_low": low, "score_ci_high": high}  # fmt: skip


def test_the_ladder_table_has_a_column_per_mode_and_bolds_only_what_clears_trivial():
    above = load_script("above_trivial")
    floors = {"ml_wine": {"trivial": 0.4, "baseline": 0.6, "reference": 1.0},
              "smoke_sum": {"trivial": 0.0, "baseline": 0.0, "reference": 1.0}}  # fmt: skip
    cells = [cell("ml_wine", "controller", 0.98, 0.95, 1.0), cell("ml_wine", "agentic", 0.5, 0.3, 0.7),
             cell("smoke_sum", "agentic", 0.0, None, None, n=1)]  # fmt: skip
    header, rule, wine, smoke = above.by_mode_table(cells, floors)
    assert header == "| task (trivial / baseline / reference) | policy | model | agentic | controller |"
    assert rule == "|---|---|---|---|---|"
    assert wine == ("| ml_wine (0.400 / 0.600 / 1.000) | full_history | m | 0.500 [0.300, 0.700], n = 5 "
                    "| **0.980 [0.950, 1.000], n = 5** |")  # fmt: skip
    assert smoke == "| smoke_sum (0.000 / 0.000 / 1.000) | full_history | m | 0.000 (no interval), n = 1 | - |"


def test_a_cell_of_zeros_does_not_clear_a_trivial_score_below_zero_by_float_noise():
    above = load_script("above_trivial")
    floors = {"ml_diabetes": {"trivial": -1.2e-17, "baseline": 0.158, "reference": 0.369}}
    _, _, zeros = above.by_mode_table([cell("ml_diabetes", "direct", 0.0, 0.0, 0.537)], floors)
    assert "**" not in zeros and "-0.000 / 0.158 / 0.369" in zeros
    _, _, above_it = above.by_mode_table([cell("ml_diabetes", "direct", 0.2, 0.01, 0.4)], floors)
    assert "**0.200 [0.010, 0.400], n = 5**" in above_it
