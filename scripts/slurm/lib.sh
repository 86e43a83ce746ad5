# Shared helpers for the local Slurm clusters (sourced by start.sh, stop.sh, restd.sh, cli.sh, status.sh).
#
# Two real clusters run side by side on this one machine, without systemd or Docker:
#   spc     Slurm 22.05 from Debian bookworm's packages, on the host itself
#   kisti6  Slurm 24.11 from Debian trixie's packages, in a debootstrap chroot
# Every daemon runs in the foreground behind setsid, and its PID is recorded; we stop only PIDs we
# recorded, and only while the program behind the PID is still the one we started.
#
# The chroot's /proc, /sys and /dev are mounted inside a private mount namespace per process
# (unshare --mount), never in the host's namespace: nothing is left mounted when the daemons stop, and
# `rm -rf .slurm` can never reach the host's /dev through a forgotten bind mount.

set -o pipefail
set +m # no job control: a background job is then no process-group leader, so `setsid CMD &` execs in place and $! is the daemon's PID

SLURM_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SLURM_SCRIPTS/../.." && pwd)
# --- where the clusters' state lives -------------------------------------------------------------
# The daemons run as their own users (munge, slurm, mysql), so every folder above the state dir
# must be traversable by users other than root: munged refuses a key it "cannot canonicalize".
# A clone under a home folder of mode 0700 (root's, for one) is not. Then, unless the state dir
# was chosen explicitly, it moves to /var/lib/kairr/slurm-<hash of the checkout's path>, and
# <repo>/.slurm becomes a link to it (so tools that read <repo>/.slurm/clusters.json find it).
# An explicit KAIRR_SLURM_DIR that the daemons cannot reach is refused, with what to do.

# traversable_by_others DIR: a user other than root can reach DIR (or the nearest folder above it
# that exists), through every folder above it. Without root nothing can be checked (nor started).
traversable_by_others() {
  local d=$1
  while [ ! -e "$d" ] && [ "$d" != / ]; do d=$(dirname "$d"); done
  [ "$(id -u)" = 0 ] || return 0
  setpriv --reuid=65534 --regid=65534 --clear-groups -- /bin/sh -c 'cd "$1"' kairr-check "$d" 2>/dev/null
}

SLURM_DEFAULT_DIR=$REPO_ROOT/.slurm
SLURM_FALLBACK_DIR=/var/lib/kairr/slurm-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-12)
if [ -n "${KAIRR_SLURM_DIR:-}" ]; then
  KAIRR_SLURM_DIR_SOURCE=explicit
elif [ -L "$SLURM_DEFAULT_DIR" ]; then
  KAIRR_SLURM_DIR=$(readlink -f "$SLURM_DEFAULT_DIR")
  KAIRR_SLURM_DIR_SOURCE=link
elif [ ! -e "$SLURM_DEFAULT_DIR" ] && ! traversable_by_others "$REPO_ROOT"; then
  KAIRR_SLURM_DIR=$SLURM_FALLBACK_DIR
  KAIRR_SLURM_DIR_SOURCE=fallback
else
  KAIRR_SLURM_DIR=$SLURM_DEFAULT_DIR
  KAIRR_SLURM_DIR_SOURCE=default
fi

# check_state_dir: dies, saying what to do, when the daemons could not reach the state dir.
check_state_dir() {
  traversable_by_others "$KAIRR_SLURM_DIR" && return 0
  local why="the clusters' daemons run as their own users (munge, slurm, mysql) and cannot reach $KAIRR_SLURM_DIR: a folder above it is closed to other users (a home folder of mode 0700?)"
  case "$KAIRR_SLURM_DIR_SOURCE" in
    explicit) die "$why. Set KAIRR_SLURM_DIR to a folder every user can traverse (for example $SLURM_FALLBACK_DIR), or open the folders above it with chmod o+x" ;;
    *) die "$why. Move or remove $SLURM_DEFAULT_DIR (it is state only: bash scripts/slurm/stop.sh --wipe), then start again: the state then goes to $SLURM_FALLBACK_DIR; or set KAIRR_SLURM_DIR to a folder every user can traverse" ;;
  esac
}

