#!/usr/bin/env bash
# Prints where the local clusters' state lives (see lib.sh) and checks that their daemons can reach
# it; --ensure also creates it (and, for a checkout closed to other users, the <repo>/.slurm link).
# Starts nothing.
set -eu
# shellcheck source=scripts/slurm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "${1:-}" = --ensure ]; then ensure_state_dir; else check_state_dir; fi
printf '%s %s\n' "$KAIRR_SLURM_DIR_SOURCE" "$KAIRR_SLURM_DIR"
