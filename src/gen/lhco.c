/* lhco generator: dijet events in the style of the LHC Olympics 2020 R&D set (docs/generators.md).
 *
 * Background: QCD dijets. The parton-level mjj follows the leading-order spectrum from parton
 * luminosities (effective-subprocess approximation, toy parton densities, running alpha_s), not
 * the dijet function the bump hunt fits. The dijet system gets a transverse kick from initial-state
 * radiation, each jet loses energy out of its cone and is smeared by the resolution, and the event
 * is kept when the leading jet passes the single-jet trigger: the turn-on in mjj comes from the
 * jets' pT. Jet masses from the leading-log Sudakov of a quark or gluon jet at the jet's pT (a mass
 * cut sculpts mjj); tau21 and tau32 one-prong-like, falling with the jet mass.
 * Signal: W' -> X Y with X, Y -> q q: two-prong jets (low tau21) unless the decay opens wider than
 * the jet, when one prong is lost; radiation out of the cone gives the jet masses a low-side tail. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <hadal/generate.h>
#include <hadal/rng.h>

const char *const hd_gen_lhco_feature_names[HD_GEN_LHCO_NFEATURES] = {"mj_light", "delta_mj", "tau21_j1", "tau21_j2", "tau32_j1", "tau32_j2"};

#define LHCO_MAX_TRIES 100000
#define LHCO_MZ        91.1876
#define LHCO_PI        3.14159265358979323846
#define LHCO_LUMI_PTS  401 /* Simpson points of the luminosity integral (odd) */

void hd_gen_lhco_defaults(hd_gen_lhco_params *p)
{
  /* toy parton densities x f(x) = N x^a (1-x)^b at a TeV scale: gluon, valence (u + d), sea (all
   * ten light quarks and antiquarks together) */
  const double pdf[3][3] = {
    {1.7, -0.2, 6.0},
    {3.0, 0.75, 3.5},
    {0.6, -0.2, 8.0}
  };

  memset(p, 0, sizeof(*p));
  p->signal_fraction = 0.002;
  p->signal_mjj      = 3500.0;
  p->signal_mx       = 500.0;
  p->signal_my       = 100.0;
  p->sqrt_s          = 13000.0;
  memcpy(p->pdf, pdf, sizeof(pdf));
  p->pt_min          = 1200.0;
  p->mjj_min         = 2000.0; /* below, the leading jet passes 1200 GeV in under 1e-4 of events */
  p->mjj_max         = 8000.0;
  p->dy_max          = 1.3;
  p->isr_qt          = 0.03;
  p->jet_res         = 0.045;
  p->fsr_loss        = 0.015;
  p->jet_radius      = 1.0;
  p->alpha_s_mz      = 0.118;
  p->gluon_frac0     = 0.7;
  p->gluon_slope     = 3.0;
  p->ue_kappa        = 0.8;
  p->sig_width       = 0.01;
  p->sig_mass_res    = 0.06;
  p->sig_mass_fsr    = 0.05;
  p->qcd_tau21_med   = 0.66;
  p->qcd_tau21_slope = 0.22;
  p->qcd_tau32_med   = 0.78;
  p->qcd_tau32_slope = 0.05;
  p->qcd_tau_width   = 0.55;
  p->sig_tau21_med   = 0.42;
  p->sig_tau32_med   = 0.72;
  p->sig_tau_width   = 0.70;
}

/* One-loop running coupling (nf = 5) from alpha_s(mZ). */
static double lhco_alpha_s(const hd_gen_lhco_params *p, double q)
{
  double b0 = 23.0 / (12.0 * LHCO_PI);

  return p->alpha_s_mz / (1.0 + p->alpha_s_mz * b0 * log(q * q / (LHCO_MZ * LHCO_MZ)));
}

/* Effective parton density x F(x) = x g(x) + 4/9 x Sigma_q(x) (the single effective subprocess
 * approximation of Combridge & Maxwell, Nucl. Phys. B239 (1984) 429: at LO the q g and q q
 * channels have about 4/9 and (4/9)^2 of the g g rate at equal angles). */
