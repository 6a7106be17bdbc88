#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the tests and the demos (README, "On a
# cluster"; docs/DESIGN.md, "The plan and Slurm"):
#
#   scripts/slurm-local.sh install      install Debian's slurmctld, slurmd, slurm-client, munge
#   scripts/slurm-local.sh start DIR    bring the cluster up with all its state in DIR
#   scripts/slurm-local.sh stop DIR     stop the daemons started in DIR (by their pid files)
#
# `start` writes DIR/slurm.conf (this host as the one node, with the cores and memory `slurmd
# -C` finds; free ports), a fresh munge key, and starts munged, slurmctld and slurmd as root
# with every socket, pid file, log and spool inside DIR; it ends when the node accepts jobs.
# Then `export SLURM_CONF=DIR/slurm.conf` (also written to DIR/env) and use sbatch as usual.
# Nothing outside DIR is written (beyond the packages `install` adds); `stop` ends only the
# processes whose pids DIR holds.
#
# Exit codes: 0 done; 1 a daemon failed (its log is printed); 3 Slurm is not installed and
# cannot be (not root, no apt-get): the caller may skip, the reason is on stderr.
set -euo pipefail

die() {
    echo "slurm-local: $*" >&2
    exit 1
}

have_slurm() {
    local b
    for b in slurmctld slurmd sbatch squeue scontrol munged; do
        command -v "$b" >/dev/null 2>&1 || return 1
    done
}

install_slurm() {
    if have_slurm; then
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "slurm-local: Slurm is not installed and there is no apt-get to install Debian's slurm-wlm" >&2
        exit 3
    fi
    if [[ "$(id -u)" -ne 0 ]] && ! { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
        echo "slurm-local: Slurm is not installed and installing it needs root (apt-get install slurmctld slurmd slurm-client munge)" >&2
        exit 3
    fi
    local pkgs=(slurmctld slurmd slurm-client munge)
    # shellcheck source=scripts/apt-install.sh
    source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"
    apt_install slurm-local "${pkgs[@]}"
    have_slurm || die "apt-get installed ${pkgs[*]} but slurmctld/slurmd/sbatch/munged are not on PATH"
}

# A TCP port on 127.0.0.1 that nothing listens on, from $1 upwards.
free_port() {
    local p=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
        p=$((p + 1))
    done
    echo "$p"
}

start() {
    local dir=$1
    install_slurm
    [[ "$(id -u)" -eq 0 ]] || {
        echo "slurm-local: slurmd must run as root to start jobs; run as root" >&2
        exit 3
    }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [[ -e "$dir/slurmctld.pid" ]] && die "$dir already holds a running cluster; stop it first"
    mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
    chmod 700 "$dir" "$dir/munge"

    # munge: a fresh key; socket, pid, seed and log inside DIR. --force: munged runs as root.
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$dir/munge/munge.key"
    munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.sock" \
        --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed" \
        --log-file="$dir/log/munged.log" ||
        { cat "$dir/log/munged.log" >&2 || true; die "munged did not start"; }

    # The node as slurmd sees it (cores, sockets, memory), named by this host's short name.
    local node host cpus mem
    host=$(hostname -s)
    node=$(slurmd -C | head -n 1)
    cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$node")
    mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
    [[ -n "$cpus" && -n "$mem" ]] || die "cannot read the node from \`slurmd -C\`: $node"
    local ctld_port slurmd_port
    ctld_port=$(free_port "${SLURM_LOCAL_PORT:-6817}")
    slurmd_port=$(free_port $((ctld_port + 1)))

    cat >"$dir/slurm.conf" <<EOF
# written by scripts/slurm-local.sh: a one-node cluster on this host, state in $dir
ClusterName=livermet-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
# no cgroups in a container: processes tracked by parent pid, no task binding, no accounting
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
ReturnToService=2
# finished jobs stay visible to scontrol for an hour (there is no accounting database)
MinJobAge=3600
KillWait=5
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 $(sed 's/^NodeName=[^ ]* //' <<<"$node") State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    echo "export SLURM_CONF=$dir/slurm.conf" >"$dir/env"
    export SLURM_CONF="$dir/slurm.conf"

    slurmctld -f "$dir/slurm.conf" ||
        { cat "$dir/log/slurmctld.log" >&2 || true; stop "$dir"; die "slurmctld did not start"; }
    slurmd -f "$dir/slurm.conf" ||
        { cat "$dir/log/slurmd.log" >&2 || true; stop "$dir"; die "slurmd did not start"; }

    # Ready when the node is idle (at most 60 s).
    local i state=""
    for i in $(seq 1 120); do
        state=$(sinfo -h -N -n "$host" -o %t 2>/dev/null || true)
        if [[ "$state" == idle* ]]; then
            echo "slurm-local: up in $dir ($host, $cpus CPUs, ${mem} MB; SLURM_CONF=$dir/slurm.conf)"
            return 0
        fi
        sleep 0.5
    done
    tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
    stop "$dir"
    die "the node did not become idle within 60 s (state: ${state:-none})"
}

# Ends the process whose pid `$1` holds (TERM, then KILL after 10 s) and removes the file.
stop_pid() {
    local file=$1 pid i
    [[ -f "$file" ]] || return 0
    pid=$(cat "$file")
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

stop() {
    local dir=$1
    [[ -d "$dir" ]] || return 0
    stop_pid "$dir/slurmd.pid"
    stop_pid "$dir/slurmctld.pid"
    stop_pid "$dir/munge/munged.pid"
    echo "slurm-local: stopped the daemons of $dir"
}

case "${1:-}" in
install) install_slurm ;;
start) start "${2:?usage: slurm-local.sh start DIR}" ;;
stop) stop "${2:?usage: slurm-local.sh stop DIR}" ;;
*)
    echo "usage: scripts/slurm-local.sh install | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
