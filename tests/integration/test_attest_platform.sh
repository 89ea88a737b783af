#!/usr/bin/env bash
# custos attest against a running custosd on the simulated TEE: a manifest
# signed by k auditors, attested TLS to the platform, and every way the
# client must refuse (manifest, policy, simulation, binary, plain TLS,
# nothing listening). Also custosd's start-up errors, SIGTERM, and
# certificate renewal without dropping service.
. "$(dirname "$0")/lib.sh"
SIMTEE="$CUSTOS_BIN/custos-simtee"
CUSTOSD="$CUSTOS_BIN/custosd"
command -v openssl >/dev/null || { echo "openssl is missing (scripts/install-deps)"; exit 1; }

PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

# wait_for FILE PATTERN: until FILE matches PATTERN, at most 10 s.
wait_for() {
	for _ in $(seq 100); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# start_custosd NAME BINARY [ARGS...]: run a custosd on a free port; sets PID and PORT.
start_custosd() {
	local name=$1 bin=$2; shift 2
	"$bin" --data-dir "$SCRATCH/$name.d" --listen 127.0.0.1:0 --tee sim --simtee "$SOCK" "$@" \
		2>"$name.log" >"$name.out" &
	PID=$!
	PIDS+=("$PID")
	PORT=
	wait_for "$name.log" "listening on 127\.0\.0\.1:[0-9]+$" || { bad "$name did not start: $(cat "$name.log")"; return 1; }
	PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$name.log")
}

# --- the simulated TEE and the platform ---------------------------------------
"$SIMTEE" --state-dir "$SCRATCH/st" 2>simtee.log &
PIDS+=($!)
for _ in $(seq 100); do [ -f st/root.pem ] && [ -S st/simtee.sock ] && break; sleep 0.1; done
SOCK="$SCRATCH/st/simtee.sock"
[ -S "$SOCK" ] || { echo "custos-simtee did not start: $(cat simtee.log)"; exit 1; }

# The renewing platform starts first: its first certificate expires while the rest runs.
start_custosd renew "$CUSTOSD" --cert-lifetime 6 || exit 1
RENEW_PID=$PID RENEW_PORT=$PORT
# A connection made before the renewal keeps its certificate, and
# /v1/attestation on it reports that certificate, not the newer one.
cat >keepalive.py <<'PY'
import http.client, json, ssl, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
def get():
    c.request("GET", "/v1/attestation")
    r = c.getresponse()
    return r.status, json.loads(r.read())
status, j = get()
peer = c.sock.getpeercert(binary_form=True)
assert status == 200 and ssl.PEM_cert_to_DER_cert(j["certificate"]) == peer, "first reply"
deadline = time.time() + 15
while "renewed the certificate" not in open(log).read():
    assert time.time() < deadline, "no renewal"
    time.sleep(0.05)
status, j = get()
assert c.sock.getpeercert(binary_form=True) == peer, "the connection was not kept"
if status == 200:
    assert ssl.PEM_cert_to_DER_cert(j["certificate"]) == peer, "the reply names another certificate"
else:
    assert status == 503 and j["error"]["code"] == "certificate_expired", (status, j)
print("ok", status)
PY
python3 keepalive.py "$RENEW_PORT" renew.log >keepalive.out 2>&1 &
KEEPALIVE_PID=$!
start_custosd main "$CUSTOSD" || exit 1
MAIN_PID=$PID MAIN_PORT=$PORT

# --- auditors and manifests ---------------------------------------------------
for k in a1 a2 a3; do expect_ok "auditor key $k" "$CUSTOS" key generate --algorithm ed25519 -o $k; done
mkman() { # mkman NAME ARGS...: create NAME.json and sign it with a1, a2 and a3
	local n=$1; shift
	expect_ok "manifest $n" "$CUSTOS" manifest create "$@" -o $n.json
	for k in a1 a2 a3; do expect_ok "sign $n with $k" "$CUSTOS" manifest sign --key $k -o $n.$k.sig $n.json; done
}
SIMARGS=(--allow-simulation --simulation-root st/root.pem)
mkman m --role control:"$CUSTOSD" "${SIMARGS[@]}"
mkman other --role control:"$CUSTOS" "${SIMARGS[@]}"
mkman nosim --role control:"$CUSTOSD" --tee sgx
mkman worker --role worker:"$CUSTOSD" "${SIMARGS[@]}"

# A NAME ARGS...: attest a platform with manifest NAME.json, k=2 of a1 and a2.
A() {
	local n=$1; shift
	"$CUSTOS" attest "https://127.0.0.1:$PORT" --manifest $n.json --signature $n.a1.sig \
		--signature $n.a2.sig --auditor a1.pub --auditor a2.pub --threshold 2 "$@"
}
MEAS=$(sha384sum "$CUSTOSD" | cut -c1-96)

# --- accepted -----------------------------------------------------------------
PORT=$MAIN_PORT
expect_ok "attest, k=2, simulation allowed" A m --allow-simulation
grep -q "SIMULATED — INSECURE" .out && ok || bad "attest does not say loudly that the platform is simulated: $(cat .out)"
grep -q "$MEAS" .out && ok || bad "attest does not print custosd's measurement"
grep -q "a1.pub" .out && grep -q "a2.pub" .out && ok || bad "attest does not name the auditors"
grep -qE "tcb status: +NotApplicable" .out && grep -qE "role: +control" .out && ok || bad "attest: TCB status or role: $(cat .out)"
expect_ok "attest --json" A m --allow-simulation --json
expect_json "attest --json fields" "j['tee'] == 'sim' and j['simulated'] is True and j['measurement'] == '$MEAS' and j['tcb_status'] == 'NotApplicable' and j['role'] == 'control' and sorted(x['file'] for x in j['auditors']) == ['a1.pub', 'a2.pub'] and all(len(x['key_id']) == 64 for x in j['auditors'])"
expect_ok "k=1 of three trusted auditors" "$CUSTOS" attest "https://127.0.0.1:$PORT" --manifest m.json --signature m.a3.sig --auditor a1.pub --auditor a2.pub --auditor a3.pub --threshold 1 --allow-simulation

# --- custos ratls inspect on the certificate custosd serves ---------------------
openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null | openssl x509 -out served.pem 2>/dev/null
expect_ok "ratls inspect with the simulation root" "$CUSTOS" ratls inspect served.pem --sim-root st/root.pem --json
expect_json "ratls inspect fields" "j['tee'] == 'sim' and j['authentic'] and j['key_bound'] and j['measurement'] == '$MEAS' and j['extensions'] == ['dice']"
expect_fail "ratls inspect without a pinned simulation root" "no simulation root is pinned" "$CUSTOS" ratls inspect served.pem
"$SIMTEE" --state-dir "$SCRATCH/st2" 2>simtee2.log &
PIDS+=($!)
for _ in $(seq 100); do [ -f st2/root.pem ] && break; sleep 0.1; done
expect_fail "ratls inspect with another simtee's root" "not the pinned one" "$CUSTOS" ratls inspect served.pem --sim-root st2/root.pem

# --- the manifest is refused --------------------------------------------------
expect_fail "under-signed: k=2, one signature" "1 of the 2 required" \
	"$CUSTOS" attest "https://127.0.0.1:$PORT" --manifest m.json --signature m.a1.sig --auditor a1.pub --auditor a2.pub --threshold 2 --allow-simulation
expect_fail "no signatures" "0 of the 2 required" \
	"$CUSTOS" attest "https://127.0.0.1:$PORT" --manifest m.json --auditor a1.pub --auditor a2.pub --threshold 2 --allow-simulation
expect_fail "unknown auditor's signature does not count" "1 of the 2 required" \
	"$CUSTOS" attest "https://127.0.0.1:$PORT" --manifest m.json --signature m.a1.sig --signature m.a3.sig --auditor a1.pub --auditor a2.pub --threshold 2 --allow-simulation
expect_fail "only an unknown auditor signed" "0 of the 1 required" \
	"$CUSTOS" attest "https://127.0.0.1:$PORT" --manifest m.json --signature m.a3.sig --auditor a1.pub --threshold 1 --allow-simulation
expect_fail "zero threshold" "threshold wants 1" \
	"$CUSTOS" attest "https://127.0.0.1:$PORT" --manifest m.json --signature m.a1.sig --auditor a1.pub --threshold 0
expect_fail "unsigned manifest, json" "0 of the 2 required" \
	"$CUSTOS" attest "https://127.0.0.1:$PORT" --manifest m.json --auditor a1.pub --auditor a2.pub --threshold 2 --allow-simulation --json
expect_json "json error" "'error' in j"
sed 's/"UpToDate"/"OutOfDate"/' m.json >tampered.json
expect_fail "tampered manifest" "0 of the 2 required" \
	"$CUSTOS" attest "https://127.0.0.1:$PORT" --manifest tampered.json --signature m.a1.sig --signature m.a2.sig --auditor a1.pub --auditor a2.pub --threshold 2 --allow-simulation
expect_fail "a role the manifest lacks" "no role 'control'" A worker --allow-simulation
expect_ok "the worker role of that manifest" A worker --allow-simulation --role worker
expect_fail "http:// URL" "https://" "$CUSTOS" attest "http://127.0.0.1:$PORT" --manifest m.json --signature m.a1.sig --auditor a1.pub --threshold 1

# --- the platform is refused --------------------------------------------------
expect_fail "manifest measures another binary" "refused: .*does not accept measurement" A other --allow-simulation
expect_fail "client without --allow-simulation" "refused: .*this client refuses .*without --allow-simulation" A m
expect_fail "manifest without simulation" "refused: .*manifest does not allow" A nosim --allow-simulation
expect_fail "manifest without simulation, client without it either" "refused: .*without --allow-simulation" A nosim

# A modified custosd: the same program with bytes appended measures differently.
cp "$CUSTOSD" custosd-mod && printf 'modified' >>custosd-mod && chmod +x custosd-mod
if start_custosd mod "$SCRATCH/custosd-mod"; then
	expect_fail "modified custosd binary" "refused: .*does not accept measurement" A m --allow-simulation
	kill "$PID"
fi

# An ordinary TLS server with an ordinary certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout plain.key \
	-out plain.crt -days 1 -subj /CN=plain >/dev/null 2>&1
openssl s_server -accept 127.0.0.1:0 -www -key plain.key -cert plain.crt >plain.log 2>&1 </dev/null &
PIDS+=($!)
PLAIN_PID=$!
if wait_for plain.log "^ACCEPT"; then
	PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' plain.log)
	expect_fail "plain TLS server" "refused: no RA-TLS evidence extension" A m --allow-simulation
else
	bad "openssl s_server did not start: $(cat plain.log)"
fi
kill "$PLAIN_PID"
wait "$PLAIN_PID" 2>/dev/null
# Its port is free now: nothing listens there.
expect_fail "closed port" "cannot reach https://127.0.0.1:$PORT" A m --allow-simulation

# --- custosd's own errors (one line each with --log-level error) --------------
D() { "$CUSTOSD" --tee sim --simtee "$SOCK" --log-level error "$@"; }
expect_fail "address in use" "cannot listen on 127.0.0.1:$MAIN_PORT: " \
	D --data-dir "$SCRATCH/busy.d" --listen 127.0.0.1:$MAIN_PORT
expect_fail "no custos-simtee" "cannot reach custos-simtee at $SCRATCH/nosock" \
	"$CUSTOSD" --tee sim --simtee "$SCRATCH/nosock" --log-level error --data-dir "$SCRATCH/x.d" --listen 127.0.0.1:0
expect_fail "no socket at all" "needs --simtee" \
	env -u CUSTOS_SIMTEE_SOCKET "$CUSTOSD" --tee sim --log-level error --data-dir "$SCRATCH/x.d" --listen 127.0.0.1:0
mkdir -m 755 open.d
expect_fail "data directory others may read" "mode 0700" D --data-dir "$SCRATCH/open.d" --listen 127.0.0.1:0
expect_fail "data directory in use" "another custosd" D --data-dir "$SCRATCH/main.d" --listen 127.0.0.1:0
expect_fail "bad --tee" "tee wants sim, sgx or tsm" D --data-dir x.d --listen 127.0.0.1:0 --tee foo
expect_fail "bad --cert-lifetime" "cert-lifetime wants" D --data-dir x.d --listen 127.0.0.1:0 --cert-lifetime 86401
expect_fail "bad --listen" "listen wants HOST:PORT" D --data-dir "$SCRATCH/y.d" --listen nowhere
[ "$(stat -c %a "$SCRATCH/main.d")" = 700 ] && ok || bad "the data directory was not made 0700"

# --- renewal ------------------------------------------------------------------
# The first certificate of the renewing platform lived 6 s; wait until it has
# expired and been replaced, then attest again.
PORT=$RENEW_PORT
FIRST_UNTIL=$(sed -n 's/.*info: certificate: .*valid until \(.*\)$/\1/p' renew.log | head -1)
until_s=$(date -d "$FIRST_UNTIL" +%s)
for _ in $(seq 120); do [ "$(date +%s)" -gt "$until_s" ] && grep -q "renewed the certificate" renew.log && break; sleep 0.1; done
grep -q "renewed the certificate" renew.log && ok || bad "custosd --cert-lifetime 6 did not renew: $(cat renew.log)"
[ "$(date +%s)" -gt "$until_s" ] && ok || bad "the first certificate did not expire in time"
expect_ok "attest after the first certificate expired" A m --allow-simulation --json
expect_json "a renewed certificate" "j['not_after'] > '$FIRST_UNTIL'"
wait "$KEEPALIVE_PID" && ok || bad "a connection across the renewal: $(cat keepalive.out)"

# --- SIGTERM ------------------------------------------------------------------
for p in "$MAIN_PID" "$RENEW_PID"; do
	kill -TERM "$p"
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$p" 2>/dev/null; then bad "custosd $p ignored SIGTERM"; kill -KILL "$p"; fi
	wait "$p"
	rc=$?
	[ "$rc" -eq 0 ] && ok || bad "custosd exited $rc after SIGTERM"
done
grep -q "stopped" main.log && ok || bad "custosd did not log its stop"
finish
