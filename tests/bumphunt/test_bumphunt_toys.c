/* Bump hunt: statistical properties over ensembles of Poisson toys drawn (fixed seeds, the
 * project's Philox RNG) from a known dijet spectrum: 31 log bins of 4 % over [1800, 6000] GeV,
 * p = (p0, 8, 5, 0.2) with p0 set for about 1e5 events, the SR three bins near 3.1 TeV.
 *   (a) pulls (fit - truth) / uncertainty of p0..p3 and of the SR prediction b_sr: mean within
 *       0.15 of 0 and standard deviation within 0.15 of 1 over the toys;
 *   (b) background only: the local significance z_local of the SR count has mean within 0.15 of
 *       0 and standard deviation within 0.15 of 1;
 *   (c) a Gaussian bump (width 1/6 of the SR span) with S = 5 sqrt(B) in the SR: the Asimov
 *       spectrum (counts = expectations) gives z within 5 % of S / sqrt(B + sigma_b^2), the
 *       counting significance with the fit's background uncertainty, and the same formula with
 *       sigma_b = 0 gives within 5 % of S / sqrt(B) (the likelihood ratio of a Poisson count is
 *       below the Gaussian S / sqrt(B) by about S / (6 B) of it, 1.5 % here); the mean z of 100
 *       Poisson toys with the bump is within 0.25 of the Asimov z (its standard error is 0.1).
 * Tolerances: with T toys the standard error of a mean of unit-variance pulls is 1/sqrt(T) and
 * of their standard deviation 1/sqrt(2T); T = 400 makes 0.15 three and four standard errors. */
#include <stdio.h>
#include <string.h>
#include <hadal/bumphunt.h>
#include "toys.h"
#include "check.h"

#define NB     31
#define N_TOYS 400
#define SR_LO  13
#define SR_HI  16

static void mean_std(const double *v, int n, double *mean, double *std)
{
  double s = 0, s2 = 0;

  for (int i = 0; i < n; i++) s += v[i];
  *mean = s / n;
  for (int i = 0; i < n; i++) s2 += (v[i] - *mean) * (v[i] - *mean);
  *std = sqrt(s2 / (n - 1));
}

static void check_unit_normal(const char *name, const double *v, int n, double tol)
{
  double mean, std;
  char   what[160];

  mean_std(v, n, &mean, &std);
  printf("%-28s mean %+.3f  std %.3f  (%d toys)\n", name, mean, std, n);
  snprintf(what, sizeof(what), "%s: mean %.3f, want |mean| < %.2f", name, mean, tol);
  check(fabs(mean) < tol, what);
  snprintf(what, sizeof(what), "%s: std %.3f, want |std - 1| < %.2f", name, std, tol);
  check(fabs(std - 1) < tol, what);
}

