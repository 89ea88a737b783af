#!/usr/bin/env bash
# custos manifest create/sign/verify as an operator and a client run them:
# measurements from the build, Ed25519 and ECDSA P-256 auditors, thresholds,
# and every way a manifest must be refused.
. "$(dirname "$0")/lib.sh"
M() { "$CUSTOS" manifest "$@"; }
BIN="$CUSTOS_BIN/custos"
SIMTEE="$CUSTOS_BIN/custos-simtee"

for k in ed1 ed2 ed3; do expect_ok "ed25519 key $k" "$CUSTOS" key generate --algorithm ed25519 -o $k; done
for k in ec1 ec2; do expect_ok "ecdsa-p256 key $k" "$CUSTOS" key generate --algorithm ecdsa-p256 -o $k; done

# --- create: measurements come from the build ---------------------------------
expect_ok "create" M create --role control:"$BIN" --role worker:"$SIMTEE" -o m.json
python3 - "$(sha384sum "$BIN" | cut -c1-96)" "$(sha384sum "$SIMTEE" | cut -c1-96)" <<'PY' && ok || bad "manifest measurements are not the sha384sum of the executables"
import json, sys
m = json.load(open("m.json"))
assert m["roles"]["control"]["measurements"] == [sys.argv[1]]
assert m["roles"]["worker"]["measurements"] == [sys.argv[2]]
assert "sim" not in m["roles"]["control"]["tee_types"]
assert m["roles"]["control"]["policy"]["allow_simulation"] is False
assert "simulation_root" not in m
PY
expect_ok "two executables in one role" M create --role both:"$BIN" --role both:"$SIMTEE" -o both.json
python3 -c "import json; assert len(json.load(open('both.json'))['roles']['both']['measurements']) == 2" && ok || bad "a role with two executables"
expect_fail "create without -o" "needs -o" M create --role control:"$BIN"
expect_fail "create without a role" "at least one --role" M create -o x.json
expect_fail "role without executable" "NAME:EXECUTABLE" M create --role control -o x.json
expect_fail "role with a missing executable" "cannot measure" M create --role control:/nonexistent -o x.json
expect_fail "simulation without a root" "simulation-root" M create --role w:"$BIN" --allow-simulation -o x.json
expect_fail "root without simulation" "simulation-root" M create --role w:"$BIN" --simulation-root x.pem -o x.json
[ ! -e x.json ] && ok || bad "a refused create wrote its output"

# With simulation: the root of a real custos-simtee state directory.
"$SIMTEE" --state-dir "$SCRATCH/st" 2>simtee.log &
PID=$!
for _ in $(seq 50); do [ -f st/root.pem ] && [ -S st/simtee.sock ] && break; sleep 0.1; done
kill $PID; wait $PID 2>/dev/null
expect_ok "create with simulation" M create --role worker:"$SIMTEE" --allow-simulation --simulation-root st/root.pem -o sim.json
grep -q "INSECURE" .out && ok || bad "create with simulation does not say it is insecure"
python3 - <<'PY' && ok || bad "simulation manifest"
import json, hashlib, ssl
m = json.load(open("sim.json"))
r = m["roles"]["worker"]
assert "sim" in r["tee_types"] and r["policy"]["allow_simulation"] is True
der = ssl.PEM_cert_to_DER_cert(open("st/root.pem").read())
assert m["simulation_root"]["sha256"] == hashlib.sha256(der).hexdigest()
PY
expect_fail "simulation root that is no certificate" "PEM" M create --role w:"$BIN" --allow-simulation --simulation-root m.json -o x.json

# --- sign ---------------------------------------------------------------------
for k in ed1 ed2 ed3 ec1 ec2; do expect_ok "sign with $k" M sign --key $k -o m.$k.sig m.json; done
expect_fail "sign with a public key" "cannot sign" M sign --key ed1.pub -o bad.sig m.json
expect_fail "sign what is not a manifest" "not a valid manifest" M sign --key ed1 -o bad.sig ed1.pub
expect_fail "sign without --key" "needs --key" M sign -o bad.sig m.json
[ ! -e bad.sig ] && ok || bad "a refused sign wrote a signature"

