#!/usr/bin/env bash
# custos evidence verify/show on the real evidence of shared/testdata/attestation
# (every case of its README), hex text, policies that refuse, and simulated
# evidence fetched from a running custos-simtee.
. "$(dirname "$0")/lib.sh"
A="$CUSTOS_SHARED/testdata/attestation"
SGX="--evidence $A/sgx/sgx-quote-v3.bin --collateral $A/sgx/sgx-quote-v3.collateral.json"
TDX4="--evidence $A/tdx/tdx-quote-v4.bin --collateral $A/tdx/tdx-quote-v4.collateral.json"
TDX5="--evidence $A/tdx/tdx-quote-v5-notcb.bin --collateral $A/tdx/tdx-quote-v5-notcb.collateral.json"
MILAN="$A/roots/amd-milan-ask-ark.pem"
SNPA="--evidence $A/snp/report-a.bin --vcek $A/snp/report-a.vcek.der --chain $MILAN"
SNPB="--evidence $A/snp/report-b.bin --vcek $A/snp/report-b.vcek.der --chain $MILAN"
AT25=2025-07-01T00:00:00Z
AT26=2026-03-01T00:00:00Z
# Every object has the fields the issue names, with the right types.
FIELDS="all(k in j for k in ('tee','authentic','tcb_status','advisories','debug','measurement','signer','report_data','error')) and isinstance(j['authentic'], bool) and isinstance(j['debug'], bool) and isinstance(j['advisories'], list)"
jget() { python3 -c "import json,sys; print(json.load(open('$SCRATCH/.out'))[sys.argv[1]])" "$1"; }

# --- SGX quote v3 -------------------------------------------------------------
expect_ok "sgx v3 at $AT25" "$CUSTOS" evidence verify $SGX --at $AT25 --json
expect_json "sgx v3 fields" "$FIELDS"
expect_json "sgx v3 claims" "j['tee'] == 'sgx' and j['authentic'] is True and j['tcb_status'] == 'ConfigurationAndSWHardeningNeeded' and sorted(j['advisories']) == ['INTEL-SA-00289', 'INTEL-SA-00615'] and j['debug'] is False and len(j['measurement']) == 64 and len(j['signer']) == 64 and len(j['report_data']) == 128 and j['error'] is None"
SGX_MR=$(jget measurement)
expect_ok "sgx v3 at the first second of the window" "$CUSTOS" evidence verify $SGX --at 2025-06-19T10:56:11Z
expect_ok "sgx v3 at the last second of the window" "$CUSTOS" evidence verify $SGX --at 2025-07-19T10:01:18Z
expect_fail "sgx v3 after the window" "valid from .* only|outside its validity" "$CUSTOS" evidence verify $SGX --at 2025-08-01T00:00:00Z --json
expect_json "sgx v3 expired: json" "$FIELDS and j['authentic'] is False and j['tee'] == 'sgx' and 'only' in j['error']"
expect_fail "sgx v3 one second after the window" "outside its validity|expired" "$CUSTOS" evidence verify $SGX --at 2025-07-19T10:01:19Z
expect_fail "sgx v3 before the window" "valid from .* only|outside its validity|not yet valid" "$CUSTOS" evidence verify $SGX --at 2025-06-19T10:56:10Z
expect_ok "sgx v3 without collateral" "$CUSTOS" evidence verify --evidence $A/sgx/sgx-quote-v3.bin --at $AT25 --json
expect_json "sgx v3 without collateral: tcb_status null" "$FIELDS and j['authentic'] is True and j['tcb_status'] is None and j['advisories'] == []"

# --- TDX quotes v4 and v5 ----------------------------------------------------
expect_ok "tdx v4 at $AT25" "$CUSTOS" evidence verify $TDX4 --at $AT25 --json
expect_json "tdx v4 claims" "$FIELDS and j['tee'] == 'tdx' and j['authentic'] is True and j['tcb_status'] == 'UpToDate' and len(j['measurement']) == 96 and len(j['signer']) == 96 and j['error'] is None"
expect_fail "tdx v4 after the window" "outside its validity|only" "$CUSTOS" evidence verify $TDX4 --at 2025-07-20T00:00:00Z
expect_ok "tdx v4 without collateral" "$CUSTOS" evidence verify --evidence $A/tdx/tdx-quote-v4.bin --at $AT25 --json
expect_json "tdx v4 without collateral: tcb_status null" "j['tee'] == 'tdx' and j['tcb_status'] is None"
expect_fail "tdx v5 notcb" "no TCB level matches: PCK TCB component 8 .* is 3" "$CUSTOS" evidence verify $TDX5 --at $AT26 --json
expect_json "tdx v5 notcb: json names the component" "$FIELDS and j['tee'] == 'tdx' and j['authentic'] is True and 'component 8' in j['error'] and 'needs 5' in j['error']"
expect_ok "tdx v5 without collateral" "$CUSTOS" evidence verify --evidence $A/tdx/tdx-quote-v5-notcb.bin --at $AT26 --json
expect_json "tdx v5 without collateral: authentic, status null" "j['authentic'] is True and j['tcb_status'] is None"
expect_fail "tdx v4 with sgx collateral" "PCK CRL|FMSPC|TEE|QE" "$CUSTOS" evidence verify --evidence $A/tdx/tdx-quote-v4.bin --collateral $A/sgx/sgx-quote-v3.collateral.json --at $AT25
expect_fail "sgx v3 with tdx collateral (other window)" "." "$CUSTOS" evidence verify --evidence $A/sgx/sgx-quote-v3.bin --collateral $A/tdx/tdx-quote-v4.collateral.json --at $AT25

