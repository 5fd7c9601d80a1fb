/* Anomaly Awareness's window scan: R of seed 000 eq. 6 over windows of the classifier output and
 * sigma_min of eq. 8 (include/hadal/stats.h). Not collective: every rank holding the same outputs
 * computes the same scan. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/stats.h>

static int hd_aa_cmp_float(const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Number of sorted values v[0..n) below x. */
static PetscInt hd_aa_below(PetscInt n, const float *v, double x)
{
  PetscInt lo = 0, hi = n;
  while (lo < hi) {
    PetscInt mid = lo + (hi - lo) / 2;
    if ((double)v[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Fraction of the sorted v[0..n) in [lo, hi), the last window closed at 1 so that P = 1 counts. */
static double hd_aa_fraction(PetscInt n, const float *v, double lo, double hi, PetscInt *k)
{
  PetscInt a = lo <= 0 ? 0 : hd_aa_below(n, v, lo);
  PetscInt b = hi >= 1 - 1e-9 ? n : hd_aa_below(n, v, hi);
  *k = b - a;
  return n > 0 ? (double)(b - a) / (double)n : 0;
}

PetscErrorCode hd_stats_aa_scan_compute(const hd_stats_aa_scan_config *cfg, PetscInt n_a, const float *p_a, const PetscInt *n_b, const float *const *p_b, hd_stats_aa_scan *scan)
{
  PetscInt nb = cfg->n_bkg, nw = 0, steps;
  float   *sa, **sb;

  PetscFunctionBegin;
  memset(scan, 0, sizeof(*scan));
  PetscCheck(cfg->step > 0 && cfg->step < 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "window step must lie in (0, 1) (got %g)", cfg->step);
  PetscCheck(cfg->max_bkg_error > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "the largest background error must be positive (got %g)", cfg->max_bkg_error);
  PetscCheck(nb >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "the scan needs at least one background class");
  steps = (PetscInt)floor(1.0 / cfg->step + 1e-9);
  for (PetscInt d = 0; d < cfg->n_deltas; d++) {
    PetscCheck(cfg->deltas[d] > 0 && cfg->deltas[d] < 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "window width delta must lie in (0, 1) (got %g)", cfg->deltas[d]);
    nw += (PetscInt)floor((1.0 - cfg->deltas[d]) / cfg->step + 1e-9) + 1;
  }
  nw += steps;
  scan->n_windows = nw;
  scan->n_bkg     = nb;
  scan->best      = -1;
  scan->r_max     = NAN;
  for (PetscInt b = 0; b < nb; b++) scan->sigma_b += cfg->sigma[b];
  PetscCall(PetscMalloc7(nw, &scan->delta, nw, &scan->lo, nw, &scan->hi, nw, &scan->eps_a, nw * nb, &scan->eps_b, nw, &scan->err, nw, &scan->r));

  /* sorted copies: each window's counts are two binary searches */
  PetscCall(PetscMalloc1(PetscMax(n_a, 1), &sa));
  PetscCall(PetscMalloc1(nb, &sb));
  memcpy(sa, p_a, (size_t)n_a * sizeof(float));
  qsort(sa, (size_t)n_a, sizeof(float), hd_aa_cmp_float);
  for (PetscInt b = 0; b < nb; b++) {
    PetscCall(PetscMalloc1(PetscMax(n_b[b], 1), &sb[b]));
    memcpy(sb[b], p_b[b], (size_t)n_b[b] * sizeof(float));
    qsort(sb[b], (size_t)n_b[b], sizeof(float), hd_aa_cmp_float);
  }

  PetscInt w = 0;
  for (PetscInt d = 0; d <= cfg->n_deltas; d++) {
    PetscBool cumulative = d == cfg->n_deltas;
    PetscInt  n          = cumulative ? steps : (PetscInt)floor((1.0 - cfg->deltas[d]) / cfg->step + 1e-9) + 1;
    for (PetscInt j = 0; j < n; j++, w++) {
      double   lo = cumulative ? 0 : (double)j * cfg->step, hi = cumulative ? (double)(j + 1) * cfg->step : lo + cfg->deltas[d];
      double   den = 0, var = 0;
      PetscInt k;
      scan->delta[w] = cumulative ? 0 : cfg->deltas[d];
      scan->lo[w]    = lo;
      scan->hi[w]    = hi;
      scan->eps_a[w] = hd_aa_fraction(n_a, sa, lo, hi, &k);
      for (PetscInt b = 0; b < nb; b++) {
        double e = hd_aa_fraction(n_b[b], sb[b], lo, hi, &k);
        scan->eps_b[w * nb + b] = e;
        den += cfg->sigma[b] * e;
        if (n_b[b] > 0) var += cfg->sigma[b] * cfg->sigma[b] * (double)k / ((double)n_b[b] * (double)n_b[b]);
      }
      scan->err[w] = den > 0 ? sqrt(var) / den : INFINITY;
      /* eq. 6; a window whose background is not measured to max_bkg_error is not a result */
      scan->r[w] = scan->err[w] <= cfg->max_bkg_error ? sqrt(scan->sigma_b) * scan->eps_a[w] / sqrt(den) : NAN;
      if (!isnan(scan->r[w]) && (scan->best < 0 || scan->r[w] > scan->r_max)) {
        scan->best  = w;
        scan->r_max = scan->r[w];
      }
    }
  }
  PetscCall(PetscFree(sa));
  for (PetscInt b = 0; b < nb; b++) PetscCall(PetscFree(sb[b]));
  PetscCall(PetscFree(sb));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* eq. 8: N_a / sqrt(N_B) = R sigma_a sqrt(L) / sqrt(sigma_B) = 5 */
double hd_stats_aa_sigma_min(const hd_stats_aa_scan *scan, double L)
{
  if (scan->best < 0 || !(scan->r_max > 0)) return NAN;
  return 5.0 / (scan->r_max * sqrt(L / scan->sigma_b));
}

double hd_stats_aa_sigma_naive(const hd_stats_aa_scan *scan, double L) { return 5.0 * sqrt(scan->sigma_b / L); }

PetscErrorCode hd_stats_aa_scan_free(hd_stats_aa_scan *scan)
{
  PetscFunctionBegin;
  PetscCall(PetscFree7(scan->delta, scan->lo, scan->hi, scan->eps_a, scan->eps_b, scan->err, scan->r));
  memset(scan, 0, sizeof(*scan));
  PetscFunctionReturn(PETSC_SUCCESS);
}
