#!/usr/bin/env bash
# Tests `superpos submit --executor slurm` and `superpos status` on a real, single-node Slurm
# cluster that this script starts on localhost and stops again on exit.
#
# It installs Debian's slurm-wlm (and munge) when they are missing. It then writes a Slurm
# config for this machine into a scratch directory, with CPUs and memory from `slurmd -C` and
# plugins that work in a container (proctrack/linuxproc, task/none, no accounting). It starts
# munged, slurmctld and slurmd, and runs the 4-cell grid harness/tests/grids/slurm-tiny.yaml
# as a job array. While one cell is mid-run, its array task is cancelled. The grid is then
# submitted again, and the script checks that every cell was done exactly once: 4 finished
# records, the first submission's records unchanged by the second, and one `cell_ended` event
# per cell across all task logs.
#
# Usage: scripts/test-slurm.sh   (as root; prints PASS or FAIL on its last line)
# Environment: SUPERPOS_SLURM_DIR (scratch directory, default ${TMPDIR:-/tmp}/superpos-slurm-test),
# SUPERPOS_SLURM_PORTS ("CTLD SLURMD", default "16817 16818").
#
# Running it again is safe: it stops the daemons a previous run left behind (by the process ids
# that run recorded in the scratch directory) and starts from an empty scratch directory.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
GRID="$REPO/harness/tests/grids/slurm-tiny.yaml"
SCRATCH="${SUPERPOS_SLURM_DIR:-${TMPDIR:-/tmp}/superpos-slurm-test}"
read -r CTLD_PORT SLURMD_PORT <<<"${SUPERPOS_SLURM_PORTS:-16817 16818}"
# Bounds that keep a broken cluster from hanging the script; a healthy run needs far less.
WAIT_LIMIT=600

say() { echo "test-slurm: $*" >&2; }

fail() {
    say "$*"
    for log in "$SCRATCH/slurmctld.log" "$SCRATCH/slurmd.log"; do
        if [ -f "$log" ]; then
            say "last lines of $log:"
            tail -n 15 "$log" >&2
        fi
    done
    echo "FAIL: $*"
    exit 1
}

