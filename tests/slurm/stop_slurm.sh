#!/usr/bin/env bash
# Stop the single-node SLURM started by tests/slurm/setup_slurm.sh: cancels the jobs still in that
# cluster, then stops slurmd, slurmctld and (only if setup_slurm.sh started it) munged, each by the PID
# that setup_slurm.sh recorded. Daemons it did not start are left alone. Safe to call twice.
set -uo pipefail

DIR="${HYPERGCN_SLURM_DIR:-/tmp/hypergcn-slurm}"
export SLURM_CONF="$DIR/slurm.conf"

alive() {
    local pid
    [[ -s "$1" ]] || return 1
    pid="$(cat "$1")"
    [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$2"
}

stop() {  # stop <pidfile> <name>
    local pidfile="$1" name="$2" pid
    if ! alive "$pidfile" "$name"; then
        rm -f "$pidfile"
        return 0
    fi
    pid="$(cat "$pidfile")"
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do [[ -d "/proc/$pid" ]] || break; sleep 0.1; done
    if [[ -d "/proc/$pid" ]]; then
        echo "stop_slurm: $name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$pidfile"
    echo "stop_slurm: stopped $name (pid $pid)" >&2
}

if alive "$DIR/run/slurmctld.started" slurmctld && [[ -f "$SLURM_CONF" ]]; then
    jobs="$(timeout 10 squeue -h -t PENDING,RUNNING,SUSPENDED,COMPLETING -o '%i' 2>/dev/null | tr '\n' ' ')"
    if [[ -n "${jobs// /}" ]]; then
        echo "stop_slurm: cancelling jobs left in the test cluster: $jobs" >&2
        # shellcheck disable=SC2086
        timeout 10 scancel $jobs 2>/dev/null || true
        for _ in $(seq 50); do
            [[ -z "$(timeout 5 squeue -h -t RUNNING,COMPLETING -o '%i' 2>/dev/null)" ]] && break
            sleep 0.2
        done
    fi
fi
stop "$DIR/run/slurmd.started" slurmd
stop "$DIR/run/slurmctld.started" slurmctld
stop "$DIR/run/munged.started" munged
if [[ -s "$DIR/run/etc-link" ]]; then
    link="$(cat "$DIR/run/etc-link")"
    if [[ -L "$link" && "$(readlink "$link")" == "$SLURM_CONF" ]]; then rm -f "$link"; fi
    rm -f "$DIR/run/etc-link"
fi
exit 0