static double lhco_pdf_eff(const hd_gen_lhco_params *p, double x)
{
  const double w[3] = {1.0, 4.0 / 9.0, 4.0 / 9.0};
  double       f    = 0.0;

  if (x >= 1.0) return 0.0;
  for (int k = 0; k < 3; k++) f += w[k] * p->pdf[k][0] * pow(x, p->pdf[k][1]) * pow(1.0 - x, p->pdf[k][2]);
  return f;
}

/* ln of the parton-level spectrum dsigma/dmjj up to a constant: with tau = mjj^2 / s, the
 * luminosity I(tau) = int_tau^1 dx/x xF(x) (tau/x)F(tau/x) and a partonic cross section
 * alpha_s^2 / s-hat, dsigma/dmjj ~ alpha_s(mjj)^2 tau^(-3/2) I(tau). I by Simpson's rule in ln x. */
static double lhco_log_spectrum(const hd_gen_lhco_params *p, double mjj)
{
  double tau = mjj * mjj / (p->sqrt_s * p->sqrt_s), lt = log(tau), h = -lt / (LHCO_LUMI_PTS - 1), sum = 0.0, as = lhco_alpha_s(p, mjj);

  for (int k = 0; k < LHCO_LUMI_PTS; k++) {
    double s = lt + k * h, v = lhco_pdf_eff(p, exp(s)) * lhco_pdf_eff(p, tau * exp(-s));

    sum += v * ((k == 0 || k == LHCO_LUMI_PTS - 1) ? 1.0 : (k % 2 ? 4.0 : 2.0));
  }
  return log(as * as * sum * h / 3.0) - 1.5 * lt;
}

/* Largest X or Y mass whose two prongs (Delta R ~ 2 m / pT) fit inside one jet of radius R, for the
 * softest jets the signal gives (pT = mjj / (2 cosh(dy_max / 2))). */
static double lhco_signal_mass_limit(const hd_gen_lhco_params *p) { return p->signal_mjj * p->jet_radius / (4.0 * cosh(0.5 * p->dy_max)); }