int main(int argc, char **argv)
{
  double         edges[NB + 1], bkg[NB], counts[NB], truth[4] = {1, 8, 5, 0.2}, total = 0, b_true = 0;
  double        *pull[5], *z;
  hd_bump_input  in = {0};
  hd_bump_result r;
  hd_rng         rng;
  PetscInt       iterations = 0, starts_converged = 0;
  PetscLogDouble t0, t1;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscTime(&t0));
  PetscCall(hd_bump_edges(1800, 6000, NB, HD_BUMP_BINS_LOG, edges));
  for (int i = 0; i < NB; i++) total += toy_bin_integral(truth, edges[i], edges[i + 1], 13000, 2000);
  truth[0] = 1e5 / total;
  for (int i = 0; i < NB; i++) bkg[i] = toy_bin_integral(truth, edges[i], edges[i + 1], 13000, 2000);
  for (int i = SR_LO; i < SR_HI; i++) b_true += bkg[i];
  in.n_bins = NB;
  in.edges  = edges;
  in.counts = counts;
  in.sr_lo  = edges[SR_LO];
  in.sr_hi  = edges[SR_HI];
  printf("truth: p = (%.6g, %g, %g, %g), %g events in the SR [%.1f, %.1f) GeV\n", truth[0], truth[1], truth[2], truth[3], b_true, in.sr_lo, in.sr_hi);

  /* (a) and (b): background-only toys */
  for (int k = 0; k < 5; k++) PetscCall(PetscMalloc1(N_TOYS, &pull[k]));
  PetscCall(PetscMalloc1(N_TOYS, &z));
  for (int t = 0; t < N_TOYS; t++) {
    hd_rng_init(&rng, 11, HD_STREAM_USER, (uint64_t)t);
    for (int i = 0; i < NB; i++) counts[i] = toy_poisson(&rng, bkg[i]);
    PetscCall(hd_bump_fit(&in, &r));
    /* p0 is log-normal to a good approximation (its relative uncertainty is large): its pull is
     * taken in ln p0, whose standard deviation is sqrt(cov[0]) / p0 */
    pull[0][t] = log(r.p[0] / truth[0]) / (sqrt(r.cov[0]) / r.p[0]);
    for (int j = 1; j < 4; j++) pull[j][t] = (r.p[j] - truth[j]) / sqrt(r.cov[j * 4 + j]);
    pull[4][t] = (r.b_sr - b_true) / r.sigma_b;
    z[t]       = r.z_local;
    iterations += r.iterations;
    starts_converged += r.n_starts_converged;
    if (t == 0)
      printf("toy 0: p = (%.5g, %.4g, %.4g, %.4g) +- (%.3g, %.3g, %.3g, %.3g), b_sr = %.1f +- %.1f, n_sr = %g, z = %.3f, chi2/ndf = %.1f/%g\n", r.p[0], r.p[1], r.p[2], r.p[3], sqrt(r.cov[0]), sqrt(r.cov[5]), sqrt(r.cov[10]), sqrt(r.cov[15]), r.b_sr, r.sigma_b, r.n_sr, r.z_local, r.chi2, r.ndf);
  }
  printf("fits: %.1f TAO iterations and %.2f converged starts per fit on average\n", (double)iterations / N_TOYS, (double)starts_converged / N_TOYS);
  check_unit_normal("pull ln p0", pull[0], N_TOYS, 0.15);
  check_unit_normal("pull p1", pull[1], N_TOYS, 0.15);
  check_unit_normal("pull p2", pull[2], N_TOYS, 0.15);
  check_unit_normal("pull p3", pull[3], N_TOYS, 0.15);
  check_unit_normal("pull b_sr", pull[4], N_TOYS, 0.15);
  check_unit_normal("z_local, background only", z, N_TOYS, 0.15);

  /* (c) a Gaussian bump in the SR */
  {
    double m0 = sqrt(in.sr_lo * in.sr_hi), width = (in.sr_hi - in.sr_lo) / 6, S = 5 * sqrt(b_true), sig[NB], s_in = 0;
    double z_gauss, z_sigma, z_asimov, z_nosys, z_mean, z_std;
    char   what[200];

    for (int i = 0; i < NB; i++) {
      sig[i] = S * 0.5 * (erf((edges[i + 1] - m0) / (width * sqrt(2.0))) - erf((edges[i] - m0) / (width * sqrt(2.0))));
      if (i >= SR_LO && i < SR_HI) s_in += sig[i];
    }
    for (int i = 0; i < NB; i++) counts[i] = bkg[i] + sig[i];
    PetscCall(hd_bump_fit(&in, &r));
    z_gauss = s_in / sqrt(b_true);
    z_sigma = s_in / sqrt(b_true + r.sigma_b * r.sigma_b);
    z_asimov = r.z_local;
    PetscCall(hd_bump_z_local(r.n_sr, r.b_sr, 0, &z_nosys, NULL));
    printf("bump: S = %.1f in the SR (%.4f of it), B = %.1f, Asimov fit b_sr = %.1f +- %.1f: z = %.3f (%.3f with sigma_b = 0), S/sqrt(B) = %.3f, S/sqrt(B + sigma_b^2) = %.3f\n", s_in, s_in / S, b_true, r.b_sr, r.sigma_b, r.z_local, z_nosys, z_gauss, z_sigma);
    snprintf(what, sizeof(what), "bump, Asimov: z %.3f within 5 %% of S/sqrt(B + sigma_b^2) = %.3f", r.z_local, z_sigma);
    check(fabs(r.z_local / z_sigma - 1) < 0.05, what);
    snprintf(what, sizeof(what), "bump, Asimov: z with sigma_b = 0 %.3f within 5 %% of S/sqrt(B) = %.3f", z_nosys, z_gauss);
    check(fabs(z_nosys / z_gauss - 1) < 0.05, what);
    for (int t = 0; t < N_TOYS / 4; t++) {
      hd_rng_init(&rng, 12, HD_STREAM_USER, (uint64_t)t);
      for (int i = 0; i < NB; i++) counts[i] = toy_poisson(&rng, bkg[i] + sig[i]);
      PetscCall(hd_bump_fit(&in, &r));
      z[t] = r.z_local;
    }
    mean_std(z, N_TOYS / 4, &z_mean, &z_std);
    printf("bump, %d Poisson toys: z mean %.3f std %.3f\n", N_TOYS / 4, z_mean, z_std);
    snprintf(what, sizeof(what), "bump, toys: mean z %.3f within 0.25 of the Asimov z %.3f", z_mean, z_asimov);
    check(fabs(z_mean - z_asimov) < 0.25, what);
  }

  /* (d) a tight selection leaves few events: 1000 in all, a few per bin at high mass, many
   * empty bins. Every fit, with 3 and with 4 parameters, must converge, and z must stay
   * calibrated to within the discreteness of small counts. */
  for (PetscInt np = 3; np <= 4; np++) {
    double scale = 1e3 / 1e5, z_mean, z_std, b_mean = 0;
    int    n_conv = 0, empty = 0;
    char   what[200];

    in.n_params         = np;
    in.tolerate_failure = PETSC_TRUE;
    for (int t = 0; t < N_TOYS; t++) {
      hd_rng_init(&rng, 13, HD_STREAM_USER, (uint64_t)t);
      for (int i = 0; i < NB; i++) {
        counts[i] = toy_poisson(&rng, scale * bkg[i]);
        empty += counts[i] == 0;
      }
      PetscCall(hd_bump_fit(&in, &r));
      if (!r.converged) continue;
      z[n_conv++] = r.z_local;
      b_mean += (r.b_sr - scale * b_true) / r.sigma_b;
    }
    z_mean = z_std = NAN;
    if (n_conv >= 2) mean_std(z, n_conv, &z_mean, &z_std);
    printf("low counts, %d parameters: %d/%d fits converged, %.1f empty bins per toy, pull b_sr mean %+.3f, z mean %+.3f std %.3f\n", (int)np, n_conv, N_TOYS, (double)empty / N_TOYS, b_mean / PetscMax(n_conv, 1), z_mean, z_std);
    snprintf(what, sizeof(what), "low counts, %d parameters: %d of %d fits converged", (int)np, n_conv, N_TOYS);
    check(n_conv == N_TOYS, what);
    snprintf(what, sizeof(what), "low counts, %d parameters: z mean %.3f std %.3f, want within 0.25 of 0 and 1", (int)np, z_mean, z_std);
    check(fabs(z_mean) < 0.25 && fabs(z_std - 1) < 0.25, what);
  }

  for (int k = 0; k < 5; k++) PetscCall(PetscFree(pull[k]));
  PetscCall(PetscFree(z));
  PetscCall(PetscTime(&t1));
  printf("%s: %d failure(s), %.2f s\n", failures ? "FAILED" : "passed", failures, t1 - t0);
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
