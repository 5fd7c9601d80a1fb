/* Exact, split-independent column moments (see include/hadal/stats.h): fixed-point sums reduced
 * through src/par. */
#include <math.h>
#include <hadal/par.h>
#include <hadal/stats.h>

PetscErrorCode hd_stats_moments(hd_comm comm, PetscInt n_local, PetscInt width, const float *rows, PetscInt n_global, double *mean, double *std)
{
  double  *amax, *gmax;
  int     *e;
  int64_t *sums, *gsums;
  int      headroom;

  PetscFunctionBegin;
  PetscCheck(n_global > 0, comm, HD_ERR_USER_INPUT, "moments of an empty table");
  PetscCall(PetscCalloc2(width, &amax, width, &gmax));
  PetscCall(PetscMalloc1(width, &e));
  PetscCall(PetscCalloc2(2 * width, &sums, 2 * width, &gsums));
  /* a NaN counts as Inf, so that it wins the maximum and every rank rejects the column below */
  for (PetscInt i = 0; i < n_local; i++)
    for (PetscInt j = 0; j < width; j++) {
      double a = fabs((double)rows[i * width + j]);
      if (isnan(a)) a = INFINITY;
      if (a > amax[j]) amax[j] = a;
    }
  PetscCall(hd_par_max_double(comm, width, amax, gmax));
  /* a sum of n values below 2^h each stays below 2^62 when h = 62 - ceil(log2 n) */
  headroom = 62 - (int)ceil(log2((double)n_global + 1.0));
  for (PetscInt j = 0; j < width; j++) {
    PetscCheck(isfinite(gmax[j]), comm, HD_ERR_USER_INPUT, "column %" PetscInt_FMT " holds a non-finite value", j);
    if (gmax[j] > 0) frexp(gmax[j], &e[j]); /* gmax < 2^e */
    else e[j] = 0;
  }
  for (PetscInt i = 0; i < n_local; i++) {
    for (PetscInt j = 0; j < width; j++) {
      double x = rows[i * width + j];
      sums[2 * j] += llrint(ldexp(x, headroom - e[j]));
      sums[2 * j + 1] += llrint(ldexp(x * x, headroom - 2 * e[j])); /* x*x is exact in double */
    }
  }
  PetscCall(hd_par_sum_int64(comm, 2 * width, sums, gsums));
  for (PetscInt j = 0; j < width; j++) {
    double s1 = ldexp((double)gsums[2 * j], e[j] - headroom), s2 = ldexp((double)gsums[2 * j + 1], 2 * e[j] - headroom);
    mean[j] = s1 / (double)n_global;
    std[j]  = sqrt(PetscMax(s2 / (double)n_global - mean[j] * mean[j], 0.0));
  }
  PetscCall(PetscFree2(amax, gmax));
  PetscCall(PetscFree(e));
  PetscCall(PetscFree2(sums, gsums));
  PetscFunctionReturn(PETSC_SUCCESS);
}
