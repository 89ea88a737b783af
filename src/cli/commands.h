/* The command groups of `custos`: one line each, CLI_GROUP(name, summary). */
CLI_GROUP(key, "generate keys for files and signatures")
CLI_GROUP(file, "encrypt, decrypt and inspect data files")
CLI_GROUP(evidence, "verify and decode TEE evidence")
CLI_GROUP(manifest, "create, sign and verify platform manifests")
CLI_GROUP(wasm, "run WebAssembly modules in the sandboxed interpreter")
CLI_GROUP(ratls, "inspect attested-TLS certificates")
CLI_GROUP(attest, "verify a running platform against a signed manifest")
