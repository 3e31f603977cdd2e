#!/usr/bin/env bash
# Fetches the ONNX Runtime shared library (libonnxruntime.so) into DEST, for
# `superpos crosscheck`, `superpos export-onnx` and the ONNX tests.
#
# The library comes from the PyPI wheel onnxruntime==1.31.1 (MIT, Microsoft), which ships it
# under onnxruntime/capi/, because pip is the one registry a CI machine can reach. Version 1.31
# is the C API the Rust `ort` crate 2.0.0-rc.15 is built against (its `api-31` feature); an
# older library is refused at load time. The wheel is chosen by exact platform tags so the same
# file, checked against its sha256, is fetched whatever Python runs pip.
#
# Usage: scripts/fetch-onnxruntime.sh [DEST]
#   DEST defaults to models-cache/onnxruntime under the repository root (git-ignored).
# Prints the absolute path of the library on stdout; progress and errors go to stderr.
# Running it again when the library is present downloads nothing.
# The Rust code finds the library through ORT_DYLIB_PATH, else at
# models-cache/onnxruntime/libonnxruntime.so in the working directory or a folder above it.
set -euo pipefail

readonly PACKAGE="onnxruntime"
readonly VERSION="1.31.1"
readonly LIBRARY="libonnxruntime.so.${VERSION}"
# The stable name the Rust loader looks for; a symbolic link to the versioned file.
readonly LINK="libonnxruntime.so"

case "$(uname -s)-$(uname -m)" in
    Linux-x86_64)
        platform="manylinux_2_28_x86_64"
        # sha256 of onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl as published on PyPI.
        wheel_sha256="5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f"
        ;;
    Linux-aarch64)
        platform="manylinux_2_28_aarch64"
        # sha256 of onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_aarch64.whl as published on PyPI.
        wheel_sha256="da05378364c44d4407e463982d2bf8d5e4cfea873283757e48beeb41df97b7f3"
        ;;
    *)
        echo "error: no pinned onnxruntime wheel for $(uname -s) $(uname -m); install ONNX Runtime ${VERSION} yourself and set ORT_DYLIB_PATH to its shared library" >&2
        exit 1
        ;;
esac
readonly WHEEL="${PACKAGE}-${VERSION}-cp311-cp311-${platform}.whl"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/wheel.sh
source "${repo_root}/scripts/lib/wheel.sh"
dest="${1:-${repo_root}/models-cache/onnxruntime}"

if [[ -s "${dest}/${LIBRARY}" && -L "${dest}/${LINK}" ]]; then
    echo "ONNX Runtime ${VERSION} already present in ${dest}" >&2
    echo "$(cd "${dest}" && pwd)/${LINK}"
    exit 0
fi

find_python

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

echo "downloading ${WHEEL} from PyPI" >&2
# The explicit tags make pip pick the cp311 wheel on any interpreter. The library inside does
# not depend on Python, and only a fixed file can be checked against a pinned sha256.
download_wheel "${PACKAGE}" "${VERSION}" "${WHEEL}" "${wheel_sha256}" "${work}" \
    --python-version 3.11 --implementation cp --abi cp311 --platform "${platform}"

# Unpack into a staging folder and rename it into place, so that an interrupted run never
# leaves a DEST that looks complete.
mkdir -p "$(dirname "${dest}")"
staging="${dest}.partial.$$"
rm -rf "${staging}"
mkdir -p "${staging}"
"${python}" - "${work}/${WHEEL}" "onnxruntime/capi/${LIBRARY}" "${staging}/${LIBRARY}" <<'PY'
import shutil, sys, zipfile

wheel, member, target = sys.argv[1:4]
with zipfile.ZipFile(wheel) as archive:
    if member not in archive.namelist():
        sys.exit(f"error: {wheel} has no {member}")
    with archive.open(member) as source, open(target, "wb") as sink:
        shutil.copyfileobj(source, sink)
PY
chmod 0755 "${staging}/${LIBRARY}"
ln -s "${LIBRARY}" "${staging}/${LINK}"

rm -rf "${dest}"
mv "${staging}" "${dest}"
echo "ONNX Runtime ${VERSION} written to ${dest}" >&2
echo "$(cd "${dest}" && pwd)/${LINK}"
