#include "tee/claims.h"

#include <string.h>

const char *tee_type_name(enum tee_type t)
{
	switch (t) {
	case TEE_SGX:
		return "sgx";
	case TEE_TDX:
		return "tdx";
	case TEE_SEV_SNP:
		return "sev-snp";
	case TEE_SIM:
		return "sim";
	case TEE_NONE:
		break;
	}
	return "none";
}

static const char *const tcb_names[] = {
    [TEE_TCB_UNKNOWN] = "Unknown",
    [TEE_TCB_UP_TO_DATE] = "UpToDate",
    [TEE_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
    [TEE_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
    [TEE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
    [TEE_TCB_OUT_OF_DATE] = "OutOfDate",
    [TEE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
    [TEE_TCB_REVOKED] = "Revoked",
    [TEE_TCB_NOT_APPLICABLE] = "NotApplicable",
};

const char *tee_tcb_status_name(enum tee_tcb_status s)
{
	if ((unsigned)s >= sizeof(tcb_names) / sizeof(tcb_names[0]))
		return "Unknown";
	return tcb_names[s];
}

enum tee_tcb_status tee_tcb_status_from_name(const char *s)
{
	for (size_t i = 1; s && i < sizeof(tcb_names) / sizeof(tcb_names[0]); i++)
		if (!strcmp(s, tcb_names[i]))
			return (enum tee_tcb_status)i;
	return TEE_TCB_UNKNOWN;
}
