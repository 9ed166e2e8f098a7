#!/usr/bin/env bash
# A real one-node Slurm cluster test of assets/slurm-array.sh, as root on
# Debian 12 (Slurm 22.05, no GPU):
#
#   scripts/slurm-test.sh [KRAMERS_BINARY]      # default target/release/kramers
#
# It installs slurm-wlm and munge when missing (the packages add their own
# defaults under /etc; their services are not started), starts a private
# munged, slurmctld and slurmd (key, configuration, state, logs, sockets and
# ports of its own, in a temporary directory: nothing in /etc is used), runs
# assets/slurm-example.toml unsharded, then as a 4-task job array of
# assets/slurm-array.sh, with faults:
#
#   - task 1 is cancelled (scancel) after its first checkpoint and resubmitted
#     as a one-task array (sbatch --array=1 ...): it resumes the slice its
#     checkpoint names;
#   - the kramers process of task 2 is SIGKILLed after its first checkpoint
#     (a node failure) and the task is requeued (scontrol requeue): it resumes;
#   - task 0, finished, is requeued: it keeps its result and exits.
#
# The shards are merged, and the merged result.json must equal the unsharded
# one apart from its `run` object, cases.csv and first_passage.npy byte for
# byte. Every daemon it started is stopped and the temporary directory removed
# whatever happens (SLURM_TEST_KEEP=1 keeps the directory). Exit code 0 when
# everything passed, 1 otherwise. About 80 s on 2 cores that are also
# compiling, most of it the two runs of the experiment.
set -Eeuo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kramers_src=${1:-$repo/target/release/kramers}
experiment_src=$repo/assets/slurm-example.toml
array_script=$repo/assets/slurm-array.sh

readonly SHARDS=4
readonly CANCELLED=1 # task cancelled after its first checkpoint, then resubmitted
readonly KILLED=2    # task whose kramers is SIGKILLed, then requeued
readonly FINISHED=0  # task requeued after it finished
readonly WAIT_S=60   # bound of every wait for Slurm or a task
readonly RUN_S=180   # bound of the unsharded run and of the whole array

T=                # the temporary directory: everything of this test lives there
work=             # $T/work: the jobs' working directory (runs/shard-N)
policy_added=     # set when this script created /usr/sbin/policy-rc.d
jobs_submitted=() # job ids, cancelled on the way out
job_id=           # the job id of the last submit
faults=()         # lines for the summary

log() { printf '[%3ds] %s\n' "$SECONDS" "$*" >&2; }

# The tail of every log that can tell why something did not happen.
show_logs() {
    [ -n "$T" ] && [ -d "$T" ] || return 0
    local f
    for f in "$T"/log/slurmctld.log "$T"/log/slurmd.log "$T"/log/munged.log "$T"/work/runs/slurm-*.log; do
        [ -f "$f" ] || continue
        echo "----- tail of $f" >&2
        tail -n 25 "$f" >&2
    done
    if command -v squeue >/dev/null && [ -f "$T/run/slurmctld.pid" ]; then
        echo "----- squeue" >&2
        timeout 5 squeue -t all -o '%.12i %.10T %.20r %R' >&2 || true
    fi
}

die() {
    log "FAIL: $*"
    show_logs
    exit 1
}

# set -e stops at an unexpected failure: say which command it was.
on_err() {
    local status=$? line=$1 command=$2
    trap - ERR
    die "line $line: '$command' exited with $status"
}
trap 'on_err "$LINENO" "$BASH_COMMAND"' ERR

# wait_for SECONDS WHAT COMMAND...: poll COMMAND until it succeeds; on timeout
# fail, naming what was waited for.
wait_for() {
    local limit=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + limit))
    until "$@" >/dev/null; do
        if ((SECONDS >= deadline)); then
            die "timed out after ${limit}s waiting for $what"
        fi
        sleep 0.25
    done
}

