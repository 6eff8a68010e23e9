#!/usr/bin/env bash
# Stop the daemons start.sh STATE_DIR started, by the process ids in their pid files.
STATE=$(realpath -m "${1:?usage: stop.sh STATE_DIR}")
for name in slurmd slurmctld slurmdbd mariadb munged; do
    pidfile="$STATE/$name.pid"
    if [ -f "$pidfile" ]; then
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$pidfile"
    fi
done
if [ -f "$STATE/created-links" ]; then
    xargs -r rm -f < "$STATE/created-links"
    rm -f "$STATE/created-links"
fi
