/* Philox4x32-10 against the published known-answer vectors (Random123's kat_vectors), and the
 * properties the rest of hadal relies on: addressability and independence of streams. */
#include <math.h>
#include <stdio.h>
#include <hadal/rng.h>
#include "check.h"

int main(void)
{
  static const struct {
    uint32_t ctr[4], key[2], out[4];
  } kat[] = {
    {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
    {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu}, {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
    {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u}, {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
  };
  for (size_t k = 0; k < sizeof(kat) / sizeof(kat[0]); k++) {
    uint32_t out[4];
    hd_philox4x32_10(kat[k].ctr, kat[k].key, out);
    for (int i = 0; i < 4; i++) {
      char what[96];
      snprintf(what, sizeof(what), "known answer %zu word %d: got %08x want %08x", k, i, out[i], kat[k].out[i]);
      check(out[i] == kat[k].out[i], what);
    }
  }

  /* The stream is its address: drawing event 1000 directly equals drawing it after others. */
  hd_rng a, b;
  hd_rng_init(&a, 42, 7, 1000);
  double first = hd_rng_uniform(&a);
  hd_rng_init(&b, 42, 7, 999);
  for (int i = 0; i < 10; i++) hd_rng_uniform(&b);
  hd_rng_init(&b, 42, 7, 1000);
  check(hd_rng_uniform(&b) == first, "same address gives the same draw");
  hd_rng_init(&b, 42, 8, 1000);
  check(hd_rng_uniform(&b) != first, "another stream gives another draw");
  hd_rng_init(&b, 43, 7, 1000);
  check(hd_rng_uniform(&b) != first, "another seed gives another draw");

  /* Moments of the distributions, over 10^6 draws (tolerances are 5+ standard errors). */
  const int n = 1000000;
  double    su = 0, su2 = 0, sn = 0, sn2 = 0, se = 0, sg = 0, umin = 1, umax = 0;
  long      below[10] = {0};
  hd_rng_init(&a, 1, 1, 0);
  for (int i = 0; i < n; i++) {
    double u = hd_rng_uniform(&a), z = hd_rng_normal(&a);
    su += u;
    su2 += u * u;
    umin = u < umin ? u : umin;
    umax = u > umax ? u : umax;
    sn += z;
    sn2 += z * z;
    se += hd_rng_exponential(&a);
    sg += hd_rng_gamma(&a, 2.5);
    below[hd_rng_below(&a, 10)]++;
  }
  check(umin > 0.0 && umax < 1.0, "uniform stays inside (0, 1)");
  check(fabs(su / n - 0.5) < 5 * sqrt(1.0 / 12 / n), "uniform mean 1/2");
  check(fabs(su2 / n - 1.0 / 3) < 0.002, "uniform second moment 1/3");
  check(fabs(sn / n) < 5 / sqrt((double)n), "normal mean 0");
  check(fabs(sn2 / n - 1) < 5 * sqrt(2.0 / n), "normal variance 1");
  check(fabs(se / n - 1) < 5 / sqrt((double)n), "exponential mean 1");
  check(fabs(sg / n - 2.5) < 5 * sqrt(2.5 / n), "gamma(2.5) mean 2.5");
  for (int k = 0; k < 10; k++) check(fabs(below[k] - n / 10.0) < 5 * sqrt(n * 0.09), "below(10) is uniform");

  if (failures) {
    printf("%d checks failed\n", failures);
    return 1;
  }
  printf("rng: all checks passed\n");
  return 0;
}
