;; Imports a function the platform does not provide.
(module
  (import "env" "foo" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "entrypoint") (param i32 i32) (result i32) (i32.const 0)))
