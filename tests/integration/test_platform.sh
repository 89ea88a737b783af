#!/usr/bin/env bash
# The control plane end to end, through the custos CLI, as its parties use
# it: each party has its own config directory, attests the platform against
# a manifest two auditors signed, logs in, and does its part of a
# multi-party echo task. Also: refusals the parties meet, a restart of
# custosd in the middle of the flow, the audit chain, and canaries that
# must never reach the database file.
. "$(dirname "$0")/lib.sh"
SIMTEE="$CUSTOS_BIN/custos-simtee"
CUSTOSD="$CUSTOS_BIN/custosd"

PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

wait_for() {
	for _ in $(seq 100); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

"$SIMTEE" --state-dir "$SCRATCH/st" 2>simtee.log &
PIDS+=($!)
for _ in $(seq 100); do [ -f st/root.pem ] && [ -S st/simtee.sock ] && break; sleep 0.1; done
SOCK="$SCRATCH/st/simtee.sock"
[ -S "$SOCK" ] || { echo "custos-simtee did not start: $(cat simtee.log)"; exit 1; }

printf 'CANARY-admin-pw-1\n' >admin.pw
# start_custosd: on a free port, the data directory kept across restarts; sets PID, PORT.
start_custosd() {
	: >custosd.log
	"$CUSTOSD" --data-dir "$SCRATCH/data" --listen 127.0.0.1:0 --tee sim --simtee "$SOCK" \
		--admin-password-file admin.pw >custosd.out 2>custosd.log &
	PID=$!
	PIDS+=("$PID")
	wait_for custosd.log "listening on 127\.0\.0\.1:[0-9]+$" || { echo "custosd did not start: $(cat custosd.log)"; exit 1; }
	PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' custosd.log)
}
start_custosd
grep -q "password" custosd.out && bad "custosd printed a password although one was given" || ok

# --- auditors, the manifest, and each party's settings ------------------------
for k in a1 a2; do expect_ok "auditor key $k" "$CUSTOS" key generate --algorithm ed25519 -o $k; done
expect_ok "manifest" "$CUSTOS" manifest create --role control:"$CUSTOSD" --allow-simulation \
	--simulation-root st/root.pem -o m.json
for k in a1 a2; do expect_ok "sign with $k" "$CUSTOS" manifest sign --key $k -o m.$k.sig m.json; done

# party NAME: settings of NAME in ./home/NAME.
party() {
	export CUSTOS_HOME="$SCRATCH/home/$1"
	"$CUSTOS" config set url "https://127.0.0.1:$PORT" &&
		"$CUSTOS" config set manifest "$SCRATCH/m.json" &&
		"$CUSTOS" config set signatures "$SCRATCH/m.a1.sig,$SCRATCH/m.a2.sig" &&
		"$CUSTOS" config set auditors "$SCRATCH/a1.pub,$SCRATCH/a2.pub" &&
		"$CUSTOS" config set threshold 2 &&
		"$CUSTOS" config set allow-simulation true
}
# as NAME CMD...: run custos as party NAME.
as() {
	local who=$1; shift
	CUSTOS_HOME="$SCRATCH/home/$who" "$CUSTOS" "$@"
}
for p in admin fo do1 do2 mgr eve; do expect_ok "settings of $p" party $p; done
unset CUSTOS_HOME
mode=$(stat -c %a home/admin)
[ "$mode" = 700 ] && ok || bad "the config directory has mode $mode, not 700"

expect_ok "admin logs in" as admin login --user admin --password-file admin.pw
printf 'wrong-password-1\n' >wrong.pw
expect_fail "wrong password" "invalid user or password" as admin login --user admin --password-file wrong.pw
expect_fail "unknown user, same answer" "invalid user or password" as admin login --user nobody --password-file wrong.pw

for u in fo do1 do2 eve; do printf 'CANARY-pw-%s-1\n' $u >$u.pw; done
printf 'CANARY-pw-mgr-1\n' >mgr.pw
expect_ok "register the function owner" as admin user register --user fo --role function-owner --password-file fo.pw
expect_ok "register data owner 1" as admin user register --user do1 --role data-owner --org acme --password-file do1.pw
expect_ok "register a manager" as admin user register --user mgr --role data-owner-manager --org beta --password-file mgr.pw
expect_ok "register eve" as admin user register --user eve --role data-owner --org acme --password-file eve.pw
expect_fail "duplicate user" "exists" as admin user register --user fo --role data-owner --password-file fo.pw
for u in fo do1 mgr eve; do expect_ok "$u logs in" as $u login --user $u --password-file $u.pw; done
expect_ok "the manager registers a data owner of its org" as mgr user register --user do2 --role data-owner --org beta --password-file do2.pw
expect_fail "a manager may not register outside its org" "forbidden|may not" as mgr user register --user x1 --role data-owner --org acme --password-file do2.pw
expect_fail "a data owner may not register users" "forbidden|may not" as do1 user register --user x2 --role data-owner --password-file do2.pw
expect_ok "do2 logs in" as do2 login --user do2 --password-file do2.pw

# --- the function, the files ---------------------------------------------------
expect_ok "register echo" as fo function register --name echo-CANARY --executor builtin --builtin echo \
	--arg message=hello --input a --input b --allow do1 --allow do2 --json
expect_json "function id" "j['id'].startswith('function-')"
FN=$(python3 -c "import json; print(json.load(open('$SCRATCH/.out'))['id'])")
expect_fail "data owners do not register functions" "forbidden|may not" as do1 function register --name x --executor builtin --builtin echo
expect_fail "an unknown builtin" "builtin" as fo function register --name x --executor builtin --builtin no-such-fn

for u in do1 do2; do
	expect_ok "$u key" "$CUSTOS" key generate -o $u.key
	printf 'CANARY-data-of-%s\n' $u >$u.txt
	expect_ok "$u encrypts" "$CUSTOS" file encrypt --key $u.key -i $u.txt -o $u.enc
	D=$(sha256sum $u.enc | cut -c1-64)
	expect_ok "$u registers an input" as $u file register-input --url "file://$SCRATCH/$u.enc" --key $u.key --digest "$D" --json
	expect_json "$u file id" "j['id'].startswith('file-')"
	eval "F_$u=\$(python3 -c \"import json; print(json.load(open('$SCRATCH/.out'))['id'])\")"
done
expect_fail "eve cannot see do1's file" "not_found|not found" as eve file get "$F_do1"
expect_fail "a function owner registers no files" "forbidden|may not" as fo file register-input --url "file://$SCRATCH/do1.enc" --key do1.key --digest "$(sha256sum do1.enc | cut -c1-64)"
as do1 file get "$F_do1" --json >file.json 2>&1
grep -q '"key"' file.json && bad "file get shows the key: $(cat file.json)" || ok

# --- the task -------------------------------------------------------------------
expect_ok "do1 creates a task" as do1 task create --function "$FN" --arg message=CANARY-arg-hello \
	--input a=do1 --input b=do2 --json
expect_json "task created" "j['id'].startswith('task-') and j['status'] == 'created'"
T=$(python3 -c "import json; print(json.load(open('$SCRATCH/.out'))['id'])")
expect_fail "eve cannot create a task of a function not allowed to her" "not_found|not found" as eve task create --function "$FN" --input a=eve --input b=eve
expect_fail "eve cannot see the task" "not_found|not found" as eve task get "$T"
expect_fail "invoke before the data" "invalid_state|state" as do1 task invoke "$T"
expect_fail "do1 cannot assign do2's slot" "forbidden|own" as do1 task assign "$T" --input b="$F_do1"
expect_ok "do1 assigns its file" as do1 task assign "$T" --input a="$F_do1"
expect_ok "do2 assigns its file" as do2 task assign "$T" --input b="$F_do2" --json
expect_json "data assigned" "j['status'] == 'data_assigned'"
expect_ok "do1 approves" as do1 task approve "$T"

# A restart in the middle: nothing is lost, tokens still work.
kill "$PID"; wait "$PID" 2>/dev/null
start_custosd
for p in admin fo do1 do2 mgr eve; do expect_ok "settings of $p after restart" party $p; done
unset CUSTOS_HOME
expect_ok "the task after a restart" as do2 task get "$T" --json
expect_json "do1's approval survived" "j['status'] == 'data_assigned' and j['approvals'] == ['do1']"
expect_fail "only do2's approval is missing: invoke refused" "invalid_state|state" as do1 task invoke "$T"
expect_ok "do2 approves" as do2 task approve "$T" --json
expect_json "approved" "j['status'] == 'approved'"
expect_fail "only the creator invokes" "forbidden|creator" as do2 task invoke "$T"
expect_ok "do1 invokes" as do1 task invoke "$T" --json
expect_ok "wait for the end" as do1 task get "$T" --wait 30 --json
expect_json "finished with the message" "j['status'] == 'finished' and j['result'] == 'CANARY-arg-hello'"
expect_fail "cancel after the end" "invalid_state|state" as do1 task cancel "$T"
expect_fail "assign after the end" "invalid_state|state" as do1 task assign "$T" --input a="$F_do1"

# Approvals are voided by a change.
expect_ok "a second task" as do1 task create --function "$FN" --input a=do1 --input b=do2 --json
T2=$(python3 -c "import json; print(json.load(open('$SCRATCH/.out'))['id'])")
expect_ok "assign a" as do1 task assign "$T2" --input a="$F_do1"
expect_ok "assign b" as do2 task assign "$T2" --input b="$F_do2"
expect_ok "do1 approves" as do1 task approve "$T2"
expect_ok "do2 approves" as do2 task approve "$T2"
expect_ok "do2 re-registers and re-assigns" as do2 file register-input --url "file://$SCRATCH/do2.enc" --key do2.key --digest "$(sha256sum do2.enc | cut -c1-64)" --json
F2=$(python3 -c "import json; print(json.load(open('$SCRATCH/.out'))['id'])")
expect_ok "the change" as do2 task assign "$T2" --input b="$F2" --json
expect_json "approvals voided" "j['status'] == 'data_assigned'"
expect_ok "get" as do1 task get "$T2" --json
expect_json "no approval counts" "j['approvals'] == []"
expect_fail "invoke refused" "invalid_state|state" as do1 task invoke "$T2"
expect_ok "cancel" as do2 task cancel "$T2" --json
expect_json "canceled" "j['status'] == 'canceled'"

# --- 32 clients at once, 200 calls each -----------------------------------------
expect_ok "a public function for the load" as fo function register --name load --executor builtin \
	--builtin echo --arg message=x --public --json
LFN=$(python3 -c "import json; print(json.load(open('$SCRATCH/.out'))['id'])")
expect_ok "32 concurrent clients x 200 calls without an error" "$CUSTOS_BIN/platform-load" \
	"https://127.0.0.1:$PORT" m.json m.a1.sig,m.a2.sig a1.pub,a2.pub 2 do1 do1.pw "$LFN" 32 200
cat .out

# --- the audit log --------------------------------------------------------------
expect_ok "audit verify" as admin audit verify --json
expect_json "the chain holds" "j['ok'] is True and j['count'] > 30"
expect_ok "audit list" as admin audit list --json
expect_json "the log names the approvals" "any(r['action'] == 'task.approve' and r['user'] == 'do2' for r in j['records'])"
expect_fail "only the admin reads the log" "forbidden|admin" as do1 audit verify

# --- canaries -------------------------------------------------------------------
kill "$PID"; wait "$PID" 2>/dev/null
for f in data/store.db*; do
	if grep -aq CANARY "$f"; then bad "canary bytes in $f"; else ok; fi
done
finish