# --- verify -------------------------------------------------------------------
V() { M verify m.json "$@"; }
expect_ok "k=1 ed25519" V --signature m.ed1.sig --auditor ed1.pub --threshold 1 --json
expect_json "k=1 signers" "j['accepted'] is True and len(j['signers']) == 1 and j['signers'][0]['auditor'] == 'ed1.pub' and len(j['signers'][0]['key_id']) == 64"
expect_ok "k=1 ecdsa-p256" V --signature m.ec1.sig --auditor ec1.pub --threshold 1
expect_ok "k=2 ed25519 + ecdsa" V --signature m.ed1.sig --signature m.ec1.sig --auditor ed1.pub --auditor ec1.pub --threshold 2 --json
expect_json "k=2 two signers" "len(j['signers']) == 2 and {s['auditor'] for s in j['signers']} == {'ed1.pub', 'ec1.pub'}"
expect_ok "k=2 of 3 trusted" V --signature m.ed2.sig --signature m.ec2.sig --auditor ed1.pub --auditor ed2.pub --auditor ec2.pub --threshold 2
expect_ok "k=3, signatures in another order" V --signature m.ec2.sig --signature m.ed1.sig --signature m.ed2.sig --auditor ed1.pub --auditor ed2.pub --auditor ec2.pub --threshold 3
expect_fail "under-signed: k=2 with one signature" "1 of the 2 required" V --signature m.ed1.sig --auditor ed1.pub --auditor ec1.pub --threshold 2
expect_fail "under-signed, json" "1 of the 2 required" V --signature m.ed1.sig --auditor ed1.pub --auditor ec1.pub --threshold 2 --json
expect_json "under-signed json error" "'error' in j"
expect_fail "same signature twice counts once" "1 of the 2 required" V --signature m.ed1.sig --signature m.ed1.sig --auditor ed1.pub --auditor ec1.pub --threshold 2
expect_fail "same auditor listed twice counts once" "distinct" V --signature m.ed1.sig --auditor ed1.pub --auditor ed1.pub --threshold 2
cp ed1.pub ed1-copy.pub
expect_fail "same auditor key in two files counts once" "distinct" V --signature m.ed1.sig --auditor ed1.pub --auditor ed1-copy.pub --threshold 2
expect_fail "untrusted signer ignored" "1 of the 2 required" V --signature m.ed1.sig --signature m.ed3.sig --auditor ed1.pub --auditor ec1.pub --threshold 2
expect_ok "untrusted signer ignored, k=1" V --signature m.ed3.sig --signature m.ed1.sig --auditor ed1.pub --auditor ec1.pub --threshold 1 --json
expect_json "only the trusted signer listed" "[s['auditor'] for s in j['signers']] == ['ed1.pub']"
expect_fail "only untrusted signers" "0 of the 1 required" V --signature m.ed3.sig --signature m.ec2.sig --auditor ed1.pub --auditor ec1.pub --threshold 1
expect_fail "no signatures" "0 of the 1 required" V --auditor ed1.pub --threshold 1
expect_fail "zero threshold" "threshold wants 1" V --signature m.ed1.sig --auditor ed1.pub --threshold 0
expect_fail "negative threshold" "threshold wants 1" V --signature m.ed1.sig --auditor ed1.pub --threshold -1
expect_fail "threshold above the auditors" "exceeds" V --signature m.ed1.sig --auditor ed1.pub --threshold 2
expect_fail "no auditors" "auditor" V --signature m.ed1.sig --threshold 1
expect_fail "auditor that is no key" "not a PEM public key" V --signature m.ed1.sig --auditor m.json --threshold 1
# A signature of another manifest, and a tampered manifest, are refused.
expect_ok "sign the simulation manifest" M sign --key ed1 -o sim.ed1.sig sim.json
expect_fail "signature of another manifest" "0 of the 1 required" V --signature sim.ed1.sig --auditor ed1.pub --threshold 1
sed 's/"UpToDate"/"OutOfDate"/' m.json >tampered.json
cmp -s m.json tampered.json && bad "tampering did not change the manifest" || ok
expect_fail "tampered manifest (ed25519)" "refused" M verify tampered.json --signature m.ed1.sig --auditor ed1.pub --threshold 1
expect_fail "tampered manifest (ecdsa)" "refused" M verify tampered.json --signature m.ec1.sig --auditor ec1.pub --threshold 1
{ cat m.json; echo; } >ws.json
expect_fail "manifest with one more byte" "refused" M verify ws.json --signature m.ed1.sig --auditor ed1.pub --threshold 1
python3 - <<'PY'
import json
s = json.load(open("m.ed1.sig"))
sig = bytearray(__import__("base64").b64decode(s["signature"])); sig[5] ^= 1
s["signature"] = __import__("base64").b64encode(bytes(sig)).decode()
json.dump(s, open("flip.sig", "w"))
PY
expect_fail "flipped signature bit" "0 of the 1 required|refused" V --signature flip.sig --auditor ed1.pub --threshold 1
expect_fail "signature file that is not one" "refused|signature|cannot" V --signature ed1.pub --auditor ed1.pub --threshold 1
expect_fail "missing manifest" "cannot read" M verify nosuch.json --signature m.ed1.sig --auditor ed1.pub --threshold 1
finish
