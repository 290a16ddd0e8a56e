#!/usr/bin/env bash
# The model measurements behind issue 15's figures, in order, each resumable: kill it at any point
# and run it again to go on (finished episodes are kept, cut ones redone). Run it on an otherwise
# idle machine: every row records the load average it ran at.
#   bash scripts/measure_issue15.sh            # all steps
#   bash scripts/measure_issue15.sh 3          # from step 3
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
from=${1:-1}
step() {  # step N command...: runs when N >= from, and goes on to the next step whatever happens
  local n=$1; shift
  [ "$n" -ge "$from" ] || return 0
  echo "== step $n: $* (load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M:%S))"
  "$@"
}
# The scaffolding agentic HumanEval runs with (primer and preload have nothing to act on there).
HE_SCAFFOLD=task_first,autosubmit,repeat_guard,error_first,silence_hint,submit_hint,retry_temperature=0.9
step 1 $PY scripts/humaneval.py --modes direct --problems all --resume
step 2 $PY run_bench.py --sweep sweeps/issue15/1.5b_scaffold_main.json --resume
step 3 $PY run_bench.py --sweep sweeps/issue15/0.5b_scaffold_main_primer.json --resume
step 4 $PY scripts/humaneval.py --modes direct,agentic,controller --problems sample:40 --resume --scaffold $HE_SCAFFOLD
step 5 $PY scripts/humaneval.py --models qwen2.5-coder-1.5b --modes direct,agentic,controller --problems sample:40 \
  --resume --scaffold $HE_SCAFFOLD
step 6 $PY scripts/humaneval.py --models qwen2.5-coder-1.5b --modes direct --problems all --resume
step 7 $PY scripts/humaneval.py --modes agentic --problems sample:40 --resume --out results/humaneval_no_scaffold
step 8 $PY run_bench.py --sweep sweeps/issue15/1.5b_scaffold_none.json --resume   # what the scaffolding adds
step 9 $PY run_bench.py --sweep sweeps/issue15/0.5b_task_first_autosubmit.json --resume
step 9 $PY run_bench.py --sweep sweeps/issue15/1.5b_annotation_checked.json --resume
step 9 $PY run_bench.py --sweep sweeps/issue15/1.5b_markers_task_first_autosubmit.json --resume
step 9 $PY run_bench.py --sweep sweeps/issue15/1.5b_krumsiek_task_first_autosubmit.json --resume
step 9 $PY run_bench.py --sweep sweeps/issue15/0.5b_annotation_task_first_autosubmit.json --resume
step 9 $PY run_bench.py --sweep sweeps/issue15/1.5b_krumsiek_key_hint.json --resume
step 10 $PY scripts/probe_first_reply.py --problems sample:40 --openings system,task_first   # what task_first changes
step 11 $PY scripts/above_trivial.py results/issue15_1.5b_scaffold_main results/issue15_0.5b_scaffold_main_primer \
  results/issue15_1.5b_scaffold_none results/issue15_0.5b_task_first_autosubmit results/issue15_1.5b_annotation_checked results/issue15_1.5b_markers_task_first_autosubmit \
  results/issue15_1.5b_krumsiek_task_first_autosubmit results/issue15_0.5b_annotation_task_first_autosubmit \
  results/issue15_1.5b_krumsiek_key_hint
step 11 $PY scripts/scaffold_activity.py results/issue15_1.5b_scaffold_main results/issue15_0.5b_scaffold_main_primer
echo "== done ($(date -u +%H:%M:%S))"
