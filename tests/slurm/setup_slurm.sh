#!/usr/bin/env bash
# Start a single-node SLURM (slurmctld + slurmd, munge auth, no accounting, no GPUs) on this machine,
# for tests/test_slurm.py and CI. Idempotent: a second call finds the running cluster and only prints
# the environment. Stop it with tests/slurm/stop_slurm.sh (it stops only what this script started).
#
#   bash tests/slurm/setup_slurm.sh            # installs slurm-wlm + munge if missing (needs root + apt)
#   eval "$(bash tests/slurm/setup_slurm.sh --env)"   # same, then exports SLURM_CONF into this shell
#
# State (config, PID files, logs, spool) lives in $HYPERGCN_SLURM_DIR (default /tmp/hypergcn-slurm).
# Setting HYPERGCN_SLURM_NO_INSTALL=1 makes a missing package an error instead of an apt-get install.
set -euo pipefail

DIR="${HYPERGCN_SLURM_DIR:-/tmp/hypergcn-slurm}"
CONF="$DIR/slurm.conf"
ENV_ONLY=0
[[ "${1:-}" == "--env" ]] && ENV_ONLY=1

say() { if [[ $ENV_ONLY == 1 ]]; then echo "# $*" >&2; else echo "setup_slurm: $*" >&2; fi; }
die() { echo "setup_slurm: ERROR: $*" >&2; exit 1; }

print_env() {
    if [[ $ENV_ONLY == 1 ]]; then
        echo "export SLURM_CONF=$CONF"
    else
        echo "SLURM_CONF=$CONF"
    fi
}

alive() {  # alive <pidfile> <name>: the PID in the file runs a process whose command names <name>
    local pid
    [[ -s "$1" ]] || return 1
    pid="$(cat "$1")"
    [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$2"
}

# --- 1. packages -------------------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    [[ "${HYPERGCN_SLURM_NO_INSTALL:-0}" == 1 ]] && die "slurm-wlm/munge are not installed"
    [[ $(id -u) == 0 ]] || die "slurm-wlm and munge are missing; installing them needs root (apt-get install slurm-wlm munge)"
    say "installing slurm-wlm and munge (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >&2
fi
[[ $(id -u) == 0 ]] || die "starting slurmctld/slurmd/munged needs root"
mkdir -p "$DIR/run" "$DIR/log" "$DIR/state/ctld" "$DIR/state/d"
export SLURM_CONF="$CONF"

# --- 2. already running? -----------------------------------------------------------------------------
if alive "$DIR/run/slurmctld.started" slurmctld && alive "$DIR/run/slurmd.started" slurmd \
    && timeout 10 sinfo -h -N -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; then
    say "SLURM already running (state in $DIR)"
    print_env
    exit 0
fi

# --- 3. munge ----------------------------------------------------------------------------------------
if [[ ! -s /etc/munge/munge.key ]]; then
    say "creating the munge key"
    mkdir -p /etc/munge
    mungekey --create --keyfile /etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
fi
if timeout 5 munge -n </dev/null 2>/dev/null | timeout 5 unmunge >/dev/null 2>&1; then
    say "munged already running"
else
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
    runuser -u munge -- /usr/sbin/munged --force
    for _ in $(seq 50); do [[ -s /run/munge/munged.pid ]] && break; sleep 0.1; done
    cp /run/munge/munged.pid "$DIR/run/munged.started"  # stop_slurm.sh stops munged only if this exists
    say "started munged (pid $(cat "$DIR/run/munged.started"))"
fi

# --- 4. slurm.conf for this host ---------------------------------------------------------------------
HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM="$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -1)"
[[ -n "$MEM" ]] || MEM="$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)"
cat >"$CONF" <<CONF
# Written by tests/slurm/setup_slurm.sh: single node, munge auth, no accounting, no GPUs.
ClusterName=hypergcntest
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# Keep finished jobs visible to squeue for 10 min: the Snakemake plugin polls squeue (no sacct here)
# and falls back to sacct when MinJobAge < 3 x slurm-init-seconds-before-status-checks.
MinJobAge=600
# Cancelled/timed-out jobs get SIGTERM, then SIGKILL this many seconds later.
KillWait=5
StateSaveLocation=$DIR/state/ctld
SlurmdSpoolDir=$DIR/state/d
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

# The nested `srun` that snakemake-executor-plugin-slurm-jobstep runs inside each job drops every
# SLURM_* variable (SLURM_CONF included), so the config must also be where SLURM looks by default.
ETC_CONF=/etc/slurm/slurm.conf
if [[ -L "$ETC_CONF" && "$(readlink "$ETC_CONF")" == "$CONF" ]]; then
    :
elif [[ -e "$ETC_CONF" ]]; then
    die "$ETC_CONF exists and is not ours: this machine has its own SLURM configuration; use that cluster (unset HYPERGCN_SLURM_DIR) or move the file away"
else
    mkdir -p /etc/slurm
    ln -s "$CONF" "$ETC_CONF"
    echo "$ETC_CONF" >"$DIR/run/etc-link"  # stop_slurm.sh removes the link
fi

# --- 5. daemons --------------------------------------------------------------------------------------
for name in slurmd slurmctld; do  # half-started leftovers of an earlier call of this script
    if alive "$DIR/run/$name.started" "$name"; then kill "$(cat "$DIR/run/$name.started")" || true; sleep 1; fi
done
setsid slurmctld -D -c -f "$CONF" >>"$DIR/log/slurmctld.out" 2>&1 </dev/null &
echo $! >"$DIR/run/slurmctld.started"
for _ in $(seq 100); do timeout 5 scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
setsid slurmd -D -f "$CONF" >>"$DIR/log/slurmd.out" 2>&1 </dev/null &
echo $! >"$DIR/run/slurmd.started"
say "started slurmctld (pid $(cat "$DIR/run/slurmctld.started")) and slurmd (pid $(cat "$DIR/run/slurmd.started")) on $HOST: $CPUS CPUs, $MEM MB"

for i in $(seq 150); do
    state="$(timeout 5 sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)"
    if [[ "$state" == idle ]]; then
        say "node $HOST idle after $((i / 5)).$((i % 5 * 2)) s"
        print_env
        exit 0
    fi
    if [[ "$state" == down* || "$state" == drain* ]] && ((i % 10 == 0)); then
        scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true
    fi
    sleep 0.2
done
echo "--- slurmctld.log" >&2; tail -20 "$DIR/log/slurmctld.log" >&2 || true
echo "--- slurmd.log" >&2; tail -20 "$DIR/log/slurmd.log" >&2 || true
die "node $HOST did not become idle within 30 s (sinfo: ${state:-no answer})"
