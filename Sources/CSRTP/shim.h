// libsrtp2 as seen from Swift: the policy macros as inline functions.
#ifndef SFU_CSRTP_SHIM_H
#define SFU_CSRTP_SHIM_H

#include <srtp2/srtp.h>

static inline void sfu_srtp_policy_aes_cm_128_hmac_sha1_80(srtp_crypto_policy_t *p) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p);
}
static inline void sfu_srtp_policy_aead_aes_128_gcm(srtp_crypto_policy_t *p) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(p);
}

#endif
