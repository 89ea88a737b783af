# Shared helpers of the integration tests: source it first.
# Counts checks and prints "N passed, N failed" at the end; exits non-zero on any failure.
set -u
PASS=0
FAIL=0
CUSTOS="$CUSTOS_BIN/custos"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/custos-it.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH" || exit 1

ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*" >&2; }

# expect_ok DESC CMD...: CMD must exit 0.
expect_ok() {
	local desc=$1; shift
	if "$@" >"$SCRATCH/.out" 2>"$SCRATCH/.err"; then ok; else
		bad "$desc (exit $?): $(head -c 400 "$SCRATCH/.err")"; fi
}

# expect_fail DESC PATTERN CMD...: CMD must exit non-zero with PATTERN (grep -E) on stderr.
expect_fail() {
	local desc=$1 pat=$2; shift 2
	if "$@" >"$SCRATCH/.out" 2>"$SCRATCH/.err"; then
		bad "$desc: succeeded but should have failed"
	elif ! grep -qE "$pat" "$SCRATCH/.err"; then
		bad "$desc: stderr lacks /$pat/: $(head -c 400 "$SCRATCH/.err")"
	elif [ "$(wc -l <"$SCRATCH/.err")" -ne 1 ]; then
		bad "$desc: the reason should be one line, got: $(cat "$SCRATCH/.err")"
	else ok; fi
}

# expect_json DESC JQ-LIKE-PYTHON-EXPR: evaluates a Python expression over the last stdout parsed as `j`.
expect_json() {
	local desc=$1 expr=$2
	if python3 -c "import json,sys; j=json.load(open('$SCRATCH/.out')); sys.exit(0 if ($expr) else 1)" 2>/dev/null; then ok; else
		bad "$desc: $(head -c 400 "$SCRATCH/.out")"; fi
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
