#!/usr/bin/env bash
# The main job, end to end against the Zoom sandbox (no Zoom account, no
# network): start the sandbox, create and connect an OAuth2 credential through
# the real redirect flow, test it, create a Server-to-Server credential too,
# then run the example n8n workflows. Run it with `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-$PWD/bin}
DEMO=${DEMO_DIR:-$PWD/.demo}
rm -rf "$DEMO"
mkdir -p "$DEMO"
export NODEPLUG_DATA_DIR="$DEMO/data"
export NODEPLUG_PLUGIN_DIR="$BIN/plugins"
unset NODEPLUG_ENCRYPTION_KEY
NP="$BIN/nodeplug"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# wait_for FILE PATTERN [PID]: wait (up to 20 s) until FILE has a line
# matching PATTERN; give up at once if process PID has ended.
wait_for() {
  for _ in $(seq 1 200); do
    if grep -q "$2" "$1" 2>/dev/null; then return 0; fi
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then
      grep -q "$2" "$1" 2>/dev/null && return 0
      echo "the command ended before printing '$2':" >&2; cat "$1" >&2; return 1
    fi
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; return 1
}

# free_port: a loopback TCP port nobody listens on, from 8737 up.
free_port() {
  for p in $(seq 8737 8837); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "no free port between 8737 and 8837" >&2; return 1
}

# fetch URL: follow redirects like a browser would.
fetch() {
  if command -v curl >/dev/null; then curl -fsSL -o /dev/null "$1"
  elif command -v wget >/dev/null; then wget -q -O /dev/null "$1"
  else echo "need curl or wget to play the browser" >&2; return 1; fi
}

say "Start the Zoom sandbox"
"$BIN/nodeplug-zoom-sandbox" --addr 127.0.0.1:0 >"$DEMO/sandbox.out" 2>"$DEMO/sandbox.log" &
sandbox=$!
pids+=($sandbox)
wait_for "$DEMO/sandbox.out" "listening on" "$sandbox"
ZOOM=$(grep -o 'http://[0-9.:]*' "$DEMO/sandbox.out" | head -1)
echo "sandbox: $ZOOM"

say "Installed plugins"
"$NP" plugins

# The sandbox, like Zoom for loopback redirects, accepts any port; a real
# app needs the exact URL registered, so nodeplug's default is fixed.
export NODEPLUG_CALLBACK_URL=${NODEPLUG_CALLBACK_URL:-http://127.0.0.1:$(free_port)/oauth2/callback}

say "Create a Zoom OAuth2 credential (properties as JSON on stdin; secrets never on the command line)"
printf '{"environment":"custom","oauthBaseUrl":"%s","apiBaseUrl":"%s","clientId":"sandbox-oauth-client","clientSecret":"sandbox-oauth-secret"}' "$ZOOM" "$ZOOM" |
  "$NP" credentials create --type zoomOAuth2Api --name "Zoom account"

say "Connect it: authorization code + PKCE through the real redirect"
"$NP" credentials connect "Zoom account" >"$DEMO/connect.out" 2>&1 &
connect=$!
pids+=($connect)
wait_for "$DEMO/connect.out" "^http" "$connect"
cat "$DEMO/connect.out"
echo "(playing the browser: following the authorize URL)"
fetch "$(grep '^http' "$DEMO/connect.out" | head -1)"
wait "$connect"
tail -1 "$DEMO/connect.out"

say "Test it through the plugin over gRPC"
"$NP" credentials test "Zoom account"

say "A Server-to-Server OAuth credential (what Zoom recommends; n8n has none)"
printf '{"environment":"custom","oauthBaseUrl":"%s","apiBaseUrl":"%s","accountId":"sandbox-account","clientId":"sandbox-s2s-client","clientSecret":"sandbox-s2s-secret"}' "$ZOOM" "$ZOOM" |
  "$NP" credentials create --type zoomServerToServerOAuthApi --name "Zoom S2S"
"$NP" credentials test "Zoom S2S"

say "Credentials (never a secret)"
"$NP" credentials list

say "Run examples/zoom-create-meeting.json (an n8n export)"
"$NP" run examples/zoom-create-meeting.json

say "Run examples/zoom-meeting-lifecycle.json: create → get → update → getAll → delete"
"$NP" run examples/zoom-meeting-lifecycle.json --all

say "Execution history"
"$NP" executions list

echo
echo "Done. Data directory: $NODEPLUG_DATA_DIR (delete it freely)."
