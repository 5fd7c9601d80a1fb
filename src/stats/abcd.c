/* The ABCD method on two decorrelated scores (include/hadal/abcd.h; seed 002 eq. 3 and §IV). */
#include <math.h>
#include <stdlib.h>
#include <hadal/abcd.h>

PetscErrorCode hd_abcd_count(PetscInt n, const float *r1, const float *r2, const unsigned char *select, const int32_t *category, PetscInt n_categories, const double *u, const double *prescale, double c1, double c2, hd_abcd *out)
{
  int64_t *cnt; /* per category, index: (r1 > c1) + 2 (r2 > c2) */
  double   P[3] = {1.0, 1.0, 1.0}, var = 0.0;
  PetscInt nc   = category ? n_categories : 1;

  PetscFunctionBegin;
  PetscCheck(nc >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "ABCD: %" PetscInt_FMT " categories (at least 1)", n_categories);
  for (int k = 0; prescale && k < 3; k++) {
    PetscCheck(prescale[k] >= 1.0 && isfinite(prescale[k]), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "ABCD prescale must be >= 1 (got %g)", prescale[k]);
    P[k] = prescale[k];
  }
  for (PetscInt i = 0; category && i < n; i++)
    PetscCheck(category[i] >= 0 && category[i] < nc, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "ABCD: event %" PetscInt_FMT " has category %d (0 .. %" PetscInt_FMT " expected)", i, (int)category[i], nc - 1);
  PetscCall(PetscCalloc1(4 * nc, &cnt));
  for (PetscInt i = 0; i < n; i++) {
    int      k;
    PetscInt c = category ? category[i] : 0;

    if (select && !select[i]) continue;
    k = (r1[i] > c1) + 2 * (r2[i] > c2);
    if (k != 3 && u && u[i] * P[k] >= 1.0) continue; /* thinned away by the prescale */
    cnt[4 * c + k]++;
  }
  out->c1 = c1, out->c2 = c2;
  for (int k = 0; k < 3; k++) out->prescale[k] = P[k];
  out->n_ll = out->n_gl = out->n_lg = out->n_gg = 0;
  out->n_pred = 0.0;
  out->valid  = PETSC_TRUE;
  /* eq. 3 inside each category, the predictions summed: exact when R1 and R2 are independent
   * within each category, whatever the mixture. A category without (>,<) or (<,>) events
   * predicts 0; one with both but no (<,<) event predicts nothing, and then neither does the sum. */
  for (PetscInt c = 0; c < nc; c++) {
    const int64_t *k = cnt + 4 * c;
    double         b = (double)k[1], cc = (double)k[2], d = (double)k[0], pred;

    out->n_ll += k[0], out->n_gl += k[1], out->n_lg += k[2], out->n_gg += k[3];
    if (k[1] == 0 || k[2] == 0) continue;
    if (k[0] == 0) {
      out->valid = PETSC_FALSE;
      continue;
    }
    pred = (P[1] * b) * (P[2] * cc) / (P[0] * d);
    out->n_pred += pred;
    var += pred * pred * (1.0 / b + 1.0 / cc + 1.0 / d);
  }
  PetscCall(PetscFree(cnt));
  if (!(out->n_pred > 0.0)) out->valid = PETSC_FALSE;
  if (!out->valid) { /* no prediction: NaN, never a division by zero */
    out->n_pred = out->n_pred_err = out->ratio = out->ratio_err = NAN;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  out->n_pred_err = sqrt(var);
  out->ratio      = (double)out->n_gg / out->n_pred;
  out->ratio_err  = out->ratio * sqrt((out->n_gg > 0 ? 1.0 / (double)out->n_gg : 0.0) + var / (out->n_pred * out->n_pred));
  if (out->n_gg == 0) out->ratio_err = 1.0 / out->n_pred; /* one event's worth: the scale of a zero count */
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_abcd_require(const hd_abcd *r)
{
  PetscFunctionBegin;
  PetscCheck(r->valid, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "ABCD: too few events for a prediction at thresholds (%g, %g): control regions N(<,<) = %lld, N(>,<) = %lld, N(<,>) = %lld (each needs at least one event)", r->c1, r->c2, (long long)r->n_ll, (long long)r->n_gl, (long long)r->n_lg);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static int hd_abcd_cmp_float(const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;

  return (x > y) - (x < y);
}

/* The threshold with t of the m sorted values above it (midway between neighbours). */
static double hd_abcd_cut(const float *sorted, PetscInt m, PetscInt t)
{
  if (t <= 0) return (double)sorted[m - 1];
  if (t >= m) return (double)sorted[0] - 1.0;
  return 0.5 * ((double)sorted[m - t - 1] + (double)sorted[m - t]);
}

PetscErrorCode hd_abcd_thresholds(PetscInt n, const float *r1, const float *r2, const unsigned char *select, double eps, double asymmetry, double *c1, double *c2)
{
  float   *s1, *s2;
  PetscInt m = 0, lo = 0, hi;
  double   want;

  PetscFunctionBegin;
  PetscCheck(eps > 0.0 && eps < 1.0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "ABCD: SM efficiency %g must lie in (0, 1)", eps);
  PetscCheck(asymmetry > 0.0 && isfinite(asymmetry), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "ABCD: asymmetry %g must be positive", asymmetry);
  PetscCall(PetscMalloc2(n, &s1, n, &s2));
  for (PetscInt i = 0; i < n; i++)
    if (!select || select[i]) s1[m] = r1[i], s2[m] = r2[i], m++;
  PetscCheck(m > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "ABCD: no events to set thresholds on");
  qsort(s1, (size_t)m, sizeof(float), hd_abcd_cmp_float);
  qsort(s2, (size_t)m, sizeof(float), hd_abcd_cmp_float);
  want = eps * (double)m;
  hi   = (PetscInt)ceil((double)m * fmax(asymmetry, 1.0 / asymmetry));
  while (lo < hi) { /* smallest t with count(t) >= want */
    PetscInt t = lo + (hi - lo) / 2, cnt = 0;
    double   a = hd_abcd_cut(s1, m, (PetscInt)llround(t * asymmetry)), b = hd_abcd_cut(s2, m, (PetscInt)llround(t / asymmetry));

    for (PetscInt i = 0; i < n; i++)
      if ((!select || select[i]) && r1[i] > a && r2[i] > b) cnt++;
    if ((double)cnt >= want) hi = t;
    else lo = t + 1;
  }
  *c1 = hd_abcd_cut(s1, m, (PetscInt)llround(lo * asymmetry));
  *c2 = hd_abcd_cut(s2, m, (PetscInt)llround(lo / asymmetry));
  PetscCall(PetscFree2(s1, s2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

double hd_abcd_significance(double n, double b) { return hd_abcd_significance_err(n, b, 0.0); }

double hd_abcd_significance_err(double n, double b, double sigma_b) { return n > b && n > 0 ? (n - b) / sqrt(n + sigma_b * sigma_b) : 0.0; }

PetscErrorCode hd_abcd_sic_grid(PetscInt n, const float *r1, const float *r2, const int32_t *label, int32_t signal, PetscInt G, const double *effs, double *sic)
{
  float   *s1, *s2;
  double  *c1, *c2;
  PetscInt nb = 0, ns = 0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc4(n, &s1, n, &s2, G, &c1, G, &c2));
  for (PetscInt i = 0; i < n; i++) {
    if (label[i] == 0) s1[nb] = r1[i], s2[nb] = r2[i], nb++;
    else if (label[i] == signal) ns++;
  }
  PetscCheck(nb > 0 && ns > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "SIC grid: %" PetscInt_FMT " background and %" PetscInt_FMT " signal events (both needed)", nb, ns);
  qsort(s1, (size_t)nb, sizeof(float), hd_abcd_cmp_float);
  qsort(s2, (size_t)nb, sizeof(float), hd_abcd_cmp_float);
  for (PetscInt g = 0; g < G; g++) {
    PetscInt t = (PetscInt)llround(effs[g] * (double)nb);

    c1[g] = hd_abcd_cut(s1, nb, t);
    c2[g] = hd_abcd_cut(s2, nb, t);
  }
  for (PetscInt a = 0; a < G; a++)
    for (PetscInt b = 0; b < G; b++) {
      int64_t kb = 0, ks = 0;

      for (PetscInt i = 0; i < n; i++) {
        if (!(r1[i] > c1[a] && r2[i] > c2[b])) continue;
        if (label[i] == 0) kb++;
        else if (label[i] == signal) ks++;
      }
      sic[a * G + b] = kb > 0 ? ((double)ks / (double)ns) / sqrt((double)kb / (double)nb) : NAN;
    }
  PetscCall(PetscFree4(s1, s2, c1, c2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void hd_abcd_prescale(const hd_abcd *ref, double prescale[3])
{
  const int64_t n[3] = {ref->n_ll, ref->n_gl, ref->n_lg};

  for (int k = 0; k < 3; k++) prescale[k] = ref->n_gg > 0 ? fmax(1.0, (double)n[k] / (3.0 * (double)ref->n_gg)) : 1.0;
}
