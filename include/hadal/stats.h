/* Statistics of scores and inputs: exact moments reduced across ranks, ROC curves and AUC,
 * quantile scaling. */
#ifndef HADAL_STATS_H
#define HADAL_STATS_H

#include <stdint.h>
#include <hadal/error.h>
#include <hadal/par.h>

/* Collective on comm. Mean and standard deviation (population) of each of the `width` columns of
 * the rows held across comm (n_local rows here, n_global in all). The sums are formed in 64-bit
 * fixed point with a per-column power-of-two quantum (from an allreduce of the column maxima), so
 * they are exact and the result is bit-identical for any split of the rows across ranks; the
 * quantisation error is below 2^-(62 - log2 n_global) of the column's largest |x| (or x^2). */
PetscErrorCode hd_stats_moments(hd_comm comm, PetscInt n_local, PetscInt width, const float *rows, PetscInt n_global, double *mean, double *std);

/* A ROC curve of a score where larger means more signal-like. Events with label > 0 are signal,
 * label 0 background; others (label -1, unknown) are left out. */
typedef struct {
  PetscInt n_signal, n_background;
  double   auc;        /* Mann-Whitney U / (n_s n_b), ties counted one half */
  PetscInt n_points;   /* of the stored curve (at most max_points, thinned evenly in eps_B) */
  double  *eps_b, *eps_s, *threshold;
  double   eps_s_at[3]; /* eps_S at eps_B = 1e-2, 1e-3, 1e-4 (NaN where eps_B cannot go that low) */
  double   sic_max;     /* max eps_S / sqrt(eps_B) over eps_B >= 1 / n_b */
} hd_stats_roc;

/* Not collective. n scores and labels; the curve keeps at most max_points points. */
PetscErrorCode hd_stats_roc_compute(PetscInt n, const float *score, const int32_t *label, PetscInt max_points, hd_stats_roc *roc);
PetscErrorCode hd_stats_roc_free(hd_stats_roc *roc);

/* The standard deviation of the AUC of n_signal against n_background scores drawn from one
 * continuous distribution (no discrimination: AUC 1/2): the Mann-Whitney U's null variance
 * n_s n_b (n_s + n_b + 1) / 12 over (n_s n_b)^2. How far from 0.5 an AUC that should show nothing
 * (SR against SB on background alone) may fall by chance; NaN when a class is empty. */
double hd_stats_auc_null_sigma(PetscInt n_signal, PetscInt n_background);

/* Quantile (uniform) scaling of one model's scores, so that scores of different models can be
 * averaged or combined (seed 004 for CWoLa ensembles; seed 003's "Rare and Different").
 *
 * hd_stats_quantile_ranks: not collective. The r-th smallest of n scores (r = 0 .. n-1; equal
 * scores ordered by position) gets odd[k] = 2 r + 1, so that u = odd / (2 n) = (r + 1/2) / n is
 * the midpoint of its quantile bin and uniform on (0, 1). The odd integers are what ensembles sum:
 * sums of them are exact in int64 in any order, the scaled mean of M members being
 * sum / (2 n M). */
PetscErrorCode hd_stats_quantile_ranks(PetscInt n, const float *score, int64_t *odd);
/* Not collective. u[k] = odd[k] / (2 n) in float, the scaled score itself. */
PetscErrorCode hd_stats_quantile_scale(PetscInt n, const float *score, float *u);
/* Not collective. Scaling against a reference sample (the training set's scores, seed 003):
 * inside the reference's range [r_min, r_max], u[k] = (#{ref < x[k]} + #{ref == x[k]} / 2) / n_ref,
 * the empirical CDF F of the reference with ties counted one half. Beyond it a hyperbolic tail
 * keeps the order of the scores (the plain CDF would give every x > r_max u = 1, and a maximum over
 * many such scores would tie at 1):
 *   x > r_max: u = 1 - (1 - F(r_max)) / (1 + (x - r_max) / s_hi),
 *   x < r_min: u = F(r_min) / (1 + (r_min - x) / s_lo),
 * s_hi = r_(n-1) - r_(n-1-m), s_lo = r_(m) - r_(0) on the sorted reference, m = max(1, n_ref / 100)
 * (at most n_ref - 1): the spread of the outermost 1%; where that is 0, r_max - r_min, and where
 * that is 0 too, 1. u is continuous at both ends and strictly increasing outside [r_min, r_max],
 * in (0, 1) there up to float resolution (2^-24 near 1). n_ref >= 1; ref need not be sorted. */
PetscErrorCode hd_stats_quantile_transform(PetscInt n_ref, const float *ref, PetscInt n, const float *x, float *u);

