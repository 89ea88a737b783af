;; Declares 300 pages (18.75 MiB) of memory at the start.
(module
  (memory (export "memory") 300)
  (func (export "entrypoint") (param i32 i32) (result i32) (i32.const 0)))
