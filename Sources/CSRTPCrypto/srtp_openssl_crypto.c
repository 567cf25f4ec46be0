/*
 * libsrtp2's ciphers and authentication function on OpenSSL, registered into its crypto kernel.
 *
 * Why: Debian builds libsrtp2 2.5 with its crypto on NSS, which allocates on the heap for every
 * packet (5 blocks per protect or unprotect with AEAD_AES_128_GCM, 14 with
 * AES_CM_128_HMAC_SHA1_80) and is about four times slower for AES-CM + HMAC-SHA1. The SFU's
 * packet path must not allocate (docs/benchmarks.md). libsrtp2 lets an application replace a
 * cipher or auth type by id (srtp_replace_cipher_type, srtp_replace_auth_type); SRTPLibrary does
 * that once, right after srtp_init(), so every srtp_t of the process uses these.
 *
 * The callback contracts (srtp2/cipher.h, srtp2/auth.h) as libsrtp2 2.5's srtp/srtp.c and
 * crypto/cipher/cipher.c use them:
 *   - alloc(&c, key_len, tag_len) allocates the srtp_cipher_t / srtp_auth_t and its state and fills
 *     in type, state, key_len (and algorithm, out_len, prefix_len). dealloc frees both. These run
 *     when a session or stream is created, never per packet.
 *   - cipher init(state, key): key is key || salt, key_len bytes in all (AES-ICM-128: 16 + 14 = 30,
 *     AES-ICM-256: 32 + 14 = 46, AES-GCM-128: 16 + 12 = 28). Called at key derivation only.
 *   - AES-ICM set_iv(state, iv16): srtp.c passes the 16-byte block with the SSRC and packet index
 *     (or, in the KDF, the label) already placed; the cipher XORs in the salt, whose last two bytes
 *     are zero, and counts up from there (RFC 3711 4.1.1). encrypt and decrypt are the same
 *     keystream XOR and may be called more than once per IV, continuing the keystream.
 *   - AES-GCM set_iv(state, iv12, direction) picks the direction; srtp.c has already XORed the
 *     salt in (RFC 7714 8.1). set_aad may be called several times before encrypt (SRTCP: header,
 *     then the E-flag/index word). encrypt leaves the tag to get_tag; decrypt gets ciphertext || tag,
 *     checks the tag and returns the plaintext length, or srtp_err_status_auth_fail.
 *   - auth init(state, key, key_len) at key derivation; per packet start(), update()*, then
 *     compute(), which takes the last piece of the message and writes the first tag_len bytes.
 *
 * Per packet nothing here allocates: every OpenSSL context is created and keyed in alloc/init,
 * and set_iv re-initialises it with the IV only. HMAC-SHA1 does not use EVP_MAC: in OpenSSL 3.0,
 * re-initialising a keyed HMAC (EVP_MAC_init(ctx, NULL, 0, NULL)) copies its digest contexts
 * with the provider's dupctx, two heap allocations per packet (measured here, 3.0.19), and
 * EVP_MD_CTX_copy_ex allocates the same way. So HMAC is built on OpenSSL's SHA-1 block functions
 * (SHA1_Init/Update/Final, deprecated in 3.0 but present in every 3.x): the inner and outer
 * states after the key pads are kept in plain SHA_CTX structs and copied by assignment per packet.
 *
 * Each type carries known-answer tests (cipher.c/auth.c run them, plus 128 random round trips for
 * ciphers, and the kernel also runs the replaced type's own tests): RFC 3711 B.2 for AES-ICM-128,
 * RFC 6188 7.1 for AES-ICM-256, GCM test case 4 of McGrew and Viega's GCM specification (also in
 * NIST's GCM test vectors) for AES-GCM-128, RFC 2202 3 cases 1, 2 and 6 for HMAC-SHA1.
 *
 * Written for this project against the contracts above; not derived from libsrtp2's own
 * OpenSSL back end.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_Init & co., see above */

#include "CSRTPCrypto.h"

