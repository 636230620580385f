#!/usr/bin/env bash
# Stop the Slurm that start.sh started in STATE_DIR: only the processes listed in
# STATE_DIR/pids (and their process groups), in reverse order; TERM, then KILL after 10 s.
# Usage: stop.sh STATE_DIR
set -uo pipefail
STATE=$(realpath -m "${1:?usage: stop.sh STATE_DIR}")
[ -f "$STATE/pids" ] || { echo "stop.sh: no $STATE/pids: nothing to stop"; exit 0; }
if [ -f "$STATE/slurm.conf" ]; then  # cancel what is left and let slurmd end its steps
  export SLURM_CONF="$STATE/slurm.conf"
  timeout 10 scancel --user=root >/dev/null 2>&1 || true
  for _ in $(seq 60); do
    [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
    sleep 0.5
  done
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
# a job step whose slurmd was killed: its slurmstepd carries this Slurm's SLURM_CONF
for proc in /proc/[0-9]*; do
  if [ "$(cat "$proc/comm" 2>/dev/null)" = slurmstepd ] &&
     tr '\0' '\n' < "$proc/environ" 2>/dev/null | grep -qx "SLURM_CONF=$STATE/slurm.conf"; then
    echo "stop.sh: ending a left-over slurmstepd (${proc#/proc/})" >&2
    kill -KILL "${proc#/proc/}" 2>/dev/null || true
  fi
done
mv "$STATE/pids" "$STATE/pids.stopped"
echo "slurm stopped"
