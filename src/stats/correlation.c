/* Metrics of the Dark Machines challenge and of score ensembles (seed 003 section 6): signal
 * improvement, total improvement, Pearson correlations across ranks without gathering the scores,
 * and the effective number of independent members (include/hadal/stats.h). */
#include <math.h>
#include <stdlib.h>
#include <petscsys.h>
#include <hadal/par.h>
#include <hadal/stats.h>

static const double hd_eps_b_points[3] = {1e-2, 1e-3, 1e-4};

double hd_stats_signal_improvement(const double eps_s_at[3])
{
  double si = NAN;

  for (int k = 0; k < 3; k++) {
    double v = eps_s_at[k] / sqrt(hd_eps_b_points[k]);
    if (!isnan(v) && (isnan(si) || v > si)) si = v;
  }
  return si;
}

static int hd_cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

PetscErrorCode hd_stats_total_improvement(PetscInt n, const double *si, double ti[3])
{
  double  *v;
  PetscInt m = 0;

  PetscFunctionBegin;
  ti[0] = ti[1] = ti[2] = NAN;
  PetscCall(PetscMalloc1(PetscMax(n, 1), &v));
  for (PetscInt i = 0; i < n; i++)
    if (!isnan(si[i])) v[m++] = si[i];
  if (m > 0) {
    qsort(v, (size_t)m, sizeof(double), hd_cmp_double);
    ti[0] = v[0];
    ti[1] = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
    ti[2] = v[m - 1];
  }
  PetscCall(PetscFree(v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_stats_correlation_uniform(hd_comm comm, PetscInt n_local, PetscInt width, const float *u, const int8_t *use, double *corr)
{
  PetscInt W = width, P = W * (W + 1) / 2, n_use = 0;
  int64_t *s, *g, cnt[1], gcnt[1];
  int      bits;

  PetscFunctionBegin;
  PetscCall(PetscCalloc2(W + P, &s, W + P, &g));
  for (PetscInt i = 0; i < n_local; i++) n_use += !use || use[i];
  cnt[0] = n_use;
  PetscCall(hd_par_sum_int64(comm, 1, cnt, gcnt));
  PetscCheck(gcnt[0] >= 2, comm, HD_ERR_USER_INPUT, "correlation of %" PetscInt64_FMT " events: at least 2 are needed", gcnt[0]);
  /* quantum 2^-bits: a product is below 2^(2 bits) and a sum of n of them below 2^62 */
  bits = (int)PetscMin(20.0, floor((62.0 - ceil(log2((double)gcnt[0] + 1.0))) / 2.0));
  PetscCheck(bits >= 8, comm, HD_ERR_USER_INPUT, "correlation of %" PetscInt64_FMT " events: too many for exact 64-bit sums", gcnt[0]);
  for (PetscInt i = 0; i < n_local; i++) {
    int64_t a[1024], *pp = s + W;
    if (use && !use[i]) continue;
    PetscCheck(W <= 1024, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "correlation of %" PetscInt_FMT " columns: at most 1024", W);
    for (PetscInt j = 0; j < W; j++) {
      float x = u[i * W + j];
      PetscCheck(x >= 0 && x <= 1, PETSC_COMM_SELF, HD_ERR_INTERNAL, "uniform score %g outside [0, 1]", (double)x);
      a[j] = llrint(ldexp((double)x, bits));
      s[j] += a[j];
    }
    for (PetscInt j = 0; j < W; j++)
      for (PetscInt k = j; k < W; k++) *pp++ += a[j] * a[k];
  }
  PetscCall(hd_par_sum_int64(comm, W + P, s, g));
  {
    double   n = (double)gcnt[0], *m, *sd;
    int64_t *pp = g + W;

    PetscCall(PetscMalloc2(W, &m, W, &sd));
    for (PetscInt j = 0; j < W; j++) m[j] = ldexp((double)g[j], -bits) / n;
    for (PetscInt j = 0; j < W; j++)
      for (PetscInt k = j; k < W; k++) {
        double c = ldexp((double)*pp++, -2 * bits) / n - m[j] * m[k];
        corr[j * W + k] = corr[k * W + j] = c;
      }
    for (PetscInt j = 0; j < W; j++) sd[j] = sqrt(PetscMax(corr[j * W + j], 0.0));
    for (PetscInt j = 0; j < W; j++)
      for (PetscInt k = 0; k < W; k++) corr[j * W + k] = sd[j] > 0 && sd[k] > 0 ? corr[j * W + k] / (sd[j] * sd[k]) : (j == k ? 1.0 : 0.0);
    PetscCall(PetscFree2(m, sd));
  }
  PetscCall(PetscFree2(s, g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_stats_effective_number(MPI_Comm comm, PetscInt n, const double *corr, double *eig, double *n_eff)
{
  double *w, s1 = 0, s2 = 0;

  PetscFunctionBegin;
  PetscCheck(n >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "effective number of an empty matrix");
  PetscCall(PetscMalloc1(n, &w));
  PetscCall(hd_par_eigenvalues_sym(comm, n, 0, corr, w));
  for (PetscInt i = 0; i < n; i++) {
    if (eig) eig[i] = w[i];
    s1 += w[i];
    s2 += w[i] * w[i];
  }
  *n_eff = s2 > 0 ? s1 * s1 / s2 : NAN; /* (sum l)^2 / sum l^2 */
  PetscCall(PetscFree(w));
  PetscFunctionReturn(PETSC_SUCCESS);
}
