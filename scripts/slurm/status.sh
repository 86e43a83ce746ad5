#!/usr/bin/env bash
# Show which daemons of the local clusters run. Exit 0 only when every daemon of the named clusters is up.
#   bash scripts/slurm/status.sh [spc|kisti6]
set -eu
# shellcheck source=scripts/slurm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_clusters "$@"
rc=0
for c in $CLUSTERS; do
  cluster_env "$c"
  line="$c (Slurm $SERIES, $REST_URL):"
  for d in $DAEMONS; do
    if alive "${d%%:*}" "${d##*:}"; then line="$line ${d%%:*}=$(pid_of "${d%%:*}")"; else line="$line ${d%%:*}=down"; rc=3; fi
  done
  echo "$line"
done
exit $rc
