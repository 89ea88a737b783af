#!/usr/bin/env bash
# Ordered set intersection: an airline and a hotel chain find which members
# of their loyalty programmes they share, to offer them a joint reward.
# Each learns which of its own members the other also has, and nothing of
# the other's remaining members.
#
#   - Each party holds its members' e-mail addresses, one a line, sorted
#     bytewise (LC_ALL=C sort).
#   - A matchmaking service registers the builtin `ordered-set-intersect`
#     for the two parties, with the order fixed to ascending.
#   - Each party checks the platform against a manifest its two auditors
#     signed (threshold 2), encrypts its list with its own key, puts it on
#     an untrusted file host (a directory), and registers it.
#   - The airline proposes the task; each party assigns its own input and
#     output and approves that exact task.
#   - Inside the TEE the two sorted lists are merged; each party gets one
#     0/1 per line of its own list (1: the other has it too), encrypted for
#     it alone.
#
# Run it from anywhere: examples/ordered-set-intersection/run.sh (after `make`).
# CUSTOS_BIN points at the programs (default: build/bin of this checkout).
. "$(dirname "$0")/../lib.sh"
example_begin osi
start_platform
setup_parties matchmaker airline hotel
register_user matchmaker function-owner
register_user airline data-owner air
register_user hotel data-owner stay

say "The matchmaker registers ordered-set-intersect for the two parties"
fn=$(as matchmaker function register --name shared-members --executor builtin \
	--builtin ordered-set-intersect --fixed-arg order=ascending \
	--input input_data1 --input input_data2 --output output_result1 --output output_result2 \
	--allow airline --allow hotel --json | id_of)
echo "   $fn"

say "Each party sorts, encrypts and uploads its member list to the untrusted file host"
printf '%s\n' dana@example.org amira@example.org hana@example.net chen@example.com \
	femi@example.com bruno@example.net | LC_ALL=C sort >airline-members.txt
printf '%s\n' zoe@example.com bruno@example.net eli@example.org hana@example.net \
	chen@example.com | LC_ALL=C sort >hotel-members.txt
for p in airline hotel; do
	upload_input $p $p-members.txt >$p.input
	declare_output $p $p-shared >$p.output
done

say "The airline proposes the task; each party assigns its files and approves it"
task=$(as airline task create --function "$fn" \
	--input input_data1=airline --input input_data2=hotel \
	--output output_result1=airline --output output_result2=hotel --json | id_of)
echo "   $task"
as airline task assign "$task" --input input_data1="$(cat airline.input)" \
	--output output_result1="$(cat airline.output)" >/dev/null
as hotel task assign "$task" --input input_data2="$(cat hotel.input)" \
	--output output_result2="$(cat hotel.output)" >/dev/null
as airline task approve "$task" >/dev/null
as hotel task approve "$task" >/dev/null
run_task airline "$task"

say "Each party decrypts its result: one 0/1 per line of its own list"
# airline: amira bruno chen dana femi hana -> 0 1 1 0 0 1
# hotel:   bruno chen eli hana zoe        -> 1 1 0 1 0
check_result airline airline-shared 011001
check_result hotel hotel-shared 11010
for p in airline hotel; do
	echo "   $p's members the other party also has:" \
		$(fold -w1 $p-shared.txt | paste - $p-members.txt | awk '$1 == 1 { print $2 }')
done
check_sealed airline hotel airline-shared
check_sealed hotel airline hotel-shared

check_host_clean "a member's address" 'amira|bruno|chen|dana|eli@|femi|hana|zoe|example\.'
echo "OK"
