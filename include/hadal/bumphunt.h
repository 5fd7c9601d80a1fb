/* The bump hunt of CWoLa hunting (seed 001 section 4, seed 004): fit a smooth background to the
 * mass spectrum outside a signal region (SR), predict the SR yield with its uncertainty, and turn
 * the observed SR count into a local significance.
 *
 * The background is the dijet function (x = m / sqrt(s), m in GeV)
 *     f(x) = p0 (1 - x)^p1 / x^(p2 + p3 ln x),
 * an event density per unit x: the expected count of a bin [m_a, m_b) is the integral of f over
 * [m_a / sqrt(s), m_b / sqrt(s)). It is fitted by a binned Poisson likelihood to the bins that lie
 * wholly outside [sr_lo, sr_hi); p0 is profiled in closed form and the shape (p1..p3, or p1, p2
 * with p3 = 0) is minimised with PETSc TAO (Newton line search, analytic gradient and Hessian) from
 * several deterministic starting points. docs/methods/bumphunt.md gives the formulas.
 *
 * Nothing here is collective: every function works on a histogram the caller holds, on
 * PETSC_COMM_SELF objects, so each rank may fit the same histogram and gets the same numbers
 * (reduce the counts first, e.g. with an MPI_Allreduce of the per-rank histograms). */
#ifndef HADAL_BUMPHUNT_H
#define HADAL_BUMPHUNT_H

#include <hadal/error.h>

#define HD_BUMP_SQRT_S_DEFAULT 13000.0 /* GeV, the LHC Run 2 energy of the LHCO data */

/* A fit that found no acceptable minimum (see hd_bump_fit). */
#ifndef HD_ERR_NOT_CONVERGED
  #define HD_ERR_NOT_CONVERGED PETSC_ERR_NOT_CONVERGED
#endif

/* How the significance treats the fitted background's uncertainty (see hd_bump_z_local). */
typedef enum {
  HD_BUMP_BKG_LOGNORMAL = 0, /* ln beta Gaussian, sd sigma_b / b: the default */
  HD_BUMP_BKG_POISSON   = 1  /* beta measured by a Poisson control count of mean b, variance sigma_b^2 */
} hd_bump_bkg_error;

/* A binned spectrum and the signal region to leave out of the fit. */
typedef struct {
  PetscInt      n_bins;
  const double *edges;  /* n_bins + 1 increasing bin edges in GeV, inside (0, sqrt_s) */
  const double *counts; /* n_bins counts, finite and >= 0 (weighted, non-integer counts allowed) */
  double        sr_lo, sr_hi; /* the signal region [sr_lo, sr_hi) in GeV, inside [edges[0], edges[n_bins]] */
  double        sqrt_s;       /* GeV; 0 means HD_BUMP_SQRT_S_DEFAULT */
  PetscInt      n_params;     /* 4 (p0..p3) or 3 (p3 fixed to 0, for few bins); 0 means 4 */
  /* PETSC_FALSE (the default): a fit that fails is an error naming the window. PETSC_TRUE: it
   * returns with converged = PETSC_FALSE and NaN predictions, so a scan can go on and report it. */
  PetscBool tolerate_failure;
  /* A gap left out of the fit around the SR: bins that overlap [gap_lo, gap_hi) are not fitted
   * either, but only the SR bins give n_sr and b_sr. 0 and 0 (the default): no gap. When set it
   * must contain the SR. */
  double gap_lo, gap_hi;
  /* the background uncertainty in z_local (HD_BUMP_BKG_LOGNORMAL, the default, or POISSON) */
  hd_bump_bkg_error bkg_error;
} hd_bump_input;

