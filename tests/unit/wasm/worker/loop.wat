;; Never returns: stopped by its fuel.
(module
  (memory (export "memory") 1)
  (func (export "entrypoint") (param i32 i32) (result i32)
    (loop $l (br $l))
    (i32.const 0)))
