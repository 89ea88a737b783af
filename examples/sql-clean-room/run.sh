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
. "$(dirname "$0")/../lib.sh"
example_begin cleanroom
start_platform
setup_parties cleanroom retailer advertiser
register_user cleanroom function-owner
register_user retailer data-owner shop
register_user advertiser data-owner ads

say "The clean-room provider registers the sql builtin for the two parties"
fn=$(as cleanroom function register --name clean-room --executor builtin --builtin sql \
	--arg query --input purchases --input impressions \
	--output retailer_result --output advertiser_result \
	--allow retailer --allow advertiser --json | id_of)
echo "   $fn"

say "Each party encrypts its table and puts it on the untrusted file host"
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
	upload_input $p $t.csv >$p.input
	declare_output $p $p-result >$p.output
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
run_task retailer "$task"

say "Each party downloads its result and decrypts it with its own key"
expected=$'campaign,conversions\nspring,2\nsummer,1'
check_result retailer retailer-result "$expected"
check_result advertiser advertiser-result "$expected"
check_sealed retailer advertiser retailer-result

check_host_clean "a customer id or an amount" 'c-(ALICE|BOB|CAROL|DAVE|ERIN|FRANK)|spring|summer'
echo "OK"