PetscErrorCode hd_gen_lhco_setup(MPI_Comm comm, hd_gen_lhco_params *p)
{
  double mjj_lo = 2.2 * p->pt_min, mjj_hi = 0.875 * p->mjj_max, mlim = lhco_signal_mass_limit(p), h, total = 0.0;
  char   v[7][64];

  PetscFunctionBegin;
  /* numbers are formatted here: PETSc's printf writes integral doubles as "3500." */
  snprintf(v[0], sizeof(v[0]), "%g", p->signal_fraction);
  snprintf(v[1], sizeof(v[1]), "%g", p->signal_mjj);
  snprintf(v[2], sizeof(v[2]), "%g", p->signal_mx);
  snprintf(v[3], sizeof(v[3]), "%g", p->signal_my);
  snprintf(v[4], sizeof(v[4]), "[%g, %g]", mjj_lo, mjj_hi);
  snprintf(v[5], sizeof(v[5]), "(0, %g]", mlim);
  snprintf(v[6], sizeof(v[6]), "%g", p->jet_radius);
  PetscCheck(isfinite(p->signal_fraction) && p->signal_fraction >= 0.0 && p->signal_fraction <= 1.0, comm, HD_ERR_USER_INPUT, "-signal_fraction must lie in [0, 1], got %s", v[0]);
  PetscCheck(isfinite(p->signal_mjj) && p->signal_mjj >= mjj_lo && p->signal_mjj <= mjj_hi, comm, HD_ERR_USER_INPUT, "-signal_mjj %s GeV is outside the lhco generator's mjj range %s GeV", v[1], v[4]);
  PetscCheck(isfinite(p->signal_mx) && p->signal_mx > 0.0 && p->signal_mx <= mlim, comm, HD_ERR_USER_INPUT, "-signal_mx %s GeV is outside the allowed range %s GeV for -signal_mjj %s (both prongs of X must fit in an R = %s jet)", v[2], v[5], v[1], v[6]);
  PetscCheck(isfinite(p->signal_my) && p->signal_my > 0.0 && p->signal_my <= mlim, comm, HD_ERR_USER_INPUT, "-signal_my %s GeV is outside the allowed range %s GeV for -signal_mjj %s (both prongs of Y must fit in an R = %s jet)", v[3], v[5], v[1], v[6]);

  /* The spectrum tabulated at the cell edges; within a cell its logarithm is linear (the density
   * exponential), which the sampler draws exactly. Weight of a cell: int_0^h fa e^(k t) dt. */
  h = (p->mjj_max - p->mjj_min) / HD_GEN_LHCO_CELLS;
  for (int c = 0; c <= HD_GEN_LHCO_CELLS; c++) {
    p->cell_logf[c] = lhco_log_spectrum(p, p->mjj_min + c * h);
    PetscCheck(isfinite(p->cell_logf[c]), comm, HD_ERR_INTERNAL, "lhco mjj spectrum is not finite at mjj = %g GeV", p->mjj_min + c * h);
  }
  for (int c = 0; c < HD_GEN_LHCO_CELLS; c++) {
    double d = p->cell_logf[c + 1] - p->cell_logf[c], w = fabs(d) > 1e-12 ? exp(p->cell_logf[c] - p->cell_logf[0]) * h * expm1(d) / d : exp(p->cell_logf[c] - p->cell_logf[0]) * h;

    total += w; /* double: 2048 terms over many decades */
    p->cell_cdf[c] = total;
  }
  for (int c = 0; c < HD_GEN_LHCO_CELLS; c++) p->cell_cdf[c] /= total;
  p->cell_cdf[HD_GEN_LHCO_CELLS - 1] = 1.0;
  p->ready                           = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Parton-level background mjj: a cell by its weight, then the exponential density within it. */
static double lhco_sample_mjj(const hd_gen_lhco_params *p, hd_rng *r)
{
  double h = (p->mjj_max - p->mjj_min) / HD_GEN_LHCO_CELLS, u = hd_rng_uniform(r), v = hd_rng_uniform(r), k, t;
  int    lo = 0, hi = HD_GEN_LHCO_CELLS - 1;

  while (lo < hi) { /* first cell whose cumulative weight reaches u */
    int mid = (lo + hi) / 2;

    if (p->cell_cdf[mid] >= u) hi = mid;
    else lo = mid + 1;
  }
  k = (p->cell_logf[lo + 1] - p->cell_logf[lo]) / h;
  t = fabs(k * h) > 1e-12 ? log1p(v * expm1(k * h)) / k : v * h;
  return p->mjj_min + lo * h + t;
}

/* A ratio in (0, 1) with a logit-normal distribution of median `med`, shifted by `shift` in logit. */
static double lhco_logit_normal(hd_rng *r, double med, double shift, double width)
{
  double mu = log(med / (1.0 - med)) + shift;

  return 1.0 / (1.0 + exp(-(mu + width * hd_rng_normal(r))));
}

/* Mass of a one-prong (quark or gluon) jet of transverse momentum pt: the leading-log cumulative
 * distribution Sigma(rho) = exp(-(alpha_s C / 2 pi) ln^2 rho), rho = (2 m / (pT R))^2 in (0, 1]
 * (soft-collinear emissions; C = C_F or C_A), so m is a pT-proportional draw: heavier jets at
 * higher pT. Underlying event and hadronisation add m^2 ~ kappa pT R^4 (Dasgupta, Magnea & Salam,
 * JHEP 02 (2008) 055), fluctuating as Gamma(2)/2. */
static double lhco_one_prong_mass(const hd_gen_lhco_params *p, hd_rng *r, double pt, int gluon)
{
  double c = gluon ? 3.0 : 4.0 / 3.0, lu = -log(hd_rng_uniform(r)), l = 0.0, mpert = 0.5 * pt * p->jet_radius;

  /* l = ln(1 / rho) from Sigma = u; the coupling at the scale of the emission that makes the mass
   * (about the mass itself, at least 20 GeV), found by two fixed-point steps from alpha_s(pT) */
  for (int it = 0; it < 3; it++) {
    double a = lhco_alpha_s(p, it ? PetscMax(mpert, 20.0) : pt) * c / (2.0 * LHCO_PI);

    l     = sqrt(lu / a);
    mpert = 0.5 * pt * p->jet_radius * exp(-0.5 * l);
  }

  return sqrt(mpert * mpert + p->ue_kappa * pt * pow(p->jet_radius, 4) * -0.5 * log(hd_rng_uniform(r) * hd_rng_uniform(r))); /* Gamma(2) = sum of two Exp(1) */
}

/* N-subjettiness ratios of a one-prong jet of mass m and transverse momentum pt: logit-normal,
 * the median shifted by slope (L - 5) with L = ln(1 / rho) = ln((pT R / 2 m)^2): heavier jets
 * (smaller L) have more two-prong-like substructure, lower tau21. */
static void lhco_one_prong_taus(const hd_gen_lhco_params *p, hd_rng *r, double pt, double m, double *tau21, double *tau32)
{
  double l = 2.0 * log(0.5 * pt * p->jet_radius / m);

  *tau21 = lhco_logit_normal(r, p->qcd_tau21_med, p->qcd_tau21_slope * (l - 5.0), p->qcd_tau_width);
  *tau32 = lhco_logit_normal(r, p->qcd_tau32_med, p->qcd_tau32_slope * (l - 5.0), p->qcd_tau_width);
}

/* A signal jet: the resonance R (X or Y, mass mres) -> q q at transverse momentum pt (its full
 * momentum), z the momentum fraction of one quark (isotropic decay: z uniform). The quarks
 * open to Delta R = mres / (pT sqrt(z (1 - z))); wider than the jet radius, the softer quark is
 * lost and the jet is the harder quark alone, a one-prong jet. Otherwise the mass is mres with the
 * resolution, less a fraction radiated out of the cone (exponential: the low-side tail), plus the
 * underlying event. */
static int lhco_prong_lost(const hd_gen_lhco_params *p, double mres, double pt, double z) { return mres / (pt * sqrt(z * (1.0 - z))) > p->jet_radius; }

static void lhco_signal_jet(const hd_gen_lhco_params *p, hd_rng *r, double mres, double pt, int lost, double *mass, double *tau21, double *tau32)
{
  if (lost) {
    *mass = lhco_one_prong_mass(p, r, pt, 0);
    lhco_one_prong_taus(p, r, pt, *mass, tau21, tau32);
  } else {
    double m = mres * (1.0 + p->sig_mass_res * hd_rng_normal(r)) * (1.0 - p->sig_mass_fsr * hd_rng_exponential(r));

    m     = PetscMax(m, 1.0);
    *mass = sqrt(m * m + p->ue_kappa * pt * pow(p->jet_radius, 4) * -0.5 * log(hd_rng_uniform(r) * hd_rng_uniform(r)));
    *tau21 = lhco_logit_normal(r, p->sig_tau21_med, 0.0, p->sig_tau_width);
    *tau32 = lhco_logit_normal(r, p->sig_tau32_med, 0.0, p->sig_tau_width);
  }
}

PetscErrorCode hd_gen_lhco_make(const hd_gen_lhco_params *p, uint64_t seed, uint64_t index, hd_gen_lhco_event *ev)
{
  hd_rng r;
  int    signal, tries, x_first = 0, lost[2] = {0, 0};
  double mjj = 0.0, dy = 0.0, z[2] = {0.5, 0.5}, pj[2][4], pt[2] = {0.0, 0.0}, m[2], t21[2], t32[2];

  PetscFunctionBegin;
  PetscCheck(p->ready, PETSC_COMM_SELF, HD_ERR_INTERNAL, "hd_gen_lhco_setup() was not called");
  hd_rng_init(&r, seed, HD_STREAM_GEN_LHCO, index);
  signal = hd_rng_uniform(&r) < p->signal_fraction;

  /* The two jets' momenta, kept when the leading jet passes the trigger. QCD: d sigma / d chi flat
   * in chi = exp|dy| (t-channel); signal: isotropic decay, cos theta* = tanh(dy / 2) flat. */
  for (tries = 0; tries < LHCO_MAX_TRIES; tries++) {
    double cth, sth, phi, qt, beta, gam, resp[2];

    if (!signal) {
      mjj = lhco_sample_mjj(p, &r);
      dy  = log(1.0 + hd_rng_uniform(&r) * (exp(p->dy_max) - 1.0));
    } else {
      mjj     = p->signal_mjj * (1.0 + p->sig_width * hd_rng_normal(&r));
      dy      = 2.0 * atanh(hd_rng_uniform(&r) * tanh(0.5 * p->dy_max));
      x_first = hd_rng_uniform(&r) < 0.5; /* which jet is X */
      z[0]    = hd_rng_uniform(&r);
      z[1]    = hd_rng_uniform(&r);
    }
    /* massless partons back to back in the dijet rest frame at cos theta* = tanh(dy / 2) and a
     * random azimuth, then boosted along x by the system's transverse momentum qt (initial-state
     * radiation, exponential of mean isr_qt mjj) */
    cth  = tanh(0.5 * dy);
    sth  = sqrt(1.0 - cth * cth);
    phi  = 2.0 * LHCO_PI * hd_rng_uniform(&r);
    qt   = p->isr_qt * mjj * hd_rng_exponential(&r);
    gam  = sqrt(mjj * mjj + qt * qt) / mjj;
    beta = qt / sqrt(mjj * mjj + qt * qt);
    for (int j = 0; j < 2; j++) {
      double sgn = j ? -1.0 : 1.0, e = 0.5 * mjj, px = sgn * e * sth * cos(phi), py = sgn * e * sth * sin(phi), pz = sgn * e * cth;

      pj[j][0] = gam * (e + beta * px);
      pj[j][1] = gam * (px + beta * e);
      pj[j][2] = py;
      pj[j][3] = pz;
      /* the jet's response: energy radiated out of the cone, then the resolution; a signal jet
       * that loses a prong keeps only the harder quark's share */
      resp[j] = (1.0 - p->fsr_loss * hd_rng_exponential(&r)) * (1.0 + p->jet_res * hd_rng_normal(&r));
      if (signal) {
        double mres = (j == 0) == x_first ? p->signal_mx : p->signal_my, ptj = sqrt(pj[j][1] * pj[j][1] + pj[j][2] * pj[j][2]);

        lost[j] = lhco_prong_lost(p, mres, resp[j] * ptj, z[j]);
        if (lost[j]) resp[j] *= PetscMax(z[j], 1.0 - z[j]);
      }
      resp[j] = PetscMax(resp[j], 0.05);
      for (int k = 0; k < 4; k++) pj[j][k] *= resp[j];
      pt[j] = sqrt(pj[j][1] * pj[j][1] + pj[j][2] * pj[j][2]);
    }
    if (PetscMax(pt[0], pt[1]) >= p->pt_min) break;
  }
  PetscCheck(tries < LHCO_MAX_TRIES, PETSC_COMM_SELF, HD_ERR_INTERNAL, "lhco event %" PRIu64 ": no trigger-passing configuration in %d tries", index, LHCO_MAX_TRIES);

  for (int j = 0; j < 2; j++) {
    if (!signal) {
      int gluon = hd_rng_uniform(&r) < p->gluon_frac0 * exp(-p->gluon_slope * mjj / p->sqrt_s);

      m[j] = lhco_one_prong_mass(p, &r, pt[j], gluon);
      lhco_one_prong_taus(p, &r, pt[j], m[j], &t21[j], &t32[j]);
    } else {
      double mres = (j == 0) == x_first ? p->signal_mx : p->signal_my;

      /* a lost prong: pt[j] is already the harder quark's; otherwise the resonance's */
      lhco_signal_jet(p, &r, mres, pt[j], lost[j], &m[j], &t21[j], &t32[j]);
    }
  }

  {
    /* measured mjj from the jets' four-momenta with their masses (three-momenta kept) */
    double e[2], sx = pj[0][1] + pj[1][1], sy = pj[0][2] + pj[1][2], sz = pj[0][3] + pj[1][3];

    for (int j = 0; j < 2; j++) e[j] = sqrt(pj[j][1] * pj[j][1] + pj[j][2] * pj[j][2] + pj[j][3] * pj[j][3] + m[j] * m[j]);
    ev->mjj_true = mjj;
    mjj          = sqrt(PetscMax((e[0] + e[1]) * (e[0] + e[1]) - sx * sx - sy * sy - sz * sz, 0.0));
  }

  int l = m[0] <= m[1] ? 0 : 1, h = 1 - l; /* j1 = lighter jet, j2 = heavier jet */

  ev->features[0] = (float)m[l];
  ev->features[1] = (float)(m[h] - m[l]);
  ev->features[2] = (float)t21[l];
  ev->features[3] = (float)t21[h];
  ev->features[4] = (float)t32[l];
  ev->features[5] = (float)t32[h];
  ev->mjj         = (float)mjj;
  ev->label       = signal ? 1 : 0;
  ev->pt          = PetscMax(pt[0], pt[1]);
  ev->pt_j[0]     = pt[l];
  ev->pt_j[1]     = pt[h];
  ev->dy          = dy;
  ev->mass[0]     = m[l];
  ev->mass[1]     = m[h];
  ev->lost[0]     = lost[l];
  ev->lost[1]     = lost[h];
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* tau_a / tau_b, 1 when tau_b is not positive (counted in *n_zero). */
static double lhco_tau_ratio(double a, double b, int *n_zero)
{
  if (b > 0.0) return a / b;
  (*n_zero)++;
  return 1.0;
}

int hd_gen_lhco_from_jets(const double jet[2][7], float features[HD_GEN_LHCO_NFEATURES], double *mjj)
{
  double e = 0.0, px = 0.0, py = 0.0, pz = 0.0, t21[2], t32[2];
  int    l = jet[0][3] <= jet[1][3] ? 0 : 1, h = 1 - l, n_zero = 0; /* j1 = lighter jet */

  for (int j = 0; j < 2; j++) {
    e += sqrt(jet[j][0] * jet[j][0] + jet[j][1] * jet[j][1] + jet[j][2] * jet[j][2] + jet[j][3] * jet[j][3]);
    px += jet[j][0];
    py += jet[j][1];
    pz += jet[j][2];
    t21[j] = lhco_tau_ratio(jet[j][5], jet[j][4], &n_zero);
    t32[j] = lhco_tau_ratio(jet[j][6], jet[j][5], &n_zero);
  }
  *mjj        = sqrt(PetscMax(e * e - px * px - py * py - pz * pz, 0.0));
  features[0] = (float)jet[l][3];
  features[1] = (float)(jet[h][3] - jet[l][3]);
  features[2] = (float)t21[l];
  features[3] = (float)t21[h];
  features[4] = (float)t32[l];
  features[5] = (float)t32[h];
  return n_zero;
}

PetscErrorCode hd_gen_lhco_rows(const hd_gen_lhco_params *p, uint64_t seed, int64_t row0, PetscInt count, float *features, float *mass, int32_t *label)
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < count; i++) {
    hd_gen_lhco_event ev;

    PetscCall(hd_gen_lhco_make(p, seed, (uint64_t)(row0 + i), &ev));
    memcpy(features + (size_t)i * HD_GEN_LHCO_NFEATURES, ev.features, sizeof(ev.features));
    mass[i]  = ev.mjj;
    label[i] = ev.label;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the skeleton's model (include/hadal/generate.h) ---- */

static void lhco_layout(const hd_gen_config *cfg, hd_events_layout *L)
{
  (void)cfg;
  L->has_mass = PETSC_TRUE; /* mjj */
}

static PetscErrorCode lhco_rows(const hd_gen_config *cfg, void *work, int64_t row0, PetscInt count, const hd_gen_rows *out)
{
  PetscFunctionBegin;
  (void)work;
  PetscCall(hd_gen_lhco_rows(&cfg->lhco, cfg->seed, row0, count, out->features, out->mass, out->label));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Classes, signals and every model constant, so a file says how it was made. */
static PetscErrorCode lhco_attributes(const hd_gen_config *cfg, hd_events_writer w)
{
  const hd_gen_lhco_params *p          = &cfg->lhco;
  const char *const         classes[2] = {"qcd_dijet", "wprime_xy"};
  const struct {
    const char *name;
    double      value;
  } par[] = {
    {"signal_fraction", p->signal_fraction}, {"signal_mjj", p->signal_mjj},         {"signal_mx", p->signal_mx},
    {"signal_my", p->signal_my},             {"sqrt_s", p->sqrt_s},                 {"pdf_g_norm", p->pdf[0][0]},
    {"pdf_g_a", p->pdf[0][1]},               {"pdf_g_b", p->pdf[0][2]},             {"pdf_v_norm", p->pdf[1][0]},
    {"pdf_v_a", p->pdf[1][1]},               {"pdf_v_b", p->pdf[1][2]},             {"pdf_s_norm", p->pdf[2][0]},
    {"pdf_s_a", p->pdf[2][1]},               {"pdf_s_b", p->pdf[2][2]},             {"mjj_min", p->mjj_min},
    {"mjj_max", p->mjj_max},                 {"trigger_pt_min", p->pt_min},         {"dy_max", p->dy_max},
    {"isr_qt", p->isr_qt},                   {"jet_res", p->jet_res},               {"fsr_loss", p->fsr_loss},
    {"jet_radius", p->jet_radius},           {"alpha_s_mz", p->alpha_s_mz},         {"gluon_frac0", p->gluon_frac0},
    {"gluon_slope", p->gluon_slope},         {"ue_kappa", p->ue_kappa},             {"sig_width", p->sig_width},
    {"sig_mass_res", p->sig_mass_res},       {"sig_mass_fsr", p->sig_mass_fsr},     {"qcd_tau21_med", p->qcd_tau21_med},
    {"qcd_tau21_slope", p->qcd_tau21_slope}, {"qcd_tau32_med", p->qcd_tau32_med},   {"qcd_tau32_slope", p->qcd_tau32_slope},
    {"qcd_tau_width", p->qcd_tau_width},     {"sig_tau21_med", p->sig_tau21_med},   {"sig_tau32_med", p->sig_tau32_med},
    {"sig_tau_width", p->sig_tau_width},
  };

  PetscFunctionBegin;
  PetscCall(hd_events_writer_attr_strings(w, "classes", 2, classes));
  PetscCall(hd_events_writer_attr_strings(w, "signals", 1, classes + 1));
  PetscCall(hd_events_writer_attr_string(w, "mass_variable", "mjj"));
  for (size_t i = 0; i < sizeof(par) / sizeof(par[0]); i++) PetscCall(hd_events_writer_attr_double(w, par[i].name, par[i].value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_gen_model hd_gen_model_lhco = {"lhco", HD_GEN_LHCO_NFEATURES, hd_gen_lhco_feature_names, lhco_layout, NULL, NULL, lhco_rows, lhco_attributes};