# Stops the daemons whose process ids a run of this script recorded, and only those. Jobs are
# cancelled first, because a job step (slurmstepd and its superpos) outlives slurmd and would
# otherwise go on writing into the scratch directory.
stop_daemons() {
    local pidfile pid
    if [ -f "$SCRATCH/slurm.conf" ] && [ -f "$SCRATCH/pids/slurmctld" ] &&
        [ "$(cat "/proc/$(cat "$SCRATCH/pids/slurmctld")/comm" 2>/dev/null)" = slurmctld ]; then
        SLURM_CONF="$SCRATCH/slurm.conf" scancel --user="$(id -un)" 2>/dev/null || true
        for _ in $(seq 1 30); do
            [ -z "$(SLURM_CONF="$SCRATCH/slurm.conf" squeue -h -o %i 2>/dev/null)" ] && break
            sleep 1
        done
    fi
    for pidfile in "$SCRATCH"/pids/*; do
        [ -f "$pidfile" ] || continue
        pid="$(cat "$pidfile")"
        # Each pid file is named after its daemon; a process with another name has only reused
        # the id after the daemon ended, and is left alone.
        if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$(basename "$pidfile")" ]; then
            kill "$pid" 2>/dev/null || true
            # Give it a moment to shut down cleanly, then make sure.
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$pidfile"
    done
}
trap stop_daemons EXIT

# --- install ----------------------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
    echo "FAIL: run as root: the test installs packages and starts slurmd, which must run as root"
    exit 1
fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge from the Debian mirrors"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

say "building superpos"
cargo build -q -p superpos-harness || fail "cargo build failed"
SUPERPOS="$REPO/target/debug/superpos"

# --- config and daemons -----------------------------------------------------------------------
stop_daemons
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"/{pids,munge,state,spool}
chmod 700 "$SCRATCH/munge"

# `slurmd -C` prints this machine's node line, such as
# "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105".
NODE_LINE="$(slurmd -C | head -n 1)"
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$NODE_LINE"; }
NODE="$(field NodeName)"
CPUS="$(field CPUs)"
MEMORY="$(field RealMemory)"
[ -n "$NODE" ] && [ -n "$CPUS" ] && [ -n "$MEMORY" ] || fail "cannot read NodeName, CPUs and RealMemory from 'slurmd -C': $NODE_LINE"
say "node $NODE: $CPUS CPUs, $MEMORY MB"

cat >"$SCRATCH/slurm.conf" <<EOF
# Single-node test cluster written by scripts/test-slurm.sh.
ClusterName=superpos-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SCRATCH/munge/munge.socket
StateSaveLocation=$SCRATCH/state
SlurmdSpoolDir=$SCRATCH/spool
SlurmctldPidFile=$SCRATCH/slurmctld.pid
SlurmdPidFile=$SCRATCH/slurmd.pid
SlurmctldLogFile=$SCRATCH/slurmctld.log
SlurmdLogFile=$SCRATCH/slurmd.log
# No cgroups in a container: track processes through /proc and bind no CPUs.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
# Schedule by CPU only, so the array's tasks share the node.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEMORY State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$SCRATCH/slurm.conf"

# A private munge key and socket, so an existing munge setup on the machine is left alone.
dd if=/dev/urandom of="$SCRATCH/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$SCRATCH/munge/munge.key"
munged --foreground --force --socket="$SCRATCH/munge/munge.socket" --key-file="$SCRATCH/munge/munge.key" \
    --pid-file="$SCRATCH/munge/munged.pid" --log-file="$SCRATCH/munge/munged.log" --seed-file="$SCRATCH/munge/munged.seed" \
    >>"$SCRATCH/munge/munged.out" 2>&1 &
echo $! >"$SCRATCH/pids/munged"
for _ in $(seq 1 100); do [ -S "$SCRATCH/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$SCRATCH/munge/munge.socket" ] || fail "munged did not start; see $SCRATCH/munge/munged.log"

slurmctld -D -i -f "$SLURM_CONF" >>"$SCRATCH/slurmctld.out" 2>&1 &
echo $! >"$SCRATCH/pids/slurmctld"
slurmd -D -f "$SLURM_CONF" -N "$NODE" >>"$SCRATCH/slurmd.out" 2>&1 &
echo $! >"$SCRATCH/pids/slurmd"

say "waiting for node $NODE to be idle"
state=""
for _ in $(seq 1 "$WAIT_LIMIT"); do
    state="$(sinfo -h -n "$NODE" -o %T 2>/dev/null || true)"
    [ "$state" = idle ] && break
    sleep 1
done
[ "$state" = idle ] || fail "node $NODE did not become idle (state: '${state:-no answer}')"

# --- helpers over the results -----------------------------------------------------------------
RESULTS="$SCRATCH/results"

# Waits until Slurm no longer lists job (or array task) $1.
wait_gone() {
    for _ in $(seq 1 "$WAIT_LIMIT"); do
        [ -z "$(squeue -h -j "$1" -o %i 2>/dev/null)" ] && return 0
        sleep 1
    done
    fail "job $1 still queued or running after ${WAIT_LIMIT}s: $(squeue -h -j "$1" -o '%i %T %R' | tr '\n' ' ')"
}

# Prints the counts of `superpos status` as "done running failed pending".
counts() {
    "$SUPERPOS" status "$GRID" --results "$RESULTS" --json |
        python3 -c 'import json,sys; c=json.load(sys.stdin)["counts"]; print(c["done"], c["running"], c["failed"], c["pending"])'
}

# --- first submission, with one task cancelled mid-cell ----------------------------------------
# One task at a time, so that while the cancelled cell runs no other task is starting, and the
# status check below must report exactly one running cell.
JOB1="$("$SUPERPOS" submit "$GRID" --executor slurm --results "$RESULTS" --array-parallelism 1 --partition debug --time 00:10:00)" || fail "superpos submit failed"
say "submitted job $JOB1"
[ "$(wc -l <"$RESULTS/slurm/submit-001.cells")" = 4 ] || fail "submit-001.cells lists $(wc -l <"$RESULTS/slurm/submit-001.cells") cells, expected 4"
grep -q '^#SBATCH --array=0-3%1$' "$RESULTS/slurm/submit-001.sh" || fail "submit-001.sh lacks '#SBATCH --array=0-3%1'"

# The first task's cell is the victim. Its second epoch starting in the task's log means the
# cell's lock is held and training is under way, with most epochs still to go.
VICTIM="$(head -n 1 "$RESULTS/slurm/submit-001.cells")"
LOG="$RESULTS/slurm/${JOB1}_0.out"
started=0
for _ in $(seq 1 $((WAIT_LIMIT * 10))); do
    if [ -f "$LOG" ] && [ "$(grep -c '"event":"epoch_started"' "$LOG" || true)" -ge 2 ]; then
        started=1
        break
    fi
    sleep 0.1
done
[ "$started" = 1 ] || fail "array task ${JOB1}_0 did not reach its second epoch; see $LOG"
[ "$(counts)" = "0 1 0 3" ] || fail "status while cell $VICTIM runs: done/running/failed/pending = $(counts), expected 0 1 0 3"
scancel "${JOB1}_0"
say "cancelled array task ${JOB1}_0 (cell $VICTIM) mid-run"
wait_gone "${JOB1}_0"
[ ! -e "$RESULTS/cells/$VICTIM.json" ] || fail "cell $VICTIM has a record although its task was cancelled mid-run; the grid's cells may be too short"

wait_gone "$JOB1"
[ "$(counts)" = "3 0 0 1" ] || fail "status after job $JOB1: done/running/failed/pending = $(counts), expected 3 0 0 1"
# Fingerprints of the first three records, to show that the resubmission does not rewrite them.
FIRST="$(cd "$RESULTS/cells" && sha256sum ./*.json)"

# --- resubmission ----------------------------------------------------------------------------
JOB2="$("$SUPERPOS" submit "$GRID" --executor slurm --results "$RESULTS" --array-parallelism 2 --partition debug --time 00:10:00)" || fail "superpos submit (second) failed"
say "resubmitted as job $JOB2"
[ "$(cat "$RESULTS/slurm/submit-002.cells")" = "$VICTIM" ] || fail "submit-002.cells lists '$(tr '\n' ' ' <"$RESULTS/slurm/submit-002.cells")', expected only $VICTIM"
wait_gone "$JOB2"

# --- checks ----------------------------------------------------------------------------------
[ "$(counts)" = "4 0 0 0" ] || fail "status after resubmitting: done/running/failed/pending = $(counts), expected 4 0 0 0"
nothing="$("$SUPERPOS" submit "$GRID" --executor slurm --results "$RESULTS" 2>&1)" || fail "a third submit failed: $nothing"
grep -q "nothing to submit" <<<"$nothing" || fail "a third submit with every cell done said: $nothing"
[ ! -e "$RESULTS/slurm/submit-003.sh" ] || fail "a third submit with every cell done wrote submit-003.sh"

python3 - "$RESULTS" "$VICTIM" "$FIRST" "$SUPERPOS" "$GRID" "$JOB1" <<'EOF' || fail "the records and logs do not show each cell done once (see above)"
import collections, glob, hashlib, json, os, subprocess, sys

results, victim, first, superpos, grid, job1 = sys.argv[1:]
problems = []
plan = json.loads(subprocess.run([superpos, "plan", grid, "--json"], check=True, capture_output=True, text=True).stdout)
ids = sorted(cell["id"] for cell in plan)
cells = os.path.join(results, "cells")
records = sorted(glob.glob(os.path.join(cells, "*.json")))
names = sorted(os.path.basename(p)[: -len(".json")] for p in records)
if names != ids:
    problems.append(f"record files {names} differ from the grid's cells {ids}")
for path in records:
    record = json.load(open(path))
    if record.get("status") != "finished":
        problems.append(f"{path}: status {record.get('status')!r}, expected 'finished'")
    if record.get("id") != os.path.basename(path)[: -len(".json")]:
        problems.append(f"{path}: id {record.get('id')!r} does not match its file name")
leftovers = [n for n in os.listdir(cells) if ".tmp-" in n]
if leftovers:
    problems.append(f"temporary files left in {cells}: {leftovers}")
# The three records of the first submission must be byte for byte what they were.
for line in first.splitlines():
    digest, name = line.split(maxsplit=1)
    path = os.path.join(cells, name)
    if hashlib.sha256(open(path, "rb").read()).hexdigest() != digest:
        problems.append(f"{path} changed after the resubmission")
# Every task log line is a JSON event; count starts and ends per cell over all tasks.
started, ended = collections.Counter(), collections.Counter()
for log in glob.glob(os.path.join(results, "slurm", "*.out")):
    for line in open(log):
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            # Only the cancelled task may have been stopped in the middle of a line.
            if os.path.basename(log) != f"{job1}_0.out":
                problems.append(f"{log}: a line that is not JSON: {line!r}")
            continue
        if event["event"] == "cell_started":
            started[event["cell"]] += 1
        if event["event"] == "cell_ended":
            ended[event["cell"]] += 1
            if event["status"] != "finished":
                problems.append(f"{log}: cell {event['cell']} ended {event['status']}")
for cell in ids:
    want_started = 2 if cell == victim else 1
    if started[cell] != want_started:
        problems.append(f"cell {cell} started {started[cell]} times in the task logs, expected {want_started}")
    if ended[cell] != 1:
        problems.append(f"cell {cell} ended {ended[cell]} times in the task logs, expected once")
for problem in problems:
    print("test-slurm:", problem, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

# Only the cancelled task may have complained on stderr.
for err in "$RESULTS"/slurm/*.err; do
    [ "$(basename "$err")" = "${JOB1}_0.err" ] && continue
    if grep -qi "error" "$err"; then
        fail "$err reports an error: $(grep -i error "$err" | head -n 3 | tr '\n' ' ')"
    fi
done

echo "PASS: Slurm jobs $JOB1 and $JOB2 ran the 4 cells of $(basename "$GRID"); the cell cancelled mid-run was redone on resubmission, and every cell was done exactly once"
