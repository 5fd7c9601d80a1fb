/* Quantile (uniform) scaling of scores (see include/hadal/stats.h). */
#include <math.h>
#include <stdlib.h>
#include <hadal/stats.h>

typedef struct {
  float    score;
  PetscInt pos;
} hd_quantile_item;

/* Increasing score, then increasing position: a total order (NaN is rejected before sorting). */
static int hd_quantile_cmp(const void *pa, const void *pb)
{
  const hd_quantile_item *a = pa, *b = pb;

  if (a->score < b->score) return -1;
  if (a->score > b->score) return 1;
  return (a->pos > b->pos) - (a->pos < b->pos);
}

static PetscErrorCode hd_quantile_check(PetscInt n, const float *x, const char *what)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < n; k++) PetscCheck(!isnan(x[k]), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "quantile scaling: %s %" PetscInt_FMT " of %" PetscInt_FMT " is NaN", what, k, n);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_stats_quantile_ranks(PetscInt n, const float *score, int64_t *odd)
{
  hd_quantile_item *items;

  PetscFunctionBegin;
  if (n <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(hd_quantile_check(n, score, "score"));
  PetscCall(PetscMalloc1(n, &items));
  for (PetscInt k = 0; k < n; k++) {
    items[k].score = score[k];
    items[k].pos   = k;
  }
  qsort(items, (size_t)n, sizeof(*items), hd_quantile_cmp);
  for (PetscInt r = 0; r < n; r++) odd[items[r].pos] = 2 * (int64_t)r + 1;
  PetscCall(PetscFree(items));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_stats_quantile_scale(PetscInt n, const float *score, float *u)
{
  int64_t *odd;

  PetscFunctionBegin;
  if (n <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc1(n, &odd));
  PetscCall(hd_stats_quantile_ranks(n, score, odd));
  for (PetscInt k = 0; k < n; k++) u[k] = (float)((double)odd[k] / (2.0 * (double)n));
  PetscCall(PetscFree(odd));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static int hd_quantile_float_cmp(const void *pa, const void *pb)
{
  float a = *(const float *)pa, b = *(const float *)pb;

  return (a > b) - (a < b);
}

/* The scale of one tail of the sorted reference r[0 .. n-1]: the spread of its outermost 1% (at
 * least one gap), falling back to the whole range and then to 1 when those values are all equal;
 * any positive scale keeps the order, this one keeps the tail's slope near that of the data. */
static double hd_quantile_tail_scale(PetscInt n, const float *r, int upper)
{
  PetscInt m = PetscMin(PetscMax(n / 100, 1), n - 1);
  double   s = 0;

  if (m >= 1) s = upper ? (double)r[n - 1] - (double)r[n - 1 - m] : (double)r[m] - (double)r[0];
  if (!(s > 0)) s = (double)r[n - 1] - (double)r[0];
  if (!(s > 0)) s = 1;
  return s;
}

PetscErrorCode hd_stats_quantile_transform(PetscInt n_ref, const float *ref, PetscInt n, const float *x, float *u)
{
  float   *sorted;
  double   s_lo, s_hi, u_lo, u_hi;
  PetscInt c_lo, c_hi;

  PetscFunctionBegin;
  PetscCheck(n_ref >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "quantile scaling: the reference sample is empty");
  PetscCall(hd_quantile_check(n_ref, ref, "reference score"));
  PetscCall(hd_quantile_check(n, x, "score"));
  PetscCall(PetscMalloc1(n_ref, &sorted));
  PetscCall(PetscArraycpy(sorted, ref, n_ref));
  qsort(sorted, (size_t)n_ref, sizeof(*sorted), hd_quantile_float_cmp);
  /* the CDF at the ends, F(r_min) = c_min / (2 n) and F(r_max) = 1 - c_max / (2 n) (c the ties
   * at that end), and the scales of the tails beyond them */
  for (c_lo = 1; c_lo < n_ref && sorted[c_lo] == sorted[0]; c_lo++) continue;
  for (c_hi = 1; c_hi < n_ref && sorted[n_ref - 1 - c_hi] == sorted[n_ref - 1]; c_hi++) continue;
  u_lo = 0.5 * (double)c_lo / (double)n_ref;
  u_hi = 1.0 - 0.5 * (double)c_hi / (double)n_ref;
  s_lo = hd_quantile_tail_scale(n_ref, sorted, 0);
  s_hi = hd_quantile_tail_scale(n_ref, sorted, 1);
  for (PetscInt k = 0; k < n; k++) {
    /* below = #{ref < x}, upto = #{ref <= x}, both by bisection */
    PetscInt lo = 0, hi = n_ref, below, upto;
    while (lo < hi) {
      PetscInt mid = lo + (hi - lo) / 2;
      if (sorted[mid] < x[k]) lo = mid + 1;
      else hi = mid;
    }
    below = lo;
    hi    = n_ref;
    while (lo < hi) {
      PetscInt mid = lo + (hi - lo) / 2;
      if (sorted[mid] <= x[k]) lo = mid + 1;
      else hi = mid;
    }
    upto = lo;
    if (below == n_ref || upto == 0) {
      /* outside the reference: the gap between the CDF at the nearest end and 1 (or 0) shrinks
       * as 1 / (1 + distance / scale), strictly monotone, so scores beyond the training range
       * keep their order instead of all tying at 1 (or 0) */
      if (below == n_ref) u[k] = (float)(1.0 - (1.0 - u_hi) / (1.0 + ((double)x[k] - (double)sorted[n_ref - 1]) / s_hi));
      else u[k] = (float)(u_lo / (1.0 + ((double)sorted[0] - (double)x[k]) / s_lo));
    } else u[k] = (float)(((double)below + 0.5 * (double)(upto - below)) / (double)n_ref);
  }
  PetscCall(PetscFree(sorted));
  PetscFunctionReturn(PETSC_SUCCESS);
}
