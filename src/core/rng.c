/* Philox4x32-10, see include/hadal/rng.h. Constants from Salmon et al. (SC'11), Table 2. */
#include <math.h>
#include <hadal/rng.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline void philox_round(uint32_t x[4], const uint32_t k[2])
{
  uint64_t p0 = (uint64_t)PHILOX_M0 * x[0];
  uint64_t p1 = (uint64_t)PHILOX_M1 * x[2];
  uint32_t y0 = (uint32_t)(p1 >> 32) ^ x[1] ^ k[0];
  uint32_t y1 = (uint32_t)p1;
  uint32_t y2 = (uint32_t)(p0 >> 32) ^ x[3] ^ k[1];
  uint32_t y3 = (uint32_t)p0;

  x[0] = y0;
  x[1] = y1;
  x[2] = y2;
  x[3] = y3;
}

void hd_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
  uint32_t x[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
  uint32_t k[2] = {key[0], key[1]};

  for (int r = 0; r < 10; r++) {
    if (r > 0) {
      k[0] += PHILOX_W0;
      k[1] += PHILOX_W1;
    }
    philox_round(x, k);
  }
  for (int i = 0; i < 4; i++) out[i] = x[i];
}

void hd_rng_init(hd_rng *rng, uint64_t seed, uint32_t stream, uint64_t index)
{
  rng->key[0] = (uint32_t)seed;
  rng->key[1] = (uint32_t)(seed >> 32);
  rng->ctr[0] = 0;
  rng->ctr[1] = stream;
  rng->ctr[2] = (uint32_t)index;
  rng->ctr[3] = (uint32_t)(index >> 32);
  rng->used   = 4;
}

uint32_t hd_rng_u32(hd_rng *rng)
{
  if (rng->used == 4) {
    hd_philox4x32_10(rng->ctr, rng->key, rng->buf);
    rng->ctr[0]++;
    rng->used = 0;
  }
  return rng->buf[rng->used++];
}

double hd_rng_uniform(hd_rng *rng)
{
  uint64_t hi = hd_rng_u32(rng) >> 5; /* 27 bits */
  uint64_t lo = hd_rng_u32(rng) >> 6; /* 26 bits */
  uint64_t m  = (hi << 26) | lo;      /* 53 bits */

  /* (m + 0.5) / 2^53 lies strictly inside (0, 1) */
  return ((double)m + 0.5) * 0x1.0p-53;
}

double hd_rng_normal(hd_rng *rng)
{
  double u1 = hd_rng_uniform(rng);
  double u2 = hd_rng_uniform(rng);

  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double hd_rng_exponential(hd_rng *rng) { return -log(hd_rng_uniform(rng)); }

double hd_rng_gamma(hd_rng *rng, double shape)
{
  /* Marsaglia & Tsang (2000); for shape < 1 boost with U^(1/shape). */
  if (shape < 1.0) {
    double g = hd_rng_gamma(rng, shape + 1.0);
    return g * pow(hd_rng_uniform(rng), 1.0 / shape);
  }
  double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double x = hd_rng_normal(rng), v = 1.0 + c * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    double u = hd_rng_uniform(rng);
    if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) return d * v;
  }
}

uint32_t hd_rng_below(hd_rng *rng, uint32_t n)
{
  uint64_t m = (uint64_t)hd_rng_u32(rng) * n;
  uint32_t l = (uint32_t)m;

  if (l < n) {
    uint32_t t = (uint32_t)(-n) % n;
    while (l < t) {
      m = (uint64_t)hd_rng_u32(rng) * n;
      l = (uint32_t)m;
    }
  }
  return (uint32_t)(m >> 32);
}
