#!/usr/bin/env bash
# Checks a CUDA build of superpos on a machine with an NVIDIA GPU, then times it against PyTorch.
#
# 1. Golden tests on CUDA: `superpos model verify --device cuda` on the committed tiny T5 fixtures
#    (T5 v1.1 gated-GELU and original T5), against the outputs transformers computed. Float32 is
#    held to the CPU tolerances, bf16 to model verify's bf16 default of 0.15, where differing
#    generated ids are shown but not checked.
# 2. A prompt-tuning training step (batch 8, 256 source tokens + 10 prompt vectors, 4 target
#    tokens, dropout 0.1) on the T5 v1.1 small and base shapes with random weights, in float32
#    and bf16. The ratio ours / PyTorch is printed where PyTorch with CUDA, transformers and peft
#    can be imported.
#
# Usage: scripts/gpu-check.sh [SUPERPOS_BIN]
#   SUPERPOS_BIN defaults to target/cuda/release/superpos, which scripts/build-cuda.sh writes.
# Environment:
#   DEVICE   the GPU to use (default cuda:0)
#   PYTHON   the Python with torch, transformers and peft (default: bench/.venv/bin/python if it
#            exists, else python3)
# Exits 1 when a golden check or a timed run fails; a missing PyTorch only leaves the ratio out.
set -uo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${1:-${repo_root}/target/cuda/release/superpos}"
device="${DEVICE:-cuda:0}"
python="${PYTHON:-}"
if [[ -z "${python}" ]]; then
    if [[ -x "${repo_root}/bench/.venv/bin/python" ]]; then python="${repo_root}/bench/.venv/bin/python"; else python=python3; fi
fi
# The CUDA libraries the build linked against, when they came from the toolkit folder.
toolkit_lib="${SUPERPOS_CUDA_TOOLKIT:-${repo_root}/.cuda-toolkit}/home/lib"
[[ -d "${toolkit_lib}" ]] && export LD_LIBRARY_PATH="${toolkit_lib}${LD_LIBRARY_PATH:+:${LD_LIBRARY_PATH}}"

[[ -x "${binary}" ]] || { echo "error: ${binary} not found; build it with scripts/build-cuda.sh" >&2; exit 2; }
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "binary: ${binary}"

failed=0
fixtures="${repo_root}/models/tests/fixtures"
for model in t5-tiny-v11 t5-tiny-orig; do
    for precision in f32 bf16; do
        echo "== golden ${model} on ${device}, ${precision}"
        "${binary}" model verify --model "${fixtures}/${model}" --reference "${fixtures}/${model}/reference.safetensors" \
            --device "${device}" --precision "${precision}" || failed=1
    done
done

have_torch=0
"${python}" -c 'import torch, transformers, peft; assert torch.cuda.is_available()' 2>/dev/null && have_torch=1
[[ "${have_torch}" == 1 ]] || echo "note: ${python} lacks torch with CUDA, transformers or peft; PyTorch ratios are left out"

printf '%-16s %-6s %12s %12s %7s %12s %12s\n' backbone dtype "ours s" "PyTorch s" ratio "ours MiB" "PyTorch MiB"
for backbone in t5-v1_1-small t5-v1_1-base; do
    for precision in f32 bf16; do
        args=(--config "${repo_root}/configs/backbones/${backbone}/config.json" --workload step --batch 8 --source-len 256
            --prompt-len 10 --target-len 4 --dropout 0.1 --warmup 3 --repeats 20 --precision "${precision}")
        ours="$("${binary}" bench "${args[@]}" --device "${device}" --json)" || { echo "error: superpos bench failed for ${backbone} ${precision}" >&2; failed=1; continue; }
        theirs='{}'
        [[ "${have_torch}" == 1 ]] && theirs="$("${python}" "${repo_root}/bench/pytorch_t5.py" "${args[@]}" --device "${device}")"
        python3 - "${backbone}" "${precision}" "${ours}" "${theirs}" <<'EOF'
import json, sys
backbone, precision, ours, theirs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
t = theirs.get("median_seconds")
ratio = f"{ours['median_seconds'] / t:.2f}" if t else "-"
print(f"{backbone:<16} {precision:<6} {ours['median_seconds']:>12.4f} {t if t else float('nan'):>12.4f} {ratio:>7} "
      f"{ours['peak_memory_mib'] or float('nan'):>12.0f} {theirs.get('peak_memory_mib') or float('nan'):>12.0f}")
EOF
    done
done
echo "ratio: ours / PyTorch median step time (at most 1.0 is the target); memory: ours is the process's peak"
echo "resident memory, PyTorch's is torch.cuda.max_memory_allocated (GPU tensors only), so they are not alike"
exit "${failed}"
