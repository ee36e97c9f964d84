#!/usr/bin/env bash
# Before the first release only: rebuild migrations/versions/0001_initial_schema.py from the
# models (nothing is deployed yet, so one initial revision is kept). After the first release,
# use `make migration MSG=...` to add revisions instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -u /tmp/xeroflow-regen-XXXX.db)
rm -f migrations/versions/0001_initial_schema.py
DATABASE_URL="sqlite:///$tmp" .venv/bin/alembic revision --autogenerate -m "initial schema" --rev-id 0001 >/dev/null
rm -f "$tmp"
echo "regenerated migrations/versions/0001_initial_schema.py"
