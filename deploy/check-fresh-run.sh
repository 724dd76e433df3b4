#!/bin/bash
# `make run` on a machine without the sandbox: removes Debian's bubblewrap (as root; it is
# put back by `make run` itself), serves a fresh clone of this repository on port 8199,
# creates a lead, a room and a candidate, and runs Python as the candidate. Prints what the
# server said and the run's status and output. It changes the machine: run it where removing
# bubblewrap for a minute harms nobody (docs/runner.md, "On a fresh machine").
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
apt-get remove -y -qq bubblewrap >/dev/null 2>&1
echo "bwrap before: $(command -v bwrap || echo absent); dpkg: $(dpkg -s bubblewrap 2>&1 | grep Status || echo not installed)"
d=$(mktemp -d) && git clone -q "$repo" $d/app && cd $d/app
( make run PORT=8199 > $d/run.log 2>&1 & echo $! > $d/pid )
for i in $(seq 300); do curl -s -o /dev/null http://127.0.0.1:8199/healthz && break; sleep 1; done
echo "served after ${i}s; bwrap now: $(command -v bwrap || echo absent)"
grep -i "install\|bubblewrap\|runs" $d/run.log | head -5
CODEPAIR_PASSWORD=fresh-machine-pw1 .venv/bin/codepair create-user lead@example.com --name Lead --role lead
python3 - <<'PY'
import json, urllib.request, time
B="http://127.0.0.1:8199"
def call(method, path, body=None, token=None):
    req = urllib.request.Request(B+path, method=method, data=json.dumps(body).encode() if body is not None else None, headers={"content-type":"application/json", **({"authorization":"Bearer "+token} if token else {})})
    return json.load(urllib.request.urlopen(req))
t = call("POST","/api/auth/login",{"email":"lead@example.com","password":"fresh-machine-pw1"})["access_token"]
print("languages:", {k: call("GET","/api/languages",token=t).get(k) for k in ("runs_off","unavailable")})
room = call("POST","/api/rooms",{"candidate_name":"Fresh"},t)
j = call("POST","/api/join",{"invite_token":room["invite_token"],"name":"Fresh"})
run = call("POST",f"/api/rooms/{room['id']}/runs",{"language":"python","code":"print(sum(range(10)))"},j["token"])
for _ in range(60):
    if run["status"] not in ("queued","running"): break
    time.sleep(0.5); run = call("GET",f"/api/rooms/{room['id']}/runs/{run['id']}",token=j["token"])
print("candidate's run:", run["status"], repr(run["stdout"]))
PY
pkill -f "codepair serve --host 127.0.0.1 --port 8199"; sleep 1
cd /; rm -rf $d
