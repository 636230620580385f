#!/usr/bin/env bash
# Start a single-node Slurm 22.05 with accounting, for yrdsim's tests, in STATE_DIR:
#   munged -> mariadbd -> slurmdbd -> slurmctld -> slurmd, each a child of this script's
#   session with its pid in STATE_DIR/pids, its log in STATE_DIR/log/, on free local ports.
# Usage: start.sh STATE_DIR [CPUS] [PARTITION]   (as root; install.sh first)
# Then: export SLURM_CONF=STATE_DIR/slurm.conf (written to STATE_DIR/env); stop with stop.sh.
set -euo pipefail
STATE=$(realpath -m "${1:?usage: start.sh STATE_DIR [CPUS] [PARTITION]}")
CPUS=${2:-2}
PARTITION=${3:-debug}
HERE=$(cd "$(dirname "$0")" && pwd)
TIMEOUT=${SLURM_START_TIMEOUT:-60}

[ "$(id -u)" = 0 ] || { echo "start.sh: needs root (the daemons run as root)" >&2; exit 1; }
for tool in munged mungekey mariadbd mariadb-install-db mariadb slurmdbd slurmctld slurmd \
            sinfo sacctmgr; do
  command -v "$tool" >/dev/null || { echo "start.sh: $tool not found; run install.sh" >&2; exit 1; }
done
if [ -e "$STATE/pids" ]; then
  echo "start.sh: $STATE/pids exists: a Slurm may be running there; stop.sh it first" >&2
  exit 1
fi
mkdir -p "$STATE"/{log,munge,ctld,slurmd,mysql}
: > "$STATE/pids"

read -r CTLD_PORT SLURMD_PORT DBD_PORT DB_PORT < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
PY
)
MEMORY_MB=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)

fill() {
  sed -e "s|@STATE@|$STATE|g" -e "s|@CTLD_PORT@|$CTLD_PORT|g" -e "s|@SLURMD_PORT@|$SLURMD_PORT|g" \
      -e "s|@DBD_PORT@|$DBD_PORT|g" -e "s|@DB_PORT@|$DB_PORT|g" -e "s|@CPUS@|$CPUS|g" \
      -e "s|@MEMORY_MB@|$MEMORY_MB|g" -e "s|@PARTITION@|$PARTITION|g" "$1" > "$2"
}
fill "$HERE/slurm.conf.in" "$STATE/slurm.conf"
fill "$HERE/slurmdbd.conf.in" "$STATE/slurmdbd.conf"
chmod 600 "$STATE/slurmdbd.conf"
export SLURM_CONF="$STATE/slurm.conf"
echo "export SLURM_CONF=$SLURM_CONF" > "$STATE/env"

start() {  # start NAME COMMAND...: a daemon in the foreground, in the background of this script
  local name=$1; shift
  setsid "$@" > "$STATE/log/$name.out" 2>&1 < /dev/null &
  echo "$name $!" >> "$STATE/pids"
}

wait_for() {  # wait_for WHAT COMMAND...: poll until COMMAND succeeds
  local what=$1; shift
  local deadline=$((SECONDS + TIMEOUT))
  until "$@" > /dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "start.sh: $what did not come up within ${TIMEOUT}s; logs in $STATE/log:" >&2
      tail -n 20 "$STATE"/log/* >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

# munge: a key of our own, on munge's default socket (Slurm's clients, sacctmgr included, only
# find munged there); a munged already running there is not ours to replace
MUNGE_SOCKET=/run/munge/munge.socket.2
if [ -S "$MUNGE_SOCKET" ] && munge -n -S "$MUNGE_SOCKET" >/dev/null 2>&1; then
  echo "start.sh: a munged is already running on $MUNGE_SOCKET; stop it first" >&2
  exit 1
fi
mkdir -p /run/munge
mungekey --create --keyfile="$STATE/munge/munge.key" --force >/dev/null 2>&1 \
  || mungekey -c -k "$STATE/munge/munge.key"
chmod 600 "$STATE/munge/munge.key"
start munged munged --foreground --force --key-file="$STATE/munge/munge.key" \
  --socket="$MUNGE_SOCKET" --pid-file="$STATE/munge/munged.pid" \
  --seed-file="$STATE/munge/munge.seed" --log-file="$STATE/log/munged.log"
wait_for munged munge -n -S "$MUNGE_SOCKET"

# MariaDB for slurmdbd, on 127.0.0.1:DB_PORT with its own data folder
mariadb-install-db --no-defaults --datadir="$STATE/mysql" --user=root \
  --auth-root-authentication-method=socket > "$STATE/log/mariadb-install.out" 2>&1
start mariadbd mariadbd --no-defaults --datadir="$STATE/mysql" --user=root \
  --socket="$STATE/mysql.sock" --port="$DB_PORT" --bind-address=127.0.0.1 \
  --pid-file="$STATE/mysql.pid" --log-error="$STATE/log/mariadb.log" --skip-log-bin \
  --innodb-buffer-pool-size=64M
wait_for mariadbd mariadb --no-defaults --socket="$STATE/mysql.sock" -u root -e "SELECT 1"
mariadb --no-defaults --socket="$STATE/mysql.sock" -u root <<'SQL'
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'yrdsim';
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'yrdsim';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
SQL

start slurmdbd slurmdbd -D
wait_for slurmdbd sacctmgr -n list cluster
start slurmctld slurmctld -D -i -f "$SLURM_CONF"
wait_for slurmctld scontrol ping
start slurmd slurmd -D -N localhost -f "$SLURM_CONF"
node_idle() { sinfo -h -N -n localhost -o %T | grep -qx idle; }
wait_for "the node (idle)" node_idle
# the controller registers the cluster with slurmdbd; sacct must answer before jobs are run
wait_for "accounting (cluster yrdsim)" bash -c "sacctmgr -n -P list cluster format=cluster | grep -qx yrdsim"
wait_for sacct sacct -n -X
echo "slurm up: partition $PARTITION, $CPUS CPUs, ${MEMORY_MB} MB; SLURM_CONF=$SLURM_CONF"
