/*
 * custos.h - libcustos, the client library of the Custos platform.
 *
 * A client talks to one platform (custosd) over attested TLS: before any
 * call it accepts a platform manifest only when k of the caller's trusted
 * auditors signed it, and every connection it makes is verified against
 * that manifest's policy for one role ("control" by default). No call
 * goes out to an unverified peer. Users then authenticate inside the
 * channel with a token (custos_login).
 *
 * Conventions:
 *   - Every function that can fail returns 0 or a negative CUSTOS_E* code;
 *     custos_last_error(c) then says why, as one line "code: message".
 *   - Functions that create an object write its id into a caller buffer of
 *     CUSTOS_ID_MAX bytes (NUL-terminated; cleared on entry).
 *   - Getters return the platform's JSON response as a malloc'd,
 *     NUL-terminated string in *json (NULL on failure) that the caller
 *     releases with custos_free(); parse it with any JSON library.
 *   - String arguments are borrowed for the call only; NULL is accepted only
 *     where a comment says so.
 *   - A client is used by one thread at a time. It holds no global state:
 *     several clients may live in one process.
 *
 * The wire format is the platform's API (docs/client.md lists the calls).
 */
#ifndef CUSTOS_CUSTOS_H
#define CUSTOS_CUSTOS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CUSTOS_ID_MAX        128 /* bytes of an id, with its NUL */
#define CUSTOS_ERROR_MAX     512 /* bytes of custos_last_error(), with its NUL */
#define CUSTOS_WAIT_MAX      60  /* seconds of one long poll (custos_task_get) */
#define CUSTOS_MAX_TRUST     32  /* signatures and auditor keys of a custos_trust */
#define CUSTOS_DEFAULT_ROLE  "control"
#define CUSTOS_IV_LEN        12 /* aes-gcm IV, bytes */
#define CUSTOS_DIGEST_HEXLEN 64 /* hex SHA-256 */

/* Errors: the platform's error codes, and what can fail on this side. */
enum custos_error {
	CUSTOS_OK = 0,
	CUSTOS_EINVAL = -1,           /* invalid_request: the caller's or the platform's verdict */
	CUSTOS_EUNAUTHENTICATED = -2, /* unauthenticated: no, expired or revoked token; login */
	CUSTOS_EFORBIDDEN = -3,       /* forbidden */
	CUSTOS_ENOTFOUND = -4,        /* not_found (also what the caller may not see) */
	CUSTOS_EEXISTS = -5,          /* exists */
	CUSTOS_ESTATE = -6,           /* invalid_state */
	CUSTOS_EQUOTA = -7,           /* quota_exceeded */
	CUSTOS_ETIMEOUT = -8,         /* timeout, or a call that took too long */
	CUSTOS_EATTEST = -9,          /* manifest refused, or the platform failed attestation/TLS */
	CUSTOS_EIO = -10,             /* a local file, or the network (connection refused...) */
	CUSTOS_ENOMEM = -11,          /* out of memory */
	CUSTOS_ETOOLARGE = -12,       /* too_large: a request or response over its limit */
	CUSTOS_ESERVER = -13,         /* internal, or another server-side failure */
	CUSTOS_EPROTO = -14,          /* the platform's answer is not what the API says */
};

/* A fixed English sentence for a CUSTOS_E* code (never NULL). */
const char *custos_strerror(int err);

/* The contract's word for a code: "not_found", "attestation", "io", ... (never NULL). */
const char *custos_error_code(int err);

/* ---- connection ---- */

/*
 * What the caller trusts. url is "https://HOST:PORT". manifest is the path
 * of the platform manifest; signatures the paths of its detached signature
 * files; auditors the paths of the trusted auditors' public keys (PEM);
 * threshold the number k of distinct trusted auditors who must have signed
 * (1..nauditors). role (NULL: "control") selects the manifest's policy.
 * allow_simulation accepts simulated evidence (INSECURE, tests only) when
 * the manifest allows it too.
 */
struct custos_trust {
	const char *url;
	const char *manifest;
	const char *const *signatures;
	size_t nsignatures;
	const char *const *auditors;
	size_t nauditors;
	unsigned threshold;
	const char *role;
	int allow_simulation;
};

struct custos_client;

/* A new client, not connected (NULL when out of memory). */
struct custos_client *custos_client_new(void);

/* Release c, wiping its token. NULL is fine. */
void custos_client_free(struct custos_client *c);

/*
 * Accept the manifest (k of n auditors), make the verifier with its policy
 * for t->role, and reach the platform at t->url over attested TLS
 * (GET /v1/health). CUSTOS_EATTEST when the manifest or the platform is
 * refused, CUSTOS_EIO when a file cannot be read or the platform cannot be
 * reached. A client connects once; t is not kept.
 */
