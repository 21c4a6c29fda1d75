#!/bin/sh
# Schema-driven fuzzing of the built Worker with Schemathesis.
#
# Starts the Worker in workerd (tests/e2e/serve.mjs, fresh in-memory storage),
# fetches the document it serves at /api/v3/openapi.json and lets Schemathesis
# test every operation in it with every check it has (`--checks all`), in
# every phase (examples, coverage, fuzzing, stateful), with positive and
# negative data, as the admin token; GET /token, which answers the admin token
# 404 (it has no record), as an issued token holding the token capabilities,
# so that its 200 answers are fuzzed too. The seed and the number of examples
# are fixed, so a run is repeatable. tests/fuzz/schemathesis.toml holds the
# settings beyond the command line (the credentials, from FUZZ_ADMIN_TOKEN and
# FUZZ_READER_TOKEN, the one real cursor GET /tokens is fuzzed with,
# FUZZ_CURSOR, and the token whose trail GET /tokens/{id}/events is fuzzed
# with and a cursor of it, FUZZ_TRAIL_ID and FUZZ_TRAIL_CURSOR, which this
# script sets: cursors are opaque, signed and bound to their listing).
#
# Needs the Worker built in build/ and Schemathesis 4.32.5 on PATH
# (pip install schemathesis==4.32.5). Exits non-zero on any finding; the last
# line is `schemathesis: N passed, M failed`, where N counts the
# (operation, check) pairs that ran and never failed, and M the unique
# failures Schemathesis reports (any phase, stateful included) plus errors.
#
# FUZZ_SEED and FUZZ_EXAMPLES override the seed and the examples per operation;
# FUZZ_KEEP=<dir> keeps the reports (and the document tested) in <dir>.
set -eu
cd "$(dirname "$0")/../.."
root=$PWD

SCHEMATHESIS_VERSION=4.32.5
SEED=${FUZZ_SEED:-20251128}
EXAMPLES=${FUZZ_EXAMPLES:-60}
# A guard against a hung run, in seconds; a normal run takes about a minute.
TIME_LIMIT=${FUZZ_TIME_LIMIT:-300}

say() { printf 'fuzz: %s\n' "$*" >&2; }

if ! command -v schemathesis >/dev/null 2>&1; then
  say "schemathesis is not installed: pip install schemathesis==$SCHEMATHESIS_VERSION"
  exit 2
fi
installed=$(schemathesis --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p')
if [ "$installed" != "$SCHEMATHESIS_VERSION" ]; then
  say "warning: schemathesis $installed is installed; this script is pinned to $SCHEMATHESIS_VERSION"
fi
if [ ! -f build/index.js ]; then
  say "build/index.js is missing: build the Worker first (sh .ci/build-worker)"
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/edge-tokens-fuzz.XXXXXX")
server=
fuzzer=

stop_server() {
  [ -n "$server" ] || return 0
  # serve.mjs stops workerd on SIGTERM; give it a few seconds before SIGKILL.
  kill -TERM "$server" 2>/dev/null || true
  tries=0
  while kill -0 "$server" 2>/dev/null && [ "$tries" -lt 50 ]; do
    sleep 0.1
    tries=$((tries + 1))
  done
  kill -KILL "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=
}
cleanup() {
  if [ -n "$fuzzer" ]; then
    kill -TERM "$fuzzer" 2>/dev/null || true
    wait "$fuzzer" 2>/dev/null || true
  fi
  stop_server
  if [ -n "${FUZZ_KEEP:-}" ]; then
    mkdir -p "$FUZZ_KEEP"
    cp -R "$work/report" "$work/openapi.json" "$FUZZ_KEEP"/ 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

node tests/e2e/serve.mjs >"$work/serve.out" 2>"$work/serve.err" &
server=$!

tries=0
until grep -q '^{' "$work/serve.out" 2>/dev/null; do
  if ! kill -0 "$server" 2>/dev/null; then
    say "serve.mjs exited before it was ready:"
    cat "$work/serve.err" >&2
    exit 2
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 600 ]; then
    say "serve.mjs printed nothing in 60 s"
    exit 2
  fi
  sleep 0.1
done

field() {
  grep -m 1 '^{' "$work/serve.out" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
url=$(field url)
admin=$(field admin)

# The issued token GET /token is fuzzed with.
reader=$(python3 - "$url/api/v3/tokens" "$admin" <<'EOF'
import json, sys, urllib.request
body = json.dumps({"description": "fuzz", "capabilities": [
    {"endpoint": name} for name in ("tokensCreate", "tokensGetToken", "tokensDelete")]}).encode()
request = urllib.request.Request(sys.argv[1], data=body, method="POST",
    headers={"x-auth-token": sys.argv[2], "content-type": "application/json"})
with urllib.request.urlopen(request, timeout=30) as response:
    print(json.load(response)["token"])
EOF
) || { say "could not create the issued token for GET /token"; exit 2; }
# A cursor the service handed out: with a second token made, the admin's
# listing of one token a page has a second page.
cursor=$(python3 - "$url/api/v3/tokens" "$admin" <<'EOF'
import json, sys, urllib.request
headers = {"x-auth-token": sys.argv[2], "content-type": "application/json"}
body = json.dumps({"capabilities": [{"endpoint": "tokensGetToken"}]}).encode()
urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=body, method="POST", headers=headers), timeout=30)
with urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "?limit=1", headers=headers), timeout=30) as response:
    print(json.load(response)["cursor"])
