;; An entrypoint of another type than Teaclave's int entrypoint(int, char **).
(module
  (memory (export "memory") 1)
  (func (export "entrypoint") (param i64)))
