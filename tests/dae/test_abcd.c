/* The ABCD method (src/stats/abcd.c, seed 002 eq. 3):
 *   - counts and the prediction N(>,<) N(<,>) / N(<,<) with its error on a hand-made sample;
 *   - on 400,000 events of two independent scores the closure N_obs / N_pred agrees with 1 within
 *     3 standard errors at SM efficiencies 0.5%-5%, for diagonal and asymmetric cuts; on two
 *     correlated scores (b = a + noise) it does not (ratio > 1.5 at 1%): the test would see a
 *     prediction that ignored the correlation;
 *   - thresholds put the requested fraction of events in the signal region (to one event), the
 *     diagonal cut at the same per-axis efficiency;
 *   - the prescaled trigger mode: prescales that keep the prediction's error within the signal
 *     region's, the trigger keeping about 10 x the signal region (3 n_gg from each control region), and the prediction
 *     from the kept events agreeing with the full one within its error;
 *   - significance (N - B) / sqrt(N) and 0 when N <= B; the SIC grid against a direct count;
 *   - with categories: eq. 3 summed within them (hand-made counts; a category without (<,>)
 *     predicts 0, one with an empty (<,<) none); two categories of independent scores at different
 *     scales fail closure over the mixture and close within the categories;
 *   - an empty control region: no prediction (NaN), and hd_abcd_require's error, an efficiency outside (0, 1). */
#include <math.h>
#include <stdio.h>
#include <hadal/abcd.h>
#include <hadal/rng.h>
#include "check.h"

