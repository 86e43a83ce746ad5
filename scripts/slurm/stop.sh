#!/usr/bin/env bash
# Stop the local Slurm clusters: cancel their jobs, then stop only the daemons start.sh recorded
# (and only while each PID still runs the program we started).
#
#   bash scripts/slurm/stop.sh             # both clusters (npm run slurm:stop)
#   bash scripts/slurm/stop.sh kisti6      # one cluster
#   bash scripts/slurm/stop.sh --wipe [..] # also delete the clusters' state (accounts, jobs, database);
#                                          # the kisti6 chroot itself is kept (rebuilding it costs a minute)
set -eu
# shellcheck source=scripts/slurm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root
WIPE=0
ARGS=()
for a in "$@"; do if [ "$a" = --wipe ]; then WIPE=1; else ARGS+=("$a"); fi; done
parse_clusters "${ARGS[@]+"${ARGS[@]}"}"

stop_cluster() {
  cluster_env "$1"
  [ -d "$PIDS" ] || return 0
  local t0 ids
  t0=$(now_ms)
  # jobs first, while slurmctld is up: a job's slurmstepd would otherwise outlive slurmd
  if alive slurmctld slurmctld; then
    ids=$(in_root squeue -h -o %i 2>/dev/null || true)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      in_root scancel $ids >/dev/null 2>&1 || true
      local deadline=$(($(now_ms) + 20000))
      while [ -n "$(in_root squeue -h -t R,CG -o %i 2>/dev/null)" ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.2; done
    fi
  fi
  # reverse start order; daemons with nothing depending on each other stop together
  stop_daemon slurmrestd slurmrestd &
  stop_daemon slurmd slurmd &
  wait
  stop_daemon slurmctld slurmctld
  stop_daemon slurmdbd slurmdbd
  stop_daemon mariadbd mariadbd &
  stop_daemon munged munged &
  wait
  log "$CL: stopped in $(since "$t0")"
}

wipe_cluster() {
  cluster_env "$1"
  local d
  for d in $DAEMONS; do alive "${d%%:*}" "${d##*:}" && die "$CL: ${d%%:*} still runs; not wiping"; done
  if [ -n "$ROOT" ]; then
    # the chroot's mounts live only in the daemons' private mount namespaces, but be sure before deleting
    if grep -q " $ROOT/" /proc/self/mounts; then die "$CL: something is mounted under $ROOT; not wiping"; fi
    rm -rf --one-file-system "$HB"
    rm -rf "$PIDS" "$CDIR/.configured"
  else
    rm -rf --one-file-system "$CDIR"
  fi
  log "$CL: state wiped"
}

for c in $CLUSTERS; do stop_cluster "$c" & done
wait
if [ $WIPE = 1 ]; then
  for c in $CLUSTERS; do wipe_cluster "$c"; done
fi