# --- SEV-SNP ------------------------------------------------------------------
expect_ok "snp a" "$CUSTOS" evidence verify $SNPA --at 2025-01-01T00:00:00Z --json
expect_json "snp a claims" "$FIELDS and j['tee'] == 'sev-snp' and j['authentic'] is True and j['debug'] is True and j['tcb_status'] == 'NotApplicable' and len(j['measurement']) == 96"
SNPA_MR=$(jget measurement)
expect_ok "snp b" "$CUSTOS" evidence verify $SNPB --at 2025-01-01T00:00:00Z --json
expect_json "snp b claims" "$FIELDS and j['tee'] == 'sev-snp' and j['authentic'] is True and j['debug'] is False"
SNPB_MR=$(jget measurement)
expect_fail "snp a with b's vcek" "signature|does not verify|chip" "$CUSTOS" evidence verify --evidence $A/snp/report-a.bin --vcek $A/snp/report-b.vcek.der --chain $MILAN --at 2025-01-01T00:00:00Z
expect_fail "snp a on the genoa chain" "pinned|chain|untrusted" "$CUSTOS" evidence verify --evidence $A/snp/report-a.bin --vcek $A/snp/report-a.vcek.der --chain $A/roots/amd-genoa-ask-ark.pem --at 2025-01-01T00:00:00Z
expect_fail "snp a after its vcek expired" "expired|valid" "$CUSTOS" evidence verify $SNPA --at 2030-01-01T00:00:00Z
expect_fail "snp without --vcek" "needs --vcek and --chain" "$CUSTOS" evidence verify --evidence $A/snp/report-a.bin --chain $MILAN
expect_fail "snp a one byte flipped" "signature|does not verify" sh -c "python3 -c \"import sys; b=bytearray(open('$A/snp/report-a.bin','rb').read()); b[0x90]^=1; sys.stdout.buffer.write(b)\" >flip.bin && '$CUSTOS' evidence verify --evidence flip.bin --vcek $A/snp/report-a.vcek.der --chain $MILAN --at 2025-01-01T00:00:00Z"

# --- hex text -----------------------------------------------------------------
for f in sgx/sgx-quote-v3 tdx/tdx-quote-v4 snp/report-b; do
	python3 -c "import sys,textwrap; print('\n'.join(textwrap.wrap(open(sys.argv[1],'rb').read().hex(), 64)))" "$A/$f.bin" >"$(basename $f).hex"
done
expect_ok "sgx v3 as hex text" "$CUSTOS" evidence verify --evidence sgx-quote-v3.hex --collateral $A/sgx/sgx-quote-v3.collateral.json --at $AT25 --json
expect_json "hex sgx v3 claims" "j['tee'] == 'sgx' and j['tcb_status'] == 'ConfigurationAndSWHardeningNeeded' and j['measurement'] == '$SGX_MR'"
expect_ok "tdx v4 as hex text" "$CUSTOS" evidence verify --evidence tdx-quote-v4.hex --collateral $A/tdx/tdx-quote-v4.collateral.json --at $AT25 --json
expect_json "hex tdx v4 claims" "j['tcb_status'] == 'UpToDate'"
expect_ok "snp b as hex text" "$CUSTOS" evidence verify --evidence report-b.hex --vcek $A/snp/report-b.vcek.der --chain $MILAN --at 2025-01-01T00:00:00Z --json
expect_json "hex snp b claims" "j['measurement'] == '$SNPB_MR'"
expect_ok "show hex text" "$CUSTOS" evidence show report-b.hex
printf 'not evidence at all\n' >junk.txt
expect_fail "unrecognised evidence" "unrecognised evidence" "$CUSTOS" evidence verify --evidence junk.txt
expect_fail "show of junk" "not a DCAP quote, SEV-SNP report or simulated evidence" "$CUSTOS" evidence show junk.txt
head -c 1000 "$A/sgx/sgx-quote-v3.bin" >trunc.bin
expect_fail "truncated quote" "malformed|truncated" "$CUSTOS" evidence verify --evidence trunc.bin
expect_fail "missing evidence file" "cannot read" "$CUSTOS" evidence verify --evidence nosuch.bin
expect_fail "bad --at" "RFC 3339" "$CUSTOS" evidence verify --evidence $A/sgx/sgx-quote-v3.bin --at yesterday

