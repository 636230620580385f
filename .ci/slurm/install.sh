#!/usr/bin/env bash
# Install the Debian packages of a single-node Slurm with accounting (the Slurm tests in
# tests/cluster/ start it with start.sh). Needs root; does nothing if they are installed.
set -euo pipefail
PACKAGES=(slurmctld slurmd slurm-client slurmdbd munge mariadb-server)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "slurm packages already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# The packages' own services (a system munged, mariadb) must not start: start.sh runs its own.
# Debian's policy-rc.d says so; one is put in place only for this install if there is none.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
