/* SHA-256 as specified in FIPS 180-4, section 6.2 (see include/hadal/sha256.h). */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <hadal/sha256.h>

/* FIPS 180-4, section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes. */
static const uint32_t hd_sha256_k[64] = {
  0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
  0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
  0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
  0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
  0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
  0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
  0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
  0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};

static inline uint32_t rotr32(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

/* One 64-byte block: message schedule (eq. 6.2.2 step 1) and 64 rounds (step 3). */
static void hd_sha256_compress(uint32_t h[8], const unsigned char *p)
{
  uint32_t w[64], a, b, c, d, e, f, g, hh;

  for (int t = 0; t < 16; t++) w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
  for (int t = 16; t < 64; t++) {
    uint32_t s0 = rotr32(w[t - 15], 7) ^ rotr32(w[t - 15], 18) ^ (w[t - 15] >> 3);
    uint32_t s1 = rotr32(w[t - 2], 17) ^ rotr32(w[t - 2], 19) ^ (w[t - 2] >> 10);

    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  a  = h[0];
  b  = h[1];
  c  = h[2];
  d  = h[3];
  e  = h[4];
  f  = h[5];
  g  = h[6];
  hh = h[7];
  for (int t = 0; t < 64; t++) {
    uint32_t S1 = rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = hh + S1 + ch + hd_sha256_k[t] + w[t];
    uint32_t S0 = rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22);
    uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + mj;

    hh = g;
    g  = f;
    f  = e;
    e  = d + t1;
    d  = c;
    c  = b;
    b  = a;
    a  = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

void hd_sha256_init(hd_sha256 *s)
{
  /* FIPS 180-4, section 5.3.3: square roots of the first 8 primes. */
  static const uint32_t h0[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};

  memcpy(s->h, h0, sizeof(h0));
  s->n_bytes = 0;
  s->used    = 0;
}

void hd_sha256_update(hd_sha256 *s, const void *data, size_t len)
{
  const unsigned char *p = (const unsigned char *)data;

  s->n_bytes += len;
  if (s->used > 0) {
    size_t take = 64 - s->used < len ? 64 - s->used : len;

    memcpy(s->block + s->used, p, take);
    s->used += take;
    p += take;
    len -= take;
    if (s->used < 64) return;
    hd_sha256_compress(s->h, s->block);
    s->used = 0;
  }
  for (; len >= 64; p += 64, len -= 64) hd_sha256_compress(s->h, p);
  if (len > 0) memcpy(s->block, p, len);
  s->used = len;
}

void hd_sha256_final(hd_sha256 *s, unsigned char digest[HD_SHA256_BYTES])
{
  uint64_t bits = s->n_bytes * 8;

  /* Padding (section 5.1.1): a 1 bit, zeros up to 56 mod 64 bytes, the length in bits, big-endian. */
  s->block[s->used++] = 0x80;
  if (s->used > 56) {
    memset(s->block + s->used, 0, 64 - s->used);
    hd_sha256_compress(s->h, s->block);
    s->used = 0;
  }
  memset(s->block + s->used, 0, 56 - s->used);
  for (int i = 0; i < 8; i++) s->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
  hd_sha256_compress(s->h, s->block);
  for (int i = 0; i < 8; i++) {
    digest[4 * i]     = (unsigned char)(s->h[i] >> 24);
    digest[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
    digest[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
    digest[4 * i + 3] = (unsigned char)s->h[i];
  }
  s->used = 0;
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

void hd_sha256_hex(const void *data, size_t len, char hex[HD_SHA256_HEX_LEN])
{
  hd_sha256     s;
  unsigned char d[HD_SHA256_BYTES];

  hd_sha256_init(&s);
  hd_sha256_update(&s, data, len);
  hd_sha256_final(&s, d);
  hd_sha256_to_hex(d, hex);
}

PetscErrorCode hd_sha256_file(const char *path, char hex[HD_SHA256_HEX_LEN])
{
  FILE         *f;
  hd_sha256     s;
  unsigned char buf[65536], d[HD_SHA256_BYTES];
  size_t        got;
  int           failed;

  PetscFunctionBegin;
  f = fopen(path, "rb");
  PetscCheck(f, PETSC_COMM_SELF, HD_ERR_FILE_OPEN, "cannot open '%s' to compute its checksum: %s", path, strerror(errno));
  hd_sha256_init(&s);
  while ((got = fread(buf, 1, sizeof(buf), f)) > 0) hd_sha256_update(&s, buf, got);
  failed = ferror(f);
  fclose(f);
  PetscCheck(!failed, PETSC_COMM_SELF, HD_ERR_FILE_READ, "read error in '%s' while computing its checksum", path);
  hd_sha256_final(&s, d);
  hd_sha256_to_hex(d, hex);
  PetscFunctionReturn(PETSC_SUCCESS);
}
