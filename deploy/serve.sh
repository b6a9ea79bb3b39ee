#!/usr/bin/env bash
# Serve optiviz to a class: N `streamlit run` processes on loopback ports behind nginx, which
# listens on OPTIVIZ_LISTEN and keeps each browser on one process (deploy/nginx.conf).
#   deploy/serve.sh [start]   start (stops a previous run first), wait until all answer
#   deploy/serve.sh stop      stop every process this script started (by the PIDs it wrote)
# Settings (environment): OPTIVIZ_PROCESSES (default: the number of cores), OPTIVIZ_LISTEN
# (default 0.0.0.0:8500), OPTIVIZ_FIRST_PORT (default 8601: the processes take this port and
# the next ones), OPTIVIZ_RUN_DIR (default .serve: PIDs, logs, nginx's files), PY (python).
set -euo pipefail
cd "$(dirname "$0")/.."
processes=${OPTIVIZ_PROCESSES:-$(nproc)}
listen=${OPTIVIZ_LISTEN:-0.0.0.0:8500}
first_port=${OPTIVIZ_FIRST_PORT:-8601}
run_dir=$(realpath -m "${OPTIVIZ_RUN_DIR:-.serve}")
py=${PY:-.venv/bin/python}

stop() {
    local pid_file
    for pid_file in "$run_dir"/*.pid; do
        [ -f "$pid_file" ] || continue
        kill "$(cat "$pid_file")" 2>/dev/null || true
        rm -f "$pid_file"
    done
}

wait_for() {  # wait_for URL: until it answers 200, at most 60 s
    "$py" - "$1" <<'PY'
import sys, time, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2) as answer:
            if answer.status == 200:
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(f"serve: {sys.argv[1]} did not answer within 60 s")
    time.sleep(0.2)
PY
}

if [ "${1:-start}" = stop ]; then
    stop
    exit 0
fi
stop
mkdir -p "$run_dir"
# one cookie secret for all processes (any of them accepts a browser's XSRF cookie), passed
# in the environment, not on command lines that `ps` shows
STREAMLIT_SERVER_COOKIE_SECRET=$("$py" -c "import secrets; print(secrets.token_hex(32))")
export STREAMLIT_SERVER_COOKIE_SECRET
: >"$run_dir/upstreams.conf"
for ((i = 0; i < processes; i++)); do
    port=$((first_port + i))
    "$py" -m streamlit run app.py --server.port "$port" --server.address 127.0.0.1 \
        >"$run_dir/app-$port.log" 2>&1 &
    echo $! >"$run_dir/app-$port.pid"
    echo "server 127.0.0.1:$port;" >>"$run_dir/upstreams.conf"
done
sed -e "s|@LISTEN@|$listen|" -e "s|@UPSTREAMS@|$run_dir/upstreams.conf|" deploy/nginx.conf >"$run_dir/nginx.conf"
for ((i = 0; i < processes; i++)); do
    wait_for "http://127.0.0.1:$((first_port + i))/_stcore/health"
done
nginx -p "$run_dir/" -c "$run_dir/nginx.conf"  # daemonizes; its PID goes to nginx.pid
wait_for "http://${listen/0.0.0.0/127.0.0.1}/_stcore/health"
echo "optiviz: $processes processes behind nginx on http://$listen (stop: make stop)"
