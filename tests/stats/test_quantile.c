/* Quantile scaling (src/stats/quantile.c):
 *   - odd ranks 2 r + 1 on known input, ties ordered by position;
 *   - the scaled scores are a permutation of (2 r + 1) / (2 n): their mean is 1/2 exactly, and the
 *     order of the scores is kept;
 *   - scaling against a reference sample: the empirical CDF with ties counted one half, checked on
 *     known values and against a brute-force count;
 *   - beyond the reference's range: the hyperbolic tails on known values, strictly monotone (two
 *     scores above the maximum keep their order, equal ones tie), inside (0, F(r_min)) and
 *     (F(r_max), 1), continuous at the ends, and with a constant reference;
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

    /* against a reference: brute force on the same sample, inside its range [0, 49] */
    float x[5] = {-1, 0, 10.5f, 25, 100}, v[5];
    PetscCall(hd_stats_quantile_transform(n, s, 5, x, v));
    for (int k = 1; k < 4; k++) {
      double below = 0, equal = 0;
      for (int j = 0; j < n; j++) {
        below += s[j] < x[k];
        equal += s[j] == x[k];
      }
      float want = (float)((below + 0.5 * equal) / n);
      CHECK(v[k] == want, "transform of %g: %g, want %g", (double)x[k], (double)v[k], (double)want);
    }
    CHECK(v[0] > 0 && v[0] < v[1] && v[4] > v[3] && v[4] < 1, "below and above the reference: %g and %g, strictly inside (0, 1) and beyond the ends", (double)v[0], (double)v[4]);
  }
  {
    /* sorted {1, 2, 2, 3}: F(1) = 1/8, F(3) = 7/8; the outermost 1% is one gap, so both tail
     * scales are 1: u(0) = (1/8) / (1 + 1), u(5) = 1 - (1/8) / (1 + 2) */
    const float ref[4] = {2, 1, 3, 2}, x[6] = {0, 1, 2, 2.5f, 3, 5};
    const float want[6] = {(float)(0.125 / 2), 0.125f, 0.5f, 0.75f, 0.875f, (float)(1 - 0.125 / 3)};
    float       v[6];
    PetscCall(hd_stats_quantile_transform(4, ref, 6, x, v));
    for (int k = 0; k < 6; k++) CHECK(v[k] == want[k], "transform of %g: %g, want %g", (double)x[k], (double)v[k], (double)want[k]);
  }
  {
    /* beyond the range: order kept, ties tied, bounds, continuity at both ends */
    const float ref[5] = {0, 1, 2, 3, 4};
    const float x[10]  = {-1000, -7, -7, -0.001f, 4.001f, 4.5f, 9, 9, 50, 1000};
    float       v[10];
    PetscCall(hd_stats_quantile_transform(5, ref, 10, x, v));
    for (int k = 0; k + 1 < 10; k++) {
      if (x[k] == x[k + 1]) CHECK(v[k] == v[k + 1], "equal scores %g beyond the range: %g and %g", (double)x[k], (double)v[k], (double)v[k + 1]);
      else CHECK(v[k] < v[k + 1], "scores %g < %g beyond the range keep their order: %g, %g", (double)x[k], (double)x[k + 1], (double)v[k], (double)v[k + 1]);
    }
    for (int k = 0; k < 4; k++) CHECK(v[k] > 0 && v[k] < 0.1f, "below the minimum: %g in (0, F(r_min) = 0.1)", (double)v[k]);
    for (int k = 4; k < 10; k++) CHECK(v[k] > 0.9f && v[k] < 1, "above the maximum: %g in (F(r_max) = 0.9, 1)", (double)v[k]);
    CHECK(fabs(v[3] - 0.1) < 1e-3 && fabs(v[4] - 0.9) < 1e-3, "continuous at the ends: %g, %g", (double)v[3], (double)v[4]);

    /* a constant reference: scale 1, still strictly monotone on both sides */
    const float c[3] = {2, 2, 2}, y[4] = {0, 1, 3, 4};
    PetscCall(hd_stats_quantile_transform(3, c, 4, y, v));
    CHECK(v[0] < v[1] && v[1] < 0.5f && 0.5f < v[2] && v[2] < v[3] && v[3] < 1, "constant reference: %g %g %g %g", (double)v[0], (double)v[1], (double)v[2], (double)v[3]);
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
