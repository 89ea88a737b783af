;; Asks for 100 more pages (6.25 MiB): returns 0 when it got them, -1 when
;; memory.grow refused (over the memory limit).
(module
  (memory (export "memory") 1)
  (func (export "entrypoint") (param i32 i32) (result i32)
    (if (result i32) (i32.eq (memory.grow (i32.const 100)) (i32.const -1))
      (then (i32.const -1))
      (else (i32.const 0)))))
