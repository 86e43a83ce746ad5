#!/usr/bin/env bash
# Run a Slurm client of the right version against one local cluster, e.g.
#   bash scripts/slurm/cli.sh spc sacctmgr -n -P show assoc account=kairr
#   bash scripts/slurm/cli.sh kisti6 squeue
# spc's clients are the host's 22.05; kisti6's are the chroot's 24.11 (a 22.05 client cannot talk to it).
set -eu
# shellcheck source=scripts/slurm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root
[ $# -ge 2 ] || die "usage: cli.sh spc|kisti6 COMMAND [ARGS...]"
cluster_env "$1"
shift
cluster_configured "$CL" || die "$CL was never started; run scripts/slurm/start.sh $CL"
exec "${IN_ROOT[@]}" "$@"
