/*
 * simtee-evidence-tool - test helper (not installed): ask a running
 * custos-simtee for simulated evidence of this very program, through the
 * "sim" backend of tee.h, and write it to a file.
 *
 *   simtee-evidence-tool SOCKET REPORT_DATA_HEX(128 digits) OUT
 *
 * Prints this program's measurement (hex) on stdout; the integration tests
 * compare it with `sha384sum` of the program and with the evidence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "tee/tee.h"

int main(int argc, char **argv)
{
	struct tee_options opt = {0};
	uint8_t rd[TEE_REPORT_DATA_LEN], m[TEE_MEASUREMENT_MAX], *ev = NULL;
	char hex[2 * TEE_MEASUREMENT_MAX + 1];
	size_t evlen = 0, mlen = sizeof(m);
	struct tee *tee = NULL;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: %s SOCKET REPORT_DATA_HEX OUT\n", argv[0]);
		return 2;
	}
	if (strlen(argv[2]) != 2 * sizeof(rd) || cu_hex_decode_exact(argv[2], rd, sizeof(rd))) {
		fprintf(stderr, "%s: report data must be %zu hex digits\n", argv[0],
		        2 * sizeof(rd));
		return 2;
	}
	opt.sim_socket = argv[1];
	if ((rc = tee_open("sim", &opt, &tee)) || (rc = tee_get_evidence(tee, rd, &ev, &evlen)) ||
	    (rc = tee_self_measurement(tee, m, &mlen)) ||
	    (rc = cu_file_write_atomic(argv[3], ev, evlen, 0644)) ||
	    (rc = cu_hex_encode(m, mlen, hex, sizeof(hex)))) {
		fprintf(stderr, "%s: %s\n", argv[0], cu_strerror(rc));
		rc = 1;
	} else {
		printf("%s\n", hex);
	}
	free(ev);
	tee_free(tee);
	return rc;
}
