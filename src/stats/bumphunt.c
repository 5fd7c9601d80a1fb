/* Bump-hunt fit of the dijet function to a binned spectrum outside a signal region
 * (include/hadal/bumphunt.h; formulas in docs/methods/bumphunt.md).
 *
 * In u = ln x the logarithm of the dijet function is linear in beta = (ln p0, p1, p2, p3):
 *     ln f = beta . phi(x),  phi = (1, ln(1 - x), -ln x, -(ln x)^2).
 * Every quantity the fit needs is therefore a moment of phi under f within a bin, and the Hessian
 * of the Poisson NLL is exact and cheap. All accumulations are in double; bin integrals are kept
 * as logarithms (log-sum-exp over the quadrature nodes) so no shape overflows or underflows. */
#include <math.h>
#include <string.h>
#include <petsctao.h>
#include <petscdt.h>
#include <petscblaslapack.h>
#include <hadal/bumphunt.h>

#define HD_BUMP_NODES 8 /* Gauss-Legendre nodes per bin */
#define HD_BUMP_NB    4 /* basis functions phi_0..phi_3 */

/* The binned model: quadrature nodes of every bin, and the moments of the last shape evaluated. */
typedef struct {
  PetscInt      n_bins;
  PetscInt      n_par; /* fitted parameters: ln p0 and n_par - 1 shape parameters */
  const double *counts;
  PetscBool    *fit;   /* [n_bins] the bin is a sideband bin, part of the likelihood */
  double        n_fit; /* N = sum of the sideband counts */
  double       *lnw;   /* [n_bins][NODES] ln(quadrature weight x Jacobian dx/du) */
  double       *phi;   /* [n_bins][NODES][NB] basis at the nodes */
  /* set by model_eval(): ln g_i = ln of the integral of exp(shape . phi) over bin i (p0 = 1),
   * and the first and second moments of phi under that density in the bin */
  double *lng;        /* [n_bins] */
  double *m1;         /* [n_bins][NB] */
  double *m2;         /* [n_bins][NB][NB] */
  char    window[96]; /* "window [lo, hi) GeV", for messages */
} hd_bump_model;

/* Inverse of a small symmetric positive definite matrix (n <= 5) by LAPACK's Cholesky
 * factorisation and inverse (potrf, potri), with Jacobi scaling so that the strong correlations
 * of the dijet parameters do not cost precision. Returns PETSC_FALSE when the matrix is not
 * positive definite, not finite, or singular to working precision (a pivot of the scaled matrix
 * below 1e-14). Symmetric, so row- and column-major are the same matrix. */
static PetscBool spd_inverse(PetscInt n, const double *a, double *inv)
{
  double       d[HD_BUMP_NB + 1], l[(HD_BUMP_NB + 1) * (HD_BUMP_NB + 1)]; /* n <= 5: the cross-check adds s */
  PetscBLASInt bn = (PetscBLASInt)n, info = 0;

  for (PetscInt i = 0; i < n; i++) {
    if (!(a[i * n + i] > 0) || !isfinite(a[i * n + i])) return PETSC_FALSE;
    d[i] = 1 / sqrt(a[i * n + i]);
  }
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < n; j++) {
      l[i * n + j] = a[i * n + j] * d[i] * d[j];
      if (!isfinite(l[i * n + j])) return PETSC_FALSE;
    }
  LAPACKpotrf_("L", &bn, l, &bn, &info); /* l = L L^T, L in the lower triangle (column-major) */
  if (info != 0) return PETSC_FALSE;
  for (PetscInt j = 0; j < n; j++)
    if (!(l[j * n + j] * l[j * n + j] > 1e-14)) return PETSC_FALSE;
  LAPACKpotri_("L", &bn, l, &bn, &info); /* the inverse, in the lower triangle */
  if (info != 0) return PETSC_FALSE;
  for (PetscInt j = 0; j < n; j++) /* column j, rows i >= j, holds inv(i, j) */
    for (PetscInt i = j; i < n; i++) inv[i * n + j] = inv[j * n + i] = l[j * n + i] * d[i] * d[j];
  for (PetscInt i = 0; i < n * n; i++)
    if (!isfinite(inv[i])) return PETSC_FALSE;
  return PETSC_TRUE;
}

