# A two-host Slurm + Open MPI cluster on this one machine, for the multi-node integration
# tests (reference/multinode.md): hosts n1 and n2 are network namespaces on a private bridge
# (10.251.77.0/24, nothing else on it), each with its own hostname, /etc/hosts, /tmp and
# /dev/shm, and one slurmd; slurmctld runs in the root namespace; ranks on different hosts talk
# over TCP through the bridge; DIR (under /var/tmp, not /tmp, which each host has of its own)
# is the shared file system. Source it from a test script, as root:
#
#   source "$TSBATCH_SOURCE_DIR/tests/integration/cluster.sh"
#   cluster_start "$WORK/cluster"        # exports SLURM_CONF for sbatch, squeue, scontrol
#   J=$(sbatch --parsable -N 2 -n 2 ... script)
#   cluster_wait_job "$J" 120            # prints the job's final state
#   cluster_kill_host n2                 # SIGKILL its slurmd and every process in it
#   cluster_on n1 CMD...                 # CMD on a host (n1, n2) or as the controller (ctl)
#
# Nothing in /etc is written (each host's files are bind-mounted in its own mount namespace),
# munged has a key and a socket of its own, and the netns, links and daemons are removed when
# the test exits, by a watchdog when the test shell is killed outright, and at the next start
# when anything of an earlier run is left. A cluster that cannot start fails the test.
set -euo pipefail
_cluster_dir=${BASH_SOURCE[0]%/*}
[ "$_cluster_dir" != "${BASH_SOURCE[0]}" ] || _cluster_dir=.
source "$_cluster_dir/fixture_lib.sh"

CLUSTER_DIR=""
CLUSTER_HOSTS="n1 n2"
_CLUSTER_NET=10.251.77
_CLUSTER_BRIDGE=tsbatch-br0
_CLUSTER_WATCHDOG=""

_cluster_fail() {
  echo "FAIL: $*" >&2
  local f
  for f in "$CLUSTER_DIR"/slurmctld.log "$CLUSTER_DIR"/n1/slurmd.log "$CLUSTER_DIR"/n2/slurmd.log "$CLUSTER_DIR"/munged.log; do
    [ -s "$f" ] || continue
    echo "--- last lines of $f ---" >&2
    tail -n 20 "$f" >&2 || true
  done
  exit 1
}

# The command prefix that runs a program on HOST (n1, n2; ctl = the root namespace): HOST's
# network namespace, its name, the cluster's /etc/hosts and, on n1 and n2, a /tmp and /dev/shm
# of its own. Every program of the chain execs the next, so a daemon's pid is the daemon's.
_cluster_prefix() {
  local h=$1 net=() private=":" name=$1
  if [ "$h" = ctl ]; then
    name=tsbctl
  else
    net=(nsenter --net="/run/netns/tsbatch-$h")
    private="mount --bind '$CLUSTER_DIR/$h/tmp' /tmp && mount -t tmpfs -o mode=1777 shm /dev/shm"
  fi
  _CLUSTER_PREFIX=("${net[@]}" unshare --mount --uts -- sh -c
    "mount --bind '$CLUSTER_DIR/hosts' /etc/hosts && mount --bind '$CLUSTER_DIR/resolv.conf' /etc/resolv.conf && $private && hostname \"\$0\" && exec \"\$@\""
    "$name")
}

# cluster_on HOST CMD...: CMD on HOST.
cluster_on() {
  _cluster_prefix "$1"
  shift
  "${_CLUSTER_PREFIX[@]}" "$@"
}

# Starts a daemon on HOST in the background, its output appended to LOG; its pid goes to
# DIR/pids/NAME.
_cluster_daemon() {
  local h=$1 name=$2 log=$3
  shift 3
  _cluster_prefix "$h"
  ( exec "${_CLUSTER_PREFIX[@]}" "$@" ) >>"$log" 2>&1 </dev/null &
  echo $! >"$CLUSTER_DIR/pids/$name"
  disown $!  # stopped by pid at the end; no "Killed" notice from the shell
}

_cluster_pid() { cat "$CLUSTER_DIR/pids/$1" 2>/dev/null || true; }

_cluster_kill() {  # PID: SIGTERM, up to 5 s, then SIGKILL
  local pid=$1 _
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# Removes everything a cluster of this fixture may have left: jobs, daemons, processes in the
# hosts, links, namespaces and munged. Idempotent; never fails.
_cluster_down() {
  set +e
  if [ -n "${SLURM_CONF:-}" ] && [ -f "${SLURM_CONF:-}" ] && kill -0 "$(_cluster_pid slurmctld)" 2>/dev/null; then
    scancel --quiet $(squeue -h -o %A 2>/dev/null) 2>/dev/null
  fi
  local h p
  for h in $CLUSTER_HOSTS; do
    if [ -e "/run/netns/tsbatch-$h" ]; then
      for p in $(ip netns pids "tsbatch-$h" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    fi
  done
  [ -n "$CLUSTER_DIR" ] && _cluster_kill "$(_cluster_pid slurmctld)"
  for h in $CLUSTER_HOSTS; do
    ip link del "tsb-veth-$h" 2>/dev/null
    ip netns del "tsbatch-$h" 2>/dev/null
  done
  ip link del "$_CLUSTER_BRIDGE" 2>/dev/null
  if [ -n "$CLUSTER_DIR" ]; then
    _cluster_kill "$(_cluster_pid munged)"
    p=$(_cluster_pid munge-socket-dir)
    case $p in /var/tmp/tsbatch-munge.*) rm -rf "$p" ;; esac
    rm -f "$CLUSTER_DIR"/pids/*
  fi
  set -e
  return 0
}

_cluster_write_conf() {
  local d=$CLUSTER_DIR
  printf '127.0.0.1 localhost\n%s.1 tsbctl\n%s.11 n1\n%s.12 n2\n' "$_CLUSTER_NET" "$_CLUSTER_NET" "$_CLUSTER_NET" >"$d/hosts"
  echo 'nameserver 127.0.0.1' >"$d/resolv.conf"
  {
    cat <<CONF
# Two-host test cluster written by tests/integration/cluster.sh.
ClusterName=tsbatch-two
SlurmctldHost=tsbctl(${_CLUSTER_NET}.1)
SlurmctldPort=$1
SlurmdPort=6818
CONF
    fixture_slurm_common_conf "$(_cluster_pid munge-socket-dir)/munge.socket" "$d"
    cat <<CONF
# A task that dies ends its step at once, rather than leave its peers waiting in a collective.
KillOnBadExit=1
# A host whose slurmd is gone is declared down within seconds; its jobs end (NODE_FAIL) and
# are not requeued: the user (here, the test) resubmits on the hosts left.
SlurmdTimeout=6
JobRequeue=0
FirstJobId=$(( $1 * 1000 ))
StateSaveLocation=${d}/state
SlurmdSpoolDir=${d}/%n/spool
SlurmctldPidFile=${d}/slurmctld.pid
SlurmdPidFile=${d}/%n/slurmd.pid
SlurmctldLogFile=${d}/slurmctld.log
SlurmdLogFile=${d}/%n/slurmd.log
SlurmdParameters=config_overrides
NodeName=DEFAULT CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=1000 State=UNKNOWN
NodeName=n1 NodeAddr=${_CLUSTER_NET}.11
NodeName=n2 NodeAddr=${_CLUSTER_NET}.12
PartitionName=test Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
CONF
  } >"$d/slurm.conf"
}

_cluster_network() {
  ip link add "$_CLUSTER_BRIDGE" type bridge || _cluster_fail "cannot create the bridge $_CLUSTER_BRIDGE"
  ip addr add "${_CLUSTER_NET}.1/24" dev "$_CLUSTER_BRIDGE"
  ip link set "$_CLUSTER_BRIDGE" up
  local i=10 h
  for h in $CLUSTER_HOSTS; do
    i=$((i + 1))
    ip netns add "tsbatch-$h" || _cluster_fail "cannot create the network namespace tsbatch-$h"
    ip link add "tsb-veth-$h" type veth peer name eth0 netns "tsbatch-$h"
    ip link set "tsb-veth-$h" master "$_CLUSTER_BRIDGE" up
    ip -n "tsbatch-$h" addr add "${_CLUSTER_NET}.$i/24" dev eth0
    ip -n "tsbatch-$h" link set lo up
    ip -n "tsbatch-$h" link set eth0 up
    install -d "$CLUSTER_DIR/$h/spool"
    install -d -m 1777 "$CLUSTER_DIR/$h/tmp"
  done
}

# munged's socket outside /tmp, which each host has of its own; a unix socket serves every netns.
_cluster_munge() {
  fixture_start_munged "$CLUSTER_DIR" /var/tmp >/dev/null || _cluster_fail "munged did not start or answer within 10 s"
}

# cluster_start DIR: the network, munged, slurmctld and a slurmd on each host; returns once
# both hosts are idle.
cluster_start() {
  local c
  for c in slurmctld slurmd sbatch squeue scontrol sinfo munged mungekey ip nsenter unshare; do
    command -v "$c" >/dev/null || _cluster_fail "$c is not installed (slurm-wlm, munge, iproute2, util-linux)"
  done
  [ "$(id -u)" -eq 0 ] || _cluster_fail "the two-host cluster needs root (network namespaces, slurmd)"
  case $1 in /tmp/*) _cluster_fail "cluster_start: DIR must not be under /tmp (each host has a /tmp of its own)" ;; esac
  CLUSTER_DIR=$(mkdir -p "$1" && cd "$1" && pwd)
  mkdir -p "$CLUSTER_DIR/pids" "$CLUSTER_DIR/state"
  export SLURM_CONF=$CLUSTER_DIR/slurm.conf CLUSTER_DIR
  _cluster_down  # whatever an earlier, killed run left behind
  fixture_start_watchdog _CLUSTER_WATCHDOG "" _cluster_down
  _cluster_network
  _cluster_munge
  local port
  port=$(fixture_free_ports 1)
  _cluster_write_conf "$port"
  _cluster_daemon ctl slurmctld "$CLUSTER_DIR/slurmctld.out" slurmctld -D -f "$SLURM_CONF"
  local h
  for h in $CLUSTER_HOSTS; do
    _cluster_daemon "$h" "slurmd-$h" "$CLUSTER_DIR/$h/slurmd.out" slurmd -D -f "$SLURM_CONF" -N "$h"
  done
  local _ states=""
  for _ in $(seq 1 300); do
    states=$(sinfo -h -N -o '%N=%T' 2>/dev/null | sort | paste -sd ' ' || true)
    [ "$states" = "n1=idle n2=idle" ] && break
    sleep 0.2
  done
  [ "$states" = "n1=idle n2=idle" ] || _cluster_fail "the hosts are '$states' after 60 s, not idle"
  echo "two-host cluster ready: n1 ${_CLUSTER_NET}.11, n2 ${_CLUSTER_NET}.12, slurmctld ${_CLUSTER_NET}.1:$port, shared dir $CLUSTER_DIR"
}

# cluster_wait_job JOBID TIMEOUT_S: waits until the job has left the queue and prints its
# final state (COMPLETED, FAILED, NODE_FAIL ...) and exit code as "STATE EXITCODE".
cluster_wait_job() {
  local job=$1 timeout=$2 end=$((SECONDS + $2))
  while [ -n "$(squeue -h -j "$job" -o %i 2>/dev/null)" ]; do
    if ((SECONDS >= end)); then
      scancel "$job" 2>/dev/null || true
      _cluster_fail "job $job still queued after $timeout s: $(scontrol show job "$job" 2>&1 | head -20)"
    fi
    sleep 0.5
  done
  scontrol -o show job "$job" | sed -n 's/.* JobState=\([A-Z_]*\) .* ExitCode=\([0-9:]*\) .*/\1 \2/p'
}

# cluster_kill_host HOST: the host dies: its slurmd and every process in its namespace get
# SIGKILL at once (tsbatch ranks, slurmstepd, pmix).
cluster_kill_host() {
  local h=$1 p
  kill -KILL "$(_cluster_pid "slurmd-$h")" 2>/dev/null || true
  for p in $(ip netns pids "tsbatch-$h" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
}

# Cleanup on exit, then whatever EXIT trap was set before (tests/cli/lib.sh's scratch directory).
_cluster_trap_command() { _CLUSTER_PREVIOUS_EXIT_TRAP=${3:-}; }
_CLUSTER_PREVIOUS_EXIT_TRAP=""
eval "_cluster_trap_command $(trap -p EXIT)"
_cluster_on_exit() {
  local rc=$?
  _cluster_down
  fixture_stop_watchdog _CLUSTER_WATCHDOG
  if [ -n "$_CLUSTER_PREVIOUS_EXIT_TRAP" ]; then eval "$_CLUSTER_PREVIOUS_EXIT_TRAP"; fi
  exit "$rc"
}
trap _cluster_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
