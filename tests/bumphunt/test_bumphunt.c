/* Bump hunt: the deterministic properties.
 *   - bin edges (linear and log) and the histogram helper;
 *   - bin integrals of the dijet function against a fine Simpson rule (relative 1e-10 on bins of
 *     4 %, 1e-8 on a bin of a factor 2 in mass);
 *   - the NLL gradient against central finite differences;
 *   - the local significance: known values, the sigma_b -> 0 limit, signs, p-values;
 *   - an Asimov spectrum (counts = expectations) gives back the true parameters, b_sr = the true SR
 *     yield, z = 0, chi2 = 0, for 4 and for 3 parameters; SR edges inside bins widen the excluded
 *     span; the same fit twice is bit-identical;
 *   - bad input (empty SR, SR outside the bins, no sideband bins, negative or NaN counts, bad
 *     edges, wrong parameter count) fails with a message naming it; an empty sideband fails, or
 *     returns converged = false when failures are tolerated.
 * With arguments `dump FILE` it instead writes one Poisson toy and its fit for the scipy check
 * (tests/bumphunt/scipy_check.sh). */
#include <stdio.h>
#include <string.h>
#include <hadal/bumphunt.h>
#include "toys.h"
#include "check.h"

/* A spectrum over [1800, 6000] GeV in 31 log bins (about 4 % each), the shape of the tests;
 * main() sets p0 for 1e5 events in all. */
#define NB 31
static double p_true[4] = {1.0, 8.0, 5.0, 0.2};

