/* Quantile scaling (src/stats/quantile.c):
 *   - odd ranks 2 r + 1 on known input, ties ordered by position;
 *   - the scaled scores are a permutation of (2 r + 1) / (2 n): their mean is 1/2 exactly, and the
 *     order of the scores is kept;
 *   - scaling against a reference sample: the empirical CDF with ties counted one half, checked on
 *     known values and against a brute-force count;
 *   - NaN and an empty reference are errors naming the entry. */
#include <math.h>
#include <stdio.h>
#include <hadal/rng.h>
#include <hadal/stats.h>
#include "check.h"

int main(int argc, char **argv)
{
  PetscErrorCode err;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  {
    const float   s[5]    = {0.5f, 0.1f, 0.5f, 0.9f, -3.0f};
    const int64_t want[5] = {5, 3, 7, 9, 1};
    int64_t       odd[5];
    float         u[5];
    PetscCall(hd_stats_quantile_ranks(5, s, odd));
    for (int k = 0; k < 5; k++) CHECK(odd[k] == want[k], "rank of score %d: %lld, want %lld", k, (long long)odd[k], (long long)want[k]);
    PetscCall(hd_stats_quantile_scale(5, s, u));
    for (int k = 0; k < 5; k++) CHECK(u[k] == (float)(want[k] / 10.0), "scaled score %d: %g, want %g", k, (double)u[k], want[k] / 10.0);
  }
  {
    enum { n = 1001 };
    static float  s[n], u[n];
    static int64_t odd[n];
    double         sum = 0;
    for (int k = 0; k < n; k++) {
      hd_rng r;
      hd_rng_init(&r, 9, HD_STREAM_USER, (uint64_t)k);
      s[k] = (float)floor(hd_rng_uniform(&r) * 50); /* many ties */
    }
    PetscCall(hd_stats_quantile_ranks(n, s, odd));
    PetscCall(hd_stats_quantile_scale(n, s, u));
    int64_t total = 0;
    for (int k = 0; k < n; k++) {
      total += odd[k];
      sum += u[k];
    }
    CHECK(total == (int64_t)n * n, "odd ranks sum to %lld, want n^2 = %lld", (long long)total, (long long)n * n);
    CHECK(fabs(sum / n - 0.5) < 1e-6, "mean of the scaled scores %g, want 0.5", sum / n);
    int monotone = 1;
    for (int a = 0; a < n; a += 7)
      for (int b = 0; b < n; b += 11)
        if ((s[a] < s[b] && !(u[a] < u[b])) || (s[a] == s[b] && (a < b) != (odd[a] < odd[b]))) monotone = 0;
    check(monotone, "scaling keeps the order of the scores, ties by position");

    /* against a reference: brute force on the same sample */
    float x[5] = {-1, 0, 10.5f, 25, 100}, v[5];
    PetscCall(hd_stats_quantile_transform(n, s, 5, x, v));
    for (int k = 0; k < 5; k++) {
      double below = 0, equal = 0;
      for (int j = 0; j < n; j++) {
        below += s[j] < x[k];
        equal += s[j] == x[k];
      }
      float want = (float)((below + 0.5 * equal) / n);
      CHECK(v[k] == want, "transform of %g: %g, want %g", (double)x[k], (double)v[k], (double)want);
    }
    CHECK(v[0] == 0 && v[4] == 1, "below and above the reference: 0 and 1");
  }
  {
    const float ref[4] = {2, 1, 3, 2}, x[4] = {0, 2, 2.5f, 5};
    const float want[4] = {0, 0.5f, 0.75f, 1};
    float       v[4];
    PetscCall(hd_stats_quantile_transform(4, ref, 4, x, v));
    for (int k = 0; k < 4; k++) CHECK(v[k] == want[k], "transform of %g: %g, want %g", (double)x[k], (double)v[k], (double)want[k]);
  }
  PetscCall(hd_error_handler_push());
  {
    float   s[3] = {1, NAN, 2}, u[3];
    int64_t odd[3];
    err = hd_stats_quantile_ranks(3, s, odd);
    expect_error(err, "score 1 of 3 is NaN", "NaN score");
    err = hd_stats_quantile_transform(0, s, 1, s, u);
    expect_error(err, "reference sample is empty", "empty reference");
    err = hd_stats_quantile_transform(3, s, 1, s, u);
    expect_error(err, "reference score 1 of 3 is NaN", "NaN in the reference");
  }
  PetscCall(PetscPopErrorHandler());
  printf("quantile scaling: %d failures\n", failures);
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
