/* darkmachines generator: LHC events as object lists in the form of the Dark Machines challenge
 * (seed 003 section 5), and the two encodings the importer shares (docs/generators.md).
 *
 * SM mixture (label 0), shares by default: W + jets 0.30 (one lepton, neutrino MET), Z + jets 0.20
 * (half Z -> l l, half Z -> nu nu), ttbar 0.15 (two b-jets, light jets, 0-2 leptons), QCD multijet
 * 0.30 (2-5 jets, resolution MET only), dibosons 0.05 (2-3 leptons). Every event may carry a soft
 * photon. Transverse momenta are falling exponentials above thresholds; eta ~ N(0, 1.4) within
 * |eta| < 2.5; phi uniform; E = pT cosh(eta) (massless objects).
 * Signals (labels 1.. in the order of -signals):
 *   zprime   *different*: Z'(2 TeV) -> e+e- or mu+mu-, two leptons of pT ~ 900 GeV, back to back.
 *   dijet    *different*: a 3 TeV resonance -> two jets of pT ~ 1.4 TeV.
 *   susy     *rare*: MET 150 + Exp(120) GeV with 3-5 hard jets and no lepton: inside the SM's range
 *            (Z -> nu nu + jets, ttbar) but in its thinly populated corner.
 *   stop     *rare*: ttbar-like (2 b, 2-3 jets, 1 lepton) with extra MET 80 + Exp(100) GeV. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <hadal/generate.h>
#include <hadal/rng.h>

#define DM_PI 3.14159265358979323846

static const char *const dm_codes[HD_DM_NTYPES] = {"j", "b", "e-", "e+", "m-", "m+", "g"};
static const char *const dm_short[HD_DM_NTYPES] = {"j", "b", "em", "ep", "mm", "mp", "g"};

const char *const hd_gen_dm_signal_names[HD_GEN_DM_NSIGNALS]    = {"zprime", "dijet", "susy", "stop"};
const char *const hd_gen_dm_process_names[HD_GEN_DM_NPROCESSES] = {"wjets", "zjets", "ttbar", "qcd", "diboson"};

int hd_dm_type_parse(const char *code)
{
  for (int t = 0; t < HD_DM_NTYPES; t++)
    if (!strcmp(code, dm_codes[t])) return t;
  return -1;
}

const char *hd_dm_type_code(int type) { return type >= 0 && type < HD_DM_NTYPES ? dm_codes[type] : "?"; }

void hd_dm_encoding_defaults(hd_dm_encoding *e)
{
  static const PetscInt slots[HD_DM_NTYPES] = {6, 2, 2, 2, 2, 2, 1};

  for (int t = 0; t < HD_DM_NTYPES; t++) e->slots[t] = slots[t];
  e->flow_jets    = 7;
  e->flow_leptons = 4;
}

static PetscInt dm_total_slots(const hd_dm_encoding *e)
{
  PetscInt s = 0;

  for (int t = 0; t < HD_DM_NTYPES; t++) s += e->slots[t];
  return s;
}

PetscInt hd_dm_svdd_width(const hd_dm_encoding *e) { return 5 * dm_total_slots(e) + 2; }
PetscInt hd_dm_flow_width(const hd_dm_encoding *e) { return 2 + HD_DM_NTYPES + 5 * (e->flow_jets + e->flow_leptons); }

void hd_dm_feature_names(const hd_dm_encoding *e, char (*names)[HD_NAME_LEN])
{
  static const char *const kin[4] = {"E", "pt", "eta", "phi"};
  PetscInt                 c      = 0;

  for (int t = 0; t < HD_DM_NTYPES; t++)
    for (PetscInt k = 0; k < e->slots[t]; k++) snprintf(names[c++], HD_NAME_LEN, "sv_%s%d_on", dm_short[t], (int)k + 1);
  for (int t = 0; t < HD_DM_NTYPES; t++)
    for (PetscInt k = 0; k < e->slots[t]; k++)
      for (int q = 0; q < 4; q++) snprintf(names[c++], HD_NAME_LEN, "sv_%s%d_%s", dm_short[t], (int)k + 1, kin[q]);
  snprintf(names[c++], HD_NAME_LEN, "sv_met");
  snprintf(names[c++], HD_NAME_LEN, "sv_metphi");
  snprintf(names[c++], HD_NAME_LEN, "fl_met");
  snprintf(names[c++], HD_NAME_LEN, "fl_metphi");
  for (int t = 0; t < HD_DM_NTYPES; t++) snprintf(names[c++], HD_NAME_LEN, "fl_n_%s", dm_short[t]);
  for (PetscInt k = 0; k < e->flow_jets + e->flow_leptons; k++) {
    const char *what = k < e->flow_jets ? "jet" : "lep";
    int         i    = (int)(k < e->flow_jets ? k : k - e->flow_jets) + 1;

    snprintf(names[c++], HD_NAME_LEN, "fl_%s%d_type", what, i);
    for (int q = 0; q < 4; q++) snprintf(names[c++], HD_NAME_LEN, "fl_%s%d_%s", what, i, kin[q]);
  }
}

/* Indices of ev's objects by falling pT (ties by position): insertion sort, n <= 64. */
static void dm_order(const hd_dm_event *ev, int *order)
{
  for (PetscInt i = 0; i < ev->n; i++) {
    PetscInt j = i;

    while (j > 0 && ev->obj[order[j - 1]].pt < ev->obj[i].pt) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = (int)i;
  }
}

