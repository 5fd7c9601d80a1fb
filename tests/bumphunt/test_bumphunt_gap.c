/* Bump hunt: the gap around the signal region and the signal-plus-background cross-check.
 *   - an Asimov spectrum with large excesses in the bins next to the SR: with the gap around the SR
 *     those bins are not fitted (the true parameters come back, n_sr counts the SR bins only);
 *     without the gap the same excesses pull the fit (so the check can fail);
 *   - a gap that does not contain the SR is an error naming it;
 *   - the cross-check fit on Asimov spectra: a Gaussian of 500 events at the SR centre is found
 *     with s = 500 and a significance; background alone gives s = 0 and z = 0;
 *   - its SR background: on the Asimov spectrum the true one; over Poisson toys of a tight
 *     selection (a few hundred background events in the SR, the resonance's tails beside it)
 *     unbiased with pulls of RMS about 1, while the background-only fit of the bins outside the
 *     SR is pulled up by the tails (so the check can fail);
 *   - the signal shapes integrate to 1 (Gaussian, Crystal Ball with its low-mass tail). */
#include <math.h>
#include <stdio.h>
#include <hadal/bumphunt.h>
#include <hadal/rng.h>
#include "check.h"

#define NB 31
static const double p_true[4] = {1.0, 8.0, 5.0, 0.2};

