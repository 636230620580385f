#!/usr/bin/env bash
# Stop the Slurm that start.sh started in STATE_DIR: only the processes listed in
# STATE_DIR/pids (and their process groups), in reverse order; TERM, then KILL after 10 s.
# Usage: stop.sh STATE_DIR
set -uo pipefail
STATE=$(realpath -m "${1:?usage: stop.sh STATE_DIR}")
[ -f "$STATE/pids" ] || { echo "stop.sh: no $STATE/pids: nothing to stop"; exit 0; }
if [ -f "$STATE/slurm.conf" ]; then  # cancel what is left so slurmstepd does not linger
  SLURM_CONF="$STATE/slurm.conf" timeout 10 scancel --user=root --full >/dev/null 2>&1 || true
fi
mapfile -t lines < <(tac "$STATE/pids")
for line in "${lines[@]}"; do
  read -r name pid <<< "$line"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
done
for line in "${lines[@]}"; do
  read -r name pid <<< "$line"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "stop.sh: $name ($pid) did not stop on TERM; KILL" >&2
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
done
mv "$STATE/pids" "$STATE/pids.stopped"
echo "slurm stopped"