void hd_dm_encode(const hd_dm_encoding *e, const hd_dm_event *ev, float *row)
{
  PetscInt S = dm_total_slots(e), W = hd_dm_svdd_width(e) + hd_dm_flow_width(e), first[HD_DM_NTYPES], used[HD_DM_NTYPES] = {0}, nj = 0, nl = 0;
  int      order[HD_DM_MAX_OBJECTS];
  float   *fl = row + hd_dm_svdd_width(e);

  for (PetscInt c = 0; c < W; c++) row[c] = 0.0f;
  first[0] = 0;
  for (int t = 1; t < HD_DM_NTYPES; t++) first[t] = first[t - 1] + e->slots[t - 1];
  dm_order(ev, order);
  fl[0] = (float)ev->met;
  fl[1] = (float)ev->metphi;
  for (PetscInt i = 0; i < ev->n; i++) {
    const hd_dm_object *o = &ev->obj[order[i]];
    const double        k4[4] = {o->E, o->pt, o->eta, o->phi};
    PetscInt            t = o->type, slot;

    fl[2 + t] += 1.0f;
    if (used[t] < e->slots[t]) {
      slot = first[t] + used[t]++;
      row[slot] = 1.0f;
      for (int q = 0; q < 4; q++) row[S + 4 * slot + q] = (float)k4[q];
    }
    if ((t == HD_DM_JET || t == HD_DM_BJET) && nj < e->flow_jets) {
      float *o5 = fl + 2 + HD_DM_NTYPES + 5 * nj++;
      o5[0] = t == HD_DM_JET ? 1.0f : 2.0f;
      for (int q = 0; q < 4; q++) o5[1 + q] = (float)k4[q];
    } else if (t >= HD_DM_EM && t <= HD_DM_MP && nl < e->flow_leptons) {
      float *o5 = fl + 2 + HD_DM_NTYPES + 5 * (e->flow_jets + nl++);
      o5[0] = (float)(t - HD_DM_EM + 1);
      for (int q = 0; q < 4; q++) o5[1 + q] = (float)k4[q];
    }
  }
  row[5 * S]     = (float)ev->met;
  row[5 * S + 1] = (float)ev->metphi;
}

/* ------------------------------------------------------------------------------------------------
 * The generator. */

static const char *dm_names_ptr[HD_GEN_DM_NFEATURES]; /* filled by hd_gen_dm_setup */
static char              dm_names[HD_GEN_DM_NFEATURES][HD_NAME_LEN];

