/*
 * simtee.h - custos-simtee, the simulated hardware root (internal).
 *
 * simtee.c       arguments, the socket, the poll loop, requests
 * simtee_state.c the state directory: root key and certificate, sealing
 *                secret, the attestation key
 * simtee_peer.c  who is calling: SO_PEERCRED, pidfd, SHA-384 of /proc/PID/exe
 */
#ifndef CUSTOS_DAEMON_SIMTEE_H
#define CUSTOS_DAEMON_SIMTEE_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <sys/types.h>

#include "tee/sim.h"
#include "tee/simproto.h"

#define SIMTEE_SEAL_SECRET_LEN 32
#define SIMTEE_PEM_MAX         16384
#define SIMTEE_ROOT_YEARS      20
#define SIMTEE_ATTEST_VALIDITY (24 * 3600) /* seconds an attestation certificate lives */
#define SIMTEE_ATTEST_RENEW    (3600)      /* re-issue when less than this is left */
#define SIMTEE_ATTEST_BACKDATE 300         /* notBefore this far in the past, for skew */
#define SIMTEE_SEAL_SALT       "custos-simtee-seal-v1"
#define SIMTEE_MAX_CLIENTS     64
#define SIMTEE_IDLE_TIMEOUT_MS 10000
#define SIMTEE_EXE_MAX         (1024L * 1024 * 1024) /* bytes of an executable we hash */

/* Everything the daemon holds. Secrets are wiped by simtee_state_free(). */
struct simtee_state {
	char *dir;
	int lock_fd;
	EVP_PKEY *root_key;
	X509 *root_cert;
	uint8_t *root_der; /* root_cert as DER, for SIMTEE_GET_ROOT */
	size_t root_der_len;
	uint8_t seal_secret[SIMTEE_SEAL_SECRET_LEN];
	uint8_t platform_id[SIM_PLATFORM_ID_LEN];
	EVP_PKEY *attest_key;
	uint8_t *attest_cert; /* DER */
	size_t attest_cert_len;
	int64_t attest_not_after;
};

/*
 * Open the state directory dir (made 0700 if missing), lock it against a
 * second daemon, load or make the root key (root.key, 0600) and certificate
 * (root.pem) and the sealing secret (seal.key, 0600), and make a fresh
 * attestation key. Key files readable by group or others are refused.
 */
int simtee_state_open(const char *dir, struct simtee_state *st);

/* Re-issue the attestation certificate if it expires within SIMTEE_ATTEST_RENEW of now. */
int simtee_state_refresh(struct simtee_state *st, int64_t now);

/* The sealing key of measurement and label: HKDF-SHA-384 over the sealing secret. */
int simtee_state_seal_key(const struct simtee_state *st,
                          const uint8_t measurement[static SIM_MEASUREMENT_LEN], const char *label,
                          size_t label_len, uint8_t key[static SIMTEE_KEY_LEN]);

void simtee_state_free(struct simtee_state *st);

/* A connected peer, identified when it connects. */
struct simtee_peer {
	pid_t pid;
	uid_t uid;
	int pidfd;                /* the peer process itself, -1 if none */
	int pidfd_from_socket;    /* 1: SO_PEERPIDFD (no PID-reuse window) */
	unsigned long long start; /* start time from /proc/PID/stat, clock ticks */
};

/* Identify the peer of a connected socket. */
int simtee_peer_open(int fd, struct simtee_peer *p);

/*
 * SHA-384 of the executable the peer runs now, read by this daemon from
 * /proc/PID/exe; CU_ESTATE if the peer is gone or no longer the process
 * that connected.
 */
int simtee_peer_measure(const struct simtee_peer *p, uint8_t out[static SIM_MEASUREMENT_LEN]);

void simtee_peer_close(struct simtee_peer *p);

#endif
