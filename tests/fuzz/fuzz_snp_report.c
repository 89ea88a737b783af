/*
 * libFuzzer target: the SEV-SNP report parser, its decoder, and the VCEK
 * binding checks. The first SNP_REPORT_LEN bytes are a report; whatever
 * follows is a certificate (DER or PEM) checked against it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tee/snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ignore_field(void *arg, const char *name, const char *value)
{
	(void)arg;
	(void)name;
	(void)value;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snp_report rep;
	char reason[SNP_REASON_LEN];
	size_t n = size < SNP_REPORT_LEN ? size : SNP_REPORT_LEN;
	static const enum snp_product products[] = {SNP_PRODUCT_MILAN, SNP_PRODUCT_TURIN};

	/* The whole input as a report (trailing bytes are refused). */
	if (snp_report_parse(data, size, &rep, reason, sizeof(reason)) == 0)
		snp_report_show(&rep, SNP_PRODUCT_UNKNOWN, ignore_field, NULL);
	if (snp_report_parse(data, n, &rep, reason, sizeof(reason)) != 0) {
		/* Fuzz the binding checks even when the report half is malformed. */
		memset(&rep, 0, sizeof(rep));
		rep.version = 2;
	}
	snp_report_product_hint(&rep);
	if (size > n)
		for (size_t i = 0; i < sizeof(products) / sizeof(products[0]); i++)
			(void)!snp_check_cert_binding(data + n, size - n, &rep, products[i], reason,
			                              sizeof(reason));
	return 0;
}
