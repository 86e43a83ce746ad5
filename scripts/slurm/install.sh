# Sourced by start.sh: installs what the clusters need, only when it is missing.
# shellcheck shell=bash

HOST_PKGS="slurmctld slurmd slurmdbd slurmrestd slurm-client slurm-wlm-basic-plugins slurm-wlm-jwt-plugin
  slurm-wlm-mysql-plugin munge mariadb-server mariadb-client debootstrap zstd"
CHROOT_PKGS="slurmctld slurmd slurmdbd slurmrestd slurm-client slurm-wlm-basic-plugins slurm-wlm-jwt-plugin
  slurm-wlm-mysql-plugin munge mariadb-server mariadb-client util-linux passwd"

pkgs_missing() { # PKG...: print the packages that are not installed on the host
  local p
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || printf '%s ' "$p"
  done
}

# Package maintainer scripts must not start services of their own (they would hold the default ports
# and outlive us). Debian images usually carry a policy-rc.d that says so; a bare machine may not.
with_service_starts_blocked() { # DIR_OF_ROOT CMD...
  local policy=$1/usr/sbin/policy-rc.d rc=0 ours=0
  shift
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by KAIRR scripts/slurm while installing packages\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    ours=1
  fi
  "$@" || rc=$?
  [ $ours = 0 ] || rm -f "$policy"
  return $rc
}

ensure_host_packages() {
  local missing t0
  missing=$(pkgs_missing $HOST_PKGS)
  [ -n "$missing" ] || return 0
  t0=$(now_ms)
  log "host: installing $missing"
  mkdir -p "$KAIRR_SLURM_DIR"
  # an apt list older than a day (or none) may name package versions the mirror no longer has
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    # a third-party source that cannot be reached fails the update but leaves Debian's lists usable:
    # go on, and let the install say whether the packages can be had
    apt-get update -q >"$KAIRR_SLURM_DIR/apt-host.log" 2>&1 || log "host: apt-get update reported errors (continuing; see $KAIRR_SLURM_DIR/apt-host.log)"
  fi
  # shellcheck disable=SC2086
  with_service_starts_blocked "" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing \
    >>"$KAIRR_SLURM_DIR/apt-host.log" 2>&1 || { tail -20 "$KAIRR_SLURM_DIR/apt-host.log" >&2; die "apt-get install failed (log: $KAIRR_SLURM_DIR/apt-host.log)"; }
  log "host: packages installed in $(since "$t0")"
}

# Unix users the tests submit jobs as, on the host and (when given) in a chroot, with the same uids.
ensure_users() { # [CHROOT_DIR]
  local root=${1:-} u uid
  for u in $TEST_USERS; do
    if ! getent passwd "$u" >/dev/null; then
      uid=${TEST_UID[$u]}
      if getent passwd "$uid" >/dev/null; then useradd -m -s /bin/bash "$u"; else useradd -m -u "$uid" -s /bin/bash "$u"; fi
      log "host: created user $u (uid $(id -u "$u"))"
    fi
    if [ -n "$root" ] && ! chroot "$root" getent passwd "$u" >/dev/null; then
      uid=$(id -u "$u")
      chroot "$root" useradd -M -u "$uid" -d "/home/$u" -s /bin/bash "$u" || die "could not create $u (uid $uid) in the chroot"
    fi
  done
  getent passwd "$REST_USER" >/dev/null || useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$REST_USER"
  if [ -n "$root" ] && ! chroot "$root" getent passwd "$REST_USER" >/dev/null; then
    chroot "$root" useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$REST_USER"
  fi
}