int custos_connect(struct custos_client *c, const struct custos_trust *t);

/*
 * GET /v1/health on the attested connection: {"status","version"}. The
 * lightest call there is: one round trip, nothing read or written.
 */
int custos_health(struct custos_client *c, char **json);

/* Why the last failing call of c failed: "code: message" ("" when none). */
const char *custos_last_error(const struct custos_client *c);

/* Free what a getter returned (wiped first: some responses hold secrets). NULL is fine. */
void custos_free(char *p);

/* ---- authentication ---- */

/* Log in; the token is kept for every later call (and readable with custos_token). */
int custos_login(struct custos_client *c, const char *user, const char *password);

/* Use token (copied; NULL forgets it) from now on. */
int custos_set_token(struct custos_client *c, const char *token);

/* The token in use, owned by c, or NULL. Valid until the next login or set_token. */
const char *custos_token(const struct custos_client *c);

/* ---- users ---- */

/* Register a user with role and password; org may be NULL. */
int custos_user_register(struct custos_client *c, const char *user, const char *role,
                         const char *org, const char *password, char id[CUSTOS_ID_MAX]);
int custos_user_get(struct custos_client *c, const char *user, char **json);
int custos_user_list(struct custos_client *c, char **json);
/* Change role and/or org (NULL: unchanged; at least one given). */
int custos_user_update(struct custos_client *c, const char *user, const char *role,
                       const char *org);
/* Change one's own password. */
int custos_user_password(struct custos_client *c, const char *user, const char *old_password,
                         const char *new_password);
/* Reset a user's password: *json is {"id","password"} (a secret: custos_free wipes it). */
int custos_user_reset(struct custos_client *c, const char *user, char **json);
int custos_user_delete(struct custos_client *c, const char *user);

/* ---- functions ---- */

struct custos_function_arg {
	const char *name;
	const char *default_value; /* NULL: none (then a task must give it) */
	int fixed;                 /* not overridable by tasks */
};

struct custos_function_io {
	const char *name;
	const char *description; /* may be NULL */
	int optional;
};

/* Bits of custos_function_spec.set: members sent although empty or zero. */
#define CUSTOS_FN_ARGS       (1u << 0)
#define CUSTOS_FN_INPUTS     (1u << 1)
#define CUSTOS_FN_OUTPUTS    (1u << 2)
#define CUSTOS_FN_PUBLIC     (1u << 3)
#define CUSTOS_FN_ALLOW      (1u << 4)
#define CUSTOS_FN_QUOTA      (1u << 5)
#define CUSTOS_FN_IDEMPOTENT (1u << 6)

/*
 * A function. Strings that are NULL and the payload when NULL are not sent
 * (for an update: unchanged). Arrays are sent when they have entries or
 * when their bit is in set; is_public, quota and idempotent only when
 * their bit is.
 * fuel and max_memory, a wasm function's limits, are sent together as
 * "limits" when either is not 0 (0: the platform's default; an update that
 * sends them replaces both).
 */
struct custos_function_spec {
	const char *name;
	const char *description;
	const char *executor; /* "builtin" or "wasm" */
	const char *builtin;  /* the builtin's name */
	const uint8_t *payload;
	size_t payload_len; /* wasm module, at most 8 MiB */
	const struct custos_function_arg *args;
	size_t nargs;
	const struct custos_function_io *inputs;
	size_t ninputs;
	const struct custos_function_io *outputs;
	size_t noutputs;
	int is_public;
	const char *const *allow; /* user ids */
	size_t nallow;
	uint64_t quota; /* 0: unlimited */
	unsigned set;
	/* With CUSTOS_FN_IDEMPOTENT in set: whether the platform may run a task
	   of it again after losing the worker that ran it (default: a
	   builtin's own answer, no for wasm). */
	int idempotent;
	uint64_t fuel;       /* wasm: instructions per run, 0 or 1 to 10^12 */
	uint64_t max_memory; /* wasm: bytes of linear memory, 0 or 64 KiB to 4 GiB */
};

int custos_function_register(struct custos_client *c, const struct custos_function_spec *f,
                             char id[CUSTOS_ID_MAX]);
int custos_function_get(struct custos_client *c, const char *id, char **json);
int custos_function_list(struct custos_client *c, char **json);
int custos_function_update(struct custos_client *c, const char *id,
                           const struct custos_function_spec *f);
int custos_function_delete(struct custos_client *c, const char *id);
int custos_function_disable(struct custos_client *c, const char *id);

/* ---- files ---- */

