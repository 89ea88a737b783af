# shellcheck shell=bash
# The shared part of the examples: source it from examples/NAME/run.sh.
#
#   example_begin NAME       a scratch directory (removed on exit), and a trap
#                            that stops what the example started
#   start_platform           custos-simtee, two auditors and the manifest
#                            they sign, custosd (simulated TEE); with
#                            CUSTOS_WORKERS=N, custosd --role control and N
#                            remote workers (start_worker NAME adds one)
#   setup_parties P...       each party's `custos config` (platform address,
#                            manifest, 2 auditors, threshold 2), admin's too;
#                            the admin logs in
#   register_user U ROLE [ORG]  the admin registers U; U logs in
#   as P ARGS...             run custos with P's settings and token
#   upload_input P NAME.EXT  encrypt NAME.EXT with P.key (made on first use)
#                            to host/NAME.enc; register it as P's input;
#                            print its id
#   declare_output P NAME    register host/NAME.enc (P.key) as P's output;
#                            print its id
#   run_task P TASK          P invokes the approved task and waits for it
#   check_result P NAME EXPECTED  decrypt host/NAME.enc with P.key, print it,
#                            exit 1 unless it is EXPECTED
#   check_sealed OWNER OTHER NAME  exit 1 if OTHER.key opens host/NAME.enc
#   check_host_clean WHAT REGEX  exit 1 if any byte of host/ matches REGEX
#
# CUSTOS_BIN points at the programs (default: build/bin of this checkout).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${CUSTOS_BIN:-$root/build/bin}
custos=$bin/custos
pids=()
say() { printf '== %s\n' "$*"; }
id_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
fail() { echo "$*" >&2; exit 1; }

example_begin() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/custos-$1.XXXXXX")
	trap 'example_end $?' EXIT
	cd "$work"
	mkdir host
}

# On a failure, the platform's own account of it: the last lines of its logs.
example_end() {
	local p f
	if [ "$1" != 0 ]; then
		for f in "$work"/custosd.log "$work"/worker-*.log; do
			[ -s "$f" ] || continue
			echo "--- the last lines of $(basename "$f"):" >&2
			tail -n 15 "$f" >&2
		done
	fi
	for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null
	rm -rf "$work"
}

start_platform() {
	say "The platform operator starts custos-simtee (simulated TEE: INSECURE, for examples only)"
	"$bin/custos-simtee" --state-dir simtee 2>simtee.log &
	pids+=($!)
	for _ in $(seq 100); do [ -S simtee/simtee.sock ] && [ -f simtee/root.pem ] && break; sleep 0.1; done

	say "Two auditors sign a manifest naming custosd's measurement, as control plane and worker"
	"$custos" key generate --algorithm ed25519 -o auditor1 >/dev/null
	"$custos" key generate --algorithm ed25519 -o auditor2 >/dev/null
	"$custos" manifest create --role control:"$bin/custosd" --role worker:"$bin/custosd" \
		--allow-simulation --simulation-root simtee/root.pem -o manifest.json >/dev/null
	"$custos" manifest sign --key auditor1 -o sig1.json manifest.json >/dev/null
	"$custos" manifest sign --key auditor2 -o sig2.json manifest.json >/dev/null

	printf 'operator-admin-password\n' >admin.pw
	local role=() n=${CUSTOS_WORKERS:-0} i
	if [ "$n" -gt 0 ]; then
		say "The operator starts the control plane and $n remote workers; they attest each other"
		role=(--role control --worker-listen 127.0.0.1:0 "${peers[@]}")
	else
		say "The operator starts custosd: control plane and worker in one process"
	fi
	"$bin/custosd" --data-dir platform --listen 127.0.0.1:0 --tee sim --simtee simtee/simtee.sock \
		--admin-password-file admin.pw ${role[@]+"${role[@]}"} 2>custosd.log >custosd.out &
	pids+=($!)
	for _ in $(seq 100); do grep -q "listening on" custosd.log && break; sleep 0.1; done
	url="https://$(sed -n 's/.*listening on \([0-9.:]*\)$/\1/p' custosd.log)"
	[ "$url" != "https://" ] || fail "custosd did not start: $(tail -5 custosd.log)"
	if [ "$n" -gt 0 ]; then
		for _ in $(seq 100); do grep -q "listening for workers on" custosd.log && break; sleep 0.1; done
		worker_url="https://$(sed -n 's/.*listening for workers on \([0-9.:]*\)$/\1/p' custosd.log)"
		for i in $(seq "$n"); do start_worker "w$i"; done
	fi
}

