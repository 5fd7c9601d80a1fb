/* The AUC of src/stats/roc.c and its spread without discrimination:
 *   - the Mann-Whitney AUC on known scores, ties counted one half, unknown labels left out;
 *   - hd_stats_auc_null_sigma against its formula, and against the spread of the AUC of 4000
 *     pairs of samples drawn from one distribution (counter RNG), at two sample sizes: the
 *     Monte Carlo standard deviation within 5 % of it (the Monte Carlo's own error is about 1 %);
 *   - an empty class gives NaN. */
#include <math.h>
#include <stdio.h>
#include <hadal/rng.h>
#include <hadal/stats.h>
#include "check.h"

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  {
    /* signal 3, 1, 2; background 0, 2, 0.5; label -1 left out: pairs won 3 (by 3), 2 (by 1),
     * 2 + a tie (by 2): 7.5 of 9 */
    const float   s[7] = {3, 1, 2, 0, 2, 0.5f, 100};
    const int32_t l[7] = {1, 1, 1, 0, 0, 0, -1};
    hd_stats_roc  roc;
    PetscCall(hd_stats_roc_compute(7, s, l, 10, &roc));
    CHECK(fabs(roc.auc - 7.5 / 9.0) < 1e-15 && roc.n_signal == 3 && roc.n_background == 3, "AUC %.17g of %d against %d, want 7.5/9 of 3 against 3", roc.auc, (int)roc.n_signal, (int)roc.n_background);
    PetscCall(hd_stats_roc_free(&roc));
  }
  CHECK(fabs(hd_stats_auc_null_sigma(40, 60) - sqrt(101.0 / (12.0 * 40 * 60))) < 1e-15, "null sigma of 40 against 60: %.17g", hd_stats_auc_null_sigma(40, 60));
  CHECK(isnan(hd_stats_auc_null_sigma(0, 60)) && isnan(hd_stats_auc_null_sigma(40, 0)), "an empty class must give NaN");
  {
    const PetscInt sizes[2][2] = {{30, 70}, {200, 500}};
    enum { reps = 4000 };
    for (int c = 0; c < 2; c++) {
      PetscInt n1 = sizes[c][0], n0 = sizes[c][1], n = n1 + n0;
      float   *s;
      int32_t *l;
      double   sum = 0, sum2 = 0;
      PetscCall(PetscMalloc2(n, &s, n, &l));
      for (PetscInt i = 0; i < n; i++) l[i] = i < n1;
      for (int r = 0; r < reps; r++) {
        hd_rng       g;
        hd_stats_roc roc;
        hd_rng_init(&g, 17 + (uint64_t)c, HD_STREAM_USER, (uint64_t)r);
        for (PetscInt i = 0; i < n; i++) s[i] = (float)hd_rng_normal(&g);
        PetscCall(hd_stats_roc_compute(n, s, l, 2, &roc));
        sum += roc.auc;
        sum2 += roc.auc * roc.auc;
        PetscCall(hd_stats_roc_free(&roc));
      }
      double mean = sum / reps, sd = sqrt(sum2 / reps - mean * mean), want = hd_stats_auc_null_sigma(n1, n0);
      CHECK(fabs(sd / want - 1) < 0.05 && fabs(mean - 0.5) < 4 * want / sqrt((double)reps), "%d against %d: AUC %.4f +- %.5f over %d draws, null sigma %.5f", (int)n1, (int)n0, mean, sd, reps, want);
      printf("%d against %d: AUC %.4f, spread %.5f over %d draws, hd_stats_auc_null_sigma %.5f\n", (int)n1, (int)n0, mean, sd, reps, want);
      PetscCall(PetscFree2(s, l));
    }
  }
  printf("AUC: %d failures\n", failures);
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
