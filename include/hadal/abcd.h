/* The ABCD background estimate of two decorrelated scores (seed 002 eq. 3) and the selections
 * built on it: thresholds at a given SM efficiency (the "diagonal" cut and asymmetric ones), the
 * closure N_obs / N_pred, the significance (N - B) / sqrt(N), the 2-D SIC grid (seed 002 app. A)
 * and the prescaled trigger mode (seed 002 §IV). Nothing here is collective: every rank holding
 * the same scores computes the same numbers. */
#ifndef HADAL_ABCD_H
#define HADAL_ABCD_H

#include <stdint.h>
#include <hadal/error.h>

/* Counts in the four regions of thresholds (c1, c2) on (R1, R2), "g" meaning R > c:
 *   n_ll = N(<,<) (region D), n_gl = N(>,<), n_lg = N(<,>), n_gg = N(>,>) (the signal region);
 * the prediction n_pred = (P_gl n_gl) (P_lg n_lg) / (P_ll n_ll) (eq. 3; the prescales P are 1
 * unless the control regions were thinned), its statistical error n_pred sqrt(1/n_gl + 1/n_lg + 1/n_ll), and the
 * closure ratio = n_gg / n_pred with error ratio sqrt(1/n_gg + (n_pred_err / n_pred)^2) (Poisson
 * counts, independent; 1/n_gg left out when n_gg = 0). */
typedef struct {
  double  c1, c2;
  int64_t n_ll, n_gl, n_lg, n_gg;
  double  prescale[3]; /* of (<,<), (>,<), (<,>) */
  double  n_pred, n_pred_err, ratio, ratio_err; /* NaN when not valid */
  PetscBool valid; /* every control region holds at least one event */
} hd_abcd;

/* Not collective. Counts the events i with select[i] != 0 (select NULL: all). The trigger mode:
 * with u (n uniforms in (0, 1)) and prescale (3 values >= 1 for (<,<), (>,<), (<,>); NULL: 1), an
 * event of control region k counts only when u[i] P_k < 1 (kept with probability 1 / P_k), and
 * the prediction scales each region back by its P_k; signal-region events are always kept.
 * With category (n values in 0 .. n_categories-1; NULL: one category) the prediction is eq. 3
 * inside each category, summed (exact when R1 and R2 are independent within each category), its
 * variance the sum of the categories' (a category without (>,<) or (<,>) events predicts 0); the
 * counts are the totals. Without a prediction (an empty (<,<) in a category whose (>,<) and (<,>)
 * hold events, or a sum of 0) valid is false and the prediction and ratio are NaN. With one
 * category this is eq. 3 with the error above. */
PetscErrorCode hd_abcd_count(PetscInt n, const float *r1, const float *r2, const unsigned char *select, const int32_t *category, PetscInt n_categories, const double *u, const double *prescale, double c1, double c2, hd_abcd *out);
/* Not collective. An error naming the thresholds and counts when r has no prediction. */
PetscErrorCode hd_abcd_require(const hd_abcd *r);

/* Not collective. Thresholds (c1, c2) whose signal region holds a fraction `eps` (0 < eps < 1) of
 * the selected events (select NULL: all): per-axis counts above threshold t1 = a t, t2 = t / a
 * (a = `asymmetry`; a = 1 is the diagonal cut, both scores at the same efficiency), the smallest t
 * giving at least eps n events in the signal region (bisection; the region count grows with t).
 * Thresholds lie midway between neighbouring sorted scores. */
PetscErrorCode hd_abcd_thresholds(PetscInt n, const float *r1, const float *r2, const unsigned char *select, double eps, double asymmetry, double *c1, double *c2);

/* Not collective. (N - B) / sqrt(N) when N > B, else 0 (seed 002 §III). */
double hd_abcd_significance(double n, double b);
/* Not collective. The same with the error sigma_b of b: (N - B) / sqrt(N + sigma_b^2) when N > B,
 * else 0; sigma_b = 0 gives hd_abcd_significance. */
double hd_abcd_significance_err(double n, double b, double sigma_b);

/* Not collective. The SIC grid of seed 002 app. A: thresholds at per-axis background
 * efficiencies effs[0..G) on each score (from the events with label 0), sic[i * G + j] =
 * eps_S / sqrt(eps_B) of the region R1 > c1(effs[i]), R2 > c2(effs[j]) for the events with label
 * `signal` against those with label 0 (NaN where the region holds no background). */
PetscErrorCode hd_abcd_sic_grid(PetscInt n, const float *r1, const float *r2, const int32_t *label, int32_t signal, PetscInt G, const double *effs, double *sic);

/* Not collective. The trigger mode's prescales (seed 002 §IV), from the counts of a reference
 * sample: the prediction's relative variance from regions thinned by P_k is
 * sum_k P_k / n_k, and it must stay within the signal region's, 1 / n_gg. The kept rate
 * sum_k n_k / P_k is smallest under that constraint for P_k proportional to n_k:
 * P_k = max(1, n_k / (3 n_gg)), which keeps about 3 n_gg events of each control region, so the
 * trigger keeps about 10 n_gg events. (The paper's "about 4 epsilon" keeps about n_gg of each
 * control region, which gives the prediction sqrt(3) times the signal region's error.) */
void hd_abcd_prescale(const hd_abcd *ref, double prescale[3]);

#endif