/* Checks the spectrum; with `sr` also the signal region, and finds its bins. */
static PetscErrorCode check_input(const hd_bump_input *in, PetscBool sr, double *sqrt_s, PetscInt *n_par, PetscInt *first, PetscInt *end, PetscInt *sr_first, PetscInt *sr_end, char *window, size_t window_len)
{
  PetscInt n;

  PetscFunctionBegin;
  PetscCheck(in, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: no input");
  snprintf(window, window_len, "window [%g, %g) GeV", in->sr_lo, in->sr_hi);
  n = in->n_bins;
  PetscCheck(n >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: %d bins, need at least 1", window, (int)n);
  PetscCheck(in->edges && (in->counts || !sr), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: no bin edges or counts", window);
  *sqrt_s = in->sqrt_s == 0 ? HD_BUMP_SQRT_S_DEFAULT : in->sqrt_s;
  PetscCheck(isfinite(*sqrt_s) && *sqrt_s > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: sqrt(s) = %.6g GeV, must be positive", window, in->sqrt_s);
  *n_par = in->n_params == 0 ? 4 : in->n_params;
  PetscCheck(*n_par == 3 || *n_par == 4, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: %d parameters, must be 3 or 4", window, (int)in->n_params);
  for (PetscInt i = 0; i <= n; i++) {
    PetscCheck(isfinite(in->edges[i]), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: bin edge %d is %.6g", window, (int)i, in->edges[i]);
    PetscCheck(i == 0 || in->edges[i] > in->edges[i - 1], PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: bin edges are not increasing at edge %d (%.6g after %.6g GeV)", window, (int)i, in->edges[i], in->edges[i - 1]);
  }
  PetscCheck(in->edges[0] > 0 && in->edges[n] < *sqrt_s, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: bins span [%.6g, %.6g] GeV, must lie inside (0, sqrt(s) = %.6g GeV)", window, in->edges[0], in->edges[n], *sqrt_s);
  for (PetscInt i = 0; i < n && in->counts; i++)
    PetscCheck(isfinite(in->counts[i]) && in->counts[i] >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: count %.6g in bin %d [%.6g, %.6g) GeV, must be finite and >= 0", window, in->counts[i], (int)i, in->edges[i], in->edges[i + 1]);
  *first = *sr_first = n;
  *end = *sr_end = n;
  if (sr) {
    PetscInt n_sb;

    PetscCheck(isfinite(in->sr_lo) && isfinite(in->sr_hi), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: signal region edges must be finite", window);
    PetscCheck(in->sr_lo < in->sr_hi, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: empty signal region (sr_lo >= sr_hi)", window);
    PetscCheck(in->sr_lo >= in->edges[0] && in->sr_hi <= in->edges[n], PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: signal region outside the bin range [%.6g, %.6g] GeV", window, in->edges[0], in->edges[n]);
    /* every bin that overlaps [sr_lo, sr_hi) at all is left out of the fit */
    *first = 0;
    while (*first < n && in->edges[*first + 1] <= in->sr_lo) (*first)++;
    *end = *first;
    while (*end < n && in->edges[*end] < in->sr_hi) (*end)++;
    *sr_first = *first;
    *sr_end   = *end;
    if (in->gap_lo != 0 || in->gap_hi != 0) {
      /* the gap widens the bins left out of the fit; the SR bins stay those of n_sr and b_sr */
      PetscCheck(isfinite(in->gap_lo) && isfinite(in->gap_hi) && in->gap_lo <= in->sr_lo && in->gap_hi >= in->sr_hi, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: the gap [%.6g, %.6g) GeV must contain the signal region", window, in->gap_lo, in->gap_hi);
      while (*first > 0 && in->edges[*first] > in->gap_lo) (*first)--;
      while (*end < n && in->edges[*end] < in->gap_hi) (*end)++;
    }
    n_sb = n - (*end - *first);
    PetscCheck(n_sb > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: no sideband bins, the signal region covers all %d bins", window, (int)n);
    PetscCheck(n_sb > *n_par, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: %d sideband bins for %d parameters, need at least %d", window, (int)n_sb, (int)*n_par, (int)(*n_par + 1));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode model_create(const hd_bump_input *in, double sqrt_s, PetscInt n_par, PetscInt first, PetscInt end, const char *window, hd_bump_model *m)
{
  double t[HD_BUMP_NODES], w[HD_BUMP_NODES];
  PetscInt n = in->n_bins;

  PetscFunctionBegin;
  memset(m, 0, sizeof(*m));
  m->n_bins = n;
  m->n_par  = n_par;
  m->counts = in->counts;
  snprintf(m->window, sizeof(m->window), "%s", window);
  PetscCall(PetscMalloc1(n, &m->fit));
  PetscCall(PetscMalloc1(n * HD_BUMP_NODES, &m->lnw));
  PetscCall(PetscMalloc1(n * HD_BUMP_NODES * HD_BUMP_NB, &m->phi));
  PetscCall(PetscMalloc1(n, &m->lng));
  PetscCall(PetscMalloc1(n * HD_BUMP_NB, &m->m1));
  PetscCall(PetscMalloc1(n * HD_BUMP_NB * HD_BUMP_NB, &m->m2));
  PetscCall(PetscDTGaussQuadrature(HD_BUMP_NODES, -1, 1, t, w)); /* Gauss-Legendre on [-1, 1] */
  m->n_fit = 0;
  for (PetscInt i = 0; i < n; i++) {
    /* integrate over u = ln x: the integrand f(x) x = exp(beta . phi + u) is close to a Gaussian
     * in u, far smoother than f in x, so 8 nodes are exact to ~1e-15 on bins of a few % and
     * to better than 1e-9 on a bin of a factor 2 in mass */
    double ua = log(in->edges[i] / sqrt_s), ub = log(in->edges[i + 1] / sqrt_s), c = 0.5 * (ua + ub), h = 0.5 * (ub - ua);

    m->fit[i] = (i < first || i >= end) ? PETSC_TRUE : PETSC_FALSE;
    if (m->fit[i] && in->counts) m->n_fit += in->counts[i];
    for (int k = 0; k < HD_BUMP_NODES; k++) {
      double  u = c + h * t[k], x = exp(u);
      double *phi = &m->phi[(i * HD_BUMP_NODES + k) * HD_BUMP_NB];

      m->lnw[i * HD_BUMP_NODES + k] = log(h * w[k]) + u;
      phi[0] = 1;
      phi[1] = log1p(-x);
      phi[2] = -u;
      phi[3] = -u * u;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode model_destroy(hd_bump_model *m)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(m->fit));
  PetscCall(PetscFree(m->lnw));
  PetscCall(PetscFree(m->phi));
  PetscCall(PetscFree(m->lng));
  PetscCall(PetscFree(m->m1));
  PetscCall(PetscFree(m->m2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ln g_i and the moments of phi in every bin for the shape (p1, p2, p3) = shape[0..2], p0 = 1. */
static void model_eval(hd_bump_model *m, const double shape[3])
{
  for (PetscInt i = 0; i < m->n_bins; i++) {
    double e[HD_BUMP_NODES], emax = -INFINITY, sum = 0, *m1 = &m->m1[i * HD_BUMP_NB], *m2 = &m->m2[i * HD_BUMP_NB * HD_BUMP_NB];

    for (int k = 0; k < HD_BUMP_NODES; k++) {
      const double *phi = &m->phi[(i * HD_BUMP_NODES + k) * HD_BUMP_NB];

      e[k] = m->lnw[i * HD_BUMP_NODES + k] + shape[0] * phi[1] + shape[1] * phi[2] + shape[2] * phi[3];
      emax = e[k] > emax ? e[k] : emax;
    }
    memset(m1, 0, HD_BUMP_NB * sizeof(double));
    memset(m2, 0, HD_BUMP_NB * HD_BUMP_NB * sizeof(double));
    for (int k = 0; k < HD_BUMP_NODES; k++) {
      const double *phi = &m->phi[(i * HD_BUMP_NODES + k) * HD_BUMP_NB];
      double        a   = exp(e[k] - emax);

      sum += a;
      for (int j = 0; j < HD_BUMP_NB; j++) {
        m1[j] += a * phi[j];
        for (int l = 0; l <= j; l++) m2[j * HD_BUMP_NB + l] += a * phi[j] * phi[l];
      }
    }
    m->lng[i] = emax + log(sum);
    for (int j = 0; j < HD_BUMP_NB; j++) {
      m1[j] /= sum;
      for (int l = 0; l <= j; l++) m2[j * HD_BUMP_NB + l] = m2[l * HD_BUMP_NB + j] = m2[j * HD_BUMP_NB + l] / sum;
    }
  }
}

/* ln G = ln of the sum of g_i over the sideband bins (log-sum-exp). */
static double model_ln_total(const hd_bump_model *m)
{
  double mx = -INFINITY, s = 0;

  for (PetscInt i = 0; i < m->n_bins; i++)
    if (m->fit[i] && m->lng[i] > mx) mx = m->lng[i];
  for (PetscInt i = 0; i < m->n_bins; i++)
    if (m->fit[i]) s += exp(m->lng[i] - mx);
  return mx + log(s);
}

/* The NLL with p0 profiled (p0 = N / G, the closed-form minimum for a fixed shape), over the
 * d = n_par - 1 shape parameters theta, up to a constant:
 *     P = -sum_i n_i ln(g_i / G),
 *     dP/dtheta_j = sum_i (N w_i - n_i) m1_ij,                 w_i = g_i / G,
 *     d2P/dtheta_j dtheta_l = sum_i (N w_i - n_i) m2_ijl + sum_i n_i m1_ij m1_il - N M_j M_l,
 * with M_j = sum_i w_i m1_ij; sums over sideband bins, j, l >= 1 index phi. */
static void profile_eval(hd_bump_model *m, const double *theta, double *P, double *grad, double *hess)
{
  double   shape[3] = {0, 0, 0}, lnG, N = m->n_fit, M[HD_BUMP_NB] = {0};
  PetscInt d = m->n_par - 1;

  for (PetscInt j = 0; j < d; j++) shape[j] = theta[j];
  model_eval(m, shape);
  lnG = model_ln_total(m);
  *P  = 0;
  if (grad)
    for (PetscInt j = 0; j < d; j++) grad[j] = 0;
  if (hess)
    for (PetscInt j = 0; j < d * d; j++) hess[j] = 0;
  for (PetscInt i = 0; i < m->n_bins; i++) {
    double        n, wi, r;
    const double *m1 = &m->m1[i * HD_BUMP_NB], *m2 = &m->m2[i * HD_BUMP_NB * HD_BUMP_NB];

    if (!m->fit[i]) continue;
    n  = m->counts[i];
    wi = exp(m->lng[i] - lnG);
    r  = N * wi - n;
    *P -= n * (m->lng[i] - lnG);
    for (PetscInt j = 0; j < d; j++) {
      if (grad) grad[j] += r * m1[j + 1];
      M[j] += wi * m1[j + 1];
      if (hess)
        for (PetscInt l = 0; l < d; l++) hess[j * d + l] += r * m2[(j + 1) * HD_BUMP_NB + l + 1] + n * m1[j + 1] * m1[l + 1];
    }
  }
  if (hess)
    for (PetscInt j = 0; j < d; j++)
      for (PetscInt l = 0; l < d; l++) hess[j * d + l] -= N * M[j] * M[l];
}

static PetscErrorCode tao_objective_gradient(Tao tao, Vec x, PetscReal *f, Vec g, void *ctx)
{
  hd_bump_model     *m = (hd_bump_model *)ctx;
  const PetscScalar *xa;
  PetscScalar       *ga;
  double             theta[3], grad[3], P;
  PetscInt           d = m->n_par - 1;

  PetscFunctionBegin;
  (void)tao;
  PetscCall(VecGetArrayRead(x, &xa));
  for (PetscInt j = 0; j < d; j++) theta[j] = xa[j];
  PetscCall(VecRestoreArrayRead(x, &xa));
  profile_eval(m, theta, &P, grad, NULL);
  *f = P;
  PetscCall(VecGetArray(g, &ga));
  for (PetscInt j = 0; j < d; j++) ga[j] = grad[j];
  PetscCall(VecRestoreArray(g, &ga));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode tao_hessian(Tao tao, Vec x, Mat H, Mat Hpre, void *ctx)
{
  hd_bump_model     *m = (hd_bump_model *)ctx;
  const PetscScalar *xa;
  double             theta[3], hess[9], P;
  PetscInt           d = m->n_par - 1, idx[3] = {0, 1, 2};

  PetscFunctionBegin;
  (void)tao;
  PetscCall(VecGetArrayRead(x, &xa));
  for (PetscInt j = 0; j < d; j++) theta[j] = xa[j];
  PetscCall(VecRestoreArrayRead(x, &xa));
  profile_eval(m, theta, &P, NULL, hess);
  PetscCall(MatSetValues(H, d, idx, d, idx, hess, INSERT_VALUES));
  PetscCall(MatAssemblyBegin(H, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(H, MAT_FINAL_ASSEMBLY));
  if (Hpre != H) {
    PetscCall(MatSetValues(Hpre, d, idx, d, idx, hess, INSERT_VALUES));
    PetscCall(MatAssemblyBegin(Hpre, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(Hpre, MAT_FINAL_ASSEMBLY));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One TAO minimisation of the profiled NLL from theta (in place). Newton line search (TAOBNLS,
 * no bounds) with the exact Hessian: the dijet parameters are strongly correlated, which slows
 * quasi-Newton methods but not Newton's, whose steps do not depend on the parametrisation. */
static PetscErrorCode model_minimise(hd_bump_model *m, double *theta, PetscInt *reason, PetscInt *iterations)
{
  Tao                tao;
  Vec                x;
  Mat                H;
  PetscInt           d = m->n_par - 1, its;
  PetscScalar       *xa;
  const PetscScalar *xr;
  TaoConvergedReason r;

  PetscFunctionBegin;
  PetscCall(VecCreateSeq(PETSC_COMM_SELF, d, &x));
  PetscCall(VecGetArray(x, &xa));
  for (PetscInt j = 0; j < d; j++) xa[j] = theta[j];
  PetscCall(VecRestoreArray(x, &xa));
  PetscCall(MatCreateSeqDense(PETSC_COMM_SELF, d, d, NULL, &H));
  PetscCall(TaoCreate(PETSC_COMM_SELF, &tao));
  PetscCall(TaoSetType(tao, TAOBNLS));
  PetscCall(TaoSetSolution(tao, x));
  PetscCall(TaoSetObjectiveAndGradient(tao, NULL, tao_objective_gradient, m));
  PetscCall(TaoSetHessian(tao, H, H, tao_hessian, m));
  /* The gradient scales with the sideband count N; 1e-9 N leaves a Newton decrement (twice the
   * NLL still to gain) of order 1e-18 N, far below what the p-values can see. */
  PetscCall(TaoSetTolerances(tao, 1e-9 * PetscMax(m->n_fit, 1.0), 1e-12, 0));
  PetscCall(TaoSetMaximumIterations(tao, 200));
  PetscCall(TaoSetOptionsPrefix(tao, "bump_"));
  PetscCall(TaoSetFromOptions(tao));
  PetscCall(TaoSolve(tao));
  PetscCall(TaoGetConvergedReason(tao, &r));
  PetscCall(TaoGetIterationNumber(tao, &its));
  PetscCall(VecGetArrayRead(x, &xr));
  for (PetscInt j = 0; j < d; j++) theta[j] = xr[j];
  PetscCall(VecRestoreArrayRead(x, &xr));
  *reason     = (PetscInt)r;
  *iterations = its;
  PetscCall(TaoDestroy(&tao));
  PetscCall(MatDestroy(&H));
  PetscCall(VecDestroy(&x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A starting shape from a weighted linear least-squares fit of ln(n_i / dx_i) against phi at the
 * bin centre (weights n_i, the inverse variance of ln n_i): the model is log-linear, so this is
 * close to the answer whenever the counts are not tiny. Uses the first `n_basis` basis functions. */
static PetscBool start_least_squares(const hd_bump_input *in, double sqrt_s, const PetscBool *fit, PetscInt n_basis, double *theta)
{
  double a[HD_BUMP_NB * HD_BUMP_NB] = {0}, rhs[HD_BUMP_NB] = {0}, inv[HD_BUMP_NB * HD_BUMP_NB];

  for (PetscInt i = 0; i < in->n_bins; i++) {
    double xa = in->edges[i] / sqrt_s, xb = in->edges[i + 1] / sqrt_s, u = 0.5 * (log(xa) + log(xb)), n = in->counts[i], y, phi[HD_BUMP_NB];

    if (!fit[i] || n <= 0) continue;
    y      = log(n / (xb - xa));
    phi[0] = 1;
    phi[1] = log1p(-exp(u));
    phi[2] = -u;
    phi[3] = -u * u;
    for (PetscInt j = 0; j < n_basis; j++) {
      rhs[j] += n * phi[j] * y;
      for (PetscInt l = 0; l < n_basis; l++) a[j * n_basis + l] += n * phi[j] * phi[l];
    }
  }
  if (!spd_inverse(n_basis, a, inv)) return PETSC_FALSE;
  for (PetscInt j = 1; j < n_basis; j++) {
    theta[j - 1] = 0;
    for (PetscInt l = 0; l < n_basis; l++) theta[j - 1] += inv[j * n_basis + l] * rhs[l];
  }
  for (PetscInt j = n_basis - 1; j < 3; j++) theta[j] = 0;
  return PETSC_TRUE;
}

static void result_fill_nan(hd_bump_result *out)
{
  for (int j = 0; j < 4; j++) out->p[j] = NAN;
  for (int j = 0; j < 16; j++) out->cov[j] = NAN;
  out->b_sr = out->sigma_b = out->z_local = out->p_local = out->chi2 = NAN;
  out->deviance = out->nll = out->newton_decrement = NAN;
  out->converged = PETSC_FALSE;
}

PetscErrorCode hd_bump_fit(const hd_bump_input *in, hd_bump_result *out)
{
  hd_bump_model m;
  double        sqrt_s, best_P = INFINITY, best[3] = {0, 0, 0}, starts[8][3];
  PetscInt      n_par, first, end, sr_first, sr_end, d, n_starts = 0, best_reason = 0, best_its = 0, n_conv = 0;
  char          window[96];

  PetscFunctionBegin;
  PetscCheck(out, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: no result to fill");
  PetscCall(check_input(in, PETSC_TRUE, &sqrt_s, &n_par, &first, &end, &sr_first, &sr_end, window, sizeof(window)));
  memset(out, 0, sizeof(*out));
  d                 = n_par - 1;
  out->sr_bin_first = sr_first;
  out->sr_bin_end   = sr_end;
  out->sr_fit_lo    = in->edges[sr_first];
  out->sr_fit_hi    = in->edges[sr_end];
  out->n_sb_bins    = in->n_bins - (end - first);
  out->ndf          = (double)(out->n_sb_bins - n_par);
  for (PetscInt i = sr_first; i < sr_end; i++) out->n_sr += in->counts[i];
  PetscCall(model_create(in, sqrt_s, n_par, first, end, window, &m));
  out->n_sb = m.n_fit;
  /* Fewer occupied sideband bins than parameters leave the shape undetermined: the likelihood
   * then runs off to shapes that put all events in those bins and predict nothing elsewhere (a
   * tight selection on a sparse window gave b = 1e-36 and z = 11 from one event). */
  PetscInt n_occupied = 0;
  for (PetscInt i = 0; i < m.n_bins; i++) n_occupied += m.fit[i] && in->counts[i] > 0;
  if (n_occupied < n_par) {
    PetscCall(model_destroy(&m));
    result_fill_nan(out);
    if (n_occupied == 0) PetscCheck(in->tolerate_failure, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: no events in the %d sideband bins, nothing to fit", window, (int)out->n_sb_bins);
    PetscCheck(in->tolerate_failure, PETSC_COMM_SELF, HD_ERR_NOT_CONVERGED, "bump hunt, %s: events in %d of the %d sideband bins, need at least %d (one per parameter) to fit", window, (int)n_occupied, (int)out->n_sb_bins, (int)n_par);
    PetscFunctionReturn(PETSC_SUCCESS);
  }

  /* Deterministic starting shapes: the least-squares estimates (all parameters, and with p3 = 0),
   * then fixed shapes that span what dijet spectra look like. */
  if (start_least_squares(in, sqrt_s, m.fit, n_par, starts[n_starts])) n_starts++;
  if (n_par == 4 && start_least_squares(in, sqrt_s, m.fit, 3, starts[n_starts])) n_starts++;
  {
    static const double fixed[4][3] = {
      {10, 5, 0},
      {2, 3, 0},
      {25, 8, 0},
      {5, 6, 0.3}
    };

    for (int k = 0; k < 4; k++) {
      if (n_par == 3 && fixed[k][2] != 0) continue;
      memcpy(starts[n_starts++], fixed[k], sizeof(fixed[k]));
    }
  }

  for (PetscInt s = 0; s < n_starts; s++) {
    double   theta[3], P, grad[3], hess[9], hinv[9], dec = 0;
    PetscInt reason = 0, its = 0;

    memcpy(theta, starts[s], sizeof(theta));
    PetscCall(model_minimise(&m, theta, &reason, &its));
    profile_eval(&m, theta, &P, grad, hess);
    if (!isfinite(P) || !spd_inverse(d, hess, hinv)) continue; /* not a minimum */
    for (PetscInt j = 0; j < d; j++)
      for (PetscInt l = 0; l < d; l++) dec += grad[j] * hinv[j * d + l] * grad[l];
    /* accepted: at a minimum to well within what matters (TAO may stop with a line-search
     * failure once the NLL no longer changes in double precision: judge the point itself) */
    if (!(dec < 1e-8) || (reason <= 0 && !(dec < 1e-12))) continue;
    n_conv++;
    if (P < best_P) {
      best_P = P;
      memcpy(best, theta, sizeof(best));
      best_reason           = reason;
      best_its              = its;
      out->newton_decrement = dec;
    }
  }
  out->n_starts           = n_starts;
  out->n_starts_converged = n_conv;
  out->tao_reason         = best_reason;
  out->iterations         = best_its;
  if (n_conv == 0) {
    PetscCall(model_destroy(&m));
    result_fill_nan(out);
    PetscCheck(in->tolerate_failure, PETSC_COMM_SELF, HD_ERR_NOT_CONVERGED, "bump hunt, %s: the fit of the dijet function to %d sideband bins (%.6g events) did not converge from any of %d starting points (-bump_tao_monitor shows the iterations)", window, (int)out->n_sb_bins, m.n_fit, (int)n_starts);
    PetscFunctionReturn(PETSC_SUCCESS);
  }

  {
    /* The minimum in beta = (ln p0, shape): p0 = N / G, mu_i = N g_i / G. The full Hessian of
     * the NLL in beta is exact: H_jl = sum_i [mu_i m2_ijl - n_i (m2_ijl - m1_ij m1_il)] (phi_0 = 1
     * makes j = 0 the ln p0 direction), its inverse the covariance. */
    double P, lnG, N = m.n_fit, H[16] = {0}, C[16], gb[4] = {0}, var_b = 0;
    double lnN = log(N);

    profile_eval(&m, best, &P, NULL, NULL);
    lnG       = model_ln_total(&m);
    out->p[0] = exp(lnN - lnG);
    for (PetscInt j = 0; j < 3; j++) out->p[j + 1] = j < d ? best[j] : 0;
    out->b_sr = 0;
    out->nll = out->chi2 = out->deviance = 0;
    for (PetscInt i = 0; i < m.n_bins; i++) {
      double        mu = exp(lnN + m.lng[i] - lnG), n = in->counts[i];
      const double *m1 = &m.m1[i * HD_BUMP_NB], *m2 = &m.m2[i * HD_BUMP_NB * HD_BUMP_NB];

      if (!m.fit[i]) { /* SR bin: the prediction and its gradient in beta (gap bins: neither) */
        if (i < sr_first || i >= sr_end) continue;
        out->b_sr += mu;
        for (PetscInt j = 0; j < n_par; j++) gb[j] += mu * m1[j];
        continue;
      }
      out->nll += mu - n * log(mu) + lgamma(n + 1);
      out->chi2 += (n - mu) * (n - mu) / mu;
      out->deviance += 2 * (mu - n + (n > 0 ? n * log(n / mu) : 0));
      for (PetscInt j = 0; j < n_par; j++)
        for (PetscInt l = 0; l < n_par; l++) H[j * n_par + l] += mu * m2[j * HD_BUMP_NB + l] - n * (m2[j * HD_BUMP_NB + l] - m1[j] * m1[l]);
    }
    if (!spd_inverse(n_par, H, C)) {
      PetscCall(model_destroy(&m));
      result_fill_nan(out);
      PetscCheck(in->tolerate_failure, PETSC_COMM_SELF, HD_ERR_NOT_CONVERGED, "bump hunt, %s: the Hessian of the fit is not positive definite at the minimum (parameters not determined by the %d sideband bins)", window, (int)out->n_sb_bins);
      PetscFunctionReturn(PETSC_SUCCESS);
    }
    /* covariance of p: dp0/d(ln p0) = p0, the shape parameters are beta itself */
    for (PetscInt j = 0; j < n_par; j++)
      for (PetscInt l = 0; l < n_par; l++) out->cov[j * 4 + l] = C[j * n_par + l] * (j == 0 ? out->p[0] : 1) * (l == 0 ? out->p[0] : 1);
    /* delta method: var b = gb^T C gb, gb = db/dbeta = sum over SR bins of mu_i m1_i */
    for (PetscInt j = 0; j < n_par; j++)
      for (PetscInt l = 0; l < n_par; l++) var_b += gb[j] * C[j * n_par + l] * gb[l];
    out->sigma_b   = sqrt(var_b > 0 ? var_b : 0);
    out->converged = PETSC_TRUE;
    if (in->bkg_error == HD_BUMP_BKG_POISSON) PetscCall(hd_bump_z_local(out->n_sr, out->b_sr, out->sigma_b, &out->z_local, &out->p_local));
    else PetscCall(hd_bump_z_local_lognormal(out->n_sr, out->b_sr, out->sigma_b, &out->z_local, &out->p_local));
  }
  PetscCall(model_destroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_bump_nll(const hd_bump_input *in, const double p[4], double *nll, double grad[4])
{
  hd_bump_model m;
  double        sqrt_s, g[4] = {0, 0, 0, 0}, f = 0;
  PetscInt      n_par, first, end, sr_first, sr_end;
  char          window[96];

  PetscFunctionBegin;
  PetscCall(check_input(in, PETSC_TRUE, &sqrt_s, &n_par, &first, &end, &sr_first, &sr_end, window, sizeof(window)));
  PetscCheck(p && nll, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: no parameters or output", window);
  PetscCheck(p[0] > 0 && isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]) && isfinite(p[3]), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, %s: parameters (%.6g, %.6g, %.6g, %.6g) need a finite p0 > 0", window, p[0], p[1], p[2], p[3]);
  PetscCall(model_create(in, sqrt_s, 4, first, end, window, &m));
  model_eval(&m, &p[1]);
  for (PetscInt i = 0; i < m.n_bins; i++) {
    double mu, n = in->counts[i];

    if (!m.fit[i]) continue;
    mu = p[0] * exp(m.lng[i]);
    f += mu - n * log(mu) + lgamma(n + 1);
    g[0] += exp(m.lng[i]) - n / p[0];
    for (int j = 1; j < 4; j++) g[j] += (mu - n) * m.m1[i * HD_BUMP_NB + j];
  }
  *nll = f;
  if (grad)
    for (int j = 0; j < 4; j++) grad[j] = g[j];
  PetscCall(model_destroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_bump_predict(const hd_bump_input *in, const double p[4], double *mu)
{
  hd_bump_model m;
  hd_bump_input bins;
  double        sqrt_s;
  PetscInt      n_par, first, end, sr_first, sr_end;
  char          window[96];

  PetscFunctionBegin;
  PetscCheck(in && p && mu, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: no input, parameters or output");
  bins        = *in;
  bins.counts = NULL; /* only the bins matter; mu may even be the counts array */
  PetscCall(check_input(&bins, PETSC_FALSE, &sqrt_s, &n_par, &first, &end, &sr_first, &sr_end, window, sizeof(window)));
  PetscCheck(p[0] >= 0 && isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]) && isfinite(p[3]), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: parameters (%.6g, %.6g, %.6g, %.6g) need a finite p0 >= 0", p[0], p[1], p[2], p[3]);
  PetscCall(model_create(&bins, sqrt_s, 4, first, end, window, &m));
  model_eval(&m, &p[1]);
  for (PetscInt i = 0; i < m.n_bins; i++) mu[i] = p[0] * exp(m.lng[i]);
  PetscCall(model_destroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_bump_z_local(double n, double b, double sigma_b, double *z, double *p)
{
  double q;

  PetscFunctionBegin;
  PetscCheck(isfinite(n) && n >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: observed count %.6g, must be finite and >= 0", n);
  PetscCheck(isfinite(b) && b > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: background %.6g, must be finite and > 0", b);
  PetscCheck(isfinite(sigma_b) && sigma_b >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: background uncertainty %.6g, must be finite and >= 0", sigma_b);
  PetscCheck(z, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: no output for the significance");
  if (sigma_b == 0) {
    q = 2 * ((n > 0 ? n * log(n / b) : 0) - (n - b));
  } else {
    /* q0 = 2 [n ln(n / bb) + (b^2 / s^2) ln(b / bb)], bb = (n s^2 + b^2) / (b + s^2), written with
     * r = s^2 / b and log1p so that it stays accurate as s -> 0:
     *   n / bb = (n / b) (1 + r) / (1 + r n / b),  b / bb = 1 / (1 + r (n - b) / (b + s^2)) */
    double s2 = sigma_b * sigma_b, r = s2 / b;

    q = 2 * ((n > 0 ? n * (log(n / b) + log1p(r) - log1p(r * n / b)) : 0) - (b / r) * log1p(r * (n - b) / (b + s2)));
  }
  if (q < 0) q = 0; /* rounding when n is within an ulp of b */
  *z = (n >= b ? 1 : -1) * sqrt(q);
  if (p) *p = 0.5 * erfc(*z / sqrt(2.0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_bump_z_local_lognormal(double n, double b, double sigma_b, double *z, double *p)
{
  double t2, th0, lo, hi, th, alt, null, q;

  PetscFunctionBegin;
  PetscCheck(isfinite(n) && n >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: observed count %.6g, must be finite and >= 0", n);
  PetscCheck(isfinite(b) && b > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: background %.6g, must be finite and > 0", b);
  PetscCheck(isfinite(sigma_b) && sigma_b >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: background uncertainty %.6g, must be finite and >= 0", sigma_b);
  PetscCheck(z, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: no output for the significance");
  if (sigma_b == 0 || n == b) {
    PetscCall(hd_bump_z_local(n, b, 0, z, p));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  t2  = (sigma_b / b) * (sigma_b / b);
  th0 = log(b);
  /* g(theta) = n - e^theta - (theta - th0) / t2 falls strictly; g(th0) = n - b, and at ln n (or at
   * th0 - t2 b when n = 0) it has the other sign */
  if (n > b) {
    lo = th0;
    hi = log(n);
  } else {
    lo = n > 0 ? log(n) : th0 - t2 * b;
    hi = th0;
  }
  th = 0.5 * (lo + hi);
  for (int it = 0; it < 200 && hi - lo > 1e-15 * fmax(1.0, fabs(th)); it++) {
    double g = n - exp(th) - (th - th0) / t2, dg = -exp(th) - 1 / t2, next;

    if (fabs(g) <= 1e-14 * fmax(1.0, n + b)) break;
    if (g > 0) lo = th;
    else hi = th;
    next = th - g / dg;
    th   = next > lo && next < hi ? next : 0.5 * (lo + hi); /* Newton inside the bracket, else bisect */
  }
  alt  = (n > 0 ? n * log(n) : 0) - n;                      /* s + beta = n, beta = b: no penalty */
  null = n * th - exp(th) - (th - th0) * (th - th0) / (2 * t2); /* s = 0, beta profiled */
  q    = 2 * (alt - null);
  if (q < 0) q = 0; /* rounding when n is within an ulp of b */
  *z = (n >= b ? 1 : -1) * sqrt(q);
  if (p) *p = 0.5 * erfc(*z / sqrt(2.0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_bump_s_over_sqrt_b(const hd_bump_result *fit, double *z)
{
  PetscFunctionBegin;
  PetscCheck(fit && z, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: no fit or output");
  PetscCheck(fit->converged && fit->b_sr > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt, window [%.6g, %.6g) GeV: S/sqrt(B) of a fit that did not converge", fit->sr_fit_lo, fit->sr_fit_hi);
  *z = (fit->n_sr - fit->b_sr) / sqrt(fit->b_sr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_bump_n_bins(double lo, double hi, double width, hd_bump_binning kind, PetscInt *n_bins)
{
  double n;

  PetscFunctionBegin;
  PetscCheck(kind == HD_BUMP_BINS_LINEAR || kind == HD_BUMP_BINS_LOG, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: unknown binning %d", (int)kind);
  PetscCheck(isfinite(lo) && isfinite(hi) && lo < hi && (kind == HD_BUMP_BINS_LINEAR || lo > 0), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: mass range [%.6g, %.6g] GeV is empty%s", lo, hi, kind == HD_BUMP_BINS_LOG ? " or not positive (log bins)" : "");
  PetscCheck(isfinite(width) && width > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: bin width %.6g, must be > 0", width);
  n = kind == HD_BUMP_BINS_LINEAR ? (hi - lo) / width : log(hi / lo) / log1p(width);
  PetscCheck(n < 1e8, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: bin width %.6g gives %.6g bins over [%.6g, %.6g] GeV, too many", width, n, lo, hi);
  *n_bins = (PetscInt)PetscMax(1.0, floor(n + 0.5));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_bump_edges(double lo, double hi, PetscInt n_bins, hd_bump_binning kind, double *edges)
{
  PetscFunctionBegin;
  PetscCheck(kind == HD_BUMP_BINS_LINEAR || kind == HD_BUMP_BINS_LOG, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: unknown binning %d", (int)kind);
  PetscCheck(isfinite(lo) && isfinite(hi) && lo < hi && (kind == HD_BUMP_BINS_LINEAR || lo > 0), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: mass range [%.6g, %.6g] GeV is empty%s", lo, hi, kind == HD_BUMP_BINS_LOG ? " or not positive (log bins)" : "");
  PetscCheck(n_bins >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: %d bins, need at least 1", (int)n_bins);
  PetscCheck(edges, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: no output for the bin edges");
  for (PetscInt i = 0; i <= n_bins; i++) {
    double t = (double)i / (double)n_bins;

    edges[i] = kind == HD_BUMP_BINS_LINEAR ? lo + (hi - lo) * t : lo * exp(t * log(hi / lo));
  }
  edges[0]      = lo;
  edges[n_bins] = hi;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_bump_histogram(PetscInt n, const float *mass, PetscInt n_bins, const double *edges, double *counts)
{
  PetscFunctionBegin;
  PetscCheck(n >= 0 && n_bins >= 1 && (n == 0 || mass) && edges && counts, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: histogram of %d masses in %d bins: bad arguments", (int)n, (int)n_bins);
  for (PetscInt k = 0; k < n; k++) {
    double   x = mass[k];
    PetscInt lo = 0, hi = n_bins; /* edges[lo] <= x < edges[hi] */

    PetscCheck(!isnan(x), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: mass of event %d is NaN", (int)k);
    if (x < edges[0] || x >= edges[n_bins]) continue;
    while (hi - lo > 1) {
      PetscInt mid = (lo + hi) / 2;

      if (x >= edges[mid]) lo = mid;
      else hi = mid;
    }
    counts[lo] += 1;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the signal-plus-background cross-check ---- */

/* Unnormalised Crystal Ball in t = (m - mass) / sigma: a Gaussian core and, below -alpha, the
 * power law A (B - t)^-n that joins it with a continuous value and slope. */
static double crystal_ball(double t, double alpha, double n)
{
  if (t > -alpha) return exp(-0.5 * t * t);
  double a = pow(n / alpha, n) * exp(-0.5 * alpha * alpha), b = n / alpha - alpha;
  return a * pow(b - t, -n);
}

PetscErrorCode hd_bump_signal_bins(const hd_bump_input *in, const hd_bump_signal *sig, double *h)
{
  PetscFunctionBegin;
  PetscCheck(in && sig && h && in->edges && in->n_bins >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: no bins, signal shape or output");
  PetscCheck(isfinite(sig->mass) && isfinite(sig->sigma) && sig->sigma > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: signal shape at %.6g GeV with width %.6g GeV: the width must be positive", sig->mass, sig->sigma);
  if (sig->kind == HD_BUMP_SIGNAL_GAUSS) {
    for (PetscInt i = 0; i < in->n_bins; i++) h[i] = 0.5 * (erfc((sig->mass - in->edges[i + 1]) / (sig->sigma * sqrt(2.0))) - erfc((sig->mass - in->edges[i]) / (sig->sigma * sqrt(2.0))));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCheck(sig->kind == HD_BUMP_SIGNAL_CRYSTAL_BALL, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: unknown signal shape %d", (int)sig->kind);
  PetscCheck(sig->alpha > 0 && sig->n > 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: Crystal Ball alpha %.6g and n %.6g: need alpha > 0 and n > 1", sig->alpha, sig->n);
  {
    /* the integral over the real line, in units of sigma: the tail n / (alpha (n - 1)) e^(-alpha^2 / 2)
     * plus the core sqrt(pi / 2) (1 + erf(alpha / sqrt 2)) */
    double a = sig->alpha, total = sig->n / (a * (sig->n - 1)) * exp(-0.5 * a * a) + sqrt(PETSC_PI / 2) * (1 + erf(a / sqrt(2.0)));
    double t[16], w[16];

    PetscCall(PetscDTGaussQuadrature(16, -1, 1, t, w));
    for (PetscInt i = 0; i < in->n_bins; i++) {
      /* 4 sub-intervals of 16 Gauss-Legendre nodes per bin: the shape has a kink in its second
       * derivative at -alpha, so the bin is integrated piecewise rather than in one go */
      double lo = (in->edges[i] - sig->mass) / sig->sigma, hi = (in->edges[i + 1] - sig->mass) / sig->sigma, sum = 0;
      for (int q = 0; q < 4; q++) {
        double a0 = lo + (hi - lo) * q / 4, b0 = lo + (hi - lo) * (q + 1) / 4, c = 0.5 * (a0 + b0), hw = 0.5 * (b0 - a0);
        for (int k = 0; k < 16; k++) sum += hw * w[k] * crystal_ball(c + hw * t[k], sig->alpha, sig->n);
      }
      h[i] = sum / total;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The model of the cross-check: the dijet bins of hd_bump_model plus s h_i, over all bins. */
typedef struct {
  hd_bump_model *m;
  const double  *h;
  PetscInt       n_par; /* dijet parameters in beta = (ln p0, shape); s is the last variable */
} hd_bump_sb;

/* -ln L of mu_i = exp(beta . phi) integrated over bin i + s h_i over all bins, its gradient and
 * Hessian in (beta, s): with dmu/dbeta_j = B_i m1_ij, d2mu/dbeta_j dbeta_l = B_i m2_ijl,
 * dmu/ds = h_i,
 *   dL/da = sum (1 - n/mu) dmu/da,  d2L/da db = sum [(1 - n/mu) d2mu/da db + n/mu^2 dmu/da dmu/db]. */
static PetscBool sb_eval(hd_bump_sb *c, const double *v, double *f, double *g, double *H)
{
  hd_bump_model *m = c->m;
  PetscInt       np = c->n_par, nv = np + 1;
  double         shape[3] = {0, 0, 0}, s = v[np];

  for (PetscInt j = 1; j < np; j++) shape[j - 1] = v[j];
  model_eval(m, shape);
  *f = 0;
  if (g) memset(g, 0, sizeof(double) * nv);
  if (H) memset(H, 0, sizeof(double) * nv * nv);
  for (PetscInt i = 0; i < m->n_bins; i++) {
    double        B = exp(v[0] + m->lng[i]), mu = B + s * c->h[i], n = m->counts[i], dmu[5];
    const double *m1 = &m->m1[i * HD_BUMP_NB], *m2 = &m->m2[i * HD_BUMP_NB * HD_BUMP_NB];

    if (!(mu > 0) || !isfinite(mu)) return PETSC_FALSE;
    *f += mu - n * log(mu) + lgamma(n + 1);
    for (PetscInt j = 0; j < np; j++) dmu[j] = B * m1[j];
    dmu[np] = c->h[i];
    for (PetscInt a = 0; a < nv; a++) {
      if (g) g[a] += (1 - n / mu) * dmu[a];
      if (H)
        for (PetscInt b = 0; b < nv; b++) H[a * nv + b] += n / (mu * mu) * dmu[a] * dmu[b] + (a < np && b < np ? (1 - n / mu) * B * m2[a * HD_BUMP_NB + b] : 0);
    }
  }
  return isfinite(*f) ? PETSC_TRUE : PETSC_FALSE;
}

static PetscErrorCode sb_tao_fg(Tao tao, Vec x, PetscReal *f, Vec g, void *ctx)
{
  hd_bump_sb        *c = ctx;
  const PetscScalar *xa;
  PetscScalar       *ga;
  double             v[5], gr[5] = {0};
  PetscInt           nv = c->n_par + 1;

  PetscFunctionBegin;
  (void)tao;
  PetscCall(VecGetArrayRead(x, &xa));
  for (PetscInt j = 0; j < nv; j++) v[j] = xa[j];
  PetscCall(VecRestoreArrayRead(x, &xa));
  if (!sb_eval(c, v, f, gr, NULL)) *f = PETSC_INFINITY; /* a step to mu <= 0: the line search backs off */
  PetscCall(VecGetArray(g, &ga));
  for (PetscInt j = 0; j < nv; j++) ga[j] = gr[j];
  PetscCall(VecRestoreArray(g, &ga));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode sb_tao_hessian(Tao tao, Vec x, Mat H, Mat Hpre, void *ctx)
{
  hd_bump_sb        *c = ctx;
  const PetscScalar *xa;
  double             v[5], f, hess[25];
  PetscInt           nv = c->n_par + 1, idx[5] = {0, 1, 2, 3, 4};

  PetscFunctionBegin;
  (void)tao;
  (void)Hpre;
  PetscCall(VecGetArrayRead(x, &xa));
  for (PetscInt j = 0; j < nv; j++) v[j] = xa[j];
  PetscCall(VecRestoreArrayRead(x, &xa));
  if (!sb_eval(c, v, &f, NULL, hess))
    for (PetscInt j = 0; j < nv * nv; j++) hess[j] = j % (nv + 1) == 0 ? 1 : 0;
  PetscCall(MatSetValues(H, nv, idx, nv, idx, hess, INSERT_VALUES));
  PetscCall(MatAssemblyBegin(H, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(H, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Minimises the cross-check NLL from v (in place) with s in [0, s_max]; *ok when the end point is
 * a minimum (finite, gradient small against the Hessian in the free directions). */
static PetscErrorCode sb_minimise(hd_bump_sb *c, double *v, double s_max, double *nll, double *Hout, PetscBool *ok)
{
  Tao                tao;
  Vec                x, lo, hi;
  Mat                H;
  PetscInt           nv = c->n_par + 1;
  PetscScalar       *xa;
  const PetscScalar *xr;
  double             g[5], dec = 0, inv[25];

  PetscFunctionBegin;
  PetscCall(VecCreateSeq(PETSC_COMM_SELF, nv, &x));
  PetscCall(VecDuplicate(x, &lo));
  PetscCall(VecDuplicate(x, &hi));
  PetscCall(VecSet(lo, PETSC_NINFINITY));
  PetscCall(VecSet(hi, PETSC_INFINITY));
  PetscCall(VecSetValue(lo, nv - 1, 0.0, INSERT_VALUES));
  PetscCall(VecSetValue(hi, nv - 1, s_max, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(lo));
  PetscCall(VecAssemblyEnd(lo));
  PetscCall(VecAssemblyBegin(hi));
  PetscCall(VecAssemblyEnd(hi));
  PetscCall(VecGetArray(x, &xa));
  for (PetscInt j = 0; j < nv; j++) xa[j] = v[j];
  PetscCall(VecRestoreArray(x, &xa));
  PetscCall(MatCreateSeqDense(PETSC_COMM_SELF, nv, nv, NULL, &H));
  PetscCall(TaoCreate(PETSC_COMM_SELF, &tao));
  PetscCall(TaoSetType(tao, TAOBNLS));
  PetscCall(TaoSetSolution(tao, x));
  PetscCall(TaoSetVariableBounds(tao, lo, hi));
  PetscCall(TaoSetObjectiveAndGradient(tao, NULL, sb_tao_fg, c));
  PetscCall(TaoSetHessian(tao, H, H, sb_tao_hessian, c));
  PetscCall(TaoSetTolerances(tao, 1e-9 * PetscMax(c->m->n_fit, 1.0), 1e-12, 0));
  PetscCall(TaoSetMaximumIterations(tao, 200));
  PetscCall(TaoSetOptionsPrefix(tao, "bump_sb_"));
  PetscCall(TaoSetFromOptions(tao));
  PetscCall(TaoSolve(tao));
  PetscCall(VecGetArrayRead(x, &xr));
  for (PetscInt j = 0; j < nv; j++) v[j] = xr[j];
  PetscCall(VecRestoreArrayRead(x, &xr));
  PetscCall(TaoDestroy(&tao));
  PetscCall(MatDestroy(&H));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&lo));
  PetscCall(VecDestroy(&hi));
  *ok = sb_eval(c, v, nll, g, Hout);
  if (*ok) {
    /* Newton decrement over the free variables (s at a bound is held) */
    PetscInt nf = (v[nv - 1] <= 0 || v[nv - 1] >= s_max) ? nv - 1 : nv;
    double   Hf[25] = {0};
    for (PetscInt a = 0; a < nf; a++)
      for (PetscInt b = 0; b < nf; b++) Hf[a * nf + b] = Hout[a * nv + b];
    *ok = spd_inverse(nf, Hf, inv);
    if (*ok) {
      for (PetscInt a = 0; a < nf; a++)
        for (PetscInt b = 0; b < nf; b++) dec += g[a] * inv[a * nf + b] * g[b];
      *ok = dec < 1e-6 ? PETSC_TRUE : PETSC_FALSE;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_bump_fit_signal(const hd_bump_input *in, const hd_bump_signal *sig, const hd_bump_result *start, hd_bump_signal_result *out)
{
  hd_bump_model m;
  hd_bump_input all;
  hd_bump_sb    c;
  double        sqrt_s, *h, v[5], w[5], H[25], inv[25], total = 0;
  PetscInt      n_par, first, end, sr_first, sr_end;
  PetscBool     ok_b, ok_sb;
  char          window[96];

  PetscFunctionBegin;
  PetscCheck(in && sig && start && out, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "bump hunt: no input, signal shape, start or result");
  PetscCall(check_input(in, PETSC_TRUE, &sqrt_s, &n_par, &first, &end, &sr_first, &sr_end, window, sizeof(window)));
  memset(out, 0, sizeof(*out));
  out->s = out->sigma_s = out->s_sr = out->b_sr = out->sigma_b_sr = out->z = out->nll_b = out->nll_sb = NAN;
  for (int j = 0; j < 4; j++) out->p[j] = NAN;
  if (!start->converged || !(start->p[0] > 0)) PetscFunctionReturn(PETSC_SUCCESS);
  all        = *in;
  all.gap_lo = all.gap_hi = 0;
  /* all bins are fitted: a model whose left-out span is empty */
  PetscCall(model_create(&all, sqrt_s, n_par, in->n_bins, in->n_bins, window, &m));
  PetscCall(PetscMalloc1(in->n_bins, &h));
  PetscCall(hd_bump_signal_bins(in, sig, h));
  for (PetscInt i = 0; i < in->n_bins; i++) total += in->counts[i];
  c.m     = &m;
  c.h     = h;
  c.n_par = n_par;
  v[0]    = log(start->p[0]);
  for (PetscInt j = 1; j < n_par; j++) v[j] = start->p[j];
  /* background only on all bins (s held at 0), then with the signal free from the excess over
   * the background-only prediction of the SR */
  v[n_par] = 0;
  PetscCall(sb_minimise(&c, v, 0.0, &out->nll_b, H, &ok_b));
  memcpy(w, v, sizeof(v));
  w[n_par] = PetscMax(start->n_sr - start->b_sr, 1.0);
  PetscCall(sb_minimise(&c, w, 10 * total + 10, &out->nll_sb, H, &ok_sb));
  if (ok_b && ok_sb) {
    out->converged = PETSC_TRUE;
    out->s         = w[n_par];
    out->p[0]      = exp(w[0]);
    for (PetscInt j = 1; j < 4; j++) out->p[j] = j < n_par ? w[j] : 0;
    out->s_sr = 0;
    for (PetscInt i = sr_first; i < sr_end; i++) out->s_sr += out->s * h[i];
    out->z       = sqrt(PetscMax(2 * (out->nll_b - out->nll_sb), 0.0));
    /* the model holds the last evaluation, at w: the SR background B = sum_SR exp(beta . phi)
     * integrated, dB/dbeta_j = sum_SR B_i m1_ij, dB/ds = 0; its variance g' H^-1 g */
    double g[5] = {0};
    out->b_sr = 0;
    for (PetscInt i = sr_first; i < sr_end; i++) {
      double B = exp(w[0] + m.lng[i]);
      out->b_sr += B;
      for (PetscInt j = 0; j < n_par; j++) g[j] += B * m.m1[i * HD_BUMP_NB + j];
    }
    if (spd_inverse(n_par + 1, H, inv)) {
      double var = 0;
      for (PetscInt a = 0; a <= n_par; a++)
        for (PetscInt b = 0; b <= n_par; b++) var += g[a] * inv[a * (n_par + 1) + b] * g[b];
      out->sigma_s    = sqrt(inv[n_par * (n_par + 1) + n_par]);
      out->sigma_b_sr = sqrt(var > 0 ? var : 0);
    } else out->sigma_s = out->sigma_b_sr = NAN;
  }
  PetscCall(PetscFree(h));
  PetscCall(model_destroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}
