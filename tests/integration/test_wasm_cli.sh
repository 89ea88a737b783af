#!/bin/bash
# Integration: `custos wasm run` as a user runs it, on modules converted
# from text with wat2wasm into the scratch directory.
. "$(dirname "$0")/lib.sh"

if ! command -v wat2wasm >/dev/null; then
	echo "wat2wasm (wabt) is required" >&2
	exit 1
fi

# wat NAME: convert the text on stdin into NAME.wasm.
wat() { cat >"$1.wat" && wat2wasm "$1.wat" -o "$1.wasm"; }

wat calc <<'W'
(module
  (memory 1)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "mul64") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
  (func (export "half") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 0.5)))
  (func (export "sqrt") (param f64) (result f64) (f64.sqrt (local.get 0)))
  (func (export "divmod") (param i32 i32) (result i32 i32)
    (i32.div_s (local.get 0) (local.get 1)) (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "none"))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "spin") (loop (br 0)))
  (func (export "sum") (param i32) (result i64) (local i64)
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 1))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
W

expect_ok "i32 add" "$CUSTOS" wasm run calc.wasm --invoke add 2 40
[ "$(cat .out)" = 42 ] && ok || bad "i32 add printed '$(cat .out)'"
expect_ok "i32 negative argument and result" "$CUSTOS" wasm run calc.wasm --invoke add -- -50 8
[ "$(cat .out)" = -42 ] && ok || bad "i32 negative printed '$(cat .out)'"
expect_ok "i64 mul" "$CUSTOS" wasm run calc.wasm --invoke mul64 4294967296 3
[ "$(cat .out)" = 12884901888 ] && ok || bad "i64 mul printed '$(cat .out)'"
expect_ok "f32" "$CUSTOS" wasm run calc.wasm --invoke half 3
[ "$(cat .out)" = 1.5 ] && ok || bad "f32 printed '$(cat .out)'"
expect_ok "f64" "$CUSTOS" wasm run calc.wasm --invoke sqrt 2.25
[ "$(cat .out)" = 1.5 ] && ok || bad "f64 printed '$(cat .out)'"
expect_ok "two results, one per line" "$CUSTOS" wasm run calc.wasm --invoke divmod 17 5
[ "$(printf '3\n2')" = "$(cat .out)" ] && ok || bad "divmod printed '$(cat .out)'"
expect_ok "no results" "$CUSTOS" wasm run calc.wasm --invoke none
[ ! -s .out ] && ok || bad "none printed '$(cat .out)'"
expect_ok "a loop" "$CUSTOS" wasm run calc.wasm --invoke sum 100000
[ "$(cat .out)" = 5000050000 ] && ok || bad "sum printed '$(cat .out)'"

expect_fail "trap: divide by zero" "trap: integer divide by zero" \
	"$CUSTOS" wasm run calc.wasm --invoke divmod 1 0
expect_fail "trap: out of bounds load" "trap: out of bounds memory access" \
	"$CUSTOS" wasm run calc.wasm --invoke load 65533
expect_fail "fuel exhaustion" "trap: fuel exhausted" \
	"$CUSTOS" wasm run calc.wasm --fuel 100000 --invoke spin
expect_fail "fuel for a long loop" "fuel exhausted" \
	"$CUSTOS" wasm run calc.wasm --fuel 1000 --invoke sum 100000
expect_fail "wrong argument count" "takes 2 arguments" "$CUSTOS" wasm run calc.wasm --invoke add 1
expect_fail "argument of the wrong type" "does not fit" \
	"$CUSTOS" wasm run calc.wasm --invoke add 1 x
expect_fail "unknown export" "nope" "$CUSTOS" wasm run calc.wasm --invoke nope
expect_fail "bad fuel" "fuel" "$CUSTOS" wasm run calc.wasm --fuel lots --invoke none

# Memory limit: growing past --max-memory fails (-1), within it succeeds.
expect_ok "grow within the limit" "$CUSTOS" wasm run calc.wasm --max-memory 196608 --invoke grow 2
[ "$(cat .out)" = 1 ] && ok || bad "grow printed '$(cat .out)'"
expect_ok "grow past the limit" "$CUSTOS" wasm run calc.wasm --max-memory 131072 --invoke grow 2
[ "$(cat .out)" = -1 ] && ok || bad "grow past the limit printed '$(cat .out)'"
wat big <<'W'
(module (memory 4) (func (export "f")))
W
expect_fail "declared memory above the limit" "cannot instantiate" \
	"$CUSTOS" wasm run big.wasm --max-memory 131072 --invoke f
expect_fail "bad memory limit" "max-memory" "$CUSTOS" wasm run calc.wasm --max-memory 12 --invoke none

# Refused modules.
wat imp <<'W'
(module (import "env" "system" (func (param i32))) (func (export "f")))
W
expect_fail "unknown import refused" "unknown import: env.system" \
	"$CUSTOS" wasm run imp.wasm --invoke f
printf '\0asm\1\0\0\0\1\5' >trunc.wasm
expect_fail "truncated module refused" "trunc.wasm" "$CUSTOS" wasm run trunc.wasm --invoke f
printf 'not wasm at all' >junk.wasm
expect_fail "not a module" "junk.wasm" "$CUSTOS" wasm run junk.wasm
echo '(module (func (export "f") (result i32) (i64.const 1)))' >invalid.wat
wat2wasm --no-check invalid.wat -o invalid.wasm
expect_fail "invalid module refused" "invalid.wasm: .*type mismatch" \
	"$CUSTOS" wasm run invalid.wasm --invoke f
expect_fail "missing file" "cannot read" "$CUSTOS" wasm run nonexistent.wasm

# A WASI command: _start writes to stdout, reads its arguments, exits with a status.
wat hello <<'W'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $as (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello, world\n")
  (data (i32.const 0) "\10\00\00\00\0d\00\00\00")
  (func (export "_start")
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $as (i32.const 32) (i32.const 36)))
    ;; exit status: the number of arguments after the module path
    (call $exit (i32.sub (i32.load (i32.const 32)) (i32.const 1)))))
W
expect_ok "_start writes to stdout" "$CUSTOS" wasm run hello.wasm
[ "$(cat .out)" = "hello, world" ] && ok || bad "_start printed '$(cat .out)'"
"$CUSTOS" wasm run hello.wasm a b >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "_start exit status should be 2"
wat trapstart <<'W'
(module (func (export "_start") unreachable))
W
expect_fail "_start trap" "trap: unreachable" "$CUSTOS" wasm run trapstart.wasm

finish
