#!/usr/bin/env bash
# Stop, start or query only slurmrestd of one local cluster (tests use it to take the REST API down).
#   bash scripts/slurm/restd.sh stop|start|status spc|kisti6
set -eu
# shellcheck source=scripts/slurm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root
[ $# = 2 ] || die "usage: restd.sh stop|start|status spc|kisti6"
cluster_env "$2"
case "$1" in
  stop) stop_daemon slurmrestd slurmrestd ;;
  start)
    cluster_configured "$CL" || die "$CL was never started; run scripts/slurm/start.sh $CL"
    alive slurmctld slurmctld || die "$CL: slurmctld is not running; run scripts/slurm/start.sh $CL"
    launch slurmrestd slurmrestd "$REST_USER" env SLURM_JWT=daemon /usr/sbin/slurmrestd -a rest_auth/jwt "127.0.0.1:$REST_PORT"
    wait_until "slurmrestd on port $REST_PORT" 30 port_open "$REST_PORT"
    ;;
  status)
    if alive slurmrestd slurmrestd; then echo "running (pid $(pid_of slurmrestd))"; else echo stopped; exit 3; fi
    ;;
  *) die "usage: restd.sh stop|start|status spc|kisti6" ;;
esac