EOF
) || { say "could not read a cursor of GET /tokens"; exit 2; }
# A trail with a second page: a token that made a child has two events (its
# own create and its child's); its id and the cursor of its trail's first page.
trail=$(python3 - "$url/api/v3/tokens" "$admin" <<'EOF'
import json, sys, urllib.request
def call(url, token, body=None):
    headers = {"x-auth-token": token, "content-type": "application/json"}
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method="GET" if body is None else "POST", headers=headers), timeout=30) as response:
        return json.load(response)
parent = call(sys.argv[1], sys.argv[2], {"capabilities": [{"endpoint": "tokensCreate"}, {"endpoint": "tokensGetToken"}]})
call(sys.argv[1], parent["token"], {"capabilities": [{"endpoint": "tokensGetToken"}]})
page = call(f"{sys.argv[1]}/{parent['id']}/events?limit=1", sys.argv[2])
print(parent["id"], page["cursor"])
EOF
) || { say "could not read a cursor of GET /tokens/{id}/events"; exit 2; }
FUZZ_ADMIN_TOKEN=$admin FUZZ_READER_TOKEN=$reader FUZZ_CURSOR=$cursor
FUZZ_TRAIL_ID=${trail%% *} FUZZ_TRAIL_CURSOR=${trail#* }
export FUZZ_ADMIN_TOKEN FUZZ_READER_TOKEN FUZZ_CURSOR FUZZ_TRAIL_ID FUZZ_TRAIL_CURSOR

# The document as the Worker serves it. Schemathesis reads it from a file:
# given the URL, it would leave out the operation that serves the document.
python3 - "$url/api/v3/openapi.json" "$work/openapi.json" <<'EOF'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=30) as response:
    open(sys.argv[2], "wb").write(response.read())
EOF

say "schemathesis $installed against $url/api/v3 (seed $SEED, $EXAMPLES examples per operation)"
limit=
if command -v timeout >/dev/null 2>&1; then
  limit="timeout $TIME_LIMIT"
fi
# Run from the scratch directory, so that nothing is written into the
# repository; in the background, so that a signal to this script stops it at
# once (the trap kills it).
(
  cd "$work"
  exec $limit schemathesis --config-file "$root/tests/fuzz/schemathesis.toml" run openapi.json \
    --url "$url/api/v3" \
    --checks all \
    --mode all \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$EXAMPLES" \
    --seed "$SEED" \
    --generation-database none \
    --continue-on-failure \
    --request-timeout 10 \
    --no-color \
    --report json,ndjson \
    --report-dir "$work/report"
) &
fuzzer=$!
status=0
wait "$fuzzer" || status=$?
fuzzer=
stop_server

# Tally: (operation, check) pairs that passed, and failures plus errors.
tally=$(python3 - "$work/report" <<'EOF'
import glob, json, os, sys
report = sys.argv[1]
ran, failed_pairs = set(), set()
for path in glob.glob(os.path.join(report, "*.ndjson")):
    for line in open(path, encoding="utf-8"):
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder") or {}
        label = recorder.get("label")
        for checks in (recorder.get("checks") or {}).values():
            for check in checks:
                pair = (label, check["name"])
                if check["status"] == "success":
                    ran.add(pair)
                elif check["status"] == "failure":
                    failed_pairs.add(pair)
failures = 0
runs = glob.glob(os.path.join(report, "*.json"))
for path in runs:
    run = json.load(open(path, encoding="utf-8"))
    failures += sum(failure.get("count", 1) for failure in run.get("failures", []))
    failures += len(run.get("errors", []))
if not runs:
    failures += 1  # no report: the run did not finish
print(len(ran - failed_pairs), failures)
EOF
) || tally="0 1"
passed=${tally% *}
failed=${tally#* }

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  say "schemathesis exited with status $status"
  failed=1
fi
echo "schemathesis: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