#include <srtp2/srtp.h>
#include <srtp2/cipher.h>
#include <srtp2/auth.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

/* The algorithm implementations, fetched once by sfu_srtp_openssl_crypto_register (an explicit
 * fetch also keeps EVP_*Init from looking one up when a context is keyed). Never freed. */
static EVP_CIPHER *aes_128_ctr;
static EVP_CIPHER *aes_256_ctr;
static EVP_CIPHER *aes_128_gcm;

/* ---------------------------------------------------------------------------------------------
 * AES-ICM (AES in counter mode, RFC 3711 4.1.1) on EVP AES-CTR.
 *
 * OpenSSL's CTR increments the whole 128-bit block, libsrtp's ICM only its last 16 bits; both
 * start those bits at zero and agree for any input under 2^16 blocks (1 MiB), far beyond a packet.
 */

typedef struct {
    EVP_CIPHER_CTX *ctx;
    const EVP_CIPHER *evp;
    int key_size;          /* AES key bytes: 16 or 32 */
    uint8_t offset[16];    /* salt || 0x0000 */
} icm_state;

typedef struct {
    srtp_cipher_t cipher; /* first: srtp_cipher_dealloc hands back this pointer */
    icm_state state;
} icm_block;

static const srtp_cipher_type_t icm_128_type;
static const srtp_cipher_type_t icm_256_type;

static srtp_err_status_t icm_alloc(srtp_cipher_t **c, int key_len, const srtp_cipher_type_t *type,
                                   const EVP_CIPHER *evp, int key_size)
{
    icm_block *block;

    if (key_len != key_size + SRTP_SALT_LEN) {
        return srtp_err_status_bad_param;
    }
    block = OPENSSL_zalloc(sizeof(*block));
    if (block == NULL) {
        return srtp_err_status_alloc_fail;
    }
    block->state.ctx = EVP_CIPHER_CTX_new();
    if (block->state.ctx == NULL) {
        OPENSSL_free(block);
        return srtp_err_status_alloc_fail;
    }
    block->state.evp = evp;
    block->state.key_size = key_size;
    block->cipher.type = type;
    block->cipher.state = &block->state;
    block->cipher.key_len = key_len;
    block->cipher.algorithm = type->id;
    *c = &block->cipher;
    return srtp_err_status_ok;
}

static srtp_err_status_t icm_128_alloc(srtp_cipher_t **c, int key_len, int tag_len)
{
    (void)tag_len;
    return icm_alloc(c, key_len, &icm_128_type, aes_128_ctr, 16);
}

static srtp_err_status_t icm_256_alloc(srtp_cipher_t **c, int key_len, int tag_len)
{
    (void)tag_len;
    return icm_alloc(c, key_len, &icm_256_type, aes_256_ctr, 32);
}

static srtp_err_status_t icm_dealloc(srtp_cipher_t *c)
{
    icm_block *block = (icm_block *)c;

    if (block == NULL) {
        return srtp_err_status_bad_param;
    }
    EVP_CIPHER_CTX_free(block->state.ctx); /* clears the key schedule */
    OPENSSL_clear_free(block, sizeof(*block));
    return srtp_err_status_ok;
}

static srtp_err_status_t icm_init(void *sv, const uint8_t *key)
{
    icm_state *s = sv;

    memset(s->offset, 0, sizeof(s->offset));
    memcpy(s->offset, key + s->key_size, SRTP_SALT_LEN);
    if (!EVP_EncryptInit_ex2(s->ctx, s->evp, key, NULL, NULL)) {
        return srtp_err_status_init_fail;
    }
    return srtp_err_status_ok;
}

static srtp_err_status_t icm_set_iv(void *sv, uint8_t *iv, srtp_cipher_direction_t direction)
{
    icm_state *s = sv;
    uint8_t counter[16];
    int i;

    (void)direction; /* the keystream is the same both ways */
    for (i = 0; i < 16; i++) {
        counter[i] = iv[i] ^ s->offset[i];
    }
    if (!EVP_EncryptInit_ex2(s->ctx, NULL, NULL, counter, NULL)) {
        return srtp_err_status_cipher_fail;
    }
    return srtp_err_status_ok;
}