# --- policies -----------------------------------------------------------------
Z64=$(printf '0%.0s' $(seq 64))
cat >snp-accept.json <<J
{"roles": {"worker": {"tee_types": ["sev-snp"], "measurements": ["$SNPA_MR", "$SNPB_MR"],
  "policy": {"tcb_statuses": ["NotApplicable"]}}}}
J
cat >sgx-other.json <<J
{"roles": {"enclave": {"tee_types": ["sgx"], "measurements": ["$Z64"],
  "policy": {"tcb_statuses": ["ConfigurationAndSWHardeningNeeded"]}}}}
J
cat >sgx-accept.json <<J
{"roles": {"enclave": {"tee_types": ["sgx"], "measurements": ["$SGX_MR"],
  "policy": {"tcb_statuses": ["ConfigurationAndSWHardeningNeeded"]}}}}
J
cat >sgx-uptodate.json <<J
{"roles": {"enclave": {"tee_types": ["sgx"], "measurements": ["$SGX_MR"]}}}
J
expect_ok "policy accepts snp b" "$CUSTOS" evidence verify $SNPB --at 2025-01-01T00:00:00Z --policy snp-accept.json --json
expect_json "policy role named" "j['role'] == 'worker' and j['error'] is None"
expect_fail "policy refuses snp a: debug" "debug" "$CUSTOS" evidence verify $SNPA --at 2025-01-01T00:00:00Z --policy snp-accept.json --json
expect_json "debug refusal: authentic but refused" "j['authentic'] is True and j['debug'] is True and 'debug' in j['error']"
expect_fail "policy refuses sgx: measurement" "measurement" "$CUSTOS" evidence verify $SGX --at $AT25 --policy sgx-other.json --json
expect_json "measurement refusal in json" "j['authentic'] is True and 'measurement' in j['error']"
expect_ok "policy accepts sgx" "$CUSTOS" evidence verify $SGX --at $AT25 --policy sgx-accept.json --role enclave
expect_fail "policy refuses sgx: TCB status" "ConfigurationAndSWHardeningNeeded|TCB|status" "$CUSTOS" evidence verify $SGX --at $AT25 --policy sgx-uptodate.json
expect_fail "policy refuses sgx without collateral: Unknown" "Unknown|TCB|status" "$CUSTOS" evidence verify --evidence $A/sgx/sgx-quote-v3.bin --at $AT25 --policy sgx-accept.json
expect_fail "policy refuses a tee type" "type|sgx" "$CUSTOS" evidence verify $SGX --at $AT25 --policy snp-accept.json
expect_fail "policy: no such role" "role" "$CUSTOS" evidence verify $SNPB --at 2025-01-01T00:00:00Z --policy snp-accept.json --role nosuch
echo '{"roles": {"x": {"tee_types": ["sgx"]}}}' >bad-policy.json
expect_fail "malformed policy" "measurement|policy" "$CUSTOS" evidence verify $SGX --at $AT25 --policy bad-policy.json

# --- evidence show on every type ----------------------------------------------
expect_ok "show sgx v3" "$CUSTOS" evidence show $A/sgx/sgx-quote-v3.bin
grep -q "^tee  *sgx$" .out && grep -q "^body.mrenclave  *$SGX_MR" .out && grep -q "sig.pck_chain" .out && ok || bad "show sgx v3 lacks fields: $(head -c 300 .out)"
expect_ok "show tdx v4" "$CUSTOS" evidence show $A/tdx/tdx-quote-v4.bin
grep -q "^tee  *tdx$" .out && grep -q "mrtd" .out && grep -q "rtmr" .out && ok || bad "show tdx v4 lacks fields"
expect_ok "show tdx v5" "$CUSTOS" evidence show $A/tdx/tdx-quote-v5-notcb.bin
grep -q "mrservicetd" .out && ok || bad "show tdx v5 lacks the TD 1.5 fields"
expect_ok "show snp a" "$CUSTOS" evidence show $A/snp/report-a.bin
grep -q "^tee  *sev-snp$" .out && grep -qi "^measurement  *$SNPA_MR" .out && grep -q "chip_id" .out && ok || bad "show snp a lacks fields: $(head -c 300 .out)"
[ "$(wc -l <.out)" -gt 30 ] && ok || bad "show snp a: too few fields"

