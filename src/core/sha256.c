/* SHA-256 through OpenSSL's libcrypto (EVP interface); see include/hadal/sha256.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <hadal/sha256.h>

/* Frees the context after a failed libcrypto call, so that no error path leaks it. */
#define HdCallEVP(s, expr, what) \
  do { \
    if (PetscUnlikely((expr) != 1)) { \
      EVP_MD_CTX_free((EVP_MD_CTX *)(s)->ctx); \
      (s)->ctx = NULL; \
      SETERRQ(PETSC_COMM_SELF, HD_ERR_INTERNAL, "SHA-256: libcrypto's %s failed", what); \
    } \
  } while (0)

PetscErrorCode hd_sha256_init(hd_sha256 *s)
{
  PetscFunctionBegin;
  s->ctx = EVP_MD_CTX_new();
  PetscCheck(s->ctx, PETSC_COMM_SELF, PETSC_ERR_MEM, "SHA-256: libcrypto cannot allocate a digest context");
  HdCallEVP(s, EVP_DigestInit_ex((EVP_MD_CTX *)s->ctx, EVP_sha256(), NULL), "EVP_DigestInit_ex");
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_sha256_update(hd_sha256 *s, const void *data, size_t len)
{
  PetscFunctionBegin;
  PetscCheck(s->ctx, PETSC_COMM_SELF, HD_ERR_INTERNAL, "SHA-256: update of a digest that was not initialised");
  if (len > 0) HdCallEVP(s, EVP_DigestUpdate((EVP_MD_CTX *)s->ctx, data, len), "EVP_DigestUpdate");
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_sha256_final(hd_sha256 *s, unsigned char digest[HD_SHA256_BYTES])
{
  unsigned int n = 0;

  PetscFunctionBegin;
  PetscCheck(s->ctx, PETSC_COMM_SELF, HD_ERR_INTERNAL, "SHA-256: final of a digest that was not initialised");
  HdCallEVP(s, EVP_DigestFinal_ex((EVP_MD_CTX *)s->ctx, digest, &n), "EVP_DigestFinal_ex");
  EVP_MD_CTX_free((EVP_MD_CTX *)s->ctx);
  s->ctx = NULL;
  PetscCheck(n == HD_SHA256_BYTES, PETSC_COMM_SELF, HD_ERR_INTERNAL, "SHA-256: libcrypto returned a %u-byte digest", n);
  PetscFunctionReturn(PETSC_SUCCESS);
}

void hd_sha256_to_hex(const unsigned char digest[HD_SHA256_BYTES], char hex[HD_SHA256_HEX_LEN])
{
  static const char digits[] = "0123456789abcdef";

  for (int i = 0; i < HD_SHA256_BYTES; i++) {
    hex[2 * i]     = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 15];
  }
  hex[2 * HD_SHA256_BYTES] = '\0';
}

PetscErrorCode hd_sha256_hex(const void *data, size_t len, char hex[HD_SHA256_HEX_LEN])
{
  hd_sha256     s;
  unsigned char d[HD_SHA256_BYTES];

  PetscFunctionBegin;
  PetscCall(hd_sha256_init(&s));
  PetscCall(hd_sha256_update(&s, data, len));
  PetscCall(hd_sha256_final(&s, d));
  hd_sha256_to_hex(d, hex);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_sha256_floats(const float *p, size_t n, char hex[HD_SHA256_HEX_LEN])
{
  hd_sha256     s;
  unsigned char d[HD_SHA256_BYTES], b[4 * 256];

  PetscFunctionBegin;
  PetscCall(hd_sha256_init(&s));
  for (size_t i0 = 0; i0 < n; i0 += 256) {
    size_t m = n - i0 < 256 ? n - i0 : 256;
    for (size_t i = 0; i < m; i++) {
      uint32_t u;
      memcpy(&u, &p[i0 + i], 4);
      for (int k = 0; k < 4; k++) b[4 * i + k] = (unsigned char)(u >> (8 * k));
    }
    PetscCall(hd_sha256_update(&s, b, 4 * m));
  }
  PetscCall(hd_sha256_final(&s, d));
  hd_sha256_to_hex(d, hex);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_sha256_file(const char *path, char hex[HD_SHA256_HEX_LEN])
{
  FILE          *f;
  hd_sha256      s = {NULL};
  unsigned char  buf[65536], d[HD_SHA256_BYTES];
  size_t         got;
  int            failed;
  PetscErrorCode ierr = PETSC_SUCCESS;

  PetscFunctionBegin;
  f = fopen(path, "rb");
  PetscCheck(f, PETSC_COMM_SELF, HD_ERR_FILE_OPEN, "cannot open '%s' to compute its checksum: %s", path, strerror(errno));
  ierr = hd_sha256_init(&s);
  while (!ierr && (got = fread(buf, 1, sizeof(buf), f)) > 0) ierr = hd_sha256_update(&s, buf, got);
  failed = ferror(f);
  fclose(f);
  PetscCall(ierr);
  PetscCheck(!failed, PETSC_COMM_SELF, HD_ERR_FILE_READ, "read error in '%s' while computing its checksum", path);
  PetscCall(hd_sha256_final(&s, d));
  hd_sha256_to_hex(d, hex);
  PetscFunctionReturn(PETSC_SUCCESS);
}
