/* adc2021 generator: events in the layout of the 2021 Anomaly Detection Data Challenge
 * ("Unsupervised new physics detection at 40 MHz", Govorkova et al. 2021; seed 002 §III), with a
 * parametric model of the physics (docs/generators.md says what is modelled and what is not).
 *
 * Per event: a process (an SM one by its share, or an injected signal), its hard objects from
 * exact two-body decays of bosons produced with a pT and rapidity spectrum (isotropic in the rest
 * frame, Breit-Wigner masses), tau leptons decayed collinearly into a lepton or a hadronic jet,
 * extra jets from initial-state radiation and pile-up, Gaussian detector resolutions, acceptance
 * cuts, and the missing transverse momentum as minus the sum of what is seen plus a resolution
 * term. An event without an electron or muon above the trigger threshold is drawn again from the
 * same stream (the challenge's single-lepton selection). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <hadal/generate.h>
#include <hadal/rng.h>

#define ADC_PI        3.14159265358979323846
#define ADC_MAX_TRIES 100000
#define ADC_MAX_OBJ   64 /* objects of one event before the selection keeps 4 + 4 + 10 */

static const char *const adc_signal_names[HD_GEN_ADC2021_NSIGNALS] = {"lq_btau", "a_4l", "h0_tautau", "hpm_taunu"};
static const char *const adc_sm_names[HD_GEN_ADC2021_NSM]          = {"w_lnu", "qcd", "z_ll", "ttbar"};

/* Column names: met, e1..e4, mu1..mu4, j1..j10, each _pt, _eta, _phi. */
#define ADC_OBJ(o) #o "_pt", #o "_eta", #o "_phi"
const char *const hd_gen_adc2021_feature_names[HD_GEN_ADC2021_NFEATURES] = {ADC_OBJ(met), ADC_OBJ(e1), ADC_OBJ(e2), ADC_OBJ(e3), ADC_OBJ(e4), ADC_OBJ(mu1), ADC_OBJ(mu2), ADC_OBJ(mu3), ADC_OBJ(mu4), ADC_OBJ(j1), ADC_OBJ(j2), ADC_OBJ(j3), ADC_OBJ(j4), ADC_OBJ(j5), ADC_OBJ(j6), ADC_OBJ(j7), ADC_OBJ(j8), ADC_OBJ(j9), ADC_OBJ(j10)};

const char *hd_gen_adc2021_signal_name(PetscInt k) { return k >= 0 && k < HD_GEN_ADC2021_NSIGNALS ? adc_signal_names[k] : "?"; }

void hd_gen_adc2021_defaults(hd_gen_adc2021_params *p)
{
  memset(p, 0, sizeof(*p));
  p->signal_fraction = 0.001;
  p->n_signals       = HD_GEN_ADC2021_NSIGNALS;
  for (int k = 0; k < HD_GEN_ADC2021_NSIGNALS; k++) p->signals[k] = k;
  /* SM shares of the challenge's background sample (Govorkova et al. 2021, table 1) */
  p->sm_share[0] = 0.592;
  p->sm_share[1] = 0.338;
  p->sm_share[2] = 0.067;
  p->sm_share[3] = 0.003;
  p->lepton_trigger_pt = 23.0;
  p->e_pt_min = 3.0, p->e_eta_max = 3.0;
  p->mu_pt_min = 3.0, p->mu_eta_max = 2.1;
  p->jet_pt_min = 15.0, p->jet_eta_max = 4.0;
  p->lepton_res = 0.02;
  p->jet_res_stoch = 1.0, p->jet_res_const = 0.05;
  p->met_res = 0.6;
  p->pileup_jets = 0.8;
  p->isr_jets    = 0.7;
  p->lq_mass = 80.0, p->a_mass = 50.0, p->h0_mass = 60.0, p->hpm_mass = 60.0;
  p->lq_pair_excess = 0.3;
}

