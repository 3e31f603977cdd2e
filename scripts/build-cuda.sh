#!/usr/bin/env bash
# Builds the CUDA-enabled `superpos` binary, on a machine with or without a GPU, with no system
# CUDA toolkit: nvcc, the CUDA headers and the libraries to link against come from PyPI wheels
# (scripts/cuda-toolkit.txt, CUDA 13.4, each pinned by sha256).
#
# Usage: scripts/build-cuda.sh [CARGO_ARGS...]
#   Extra arguments go to `cargo build` (for example `--bin superpos`).
# Environment:
#   CUDA_COMPUTE_CAP       GPU architecture the kernels are compiled for, default 90 (H100/H200);
#                          80 is A100, 89 is L4/L40S.
#   SUPERPOS_CUDA_TOOLKIT  where the toolkit goes, default .cuda-toolkit under the repository
#                          root (git-ignored); a second run reuses it.
#   CARGO_TARGET_DIR       default target/cuda, so the CPU build in target/ is left alone.
# Prints the path of the binary on stdout; progress and errors go to stderr.
#
# Running the binary needs an NVIDIA driver (libcuda.so.1) and the CUDA 13 libraries. The
# script prints the LD_LIBRARY_PATH that points at the copies in the toolkit folder.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/wheel.sh
source "${repo_root}/scripts/lib/wheel.sh"
find_python

toolkit="${SUPERPOS_CUDA_TOOLKIT:-${repo_root}/.cuda-toolkit}"
requirements="${repo_root}/scripts/cuda-toolkit.txt"
export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${repo_root}/target/cuda}"

# 1. The toolkit wheels, installed once per version of the requirements file.
stamp="${toolkit}/installed-$(sha256sum "${requirements}" | cut -c1-16)"
if [[ ! -f "${stamp}" ]]; then
    echo "installing the CUDA toolkit wheels into ${toolkit}/venv" >&2
    rm -rf "${toolkit}"
    mkdir -p "${toolkit}"
    "${python}" -m venv "${toolkit}/venv"
    if ! "${toolkit}/venv/bin/pip" install --quiet --no-deps --require-hashes -r "${requirements}" >&2; then
        echo "error: pip could not install ${requirements}; check that PyPI is reachable (proxy, PIP_INDEX_URL) and run $0 again" >&2
        exit 1
    fi
    touch "${stamp}"
fi
site="$("${toolkit}/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
cuda="${site}/nvidia/cu13"
if [[ ! -x "${cuda}/bin/nvcc" ]]; then
    echo "error: ${cuda}/bin/nvcc is missing; delete ${toolkit} and run $0 again" >&2
    exit 1
fi

# 2. A CUDA_HOME in the layout nvcc and cudarc's build script expect. nvcc finds cicc and its
# headers relative to the folder it is started from, so bin, include and nvvm sit side by side.
home="${toolkit}/home"
mkdir -p "${home}/lib/stubs"
for dir in bin include nvvm; do
    ln -sfn "${cuda}/${dir}" "${home}/${dir}"
done
# The linker looks for unversioned names; the wheels ship only the versioned ones.
for library in libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libnvrtc.so.13 libcudart.so.13; do
    ln -sfn "${cuda}/lib/${library}" "${home}/lib/${library}"
    ln -sfn "${library}" "${home}/lib/${library%%.so*}.so"
done

# 3. A link-time stand-in for the driver library, which no wheel ships. It defines every driver
# function cudarc declares and carries the driver's soname, so the binary loads the real
# libcuda.so.1 at run time. The function names are read from the cudarc sources cargo resolved.
cudarc_dir="$(cd "${repo_root}" && cargo metadata --format-version 1 --all-features 2>/dev/null \
    | "${python}" -c 'import json, os, sys
packages = json.load(sys.stdin)["packages"]
print(next(os.path.dirname(p["manifest_path"]) for p in packages if p["name"] == "cudarc"))')"
driver_bindings="${cudarc_dir}/src/driver/sys/mod.rs"
if [[ ! -f "${driver_bindings}" ]]; then
    echo "error: cudarc's driver bindings not found at ${driver_bindings}; run \`cargo fetch\` and try again" >&2
    exit 1
fi
grep -oE 'pub unsafe fn cu[A-Za-z0-9_]+\(' "${driver_bindings}" \
    | sed -E 's/pub unsafe fn (cu[A-Za-z0-9_]+)\(/void \1(void) {}/' | sort -u >"${toolkit}/libcuda-stub.c"
gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "${home}/lib/stubs/libcuda.so" "${toolkit}/libcuda-stub.c"

# 4. The build. cudarc reads the CUDA version from `nvcc --version` and links from CUDA_HOME/lib.
export CUDA_HOME="${home}"
export PATH="${home}/bin:${PATH}"
echo "building with $(nvcc --version | tail -n 2 | head -n 1), kernels for sm_${CUDA_COMPUTE_CAP}" >&2
(cd "${repo_root}" && cargo build --release --features cuda -p superpos-harness "$@" >&2)

binary="${CARGO_TARGET_DIR}/release/superpos"
echo "built ${binary}; to run it: export LD_LIBRARY_PATH=${home}/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" >&2
echo "${binary}"
