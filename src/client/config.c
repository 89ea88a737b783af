/* config.c - the settings and the token of the custos command, in its config directory. */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/config.h"
#include "common/err.h"
#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"

#define TOKEN_MAX 8192

const char *const cl_config_keys[] = {"url",       "manifest",         "signatures", "auditors",
                                      "threshold", "allow-simulation", "role",       NULL};

__attribute__((format(printf, 4, 5))) static int say(char *msg, size_t msgsz, int rc,
                                                     const char *fmt, ...)
{
	va_list ap;

	if (msg && msgsz) {
		va_start(ap, fmt);
		vsnprintf(msg, msgsz, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int cl_config_dir(char *out, size_t outsz)
{
	const char *home = getenv("CUSTOS_HOME");
	struct passwd *pw;
	int n;

	if (home && *home) {
		n = snprintf(out, outsz, "%s", home);
	} else {
		home = getenv("HOME");
		if ((!home || !*home) && (pw = getpwuid(geteuid())))
			home = pw->pw_dir;
		if (!home || !*home)
			return CU_ENOTFOUND;
		n = snprintf(out, outsz, "%s/.config/custos", home);
	}
	return n < 0 || (size_t)n >= outsz ? CU_ELIMIT : 0;
}

/* mkdir -p with mode 0700 for what it makes. */
static int make_dirs(const char *dir)
{
	char p[CL_CONFIG_PATH_MAX];
	size_t n = strlen(dir);

	if (!n || n >= sizeof(p))
		return CU_ELIMIT;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != 0)
			continue;
		p[i] = 0;
		if (mkdir(p, 0700) && errno != EEXIST)
			return CU_EIO;
		p[i] = i < n ? '/' : 0;
	}
	return 0;
}

int cl_config_dir_ensure(const char *dir)
{
	struct stat st;
	int rc;

	if ((rc = make_dirs(dir)))
		return rc;
	if (lstat(dir, &st))
		return CU_EIO;
	if (!S_ISDIR(st.st_mode))
		return CU_EFORMAT;
	if (st.st_uid != geteuid())
		return CU_EPERM;
	if ((st.st_mode & 077) && chmod(dir, st.st_mode & 0700))
		return CU_EIO;
	return 0;
}

static int join(char *out, size_t outsz, const char *dir, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= outsz ? CU_ELIMIT : 0;
}

void cl_config_clear(struct cl_config *cfg)
{
	free(cfg->url);
	free(cfg->manifest);
	free(cfg->role);
	for (size_t i = 0; i < cfg->nsignatures; i++)
		free(cfg->signatures[i]);
	for (size_t i = 0; i < cfg->nauditors; i++)
		free(cfg->auditors[i]);
	memset(cfg, 0, sizeof(*cfg));
}

static int url_ok(const char *u)
{
	size_t n = strlen(u);

	if (n <= 8 || n >= 2048 || strncmp(u, "https://", 8))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
			return 0;
	return 1;
}

static int role_ok(const char *r)
{
	size_t n = strlen(r);

	if (!n || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '_' ||
		      r[i] == '-'))
			return 0;
	return 1;
}

/* An existing path, made absolute (malloc'd). */
static int abs_path(const char *p, char **out, char *msg, size_t msgsz)
{
	char real[PATH_MAX];

	*out = NULL;
	if (!*p)
		return say(msg, msgsz, CU_EFORMAT, "an empty path");
	if (!realpath(p, real))
		return say(msg, msgsz, CU_EFORMAT, "%s: %s", p, strerror(errno));
	if (!(*out = cu_strdup(real)))
		return CU_ENOMEM;
	return 0;
}

static int set_list(char **v, size_t *n, const char *value, char *msg, size_t msgsz)
{
	char *items[CL_CONFIG_LIST_MAX] = {0}, part[PATH_MAX];
	size_t k = 0, len;
	const char *p = value;
	int rc = 0;

	while (*value && !rc) {
		len = strcspn(p, ",");
		if (k >= CL_CONFIG_LIST_MAX)
			rc = say(msg, msgsz, CU_ELIMIT, "at most %d paths", CL_CONFIG_LIST_MAX);
		else if (!len || len >= sizeof(part))
			rc = say(msg, msgsz, CU_EFORMAT, "an empty or over-long path in the list");
		if (rc)
			break;
		memcpy(part, p, len);
		part[len] = 0;
		if ((rc = abs_path(part, &items[k], msg, msgsz)))
			break;
		k++;
		if (!p[len])
			break;
		p += len + 1;
	}
	if (rc) {
		for (size_t i = 0; i < k; i++)
			free(items[i]);
		return rc;
	}
	for (size_t i = 0; i < *n; i++)
		free(v[i]);
	memcpy(v, items, k * sizeof(*v));
	*n = k;
	return 0;
}

static int replace(char **slot, const char *value)
{
	char *s = cu_strdup(value);

	if (!s)
		return CU_ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}

