// libsrtp2's AES-ICM, AES-GCM and HMAC-SHA1 on OpenSSL, registered into its crypto kernel.
// See srtp_openssl_crypto.c for why and how.
#ifndef SFU_CSRTPCRYPTO_H
#define SFU_CSRTPCRYPTO_H

/// Replaces libsrtp2's AES-ICM-128, AES-ICM-256, AES-GCM-128 and HMAC-SHA1 with the
/// implementations of srtp_openssl_crypto.c. Call once, after srtp_init() and before any
/// srtp_create(). Each replacement passes its own known-answer tests and the ones of the type it
/// replaces, or the kernel refuses it. Returns 0 (srtp_err_status_ok) or the status of the first
/// failure, with `*failed_type` (if not NULL) set to a static name of the type that failed.
int sfu_srtp_openssl_crypto_register(const char **failed_type);

/// 1 when the crypto kernel hands out this file's types for AES-ICM-128, AES-GCM-128 and
/// HMAC-SHA1 (for tests), 0 otherwise.
int sfu_srtp_openssl_crypto_active(void);

#endif
