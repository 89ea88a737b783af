#!/usr/bin/env bash
# examples/wasm/run.sh end to end: a private set intersection written in C,
# built for wasm32-wasi by the build (build/examples/wasm/psi.wasm),
# registered as a wasm function and run between two banks. The example
# checks its own results (each bank's decrypted intersection, the other's
# key refused, no plaintext on the file host, the module's hash) and exits
# non-zero on any difference.
. "$(dirname "$0")/lib.sh"
if CUSTOS_BIN="$CUSTOS_BIN" bash "$CUSTOS_SOURCE/examples/wasm/run.sh" >example.out 2>&1; then
	ok
else
	bad "examples/wasm/run.sh failed: $(tail -20 example.out)"
fi
grep -q "status: finished - 3$" example.out && grep -q "^      XB-90001$" example.out &&
	grep -q "limits: *fuel 2000000000, memory 67108864" example.out &&
	grep -q "^OK$" example.out && ok || bad "the example did not print its result: $(tail -5 example.out)"

# The CLI checks a wasm function's limits before it sends anything.
expect_fail "limits of a builtin" "for wasm functions" "$CUSTOS" function register --name x \
	--executor builtin --builtin echo --fuel 5
expect_fail "no fuel" "fuel wants" "$CUSTOS" function register --name x --executor wasm \
	--payload /dev/null --fuel 0
expect_fail "fuel over 10^12" "fuel wants" "$CUSTOS" function register --name x \
	--executor wasm --payload /dev/null --fuel 1000000000001
expect_fail "memory below a page" "max-memory wants" "$CUSTOS" function register --name x \
	--executor wasm --payload /dev/null --max-memory 65535
expect_fail "memory over 4 GiB" "max-memory wants" "$CUSTOS" function register --name x \
	--executor wasm --payload /dev/null --max-memory 4294967297
finish
