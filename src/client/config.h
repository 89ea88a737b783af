/*
 * config.h - the settings of the `custos` command in its config directory
 * ($CUSTOS_HOME, else ~/.config/custos): config.json (the platform and what
 * to trust) and token (the session of `custos login`). The directory is
 * made with mode 0700 and its files are written atomically with mode 0600.
 * Internal to the project: the CLI and its tests.
 */
#ifndef CUSTOS_CLIENT_CONFIG_H
#define CUSTOS_CLIENT_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CL_CONFIG_FILE     "config.json"
#define CL_CONFIG_TOKEN    "token"
#define CL_CONFIG_MAX      (64 * 1024)
#define CL_CONFIG_LIST_MAX 32 /* signatures, auditors */
#define CL_CONFIG_PATH_MAX 4096

struct cl_config {
	char *url;
	char *manifest;
	char *role;
	char *signatures[CL_CONFIG_LIST_MAX];
	size_t nsignatures;
	char *auditors[CL_CONFIG_LIST_MAX];
	size_t nauditors;
	uint64_t threshold; /* 0: not set */
	int allow_simulation;
};

/* The keys `custos config set` takes, NULL-terminated. */
extern const char *const cl_config_keys[];

/* The directory: $CUSTOS_HOME when set (non-empty), else $HOME/.config/custos. */
int cl_config_dir(char *out, size_t outsz);

/*
 * Make dir (and a missing parent, as ~/.config) with mode 0700; an existing
 * dir must be a directory of this user, and loses any group or other
 * permission. CU_EIO (errno kept), CU_EPERM for another owner, CU_EFORMAT
 * when dir is not a directory.
 */
int cl_config_dir_ensure(const char *dir);

/* Load dir/config.json (absent: an empty config). CU_EFORMAT with msg for a malformed one. */
int cl_config_load(const char *dir, struct cl_config *cfg, char *msg, size_t msgsz);

/* Write dir/config.json atomically, mode 0600 (making dir as cl_config_dir_ensure). */
int cl_config_save(const char *dir, const struct cl_config *cfg);

/*
 * Set key to value, checked: url (https://HOST:PORT), manifest (a path),
 * signatures and auditors (comma-separated paths; "" clears), threshold
 * (1..32), allow-simulation (true/false), role. Paths are stored absolute
 * and must exist. CU_EINVAL (unknown key) or CU_EFORMAT with msg.
 */
int cl_config_set(struct cl_config *cfg, const char *key, const char *value, char *msg,
                  size_t msgsz);

/* The value of key as text (malloc'd; "" when unset). CU_EINVAL for an unknown key. */
int cl_config_get(const struct cl_config *cfg, const char *key, char **out);

/* The config as JSON (the file's form). */
json_t *cl_config_json(const struct cl_config *cfg);

void cl_config_clear(struct cl_config *cfg);

/* The token file: saved atomically with mode 0600; loaded (CU_ENOTFOUND when absent); removed. */
int cl_token_save(const char *dir, const char *token);
int cl_token_load(const char *dir, char **token);
int cl_token_remove(const char *dir);

#endif