# The manifest every worker link is checked against (both sides).
peers=(--manifest manifest.json --signature sig1.json --signature sig2.json
	--auditor auditor1.pub --auditor auditor2.pub --threshold 2 --allow-simulation)

# start_worker NAME: a remote worker of the control plane; waits until it registered.
start_worker() {
	"$bin/custosd" --role worker --control "$worker_url" --data-dir "worker-$1" --tee sim \
		--simtee simtee/simtee.sock --name "$1" "${peers[@]}" 2>"worker-$1.log" &
	pids+=($!)
	eval "pid_$1=$!"
	for _ in $(seq 100); do grep -q "registered with the control plane" "worker-$1.log" && return; sleep 0.1; done
	fail "worker $1 did not register: $(tail -5 "worker-$1.log")"
}

# as PARTY ARGS...: run custos with that party's settings and token.
as() { local who=$1; shift; CUSTOS_HOME="$work/home/$who" "$custos" "$@"; }

# Every party checks the platform itself: the manifest, both auditors'
# signatures, threshold 2. Nobody trusts the operator's word.
setup_parties() {
	local p
	for p in admin "$@"; do
		as "$p" config set url "$url" >/dev/null
		as "$p" config set manifest "$work/manifest.json" >/dev/null
		as "$p" config set signatures "$work/sig1.json,$work/sig2.json" >/dev/null
		as "$p" config set auditors "$work/auditor1.pub,$work/auditor2.pub" >/dev/null
		as "$p" config set threshold 2 >/dev/null
		as "$p" config set allow-simulation true >/dev/null
	done
	as admin login --user admin --password-file admin.pw >/dev/null
}

register_user() {
	local user=$1 role=$2 org=${3:-}
	printf 'password-of-%s\n' "$user" >"$user.pw"
	as admin user register --user "$user" --role "$role" ${org:+--org "$org"} \
		--password-file "$user.pw" >/dev/null
	as "$user" login --user "$user" --password-file "$user.pw" >/dev/null
}

upload_input() {
	local p=$1 file=$2 name=${2%.*} digest
	[ -f "$p.key" ] || "$custos" key generate -o "$p.key" >/dev/null
	"$custos" file encrypt --key "$p.key" -i "$file" -o "host/$name.enc" >/dev/null
	digest=$(sha256sum "host/$name.enc" | cut -c1-64)
	as "$p" file register-input --url "file://$work/host/$name.enc" --key "$p.key" \
		--digest "$digest" --json | id_of
}

declare_output() {
	local p=$1 name=$2
	[ -f "$p.key" ] || "$custos" key generate -o "$p.key" >/dev/null
	as "$p" file register-output --url "file://$work/host/$name.enc" --key "$p.key" --json | id_of
}

# run_task P TASK: P invokes the approved task and waits for it.
run_task() {
	as "$1" task invoke "$2" >/dev/null
	as "$1" task get "$2" --wait 300 --json >task.json
	python3 -c 'import json; t=json.load(open("task.json")); print("   status:", t["status"], "-", t.get("result") or t.get("error"))'
}

check_result() {
	local p=$1 name=$2 expected=$3
	"$custos" file decrypt --key "$p.key" -i "host/$name.enc" -o "$name.txt" >/dev/null
	echo "   $p:"; sed 's/^/      /' "$name.txt"; [ -z "$(tail -c1 "$name.txt")" ] || echo
	[ "$(cat "$name.txt")" = "$expected" ] ||
		fail "unexpected result for $p: $(cat "$name.txt") (expected: $expected)"
}

check_sealed() {
	local owner=$1 other=$2 name=$3
	if "$custos" file decrypt --key "$other.key" -i "host/$name.enc" -o /dev/null 2>/dev/null; then
		fail "the $other's key opened the $owner's copy"
	fi
	echo "   (the $other's key does not open the $owner's copy)"
}

check_host_clean() {
	say "The file host never held $1 in the clear"
	if grep -rqaE "$2" host; then fail "plaintext on the file host"; fi
	echo "   checked every byte of $(ls host | wc -l) files"
}
