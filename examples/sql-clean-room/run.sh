#!/usr/bin/env bash
# The data clean room: a retailer and an advertiser learn how many of the
# advertiser's impressions led to a purchase, per campaign, and nothing
# else of each other's data.
#
#   - The retailer holds purchases (customer, campaign, amount); the
#     advertiser holds impressions (customer, campaign).
#   - A clean-room provider registers the builtin `sql` as a function.
#   - Each party checks the platform against a manifest its auditors signed,
#     encrypts its table with its own key, puts it on an untrusted file
#     host, and registers it with the platform.
#   - The retailer proposes the query; the task's digest covers it, and each
#     party approves that exact task.
#   - Inside the TEE the tables meet in an in-memory SQLite database; each
#     party's copy of the result is encrypted for it alone.
#
# Run it from anywhere: examples/sql-clean-room/run.sh (after `make`).
# CUSTOS_BIN points at the programs (default: build/bin of this checkout).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CUSTOS_BIN:-$root/build/bin}
custos=$bin/custos
work=$(mktemp -d "${TMPDIR:-/tmp}/custos-cleanroom.XXXXXX")
pids=()
trap 'for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
say() { printf '== %s\n' "$*"; }
id_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }

say "The platform operator starts custosd (simulated TEE: INSECURE, for examples only)"
"$bin/custos-simtee" --state-dir simtee 2>simtee.log &
pids+=($!)
for _ in $(seq 100); do [ -S simtee/simtee.sock ] && [ -f simtee/root.pem ] && break; sleep 0.1; done
printf 'operator-admin-password\n' >admin.pw
"$bin/custosd" --data-dir platform --listen 127.0.0.1:0 --tee sim --simtee simtee/simtee.sock \
	--admin-password-file admin.pw 2>custosd.log >custosd.out &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" custosd.log && break; sleep 0.1; done
url="https://$(sed -n 's/.*listening on \([0-9.:]*\)$/\1/p' custosd.log)"

say "Two auditors sign a manifest naming custosd's measurement"
"$custos" key generate --algorithm ed25519 -o auditor1 >/dev/null
"$custos" key generate --algorithm ed25519 -o auditor2 >/dev/null
"$custos" manifest create --role control:"$bin/custosd" --allow-simulation \
	--simulation-root simtee/root.pem -o manifest.json >/dev/null
"$custos" manifest sign --key auditor1 -o sig1.json manifest.json >/dev/null
"$custos" manifest sign --key auditor2 -o sig2.json manifest.json >/dev/null

# as PARTY ARGS...: run custos with that party's settings and token.
as() { local who=$1; shift; CUSTOS_HOME="$work/home/$who" "$custos" "$@"; }
for p in admin cleanroom retailer advertiser; do
	as $p config set url "$url" >/dev/null
	as $p config set manifest "$work/manifest.json" >/dev/null
	as $p config set signatures "$work/sig1.json,$work/sig2.json" >/dev/null
	as $p config set auditors "$work/auditor1.pub,$work/auditor2.pub" >/dev/null
	as $p config set threshold 2 >/dev/null
	as $p config set allow-simulation true >/dev/null
done
as admin login --user admin --password-file admin.pw >/dev/null
for p in cleanroom retailer advertiser; do printf 'password-of-%s\n' $p >$p.pw; done
as admin user register --user cleanroom --role function-owner --password-file cleanroom.pw >/dev/null
as admin user register --user retailer --role data-owner --org shop --password-file retailer.pw >/dev/null
as admin user register --user advertiser --role data-owner --org ads --password-file advertiser.pw >/dev/null
for p in cleanroom retailer advertiser; do as $p login --user $p --password-file $p.pw >/dev/null; done

say "The clean-room provider registers the sql builtin for the two parties"
fn=$(as cleanroom function register --name clean-room --executor builtin --builtin sql \
	--arg query --input purchases --input impressions \
	--output retailer_result --output advertiser_result \
	--allow retailer --allow advertiser --json | id_of)
echo "   $fn"

say "Each party encrypts its table and puts it on the untrusted file host"
mkdir host
cat >purchases.csv <<'CSV'
customer,campaign,amount
c-ALICE-001,spring,120
c-BOB-002,spring,80
c-CAROL-003,summer,200
c-DAVE-004,summer,50
c-ERIN-005,autumn,75
CSV
cat >impressions.csv <<'CSV'
customer,campaign
c-ALICE-001,spring
c-BOB-002,spring
c-FRANK-006,spring
c-CAROL-003,summer
c-ERIN-005,winter
CSV
for pair in retailer:purchases advertiser:impressions; do
	p=${pair%%:*} t=${pair#*:}
	"$custos" key generate -o $p.key >/dev/null
	"$custos" file encrypt --key $p.key -i $t.csv -o host/$t.enc >/dev/null
	digest=$(sha256sum host/$t.enc | cut -c1-64)
	as $p file register-input --url "file://$work/host/$t.enc" --key $p.key --digest "$digest" \
		--json | id_of >$p.input
	as $p file register-output --url "file://$work/host/$p-result.enc" --key $p.key --json |
		id_of >$p.output
done

say "The retailer proposes the query; it is part of what each party approves"
query="SELECT i.campaign, count(*) AS conversions FROM impressions i JOIN purchases p ON p.customer = i.customer AND p.campaign = i.campaign GROUP BY i.campaign ORDER BY i.campaign"
task=$(as retailer task create --function "$fn" --arg "query=$query" \
	--input purchases=retailer --input impressions=advertiser \
	--output retailer_result=retailer --output advertiser_result=advertiser --json | id_of)
echo "   $task"
as retailer task assign "$task" --input purchases="$(cat retailer.input)" \
	--output retailer_result="$(cat retailer.output)" >/dev/null
as advertiser task assign "$task" --input impressions="$(cat advertiser.input)" \
	--output advertiser_result="$(cat advertiser.output)" >/dev/null
as advertiser task get "$task" --json | python3 -c 'import json,sys; t=json.load(sys.stdin); print("   the advertiser reviews the query:", t["arguments"]["query"][:60] + "...")'
as retailer task approve "$task" >/dev/null
as advertiser task approve "$task" >/dev/null
as retailer task invoke "$task" >/dev/null
as retailer task get "$task" --wait 60 --json >task.json
python3 -c 'import json; t=json.load(open("task.json")); print("   status:", t["status"], "-", t.get("result") or t.get("error"))'

say "Each party downloads its result and decrypts it with its own key"
for p in retailer advertiser; do
	"$custos" file decrypt --key $p.key -i host/$p-result.enc -o $p-result.csv >/dev/null
	echo "   $p:"; sed 's/^/      /' $p-result.csv
done
expected=$'campaign,conversions\nspring,2\nsummer,1'
[ "$(cat retailer-result.csv)" = "$expected" ] && [ "$(cat advertiser-result.csv)" = "$expected" ] ||
	{ echo "unexpected result" >&2; exit 1; }
if "$custos" file decrypt --key advertiser.key -i host/retailer-result.enc -o /dev/null 2>/dev/null; then
	echo "the advertiser's key opened the retailer's copy" >&2; exit 1
fi
echo "   (the advertiser's key does not open the retailer's copy)"

say "The file host never held a customer id or an amount in the clear"
if grep -rqaE 'c-(ALICE|BOB|CAROL|DAVE|ERIN|FRANK)|spring|summer' host; then
	echo "plaintext on the file host" >&2; exit 1
fi
echo "   checked every byte of $(ls host | wc -l) files"
echo "OK"
