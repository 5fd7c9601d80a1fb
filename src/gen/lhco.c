/* lhco generator: dijet events in the style of the LHC Olympics 2020 R&D set (docs/generators.md).
 *
 * Background: QCD dijets, mjj drawn from the dijet function used by the bump hunt (a falling
 * spectrum), the trigger (both jets above pt_min) giving the turn-on; jet masses from the
 * leading-log Sudakov of a quark or gluon jet at the jet pT (so the mass scales with pT and a mass
 * cut sculpts mjj); tau21 and tau32 one-prong-like, mildly anti-correlated with the jet mass.
 * Signal: W' -> X Y with X, Y -> q q (two-prong jets, low tau21). */
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

void hd_gen_lhco_defaults(hd_gen_lhco_params *p)
{
  memset(p, 0, sizeof(*p));
  p->signal_fraction = 0.0015;
  p->signal_mjj      = 3500.0;
  p->signal_mx       = 500.0;
  p->signal_my       = 100.0;
  p->sqrt_s          = 13000.0;
  p->p1              = 10.0;
  p->p2              = 4.5;
  p->p3              = 0.2;
  p->pt_min          = 1200.0;
  p->mjj_min         = 2.0 * p->pt_min; /* a balanced pair needs mjj >= 2 pT */
  p->mjj_max         = 8000.0;
  p->dy_max          = 1.3;
  p->jet_radius      = 1.0;
  p->alpha_s_mz      = 0.118;
  p->gluon_frac0     = 0.7;
  p->gluon_slope     = 3.0;
  p->ue_kappa        = 0.8;
  p->sig_mjj_res     = 0.04;
  p->sig_tail_frac   = 0.15;
  p->sig_tail_mean   = 0.05;
  p->sig_mass_res    = 0.05;
  p->qcd_tau21_med   = 0.68;
  p->qcd_tau21_slope = 0.10;
  p->qcd_tau32_med   = 0.78;
  p->qcd_tau32_slope = 0.05;
  p->qcd_tau_width   = 0.55;
  p->sig_tau21_med   = 0.30;
  p->sig_tau32_med   = 0.72;
  p->sig_tau_width   = 0.50;
}

/* The dijet function f(x) = (1-x)^p1 / x^(p2 + p3 ln x), x = mjj / sqrt(s) (the four-parameter
 * form of the CMS and ATLAS dijet searches, without its normalisation p0). */