static PetscErrorCode make_edges(double *edges)
{
  PetscInt n;

  PetscFunctionBegin;
  PetscCall(hd_bump_n_bins(1800, 6000, 0.04, HD_BUMP_BINS_LOG, &n));
  PetscCheck(n == NB, PETSC_COMM_SELF, HD_ERR_INTERNAL, "expected %d bins of 4 %%, got %d", NB, (int)n);
  PetscCall(hd_bump_edges(1800, 6000, NB, HD_BUMP_BINS_LOG, edges));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode test_edges_histogram(void)
{
  double   e[11], counts[4] = {0};
  PetscInt n;
  float    mass[] = {1000, 1999, 2000, 2500, 2999.9f, 3000, 3500, 4999, 5000, 7000, 999};

  PetscFunctionBegin;
  PetscCall(hd_bump_edges(1000, 5000, 4, HD_BUMP_BINS_LINEAR, e));
  check(e[0] == 1000 && e[1] == 2000 && e[2] == 3000 && e[3] == 4000 && e[4] == 5000, "linear edges");
  PetscCall(hd_bump_edges(1000, 8000, 3, HD_BUMP_BINS_LOG, e));
  check(e[0] == 1000 && fabs(e[1] - 2000) < 1e-9 && fabs(e[2] - 4000) < 1e-9 && e[3] == 8000, "log edges double each bin");
  PetscCall(hd_bump_n_bins(1000, 5000, 250, HD_BUMP_BINS_LINEAR, &n));
  check(n == 16, "16 linear bins of 250 GeV in [1000, 5000]");
  PetscCall(hd_bump_n_bins(1000, 8000, 1.0, HD_BUMP_BINS_LOG, &n));
  check(n == 3, "3 bins of +100 % in [1000, 8000]");
  PetscCall(hd_bump_edges(1000, 5000, 4, HD_BUMP_BINS_LINEAR, e));
  PetscCall(hd_bump_histogram(11, mass, 4, e, counts));
  check(counts[0] == 2 && counts[1] == 3 && counts[2] == 2 && counts[3] == 1, "histogram: lower edges in, upper edge out, outside left out");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode test_integrals(void)
{
  double        edges[NB + 1], mu[NB], wide_mu[1], worst = 0, wide_edges[2] = {2000, 4000};
  hd_bump_input in = {0};
  char          what[160];

  PetscFunctionBegin;
  PetscCall(make_edges(edges));
  in.n_bins = NB;
  in.edges  = edges;
  in.counts = NULL; /* hd_bump_predict needs only the bins */
  PetscCall(hd_bump_predict(&in, p_true, mu));
  for (int i = 0; i < NB; i++) {
    double ref = toy_bin_integral(p_true, edges[i], edges[i + 1], 13000, 2000);

    worst = fmax(worst, fabs(mu[i] / ref - 1));
  }
  snprintf(what, sizeof(what), "bin integrals on 4 %% bins within 1e-10 of Simpson (worst %.2e)", worst);
  check(worst < 1e-10, what);
  printf("bin integrals, 4 %% bins: worst relative difference to Simpson %.2e\n", worst);
  in.n_bins = 1;
  in.edges  = wide_edges;
  PetscCall(hd_bump_predict(&in, p_true, wide_mu));
  {
    double ref = toy_bin_integral(p_true, 2000, 4000, 13000, 20000), rel = fabs(wide_mu[0] / ref - 1);

    snprintf(what, sizeof(what), "bin integral of a factor-2 bin within 1e-8 of Simpson (%.2e)", rel);
    check(rel < 1e-8, what);
    printf("bin integral, one bin [2000, 4000) GeV: relative difference to Simpson %.2e\n", rel);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode test_nll_gradient(void)
{
  double        edges[NB + 1], counts[NB], f, g[4];
  const double  p[4] = {0.35, 7.5, 5.2, 0.15};
  hd_bump_input in   = {0};
  hd_rng        r;

  PetscFunctionBegin;
  PetscCall(make_edges(edges));
  in.n_bins = NB;
  in.edges  = edges;
  in.counts = counts;
  in.sr_lo  = edges[12];
  in.sr_hi  = edges[15];
  PetscCall(hd_bump_predict(&in, p_true, counts));
  hd_rng_init(&r, 7, HD_STREAM_USER, 0);
  for (int i = 0; i < NB; i++) counts[i] = toy_poisson(&r, counts[i]);
  PetscCall(hd_bump_nll(&in, p, &f, g));
  for (int j = 0; j < 4; j++) {
    double pp[4], pm[4], fp, fm, h = 1e-5 * fmax(fabs(p[j]), 0.1), fd;
    char   what[160];

    memcpy(pp, p, sizeof(pp));
    memcpy(pm, p, sizeof(pm));
    pp[j] += h;
    pm[j] -= h;
    PetscCall(hd_bump_nll(&in, pp, &fp, NULL));
    PetscCall(hd_bump_nll(&in, pm, &fm, NULL));
    fd = (fp - fm) / (2 * h);
    snprintf(what, sizeof(what), "NLL gradient %d: analytic %.9g, finite difference %.9g", j, g[j], fd);
    check(fabs(fd - g[j]) <= 1e-6 * fmax(fabs(g[j]), 1.0), what);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode test_z_local(void)
{
  double z, p, z0, p0;
  char   what[200];

  PetscFunctionBegin;
  /* sigma_b = 0: sqrt(2 (n ln(n/b) - (n - b))) */
  PetscCall(hd_bump_z_local(130, 100, 0, &z, &p));
  check(fabs(z - sqrt(2 * (130 * log(1.3) - 30))) < 1e-12, "z at sigma_b = 0 is the Poisson likelihood-ratio formula");
  check(fabs(p - 0.5 * erfc(z / sqrt(2.0))) < 1e-15, "p = 1 - Phi(z)");
  PetscCall(hd_bump_z_local(70, 100, 0, &z, &p));
  check(z < 0 && fabs(z + sqrt(2 * (70 * log(0.7) + 30))) < 1e-12 && p > 0.5, "a deficit gives a negative z and p > 0.5");
  PetscCall(hd_bump_z_local(100, 100, 5, &z, &p));
  check(z == 0 && p == 0.5, "n = b gives z = 0, p = 0.5");
  PetscCall(hd_bump_z_local(0, 4, 0, &z, NULL));
  check(fabs(z + sqrt(8.0)) < 1e-12, "n = 0: z = -sqrt(2 b)");
  /* sigma_b > 0 against the closed form written out without the log1p rearrangement
   * (Cowan's expression for Z with a background uncertainty) */
  {
    double n = 130, b = 100, s = 10, s2 = s * s;
    double ref = sqrt(2 * (n * log(n * (b + s2) / (b * b + n * s2)) - b * b / s2 * log(1 + s2 * (n - b) / (b * (b + s2)))));

    PetscCall(hd_bump_z_local(n, b, s, &z, NULL));
    snprintf(what, sizeof(what), "z with sigma_b = 10: %.12g, closed form %.12g", z, ref);
    check(fabs(z - ref) < 1e-10, what);
    /* large counts: close to the Gaussian (n - b) / sqrt(b + sigma_b^2) */
    PetscCall(hd_bump_z_local(1e6 + 3000, 1e6, 1000, &z, NULL));
    snprintf(what, sizeof(what), "z for large counts %.6f ~ 3000 / sqrt(2e6) = %.6f", z, 3000 / sqrt(2e6));
    check(fabs(z - 3000 / sqrt(2e6)) < 5e-3, what);
  }
  /* continuity at sigma_b -> 0, and monotone in sigma_b */
  PetscCall(hd_bump_z_local(150, 100, 0, &z0, &p0));
  PetscCall(hd_bump_z_local(150, 100, 1e-6, &z, &p));
  snprintf(what, sizeof(what), "sigma_b = 1e-6 gives the sigma_b = 0 value (%.15g vs %.15g)", z, z0);
  check(fabs(z - z0) < 1e-9, what);
  PetscCall(hd_bump_z_local(150, 100, 20, &z, &p));
  check(z < z0 && z > 0 && p > p0, "a background uncertainty lowers z");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The null hypothesis' profiled log-likelihood of hd_bump_z_local_lognormal, maximised by a golden
 * section search over a wide bracket: an independent route to the same q0. */
static double lognormal_q0_by_search(double n, double b, double sigma_b)
{
  double t2 = (sigma_b / b) * (sigma_b / b), th0 = log(b);
  double lo = th0 - 40 * sqrt(t2) - 5, hi = log(n + b + 1) + 5, r = (sqrt(5.0) - 1) / 2;
  double x1 = hi - r * (hi - lo), x2 = lo + r * (hi - lo), f1, f2, best;

#define NULL_LL(th) (n * (th) - exp(th) - ((th) - th0) * ((th) - th0) / (2 * t2))
  f1 = NULL_LL(x1);
  f2 = NULL_LL(x2);
  for (int it = 0; it < 300; it++) {
    if (f1 > f2) {
      hi = x2, x2 = x1, f2 = f1;
      x1 = hi - r * (hi - lo), f1 = NULL_LL(x1);
    } else {
      lo = x1, x1 = x2, f1 = f2;
      x2 = lo + r * (hi - lo), f2 = NULL_LL(x2);
    }
  }
  best = NULL_LL(0.5 * (lo + hi));
#undef NULL_LL
  return 2 * ((n > 0 ? n * log(n) : 0) - n - best);
}

static PetscErrorCode test_z_local_lognormal(void)
{
  const double cases[][3] = {{3, 0.02, 0.07}, {0, 4, 2}, {70, 100, 10}, {130, 100, 30}, {12, 2.5, 4}, {400, 380, 5}};
  double       z, p, z0, zp, za, zb;
  char         what[240];

  PetscFunctionBegin;
  /* no uncertainty, or a vanishing one: the plain Poisson formula */
  PetscCall(hd_bump_z_local(130, 100, 0, &z0, NULL));
  PetscCall(hd_bump_z_local_lognormal(130, 100, 0, &z, &p));
  check(z == z0 && p == 0.5 * erfc(z / sqrt(2.0)), "log-normal z at sigma_b = 0 is the Poisson formula");
  PetscCall(hd_bump_z_local_lognormal(130, 100, 1e-5, &z, NULL));
  snprintf(what, sizeof(what), "log-normal z at sigma_b = 1e-5: %.12g, at 0: %.12g", z, z0);
  check(fabs(z - z0) < 1e-8, what);
  /* against a golden-section search of the same profile likelihood */
  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
    double n = cases[k][0], b = cases[k][1], s = cases[k][2], q = lognormal_q0_by_search(n, b, s);
    double ref = (n >= b ? 1 : -1) * sqrt(q > 0 ? q : 0);

    PetscCall(hd_bump_z_local_lognormal(n, b, s, &z, NULL));
    snprintf(what, sizeof(what), "log-normal z(n %g, b %g, sigma_b %g) = %.10g, by search %.10g", n, b, s, z, ref);
    check(fabs(z - ref) < 1e-6, what);
  }
  /* sigma_b << b: the two forms agree to first order, both near (n - b) / sqrt(b + sigma_b^2) */
  PetscCall(hd_bump_z_local_lognormal(1e6 + 3000, 1e6, 1000, &z, NULL));
  PetscCall(hd_bump_z_local(1e6 + 3000, 1e6, 1000, &zp, NULL));
  snprintf(what, sizeof(what), "large counts: log-normal %.6f, Poisson control %.6f, Gaussian %.6f", z, zp, 3000 / sqrt(2e6));
  check(fabs(z - zp) < 1e-3 && fabs(z - 3000 / sqrt(2e6)) < 5e-3, what);
  /* more uncertainty, less significance, both ways */
  PetscCall(hd_bump_z_local_lognormal(150, 100, 10, &za, NULL));
  PetscCall(hd_bump_z_local_lognormal(150, 100, 30, &zb, NULL));
  check(zb < za && za > 0, "a larger background uncertainty lowers z (excess)");
  PetscCall(hd_bump_z_local_lognormal(60, 100, 10, &za, NULL));
  PetscCall(hd_bump_z_local_lognormal(60, 100, 30, &zb, NULL));
  check(zb > za && za < 0, "a larger background uncertainty lowers |z| (deficit)");
  /* the sparse extrapolation of a tight selection (3 events where 0.02 +- 0.07 are predicted): a
   * symmetric error gives about 3 sigma, the log-normal one lets the background be larger */
  PetscCall(hd_bump_z_local(3, 0.02, 0.07, &zp, NULL));
  PetscCall(hd_bump_z_local_lognormal(3, 0.02, 0.07, &z, NULL));
  snprintf(what, sizeof(what), "3 events on 0.02 +- 0.07: Poisson control %.3f, log-normal %.3f", zp, z);
  check(zp > 2.9 && z > 0 && z < 2, what);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode test_asimov(PetscInt n_params)
{
  double         edges[NB + 1], mu[NB], truth[4];
  hd_bump_input  in = {0};
  hd_bump_result a, b;
  char           what[240];

  PetscFunctionBegin;
  memcpy(truth, p_true, sizeof(truth));
  if (n_params == 3) truth[3] = 0;
  PetscCall(make_edges(edges));
  in.n_bins   = NB;
  in.edges    = edges;
  in.counts   = mu;
  in.n_params = n_params;
  in.sr_lo    = edges[13];
  in.sr_hi    = edges[16];
  for (int i = 0; i < NB; i++) mu[i] = toy_bin_integral(truth, edges[i], edges[i + 1], 13000, 2000);
  PetscCall(hd_bump_fit(&in, &a));
  printf("Asimov, %d parameters: p = (%.8g, %.8g, %.8g, %.8g), b_sr = %.8g (true %.8g) +- %.4g, z = %.2e, chi2 = %.2e, ndf = %g, starts %d/%d, reason %d, %d iterations\n", (int)n_params, a.p[0], a.p[1], a.p[2], a.p[3], a.b_sr, mu[13] + mu[14] + mu[15], a.sigma_b, a.z_local, a.chi2, a.ndf, (int)a.n_starts_converged, (int)a.n_starts, (int)a.tao_reason, (int)a.iterations);
  check(a.converged, "Asimov fit converged");
  for (int j = 0; j < n_params; j++) {
    snprintf(what, sizeof(what), "Asimov, %d parameters: p%d = %.10g, true %.10g", (int)n_params, j, a.p[j], truth[j]);
    check(fabs(a.p[j] - truth[j]) < 1e-6 * fmax(fabs(truth[j]), 1), what);
  }
  snprintf(what, sizeof(what), "Asimov: b_sr %.10g = n_sr %.10g", a.b_sr, a.n_sr);
  check(fabs(a.b_sr / a.n_sr - 1) < 1e-8, what);
  check(fabs(a.z_local) < 1e-3 && a.chi2 < 1e-8 && a.deviance < 1e-8, "Asimov: z = 0, chi2 = deviance = 0");
  check(a.sr_bin_first == 13 && a.sr_bin_end == 16 && a.n_sb_bins == NB - 3 && a.ndf == NB - 3 - n_params, "Asimov: SR bins and ndf");
  check(a.sigma_b > 0 && a.cov[0] > 0 && a.cov[5] > 0 && a.cov[10] > 0 && (n_params == 3 ? a.cov[15] == 0 : a.cov[15] > 0), "Asimov: positive variances");
  for (int j = 0; j < 4; j++)
    for (int l = 0; l < 4; l++) check(a.cov[j * 4 + l] == a.cov[l * 4 + j], "covariance is symmetric");
  /* the same fit again is bit-identical */
  PetscCall(hd_bump_fit(&in, &b));
  check(memcmp(a.p, b.p, sizeof(a.p)) == 0 && a.sigma_b == b.sigma_b && a.z_local == b.z_local, "a repeated fit is bit-identical");
  /* SR edges inside bins: the straddled bins are left out too */
  in.sr_lo = 0.5 * (edges[13] + edges[14]);
  in.sr_hi = 0.5 * (edges[15] + edges[16]);
  PetscCall(hd_bump_fit(&in, &b));
  check(b.sr_bin_first == 13 && b.sr_bin_end == 16 && b.sr_fit_lo == edges[13] && b.sr_fit_hi == edges[16], "an SR edge inside a bin leaves the whole bin out");
  in.sr_lo = edges[13];
  in.sr_hi = edges[16] + 1e-9;
  PetscCall(hd_bump_fit(&in, &b));
  check(b.sr_bin_end == 17, "an SR reaching 1e-9 GeV into a bin leaves that bin out");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode test_bad_input(void)
{
  double         edges[NB + 1], counts[NB], p[4] = {1, 8, 5, 0};
  hd_bump_input  in = {0}, bad;
  hd_bump_result r;
  PetscErrorCode err;

  PetscFunctionBegin;
  PetscCall(make_edges(edges));
  for (int i = 0; i < NB; i++) counts[i] = 100;
  in.n_bins = NB;
  in.edges  = edges;
  in.counts = counts;
  in.sr_lo  = 3000;
  in.sr_hi  = 3500;
  PetscCall(hd_error_handler_push()); /* record the messages, print no traceback */

  bad       = in;
  bad.sr_hi = bad.sr_lo;
  err       = hd_bump_fit(&bad, &r);
  expect_error(err, "empty signal region", "empty SR");
  bad       = in;
  bad.sr_lo = 6500;
  bad.sr_hi = 7000;
  err       = hd_bump_fit(&bad, &r);
  expect_error(err, "signal region outside the bin range", "SR above the bins");
  bad       = in;
  bad.sr_lo = 1500;
  err       = hd_bump_fit(&bad, &r);
  expect_error(err, "signal region outside the bin range", "SR starting below the bins");
  bad       = in;
  bad.sr_lo = 1800;
  bad.sr_hi = 6000;
  err       = hd_bump_fit(&bad, &r);
  expect_error(err, "no sideband bins", "SR covering every bin");
  bad       = in;
  bad.sr_lo = edges[1];
  bad.sr_hi = edges[NB - 2];
  err       = hd_bump_fit(&bad, &r);
  expect_error(err, "3 sideband bins for 4 parameters", "too few sideband bins");
  bad       = in;
  counts[4] = -1;
  err       = hd_bump_fit(&bad, &r);
  expect_error(err, "count -1 in bin 4", "negative count");
  counts[4] = NAN;
  err       = hd_bump_fit(&bad, &r);
  expect_error(err, "count nan in bin 4", "NaN count");
  counts[4]    = 100;
  bad.n_params = 5;
  err          = hd_bump_fit(&bad, &r);
  expect_error(err, "5 parameters, must be 3 or 4", "5 parameters");
  bad        = in;
  bad.sqrt_s = 5000;
  err        = hd_bump_fit(&bad, &r);
  expect_error(err, "must lie inside (0, sqrt(s) = 5000 GeV)", "bins above sqrt(s)");
  {
    double e2[NB + 1];

    memcpy(e2, edges, sizeof(e2));
    e2[7]     = e2[6];
    bad       = in;
    bad.edges = e2;
    err       = hd_bump_fit(&bad, &r);
    expect_error(err, "not increasing at edge 7", "repeated bin edge");
  }
  err = hd_bump_nll(&in, (double[4]){-1, 8, 5, 0}, &p[1], NULL);
  expect_error(err, "need a finite p0 > 0", "NLL at p0 < 0");
  err = hd_bump_z_local(10, 0, 1, &p[0], NULL);
  expect_error(err, "background 0, must be finite and > 0", "z with b = 0");
  err = hd_bump_z_local(-1, 10, 1, &p[0], NULL);
  expect_error(err, "observed count -1", "z with n < 0");
  err = hd_bump_edges(0, 100, 4, HD_BUMP_BINS_LOG, edges);
  expect_error(err, "not positive (log bins)", "log bins from 0");
  err = hd_bump_n_bins(1000, 2000, 0, HD_BUMP_BINS_LINEAR, &in.n_bins);
  expect_error(err, "bin width 0", "bin width 0");

  /* no events in the sidebands: an error naming the window, or a tolerated failure */
  {
    double zero[NB];

    for (int i = 0; i < NB; i++) zero[i] = (i >= 10 && i < 14) ? 5 : 0;
    bad        = in;
    bad.counts = zero;
    bad.sr_lo  = edges[10];
    bad.sr_hi  = edges[14];
    err        = hd_bump_fit(&bad, &r);
    expect_error(err, "no events in the 27 sideband bins", "empty sidebands");
    check(strstr(hd_error_message(), "window [") != NULL, "the failed fit names its window");
    bad.tolerate_failure = PETSC_TRUE;
    PetscCall(hd_bump_fit(&bad, &r));
    check(!r.converged && isnan(r.b_sr) && isnan(r.z_local) && r.n_sr == 20, "tolerated failure: converged false, NaN prediction, n_sr kept");
  }

  /* events in fewer sideband bins than parameters (here 2 events in one bin, 1 in the SR, as a
   * tight selection on a sparse window leaves): no fit, never a significance */
  {
    double sparse[NB];

    for (int i = 0; i < NB; i++) sparse[i] = i == 3 ? 2 : i == 11 ? 1 : 0;
    bad                  = in;
    bad.counts           = sparse;
    bad.sr_lo            = edges[10];
    bad.sr_hi            = edges[14];
    bad.n_params         = 3;
    err                  = hd_bump_fit(&bad, &r);
    expect_error(err, "events in 1 of the 27 sideband bins, need at least 3", "one occupied sideband bin");
    bad.tolerate_failure = PETSC_TRUE;
    PetscCall(hd_bump_fit(&bad, &r));
    check(!r.converged && isnan(r.b_sr) && isnan(r.z_local) && r.n_sr == 1, "one occupied sideband bin, tolerated: converged false, NaN prediction");
  }
  PetscCall(PetscPopErrorHandler());
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One Poisson toy of the test spectrum and its 4-parameter fit, for the scipy comparison. */
static PetscErrorCode dump(const char *path)
{
  double         edges[NB + 1], counts[NB], nll;
  hd_bump_input  in = {0};
  hd_bump_result r;
  hd_rng         rng;
  FILE          *f;

  PetscFunctionBegin;
  PetscCall(make_edges(edges));
  in.n_bins = NB;
  in.edges  = edges;
  in.counts = counts;
  in.sr_lo  = edges[13];
  in.sr_hi  = edges[16];
  hd_rng_init(&rng, 2024, HD_STREAM_USER, 1);
  for (int i = 0; i < NB; i++) counts[i] = toy_poisson(&rng, toy_bin_integral(p_true, edges[i], edges[i + 1], 13000, 2000));
  PetscCall(hd_bump_fit(&in, &r));
  PetscCall(hd_bump_nll(&in, r.p, &nll, NULL));
  f = fopen(path, "w");
  PetscCheck(f, PETSC_COMM_SELF, HD_ERR_FILE_OPEN, "cannot write %s", path);
  fprintf(f, "sqrt_s 13000\nsr %.17g %.17g\nedges", in.sr_lo, in.sr_hi);
  for (int i = 0; i <= NB; i++) fprintf(f, " %.17g", edges[i]);
  fprintf(f, "\ncounts");
  for (int i = 0; i < NB; i++) fprintf(f, " %.17g", counts[i]);
  fprintf(f, "\np %.17g %.17g %.17g %.17g\nnll %.17g\nb_sr %.17g\nsigma_b %.17g\nn_sr %.17g\nz_local %.17g\ncov", r.p[0], r.p[1], r.p[2], r.p[3], r.nll, r.b_sr, r.sigma_b, r.n_sr, r.z_local);
  for (int j = 0; j < 16; j++) fprintf(f, " %.17g", r.cov[j]);
  fprintf(f, "\n");
  fclose(f);
  printf("wrote %s: nll %.10g (recomputed %.10g), p = (%g, %g, %g, %g), converged %d\n", path, r.nll, nll, r.p[0], r.p[1], r.p[2], r.p[3], (int)r.converged);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  double edges[NB + 1], total = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(make_edges(edges));
  for (int i = 0; i < NB; i++) total += toy_bin_integral(p_true, edges[i], edges[i + 1], 13000, 2000);
  p_true[0] = 1e5 / total;
  if (argc == 3 && strcmp(argv[1], "dump") == 0) {
    PetscCall(dump(argv[2]));
    PetscCall(PetscFinalize());
    return 0;
  }
  PetscCall(test_edges_histogram());
  PetscCall(test_integrals());
  PetscCall(test_nll_gradient());
  PetscCall(test_z_local());
  PetscCall(test_z_local_lognormal());
  PetscCall(test_asimov(4));
  PetscCall(test_asimov(3));
  PetscCall(test_bad_input());
  printf("%s: %d failure(s)\n", failures ? "FAILED" : "passed", failures);
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
