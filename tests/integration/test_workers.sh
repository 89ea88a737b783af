#!/usr/bin/env bash
# Remote workers end to end: custosd --role control and two custosd --role
# worker, attested to each other against one manifest (examples/lib.sh,
# CUSTOS_WORKERS=2). Tasks are shared among the workers; a worker killed
# with SIGKILL in the middle of a task has it run again elsewhere (an
# idempotent function) or failed (one that is not), within seconds;
# cancellation reaches a remote worker; a client without an attested
# certificate cannot reach the workers' listener.
export CUSTOS_BIN CUSTOS_WORKERS=2
. "$CUSTOS_SOURCE/examples/lib.sh"
example_begin workers
start_platform
setup_parties fo alice
register_user fo function-owner
register_user alice data-owner

say "Two functions on the sql builtin: one may run twice, one may not"
fn=$(as fo function register --name q --executor builtin --builtin sql --arg query \
	--input t --output result --public --json | id_of)
fn_once=$(as fo function register --name q-once --executor builtin --builtin sql --arg query \
	--input t --output result --public --idempotent no --json | id_of)
printf 'n\n1\n2\n3\n' >t.csv
input=$(upload_input alice t.csv)

# task FUNCTION QUERY: a new approved task of alice's; prints its id.
task() {
	local out t
	out=$(declare_output alice "out-$RANDOM$RANDOM")
	t=$(as alice task create --function "$1" --arg "query=$2" --input t=alice \
		--output result=alice --json | id_of)
	as alice task assign "$t" --input t="$input" --output result="$out" >/dev/null
	as alice task approve "$t" >/dev/null
	echo "$t"
}
field() { as alice task get "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2') or '')"; }
# wait_status TASK STATUS SECONDS: the task ends within SECONDS, as STATUS.
wait_status() {
	as alice task get "$1" --wait "$3" --json >wait.json
	python3 -c 'import json,sys; sys.exit(json.load(open("wait.json"))["status"] != sys.argv[1])' "$2" ||
		fail "task $1 is not $2 after $3 s: $(cat wait.json)"
}

say "Six quick tasks: each finishes, and both workers take some"
for i in 1 2 3 4 5 6; do
	t=$(task "$fn" "SELECT sum(n) * $i AS s FROM t")
	as alice task invoke "$t" >/dev/null
	ts+=("$t")
done
for t in "${ts[@]}"; do
	as alice task get "$t" --wait 30 --json >t.json
	python3 -c 'import json,sys; t=json.load(open("t.json")); sys.exit(t["status"] != "finished")' ||
		fail "task $t: $(cat t.json)"
done
for w in w1 w2; do
	n=$(grep -c "running task" "worker-$w.log" || true)
	echo "   worker $w ran $n"
	[ "$n" -gt 0 ] || fail "worker $w ran no task"
done

long="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 8000000) SELECT count(*) AS n FROM c"
# running_on TASK: the worker (w1, w2...) whose log says it runs TASK.
running_on() {
	for _ in $(seq 300); do
		for f in worker-*.log; do
			grep -q "running task $1" "$f" && { f=${f#worker-}; echo "${f%.log}"; return; }
		done
		sleep 0.1
	done
	fail "no worker runs task $1"
}

say "A worker is killed (SIGKILL) during an idempotent task: it runs again on the other"
t=$(task "$fn" "$long")
as alice task invoke "$t" >/dev/null
victim=$(running_on "$t")
first=$(field "$t" worker)
eval "kill -9 \$pid_$victim"
echo "   killed $victim"
start=$(date +%s)
wait_status "$t" finished 60
echo "   finished $(( $(date +%s) - start )) s after the kill, run again: $(field "$t" requeued)"
[ "$(field "$t" worker)" != "$first" ] || fail "the task ended on the worker that was killed"
[ "$(field "$t" requeued)" = True ] || fail "the task was not marked as run again"

say "A new worker joins; one killed during a task that may not run twice fails it"
start_worker w3
t=$(task "$fn_once" "$long")
as alice task invoke "$t" >/dev/null
victim=$(running_on "$t")
eval "kill -9 \$pid_$victim"
start=$(date +%s)
wait_status "$t" failed 30
echo "   failed $(( $(date +%s) - start )) s after the kill: $(field "$t" error)"
[ "$(field "$t" error)" = "the worker running it was lost" ] || fail "wrong reason"

say "A task canceled while a remote worker runs it stops there"
start_worker w4
t=$(task "$fn" "$long")
as alice task invoke "$t" >/dev/null
victim=$(running_on "$t")
as alice task cancel "$t" >/dev/null
for _ in $(seq 50); do grep -q "task $t was canceled" "worker-$victim.log" && break; sleep 0.1; done
grep -q "task $t was canceled" "worker-$victim.log" || fail "worker $victim did not stop task $t"
echo "   $victim stopped it"
[ "$(field "$t" status)" = canceled ] || fail "task $t is $(field "$t" status)"
t=$(task "$fn" "SELECT 7 AS seven")
as alice task invoke "$t" >/dev/null
wait_status "$t" finished 30
echo "   and runs the next task"

say "The workers' listener refuses a client without an attested certificate"
wport=${worker_url##*:}
if curl -sk --max-time 5 -X POST "https://127.0.0.1:$wport/v1/workers" -d '{"name":"x"}' >curl.out 2>&1; then
	fail "a client without a certificate was served: $(cat curl.out)"
fi
echo "   refused"
echo OK
