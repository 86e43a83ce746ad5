#!/usr/bin/env bash
# The SITE SIDE of KAIRR's site accounts on the local clusters: what a site's operator does before
# confirming an account to KAIRR (PUT /v1/sites/{siteId}/accounts/{sub}). A job runs only as a login
# that exists on the cluster's nodes, so the login is made where that cluster resolves users: on the
# host for spc (its daemons run on the host), in the trixie chroot for kisti6.
#   bash scripts/slurm/site-account.sh create spc|kisti6 USERNAME   # idempotent; prints the uid
#   bash scripts/slurm/site-account.sh exists spc|kisti6 USERNAME   # exit 0 when it exists
#   bash scripts/slurm/site-account.sh delete spc|kisti6 USERNAME   # only logins this script made
# It refuses system accounts (uid < 1000) and names outside a portable login pattern, as a real site
# would; KAIRR checks its own deny list and pattern again when the operator confirms.
set -eu
# shellcheck source=scripts/slurm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root
[ $# -eq 3 ] || die "usage: site-account.sh create|exists|delete spc|kisti6 USERNAME"
action=$1
cluster_env "$2"
user=$3
MARK="KAIRR site account"
[[ "$user" =~ ^[a-z][a-z0-9_-]{1,31}$ ]] || die "\"$user\" is not a portable login name"
cluster_configured "$CL" || die "$CL was never started; run scripts/slurm/start.sh $CL"
in_root() { if [ -n "$ROOT" ]; then chroot "$ROOT" "$@"; else "$@"; fi; }
# two useradds at once (two test runs) would fight over /etc/passwd's lock
exec 9>"$KAIRR_SLURM_DIR/.site-accounts-$CL.lock"
flock 9

entry=$(in_root getent passwd "$user" || true)
uid=$(printf '%s' "$entry" | cut -d: -f3)
case "$action" in
  exists)
    [ -n "$entry" ] ;;
  create)
    if [ -n "$entry" ]; then
      [ "$uid" -ge 1000 ] || die "$user is a system account on $CL (uid $uid): never a researcher's login"
      echo "$uid"
      exit 0
    fi
    in_root useradd -M -d /nonexistent -s /bin/bash -c "$MARK" "$user" || die "could not create $user on $CL"
    in_root id -u "$user"
    log "$CL: created login $user"
    ;;
  delete)
    [ -n "$entry" ] || exit 0
    [ "$(printf '%s' "$entry" | cut -d: -f5)" = "$MARK" ] || die "$user on $CL was not made by this script; not deleting it"
    in_root userdel "$user" || die "could not delete $user on $CL"
    ;;
  *) die "unknown action $action (create, exists, delete)" ;;
esac
