/* SHA-256 through OpenSSL's libcrypto (its EVP digest interface), used for the checksums of
 * datasets (`hadal info`), of imported source files and of parameter sets. Streaming:
 * hd_sha256_init, any number of hd_sha256_update, hd_sha256_final. Nothing here is collective;
 * there is no hidden state. */
#ifndef HADAL_SHA256_H
#define HADAL_SHA256_H

#include <stddef.h>
#include <hadal/error.h>

#define HD_SHA256_BYTES   32
#define HD_SHA256_HEX_LEN 65 /* 64 hex digits and the terminating NUL */

/* A digest in progress: libcrypto's EVP_MD_CTX, owned from init until final. A failed call
 * frees it too, so an error path needs no clean-up. */
typedef struct {
  void *ctx;
} hd_sha256;

/* Not collective. Start a new digest. */
PetscErrorCode hd_sha256_init(hd_sha256 *s);
/* Not collective. Append len bytes of data (data may be NULL when len is 0). */
PetscErrorCode hd_sha256_update(hd_sha256 *s, const void *data, size_t len);
/* Not collective. Finish the digest and free the context; init again before reuse. */
PetscErrorCode hd_sha256_final(hd_sha256 *s, unsigned char digest[HD_SHA256_BYTES]);

/* Not collective. Lower-case hex of a digest. */
void hd_sha256_to_hex(const unsigned char digest[HD_SHA256_BYTES], char hex[HD_SHA256_HEX_LEN]);
/* Not collective. One-shot: the hex digest of len bytes of data. */
PetscErrorCode hd_sha256_hex(const void *data, size_t len, char hex[HD_SHA256_HEX_LEN]);
/* Not collective. The hex digest of n floats as little-endian float32, whatever the machine's byte
 * order: the parameter fingerprints of summary.json, so two runs compare without tools. */
PetscErrorCode hd_sha256_floats(const float *p, size_t n, char hex[HD_SHA256_HEX_LEN]);
/* Not collective. The hex digest of a file's bytes as stored (what `sha256sum FILE` prints). */
PetscErrorCode hd_sha256_file(const char *path, char hex[HD_SHA256_HEX_LEN]);

#endif
