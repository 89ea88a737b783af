/* The command groups of `custos`: one line each, CLI_GROUP(name, summary). */
CLI_GROUP(key, "generate keys for files and signatures")
CLI_GROUP(file, "encrypt, decrypt and inspect data files")