typedef struct {
  double    p[4];    /* p0..p3 at the minimum (p3 = 0 with 3 parameters); p0 in events per unit x */
  double    cov[16]; /* covariance of p (row-major 4 x 4, inverse Hessian of the NLL; row/column 3
                        zero with 3 parameters) */
  double    b_sr;    /* predicted background in the SR bins: integral of f over them */
  double    sigma_b; /* its uncertainty from cov (delta method) */
  double    n_sr;    /* observed count in the SR bins */
  double    z_local; /* signed local significance of n_sr given b_sr +- sigma_b (hd_bump_z_local_lognormal
                        or hd_bump_z_local, as in->bkg_error says) */
  double    p_local; /* its one-sided p-value, 1 - Phi(z_local) */
  double    chi2;    /* Pearson chi2, sum over sideband bins of (n - mu)^2 / mu */
  double    ndf;     /* sideband bins - fitted parameters */
  PetscBool converged;
  /* more about the fit */
  double   deviance;              /* 2 sum (mu - n + n ln(n / mu)) over sideband bins: the likelihood-ratio chi2 */
  double   nll;                   /* -ln L = sum (mu - n ln mu + ln n!) over sideband bins at the minimum */
  double   n_sb;                  /* observed count in the sideband bins (the fitted ones) */
  double   sr_fit_lo, sr_fit_hi;  /* GeV: the span of the bins left out (= [sr_lo, sr_hi) when the
                                     SR edges are bin edges, wider when a bin straddles an SR edge) */
  PetscInt sr_bin_first, sr_bin_end; /* the SR bins: [sr_bin_first, sr_bin_end) (the gap's bins are left out of the fit too) */
  PetscInt n_sb_bins;             /* bins in the fit */
  PetscInt n_starts, n_starts_converged;
  PetscInt tao_reason;            /* TaoConvergedReason of the chosen start */
  PetscInt iterations;            /* TAO iterations of the chosen start */
  double   newton_decrement;      /* g^T H^-1 g of the profiled NLL at the chosen point (~ 2 x the NLL still to gain) */
} hd_bump_result;

/* Not collective. Fit the dijet function to the bins of `in` outside the SR and evaluate the SR
 * (see the top of this header). TAO can be tuned with options prefixed bump_ (-bump_tao_monitor,
 * -bump_tao_type, ...). Bad input (bins, counts, an SR outside the bins, no sideband bins, fewer
 * sideband bins than parameters + 1) is an HD_ERR_USER_INPUT error. */
PetscErrorCode hd_bump_fit(const hd_bump_input *in, hd_bump_result *out);

/* Not collective. -ln L (as in hd_bump_result.nll) of the parameters p[0..3] on the sideband bins
 * of `in`, and its gradient with respect to p (grad may be NULL). All four p are used as given,
 * whatever in->n_params. For checks against other implementations. */
PetscErrorCode hd_bump_nll(const hd_bump_input *in, const double p[4], double *nll, double grad[4]);

/* Not collective. Expected counts mu[i] = integral of f over bin i of `in` (all bins, the SR ones
 * too), e.g. to draw the fitted background. Only the bins and sqrt_s of `in` are used (counts may
 * be NULL, the SR is ignored). */
PetscErrorCode hd_bump_predict(const hd_bump_input *in, const double p[4], double *mu);

/* Not collective. Signed local significance of an observed count n over a background b > 0 known
 * to +- sigma_b >= 0: the profile likelihood ratio of n ~ Poisson(s + beta) with an auxiliary
 * measurement of beta that has mean b and variance sigma_b^2 (Cowan, Cranmer, Gross, Vitells,
 * EPJC 71 (2011) 1554, counting experiment with a control measurement):
 *   q0 = 2 [ n ln(n / bb) + (b^2 / sigma_b^2) ln(b / bb) ],  bb = (n sigma_b^2 + b^2) / (b + sigma_b^2),
 *   z = sign(n - b) sqrt(q0),  p = 1 - Phi(z).
 * For sigma_b = 0 it is z = sign(n - b) sqrt(2 (n ln(n / b) - (n - b))). */
PetscErrorCode hd_bump_z_local(double n, double b, double sigma_b, double *z, double *p);

/* Not collective. The same signed local significance, with the background known as a log-normal
 * (the default of hd_bump_fit): n ~ Poisson(s + beta), ln beta ~ Normal(ln b, t^2), t = sigma_b / b.
 * The dijet function is log-linear in the fitted parameters (ln f = ln p0 + p1 ln(1 - x) - ...),
 * so the fit's Gaussian parameter errors make ln b, not b, about Gaussian; where sigma_b is not
 * small against b (an extrapolation to a sparse region after a tight selection) a symmetric error
 * on b understates how much larger the background may be. With theta = ln beta,
 *   q0 = 2 [ (n ln n - n) - max_theta (n theta - e^theta - (theta - ln b)^2 / (2 t^2)) ],
 *   z = sign(n - b) sqrt(q0),  p = 1 - Phi(z),
 * the maximum found by a safeguarded Newton iteration (the bracket [ln b, ln n] holds the root).
 * For sigma_b -> 0 both forms become sign(n - b) sqrt(2 (n ln(n / b) - (n - b))); for
 * sigma_b << b they agree to first order in sigma_b / b. */