# ensure_state_dir: creates the state dir; for the fallback, links <repo>/.slurm to it.
ensure_state_dir() {
  check_state_dir
  mkdir -p "$KAIRR_SLURM_DIR"
  if [ "$KAIRR_SLURM_DIR_SOURCE" = fallback ]; then
    chmod 755 /var/lib/kairr
    ln -sfn "$KAIRR_SLURM_DIR" "$SLURM_DEFAULT_DIR"
    log "the checkout $REPO_ROOT is closed to other users: cluster state is in $KAIRR_SLURM_DIR ($SLURM_DEFAULT_DIR links to it)"
  fi
}
ALL_CLUSTERS="spc kisti6"
PATH_IN=/usr/sbin:/usr/bin:/sbin:/bin
HOST_SHORT=$(uname -n | cut -d. -f1)

# Test users: same names and uids on the host and in the chroot (created only when missing).
TEST_USERS="alice bob"
declare -A TEST_UID=([alice]=2601 [bob]=2602)
REST_USER=slurmrest # slurmrestd refuses root (22.05) and also SlurmUser (24.11)
DB_PASS=kairr-local-slurmdb

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
require_root() { [ "$(id -u)" = 0 ] || die "must run as root (the clusters run real daemons, mknod and chroot)"; }
now_ms() { date +%s%3N; }
since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1fs", (b - a) / 1000 }'; }

# cluster_env NAME: set the variables that describe one cluster.
cluster_env() {
  CL=$1
  CDIR=$KAIRR_SLURM_DIR/$CL # everything of this cluster, host view
  PIDS=$CDIR/pids
  case "$CL" in
    spc)
      SERIES=22.05
      ROOT= # runs on the host
      B=$CDIR
      REST_PORT=6820 CTLD_PORT=6817 SLURMD_PORT=6818 DBD_PORT=6819 MYSQL_PORT=3307
      PARTITIONS="h200 b200"
      ;;
    kisti6)
      SERIES=24.11
      ROOT=$CDIR/root # the trixie chroot
      B=/srv/kairr    # state dir as the chroot sees it
      REST_PORT=6830 CTLD_PORT=6837 SLURMD_PORT=6838 DBD_PORT=6839 MYSQL_PORT=3308
      PARTITIONS="gh200"
      ;;
    *) die "unknown cluster '$CL' (known: $ALL_CLUSTERS)" ;;
  esac
  HB=$ROOT$B # state dir, host view
  CONF=$B/etc/slurm.conf
  LOGS=$HB/log
  NODE=$CL-n1
  NODE_GPUS=${KAIRR_SLURM_GPUS:-4}
  NODE_CPUS=${KAIRR_SLURM_CPUS:-8} # over-declared (SlurmdParameters=config_overrides) so several test jobs run at once on 2 cores
  REST_URL=http://127.0.0.1:$REST_PORT
  MUNGE_SOCK=$B/munge/run/munge.socket
  MYSQL_SOCK=$B/mysql/run/mysqld.sock
  # The argv prefix that runs a command "inside" the cluster with a clean environment: the host's
  # SLURM_CONF (or a 22.05 client) must never reach the other cluster.
  if [ -z "$ROOT" ]; then
    IN_ROOT=(env -i "PATH=$PATH_IN" "SLURM_CONF=$CONF" HOME=/root LANG=C.UTF-8)
  else
    IN_ROOT=(unshare --mount --propagation private -- /bin/sh -c "$CHROOT_ENTRY" kairr-chroot "$ROOT" "$CONF")
  fi
}

# Entry for chroot processes: mount proc/sys/dev in the (new, private) mount namespace, then chroot.
# $1 = chroot dir, $2 = SLURM_CONF inside it, rest = the command.
# shellcheck disable=SC2016
CHROOT_ENTRY='r=$1 c=$2; shift 2
mount -t proc proc "$r/proc" || exit 97
mount -t sysfs -o ro sysfs "$r/sys" 2>/dev/null || mount --rbind /sys "$r/sys" || exit 97
mount --rbind /dev "$r/dev" || exit 97
exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SLURM_CONF="$c" HOME=/root LANG=C.UTF-8 "$@"'