static srtp_err_status_t icm_encrypt(void *sv, uint8_t *buffer, unsigned int *octets)
{
    icm_state *s = sv;
    int out = 0;

    if (*octets == 0) {
        return srtp_err_status_ok;
    }
    if (*octets > 0x7fffffffu || !EVP_EncryptUpdate(s->ctx, buffer, &out, buffer, (int)*octets) ||
        (unsigned int)out != *octets) {
        return srtp_err_status_cipher_fail;
    }
    return srtp_err_status_ok;
}

/* RFC 3711 B.2: session key, session salt, and the keystream of the first three blocks (the
 * counter's last two bytes are the block number; the IV, packet index and SSRC here are zero). */
static const uint8_t icm_128_key[30] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t icm_128_keystream[48] = {
    0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
    0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
    0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd, 0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0,
};
/* RFC 6188 7.1: the same with a 256-bit session key. */
static const uint8_t icm_256_key[46] = {
    0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70, 0xa8, 0x5e, 0xc9, 0x3c, 0x40, 0xb1, 0xf0, 0x92,
    0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82, 0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t icm_256_keystream[48] = {
    0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25, 0x11, 0xc6, 0x77, 0xd0, 0x8b, 0x55, 0x15, 0xa4,
    0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6, 0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac,
    0x63, 0xc4, 0x86, 0x8b, 0x70, 0x96, 0xd8, 0x84, 0x21, 0xb5, 0x63, 0xb8, 0xc9, 0x4c, 0x9a, 0x31,
};
static const uint8_t zeros_48[48];
static uint8_t zero_iv_16[16]; /* the test case's idx is not const in srtp2/cipher.h */

static const srtp_cipher_test_case_t icm_128_test = {
    sizeof(icm_128_key), icm_128_key, zero_iv_16,
    sizeof(zeros_48), zeros_48, sizeof(icm_128_keystream), icm_128_keystream,
    0, NULL, 0, NULL,
};
static const srtp_cipher_test_case_t icm_256_test = {
    sizeof(icm_256_key), icm_256_key, zero_iv_16,
    sizeof(zeros_48), zeros_48, sizeof(icm_256_keystream), icm_256_keystream,
    0, NULL, 0, NULL,
};

static const srtp_cipher_type_t icm_128_type = {
    icm_128_alloc, icm_dealloc, icm_init, NULL, icm_encrypt, icm_encrypt, icm_set_iv, NULL,
    "AES-128 counter mode on OpenSSL EVP (swift-sfu)", &icm_128_test, SRTP_AES_ICM_128,
};
static const srtp_cipher_type_t icm_256_type = {
    icm_256_alloc, icm_dealloc, icm_init, NULL, icm_encrypt, icm_encrypt, icm_set_iv, NULL,
    "AES-256 counter mode on OpenSSL EVP (swift-sfu)", &icm_256_test, SRTP_AES_ICM_256,
};

/* ---------------------------------------------------------------------------------------------
 * AES-GCM-128 (RFC 7714) on EVP AES-128-GCM, with a 16- or 8-byte tag.
 */

typedef struct {
    EVP_CIPHER_CTX *ctx;
    int tag_len;
    int encrypting; /* from set_iv; -1 before the first */
} gcm_state;

typedef struct {
    srtp_cipher_t cipher; /* first, as for icm_block */
    gcm_state state;
} gcm_block;

static const srtp_cipher_type_t gcm_128_type;

static srtp_err_status_t gcm_128_alloc(srtp_cipher_t **c, int key_len, int tag_len)
{
    gcm_block *block;

    if (key_len != SRTP_AES_GCM_128_KEY_LEN_WSALT || (tag_len != 16 && tag_len != 8)) {
        return srtp_err_status_bad_param;
    }
    block = OPENSSL_zalloc(sizeof(*block));
    if (block == NULL) {
        return srtp_err_status_alloc_fail;
    }
    block->state.ctx = EVP_CIPHER_CTX_new();
    if (block->state.ctx == NULL) {
        OPENSSL_free(block);
        return srtp_err_status_alloc_fail;
    }
    block->state.tag_len = tag_len;
    block->state.encrypting = -1;
    block->cipher.type = &gcm_128_type;
    block->cipher.state = &block->state;
    block->cipher.key_len = key_len;
    block->cipher.algorithm = SRTP_AES_GCM_128; /* srtp.c and cipher.c test this for the AEAD path */
    *c = &block->cipher;
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_dealloc(srtp_cipher_t *c)
{
    gcm_block *block = (gcm_block *)c;

    if (block == NULL) {
        return srtp_err_status_bad_param;
    }
    EVP_CIPHER_CTX_free(block->state.ctx);
    OPENSSL_clear_free(block, sizeof(*block));
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_init(void *sv, const uint8_t *key)
{
    gcm_state *s = sv;

    /* Only the first 16 bytes are the AES key; srtp.c keeps the salt to build each IV. */
    s->encrypting = -1;
    if (!EVP_CipherInit_ex2(s->ctx, aes_128_gcm, key, NULL, 1, NULL)) {
        return srtp_err_status_init_fail;
    }
    return srtp_err_status_ok; /* the IV length stays at GCM's default of 12 bytes */
}

static srtp_err_status_t gcm_set_iv(void *sv, uint8_t *iv, srtp_cipher_direction_t direction)
{
    gcm_state *s = sv;

    if (direction != srtp_direction_encrypt && direction != srtp_direction_decrypt) {
        return srtp_err_status_bad_param;
    }
    s->encrypting = direction == srtp_direction_encrypt;
    if (!EVP_CipherInit_ex2(s->ctx, NULL, NULL, iv, s->encrypting, NULL)) {
        return srtp_err_status_cipher_fail;
    }
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_aad(void *sv, const uint8_t *aad, uint32_t aad_len)
{
    gcm_state *s = sv;
    int out = 0;

    if (s->encrypting < 0) {
        return srtp_err_status_bad_param;
    }
    if (aad_len == 0) {
        return srtp_err_status_ok;
    }
    if (aad_len > 0x7fffffffu || !EVP_CipherUpdate(s->ctx, NULL, &out, aad, (int)aad_len)) {
        return srtp_err_status_algo_fail;
    }
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_encrypt(void *sv, uint8_t *buffer, unsigned int *octets)
{
    gcm_state *s = sv;
    int out = 0;

    if (s->encrypting != 1) {
        return srtp_err_status_bad_param;
    }
    if (*octets == 0) {
        return srtp_err_status_ok; /* SRTCP without encryption: only AAD */
    }
    if (*octets > 0x7fffffffu || !EVP_CipherUpdate(s->ctx, buffer, &out, buffer, (int)*octets) ||
        (unsigned int)out != *octets) {
        return srtp_err_status_cipher_fail;
    }
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_get_tag(void *sv, uint8_t *tag, uint32_t *tag_len)
{
    gcm_state *s = sv;
    uint8_t none[16];
    int out = 0;

    if (s->encrypting != 1) {
        return srtp_err_status_bad_param;
    }
    if (!EVP_CipherFinal_ex(s->ctx, none, &out) ||
        !EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, s->tag_len, tag)) {
        return srtp_err_status_algo_fail;
    }
    *tag_len = (uint32_t)s->tag_len;
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_decrypt(void *sv, uint8_t *buffer, unsigned int *octets)
{
    gcm_state *s = sv;
    unsigned int length;
    uint8_t none[16];
    int out = 0;

    if (s->encrypting != 0) {
        return srtp_err_status_bad_param;
    }
    if (*octets < (unsigned int)s->tag_len || *octets > 0x7fffffffu) {
        return srtp_err_status_bad_param;
    }
    length = *octets - (unsigned int)s->tag_len;
    if (length > 0 && (!EVP_CipherUpdate(s->ctx, buffer, &out, buffer, (int)length) ||
                       (unsigned int)out != length)) {
        return srtp_err_status_cipher_fail;
    }
    if (!EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_TAG, s->tag_len, buffer + length) ||
        !EVP_CipherFinal_ex(s->ctx, none, &out)) {
        return srtp_err_status_auth_fail;
    }
    *octets = length;
    return srtp_err_status_ok;
}

/* GCM specification (McGrew, Viega) test case 4, AES-128: 60 bytes of plaintext and 20 of AAD.
 * The key is followed by 12 bytes of salt, which the cipher ignores (srtp.c builds the IV). */
static const uint8_t gcm_128_key[28] = {
    0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
    0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac,
};
static uint8_t gcm_128_iv[12] = {
    0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88,
};
static const uint8_t gcm_128_plaintext[60] = {
    0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a,
    0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72,
    0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
    0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
};
static const uint8_t gcm_128_aad[20] = {
    0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef,
    0xab, 0xad, 0xda, 0xd2,
};
/* ciphertext || tag */
static const uint8_t gcm_128_ciphertext[76] = {
    0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7, 0x84, 0xd0, 0xd4, 0x9c,
    0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0, 0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac, 0xa1, 0x2e,
    0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93, 0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac, 0x84, 0xaa, 0x05,
    0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91,
    0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb, 0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47,
};
/* The same with the tag cut to 8 bytes (srtp_crypto_policy_set_aes_gcm_128_8_auth). */
static const srtp_cipher_test_case_t gcm_128_test_8 = {
    sizeof(gcm_128_key), gcm_128_key, gcm_128_iv,
    sizeof(gcm_128_plaintext), gcm_128_plaintext, sizeof(gcm_128_plaintext) + 8, gcm_128_ciphertext,
    sizeof(gcm_128_aad), gcm_128_aad, 8, NULL,
};
static const srtp_cipher_test_case_t gcm_128_test = {
    sizeof(gcm_128_key), gcm_128_key, gcm_128_iv,
    sizeof(gcm_128_plaintext), gcm_128_plaintext, sizeof(gcm_128_ciphertext), gcm_128_ciphertext,
    sizeof(gcm_128_aad), gcm_128_aad, 16, &gcm_128_test_8,
};

static const srtp_cipher_type_t gcm_128_type = {
    gcm_128_alloc, gcm_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt, gcm_set_iv,
    gcm_get_tag, "AES-128 GCM on OpenSSL EVP (swift-sfu)", &gcm_128_test, SRTP_AES_GCM_128,
};

/* ---------------------------------------------------------------------------------------------
 * HMAC-SHA1 (RFC 2104) on OpenSSL's SHA-1, truncated to the auth's out_len (RFC 3711 4.2.1).
 */

typedef struct {
    SHA_CTX inner; /* after H((K ^ ipad)) absorbed the key block */
    SHA_CTX outer; /* after (K ^ opad) */
    SHA_CTX message; /* inner + what start/update/compute have added for this packet */
} hmac_state;

typedef struct {
    srtp_auth_t auth; /* first: srtp_auth_dealloc hands back this pointer */
    hmac_state state;
} hmac_block;

static const srtp_auth_type_t hmac_sha1_type;

static srtp_err_status_t hmac_alloc(srtp_auth_t **a, int key_len, int out_len)
{
    hmac_block *block;

    if (key_len < 0 || out_len < 0 || out_len > SHA_DIGEST_LENGTH) {
        return srtp_err_status_bad_param;
    }
    block = OPENSSL_zalloc(sizeof(*block));
    if (block == NULL) {
        return srtp_err_status_alloc_fail;
    }
    block->auth.type = &hmac_sha1_type;
    block->auth.state = &block->state;
    block->auth.out_len = out_len;
    block->auth.key_len = key_len;
    block->auth.prefix_len = 0;
    *a = &block->auth;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_t *a)
{
    if (a == NULL) {
        return srtp_err_status_bad_param;
    }
    OPENSSL_clear_free(a, sizeof(hmac_block)); /* the key-dependent states too */
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_init(void *sv, const uint8_t *key, int key_len)
{
    hmac_state *s = sv;
    uint8_t block[SHA_CBLOCK];
    uint8_t pad[SHA_CBLOCK];
    int i;

    if (key_len < 0) {
        return srtp_err_status_bad_param;
    }
    memset(block, 0, sizeof(block));
    if (key_len > SHA_CBLOCK) {
        SHA1(key, (size_t)key_len, block); /* RFC 2104 2: a long key is hashed first */
    } else if (key_len > 0) {
        memcpy(block, key, (size_t)key_len);
    }
    for (i = 0; i < SHA_CBLOCK; i++) {
        pad[i] = block[i] ^ 0x36;
    }
    if (!SHA1_Init(&s->inner) || !SHA1_Update(&s->inner, pad, sizeof(pad))) {
        goto fail;
    }
    for (i = 0; i < SHA_CBLOCK; i++) {
        pad[i] = block[i] ^ 0x5c;
    }
    if (!SHA1_Init(&s->outer) || !SHA1_Update(&s->outer, pad, sizeof(pad))) {
        goto fail;
    }
    s->message = s->inner;
    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(pad, sizeof(pad));
    return srtp_err_status_ok;
fail:
    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(pad, sizeof(pad));
    return srtp_err_status_auth_fail;
}

static srtp_err_status_t hmac_start(void *sv)
{
    hmac_state *s = sv;

    s->message = s->inner;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *sv, const uint8_t *message, int octets)
{
    hmac_state *s = sv;

    if (octets < 0) {
        return srtp_err_status_bad_param;
    }
    if (octets > 0 && !SHA1_Update(&s->message, message, (size_t)octets)) {
        return srtp_err_status_auth_fail;
    }
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_compute(void *sv, const uint8_t *message, int octets, int tag_len,
                                      uint8_t *tag)
{
    hmac_state *s = sv;
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA_CTX outer;

    if (tag_len < 0 || tag_len > SHA_DIGEST_LENGTH || octets < 0) {
        return srtp_err_status_bad_param;
    }
    if (octets > 0 && !SHA1_Update(&s->message, message, (size_t)octets)) {
        return srtp_err_status_auth_fail;
    }
    outer = s->outer;
    if (!SHA1_Final(digest, &s->message) || !SHA1_Update(&outer, digest, sizeof(digest)) ||
        !SHA1_Final(digest, &outer)) {
        return srtp_err_status_auth_fail;
    }
    memcpy(tag, digest, (size_t)tag_len);
    return srtp_err_status_ok;
}

/* RFC 2202 3, test cases 1, 2 and 6 (6: an 80-byte key, longer than a block). */
static const uint8_t hmac_key_1[20] = {
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t hmac_data_1[8] = { 'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e' };
static const uint8_t hmac_tag_1[20] = {
    0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
    0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const uint8_t hmac_key_2[4] = { 'J', 'e', 'f', 'e' };
static const uint8_t hmac_data_2[28] = {
    'w', 'h', 'a', 't', ' ', 'd', 'o', ' ', 'y', 'a', ' ', 'w', 'a', 'n',
    't', ' ', 'f', 'o', 'r', ' ', 'n', 'o', 't', 'h', 'i', 'n', 'g', '?',
};
static const uint8_t hmac_tag_2[20] = {
    0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
    0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const uint8_t hmac_key_6[80] = {
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
};
static const char hmac_data_6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
static const uint8_t hmac_tag_6[20] = {
    0xaa, 0x4a, 0xe5, 0xe1, 0x52, 0x72, 0xd0, 0x0e, 0x95, 0x70,
    0x56, 0x37, 0xce, 0x8a, 0x3b, 0x55, 0xed, 0x40, 0x21, 0x12,
};

static const srtp_auth_test_case_t hmac_test_6 = {
    sizeof(hmac_key_6), hmac_key_6, sizeof(hmac_data_6) - 1, (const uint8_t *)hmac_data_6,
    sizeof(hmac_tag_6), hmac_tag_6, NULL,
};
static const srtp_auth_test_case_t hmac_test_2 = {
    sizeof(hmac_key_2), hmac_key_2, sizeof(hmac_data_2), hmac_data_2,
    sizeof(hmac_tag_2), hmac_tag_2, &hmac_test_6,
};
static const srtp_auth_test_case_t hmac_test_1 = {
    sizeof(hmac_key_1), hmac_key_1, sizeof(hmac_data_1), hmac_data_1,
    sizeof(hmac_tag_1), hmac_tag_1, &hmac_test_2,
};

static const srtp_auth_type_t hmac_sha1_type = {
    hmac_alloc, hmac_dealloc, hmac_init, hmac_compute, hmac_update, hmac_start,
    "HMAC-SHA1 on OpenSSL SHA-1 (swift-sfu)", &hmac_test_1, SRTP_HMAC_SHA1,
};

/* ---------------------------------------------------------------------------------------------
 * Registration.
 */

int sfu_srtp_openssl_crypto_register(const char **failed_type)
{
    srtp_err_status_t status;
    const char *failed = NULL;

    if (aes_128_ctr == NULL) {
        aes_128_ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
    }
    if (aes_256_ctr == NULL) {
        aes_256_ctr = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
    }
    if (aes_128_gcm == NULL) {
        aes_128_gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    }
    if (aes_128_ctr == NULL || aes_256_ctr == NULL || aes_128_gcm == NULL) {
        status = srtp_err_status_init_fail;
        failed = "OpenSSL EVP_CIPHER_fetch";
    } else if ((status = srtp_replace_cipher_type(&icm_128_type, SRTP_AES_ICM_128))) {
        failed = "AES-ICM-128";
    } else if ((status = srtp_replace_cipher_type(&icm_256_type, SRTP_AES_ICM_256))) {
        failed = "AES-ICM-256";
    } else if ((status = srtp_replace_cipher_type(&gcm_128_type, SRTP_AES_GCM_128))) {
        failed = "AES-GCM-128";
    } else if ((status = srtp_replace_auth_type(&hmac_sha1_type, SRTP_HMAC_SHA1))) {
        failed = "HMAC-SHA1";
    }
    if (failed_type != NULL) {
        *failed_type = failed;
    }
    return (int)status;
}

/* Exported by libsrtp2 2.5 but declared in crypto_kernel.h, which Debian does not install. */
srtp_err_status_t srtp_crypto_kernel_alloc_cipher(srtp_cipher_type_id_t id, srtp_cipher_pointer_t *cp,
                                                  int key_len, int tag_len);
srtp_err_status_t srtp_crypto_kernel_alloc_auth(srtp_auth_type_id_t id, srtp_auth_pointer_t *ap,
                                                int key_len, int tag_len);

static int cipher_is(srtp_cipher_type_id_t id, int key_len, int tag_len, const srtp_cipher_type_t *ours)
{
    srtp_cipher_t *c = NULL;
    int same;

    if (srtp_crypto_kernel_alloc_cipher(id, &c, key_len, tag_len) != srtp_err_status_ok || c == NULL) {
        return 0;
    }
    same = c->type == ours;
    srtp_cipher_dealloc(c);
    return same;
}

int sfu_srtp_openssl_crypto_active(void)
{
    srtp_auth_t *a = NULL;
    int same;

    if (!cipher_is(SRTP_AES_ICM_128, SRTP_AES_ICM_128_KEY_LEN_WSALT, 0, &icm_128_type) ||
        !cipher_is(SRTP_AES_GCM_128, SRTP_AES_GCM_128_KEY_LEN_WSALT, 16, &gcm_128_type)) {
        return 0;
    }
    if (srtp_crypto_kernel_alloc_auth(SRTP_HMAC_SHA1, &a, 20, 10) != srtp_err_status_ok || a == NULL) {
        return 0;
    }
    same = a->type == &hmac_sha1_type;
    a->type->dealloc(a);
    return same;
}
