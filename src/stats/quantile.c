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

PetscErrorCode hd_stats_quantile_transform(PetscInt n_ref, const float *ref, PetscInt n, const float *x, float *u)
{
  float *sorted;

  PetscFunctionBegin;
  PetscCheck(n_ref >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "quantile scaling: the reference sample is empty");
  PetscCall(hd_quantile_check(n_ref, ref, "reference score"));
  PetscCall(hd_quantile_check(n, x, "score"));
  PetscCall(PetscMalloc1(n_ref, &sorted));
  PetscCall(PetscArraycpy(sorted, ref, n_ref));
  qsort(sorted, (size_t)n_ref, sizeof(*sorted), hd_quantile_float_cmp);
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
    u[k] = (float)(((double)below + 0.5 * (double)(upto - below)) / (double)n_ref);
  }
  PetscCall(PetscFree(sorted));
  PetscFunctionReturn(PETSC_SUCCESS);
}
