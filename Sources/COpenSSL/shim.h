// OpenSSL as seen from Swift: the function-like macros Swift cannot import, as inline functions.
#ifndef SFU_COPENSSL_SHIM_H
#define SFU_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/hmac.h>

static inline long sfu_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long sfu_SSL_set_mode(SSL *ssl, long mode) { return SSL_set_mode(ssl, mode); }
static inline long sfu_DTLSv1_get_timeout(SSL *ssl, struct timeval *tv) { return DTLSv1_get_timeout(ssl, tv); }
static inline long sfu_DTLSv1_handle_timeout(SSL *ssl) { return DTLSv1_handle_timeout(ssl); }
static inline void sfu_OPENSSL_free(void *p) { OPENSSL_free(p); }
static inline long sfu_SSL_CTX_set_options(SSL_CTX *ctx, uint64_t op) { return (long)SSL_CTX_set_options(ctx, op); }
static inline uint64_t sfu_SSL_OP_NO_QUERY_MTU(void) { return SSL_OP_NO_QUERY_MTU; }
static inline uint64_t sfu_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
static inline long sfu_SSL_set_mtu(SSL *ssl, long mtu) { return SSL_set_mtu(ssl, mtu); }
static inline int sfu_BIO_CTRL_DGRAM_QUERY_MTU(void) { return BIO_CTRL_DGRAM_QUERY_MTU; }
static inline int sfu_BIO_CTRL_DGRAM_GET_MTU_OVERHEAD(void) { return BIO_CTRL_DGRAM_GET_MTU_OVERHEAD; }
static inline int sfu_BIO_CTRL_FLUSH(void) { return BIO_CTRL_FLUSH; }
static inline int sfu_BIO_CTRL_WPENDING(void) { return BIO_CTRL_WPENDING; }
static inline int sfu_BIO_CTRL_PENDING(void) { return BIO_CTRL_PENDING; }
static inline int sfu_BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT(void) { return BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT; }
static inline void sfu_BIO_set_retry_read(BIO *b) { BIO_set_retry_read(b); }
static inline void sfu_BIO_clear_retry_flags(BIO *b) { BIO_clear_retry_flags(b); }
static inline int sfu_BIO_TYPE_SOURCE_SINK(void) { return BIO_TYPE_SOURCE_SINK; }
static inline int sfu_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_min_proto_version(ctx, v); }
static inline int sfu_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_max_proto_version(ctx, v); }
static inline EVP_PKEY *sfu_EVP_EC_gen_p256(void) { return EVP_EC_gen("P-256"); }
static inline int sfu_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) { return (int)SSL_CTX_set1_groups_list(ctx, list); }

#endif
