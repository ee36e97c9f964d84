#!/usr/bin/env bash
# Started by `make run`: database + demo users, the Xero sandbox (demo mode only), the worker,
# and Streamlit. Ctrl-C (or any of them exiting) stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
PORT=${PORT:-8501}
SANDBOX_PORT=${SANDBOX_PORT:-8765}
RUN_DIR=${XEROFLOW_RUN_DIR:-data}  # logs and the sandbox state file
mkdir -p "$RUN_DIR"

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "XeroFlow stopped."
}
trap cleanup INT TERM EXIT

"$BIN/python" -m xeroflow_core setup

if [ -z "${XERO_CLIENT_ID:-}" ]; then
  export XEROFLOW_SANDBOX_URL="http://127.0.0.1:${SANDBOX_PORT}"
  export XERO_REDIRECT_URI="${XERO_REDIRECT_URI:-http://localhost:${PORT}/connect}"
  # The sandbox's test controls and console answer only to this run's key (or yours).
  sandbox_key="${XEROFLOW_SANDBOX_KEY:-$("$BIN/python" -c \
      'import secrets; print(secrets.token_urlsafe(24))')}"
  XEROFLOW_SANDBOX_KEY="$sandbox_key" \
    "$BIN/python" -m xeroflow_core sandbox --port "$SANDBOX_PORT" --test-controls \
      --state-file "$RUN_DIR/sandbox.pickle" > "$RUN_DIR/sandbox.log" 2>&1 &
  pids+=($!)
  echo "Xero sandbox (demo mode) on $XEROFLOW_SANDBOX_URL; log in $RUN_DIR/sandbox.log"
  echo "Play the bookkeeper in Xero: $XEROFLOW_SANDBOX_URL/_sandbox/console?key=$sandbox_key"
  echo "Sandbox test controls: header X-Sandbox-Key: $sandbox_key"
fi

"$BIN/python" -m xeroflow_core worker > "$RUN_DIR/worker.log" 2>&1 &
pids+=($!)
echo "Worker started; log in $RUN_DIR/worker.log"

echo
echo "XeroFlow: http://localhost:${PORT}"
echo "Demo logins: admin / partner / staff, password xeroflow-demo"
echo "Press Ctrl-C to stop."
"$BIN/streamlit" run app.py --server.port "$PORT" --server.headless true \
    --browser.gatherUsageStats false &
pids+=($!)
wait -n "${pids[@]}"