# stop_daemons PIDFILE...: SIGTERM the daemons of the pid files (together:
# slurmctld alone takes seconds to shut down), SIGKILL those left after 10 s.
stop_daemons() {
    local pidfile pid pids=() alive i
    for pidfile in "$@"; do
        pid=$(cat "$pidfile" 2>/dev/null) || continue
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    done
    for ((i = 0; i < 40; i++)); do
        alive=()
        for pid in "${pids[@]}"; do
            if kill -0 "$pid" 2>/dev/null; then alive+=("$pid"); fi
        done
        ((${#alive[@]})) || return 0
        sleep 0.25
    done
    log "cleanup: pids ${alive[*]} ignored SIGTERM; SIGKILL"
    kill -KILL "${alive[@]}" 2>/dev/null || true
}

# Processes left by this test's cluster: its job steps (slurmstepd, with
# this cluster's SLURM_CONF in its environment) and kramers run from $T/bin.
leftover_pids() {
    local p exe stepd
    stepd=$(readlink -f "$(command -v slurmstepd)" 2>/dev/null) || stepd=
    for p in /proc/[0-9]*; do
        exe=$(readlink "$p/exe" 2>/dev/null) || continue
        if [ "$exe" = "$T/bin/kramers" ] || { [ -n "$stepd" ] && [ "$exe" = "$stepd" ] &&
            tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "SLURM_CONF=$T/etc/slurm.conf"; }; then
            echo "${p#/proc/}"
        fi
    done
}

cleanup() {
    local status=$? pids i ids
    trap - ERR EXIT
    trap '' INT TERM # every step below is bounded: let it finish
    set +eu
    if [ -n "$policy_added" ]; then rm -f /usr/sbin/policy-rc.d; fi
    if [ -n "$T" ] && [ -d "$T" ]; then
        # Jobs first: slurmstepd waits for slurmd/slurmctld to take its job's
        # end, so stopping the daemons under running jobs would strand them.
        if ((${#jobs_submitted[@]})) && [ -f "$T/run/slurmctld.pid" ]; then
            timeout 10 scancel "${jobs_submitted[@]}" 2>/dev/null
            ids=$(IFS=, && echo "${jobs_submitted[*]}")
            for ((i = 0; i < 60; i++)); do
                [ -z "$(timeout 5 squeue -h -j "$ids" 2>/dev/null)" ] && break
                sleep 0.25
            done
        fi
        log "cleanup: stopping slurmd, slurmctld, munged"
        stop_daemons "$T/run/slurmd.pid" "$T/run/slurmctld.pid"
        pids=$(leftover_pids)
        if [ -n "$pids" ]; then
            log "cleanup: killing leftover job processes: $pids"
            # shellcheck disable=SC2086 # one pid per word
            kill -KILL $pids 2>/dev/null
        fi
        stop_daemons "$T/run/munged.pid" # last: slurmctld and slurmd use it to the end
        if [ -n "${SLURM_TEST_KEEP:-}" ]; then
            log "kept $T (SLURM_TEST_KEEP)"
        else
            rm -rf "$T"
        fi
    fi
    if ((status == 0)); then log "PASS"; else log "FAILED (exit $status)"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# Debian's Slurm 22.05 and munge, when missing. The packages' postinst would
# start the system's daemons through invoke-rc.d; a policy-rc.d that denies it
# keeps the machine as it was (a container usually has one already).
install_packages() {
    local missing=()
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
        command -v sbatch >/dev/null || missing+=(slurm-wlm)
    command -v munged >/dev/null || missing+=(munge)
    ((${#missing[@]})) || return 0
    log "installing ${missing[*]}"
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_added=1
    fi
    export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$policy_added" ]; then
        rm -f /usr/sbin/policy-rc.d
        policy_added=
    fi
}

# Two free TCP ports on the loopback for slurmctld and slurmd, so that a
# Slurm already running on the machine (6817/6818) is not disturbed.
free_ports() {
    python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))'
}

# munged with its own key, socket, pid and log in $T. munged insists that the
# socket's directory (and its parents) be searchable by all, the key private.
start_munge() {
    mkdir -m 700 "$T/munge"
    head -c 1024 /dev/urandom >"$T/munge/munge.key"
    chmod 600 "$T/munge/munge.key"
    munged --key-file="$T/munge/munge.key" --socket="$T/run/munge.socket" \
        --pid-file="$T/run/munged.pid" --log-file="$T/log/munged.log" \
        --seed-file="$T/munge/munged.seed" ||
        die "munged did not start"
    wait_for 10 "munged to answer on $T/run/munge.socket" munge_ok "$T/run/munge.socket"
}

munge_ok() {
    munge -n -S "$1" 2>/dev/null | unmunge -S "$1" >/dev/null 2>&1
}

# One node (this machine, by its short host name, reached on 127.0.0.1), one
# partition, no cgroups, no accounting. cred_expire: a requeued job waits
# that long before it may start again (default 120 s); sched_interval: the
# main scheduling pass, which starts a job whose wait is over (default 60 s).
# MinJobAge keeps finished jobs in slurmctld long enough to requeue them (a
# purged one cannot be). ReturnToService=2 lets the node come back by itself.
write_conf() {
    local node=$1 cpus mem_mb ports
    cpus=$(nproc)
    mem_mb=$(awk '/^MemTotal:/ { print int($2 / 1024 / 2) }' /proc/meminfo)
    read -r -a ports < <(free_ports)
    cat >"$T/etc/slurm.conf" <<EOF
ClusterName=kramerstest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/run/munge.socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$T/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=300
KillWait=5
InactiveLimit=0
SlurmdTimeout=60
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    : >"$T/etc/plugstack.conf" # not /etc/slurm/plugstack.conf
}

# slurmctld (-c: no state to recover) and slurmd daemonize and write their
# pid files into $T/run.
start_slurm() {
    local node=$1
    slurmctld -c -i || die "slurmctld did not start"
    slurmd || die "slurmd did not start"
    wait_for "$WAIT_S" "node $node to be idle in sinfo" node_idle "$node"
}

node_idle() {
    [ "$(sinfo -h -n "$1" -o %T 2>/dev/null)" = idle ]
}

# The state of job (or array task) $1 while Slurm still has it: PENDING,
# RUNNING, COMPLETED, FAILED, CANCELLED, ... (empty once purged).
job_state() {
    squeue -h -t all -j "$1" -o %T 2>/dev/null | head -n 1
}

# True once no job of the comma-separated list $1 is pending or running.
jobs_done() {
    local active
    active=$(squeue -h -j "$1" -o %T 2>/dev/null) || return 1
    [ -z "$active" ]
}

task_ended() {
    case "$(job_state "$1")" in
    PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED*) return 1 ;;
    *) return 0 ;;
    esac
}

# submit ARGS...: sbatch the array script from the work directory with the
# job's environment (PATH with $T/bin, SLURM_CONF, KRAMERS_CHECKPOINT_EVERY),
# one CPU per task and no GPU request; sets job_id (not a subshell: it also
# records the id for cleanup).
submit() {
    local id
    id=$(sbatch --parsable --chdir="$work" --export=ALL --cpus-per-task=1 --time=10 "$@") ||
        die "sbatch $* was refused"
    job_id=${id%%;*}
    jobs_submitted+=("$job_id")
}

# json FILE EXPRESSION: a value of a JSON file (EXPRESSION in terms of `r`).
json() {
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# The kramers process of shard $1 (by its executable, so that no other kramers
# on the machine can be hit).
shard_pid() {
    local pid
    for pid in $(pgrep -f "kramers run .*runs/shard-$1( |$)"); do
        if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$T/bin/kramers" ]; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

# merge_shards: the shard directories -> $T/merged/{result.json,cases.csv,
# first_passage.npy}.
merge_shards() {
    local shard_dirs=("$work"/runs/shard-*)
    kramers merge "${shard_dirs[@]}" -o "$T/merged" >"$T/log/merge.log" 2>&1 ||
        { cat "$T/log/merge.log" >&2; die "kramers merge failed"; }
}

# The merged result.json equals the unsharded one apart from `run`; cases.csv
# and first_passage.npy are identical.
compare_results() {
    python3 - "$T/unsharded/result.json" "$T/merged/result.json" <<'EOF' || die "merged result.json differs from the unsharded one"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("run"); b.pop("run")
if a != b:
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    print("differing fields:", keys, file=sys.stderr)
    if "cases" in keys:
        for x, y in zip(a["cases"], b["cases"]):
            if x != y:
                print("case", x["index"], "differs in", sorted(k for k in x if x[k] != y.get(k)), file=sys.stderr)
    sys.exit(1)
EOF
    cmp "$T/unsharded/cases.csv" "$T/merged/cases.csv" ||
        die "merged cases.csv differs from the unsharded one"
    cmp "$T/unsharded/first_passage.npy" "$T/merged/first_passage.npy" ||
        die "merged first_passage.npy differs from the unsharded one"
}

# Slurm's logs of the tasks: no error other than the cancellation notice that
# slurmstepd writes into the cancelled task's log.
check_job_logs() {
    local f bad
    for f in "$work"/runs/slurm-*.log; do
        bad=$(grep -i 'error' "$f" | grep -v 'CANCELLED AT' || true)
        [ -z "$bad" ] || die "$(basename "$f"): $bad"
    done
}

main() {
    [ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts Slurm's daemons)"
    [ -x "$kramers_src" ] || die "no kramers binary at $kramers_src (build it, or pass its path)"
    install_packages

    local t_start=$SECONDS node array resub k pid done_at t_unsharded t_array t_merge before after
    node=$(hostname -s)
    T=$(mktemp -d /tmp/kramers-slurm.XXXXXX)
    chmod 755 "$T" # munged: the socket's directory and its parents searchable by all
    mkdir -p "$T"/{bin,etc,log,state,spool,work/runs}
    mkdir -m 755 "$T/run"
    work=$T/work
    cp "$kramers_src" "$T/bin/kramers"
    cp "$experiment_src" "$work/experiment.toml"
    # Everything below (sinfo, sbatch, the daemons and, through
    # --export=ALL, the jobs) uses this cluster and this kramers; a test run
    # inside a Slurm job must not hand its own job's variables on.
    unset "${!SLURM_@}"
    export SLURM_CONF=$T/etc/slurm.conf
    export PATH=$T/bin:$PATH
    export KRAMERS_CHECKPOINT_EVERY=2

    log "temporary directory $T; kramers $(kramers --version)"
    start_munge
    write_conf "$node"
    start_slurm "$node"
    log "cluster up: node $node idle ($(nproc) CPUs); $(sinfo --version)"

    # 1. The reference: the whole experiment in one process.
    log "unsharded run"
    (cd "$work" && timeout "$RUN_S" kramers run experiment.toml --backend cpu --out "$T/unsharded" >"$T/log/unsharded.log" 2>&1) ||
        { tail -n 20 "$T/log/unsharded.log" >&2; die "the unsharded run failed"; }
    t_unsharded=$((SECONDS - t_start))
    log "unsharded run done in $(json "$T/unsharded/result.json" 'round(r["run"]["wall_time_s"], 1)') s"

    # 2. The array: 4 tasks, 1 CPU each, so that two run at a time.
    local t_array_start=$SECONDS
    submit --array=0-$((SHARDS - 1)) "$array_script" experiment.toml --backend cpu
    array=$job_id
    log "submitted array job $array (tasks 0-$((SHARDS - 1)))"

    # Fault a: cancel a task after its first checkpoint, resubmit it alone.
    k=$CANCELLED
    wait_for "$WAIT_S" "the first checkpoint of shard $k (task ${array}_$k)" test -f "$work/runs/shard-$k/checkpoint.json"
    scancel "${array}_$k"
    wait_for "$WAIT_S" "task ${array}_$k to end after scancel" task_ended "${array}_$k"
    [ ! -f "$work/runs/shard-$k/result.json" ] || die "shard $k finished before it was cancelled: make assets/slurm-example.toml bigger"
    [ -f "$work/runs/shard-$k/checkpoint.json" ] || die "shard $k has no checkpoint after scancel"
    done_at=$(json "$work/runs/shard-$k/checkpoint.json" 'r["done"]')
    # no --shard: a one-task array has SLURM_ARRAY_TASK_COUNT=1, but --resume
    # takes the slice from the checkpoint
    submit --array="$k" "$array_script" experiment.toml --backend cpu
    resub=$job_id
    faults+=("task $k (${array}_$k): scancel at $done_at trajectories per case, resubmitted as job ${resub}_$k")
    log "cancelled ${array}_$k at $done_at done; resubmitted as ${resub}_$k"

    # Fault b: a node failure: SIGKILL the task's kramers, requeue the task.
    k=$KILLED
    wait_for "$WAIT_S" "the first checkpoint of shard $k (task ${array}_$k)" test -f "$work/runs/shard-$k/checkpoint.json"
    wait_for 10 "the kramers process of shard $k" shard_pid "$k"
    pid=$(shard_pid "$k")
    done_at=$(json "$work/runs/shard-$k/checkpoint.json" 'r["done"]')
    kill -KILL "$pid"
    wait_for "$WAIT_S" "task ${array}_$k to end after SIGKILL" task_ended "${array}_$k"
    log "killed kramers of ${array}_$k (pid $pid) at $done_at done: task $(job_state "${array}_$k")"
    [ ! -f "$work/runs/shard-$k/result.json" ] || die "shard $k finished before it was killed: make assets/slurm-example.toml bigger"
    scontrol requeue "${array}_$k"
    faults+=("task $k (${array}_$k): SIGKILL of kramers at $done_at trajectories per case, scontrol requeue")

    # A finished task that is requeued keeps its result (requeued as soon as
    # it has finished, so that its wait overlaps the other tasks).
    k=$FINISHED
    wait_for "$RUN_S" "task ${array}_$k to finish" task_ended "${array}_$k"
    [ "$(job_state "${array}_$k")" = COMPLETED ] || die "task ${array}_$k ended $(job_state "${array}_$k")"
    before=$(sha256sum "$work/runs/shard-$k/result.json")
    scontrol requeue "${array}_$k"
    log "task ${array}_$k finished; requeued it"

    # Everything runs to the end.
    wait_for "$RUN_S" "jobs $array and $resub to finish" jobs_done "$array,$resub"
    t_array=$((SECONDS - t_array_start))
    log "all tasks finished in ${t_array}s"

    after=$(sha256sum "$work/runs/shard-$k/result.json")
    [ "$before" = "$after" ] || die "requeued finished shard $k rewrote its result.json"
    grep -q "already finished" "$work/runs/slurm-${array}_$k.log" ||
        die "requeued finished task ${array}_$k did not say that it kept its result"
    faults+=("task $k (${array}_$k): requeued after it finished, kept its result.json")

    # Every shard finished, the faulted ones by resuming.
    for ((k = 0; k < SHARDS; k++)); do
        [ -f "$work/runs/shard-$k/result.json" ] || die "shard $k has no result.json"
        [ ! -e "$work/runs/shard-$k/checkpoint.json" ] || die "shard $k still has a checkpoint"
    done
    [ "$(json "$work/runs/shard-$CANCELLED/result.json" 'r["run"]["resumed"]')" = True ] ||
        die "shard $CANCELLED (cancelled, resubmitted) did not resume"
    [ "$(json "$work/runs/shard-$KILLED/result.json" 'r["run"]["resumed"]')" = True ] ||
        die "shard $KILLED (killed, requeued) did not resume"
    check_job_logs

    local t_merge_start=$SECONDS
    merge_shards
    t_merge=$((SECONDS - t_merge_start))
    compare_results

    log "summary:"
    printf '  %s\n' \
        "setup + unsharded run: ${t_unsharded}s, array with faults: ${t_array}s, merge: ${t_merge}s, total: ${SECONDS}s" \
        "${faults[@]}" \
        "merged result.json = unsharded (apart from run); cases.csv and first_passage.npy identical" >&2
}

main "$@"