void hd_gen_dm_defaults(hd_gen_dm_params *p)
{
  static const double shares[HD_GEN_DM_NPROCESSES] = {0.30, 0.20, 0.15, 0.30, 0.05};

  memset(p, 0, sizeof(*p));
  p->signal_fraction = 0.01;
  p->n_signals       = HD_GEN_DM_NSIGNALS;
  for (int k = 0; k < HD_GEN_DM_NSIGNALS; k++) p->signals[k] = k;
  for (int k = 0; k < HD_GEN_DM_NPROCESSES; k++) p->shares[k] = shares[k];
  hd_dm_encoding_defaults(&p->enc);
}

PetscErrorCode hd_gen_dm_parse_signals(MPI_Comm comm, const char *list, hd_gen_dm_params *p)
{
  char  buf[256], *save = NULL;
  char *tok;

  PetscFunctionBegin;
  snprintf(buf, sizeof(buf), "%s", list);
  p->n_signals = 0;
  for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    int k;

    for (k = 0; k < HD_GEN_DM_NSIGNALS; k++)
      if (!strcmp(tok, hd_gen_dm_signal_names[k])) break;
    PetscCheck(k < HD_GEN_DM_NSIGNALS, comm, HD_ERR_USER_INPUT, "option -signals: unknown signal '%s' (known: zprime, dijet, susy, stop)", tok);
    PetscCheck(p->n_signals < HD_GEN_DM_NSIGNALS, comm, HD_ERR_USER_INPUT, "option -signals: at most %d signals", HD_GEN_DM_NSIGNALS);
    for (PetscInt j = 0; j < p->n_signals; j++) PetscCheck(p->signals[j] != k, comm, HD_ERR_USER_INPUT, "option -signals: '%s' listed twice", tok);
    p->signals[p->n_signals++] = k;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_gen_dm_setup(MPI_Comm comm, hd_gen_dm_params *p)
{
  PetscFunctionBegin;
  PetscCheck(p->signal_fraction >= 0 && p->signal_fraction * (double)p->n_signals <= 0.5, comm, HD_ERR_USER_INPUT, "option -signal_fraction must lie in [0, 0.5 / number of signals] (got %g for %d signals)", p->signal_fraction, (int)p->n_signals);
  PetscCheck(hd_dm_svdd_width(&p->enc) + hd_dm_flow_width(&p->enc) == HD_GEN_DM_NFEATURES, comm, HD_ERR_INTERNAL, "darkmachines encoding width");
  hd_dm_feature_names(&p->enc, dm_names);
  for (int j = 0; j < HD_GEN_DM_NFEATURES; j++) dm_names_ptr[j] = dm_names[j];
  p->ready = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static double dm_phi(hd_rng *r) { return DM_PI * (2.0 * hd_rng_uniform(r) - 1.0); }

static double dm_wrap(double phi)
{
  while (phi > DM_PI) phi -= 2 * DM_PI;
  while (phi <= -DM_PI) phi += 2 * DM_PI;
  return phi;
}

static double dm_eta(hd_rng *r, double width)
{
  double eta;

  do eta = width * hd_rng_normal(r);
  while (fabs(eta) > 2.5);
  return eta;
}

static void dm_add(hd_dm_event *ev, int type, double pt, double eta, double phi)
{
  hd_dm_object *o;

  if (ev->n >= HD_DM_MAX_OBJECTS) return;
  o      = &ev->obj[ev->n++];
  o->type = type;
  o->pt   = pt;
  o->eta  = eta;
  o->phi  = dm_wrap(phi);
  o->E    = pt * cosh(eta);
}

/* A jet of pT pt_min + Exp(mean), b-tagged with probability fb. */
static void dm_jet(hd_rng *r, hd_dm_event *ev, double pt_min, double mean, double fb)
{
  int type = hd_rng_uniform(r) < fb ? HD_DM_BJET : HD_DM_JET;

  dm_add(ev, type, pt_min + mean * hd_rng_exponential(r), dm_eta(r, 1.6), dm_phi(r));
}

/* A charged lepton: flavour e or mu, charge given (+1 / -1). */
static void dm_lepton(hd_rng *r, hd_dm_event *ev, int muon, int charge, double pt, double eta, double phi)
{
  int type = muon ? (charge < 0 ? HD_DM_MM : HD_DM_MP) : (charge < 0 ? HD_DM_EM : HD_DM_EP);

  (void)r;
  dm_add(ev, type, pt, eta, phi);
}

/* Poisson draw by inversion (small means). */
static int dm_poisson(hd_rng *r, double mean)
{
  double u = hd_rng_uniform(r), p = exp(-mean), c = p;
  int    k = 0;

  while (u > c && k < 20) {
    k++;
    p *= mean / k;
    c += p;
  }
  return k;
}

/* MET: the vector sum of the invisible transverse momentum `inv` at phi_inv plus a Gaussian
 * resolution term of sigma = 0.5 sqrt(sum pT of the visible objects) per component. */
static void dm_met(hd_rng *r, hd_dm_event *ev, double inv, double phi_inv)
{
  double ht = 0, mx = inv * cos(phi_inv), my = inv * sin(phi_inv), s;

  for (PetscInt i = 0; i < ev->n; i++) ht += ev->obj[i].pt;
  s = 0.5 * sqrt(ht + 1.0);
  mx += s * hd_rng_normal(r);
  my += s * hd_rng_normal(r);
  ev->met    = sqrt(mx * mx + my * my);
  ev->metphi = atan2(my, mx);
}

static void dm_sm(hd_rng *r, int process, hd_dm_event *ev)
{
  int    mu = hd_rng_uniform(r) < 0.5, q = hd_rng_uniform(r) < 0.5 ? -1 : 1, nj, nl;
  double phi = dm_phi(r), pt, inv = 0, phi_inv = 0;

  switch (process) {
  case 0: /* W + jets: W -> l nu */
    pt = 25 + 30 * hd_rng_exponential(r);
    dm_lepton(r, ev, mu, q, pt, dm_eta(r, 1.2), phi);
    inv     = pt * (0.7 + 0.6 * hd_rng_uniform(r));
    phi_inv = phi + DM_PI + 0.6 * hd_rng_normal(r);
    nj      = dm_poisson(r, 1.0);
    for (int j = 0; j < nj; j++) dm_jet(r, ev, 30, 40, 0.02);
    break;
  case 1: /* Z + jets */
    pt = 10 + 40 * hd_rng_exponential(r);
    if (hd_rng_uniform(r) < 0.5) { /* Z -> l l, each lepton about half of mZ in the Z frame */
      double a = 45.6 + 0.5 * pt, b = PetscMax(20.0, 45.6 - 0.3 * pt + 8 * hd_rng_normal(r));
      dm_lepton(r, ev, mu, -1, a, dm_eta(r, 1.2), phi);
      dm_lepton(r, ev, mu, +1, b, dm_eta(r, 1.2), phi + DM_PI - 0.8 * hd_rng_normal(r) * 60 / (60 + pt));
    } else { /* Z -> nu nu */
      inv     = pt + 20;
      phi_inv = phi;
    }
    nj = dm_poisson(r, 1.2);
    for (int j = 0; j < nj; j++) dm_jet(r, ev, 30, 45, 0.03);
    break;
  case 2: /* ttbar: b b + W W, each W hadronic (two jets) or leptonic */
    dm_add(ev, HD_DM_BJET, 30 + 55 * hd_rng_exponential(r), dm_eta(r, 1.3), phi);
    dm_add(ev, HD_DM_BJET, 30 + 55 * hd_rng_exponential(r), dm_eta(r, 1.3), phi + DM_PI + hd_rng_normal(r));
    for (int w = 0; w < 2; w++) {
      if (hd_rng_uniform(r) < 0.33) {
        pt = 25 + 35 * hd_rng_exponential(r);
        dm_lepton(r, ev, hd_rng_uniform(r) < 0.5, w ? 1 : -1, pt, dm_eta(r, 1.2), dm_phi(r));
        inv += pt * 0.8;
        phi_inv = dm_phi(r);
      } else {
        dm_jet(r, ev, 30, 35, 0.0);
        if (hd_rng_uniform(r) < 0.7) dm_jet(r, ev, 30, 25, 0.0);
      }
    }
    break;
  case 3: /* QCD multijet: a balanced leading pair plus radiation */
    pt = 60 + 70 * hd_rng_exponential(r);
    dm_add(ev, hd_rng_uniform(r) < 0.08 ? HD_DM_BJET : HD_DM_JET, pt, dm_eta(r, 1.6), phi);
    dm_add(ev, hd_rng_uniform(r) < 0.08 ? HD_DM_BJET : HD_DM_JET, pt * (0.7 + 0.3 * hd_rng_uniform(r)), dm_eta(r, 1.6), phi + DM_PI + 0.3 * hd_rng_normal(r));
    nj = dm_poisson(r, 0.9);
    for (int j = 0; j < nj && j < 3; j++) dm_jet(r, ev, 30, 30, 0.05);
    inv     = 10 * hd_rng_exponential(r); /* neutrinos in heavy-flavour decays, mismeasurement */
    phi_inv = dm_phi(r);
    break;
  default: /* dibosons: W Z -> 3 l nu or Z Z -> 4 l / 2 l 2 nu */
    nl = hd_rng_uniform(r) < 0.6 ? 3 : 2;
    for (int l = 0; l < nl; l++) dm_lepton(r, ev, hd_rng_uniform(r) < 0.5, l % 2 ? 1 : -1, 20 + 40 * hd_rng_exponential(r), dm_eta(r, 1.2), dm_phi(r));
    inv     = 30 + 40 * hd_rng_exponential(r);
    phi_inv = dm_phi(r);
    nj      = dm_poisson(r, 0.5);
    for (int j = 0; j < nj; j++) dm_jet(r, ev, 30, 40, 0.03);
    break;
  }
  dm_met(r, ev, inv, phi_inv);
}

static void dm_signal(hd_rng *r, int signal, hd_dm_event *ev)
{
  int    mu = hd_rng_uniform(r) < 0.5, nj;
  double phi = dm_phi(r), pt, eta1, inv = 0, phi_inv = 0;

  switch (signal) {
  case 0: /* Z' -> l+ l- */
    pt   = 2000.0 / 2.0 * (0.75 + 0.2 * hd_rng_uniform(r)) + 25 * hd_rng_normal(r);
    eta1 = dm_eta(r, 0.9);
    dm_lepton(r, ev, mu, -1, pt, eta1, phi);
    dm_lepton(r, ev, mu, +1, pt * (0.9 + 0.1 * hd_rng_uniform(r)), dm_eta(r, 0.9), phi + DM_PI + 0.05 * hd_rng_normal(r));
    nj = dm_poisson(r, 0.8);
    for (int j = 0; j < nj; j++) dm_jet(r, ev, 30, 40, 0.03);
    break;
  case 1: /* heavy resonance -> j j */
    pt = 3000.0 / 2.0 * (0.8 + 0.15 * hd_rng_uniform(r)) + 50 * hd_rng_normal(r);
    dm_add(ev, HD_DM_JET, pt, dm_eta(r, 0.8), phi);
    dm_add(ev, HD_DM_JET, pt * (0.85 + 0.15 * hd_rng_uniform(r)), dm_eta(r, 0.8), phi + DM_PI + 0.1 * hd_rng_normal(r));
    nj = dm_poisson(r, 1.0);
    for (int j = 0; j < nj; j++) dm_jet(r, ev, 30, 50, 0.03);
    inv     = 15 * hd_rng_exponential(r);
    phi_inv = dm_phi(r);
    break;
  case 2: /* SUSY-like: MET + 3-5 jets, no lepton */
    nj = 3 + (int)hd_rng_below(r, 3);
    for (int j = 0; j < nj; j++) dm_jet(r, ev, 40, 80, 0.05);
    inv     = 150 + 120 * hd_rng_exponential(r);
    phi_inv = dm_phi(r);
    break;
  default: /* stop-like: ttbar + extra MET, one lepton */
    dm_add(ev, HD_DM_BJET, 30 + 55 * hd_rng_exponential(r), dm_eta(r, 1.3), phi);
    dm_add(ev, HD_DM_BJET, 30 + 55 * hd_rng_exponential(r), dm_eta(r, 1.3), phi + DM_PI + hd_rng_normal(r));
    nj = 2 + (int)hd_rng_below(r, 2);
    for (int j = 0; j < nj; j++) dm_jet(r, ev, 30, 35, 0.0);
    dm_lepton(r, ev, mu, hd_rng_uniform(r) < 0.5 ? -1 : 1, 25 + 35 * hd_rng_exponential(r), dm_eta(r, 1.2), dm_phi(r));
    inv     = 80 + 100 * hd_rng_exponential(r);
    phi_inv = dm_phi(r);
    break;
  }
  dm_met(r, ev, inv, phi_inv);
}

void hd_gen_dm_make(const hd_gen_dm_params *p, uint64_t seed, uint64_t index, hd_dm_event *ev, int32_t *label)
{
  hd_rng r;
  double u;
  int    k;

  hd_rng_init(&r, seed, HD_STREAM_GEN_DARKMACHINES, index);
  memset(ev, 0, sizeof(*ev));
  u      = hd_rng_uniform(&r);
  *label = 0;
  for (k = 0; k < p->n_signals; k++)
    if (u < p->signal_fraction * (double)(k + 1)) {
      *label = k + 1;
      dm_signal(&r, p->signals[k], ev);
      break;
    }
  if (*label == 0) {
    double v = hd_rng_uniform(&r), c = 0;
    int    proc = HD_GEN_DM_NPROCESSES - 1;

    for (int j = 0; j < HD_GEN_DM_NPROCESSES; j++) {
      c += p->shares[j];
      if (v < c) {
        proc = j;
        break;
      }
    }
    dm_sm(&r, proc, ev);
  }
  if (hd_rng_uniform(&r) < 0.05) dm_add(ev, HD_DM_PHOTON, 20 + 20 * hd_rng_exponential(&r), dm_eta(&r, 1.2), dm_phi(&r));
}

static void dm_layout(const hd_gen_config *cfg, hd_events_layout *L)
{
  (void)cfg;
  (void)L;
}

static PetscErrorCode dm_rows(const hd_gen_config *cfg, void *work, int64_t row0, PetscInt count, const hd_gen_rows *out)
{
  hd_dm_event ev;

  PetscFunctionBegin;
  (void)work;
  for (PetscInt i = 0; i < count; i++) {
    hd_gen_dm_make(&cfg->dm, cfg->seed, (uint64_t)(row0 + i), &ev, &out->label[i]);
    hd_dm_encode(&cfg->dm.enc, &ev, out->features + (size_t)i * HD_GEN_DM_NFEATURES);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dm_attributes(const hd_gen_config *cfg, hd_events_writer w)
{
  const char *sig[HD_GEN_DM_NSIGNALS];

  PetscFunctionBegin;
  for (PetscInt k = 0; k < cfg->dm.n_signals; k++) sig[k] = hd_gen_dm_signal_names[cfg->dm.signals[k]];
  PetscCall(hd_events_writer_attr_strings(w, "signals", cfg->dm.n_signals, sig));
  PetscCall(hd_events_writer_attr_strings(w, "sm_processes", HD_GEN_DM_NPROCESSES, hd_gen_dm_process_names));
  PetscCall(hd_events_writer_attr_double(w, "signal_fraction", cfg->dm.signal_fraction));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_gen_model hd_gen_model_darkmachines = {"darkmachines", HD_GEN_DM_NFEATURES, dm_names_ptr, dm_layout, NULL, NULL, dm_rows, dm_attributes};