PetscErrorCode hd_gen_adc2021_parse_signals(MPI_Comm comm, const char *list, hd_gen_adc2021_params *p)
{
  char        buf[256];
  const char *tok;
  char       *save = NULL;

  PetscFunctionBegin;
  snprintf(buf, sizeof(buf), "%s", list);
  p->n_signals = 0;
  if (!strcmp(buf, "none") || !buf[0]) PetscFunctionReturn(PETSC_SUCCESS);
  for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    int k;

    for (k = 0; k < HD_GEN_ADC2021_NSIGNALS; k++)
      if (!strcmp(tok, adc_signal_names[k])) break;
    PetscCheck(k < HD_GEN_ADC2021_NSIGNALS, comm, HD_ERR_USER_INPUT, "-signals: unknown signal '%s' (known: lq_btau, a_4l, h0_tautau, hpm_taunu, or none)", tok);
    for (PetscInt j = 0; j < p->n_signals; j++) PetscCheck(p->signals[j] != k, comm, HD_ERR_USER_INPUT, "-signals lists '%s' twice", tok);
    p->signals[p->n_signals++] = k;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_gen_adc2021_setup(MPI_Comm comm, hd_gen_adc2021_params *p)
{
  char v[64];

  PetscFunctionBegin;
  snprintf(v, sizeof(v), "%g", p->signal_fraction);
  PetscCheck(isfinite(p->signal_fraction) && p->signal_fraction >= 0.0 && p->n_signals * p->signal_fraction <= 1.0, comm, HD_ERR_USER_INPUT, "-signal_fraction must lie in [0, 1 / number of signals], got %s", v);
  p->ready = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- kinematics ---- */

typedef struct {
  double e, px, py, pz;
} adc_p4;

typedef enum { ADC_E, ADC_MU, ADC_JET, ADC_NU } adc_kind;

typedef struct {
  adc_kind kind;
  adc_p4   p;
} adc_obj;

typedef struct {
  adc_obj o[ADC_MAX_OBJ];
  int     n;
} adc_event;

static double adc_pt(const adc_p4 *p) { return hypot(p->px, p->py); }
static double adc_eta(const adc_p4 *p)
{
  double pt = adc_pt(p);

  return pt > 0 ? asinh(p->pz / pt) : 0.0;
}

static adc_p4 adc_from_ptetaphim(double pt, double eta, double phi, double m)
{
  adc_p4 p;

  p.px = pt * cos(phi);
  p.py = pt * sin(phi);
  p.pz = pt * sinh(eta);
  p.e  = sqrt(p.px * p.px + p.py * p.py + p.pz * p.pz + m * m);
  return p;
}

/* Lorentz boost of q (given in the rest frame of `by`) to the frame where `by` has its momentum. */
static adc_p4 adc_boost(adc_p4 q, const adc_p4 *by)
{
  double m  = sqrt(fmax(by->e * by->e - by->px * by->px - by->py * by->py - by->pz * by->pz, 1e-12));
  double bx = by->px / by->e, byy = by->py / by->e, bz = by->pz / by->e, b2 = bx * bx + byy * byy + bz * bz;
  double g  = by->e / m, bp = bx * q.px + byy * q.py + bz * q.pz, g2 = b2 > 0 ? (g - 1.0) / b2 : 0.0;
  adc_p4 r;

  r.px = q.px + g2 * bp * bx + g * bx * q.e;
  r.py = q.py + g2 * bp * byy + g * byy * q.e;
  r.pz = q.pz + g2 * bp * bz + g * bz * q.e;
  r.e  = g * (q.e + bp);
  return r;
}

/* Isotropic two-body decay of a parent of mass M (momentum `parent`) into masses m1, m2. */
static void adc_decay(hd_rng *r, const adc_p4 *parent, double m1, double m2, adc_p4 *d1, adc_p4 *d2)
{
  double M = sqrt(fmax(parent->e * parent->e - parent->px * parent->px - parent->py * parent->py - parent->pz * parent->pz, 0.0));
  double a = (M * M - (m1 + m2) * (m1 + m2)), b = (M * M - (m1 - m2) * (m1 - m2));
  double q = a > 0 ? sqrt(a * b) / (2.0 * M) : 0.0;
  double c = 2.0 * hd_rng_uniform(r) - 1.0, s = sqrt(fmax(0.0, 1.0 - c * c)), phi = 2.0 * ADC_PI * hd_rng_uniform(r);
  adc_p4 k1 = {sqrt(q * q + m1 * m1), q * s * cos(phi), q * s * sin(phi), q * c};
  adc_p4 k2 = {sqrt(q * q + m2 * m2), -k1.px, -k1.py, -k1.pz};

  *d1 = adc_boost(k1, parent);
  *d2 = adc_boost(k2, parent);
}

/* Relativistic Breit-Wigner mass by inversion of the Cauchy CDF, kept within [lo, hi]. */
static double adc_bw(hd_rng *r, double m, double width, double lo, double hi)
{
  for (int t = 0; t < 1000; t++) {
    double x = m + 0.5 * width * tan(ADC_PI * (hd_rng_uniform(r) - 0.5));

    if (x > lo && x < hi) return x;
  }
  return m;
}

/* A produced resonance: pT from a soft Gamma(2) core (mean `pt_mean`) with a power-law tail
 * above 20 GeV in a fraction of events, rapidity Gaussian (sigma 1.8), flat phi. */
static adc_p4 adc_produce(hd_rng *r, double m, double pt_mean)
{
  double pt  = hd_rng_uniform(r) < 0.12 ? 20.0 * pow(hd_rng_uniform(r), -1.0 / 2.5) : 0.5 * pt_mean * hd_rng_gamma(r, 2.0);
  double y   = 1.8 * hd_rng_normal(r), phi = 2.0 * ADC_PI * hd_rng_uniform(r);
  double mt  = sqrt(m * m + pt * pt);
  adc_p4 p   = {mt * cosh(y), pt * cos(phi), pt * sin(phi), mt * sinh(y)};

  return p;
}

static void adc_add(adc_event *ev, adc_kind k, adc_p4 p)
{
  if (ev->n < ADC_MAX_OBJ) {
    ev->o[ev->n].kind = k;
    ev->o[ev->n].p    = p;
    ev->n++;
  }
}

static adc_p4 adc_scale(adc_p4 p, double x)
{
  adc_p4 q = {p.e * x, p.px * x, p.py * x, p.pz * x};

  return q;
}

/* A tau of momentum t: leptonic (35%: e or mu with a fraction x of the tau momentum, the rest
 * neutrinos) or hadronic (a jet with a larger fraction); collinear. */
static void adc_tau(hd_rng *r, adc_event *ev, adc_p4 t)
{
  double u = hd_rng_uniform(r);

  if (u < 0.35) {
    double x = 1.0 - sqrt(hd_rng_uniform(r)); /* softer: three-body */
    adc_add(ev, u < 0.175 ? ADC_E : ADC_MU, adc_scale(t, x));
    adc_add(ev, ADC_NU, adc_scale(t, 1.0 - x));
  } else {
    double x = 0.3 + 0.7 * sqrt(hd_rng_uniform(r));
    adc_add(ev, ADC_JET, adc_scale(t, x));
    adc_add(ev, ADC_NU, adc_scale(t, 1.0 - x));
  }
}

/* A W of momentum w decayed to leptons (e, mu or tau) or, when `hadronic_ok` and drawn, to two
 * jets. */
static void adc_w_decay(hd_rng *r, adc_event *ev, const adc_p4 *w, int hadronic_ok)
{
  adc_p4 a, b;
  double u = hd_rng_uniform(r);

  adc_decay(r, w, 0.0, 0.0, &a, &b);
  if (hadronic_ok && u < 0.676) {
    adc_add(ev, ADC_JET, a);
    adc_add(ev, ADC_JET, b);
  } else {
    double v = hd_rng_uniform(r);

    if (v < 1.0 / 3.0) adc_add(ev, ADC_E, a);
    else if (v < 2.0 / 3.0) adc_add(ev, ADC_MU, a);
    else adc_tau(r, ev, a);
    adc_add(ev, ADC_NU, b);
  }
}

/* Extra jets: Poisson(mean) of them with pT from a power law above `ptmin`. */
static void adc_extra_jets(hd_rng *r, adc_event *ev, double mean, double ptmin, double power)
{
  double l = exp(-mean), prod = hd_rng_uniform(r);

  while (prod > l) {
    double pt = ptmin * pow(hd_rng_uniform(r), -1.0 / power);

    adc_add(ev, ADC_JET, adc_from_ptetaphim(pt, 2.8 * (2.0 * hd_rng_uniform(r) - 1.0), 2.0 * ADC_PI * hd_rng_uniform(r), 0.1 * pt));
    prod *= hd_rng_uniform(r);
  }
}

static void adc_hard_process(const hd_gen_adc2021_params *p, hd_rng *r, int proc, adc_event *ev)
{
  adc_p4 x, a, b, c, d;

  ev->n = 0;
  switch (proc) {
  case 0: /* W -> l nu */
    x = adc_produce(r, adc_bw(r, 80.4, 2.1, 40.0, 200.0), 10.0);
    adc_w_decay(r, ev, &x, 0);
    adc_extra_jets(r, ev, p->isr_jets, 20.0, 2.5);
    break;
  case 1: { /* QCD multijet with a lepton from a heavy-flavour decay */
    double pt = 25.0 * pow(hd_rng_uniform(r), -1.0 / 3.0), phi = 2.0 * ADC_PI * hd_rng_uniform(r);
    double eta1 = 2.5 * hd_rng_normal(r) * 0.6, eta2 = 2.5 * hd_rng_normal(r) * 0.6;
    double z = 0.3 + 0.65 * hd_rng_uniform(r);
    adc_p4 j1 = adc_from_ptetaphim(pt, eta1, phi, 0.1 * pt), j2 = adc_from_ptetaphim(pt * (0.7 + 0.3 * hd_rng_uniform(r)), eta2, phi + ADC_PI + 0.3 * hd_rng_normal(r), 0.1 * pt);
    /* the lepton carries a fraction z of the b-jet it comes from, nearly collinear */
    adc_p4 l = adc_from_ptetaphim(z * pt, eta1 + 0.05 * hd_rng_normal(r), phi + 0.05 * hd_rng_normal(r), 0.0);
    adc_add(ev, hd_rng_uniform(r) < 0.5 ? ADC_E : ADC_MU, l);
    adc_add(ev, ADC_JET, adc_scale(j1, 1.0 - z));
    adc_add(ev, ADC_NU, adc_scale(j1, 0.1 * z));
    adc_add(ev, ADC_JET, j2);
    adc_extra_jets(r, ev, 1.2, 20.0, 2.5);
    break;
  }
  case 2: /* Z -> e e or mu mu */
    x = adc_produce(r, adc_bw(r, 91.19, 2.5, 50.0, 200.0), 12.0);
    adc_decay(r, &x, 0.0, 0.0, &a, &b);
    {
      adc_kind k = hd_rng_uniform(r) < 0.5 ? ADC_E : ADC_MU;
      adc_add(ev, k, a);
      adc_add(ev, k, b);
    }
    adc_extra_jets(r, ev, p->isr_jets, 20.0, 2.5);
    break;
  case 3: /* t tbar -> b W b W */
    for (int t = 0; t < 2; t++) {
      x = adc_produce(r, adc_bw(r, 172.5, 1.4, 150.0, 200.0), 90.0);
      adc_decay(r, &x, 4.8, adc_bw(r, 80.4, 2.1, 40.0, 160.0), &a, &b);
      adc_add(ev, ADC_JET, a);
      adc_w_decay(r, ev, &b, 1);
    }
    break;
  case 4: { /* LQ LQbar (80 GeV each) -> b tau b tau */
    /* A leptoquark carries colour and lepton number: a proton-proton collision cannot make one
     * alone (that needs a lepton in the initial state). At 80 GeV QCD pair production dominates
     * (gg, qqbar -> LQ LQbar, independent of the LQ's Yukawa coupling), so every event has two
     * b jets and two taus. Pair mass 2 m (1 + x), x ~ Gamma(2) of mean lq_pair_excess: a partonic
     * cross section that vanishes at threshold times a steeply falling gluon luminosity. */
    double m1 = adc_bw(r, p->lq_mass, 0.01 * p->lq_mass, 0.5 * p->lq_mass, 2.0 * p->lq_mass);
    double m2 = adc_bw(r, p->lq_mass, 0.01 * p->lq_mass, 0.5 * p->lq_mass, 2.0 * p->lq_mass);
    double mp = (m1 + m2) * (1.0 + 0.5 * p->lq_pair_excess * hd_rng_gamma(r, 2.0));

    x = adc_produce(r, mp, 20.0);
    adc_decay(r, &x, m1, m2, &a, &b);
    for (int q = 0; q < 2; q++) {
      adc_decay(r, q ? &b : &a, 4.8, 1.777, &c, &d);
      adc_add(ev, ADC_JET, c);
      adc_tau(r, ev, d);
    }
    adc_extra_jets(r, ev, p->isr_jets, 20.0, 2.5);
    break;
  }
  case 5: { /* A (50 GeV) -> Z* Z* -> 4 leptons */
    double m  = p->a_mass, m1, m2;
    x         = adc_produce(r, m, 20.0);
    /* virtual masses: the larger near the kinematic limit, the smaller below what remains */
    m1 = m * (0.35 + 0.6 * sqrt(hd_rng_uniform(r))) * 0.98;
    m2 = (m - m1) * (0.2 + 0.78 * hd_rng_uniform(r));
    adc_decay(r, &x, m1, m2, &a, &b);
    for (int z = 0; z < 2; z++) {
      adc_kind k = hd_rng_uniform(r) < 0.5 ? ADC_E : ADC_MU;
      adc_decay(r, z ? &b : &a, 0.0, 0.0, &c, &d);
      adc_add(ev, k, c);
      adc_add(ev, k, d);
    }
    adc_extra_jets(r, ev, p->isr_jets, 20.0, 2.5);
    break;
  }
  case 6: /* h0 (60 GeV) -> tau tau */
    x = adc_produce(r, p->h0_mass, 20.0);
    adc_decay(r, &x, 1.777, 1.777, &a, &b);
    adc_tau(r, ev, a);
    adc_tau(r, ev, b);
    adc_extra_jets(r, ev, p->isr_jets, 20.0, 2.5);
    break;
  default: /* t tbar -> (b h+-)(b W), h+- (60 GeV) -> tau nu */
    /* A charged scalar lighter than the top quark is produced at the LHC in top decays,
     * t -> h+ b (the mode of the light charged-Higgs searches of ATLAS and CMS); the other top
     * decays as in the SM t tbar above. Direct q qbar' -> h+- goes through light-quark Yukawa
     * couplings and is negligible in comparison. */
    for (int t = 0; t < 2; t++) {
      x = adc_produce(r, adc_bw(r, 172.5, 1.4, 150.0, 200.0), 90.0);
      if (t == 0) {
        adc_decay(r, &x, 4.8, p->hpm_mass, &a, &b);
        adc_add(ev, ADC_JET, a);
        adc_decay(r, &b, 1.777, 0.0, &c, &d);
        adc_tau(r, ev, c);
        adc_add(ev, ADC_NU, d);
      } else {
        adc_decay(r, &x, 4.8, adc_bw(r, 80.4, 2.1, 40.0, 160.0), &a, &b);
        adc_add(ev, ADC_JET, a);
        adc_w_decay(r, ev, &b, 1);
      }
    }
    break;
  }
  adc_extra_jets(r, ev, p->pileup_jets, p->jet_pt_min, 4.0); /* pile-up */
}

typedef struct {
  double pt, eta, phi;
} adc_reco;

static int adc_cmp_pt(const void *a, const void *b)
{
  double x = ((const adc_reco *)a)->pt, y = ((const adc_reco *)b)->pt;

  return (x < y) - (x > y);
}

/* Detector: smear, apply acceptance, build MET, sort, select. Returns whether the event passes
 * the single-lepton trigger; fills the 57 features. */
static int adc_detect(const hd_gen_adc2021_params *p, hd_rng *r, const adc_event *ev, float *f)
{
  adc_reco e[ADC_MAX_OBJ], mu[ADC_MAX_OBJ], j[ADC_MAX_OBJ];
  int      ne = 0, nm = 0, nj = 0, pass = 0;
  double   mx = 0.0, my = 0.0, ht = 0.0;

  for (int i = 0; i < ev->n; i++) {
    const adc_obj *o   = &ev->o[i];
    double         pt  = adc_pt(&o->p), eta = adc_eta(&o->p), phi = atan2(o->p.py, o->p.px);
    adc_reco       rc;

    if (o->kind == ADC_NU || pt <= 0) continue;
    if (o->kind == ADC_JET) pt *= 1.0 + sqrt(p->jet_res_stoch * p->jet_res_stoch / pt + p->jet_res_const * p->jet_res_const) * hd_rng_normal(r);
    else pt *= 1.0 + p->lepton_res * hd_rng_normal(r);
    rc.pt = pt, rc.eta = eta, rc.phi = phi;
    if (o->kind == ADC_E && pt > p->e_pt_min && fabs(eta) < p->e_eta_max) e[ne++] = rc;
    else if (o->kind == ADC_MU && pt > p->mu_pt_min && fabs(eta) < p->mu_eta_max) mu[nm++] = rc;
    else if (o->kind == ADC_JET && pt > p->jet_pt_min && fabs(eta) < p->jet_eta_max) j[nj++] = rc;
    else continue;
    mx -= pt * cos(phi);
    my -= pt * sin(phi);
    ht += pt;
  }
  /* resolution of the missing momentum: unclustered energy, ~ sqrt(HT) per component */
  mx += p->met_res * sqrt(ht + 50.0) * hd_rng_normal(r);
  my += p->met_res * sqrt(ht + 50.0) * hd_rng_normal(r);
  qsort(e, (size_t)ne, sizeof(adc_reco), adc_cmp_pt);
  qsort(mu, (size_t)nm, sizeof(adc_reco), adc_cmp_pt);
  qsort(j, (size_t)nj, sizeof(adc_reco), adc_cmp_pt);
  if ((ne > 0 && e[0].pt > p->lepton_trigger_pt) || (nm > 0 && mu[0].pt > p->lepton_trigger_pt)) pass = 1;
  memset(f, 0, sizeof(float) * HD_GEN_ADC2021_NFEATURES);
  f[0] = (float)hypot(mx, my);
  f[2] = (float)atan2(my, mx);
  for (int k = 0; k < 4 && k < ne; k++) f[3 * (1 + k)] = (float)e[k].pt, f[3 * (1 + k) + 1] = (float)e[k].eta, f[3 * (1 + k) + 2] = (float)e[k].phi;
  for (int k = 0; k < 4 && k < nm; k++) f[3 * (5 + k)] = (float)mu[k].pt, f[3 * (5 + k) + 1] = (float)mu[k].eta, f[3 * (5 + k) + 2] = (float)mu[k].phi;
  for (int k = 0; k < 10 && k < nj; k++) f[3 * (9 + k)] = (float)j[k].pt, f[3 * (9 + k) + 1] = (float)j[k].eta, f[3 * (9 + k) + 2] = (float)j[k].phi;
  return pass;
}

PetscErrorCode hd_gen_adc2021_make(const hd_gen_adc2021_params *p, uint64_t seed, uint64_t index, float *features, int32_t *label)
{
  hd_rng    r;
  adc_event ev;
  double    u;
  int       proc = -1, tries;

  PetscFunctionBegin;
  PetscCheck(p->ready, PETSC_COMM_SELF, HD_ERR_INTERNAL, "hd_gen_adc2021_setup() was not called");
  hd_rng_init(&r, seed, HD_STREAM_GEN_ADC2021, index);
  /* which process: signal k with probability signal_fraction each, else an SM process */
  u      = hd_rng_uniform(&r);
  *label = 0;
  for (PetscInt k = 0; k < p->n_signals; k++)
    if (u < (double)(k + 1) * p->signal_fraction) {
      proc   = 4 + p->signals[k];
      *label = (int32_t)(k + 1);
      break;
    }
  if (proc < 0) {
    double v = hd_rng_uniform(&r) * (p->sm_share[0] + p->sm_share[1] + p->sm_share[2] + p->sm_share[3]), c = 0.0;

    for (proc = 0; proc < 3; proc++) {
      c += p->sm_share[proc];
      if (v < c) break;
    }
  }
  for (tries = 0; tries < ADC_MAX_TRIES; tries++) {
    adc_hard_process(p, &r, proc, &ev);
    if (adc_detect(p, &r, &ev, features)) break;
  }
  PetscCheck(tries < ADC_MAX_TRIES, PETSC_COMM_SELF, HD_ERR_INTERNAL, "adc2021 event %" PRIu64 ": no event passed the lepton trigger in %d tries", index, ADC_MAX_TRIES);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the skeleton's model ---- */

static void adc_layout(const hd_gen_config *cfg, hd_events_layout *L) { (void)cfg, (void)L; }

static PetscErrorCode adc_rows(const hd_gen_config *cfg, void *work, int64_t row0, PetscInt count, const hd_gen_rows *out)
{
  PetscFunctionBegin;
  (void)work;
  for (PetscInt i = 0; i < count; i++) PetscCall(hd_gen_adc2021_make(&cfg->adc2021, cfg->seed, (uint64_t)(row0 + i), out->features + (size_t)i * HD_GEN_ADC2021_NFEATURES, out->label + i));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode adc_attributes(const hd_gen_config *cfg, hd_events_writer w)
{
  const hd_gen_adc2021_params *p = &cfg->adc2021;
  const char                  *classes[1 + HD_GEN_ADC2021_NSIGNALS];
  const struct {
    const char *name;
    double      value;
  } par[] = {
    {"signal_fraction", p->signal_fraction}, {"share_w_lnu", p->sm_share[0]}, {"share_qcd", p->sm_share[1]},   {"share_z_ll", p->sm_share[2]},     {"share_ttbar", p->sm_share[3]},
    {"lepton_trigger_pt", p->lepton_trigger_pt}, {"jet_pt_min", p->jet_pt_min}, {"lepton_res", p->lepton_res}, {"jet_res_stoch", p->jet_res_stoch}, {"jet_res_const", p->jet_res_const},
    {"met_res", p->met_res},                 {"pileup_jets", p->pileup_jets}, {"isr_jets", p->isr_jets},       {"lq_mass", p->lq_mass},           {"a_mass", p->a_mass},
    {"h0_mass", p->h0_mass},                 {"hpm_mass", p->hpm_mass},       {"lq_pair_excess", p->lq_pair_excess},
  };

  PetscFunctionBegin;
  classes[0] = "sm";
  for (PetscInt k = 0; k < p->n_signals; k++) classes[1 + k] = adc_signal_names[p->signals[k]];
  PetscCall(hd_events_writer_attr_strings(w, "classes", 1 + p->n_signals, classes));
  if (p->n_signals > 0) PetscCall(hd_events_writer_attr_strings(w, "signals", p->n_signals, classes + 1));
  PetscCall(hd_events_writer_attr_strings(w, "sm_processes", HD_GEN_ADC2021_NSM, adc_sm_names));
  for (size_t i = 0; i < sizeof(par) / sizeof(par[0]); i++) PetscCall(hd_events_writer_attr_double(w, par[i].name, par[i].value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_gen_model hd_gen_model_adc2021 = {"adc2021", HD_GEN_ADC2021_NFEATURES, hd_gen_adc2021_feature_names, adc_layout, NULL, NULL, adc_rows, adc_attributes};
