;; An import the platform does not provide.
(module (import "wasi_snapshot_preview1" "fd_read" (func (param i32 i32 i32 i32) (result i32))))
