#!/usr/bin/env bash
# A wasm function on the platform: two banks find the accounts both have
# flagged as money-mule accounts, with a private set intersection written
# in C (psi.c) and compiled to WebAssembly, without showing each other the
# rest of their lists.
#
#   - A function provider builds psi.c for wasm32-wasi (the build does it:
#     build/examples/wasm/psi.wasm), tries hello.wasm locally with
#     `custos wasm run`, and registers psi.wasm with the platform as a wasm
#     function, with its limits (fuel and memory), for the two banks only.
#   - Each bank checks the platform against a manifest its two auditors
#     signed (threshold 2), and checks that the registered module is the
#     one built from the psi.c it reviewed (same SHA-256).
#   - Each bank encrypts its list with its own key, puts it on an untrusted
#     file host (a directory), and registers it; one proposes the task,
#     each assigns its own input and output and approves that exact task.
#   - Inside the TEE the module runs in the sandboxed interpreter; each
#     bank gets the common accounts, sorted, encrypted for it alone; the
#     task's result is their number.
#
# Run it from anywhere: examples/wasm/run.sh (after `make`).
# CUSTOS_BIN points at the programs (default: build/bin of this checkout),
# CUSTOS_WASM at the built modules (default: $CUSTOS_BIN/../examples/wasm).
. "$(dirname "$0")/../lib.sh"
wasm=${CUSTOS_WASM:-$bin/../examples/wasm}
[ -f "$wasm/psi.wasm" ] && [ -f "$wasm/hello.wasm" ] ||
	fail "no $wasm/psi.wasm: build the project first (it needs clang and wasi-libc)"
example_begin wasm
start_platform
setup_parties provider northbank southbank
register_user provider function-owner
register_user northbank data-owner north
register_user southbank data-owner south

say "The provider tries a wasm function locally, then registers psi.wasm"
# (custos wasm run exits with the function's return value: 1 argument here)
{ "$custos" wasm run "$wasm/hello.wasm" greeting hello || [ $? -eq 1 ]; } | sed 's/^/   /'
fn=$(as provider function register --name mule-accounts --executor wasm \
	--payload "$wasm/psi.wasm" --fuel 2000000000 --max-memory 67108864 \
	--description "private set intersection (examples/wasm/psi.c)" \
	--input input_data1 --input input_data2 --output output_result1 --output output_result2 \
	--allow northbank --allow southbank --json | id_of)
echo "   $fn"

say "Each bank checks the registered module is the one built from the psi.c it reviewed"
want=$(sha256sum "$wasm/psi.wasm" | cut -c1-64)
for p in northbank southbank; do
	got=$(as $p function get "$fn" --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["payload_sha256"])')
	[ "$got" = "$want" ] || fail "$p: the registered module is not psi.wasm ($got)"
	echo "   $p: payload_sha256 $got"
done
as northbank function get "$fn" | grep '^limits:' | sed 's/^/   /'

say "Each bank encrypts and uploads its flagged accounts to the untrusted file host"
printf '%s\n' NB-10042 NB-20317 SB-55120 XB-90001 NB-31337 SB-40404 >northbank-flagged.txt
printf '%s\r\n' SB-40404 SB-77777 XB-90001 NB-20317 SB-12121 >southbank-flagged.txt
for p in northbank southbank; do
	upload_input $p $p-flagged.txt >$p.input
	declare_output $p $p-common >$p.output
done

say "The north bank proposes the task; each bank assigns its files and approves it"
task=$(as northbank task create --function "$fn" \
	--input input_data1=northbank --input input_data2=southbank \
	--output output_result1=northbank --output output_result2=southbank --json | id_of)
echo "   $task"
as northbank task assign "$task" --input input_data1="$(cat northbank.input)" \
	--output output_result1="$(cat northbank.output)" >/dev/null
as southbank task assign "$task" --input input_data2="$(cat southbank.input)" \
	--output output_result2="$(cat southbank.output)" >/dev/null
as northbank task approve "$task" >/dev/null
as southbank task approve "$task" >/dev/null
run_task northbank "$task"
python3 -c 'import json,sys; t=json.load(open("task.json")); sys.exit(t["status"] != "finished" or t["result"] != "3")' ||
	fail "the task did not finish with 3 common accounts"

say "Each bank decrypts its result: the accounts both flagged, sorted"
common=$'NB-20317\nSB-40404\nXB-90001'
check_result northbank northbank-common "$common"
check_result southbank southbank-common "$common"
check_sealed northbank southbank northbank-common
check_sealed southbank northbank southbank-common

check_host_clean "an account number" '[NSX]B-[0-9]{5}'
echo "OK"
