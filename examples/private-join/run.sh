#!/usr/bin/env bash
# Private join and compute: three banks learn, for the customers that all
# three of them serve, the sum of what each customer holds across the
# banks (say, to spot exposure concentrated on one customer), and nothing
# about any other customer or about one another's amounts.
#
#   - Each bank holds "customer:amount" lines (or "customer,amount").
#   - A consortium registers the builtin `private-join-and-compute` for the
#     three banks, with the number of parties fixed at 3.
#   - Each bank checks the platform against a manifest its two auditors
#     signed (threshold 2), encrypts its list with its own key, puts it on
#     an untrusted file host (a directory), and registers it.
#   - The north bank proposes the task; each bank assigns its own input and
#     output and approves that exact task.
#   - Inside the TEE the lists are joined; each bank's copy of the sums is
#     encrypted for it alone, so neither the file host nor another bank
#     can read it.
#
# Run it from anywhere: examples/private-join/run.sh (after `make`).
# CUSTOS_BIN points at the programs (default: build/bin of this checkout).
. "$(dirname "$0")/../lib.sh"
example_begin private-join
start_platform
banks="northbank southbank eastbank"
setup_parties consortium $banks
register_user consortium function-owner
register_user northbank data-owner north
register_user southbank data-owner south
register_user eastbank data-owner east

say "The consortium registers private-join-and-compute for the three banks"
fn=$(as consortium function register --name three-bank-join --executor builtin \
	--builtin private-join-and-compute --fixed-arg num_user=3 \
	--input input_data0 --input input_data1 --input input_data2 \
	--output output_data0 --output output_data1 --output output_data2 \
	--allow northbank --allow southbank --allow eastbank --json | id_of)
echo "   $fn"

say "Each bank encrypts its customer list and puts it on the untrusted file host"
cat >north-accounts.txt <<'TXT'
ALICE-4411:120000
BOB-5522:30500
CAROL-6633:45000
DAVE-7744:7100
GRACE-8855:100000
TXT
cat >south-accounts.txt <<'TXT'
CAROL-6633,5000
ALICE-4411,80000
ERIN-9966,62000
GRACE-8855,5500
TXT
cat >east-accounts.txt <<'TXT'
GRACE-8855:9500
ALICE-4411:2500
BOB-5522:1000
CAROL-6633:50000
HEIDI-1177:33300
TXT
i=0
for b in $banks; do
	upload_input $b ${b%bank}-accounts.txt >$b.input
	declare_output $b $b-sums >$b.output
	echo "input_data$i output_data$i" >$b.slots
	i=$((i + 1))
done

say "The north bank proposes the task; each bank assigns its files and approves it"
task=$(as northbank task create --function "$fn" \
	--input input_data0=northbank --input input_data1=southbank --input input_data2=eastbank \
	--output output_data0=northbank --output output_data1=southbank --output output_data2=eastbank \
	--json | id_of)
echo "   $task"
for b in $banks; do
	read -r in out <$b.slots
	as $b task assign "$task" --input $in="$(cat $b.input)" --output $out="$(cat $b.output)" >/dev/null
done
for b in $banks; do as $b task approve "$task" >/dev/null; done
run_task northbank "$task"

say "Each bank downloads its copy of the sums and decrypts it with its own key"
# Common to all three: ALICE 120000+80000+2500, CAROL 45000+5000+50000,
# GRACE 100000+5500+9500. BOB, DAVE, ERIN and HEIDI stay private.
expected=$'ALICE-4411, 202500\nCAROL-6633, 100000\nGRACE-8855, 115000'
for b in $banks; do check_result $b $b-sums "$expected"; done
check_sealed northbank southbank northbank-sums
check_sealed southbank eastbank southbank-sums
check_sealed eastbank northbank eastbank-sums

check_host_clean "a customer id or an amount" \
	'ALICE|BOB|CAROL|DAVE|ERIN|GRACE|HEIDI|120000|30500|45000|7100|100000|62000|5500|9500|2500|33300|202500|115000'
echo "OK"