int cl_config_set(struct cl_config *cfg, const char *key, const char *value, char *msg,
                  size_t msgsz)
{
	char *s;
	int rc;

	if (!strcmp(key, "url")) {
		if (!url_ok(value))
			return say(msg, msgsz, CU_EFORMAT, "url must be https://HOST:PORT");
		return replace(&cfg->url, value);
	}
	if (!strcmp(key, "manifest")) {
		if ((rc = abs_path(value, &s, msg, msgsz)))
			return rc;
		free(cfg->manifest);
		cfg->manifest = s;
		return 0;
	}
	if (!strcmp(key, "signatures"))
		return set_list(cfg->signatures, &cfg->nsignatures, value, msg, msgsz);
	if (!strcmp(key, "auditors"))
		return set_list(cfg->auditors, &cfg->nauditors, value, msg, msgsz);
	if (!strcmp(key, "threshold")) {
		char *end;
		unsigned long v;
		errno = 0;
		v = strtoul(value, &end, 10);
		if (!*value || *value == '-' || *value == '+' || *end || errno || v < 1 ||
		    v > CL_CONFIG_LIST_MAX)
			return say(msg, msgsz, CU_EFORMAT, "threshold must be 1..%d",
			           CL_CONFIG_LIST_MAX);
		cfg->threshold = v;
		return 0;
	}
	if (!strcmp(key, "allow-simulation")) {
		if (strcmp(value, "true") && strcmp(value, "false"))
			return say(msg, msgsz, CU_EFORMAT, "allow-simulation is true or false");
		cfg->allow_simulation = !strcmp(value, "true");
		return 0;
	}
	if (!strcmp(key, "role")) {
		if (!role_ok(value))
			return say(msg, msgsz, CU_EFORMAT, "role is 1..32 of [a-z0-9_-]");
		return replace(&cfg->role, value);
	}
	return say(msg, msgsz, CU_EINVAL, "unknown key '%s'", key);
}

static char *join_list(char *const *v, size_t n)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if (!(s = malloc(len)))
		return NULL;
	s[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, v[i]);
	}
	return s;
}

int cl_config_get(const struct cl_config *cfg, const char *key, char **out)
{
	char num[32];

	*out = NULL;
	if (!strcmp(key, "url"))
		*out = cu_strdup(cfg->url ? cfg->url : "");
	else if (!strcmp(key, "manifest"))
		*out = cu_strdup(cfg->manifest ? cfg->manifest : "");
	else if (!strcmp(key, "role"))
		*out = cu_strdup(cfg->role ? cfg->role : "");
	else if (!strcmp(key, "signatures"))
		*out = join_list(cfg->signatures, cfg->nsignatures);
	else if (!strcmp(key, "auditors"))
		*out = join_list(cfg->auditors, cfg->nauditors);
	else if (!strcmp(key, "threshold")) {
		if (cfg->threshold)
			snprintf(num, sizeof(num), "%llu", (unsigned long long)cfg->threshold);
		else
			num[0] = 0;
		*out = cu_strdup(num);
	} else if (!strcmp(key, "allow-simulation"))
		*out = cu_strdup(cfg->allow_simulation ? "true" : "false");
	else
		return CU_EINVAL;
	return *out ? 0 : CU_ENOMEM;
}

static json_t *list_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *cl_config_json(const struct cl_config *cfg)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if ((cfg->url && cu_json_set_str(o, "url", cfg->url)) ||
	    (cfg->manifest && cu_json_set_str(o, "manifest", cfg->manifest)) ||
	    (cfg->role && cu_json_set_str(o, "role", cfg->role)) ||
	    json_object_set_new(o, "signatures", list_json(cfg->signatures, cfg->nsignatures)) ||
	    json_object_set_new(o, "auditors", list_json(cfg->auditors, cfg->nauditors)) ||
	    (cfg->threshold && cu_json_set_int(o, "threshold", (int64_t)cfg->threshold)) ||
	    cu_json_set_bool(o, "allow_simulation", cfg->allow_simulation)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A list member of the file: an array of absolute paths. */
static int load_list(const json_t *root, const char *key, char **v, size_t *n)
{
	const json_t *a = json_object_get(root, key), *x;
	size_t i;

	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > CL_CONFIG_LIST_MAX)
		return CU_EFORMAT;
	json_array_foreach(a, i, x)
	{
		if (!json_is_string(x) || json_string_value(x)[0] != '/' ||
		    json_string_length(x) >= CL_CONFIG_PATH_MAX)
			return CU_EFORMAT;
		if (!(v[*n] = cu_strdup(json_string_value(x))))
			return CU_ENOMEM;
		(*n)++;
	}
	return 0;
}

