/*
 * example.c - a program that uses libcustos.so through <custos/custos.h>
 * alone (built as pedantic C99): it shows how the library is called, and
 * its build proves the public header stands by itself.
 *
 *   custos-client-example URL MANIFEST SIGNATURE AUDITOR_KEY USER PASSWORD_FILE
 *
 * Without arguments it checks what needs no platform and exits 0.
 */
#include <stdio.h>
#include <string.h>

#include <custos/custos.h>

static int offline(void)
{
	struct custos_client *c = custos_client_new();
	struct custos_trust t;
	int rc;

	if (!c)
		return 1;
	memset(&t, 0, sizeof(t));
	t.url = "http://not-attested";
	rc = custos_connect(c, &t);
	printf("connect without trust: %s (%s)\n", custos_error_code(rc), custos_last_error(c));
	custos_client_free(c);
	return rc == CUSTOS_EINVAL ? 0 : 1;
}

static int read_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	int ok = f && fgets(buf, (int)n, f) != NULL;

	if (f)
		fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\r\n")] = 0;
	return 0;
}

int main(int argc, char **argv)
{
	const char *sigs[1], *auditors[1];
	struct custos_trust t;
	struct custos_client *c;
	char password[256], *json = NULL;
	int rc;

	if (argc == 1)
		return offline();
	if (argc != 7 || read_line(argv[6], password, sizeof(password))) {
		fprintf(stderr, "usage: %s URL MANIFEST SIGNATURE AUDITOR USER PASSWORD_FILE\n",
		        argv[0]);
		return 2;
	}
	sigs[0] = argv[3];
	auditors[0] = argv[4];
	memset(&t, 0, sizeof(t));
	t.url = argv[1];
	t.manifest = argv[2];
	t.signatures = sigs;
	t.nsignatures = 1;
	t.auditors = auditors;
	t.nauditors = 1;
	t.threshold = 1;
	if (!(c = custos_client_new()))
		return 1;
	if ((rc = custos_connect(c, &t)) || (rc = custos_login(c, argv[5], password)) ||
	    (rc = custos_user_get(c, argv[5], &json)))
		fprintf(stderr, "error: %s\n", custos_last_error(c));
	else
		printf("%s\n", json);
	memset(password, 0, sizeof(password));
	custos_free(json);
	custos_client_free(c);
	return rc ? 1 : 0;
}