in_root() { "${IN_ROOT[@]}" "$@"; }

# --- daemons -------------------------------------------------------------------------------------
pid_of() { [ -s "$PIDS/$1.pid" ] && cat "$PIDS/$1.pid"; }
# alive NAME COMM: the recorded PID is live and still runs COMM (and in our root, not another cluster's)
alive() {
  local pid
  pid=$(pid_of "$1") || return 1
  [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
  [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "${ROOT:-/}" ]
}

# launch NAME COMM USER CMD...: start a foreground-mode daemon detached, record its PID.
launch() {
  local name=$1 comm=$2 user=$3 pid as_user=()
  shift 3
  if alive "$name" "$comm"; then return 0; fi
  [ "$user" = root ] || as_user=(setpriv --reuid "$user" --regid "$user" --init-groups --)
  # 9>&-: the daemon must not inherit start.sh's lock
  setsid "${IN_ROOT[@]}" "${as_user[@]}" "$@" >"$LOGS/$name.stdout" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PIDS/$name.pid"
  # the exec chain (setsid, unshare, sh, chroot, env, setpriv) ends in the daemon within milliseconds
  local deadline=$(($(now_ms) + 5000))
  until alive "$name" "$comm"; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$(now_ms)" -gt "$deadline" ]; then
      tail -n 20 "$LOGS/$name.stdout" >&2 || true
      die "$CL: $name (pid $pid) is not running as '$comm'; see $LOGS/$name.stdout"
    fi
    sleep 0.05
  done
  log "$CL: started $name (pid $pid)"
}

# stop_daemon NAME COMM: SIGTERM the recorded PID if it is still ours, wait, SIGKILL as a last resort.
stop_daemon() {
  local name=$1 comm=$2 pid
  pid=$(pid_of "$name") || return 0
  if ! alive "$name" "$comm"; then
    rm -f "$PIDS/$name.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(($(now_ms) + 30000))
  while alive "$name" "$comm" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
  if alive "$name" "$comm"; then
    log "$CL: $name (pid $pid) ignored SIGTERM for 30 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ]; do sleep 0.1; done
  fi
  rm -f "$PIDS/$name.pid"
  log "$CL: stopped $name (pid $pid)"
}

# wait_until DESC TIMEOUT_S CMD...: poll CMD until it succeeds, or die at the deadline.
wait_until() {
  local desc=$1 timeout=$2
  shift 2
  local deadline=$(($(now_ms) + timeout * 1000))
  until "$@" >/dev/null 2>&1; do
    [ "$(now_ms)" -lt "$deadline" ] || die "$CL: timed out after ${timeout}s waiting for $desc (logs: $LOGS)"
    sleep 0.1
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# DAEMONS in start order: NAME COMM
DAEMONS="munged:munged mariadbd:mariadbd slurmdbd:slurmdbd slurmctld:slurmctld slurmd:slurmd slurmrestd:slurmrestd"

cluster_configured() { [ -f "$KAIRR_SLURM_DIR/$1/.configured" ]; }

# cluster_up: every daemon of the current cluster is alive and slurmrestd answers on its port.
cluster_up() {
  local d
  for d in $DAEMONS; do alive "${d%%:*}" "${d##*:}" || return 1; done
  port_open "$REST_PORT"
}

parse_clusters() { # args -> CLUSTERS (default: all)
  CLUSTERS=
  local a
  for a in "$@"; do
    case "$a" in
      spc | kisti6) CLUSTERS="$CLUSTERS $a" ;;
      all) CLUSTERS=$ALL_CLUSTERS ;;
      *) die "unknown argument '$a' (expected: spc, kisti6 or all)" ;;
    esac
  done
  [ -n "$CLUSTERS" ] || CLUSTERS=$ALL_CLUSTERS
}
