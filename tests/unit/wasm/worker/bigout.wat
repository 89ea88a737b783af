;; Writes 256 KiB to output "out"; returns 0, or -1 when a write failed.
(module
  (import "env" "teaclave_create_output" (func $create_out (param i32) (result i32)))
  (import "env" "teaclave_write_file" (func $write (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "out\00")
  (func (export "entrypoint") (param i32 i32) (result i32) (local $h i32) (local $i i32)
    (local.set $h (call $create_out (i32.const 16)))
    (block $end
      (loop $l
        (br_if $end (i32.eq (local.get $i) (i32.const 4)))
        (if (i32.ne (call $write (local.get $h) (i32.const 0) (i32.const 65536))
                    (i32.const 65536))
          (then (return (i32.const -1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.const 0)))
