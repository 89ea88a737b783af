;; Teaclave-style function: logs each argument on a line of its own, copies
;; input "in" to output "out", and returns argc. Returns -1 when "in" cannot
;; be opened, -2 when "out" cannot be created, -3/-4 on a read/write error.
(module
  (import "env" "teaclave_open_input" (func $open_in (param i32) (result i32)))
  (import "env" "teaclave_create_output" (func $create_out (param i32) (result i32)))
  (import "env" "teaclave_read_file" (func $read (param i32 i32 i32) (result i32)))
  (import "env" "teaclave_write_file" (func $write (param i32 i32 i32) (result i32)))
  (import "env" "teaclave_close_file" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "in\00")
  (data (i32.const 32) "out\00")
  (data (i32.const 48) "\n")
  ;; an iovec at 64, fd_write's count at 80, the copy buffer at 1024 (4096 bytes)
  (func $log (param $p i32) (param $n i32)
    (i32.store (i32.const 64) (local.get $p))
    (i32.store (i32.const 68) (local.get $n))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 80))))
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $n))
  (func (export "entrypoint") (param $argc i32) (param $argv i32) (result i32)
    (local $i i32) (local $s i32) (local $in i32) (local $out i32) (local $n i32)
    (block $end
      (loop $l
        (br_if $end (i32.ge_s (local.get $i) (local.get $argc)))
        (local.set $s
          (i32.load (i32.add (local.get $argv) (i32.shl (local.get $i) (i32.const 2)))))
        (call $log (local.get $s) (call $strlen (local.get $s)))
        (call $log (i32.const 48) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.set $in (call $open_in (i32.const 16)))
    (if (i32.lt_s (local.get $in) (i32.const 0)) (then (return (i32.const -1))))
    (local.set $out (call $create_out (i32.const 32)))
    (if (i32.lt_s (local.get $out) (i32.const 0)) (then (return (i32.const -2))))
    (block $eof
      (loop $copy
        (local.set $n (call $read (local.get $in) (i32.const 1024) (i32.const 4096)))
        (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const -3))))
        (br_if $eof (i32.eqz (local.get $n)))
        (if (i32.ne (call $write (local.get $out) (i32.const 1024) (local.get $n))
                    (local.get $n))
          (then (return (i32.const -4))))
        (br $copy)))
    (drop (call $close (local.get $in)))
    (drop (call $close (local.get $out)))
    (local.get $argc)))