PetscErrorCode hd_bump_z_local_lognormal(double n, double b, double sigma_b, double *z, double *p);

/* Not collective. The simple "S / sqrt(B)" of a fit: (n_sr - b_sr) / sqrt(b_sr). Run hd_bump_fit
 * on the spectrum of all events (before any selection) and pass that result to get the
 * significance before selection in the form seed 004 quotes it; z_local of the same result is its
 * likelihood counterpart. */
PetscErrorCode hd_bump_s_over_sqrt_b(const hd_bump_result *fit, double *z);

/* The signal shape of the signal-plus-background cross-check (hd_bump_fit_signal): a resonance
 * at `mass` (GeV) with width `sigma` (GeV), a Gaussian, or a Crystal Ball (a Gaussian core with a
 * power-law tail on the low-mass side from `alpha` widths below the peak, exponent `n` > 1: the
 * radiative tail of a dijet resonance). */
typedef enum { HD_BUMP_SIGNAL_GAUSS = 0, HD_BUMP_SIGNAL_CRYSTAL_BALL = 1 } hd_bump_signal_kind;
typedef struct {
  hd_bump_signal_kind kind;
  double              mass, sigma, alpha, n;
} hd_bump_signal;

typedef struct {
  double    s, sigma_s;  /* fitted signal yield (all of the shape, >= 0) and its uncertainty */
  double    s_sr;        /* the part of s inside the SR bins */
  double    b_sr, sigma_b_sr; /* the background part of the fit inside the SR bins, and its
                               * uncertainty from the inverse Hessian of all parameters (the
                               * signal yield's included): the SR background with the resonance's
                               * tails beside the SR modelled rather than fitted as background */
  double    z;           /* sqrt(q0), q0 = 2 (NLL of the background-only fit - NLL with the signal), 0 when s = 0 */
  double    nll_b, nll_sb; /* -ln L of the background-only and signal-plus-background fits over all bins */
  double    p[4];        /* background parameters of the signal-plus-background fit */
  PetscBool converged;
} hd_bump_signal_result;

/* Not collective. The cross-check of a bump hunt: the dijet function plus s times the signal
 * shape fitted to ALL bins of `in` (SR and gap included) by a binned Poisson likelihood, s >= 0,
 * against the dijet function alone on the same bins; `start` (a converged hd_bump_fit of the same
 * spectrum) gives the starting point. Failure to converge gives converged = PETSC_FALSE and NaN
 * (never an error): it is a cross-check beside the main result. */
PetscErrorCode hd_bump_fit_signal(const hd_bump_input *in, const hd_bump_signal *sig, const hd_bump_result *start, hd_bump_signal_result *out);

/* Not collective. The expected fraction of the signal in each bin of `in` (n_bins values). */
PetscErrorCode hd_bump_signal_bins(const hd_bump_input *in, const hd_bump_signal *sig, double *h);

/* Bin edges over a mass range. */
typedef enum { HD_BUMP_BINS_LINEAR = 0, HD_BUMP_BINS_LOG = 1 } hd_bump_binning;

/* Not collective. The number of bins of about `width` that fill [lo, hi]: width in GeV for
 * linear bins, relative (0.03 = 3 % of the mass) for log-spaced ones; rounded to the nearest
 * whole number, at least 1. */
PetscErrorCode hd_bump_n_bins(double lo, double hi, double width, hd_bump_binning kind, PetscInt *n_bins);

/* Not collective. n_bins + 1 edges from lo to hi (exactly), equal in m (linear) or in ln m (log). */
PetscErrorCode hd_bump_edges(double lo, double hi, PetscInt n_bins, hd_bump_binning kind, double *edges);

/* Not collective. Adds the n masses (GeV) that fall in [edges[0], edges[n_bins]) to counts (the
 * caller zeroes counts, and sums the counts of several ranks with an MPI_Allreduce); masses
 * outside are left out. A NaN mass is an error. */
PetscErrorCode hd_bump_histogram(PetscInt n, const float *mass, PetscInt n_bins, const double *edges, double *counts);

#endif
