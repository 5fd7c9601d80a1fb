/* Eigenvalues of correlation matrices with ScaLAPACK (src/par/eigen.c, src/stats/correlation.c),
 * at any rank count:
 *   - a matrix with every off-diagonal coefficient rho: eigenvalues 1 + (n - 1) rho once and
 *     1 - rho n - 1 times, effective number n^2 / ((1 + (n-1) rho)^2 + (n - 1)(1 - rho)^2);
 *   - correlation matrices of random data (n = 63, the SVDD grid, and others, several block
 *     sizes so the block-cyclic layout wraps) against LAPACK dsyev on one rank, 1e-10 relative;
 *   - the same eigenvalues on the world's grid and on a one-rank grid (this rank alone), so every
 *     rank count agrees with every other to that tolerance;
 *   - the grid shapes. */
#include <math.h>
#include <stdio.h>
#include <petscsys.h>
#include <petscblaslapack.h>
#include <hadal/par.h>
#include <hadal/rng.h>
#include <hadal/stats.h>
#include "check.h"

/* The correlation matrix (n x n, row-major) of `rows` random rows whose columns share one factor. */
static PetscErrorCode random_corr(PetscInt n, PetscInt rows, uint64_t seed, double *c)
{
  double *x, *m;

  PetscFunctionBegin;
  PetscCall(PetscCalloc2(rows * n, &x, n, &m));
  for (PetscInt r = 0; r < rows; r++) {
    hd_rng g;
    hd_rng_init(&g, seed, HD_STREAM_USER, (uint64_t)r);
    double f = hd_rng_uniform(&g);
    for (PetscInt j = 0; j < n; j++) x[r * n + j] = f * (double)(j % 5) / 4.0 + hd_rng_uniform(&g);
  }
  for (PetscInt r = 0; r < rows; r++)
    for (PetscInt j = 0; j < n; j++) m[j] += x[r * n + j] / (double)rows;
  for (PetscInt j = 0; j < n; j++)
    for (PetscInt k = 0; k < n; k++) {
      double s = 0;
      for (PetscInt r = 0; r < rows; r++) s += (x[r * n + j] - m[j]) * (x[r * n + k] - m[k]);
      c[j * n + k] = s;
    }
  for (PetscInt j = 0; j < n; j++)
    for (PetscInt k = 0; k < n; k++)
      if (j != k) c[j * n + k] /= sqrt(c[j * n + j] * c[k * n + k]);
  for (PetscInt j = 0; j < n; j++) c[j * n + j] = 1;
  PetscCall(PetscFree2(x, m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode lapack_eig(PetscInt n, const double *c, double *w)
{
  double      *a, *work, q;
  PetscBLASInt bn = (PetscBLASInt)n, lwork = -1, info = 0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n * n, &a));
  for (PetscInt i = 0; i < n * n; i++) a[i] = c[i];
  LAPACKsyev_("N", "U", &bn, a, &bn, w, &q, &lwork, &info);
  lwork = (PetscBLASInt)q;
  PetscCall(PetscMalloc1(lwork, &work));
  LAPACKsyev_("N", "U", &bn, a, &bn, w, work, &lwork, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "dsyev info %d", (int)info);
  PetscCall(PetscFree(work));
  PetscCall(PetscFree(a));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static double max_rel(PetscInt n, const double *w, const double *ref)
{
  double d = 0, top = 0;
  for (PetscInt i = 0; i < n; i++) {
    d   = fmax(d, fabs(w[i] - ref[i]));
    top = fmax(top, fabs(ref[i]));
  }
  return d / top;
}

int main(int argc, char **argv)
{
  int rank, size;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(hd_par_rank_size(PETSC_COMM_WORLD, &rank, &size));
  {
    int pr, pc;
    hd_par_grid_shape(1, &pr, &pc);
    CHECK(pr == 1 && pc == 1, "grid of 1: %dx%d", pr, pc);
    hd_par_grid_shape(4, &pr, &pc);
    CHECK(pr == 2 && pc == 2, "grid of 4: %dx%d", pr, pc);
    hd_par_grid_shape(6, &pr, &pc);
    CHECK(pr == 2 && pc == 3, "grid of 6: %dx%d", pr, pc);
    hd_par_grid_shape(7, &pr, &pc);
    CHECK(pr == 1 && pc == 7, "grid of 7: %dx%d", pr, pc);
  }
  {
    /* known spectrum */
    enum { n = 63 };
    static double c[n * n], w[n];
    const double  rho = 0.7;
    double        neff, want;
    for (int j = 0; j < n; j++)
      for (int k = 0; k < n; k++) c[j * n + k] = j == k ? 1 : rho;
    PetscCall(hd_stats_effective_number(PETSC_COMM_WORLD, n, c, w, &neff));
    for (int i = 0; i < n - 1; i++) CHECK(fabs(w[i] - (1 - rho)) < 1e-12, "eigenvalue %d: %.17g, want %.17g", i, w[i], 1 - rho);
    CHECK(fabs(w[n - 1] - (1 + (n - 1) * rho)) < 1e-11, "top eigenvalue %.17g, want %.17g", w[n - 1], 1 + (n - 1) * rho);
    want = (double)n * n / ((1 + (n - 1) * rho) * (1 + (n - 1) * rho) + (n - 1) * (1 - rho) * (1 - rho));
    CHECK(fabs(neff - want) < 1e-10 * want, "effective number %.17g, want %.17g", neff, want);
  }
  {
    const PetscInt sizes[4] = {63, 37, 5, 1}, blocks[4] = {0, 4, 1, 0};
    for (int t = 0; t < 4; t++) {
      PetscInt n = sizes[t];
      double  *c, *w, *ref, *w1, neff, neff_ref, s1 = 0, s2 = 0;
      PetscCall(PetscMalloc4(n * n, &c, n, &w, n, &ref, n, &w1));
      PetscCall(random_corr(n, 200, 5 + (uint64_t)t, c));
      PetscCall(lapack_eig(n, c, ref));
      PetscCall(hd_par_eigenvalues_sym(PETSC_COMM_WORLD, n, blocks[t], c, w));
      CHECK(max_rel(n, w, ref) < 1e-10, "n %d block %d at %d ranks: eigenvalues off LAPACK by %g relative", (int)n, (int)blocks[t], size, max_rel(n, w, ref));
      PetscCall(hd_par_eigenvalues_sym(PETSC_COMM_SELF, n, blocks[t], c, w1));
      CHECK(max_rel(n, w, w1) < 1e-10, "n %d: %d-rank and 1-rank grids differ by %g relative", (int)n, size, max_rel(n, w, w1));
      PetscCall(hd_stats_effective_number(PETSC_COMM_WORLD, n, c, NULL, &neff));
      for (PetscInt i = 0; i < n; i++) {
        s1 += ref[i];
        s2 += ref[i] * ref[i];
      }
      neff_ref = s1 * s1 / s2;
      CHECK(fabs(neff - neff_ref) < 1e-10 * neff_ref, "n %d: effective number %.17g, LAPACK %.17g", (int)n, neff, neff_ref);
      PetscCall(PetscFree4(c, w, ref, w1));
    }
  }
  if (rank == 0) printf("correlation eigenvalues at %d ranks: %d failures\n", size, failures);
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