# --- the Slurm 24.11 chroot ----------------------------------------------------------------------
# Built once into $ROOT (debootstrap minbase trixie + Slurm packages, ~1 min). The finished, pristine
# chroot is also kept as a tarball in KAIRR_SLURM_CACHE (default /var/cache/kairr-slurm), so a fresh
# clone on the same machine (CI) extracts it in seconds instead of rebuilding. KAIRR_SLURM_CACHE=off
# disables the cache.
CHROOT_MIRROR=${KAIRR_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CHROOT_SEC_MIRROR=${KAIRR_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KAIRR_SLURM_CACHE=${KAIRR_SLURM_CACHE:-/var/cache/kairr-slurm}

chroot_cache_file() {
  local key
  key=$(printf '%s\n' trixie minbase $CHROOT_MIRROR $CHROOT_PKGS | sha256sum | cut -c1-12)
  echo "$KAIRR_SLURM_CACHE/trixie-slurm24-$key.tar.zst"
}

ensure_chroot() { # uses ROOT (from cluster_env kisti6)
  [ -f "$ROOT/.kairr-chroot-ready" ] && return 0
  local t0 work cache log
  t0=$(now_ms)
  work=$ROOT.partial
  log=$KAIRR_SLURM_DIR/kisti6-chroot.log
  mkdir -p "$(dirname "$ROOT")"
  rm -rf --one-file-system "$ROOT"
  # a finished debootstrap in an interrupted build is kept; anything else half-done starts over
  [ -f "$work/.kairr-debootstrap-done" ] || rm -rf --one-file-system "$work"
  mkdir -p "$work"
  cache=$(chroot_cache_file)
  if [ "$KAIRR_SLURM_CACHE" != off ] && [ -s "$cache" ]; then
    log "kisti6: extracting cached chroot $cache"
    rm -rf --one-file-system "$work" && mkdir -p "$work"
    zstd -dc "$cache" | tar -x -C "$work" --numeric-owner || die "could not extract $cache (delete it to rebuild)"
  else
    if [ ! -f "$work/.kairr-debootstrap-done" ]; then
      log "kisti6: debootstrap --variant=minbase trixie (about a minute, once)"
      debootstrap --variant=minbase trixie "$work" "$CHROOT_MIRROR" >"$log" 2>&1 ||
        { tail -20 "$log" >&2; die "debootstrap failed (log: $log)"; }
      touch "$work/.kairr-debootstrap-done"
    fi
    cat >"$work/etc/apt/sources.list" <<EOF
deb $CHROOT_MIRROR trixie main
deb $CHROOT_MIRROR trixie-updates main
deb $CHROOT_SEC_MIRROR trixie-security main
EOF
    cp -L /etc/resolv.conf "$work/etc/resolv.conf" 2>/dev/null || true
    log "kisti6: apt-get install Slurm 24.11 in the chroot"
    # shellcheck disable=SC2086
    with_service_starts_blocked "$work" unshare --mount --propagation private -- /bin/sh -c "$CHROOT_ENTRY" kairr-chroot "$work" /dev/null \
      sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(echo $CHROOT_PKGS) && apt-get clean && rm -rf /var/lib/apt/lists/*" \
      >>"$log" 2>&1 || { tail -20 "$log" >&2; die "apt-get install in the chroot failed (log: $log)"; }
    if [ "$KAIRR_SLURM_CACHE" != off ] && mkdir -p "$KAIRR_SLURM_CACHE" 2>/dev/null; then
      tar -C "$work" --one-file-system --numeric-owner -c . | zstd -q -T0 -3 -o "$cache.tmp" && mv -f "$cache.tmp" "$cache" &&
        log "kisti6: cached the chroot as $cache" || { rm -f "$cache.tmp"; log "kisti6: could not cache the chroot (continuing)"; }
    fi
  fi
  # debootstrap's minbase writes no /etc/hosts: mariadb-install-db and Slurm need the host name to resolve
  printf '127.0.0.1 localhost\n127.0.0.1 %s\n' "$HOST_SHORT" >"$work/etc/hosts"
  touch "$work/.kairr-chroot-ready"
  mv "$work" "$ROOT"
  log "kisti6: chroot ready in $(since "$t0") ($(chroot "$ROOT" dpkg-query -W -f='slurm ${Version}' slurmctld))"
}