/* The Dark Machines metrics (seed 003 section 6; Aarrestad et al. 2021). Not collective.
 * SI = max over eps_B in {1e-2, 1e-3, 1e-4} of eps_S / sqrt(eps_B), NaN entries skipped (NaN when
 * all are). */
double hd_stats_signal_improvement(const double eps_s_at[3]);
/* Not collective. TI of n SI values: ti = {min, median, max} over the non-NaN ones (NaN if none). */
PetscErrorCode hd_stats_total_improvement(PetscInt n, const double *si, double ti[3]);

/* Collective on comm. Pearson correlation matrix corr (width x width, row-major, every rank) of
 * `width` scores in [0, 1] (uniformised scores), each rank holding n_local rows u (n_local, width)
 * of which those with use[i] != 0 count (use NULL: all). Sums are taken in 64-bit fixed point
 * (quantum 2^-20, coarser beyond 4M rows) so the matrix is the same for any split of the rows;
 * no rank holds more than its own rows. A constant column correlates 0 with the others. */
PetscErrorCode hd_stats_correlation_uniform(MPI_Comm comm, PetscInt n_local, PetscInt width, const float *u, const int8_t *use, double *corr);
/* Collective on comm (corr the same on every rank). Eigenvalues (ascending, into eig when not
 * NULL) of a symmetric n x n matrix by ScaLAPACK pdsyev on a block-cyclic distribution over comm
 * (hd_par_eigenvalues_sym), and the effective number of independent members
 * (sum l)^2 / sum l^2; the same on every rank, and across rank counts to rounding (~1e-15). */
PetscErrorCode hd_stats_effective_number(MPI_Comm comm, PetscInt n, const double *corr, double *eig, double *n_eff);
/* Anomaly Awareness's detection windows (seed 000 section 4.5). A window [lo, hi) on one output of
 * the classifier, P(c), selects a fraction eps_k of each class k's events. With background classes
 * b of cross-sections sigma_b (sigma_B = sum_b sigma_b) and an anomaly class a,
 *   R = sqrt(sigma_B) eps_a / sqrt(sum_b sigma_b eps_b)                      (seed 000 eq. 6)
 * and the smallest anomaly cross-section seen at 5 sigma with luminosity L is
 *   sigma_min(L) = 5 / (R_max sqrt(L / sigma_B))                              (eq. 8)
 * beside the naive 5 sqrt(sigma_B / L) (R = 1, no selection).
 * Windows: for each width delta, lo = 0, step, 2 step, ... while lo + delta <= 1 (+1e-9), and the
 * cumulative windows [0, t] for t = step, 2 step, ... 1 (the events below a threshold). The
 * relative statistical error of the background denominator, from the counts k_b of n_b events,
 *   err = sqrt(sum_b sigma_b^2 k_b / n_b^2) / sum_b sigma_b k_b / n_b,
 * must be at most max_bkg_error; other windows are skipped (R = NaN), never R -> infinity. */
typedef struct {
  PetscInt n_windows;
  double  *delta;  /* (n_windows) the width, or 0 for a cumulative window */
  double  *lo, *hi;
  double  *eps_a;  /* (n_windows) the anomaly's efficiency */
  double  *eps_b;  /* (n_windows, n_bkg) each background class's efficiency */
  double  *err;    /* (n_windows) relative error of the denominator (inf when it is empty) */
  double  *r;      /* (n_windows) eq. 6, NaN for a skipped window */
  PetscInt n_bkg;
  PetscInt best;   /* window of R_max, -1 when every window was skipped */
  double   r_max, sigma_b;
} hd_stats_aa_scan;

typedef struct {
  PetscInt      n_deltas;
  const double *deltas;        /* widths in (0, 1) */
  double        step;          /* window step (0, 1) */
  double        max_bkg_error; /* > 0 */
  PetscInt      n_bkg;
  const double *sigma;         /* (n_bkg) cross-sections of the background classes, fb */
} hd_stats_aa_scan_config;

/* Not collective. p_a (n_a): the anomaly's P(c); p_b[b] (n_b[b]): each background class's P(c). */
PetscErrorCode hd_stats_aa_scan_compute(const hd_stats_aa_scan_config *cfg, PetscInt n_a, const float *p_a, const PetscInt *n_b, const float *const *p_b, hd_stats_aa_scan *scan);
/* Not collective. sigma_min of eq. 8 at luminosity L (fb^-1), NaN when no window was kept; and
 * the naive 5 sqrt(sigma_B / L). */
double         hd_stats_aa_sigma_min(const hd_stats_aa_scan *scan, double L);
double         hd_stats_aa_sigma_naive(const hd_stats_aa_scan *scan, double L);
PetscErrorCode hd_stats_aa_scan_free(hd_stats_aa_scan *scan);

#endif
