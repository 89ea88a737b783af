#!/usr/bin/env bash
# examples/ordered-set-intersection/run.sh end to end: the example checks its
# own results (each party's decrypted 0/1 line, the other's key refused, no
# plaintext on the file host) and exits non-zero on any difference.
. "$(dirname "$0")/lib.sh"
if CUSTOS_BIN="$CUSTOS_BIN" bash "$CUSTOS_SOURCE/examples/ordered-set-intersection/run.sh" >example.out 2>&1; then
	ok
else
	bad "examples/ordered-set-intersection/run.sh failed: $(tail -20 example.out)"
fi
grep -q "^      011001$" example.out && grep -q "^OK$" example.out && ok || bad "the example did not print its result: $(tail -5 example.out)"
finish