int main(int argc, char **argv)
{
  PetscErrorCode err;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(hd_error_handler_push());
  {
    /* 2 x (<,<), 3 x (>,<), 4 x (<,>), 5 x (>,>) at c = (0.5, 0.5) */
    float   a[14], b[14];
    hd_abcd r;
    int     k = 0;
    for (int i = 0; i < 2; i++) a[k] = 0.1f, b[k] = 0.1f, k++;
    for (int i = 0; i < 3; i++) a[k] = 0.9f, b[k] = 0.1f, k++;
    for (int i = 0; i < 4; i++) a[k] = 0.1f, b[k] = 0.9f, k++;
    for (int i = 0; i < 5; i++) a[k] = 0.9f, b[k] = 0.9f, k++;
    PetscCall(hd_abcd_count(14, a, b, NULL, NULL, 1, NULL, NULL, 0.5, 0.5, &r));
    CHECK(r.n_ll == 2 && r.n_gl == 3 && r.n_lg == 4 && r.n_gg == 5, "counts %lld %lld %lld %lld", (long long)r.n_ll, (long long)r.n_gl, (long long)r.n_lg, (long long)r.n_gg);
    CHECK(fabs(r.n_pred - 6.0) < 1e-12, "prediction %g, want 3 * 4 / 2 = 6", r.n_pred);
    CHECK(fabs(r.n_pred_err - 6.0 * sqrt(1.0 / 3 + 1.0 / 4 + 1.0 / 2)) < 1e-12, "prediction error %g", r.n_pred_err);
    CHECK(fabs(r.ratio - 5.0 / 6.0) < 1e-12 && fabs(r.ratio_err - 5.0 / 6.0 * sqrt(1.0 / 5 + 1.0 / 3 + 1.0 / 4 + 1.0 / 2)) < 1e-12, "ratio %g +- %g", r.ratio, r.ratio_err);
    PetscCall(hd_abcd_count(14, a, b, NULL, NULL, 1, NULL, NULL, 0.5, 0.95, &r));
    CHECK(!r.valid && isnan(r.n_pred) && isnan(r.ratio), "empty control region: no prediction");
    err = hd_abcd_require(&r);
    expect_error(err, "too few events", "empty control region");
    { /* the same 14 events as category 0 and, as category 1, 1 x (<,<), 2 x (>,<), 1 x (>,>),
       * none in (<,>): category 1 predicts 0, the sum is category 0's 6 */
      float   a2[18], b2[18];
      int32_t cat[18];
      for (int i = 0; i < 14; i++) a2[i] = a[i], b2[i] = b[i], cat[i] = 0;
      a2[14] = 0.1f, b2[14] = 0.1f, a2[15] = a2[16] = 0.9f, b2[15] = b2[16] = 0.1f, a2[17] = 0.9f, b2[17] = 0.9f;
      for (int i = 14; i < 18; i++) cat[i] = 1;
      PetscCall(hd_abcd_count(18, a2, b2, NULL, cat, 2, NULL, NULL, 0.5, 0.5, &r));
      CHECK(r.valid && r.n_gg == 6 && fabs(r.n_pred - 6.0) < 1e-12 && fabs(r.n_pred_err - 6.0 * sqrt(1.0 / 3 + 1.0 / 4 + 1.0 / 2)) < 1e-12, "categories: prediction %g +- %g from %lld signal-region events", r.n_pred, r.n_pred_err, (long long)r.n_gg);
      /* category 1 with (>,<) and (<,>) events but an empty (<,<): no prediction */
      a2[14] = 0.1f, b2[14] = 0.9f;
      PetscCall(hd_abcd_count(18, a2, b2, NULL, cat, 2, NULL, NULL, 0.5, 0.5, &r));
      CHECK(!r.valid && isnan(r.n_pred), "categories: an empty (<,<) where the others hold events gives no prediction");
      cat[3] = 2;
      err = hd_abcd_count(18, a2, b2, NULL, cat, 2, NULL, NULL, 0.5, 0.5, &r);
      expect_error(err, "has category 2", "category out of range");
    }
    CHECK(hd_abcd_significance(25, 16) == 9.0 / 5.0 && hd_abcd_significance(10, 12) == 0.0, "significance");
    CHECK(hd_abcd_significance_err(25, 16, 0.0) == 9.0 / 5.0 && fabs(hd_abcd_significance_err(16, 7, 3.0) - 9.0 / 5.0) < 1e-15 && hd_abcd_significance_err(10, 12, 1.0) == 0.0, "significance with the error of B");
  }
  {
    enum { n = 400000 };
    static float         a[n], b[n], c[n];
    static double        u[n];
    const double         effs[4] = {0.005, 0.01, 0.02, 0.05}, asym[3] = {1.0, 2.0, 0.5};
    hd_abcd              r, rk;
    for (int i = 0; i < n; i++) {
      hd_rng g;
      hd_rng_init(&g, 42, HD_STREAM_USER + 200, (uint64_t)i);
      a[i] = (float)hd_rng_exponential(&g);
      b[i] = (float)(hd_rng_normal(&g) * hd_rng_normal(&g));
      c[i] = a[i] + (float)(0.5 * hd_rng_normal(&g));
      u[i] = hd_rng_uniform(&g);
    }
    for (int e = 0; e < 4; e++)
      for (int q = 0; q < 3; q++) {
        double c1, c2;
        PetscCall(hd_abcd_thresholds(n, a, b, NULL, effs[e], asym[q], &c1, &c2));
        PetscCall(hd_abcd_count(n, a, b, NULL, NULL, 1, NULL, NULL, c1, c2, &r));
        CHECK(r.n_gg >= effs[e] * n && r.n_gg <= effs[e] * n + 2, "eps %g asym %g: %lld events in the signal region, want %g", effs[e], asym[q], (long long)r.n_gg, effs[e] * n);
        CHECK(fabs(r.ratio - 1.0) < 3.0 * r.ratio_err, "independent scores, eps %g asym %g: closure %g +- %g", effs[e], asym[q], r.ratio, r.ratio_err);
        if (q == 0) {
          int64_t above1 = 0, above2 = 0;
          for (int i = 0; i < n; i++) above1 += a[i] > c1, above2 += b[i] > c2;
          CHECK(llabs(above1 - above2) <= 1, "diagonal cut: %lld and %lld events above the two thresholds", (long long)above1, (long long)above2);
          /* the trigger: the prescales of seed 002 §IV, control regions thinned by them */
          double P[3], s = 0;
          hd_abcd_prescale(&r, P);
          const int64_t nk[3] = {r.n_ll, r.n_gl, r.n_lg};
          for (int k = 0; k < 3; k++) s += P[k] / (double)nk[k];
          CHECK(P[0] >= 1 && P[1] >= 1 && P[2] >= 1 && s <= 1.0 / r.n_gg * (1 + 1e-12), "eps %g: prescales %g %g %g, relative variance %g above the signal region's %g", effs[e], P[0], P[1], P[2], s, 1.0 / r.n_gg);
          CHECK(P[0] > 2 * P[1], "eps %g: the (<,<) region should be thinned most (%g vs %g)", effs[e], P[0], P[1]);
          PetscCall(hd_abcd_count(n, a, b, NULL, NULL, 1, u, P, c1, c2, &rk));
          int64_t kept = rk.n_ll + rk.n_gl + rk.n_lg + rk.n_gg;
          CHECK(rk.n_gg == r.n_gg, "trigger keeps every signal-region event");
          CHECK(fabs((double)kept / r.n_gg - 10.0) < 0.5, "eps %g: the trigger keeps %lld events, %.2f x the signal region (optimal prescales: about 10)", effs[e], (long long)kept, (double)kept / r.n_gg);
          CHECK(fabs(rk.n_pred - r.n_pred) < 3.0 * rk.n_pred_err, "trigger prediction %g +- %g against %g", rk.n_pred, rk.n_pred_err, r.n_pred);
          CHECK(rk.n_pred_err / rk.n_pred < 1.2 / sqrt((double)r.n_gg) && rk.n_pred_err > r.n_pred_err, "eps %g: thinned relative error %g, signal region's %g", effs[e], rk.n_pred_err / rk.n_pred, 1 / sqrt((double)r.n_gg));
        }
      }
    double c1, c2;
    PetscCall(hd_abcd_thresholds(n, a, c, NULL, 0.01, 1.0, &c1, &c2));
    PetscCall(hd_abcd_count(n, a, c, NULL, NULL, 1, NULL, NULL, c1, c2, &r));
    CHECK(r.ratio > 1.5, "correlated scores: closure %g should be far above 1", r.ratio);
    { /* two categories, each with independent scores, the second with both scores 3 x larger:
       * over the mixture the scores are dependent (both large in category 1) and eq. 3 fails;
       * summed within the categories it closes */
      static int32_t cat[n];
      static float   a2[n], b2[n];
      for (int i = 0; i < n; i++) {
        cat[i] = i % 4 == 0;
        a2[i]  = cat[i] ? 3.0f * a[i] : a[i];
        b2[i]  = cat[i] ? 3.0f * b[i] : b[i];
      }
      for (int e = 0; e < 4; e++) {
        hd_abcd rc;
        PetscCall(hd_abcd_thresholds(n, a2, b2, NULL, effs[e], 1.0, &c1, &c2));
        PetscCall(hd_abcd_count(n, a2, b2, NULL, NULL, 1, NULL, NULL, c1, c2, &r));
        PetscCall(hd_abcd_count(n, a2, b2, NULL, cat, 2, NULL, NULL, c1, c2, &rc));
        CHECK(r.ratio > 1.2, "eps %g: one category over a mixture: closure %g should be far above 1", effs[e], r.ratio);
        CHECK(rc.n_gg == r.n_gg && rc.n_ll == r.n_ll && rc.n_gl == r.n_gl && rc.n_lg == r.n_lg, "eps %g: categorised counts are the totals", effs[e]);
        CHECK(fabs(rc.ratio - 1.0) < 3.0 * rc.ratio_err, "eps %g: closure within the categories %g +- %g", effs[e], rc.ratio, rc.ratio_err);
      }
    }
    err = hd_abcd_thresholds(n, a, b, NULL, 1.5, 1.0, &c1, &c2);
    expect_error(err, "must lie in (0, 1)", "efficiency 1.5");
    err = hd_abcd_thresholds(n, a, b, NULL, 0.0, 1.0, &c1, &c2);
    expect_error(err, "must lie in (0, 1)", "efficiency 0");
  }
  {
    enum { n = 5000 };
    static float   a[n], b[n];
    static int32_t lab[n];
    double         effs[3] = {0.5, 0.1, 0.02}, sic[9];
    for (int i = 0; i < n; i++) {
      hd_rng g;
      hd_rng_init(&g, 7, HD_STREAM_USER + 201, (uint64_t)i);
      lab[i] = i % 10 == 0;
      a[i]   = (float)(hd_rng_normal(&g) + 1.5 * lab[i]);
      b[i]   = (float)(hd_rng_normal(&g) + 1.0 * lab[i]);
    }
    PetscCall(hd_abcd_sic_grid(n, a, b, lab, 1, 3, effs, sic));
    /* direct count for cell (1, 2): thresholds at 10% of background above on a, 2% on b */
    double c1, c2;
    {
      float   sa[n], sb[n];
      int     m = 0;
      for (int i = 0; i < n; i++)
        if (!lab[i]) sa[m] = a[i], sb[m] = b[i], m++;
      /* k-th largest by selection: sort */
      for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && sa[j - 1] > sa[j]; j--) { float t = sa[j]; sa[j] = sa[j - 1]; sa[j - 1] = t; }
      for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && sb[j - 1] > sb[j]; j--) { float t = sb[j]; sb[j] = sb[j - 1]; sb[j - 1] = t; }
      int t1 = (int)llround(0.1 * m), t2 = (int)llround(0.02 * m);
      c1 = 0.5 * ((double)sa[m - t1 - 1] + sa[m - t1]);
      c2 = 0.5 * ((double)sb[m - t2 - 1] + sb[m - t2]);
      int ks = 0, kb = 0;
      for (int i = 0; i < n; i++)
        if (a[i] > c1 && b[i] > c2) ks += lab[i], kb += !lab[i];
      double want = (ks / 500.0) / sqrt(kb / (double)m);
      CHECK(fabs(sic[1 * 3 + 2] - want) < 1e-12, "SIC grid cell (10%%, 2%%): %g, direct count %g", sic[5], want);
    }
  }
  PetscCall(PetscPopErrorHandler());
  printf("abcd: %d failures\n", failures);
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
