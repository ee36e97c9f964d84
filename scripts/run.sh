#!/usr/bin/env bash
# Started by `make run`: database + demo users, the Xero sandbox (demo mode only), the worker,
# and Streamlit, all listening on 127.0.0.1 unless HOST says otherwise. One run per run
# directory (a lock file), so a second `make run` never truncates the first one's logs or
# rewrites its sandbox state. A worker that stops is restarted (a few times); Streamlit or the
# sandbox stopping, or Ctrl-C, stops everything this script started, saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
PORT=${PORT:-8501}
SANDBOX_PORT=${SANDBOX_PORT:-8765}
HOST=${HOST:-127.0.0.1}  # Streamlit's address; the sandbox always listens on 127.0.0.1
RUN_DIR=${XEROFLOW_RUN_DIR:-data}  # logs, the sandbox state file and the lock
WORKER_RESTARTS=3
EXIT_DATABASE_GONE=3  # xeroflow_core.worker.EXIT_DATABASE_GONE
mkdir -p "$RUN_DIR"
LOCK="$RUN_DIR/run.pid"

# --- one run per run directory ---------------------------------------------------------------
write_lock() { ( set -o noclobber; echo "$$" > "$LOCK" ) 2>/dev/null; }
if ! write_lock; then
  other=$(cat "$LOCK" 2>/dev/null || true)
  if [[ "$other" =~ ^[0-9]+$ ]] && kill -0 "$other" 2>/dev/null \
      && ps -p "$other" -o args= 2>/dev/null | grep -q "run.sh"; then
    echo "XeroFlow is already running from this folder (make run, pid $other, files in $RUN_DIR)." >&2
    echo "Stop it first (Ctrl-C in its terminal), or start this one with its own" \
         "XEROFLOW_RUN_DIR, DATABASE_URL, PORT and SANDBOX_PORT." >&2
    exit 1
  fi
  rm -f "$LOCK"  # left by a run that was killed
  if ! write_lock; then
    echo "Another make run is starting in $RUN_DIR at this moment; try again." >&2
    exit 1
  fi
fi

sandbox_pid="" worker_pid="" streamlit_pid=""
cleanup() {
  trap - INT TERM EXIT
  for pid in $sandbox_pid $worker_pid $streamlit_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$(cat "$LOCK" 2>/dev/null)" = "$$" ]; then rm -f "$LOCK"; fi
  echo "XeroFlow stopped."
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

"$BIN/python" -m xeroflow_core setup

if [ -z "${XERO_CLIENT_ID:-}" ]; then
  export XEROFLOW_SANDBOX_URL="http://127.0.0.1:${SANDBOX_PORT}"
  export XERO_REDIRECT_URI="${XERO_REDIRECT_URI:-http://localhost:${PORT}/connect}"
  # The sandbox's test controls and console answer only to this run's key (or yours).
  sandbox_key="${XEROFLOW_SANDBOX_KEY:-$("$BIN/python" -c \
      'import secrets; print(secrets.token_urlsafe(24))')}"
  XERO_SANDBOX_KEY="$sandbox_key" \
    "$BIN/python" -m xero_sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" \
      --test-controls --state-file "$RUN_DIR/sandbox.pickle" > "$RUN_DIR/sandbox.log" 2>&1 &
  sandbox_pid=$!
  echo "Xero sandbox (demo mode) on $XEROFLOW_SANDBOX_URL (pid $sandbox_pid); log in $RUN_DIR/sandbox.log"
  echo "Play the bookkeeper in Xero: $XEROFLOW_SANDBOX_URL/_sandbox/console?key=$sandbox_key"
  echo "Sandbox test controls: header X-Sandbox-Key: $sandbox_key"
fi

start_worker() {  # $1: > for a fresh log, >> to keep what the last worker wrote
  if [ "$1" = ">" ]; then : > "$RUN_DIR/worker.log"; fi
  "$BIN/python" -m xeroflow_core worker >> "$RUN_DIR/worker.log" 2>&1 &
  worker_pid=$!
}
start_worker ">"
echo "Worker started (pid $worker_pid); log in $RUN_DIR/worker.log"

echo
echo "XeroFlow: http://localhost:${PORT}"
echo "Demo logins: admin / partner / staff, password xeroflow-demo"
if [ "$HOST" != "127.0.0.1" ] && [ "$HOST" != "localhost" ]; then
  echo "Warning: Streamlit listens on $HOST: anyone who can reach this machine can sign in" \
       "(the demo passwords are public)."
fi
echo "Press Ctrl-C to stop."
"$BIN/streamlit" run app.py --server.address "$HOST" --server.port "$PORT" \
    --server.headless true --browser.gatherUsageStats false &
streamlit_pid=$!

# --- watch: say what stopped, restart the worker, stop everything for the others ------------
exit_code() {  # the exit status of a child that has stopped
  local rc=0
  wait "$1" 2>/dev/null || rc=$?
  echo "$rc"
}
restarts=0
while :; do
  sleep 1 || true
  if ! kill -0 "$streamlit_pid" 2>/dev/null; then
    echo "Streamlit stopped (exit code $(exit_code "$streamlit_pid")); stopping XeroFlow." >&2
    exit 1
  fi
  if [ -n "$sandbox_pid" ] && ! kill -0 "$sandbox_pid" 2>/dev/null; then
    echo "The Xero sandbox stopped (exit code $(exit_code "$sandbox_pid"));" \
         "see $RUN_DIR/sandbox.log. Stopping XeroFlow." >&2
    exit 1
  fi
  if ! kill -0 "$worker_pid" 2>/dev/null; then
    rc=$(exit_code "$worker_pid")
    if [ "$rc" = "$EXIT_DATABASE_GONE" ]; then
      echo "The worker stopped: the database file was deleted while XeroFlow ran" \
           "(see $RUN_DIR/worker.log). Stopping XeroFlow; run make run again for a new one." >&2
      exit 1
    fi
    if [ "$restarts" -ge "$WORKER_RESTARTS" ]; then
      echo "The worker stopped again (exit code $rc) after $restarts restarts;" \
           "see $RUN_DIR/worker.log. Stopping XeroFlow." >&2
      exit 1
    fi
    restarts=$((restarts + 1))
    echo "The worker stopped (exit code $rc; see $RUN_DIR/worker.log);" \
         "restarting it ($restarts of $WORKER_RESTARTS)." >&2
    start_worker ">>"
    echo "Worker restarted (pid $worker_pid)."
  fi
done
