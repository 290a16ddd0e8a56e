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
step 1 $PY scripts/humaneval.py --modes direct --problems all --resume
step 2 $PY run_bench.py --sweep sweeps/issue15/pbmc_markers_0.5b_scaffold_all.json --resume
step 3 $PY run_bench.py --sweep sweeps/issue15/pbmc_markers_0.5b_scaffold_no_example.json --resume
step 3 $PY run_bench.py --sweep sweeps/issue15/pbmc_markers_0.5b_scaffold_none.json --resume
step 4 $PY scripts/humaneval.py --models qwen2.5-coder-1.5b --modes direct --problems all --resume
step 5 $PY run_bench.py --sweep sweeps/issue15/pbmc_clustering_0.5b_scaffold_all.json --resume
step 6 $PY run_bench.py --sweep sweeps/issue15/pbmc_clustering_0.5b_scaffold_none.json --resume
step 7 $PY scripts/humaneval.py --modes direct,agentic,controller --problems sample:40 --resume
step 8 $PY scripts/humaneval.py --modes agentic --problems sample:40 --resume --out results/humaneval_scaffold_all \
  --scaffold repeat_guard,error_first,retry_temperature=0.9,worked_example
step 9 $PY scripts/humaneval.py --models qwen2.5-coder-1.5b --modes direct,agentic,controller --problems sample:40 --resume
for task in pbmc_markers pbmc_clustering; do
  for variant in all none; do
    step 10 $PY run_bench.py --sweep sweeps/issue15/${task}_1.5b_scaffold_${variant}.json --resume
  done
done
echo "== done ($(date -u +%H:%M:%S))"
