#!/usr/bin/env bash
# Times superpos and the PyTorch stack (transformers + peft) side by side, in one run, on the same
# work: the T5 v1.1 small shape with random weights, prompt tuning with 10 prompt vectors, batch 8,
# 128 and 256 source tokens, 4 target tokens. For each source length it times (a) a training step
# (forward, backward to the prompt, AdamW) with dropout off and at 0.1, and (b) evaluation:
# encoding and greedy decoding. Both sides use the same thread count, and every measurement runs
# in its own process so that peak memory is the measurement's own.
#
# Prints, per measurement, the medians over --repeats runs and the peak resident memory of both
# processes. It also prints the ratio ours / PyTorch: of step times for training (the target is
# at most 1.0), and of examples per second for evaluation (the target is at least 1.0).
#
# Usage: bench/compare_pytorch.sh [--threads N] [--repeats N] [--config CONFIG_JSON] [--out FILE]
#   --threads  CPU threads for both stacks (default: all cores)
#   --repeats  timed runs per measurement after 2 untimed ones (default: 10)
#   --config   the T5 config (default: configs/backbones/t5-v1_1-small/config.json)
#   --out      also write every measurement of both stacks as JSON lines to FILE
# Environment:
#   SUPERPOS_BIN  the superpos binary to time (default: built here with `cargo build --release`)
#   BENCH_VENV    the virtual environment for PyTorch (default: bench/.venv, created on first run;
#                 PyPI's Linux torch wheel brings its CUDA libraries, several GB)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
threads="$(nproc)"
repeats=10
config="${repo_root}/configs/backbones/t5-v1_1-small/config.json"
out=""
while [[ $# -gt 0 ]]; do
    if [[ $# -lt 2 ]]; then
        echo "error: $1 needs a value; see the usage at the top of $0" >&2
        exit 2
    fi
    case "$1" in
        --threads) threads="$2"; shift 2 ;;
        --repeats) repeats="$2"; shift 2 ;;
        --config) config="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        *) echo "error: unknown argument $1; see the usage at the top of $0" >&2; exit 2 ;;
    esac
done
[[ -f "${config}" ]] || { echo "error: config ${config} not found" >&2; exit 2; }

# The PyTorch side, pinned so that runs on different days compare the same stack.
venv="${BENCH_VENV:-${repo_root}/bench/.venv}"
if ! "${venv}/bin/python" -c 'import torch, transformers, peft' 2>/dev/null; then
    echo "installing torch, transformers and peft into ${venv}" >&2
    python3 -m venv "${venv}"
    "${venv}/bin/pip" install --quiet torch==2.15.0 transformers==5.25.0 peft==0.21.2 >&2
fi

if [[ -z "${SUPERPOS_BIN:-}" ]]; then
    echo "building superpos (release)" >&2
    (cd "${repo_root}" && cargo build --quiet --release -p superpos-harness >&2)
    SUPERPOS_BIN="${CARGO_TARGET_DIR:-${repo_root}/target}/release/superpos"
fi

results="$(mktemp)"
trap 'rm -f "${results}"' EXIT
measure() {
    local workload="$1" source_len="$2" dropout="$3"
    local common=(--config "${config}" --workload "${workload}" --batch 8 --source-len "${source_len}"
        --prompt-len 10 --target-len 4 --warmup 2 --repeats "${repeats}" --threads "${threads}")
    [[ "${workload}" == step ]] && common+=(--dropout "${dropout}")
    echo "timing ${workload}, source ${source_len}, dropout ${dropout}" >&2
    local ours theirs
    ours="$("${SUPERPOS_BIN}" bench "${common[@]}" --json)"
    theirs="$("${venv}/bin/python" "${repo_root}/bench/pytorch_t5.py" "${common[@]}")"
    printf '{"stack":"superpos",%s\n{"stack":"pytorch",%s\n' "${ours#\{}" "${theirs#\{}" >>"${results}"
}
for source_len in 128 256; do
    measure step "${source_len}" 0
    measure step "${source_len}" 0.1
    measure generate "${source_len}" 0
done
[[ -n "${out}" ]] && cp "${results}" "${out}"

python3 - "${results}" "$(uname -m)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
pairs = list(zip(rows[0::2], rows[1::2]))
first = pairs[0][1]
print(f"machine: {sys.argv[2]}, {sys.argv[3]}; threads: {pairs[0][0]['threads']} (superpos), {first['threads']} (PyTorch)")
print("PyTorch stack: " + ", ".join(f"{k} {v}" for k, v in first["versions"].items()))
print(f"{'workload':<10}{'source':>7}{'dropout':>8}{'superpos s':>12}{'PyTorch s':>11}{'ratio':>7}{'target':>8}{'superpos MiB':>14}{'PyTorch MiB':>13}{'mem ratio':>10}")
for ours, theirs in pairs:
    if ours["workload"] == "step":
        ratio, target = ours["median_seconds"] / theirs["median_seconds"], "<= 1"
    else:
        ratio, target = ours["examples_per_second"] / theirs["examples_per_second"], ">= 1"
    memory = ours["peak_memory_mib"] / theirs["peak_memory_mib"]
    print(f"{ours['workload']:<10}{ours['shape']['source_len']:>7}{ours['dropout']:>8}{ours['median_seconds']:>12.3f}{theirs['median_seconds']:>11.3f}"
          f"{ratio:>7.2f}{target:>8}{ours['peak_memory_mib']:>14.0f}{theirs['peak_memory_mib']:>13.0f}{memory:>10.2f}")
print("ratio: ours / PyTorch median step time for `step`, ours / PyTorch examples per second for `generate`")
EOF
