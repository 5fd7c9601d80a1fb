/* ROC curves and AUC (see include/hadal/stats.h). */
#include <math.h>
#include <stdlib.h>
#include <hadal/stats.h>

typedef struct {
  float   score;
  int32_t signal;
} hd_roc_item;

/* descending score; ties keep a fixed order (signal first) so the curve is deterministic */
static int hd_roc_cmp(const void *pa, const void *pb)
{
  const hd_roc_item *a = pa, *b = pb;
  if (a->score > b->score) return -1;
  if (a->score < b->score) return 1;
  return b->signal - a->signal;
}

PetscErrorCode hd_stats_roc_compute(PetscInt n, const float *score, const int32_t *label, PetscInt max_points, hd_stats_roc *roc)
{
  hd_roc_item *items;
  PetscInt     m = 0;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(roc, sizeof(*roc)));
  PetscCall(PetscMalloc1(PetscMax(n, 1), &items));
  for (PetscInt i = 0; i < n; i++) {
    if (label[i] < 0) continue;
    PetscCheck(!isnan(score[i]), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "score of event %" PetscInt_FMT " is NaN", i);
    items[m].score  = score[i];
    items[m].signal = label[i] > 0;
    roc->n_signal += items[m].signal;
    m++;
  }
  roc->n_background = m - roc->n_signal;
  for (int k = 0; k < 3; k++) roc->eps_s_at[k] = NAN;
  roc->auc = NAN;
  if (roc->n_signal == 0 || roc->n_background == 0) {
    PetscCall(PetscFree(items));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  qsort(items, (size_t)m, sizeof(*items), hd_roc_cmp);

  /* walk thresholds from high to low, one point per distinct score */
  PetscInt cap = PetscMax(max_points, 2);
  PetscCall(PetscMalloc3(cap, &roc->eps_b, cap, &roc->eps_s, cap, &roc->threshold));
  double   ns = (double)roc->n_signal, nb = (double)roc->n_background, u = 0, sic = 0;
  double   targets[3] = {1e-2, 1e-3, 1e-4};
  PetscInt tp = 0, fp = 0, npts = 0;
  double   next_b = 0; /* the curve is thinned to points evenly spaced in eps_B */
  for (PetscInt i = 0; i < m;) {
    PetscInt j = i, dtp = 0, dfp = 0;
    while (j < m && items[j].score == items[i].score) {
      dtp += items[j].signal;
      dfp += !items[j].signal;
      j++;
    }
    /* U statistic: signals above all background seen so far, ties count one half */
    u += (double)dtp * ((nb - fp) - 0.5 * dfp);
    for (int k = 0; k < 3; k++)
      if (targets[k] * nb >= 1 && fp / nb <= targets[k] && (fp + dfp) / nb > targets[k]) roc->eps_s_at[k] = tp / ns; /* last point with eps_B <= target */
    tp += dtp;
    fp += dfp;
    double eb = fp / nb, es = tp / ns;
    if (fp > 0) sic = PetscMax(sic, es / sqrt(eb));
    if ((eb >= next_b || j == m) && npts < cap) {
      roc->eps_b[npts]     = eb;
      roc->eps_s[npts]     = es;
      roc->threshold[npts] = items[i].score;
      npts++;
      next_b = eb + 1.0 / (double)(cap - 1);
    }
    i = j;
  }
  roc->n_points = npts;
  roc->auc      = u / (ns * nb);
  roc->sic_max  = sic;
  PetscCall(PetscFree(items));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_stats_roc_free(hd_stats_roc *roc)
{
  PetscFunctionBegin;
  PetscCall(PetscFree3(roc->eps_b, roc->eps_s, roc->threshold));
  PetscFunctionReturn(PETSC_SUCCESS);
}

double hd_stats_auc_null_sigma(PetscInt n_signal, PetscInt n_background)
{
  double ns = (double)n_signal, nb = (double)n_background;

  if (n_signal <= 0 || n_background <= 0) return NAN;
  return sqrt((ns + nb + 1.0) / (12.0 * ns * nb));
}