/* How a file is encrypted. */
struct custos_crypto {
	const char *schema; /* "custos", "aes-gcm-128", "aes-gcm-256" */
	const uint8_t *key;
	size_t key_len;    /* 32 (16 for aes-gcm-128) */
	const uint8_t *iv; /* CUSTOS_IV_LEN bytes for aes-gcm; NULL for custos */
};

/* digest: hex SHA-256 of the encrypted file. */
int custos_file_register_input(struct custos_client *c, const char *url,
                               const struct custos_crypto *crypto, const char *digest,
                               char id[CUSTOS_ID_MAX]);
int custos_file_register_output(struct custos_client *c, const char *url,
                                const struct custos_crypto *crypto, char id[CUSTOS_ID_MAX]);
/* A fusion file owned by owners (the caller among them, at least two). */
int custos_file_register_fusion(struct custos_client *c, const char *const *owners, size_t nowners,
                                char id[CUSTOS_ID_MAX]);
/* An input made of a written output the caller owns. */
int custos_file_register_from_output(struct custos_client *c, const char *output_id,
                                     char id[CUSTOS_ID_MAX]);
int custos_file_get(struct custos_client *c, const char *id, char **json);
int custos_file_list(struct custos_client *c, char **json);

/*
 * Register an input with the key of a key file (as `custos key generate`
 * writes it): iv_hex (NULL for custos keys) is 24 hex digits for aes-gcm.
 */
int custos_file_register_input_keyfile(struct custos_client *c, const char *url,
                                       const char *keyfile, const char *iv_hex, const char *digest,
                                       char id[CUSTOS_ID_MAX]);
/* Register an output to be encrypted with the key of a key file (custos format). */
int custos_file_register_output_keyfile(struct custos_client *c, const char *url,
                                        const char *keyfile, char id[CUSTOS_ID_MAX]);

/*
 * Encrypt the file at plaintext with a fresh key in the Custos format, write
 * it to destination (a path, or a file:// URL; it must not exist), and
 * register it as an input with its digest. The key goes to the platform
 * only, then is wiped here. On failure nothing is left at destination.
 */
int custos_file_upload_input(struct custos_client *c, const char *plaintext,
                             const char *destination, char id[CUSTOS_ID_MAX]);

/* ---- tasks ---- */

struct custos_task_arg {
	const char *name;
	const char *value;
};

/* An input or output slot of a task and who must own the file put in it. */
struct custos_task_slot {
	const char *name;
	const char *const *owners;
	size_t nowners;
};

struct custos_task_spec {
	const char *function; /* id */
	const struct custos_task_arg *args;
	size_t nargs;
	const struct custos_task_slot *inputs;
	size_t ninputs;
	const struct custos_task_slot *outputs;
	size_t noutputs;
};

/* A file for a slot. */
struct custos_task_file {
	const char *name;
	const char *file; /* id */
};

int custos_task_create(struct custos_client *c, const struct custos_task_spec *t,
                       char id[CUSTOS_ID_MAX]);
/*
 * The task. wait_seconds (0..CUSTOS_WAIT_MAX) asks the platform to answer
 * when the task has ended or the time is up, whichever comes first.
 */
int custos_task_get(struct custos_client *c, const char *id, unsigned wait_seconds, char **json);
/*
 * custos_task_get with long polls until the task has ended (finished,
 * failed or canceled) or timeout_seconds have passed (0: no limit, then
 * CUSTOS_ETIMEOUT with the last view still in *json).
 */
int custos_task_wait(struct custos_client *c, const char *id, unsigned timeout_seconds,
                     char **json);
int custos_task_list(struct custos_client *c, char **json);
/* json (may be NULL) receives {"id","status"} for the calls below. */
int custos_task_assign(struct custos_client *c, const char *id,
                       const struct custos_task_file *inputs, size_t ninputs,
                       const struct custos_task_file *outputs, size_t noutputs, char **json);
/*
 * Approve the task as it is now: GET it, then approve the digest it shows.
 * digest_out (may be NULL) receives that digest (CUSTOS_DIGEST_HEXLEN + 1 bytes).
 */
int custos_task_approve(struct custos_client *c, const char *id, char *digest_out, char **json);
int custos_task_invoke(struct custos_client *c, const char *id, char **json);
int custos_task_cancel(struct custos_client *c, const char *id, char **json);

/* ---- audit ---- */

/* Records from number from on (at most 1000); user (may be NULL) filters. */
int custos_audit_query(struct custos_client *c, uint64_t from, const char *user, char **json);
/* {"count","ok","first_bad","reason"}. */
int custos_audit_verify(struct custos_client *c, char **json);

#ifdef __cplusplus
}
#endif

#endif