static int load_str(const json_t *root, const char *key, char **out)
{
	const char *s;
	int rc = cu_json_get_str(root, key, &s);

	if (rc == CU_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	return (*out = cu_strdup(s)) ? 0 : CU_ENOMEM;
}

static int parse_config(const json_t *root, struct cl_config *cfg, char *msg, size_t msgsz)
{
	static const char *const keys[] = {
	    "url",       "manifest",         "role", "signatures", "auditors",
	    "threshold", "allow_simulation", NULL};
	int64_t k = 0;
	int rc, b = 0;

	if (!json_is_object(root))
		return say(msg, msgsz, CU_EFORMAT, "not a JSON object");
	if ((rc = cu_json_only_keys(root, keys, "the config", msg, msgsz)))
		return rc;
	if ((rc = load_str(root, "url", &cfg->url)) ||
	    (rc = load_str(root, "manifest", &cfg->manifest)) ||
	    (rc = load_str(root, "role", &cfg->role)) ||
	    (rc = load_list(root, "signatures", cfg->signatures, &cfg->nsignatures)) ||
	    (rc = load_list(root, "auditors", cfg->auditors, &cfg->nauditors)))
		return say(msg, msgsz, rc, "a member has the wrong type or size");
	rc = cu_json_get_int(root, "threshold", 1, CL_CONFIG_LIST_MAX, &k);
	if (rc && rc != CU_ENOTFOUND)
		return say(msg, msgsz, CU_EFORMAT, "threshold must be 1..%d", CL_CONFIG_LIST_MAX);
	cfg->threshold = rc ? 0 : (uint64_t)k;
	rc = cu_json_get_bool(root, "allow_simulation", &b);
	if (rc && rc != CU_ENOTFOUND)
		return say(msg, msgsz, CU_EFORMAT, "allow_simulation must be true or false");
	cfg->allow_simulation = rc ? 0 : b;
	return 0;
}

int cl_config_load(const char *dir, struct cl_config *cfg, char *msg, size_t msgsz)
{
	char path[CL_CONFIG_PATH_MAX], why[256] = "";
	json_t *root = NULL;
	uint8_t *buf;
	size_t len;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if ((rc = join(path, sizeof(path), dir, CL_CONFIG_FILE)))
		return say(msg, msgsz, rc, "config directory path too long");
	rc = cu_file_read(path, CL_CONFIG_MAX, &buf, &len);
	if (rc == CU_ENOTFOUND)
		return 0;
	if (rc)
		return say(msg, msgsz, rc, "cannot read %s: %s", path, cu_strerror(rc));
	rc = cu_json_parse(buf, len, CL_CONFIG_MAX, &root);
	free(buf);
	if (rc)
		return say(msg, msgsz, CU_EFORMAT, "%s is not valid JSON", path);
	if ((rc = parse_config(root, cfg, why, sizeof(why)))) {
		cl_config_clear(cfg);
		rc = say(msg, msgsz, rc == CU_ENOMEM ? rc : CU_EFORMAT, "%s: %s", path, why);
	}
	json_decref(root);
	return rc;
}

int cl_config_save(const char *dir, const struct cl_config *cfg)
{
	char path[CL_CONFIG_PATH_MAX], *text = NULL;
	json_t *o;
	int rc;

	if ((rc = join(path, sizeof(path), dir, CL_CONFIG_FILE)) ||
	    (rc = cl_config_dir_ensure(dir)))
		return rc;
	if (!(o = cl_config_json(cfg)))
		return CU_ENOMEM;
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text)
		return CU_ENOMEM;
	rc = cu_file_write_atomic(path, text, strlen(text), 0600);
	free(text);
	return rc;
}

int cl_token_save(const char *dir, const char *token)
{
	char path[CL_CONFIG_PATH_MAX];
	int rc;

	if (!token || !*token || strlen(token) >= TOKEN_MAX)
		return CU_EINVAL;
	if ((rc = join(path, sizeof(path), dir, CL_CONFIG_TOKEN)) ||
	    (rc = cl_config_dir_ensure(dir)))
		return rc;
	return cu_file_write_atomic(path, token, strlen(token), 0600);
}

int cl_token_load(const char *dir, char **token)
{
	char path[CL_CONFIG_PATH_MAX];
	uint8_t *buf;
	size_t len;
	int rc;

	*token = NULL;
	if ((rc = join(path, sizeof(path), dir, CL_CONFIG_TOKEN)))
		return rc;
	if ((rc = cu_file_read(path, TOKEN_MAX, &buf, &len)))
		return rc;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = 0;
	if (!len || memchr(buf, 0, len)) {
		cu_free_secret(buf, len);
		return CU_EFORMAT;
	}
	*token = (char *)buf; /* cu_file_read puts a NUL after the bytes */
	return 0;
}

int cl_token_remove(const char *dir)
{
	char path[CL_CONFIG_PATH_MAX];
	int rc;

	if ((rc = join(path, sizeof(path), dir, CL_CONFIG_TOKEN)))
		return rc;
	if (unlink(path) && errno != ENOENT)
		return CU_EIO;
	return 0;
}