# --- simulated evidence through custos-simtee ---------------------------------
"$CUSTOS_BIN/custos-simtee" --state-dir "$SCRATCH/st" 2>simtee.log &
SIMTEE=$!
trap 'kill $SIMTEE 2>/dev/null; wait $SIMTEE 2>/dev/null; rm -rf "$SCRATCH"' EXIT
for _ in $(seq 50); do [ -S st/simtee.sock ] && break; sleep 0.1; done
"$CUSTOS_BIN/custos-simtee" --state-dir "$SCRATCH/other" 2>other.log &
OTHER=$!
for _ in $(seq 50); do [ -S other/simtee.sock ] && break; sleep 0.1; done
kill $OTHER; wait $OTHER 2>/dev/null
TOOL="$CUSTOS_BIN/simtee-evidence-tool"
RD=$(printf 'c0ffee%.0s' $(seq 21))00
expect_ok "evidence from custos-simtee" "$TOOL" st/simtee.sock "$RD" sim.bin
TOOL_MR=$(cat .out)
[ "$TOOL_MR" = "$(sha384sum "$TOOL" | cut -c1-96)" ] && ok || bad "the tool's measurement is not the SHA-384 of its executable"
expect_ok "sim verify" "$CUSTOS" evidence verify --evidence sim.bin --sim-root st/root.pem --json
expect_json "sim claims" "$FIELDS and j['tee'] == 'sim' and j['authentic'] is True and j['measurement'] == '$TOOL_MR' and j['report_data'] == '$RD' and j['signer'] is None and j['tcb_status'] == 'NotApplicable' and j['debug'] is False"
expect_ok "sim verify, plain" "$CUSTOS" evidence verify --evidence sim.bin --sim-root st/root.pem
grep -q "INSECURE" .out && ok || bad "accepted simulated evidence is not called insecure: $(cat .out)"
expect_fail "sim without --sim-root" "needs --sim-root" "$CUSTOS" evidence verify --evidence sim.bin --json
expect_json "sim without root: json" "j['tee'] == 'sim' and j['authentic'] is False"
expect_fail "sim with another simtee's root" "root|untrusted|chain" "$CUSTOS" evidence verify --evidence sim.bin --sim-root other/root.pem
expect_fail "sim with an Intel root as root" "." "$CUSTOS" evidence verify --evidence sim.bin --sim-root "$A/roots/intel-sgx-root-ca.der"
expect_fail "sim evidence after its certificate expired" "expired|valid" "$CUSTOS" evidence verify --evidence sim.bin --sim-root st/root.pem --at 2099-01-01T00:00:00Z
python3 -c "import sys; b=bytearray(open('sim.bin','rb').read()); b[80]^=1; open('sim-flip.bin','wb').write(b)"
expect_fail "sim report data flipped" "signature" "$CUSTOS" evidence verify --evidence sim-flip.bin --sim-root st/root.pem
python3 -c "import sys; b=bytearray(open('sim.bin','rb').read()); b[8]=0; open('sim-secure.bin','wb').write(b)"
expect_fail "sim without the INSECURE flag" "." "$CUSTOS" evidence verify --evidence sim-secure.bin --sim-root st/root.pem
python3 -c "print(open('sim.bin','rb').read().hex())" >sim.hex
expect_ok "sim as hex text" "$CUSTOS" evidence verify --evidence sim.hex --sim-root st/root.pem
cat >sim-policy.json <<J
{"roles": {"tool": {"tee_types": ["sim"], "measurements": ["$TOOL_MR"], "policy": {"allow_simulation": true}}}}
J
expect_ok "policy allows simulation" "$CUSTOS" evidence verify --evidence sim.bin --sim-root st/root.pem --policy sim-policy.json
expect_fail "policy without simulation refuses" "type|simulat" "$CUSTOS" evidence verify --evidence sim.bin --sim-root st/root.pem --policy snp-accept.json
expect_ok "show sim" "$CUSTOS" evidence show sim.bin
grep -q "INSECURE" .out && grep -q "^measurement  *$TOOL_MR" .out && grep -q "^report_data  *$RD" .out && grep -q "^certificate " .out && grep -q "^signature " .out && ok || bad "show sim lacks fields: $(head -c 300 .out)"
expect_fail "show flipped-flag sim" "does not parse" "$CUSTOS" evidence show sim-secure.bin
finish
