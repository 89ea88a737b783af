;; Reads at 4 GiB - 4, beyond its memory: traps.
(module
  (memory (export "memory") 1)
  (func (export "entrypoint") (param i32 i32) (result i32)
    (i32.load (i32.const -4))))
