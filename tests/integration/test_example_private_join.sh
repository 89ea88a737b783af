#!/usr/bin/env bash
# examples/private-join/run.sh end to end: the example checks its own
# results (each bank's decrypted sums, another bank's key refused, no
# plaintext on the file host) and exits non-zero on any difference.
. "$(dirname "$0")/lib.sh"
if CUSTOS_BIN="$CUSTOS_BIN" bash "$CUSTOS_SOURCE/examples/private-join/run.sh" >example.out 2>&1; then
	ok
else
	bad "examples/private-join/run.sh failed: $(tail -20 example.out)"
fi
grep -q "ALICE-4411, 202500" example.out && grep -q "^OK$" example.out && ok || bad "the example did not print its result: $(tail -5 example.out)"
finish