/* Asimov counts of the dijet function over [1800, 6000] GeV (4 % log bins), 1e5 events in all */
static PetscErrorCode asimov(double *edges, double *mu)
{
  hd_bump_input in = {0};
  double        p[4], total = 0;

  PetscFunctionBegin;
  PetscCall(hd_bump_edges(1800, 6000, NB, HD_BUMP_BINS_LOG, edges));
  in.n_bins = NB;
  in.edges  = edges;
  PetscCall(hd_bump_predict(&in, p_true, mu));
  for (int i = 0; i < NB; i++) total += mu[i];
  for (int j = 0; j < 4; j++) p[j] = p_true[j];
  p[0] = 1e5 / total;
  PetscCall(hd_bump_predict(&in, p, mu));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the SR is bins [12, 15), 4 parameters */
static void sr_input(hd_bump_input *in, const double *edges, const double *counts)
{
  in->n_bins   = NB;
  in->edges    = edges;
  in->counts   = counts;
  in->sr_lo    = edges[12];
  in->sr_hi    = edges[15];
  in->n_params = 4;
}

static PetscErrorCode test_gap(void)
{
  double         edges[NB + 1], mu[NB], counts[NB], b_true = 0, n_sr_true = 0;
  hd_bump_input  in = {0};
  hd_bump_result r, r_nogap;
  PetscErrorCode err;

  PetscFunctionBegin;
  PetscCall(asimov(edges, mu));
  for (int i = 0; i < NB; i++) counts[i] = mu[i];
  for (int i = 12; i < 15; i++) b_true += mu[i];
  /* bins 10, 11 and 15, 16 form the gap; an excess there as a signal's tails would put it */
  counts[10] *= 1.5;
  counts[11] *= 2.0;
  counts[15] *= 1.8;
  counts[16] *= 1.3;
  for (int i = 12; i < 15; i++) n_sr_true += counts[i];
  sr_input(&in, edges, counts);
  in.gap_lo   = edges[10];
  in.gap_hi   = edges[17];
  PetscCall(hd_bump_fit(&in, &r));
  CHECK(r.converged, "the fit with a gap converges");
  CHECK(fabs(r.p[1] - p_true[1]) < 1e-5 && fabs(r.p[2] - p_true[2]) < 1e-5 && fabs(r.p[3] - p_true[3]) < 1e-5, "with the gap the shape comes back: (%g, %g, %g)", r.p[1], r.p[2], r.p[3]);
  CHECK(fabs(r.b_sr - b_true) < 1e-6 * b_true, "with the gap b_sr = %.6f, true %.6f", r.b_sr, b_true);
  CHECK(r.n_sr == n_sr_true, "n_sr counts the SR bins only: %g, want %g", r.n_sr, n_sr_true);
  CHECK(r.n_sb_bins == NB - 7, "fitted bins %d, want %d (SR and gap left out)", (int)r.n_sb_bins, NB - 7);
  CHECK(r.sr_bin_first == 12 && r.sr_bin_end == 15, "the SR bins are [%d, %d), want [12, 15)", (int)r.sr_bin_first, (int)r.sr_bin_end);
  in.gap_lo = in.gap_hi = 0;
  PetscCall(hd_bump_fit(&in, &r_nogap));
  CHECK(fabs(r_nogap.b_sr - b_true) > 1e-3 * b_true, "without the gap the excesses pull b_sr (%.3f against %.3f): the check can fail", r_nogap.b_sr, b_true);
  /* a gap inside the SR is bad input */
  in.gap_lo = edges[13];
  in.gap_hi = edges[17];
  PetscCall(hd_error_handler_push());
  err = hd_bump_fit(&in, &r);
  expect_error(err, "must contain the signal region", "a gap that does not contain the SR");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The Asimov background, the SR input over `counts`, and a Gaussian of 4 % at the SR centre with
 * its fraction per bin in h */
static PetscErrorCode signal_setup(double *edges, double *mu, double *counts, double *h, hd_bump_input *in, hd_bump_signal *sig)
{
  PetscFunctionBegin;
  PetscCall(asimov(edges, mu));
  sr_input(in, edges, counts);
  sig->kind  = HD_BUMP_SIGNAL_GAUSS;
  sig->mass  = 0.5 * (in->sr_lo + in->sr_hi);
  sig->sigma = 0.04 * sig->mass;
  PetscCall(hd_bump_signal_bins(in, sig, h));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode test_signal_fit(void)
{
  double                edges[NB + 1], mu[NB], counts[NB], h[NB];
  hd_bump_input         in = {0};
  hd_bump_result        r;
  hd_bump_signal        sig = {0};
  hd_bump_signal_result sr;

  PetscFunctionBegin;
  PetscCall(signal_setup(edges, mu, counts, h, &in, &sig));
  for (int i = 0; i < NB; i++) counts[i] = mu[i] + 500 * h[i];
  PetscCall(hd_bump_fit(&in, &r));
  PetscCall(hd_bump_fit_signal(&in, &sig, &r, &sr));
  CHECK(sr.converged, "the signal-plus-background fit converges");
  CHECK(fabs(sr.s - 500) < 0.5, "Asimov signal of 500 events: s = %.4f +- %.2f", sr.s, sr.sigma_s);
  CHECK(fabs(sr.p[1] - p_true[1]) < 1e-3 && fabs(sr.p[3] - p_true[3]) < 1e-3, "the background shape comes back beside the signal");
  CHECK(sr.z > 1 && sr.sigma_s > 0, "a significance %.3f and an uncertainty %.3f", sr.z, sr.sigma_s);
  {
    double b_true = 0;
    for (int i = 12; i < 15; i++) b_true += mu[i];
    CHECK(fabs(sr.b_sr - b_true) < 1e-4 * b_true && sr.sigma_b_sr > 0, "its SR background %.3f +- %.3f, true %.3f", sr.b_sr, sr.sigma_b_sr, b_true);
  }
  printf("ok: Asimov 500 events at %.0f GeV: s = %.3f +- %.3f, z = %.3f\n", sig.mass, sr.s, sr.sigma_s, sr.z);
  for (int i = 0; i < NB; i++) counts[i] = mu[i];
  PetscCall(hd_bump_fit(&in, &r));
  PetscCall(hd_bump_fit_signal(&in, &sig, &r, &sr));
  CHECK(sr.converged && sr.s < 0.5 && sr.z < 1e-2, "background alone: s = %.4f, z = %.4f", sr.s, sr.z);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Poisson(mu) by counting unit-rate exponential arrivals in [0, mu): exact, O(mu), enough here */
static double poisson(hd_rng *rng, double mu)
{
  double t = hd_rng_exponential(rng), k = 0;
  while (t < mu) {
    k += 1;
    t += hd_rng_exponential(rng);
  }
  return k;
}

static PetscErrorCode test_signal_fit_toys(void)
{
  enum { N_TOYS = 200 };
  double                edges[NB + 1], mu[NB], counts[NB], h[NB], b_true = 0;
  double                sum_sb = 0, sum2_sb = 0, sum_b = 0;
  int                   n_ok = 0;
  hd_bump_input         in = {0};
  hd_bump_result        r;
  hd_bump_signal        sig = {0};
  hd_bump_signal_result sr;
  hd_rng                rng;

  PetscFunctionBegin;
  PetscCall(signal_setup(edges, mu, counts, h, &in, &sig));
  /* a tight selection: 5,000 background events over the range, a few hundred in the SR, and 200
   * signal events of which about 15 % lie in the bins beside the SR */
  for (int i = 0; i < NB; i++) mu[i] *= 0.05;
  for (int i = 12; i < 15; i++) b_true += mu[i];
  hd_rng_init(&rng, 20261130, 0, 0);
  for (int t = 0; t < N_TOYS; t++) {
    for (int i = 0; i < NB; i++) counts[i] = poisson(&rng, mu[i] + 200 * h[i]);
    PetscCall(hd_bump_fit(&in, &r));
    if (!r.converged) continue;
    PetscCall(hd_bump_fit_signal(&in, &sig, &r, &sr));
    if (!sr.converged || !(sr.sigma_b_sr > 0)) continue;
    double pull = (sr.b_sr - b_true) / sr.sigma_b_sr;
    sum_sb += pull;
    sum2_sb += pull * pull;
    sum_b += (r.b_sr - b_true) / r.sigma_b;
    n_ok++;
  }
  CHECK(n_ok >= N_TOYS - 2, "the fits converge on %d of %d toys", n_ok, N_TOYS);
  double mean_sb = sum_sb / n_ok, rms_sb = sqrt(sum2_sb / n_ok), mean_b = sum_b / n_ok;
  printf("ok: %d toys, SR background %.1f: S+B fit pulls mean %+.3f RMS %.3f; background-only fit mean pull %+.3f\n", n_ok, b_true, mean_sb, rms_sb, mean_b);
  /* over 200 toys the mean of unit-variance pulls has a spread of 0.07 */
  CHECK(fabs(mean_sb) < 0.25, "the S+B fit's SR background is unbiased: mean pull %+.3f", mean_sb);
  CHECK(rms_sb > 0.8 && rms_sb < 1.25, "its error is the spread: pull RMS %.3f", rms_sb);
  CHECK(mean_b > 0.5, "the background-only fit outside the SR is pulled up by the tails: mean pull %+.3f", mean_b);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode test_shapes(void)
{
  double         edges[2001], h[2000];
  hd_bump_input  in  = {0};
  hd_bump_signal g   = {.kind = HD_BUMP_SIGNAL_GAUSS, .mass = 3500, .sigma = 140};
  hd_bump_signal cb  = {.kind = HD_BUMP_SIGNAL_CRYSTAL_BALL, .mass = 3500, .sigma = 140, .alpha = 1.5, .n = 3};
  double         sum = 0, sum_cb = 0, below = 0, below_cb = 0;

  PetscFunctionBegin;
  PetscCall(hd_bump_edges(100, 12900, 2000, HD_BUMP_BINS_LINEAR, edges));
  in.n_bins = 2000;
  in.edges  = edges;
  PetscCall(hd_bump_signal_bins(&in, &g, h));
  for (int i = 0; i < 2000; i++) {
    sum += h[i];
    below += edges[i + 1] <= 3000 ? h[i] : 0;
  }
  PetscCall(hd_bump_signal_bins(&in, &cb, h));
  for (int i = 0; i < 2000; i++) {
    sum_cb += h[i];
    below_cb += edges[i + 1] <= 3000 ? h[i] : 0;
  }
  CHECK(fabs(sum - 1) < 1e-9, "the Gaussian integrates to %.12f", sum);
  CHECK(fabs(sum_cb - 1) < 2e-3, "the Crystal Ball integrates to %.6f over [100, 12900] GeV", sum_cb);
  CHECK(below_cb > 5 * below, "the Crystal Ball has the low-mass tail: %.4f below 3 TeV, the Gaussian %.6f", below_cb, below);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscFunctionBeginUser;
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(test_gap());
  PetscCall(test_signal_fit());
  PetscCall(test_signal_fit_toys());
  PetscCall(test_shapes());
  printf("%s: %d failure(s)\n", argv[0], failures);
  PetscCall(PetscFinalize());
  return failures != 0;
}