static double lhco_dijet(const hd_gen_lhco_params *p, double mjj)
{
  double x = mjj / p->sqrt_s, lx = log(x);

  return exp(p->p1 * log1p(-x) - (p->p2 + p->p3 * lx) * lx);
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

  /* Piecewise-constant envelope of the background spectrum on equal cells in mjj; the dijet
   * function falls monotonically over the range (checked on a sub-grid), so its value at the
   * left edge of a cell bounds the cell and sampling by rejection is exact. */
  h = (p->mjj_max - p->mjj_min) / HD_GEN_LHCO_CELLS;
  for (int c = 0; c < HD_GEN_LHCO_CELLS; c++) {
    double a = p->mjj_min + c * h, fa = lhco_dijet(p, a);

    for (int s = 1; s <= 8; s++) PetscCheck(lhco_dijet(p, a + s * h / 8.0) <= fa, comm, HD_ERR_INTERNAL, "lhco dijet spectrum is not falling at mjj = %g GeV", a + s * h / 8.0);
    p->cell_fmax[c] = fa;
    total += fa; /* double: 2048 terms over many decades */
    p->cell_cdf[c] = total;
  }
  for (int c = 0; c < HD_GEN_LHCO_CELLS; c++) p->cell_cdf[c] /= total;
  p->cell_cdf[HD_GEN_LHCO_CELLS - 1] = 1.0;
  p->ready                           = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Background mjj by rejection from the envelope. */
static double lhco_sample_mjj(const hd_gen_lhco_params *p, hd_rng *r)
{
  double h = (p->mjj_max - p->mjj_min) / HD_GEN_LHCO_CELLS;

  for (;;) {
    double u = hd_rng_uniform(r);
    int    lo = 0, hi = HD_GEN_LHCO_CELLS - 1;

    while (lo < hi) { /* first cell whose cumulative weight reaches u */
      int mid = (lo + hi) / 2;

      if (p->cell_cdf[mid] >= u) hi = mid;
      else lo = mid + 1;
    }
    double m = p->mjj_min + (lo + hd_rng_uniform(r)) * h;

    if (hd_rng_uniform(r) * p->cell_fmax[lo] <= lhco_dijet(p, m)) return m;
  }
}

/* One-loop running coupling (nf = 5) from alpha_s(mZ). */
static double lhco_alpha_s(const hd_gen_lhco_params *p, double q)
{
  double b0 = 23.0 / (12.0 * LHCO_PI);

  return p->alpha_s_mz / (1.0 + p->alpha_s_mz * b0 * log(q * q / (LHCO_MZ * LHCO_MZ)));
}

/* A ratio in (0, 1) with a logit-normal distribution of median `med`, shifted by `shift` in logit. */
static double lhco_logit_normal(hd_rng *r, double med, double shift, double width)
{
  double mu = log(med / (1.0 - med)) + shift;

  return 1.0 / (1.0 + exp(-(mu + width * hd_rng_normal(r))));
}

/* A QCD jet of transverse momentum pt in an event at x = mjj / sqrt(s). The jet mass follows the
 * leading-log cumulative distribution Sigma(rho) = exp(-(alpha_s C / 2 pi) ln^2 rho) with
 * rho = (2 m / (pT R))^2 in (0, 1] (soft-collinear emissions; C = C_F or C_A), so m is a
 * pT-proportional draw: heavier jets at higher pT. Underlying event and hadronisation add
 * m^2 ~ kappa pT R^4 (Dasgupta, Magnea & Salam, JHEP 02 (2008) 055), fluctuating as Gamma(2)/2. */
static void lhco_qcd_jet(const hd_gen_lhco_params *p, hd_rng *r, double pt, double x, double *mass, double *tau21, double *tau32)
{
  int    gluon = hd_rng_uniform(r) < p->gluon_frac0 * exp(-p->gluon_slope * x);
  double c     = gluon ? 3.0 : 4.0 / 3.0;
  double a     = lhco_alpha_s(p, pt) * c / (2.0 * LHCO_PI);
  double l     = sqrt(-log(hd_rng_uniform(r)) / a); /* l = ln(1 / rho), inverse of Sigma */
  double mpert = 0.5 * pt * p->jet_radius * exp(-0.5 * l);

  double mue2  = p->ue_kappa * pt * pow(p->jet_radius, 4) * -0.5 * log(hd_rng_uniform(r) * hd_rng_uniform(r)); /* Gamma(2) = sum of two Exp(1) */

  *mass  = sqrt(mpert * mpert + mue2);
  *tau21 = lhco_logit_normal(r, p->qcd_tau21_med, p->qcd_tau21_slope * (l - 5.0), p->qcd_tau_width);
  *tau32 = lhco_logit_normal(r, p->qcd_tau32_med, p->qcd_tau32_slope * (l - 5.0), p->qcd_tau_width);
}

PetscErrorCode hd_gen_lhco_make(const hd_gen_lhco_params *p, uint64_t seed, uint64_t index, hd_gen_lhco_event *ev)
{
  hd_rng r;
  int    signal, tries;
  double mjj = 0.0, dy = 0.0, pt = 0.0, m[2], t21[2], t32[2];

  PetscFunctionBegin;
  PetscCheck(p->ready, PETSC_COMM_SELF, HD_ERR_INTERNAL, "hd_gen_lhco_setup() was not called");
  hd_rng_init(&r, seed, HD_STREAM_GEN_LHCO, index);
  signal = hd_rng_uniform(&r) < p->signal_fraction;

  /* mjj and the rapidity gap, kept when both jets pass the trigger. QCD: d sigma / d chi flat in
   * chi = exp|dy| (t-channel); signal: isotropic decay, cos theta* = tanh(dy / 2) flat. */
  for (tries = 0; tries < LHCO_MAX_TRIES; tries++) {
    if (!signal) {
      mjj = lhco_sample_mjj(p, &r);
      dy  = log(1.0 + hd_rng_uniform(&r) * (exp(p->dy_max) - 1.0));
    } else {
      mjj = p->signal_mjj * (1.0 + p->sig_mjj_res * hd_rng_normal(&r));
      if (hd_rng_uniform(&r) < p->sig_tail_frac) mjj *= 1.0 - p->sig_tail_mean * hd_rng_exponential(&r);
      dy = 2.0 * atanh(hd_rng_uniform(&r) * tanh(0.5 * p->dy_max));
    }
    pt = mjj / (2.0 * cosh(0.5 * dy)); /* massless balanced jets: mjj = 2 pT cosh(dy / 2) */
    if (pt >= p->pt_min) break;
  }
  PetscCheck(tries < LHCO_MAX_TRIES, PETSC_COMM_SELF, HD_ERR_INTERNAL, "lhco event %" PRIu64 ": no trigger-passing configuration in %d tries", index, LHCO_MAX_TRIES);

  if (!signal) {
    for (int j = 0; j < 2; j++) lhco_qcd_jet(p, &r, pt, mjj / p->sqrt_s, &m[j], &t21[j], &t32[j]);
  } else {
    m[0] = p->signal_mx * (1.0 + p->sig_mass_res * hd_rng_normal(&r));
    m[1] = p->signal_my * (1.0 + p->sig_mass_res * hd_rng_normal(&r));
    for (int j = 0; j < 2; j++) {
      t21[j] = lhco_logit_normal(&r, p->sig_tau21_med, 0.0, p->sig_tau_width);
      t32[j] = lhco_logit_normal(&r, p->sig_tau32_med, 0.0, p->sig_tau_width);
    }
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
  ev->pt          = pt;
  ev->dy          = dy;
  ev->mass[0]     = m[l];
  ev->mass[1]     = m[h];
  PetscFunctionReturn(PETSC_SUCCESS);
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
    {"signal_fraction", p->signal_fraction}, {"signal_mjj", p->signal_mjj},           {"signal_mx", p->signal_mx},
    {"signal_my", p->signal_my},             {"sqrt_s", p->sqrt_s},                   {"dijet_p1", p->p1},
    {"dijet_p2", p->p2},                     {"dijet_p3", p->p3},                     {"mjj_min", p->mjj_min},
    {"mjj_max", p->mjj_max},                 {"trigger_pt_min", p->pt_min},           {"dy_max", p->dy_max},
    {"jet_radius", p->jet_radius},           {"alpha_s_mz", p->alpha_s_mz},           {"gluon_frac0", p->gluon_frac0},
    {"gluon_slope", p->gluon_slope},         {"ue_kappa", p->ue_kappa},               {"sig_mjj_res", p->sig_mjj_res},
    {"sig_tail_frac", p->sig_tail_frac},     {"sig_tail_mean", p->sig_tail_mean},     {"sig_mass_res", p->sig_mass_res},
    {"qcd_tau21_med", p->qcd_tau21_med},     {"qcd_tau21_slope", p->qcd_tau21_slope}, {"qcd_tau32_med", p->qcd_tau32_med},
    {"qcd_tau32_slope", p->qcd_tau32_slope}, {"qcd_tau_width", p->qcd_tau_width},     {"sig_tau21_med", p->sig_tau21_med},
    {"sig_tau32_med", p->sig_tau32_med},     {"sig_tau_width", p->sig_tau_width},
  };

  PetscFunctionBegin;
  PetscCall(hd_events_writer_attr_strings(w, "classes", 2, classes));
  PetscCall(hd_events_writer_attr_strings(w, "signals", 1, classes + 1));
  PetscCall(hd_events_writer_attr_string(w, "mass_variable", "mjj"));
  for (size_t i = 0; i < sizeof(par) / sizeof(par[0]); i++) PetscCall(hd_events_writer_attr_double(w, par[i].name, par[i].value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_gen_model hd_gen_model_lhco = {"lhco", HD_GEN_LHCO_NFEATURES, hd_gen_lhco_feature_names, lhco_layout, NULL, NULL, lhco_rows, lhco_attributes};
