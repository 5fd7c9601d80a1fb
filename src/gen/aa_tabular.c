/* aa_tabular generator: j j gamma gamma events as the six kinematic features of seed 000 appendix B
 * (docs/generators.md). Not a matrix-element generator: each class is a small parametric model of
 * its topology at the 13 TeV LHC, with exact two-body decay kinematics.
 *
 *   ggf       H (125 GeV) from gluon fusion, soft pT; two jets from initial-state radiation,
 *             central and broad in eta; H -> gamma gamma
 *   vbf       H with harder pT; two tagging jets in opposite hemispheres with a large |delta eta|
 *   zh        Z and H back to back; Z -> q q gives the two jets (small delta eta, m_jj = m_Z)
 *   axion     an axion a (300 GeV) with a W: a -> gamma gamma (hard photons), W -> q q
 *   graviton  a graviton G (1 TeV) -> gamma gamma (very hard photons), two radiation jets
 *
 * Every event: two jets with pT > 30 GeV and |eta| < 4.7, two photons with pT > 25 GeV and
 * |eta| < 2.5 (an event that fails is drawn again from the same stream); jet pT smeared by 10%,
 * photon pT by 2%. Features: pT of the leading and sub-leading jet, eta of the leading jet, pT of
 * the leading photon, |eta_j1 - eta_j2|, |eta_j1 - eta_gamma1|. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <hadal/generate.h>
#include <hadal/rng.h>

const char *const hd_gen_aa_tabular_feature_names[HD_GEN_AA_TABULAR_NFEATURES] = {"pt_j1", "pt_j2", "eta_j1", "pt_a1", "deta_jj", "deta_ja"};

static const char *const aat_class_names[HD_AAT_NCLASSES] = {"ggf", "vbf", "zh", "axion", "graviton"};

#define AAT_PI        3.14159265358979323846
#define AAT_MH        125.25
#define AAT_MZ        91.1876
#define AAT_MW        80.377
#define AAT_MAX_TRIES 10000

const char *hd_gen_aat_class_name(hd_aat_class c) { return (c >= 0 && c < HD_AAT_NCLASSES) ? aat_class_names[c] : "?"; }

void hd_gen_aa_tabular_defaults(hd_gen_aa_tabular_params *p)
{
  memset(p, 0, sizeof(*p));
  p->n_classes = HD_AAT_NCLASSES;
  for (int k = 0; k < HD_AAT_NCLASSES; k++) {
    p->classes[k]   = (hd_aat_class)k;
    p->fractions[k] = 1.0 / HD_AAT_NCLASSES;
  }
  p->axion_mass    = 300.0;
  p->graviton_mass = 1000.0;
}

PetscErrorCode hd_gen_aa_tabular_setup(MPI_Comm comm, const char *classes, PetscInt n_fractions, const double *fractions, hd_gen_aa_tabular_params *p)
{
  char   buf[256], *save = NULL;
  double sum = 0;

  PetscFunctionBegin;
  p->n_classes = 0;
  snprintf(buf, sizeof(buf), "%s", classes);
  for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
    int k = 0;
    while (k < HD_AAT_NCLASSES && strcmp(tok, aat_class_names[k])) k++;
    PetscCheck(k < HD_AAT_NCLASSES, comm, HD_ERR_USER_INPUT, "-classes: unknown aa_tabular class '%s' (known: ggf, vbf, zh, axion, graviton)", tok);
    PetscCheck(p->n_classes < HD_AAT_NCLASSES, comm, HD_ERR_USER_INPUT, "-classes '%s': more than %d classes", classes, HD_AAT_NCLASSES);
    for (PetscInt j = 0; j < p->n_classes; j++) PetscCheck(p->classes[j] != (hd_aat_class)k, comm, HD_ERR_USER_INPUT, "-classes '%s': class '%s' is named twice", classes, tok);
    p->classes[p->n_classes++] = (hd_aat_class)k;
  }
  PetscCheck(p->n_classes >= 1, comm, HD_ERR_USER_INPUT, "-classes is empty");
  PetscCheck(n_fractions == p->n_classes, comm, HD_ERR_USER_INPUT, "-class_fractions has %" PetscInt_FMT " values but -classes '%s' lists %" PetscInt_FMT " classes", n_fractions, classes, p->n_classes);
  for (PetscInt k = 0; k < p->n_classes; k++) {
    PetscCheck(fractions[k] >= 0, comm, HD_ERR_USER_INPUT, "-class_fractions: fraction %g of '%s' is negative", fractions[k], aat_class_names[p->classes[k]]);
    p->fractions[k] = fractions[k];
    sum += fractions[k];
    p->cdf[k] = sum;
  }
  PetscCheck(fabs(sum - 1) < 1e-4, comm, HD_ERR_USER_INPUT, "-class_fractions must sum to 1 (got %g)", sum);
  PetscCheck(p->axion_mass > 0 && p->graviton_mass > 0, comm, HD_ERR_USER_INPUT, "aa_tabular: resonance masses must be positive");
  p->ready = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A massless object as (pT, eta, phi). */
typedef struct {
  double pt, eta, phi;
} aat_obj;

/* A particle of mass m, transverse momentum pt, rapidity y and azimuth phi decays isotropically in
 * its rest frame into two massless daughters; boosted to the lab. */
static void aat_decay(hd_rng *r, double m, double pt, double y, double phi, aat_obj d[2])
{
  double mt = sqrt(m * m + pt * pt);
  double E = mt * cosh(y), P[3] = {pt * cos(phi), pt * sin(phi), mt * sinh(y)};
  double pabs = sqrt(P[0] * P[0] + P[1] * P[1] + P[2] * P[2]);
  double beta = pabs / E, gamma = E / m, n[3] = {0, 0, 1};
  double c = 2 * hd_rng_uniform(r) - 1, s = sqrt(1 - c * c), f = 2 * AAT_PI * hd_rng_uniform(r);

  if (pabs > 0)
    for (int k = 0; k < 3; k++) n[k] = P[k] / pabs;
  for (int i = 0; i < 2; i++) {
    double sign = i ? -1 : 1, q[3] = {sign * 0.5 * m * s * cos(f), sign * 0.5 * m * s * sin(f), sign * 0.5 * m * c};
    double qpar = q[0] * n[0] + q[1] * n[1] + q[2] * n[2], e = 0.5 * m;
    for (int k = 0; k < 3; k++) q[k] += ((gamma - 1) * qpar + gamma * beta * e) * n[k];
    d[i].pt  = hypot(q[0], q[1]);
    d[i].eta = asinh(q[2] / d[i].pt);
    d[i].phi = atan2(q[1], q[0]);
  }
}

static double aat_exp(hd_rng *r, double mean) { return hd_rng_exponential(r) * mean; }

/* One attempt at an event of class c: jets j[2], photons a[2]. */
static void aat_attempt(const hd_gen_aa_tabular_params *p, hd_aat_class c, hd_rng *r, aat_obj j[2], aat_obj a[2])
{
  double phi = 2 * AAT_PI * hd_rng_uniform(r), pt, y;

  switch (c) {
  case HD_AAT_GGF:
  case HD_AAT_GRAVITON: {
    double m = c == HD_AAT_GGF ? AAT_MH : p->graviton_mass;
    pt = aat_exp(r, 50.0);
    y  = hd_rng_normal(r) * (c == HD_AAT_GGF ? 1.4 : 0.8);
    aat_decay(r, m, pt, y, phi, a);
    for (int i = 0; i < 2; i++) { /* radiation jets */
      j[i].pt  = 30.0 + aat_exp(r, c == HD_AAT_GGF ? 45.0 : 55.0);
      j[i].eta = 2.2 * hd_rng_normal(r);
      j[i].phi = 2 * AAT_PI * hd_rng_uniform(r);
    }
  } break;
  case HD_AAT_VBF: {
    double centre = 0.7 * hd_rng_normal(r), deta = fabs(4.4 + 1.3 * hd_rng_normal(r));
    pt = 20.0 + aat_exp(r, 80.0);
    y  = 1.2 * hd_rng_normal(r);
    aat_decay(r, AAT_MH, pt, y, phi, a);
    for (int i = 0; i < 2; i++) { /* tagging jets in opposite hemispheres */
      j[i].pt  = 30.0 + aat_exp(r, 60.0);
      j[i].eta = centre + (i ? -0.5 : 0.5) * deta;
      j[i].phi = 2 * AAT_PI * hd_rng_uniform(r);
    }
  } break;
  case HD_AAT_ZH:
  case HD_AAT_AXION: {
    /* a vector boson V -> q q recoiling against H or a -> gamma gamma */
    double mv = c == HD_AAT_ZH ? AAT_MZ : AAT_MW, mx = c == HD_AAT_ZH ? AAT_MH : p->axion_mass;
    pt = c == HD_AAT_ZH ? 20.0 + aat_exp(r, 90.0) : 30.0 + aat_exp(r, 120.0);
    y  = 1.1 * hd_rng_normal(r);
    aat_decay(r, mv, pt, y, phi, j);
    aat_decay(r, mx, pt, y + 0.8 * hd_rng_normal(r), phi + AAT_PI, a);
  } break;
  default:
    break;
  }
}

PetscErrorCode hd_gen_aa_tabular_make(const hd_gen_aa_tabular_params *p, uint64_t seed, uint64_t index, float *features, int32_t *label)
{
  hd_rng       r;
  PetscInt     k = 0;
  aat_obj      j[2], a[2];
  double       u;
  int          t;

  PetscFunctionBegin;
  PetscCheck(p->ready, PETSC_COMM_SELF, HD_ERR_INTERNAL, "aa_tabular parameters were not set up");
  hd_rng_init(&r, seed, HD_STREAM_GEN_AA_TABULAR, index);
  u = hd_rng_uniform(&r);
  while (k + 1 < p->n_classes && u >= p->cdf[k]) k++;
  for (t = 0; t < AAT_MAX_TRIES; t++) {
    aat_attempt(p, p->classes[k], &r, j, a);
    for (int i = 0; i < 2; i++) {
      j[i].pt *= PetscMax(0.0, 1 + 0.10 * hd_rng_normal(&r));
      a[i].pt *= PetscMax(0.0, 1 + 0.02 * hd_rng_normal(&r));
    }
    PetscBool ok = PETSC_TRUE;
    for (int i = 0; i < 2; i++) ok = ok && j[i].pt > 30 && fabs(j[i].eta) < 4.7 && a[i].pt > 25 && fabs(a[i].eta) < 2.5;
    if (ok) break;
  }
  PetscCheck(t < AAT_MAX_TRIES, PETSC_COMM_SELF, HD_ERR_INTERNAL, "aa_tabular: event %llu of class %s failed the selection %d times", (unsigned long long)index, aat_class_names[p->classes[k]], AAT_MAX_TRIES);
  if (j[1].pt > j[0].pt) {
    aat_obj x = j[0];
    j[0]      = j[1];
    j[1]      = x;
  }
  if (a[1].pt > a[0].pt) a[0] = a[1];
  features[0] = (float)j[0].pt;
  features[1] = (float)j[1].pt;
  features[2] = (float)j[0].eta;
  features[3] = (float)a[0].pt;
  features[4] = (float)fabs(j[0].eta - j[1].eta);
  features[5] = (float)fabs(j[0].eta - a[0].eta);
  *label      = (int32_t)k;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the skeleton's model (include/hadal/generate.h) ---- */

static void aat_layout(const hd_gen_config *cfg, hd_events_layout *L)
{
  (void)cfg;
  (void)L; /* features and labels only */
}

static PetscErrorCode aat_rows(const hd_gen_config *cfg, void *work, int64_t row0, PetscInt count, const hd_gen_rows *out)
{
  PetscFunctionBegin;
  (void)work;
  for (PetscInt i = 0; i < count; i++) PetscCall(hd_gen_aa_tabular_make(&cfg->aa_tabular, cfg->seed, (uint64_t)(row0 + i), out->features + (size_t)i * HD_GEN_AA_TABULAR_NFEATURES, out->label + i));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode aat_attributes(const hd_gen_config *cfg, hd_events_writer w)
{
  const hd_gen_aa_tabular_params *p = &cfg->aa_tabular;
  const char                     *names[HD_AAT_NCLASSES];

  PetscFunctionBegin;
  for (PetscInt k = 0; k < p->n_classes; k++) names[k] = aat_class_names[p->classes[k]];
  PetscCall(hd_events_writer_attr_strings(w, "classes", p->n_classes, names));
  PetscCall(hd_events_writer_attr_double(w, "axion_mass", p->axion_mass));
  PetscCall(hd_events_writer_attr_double(w, "graviton_mass", p->graviton_mass));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_gen_model hd_gen_model_aa_tabular = {"aa_tabular", HD_GEN_AA_TABULAR_NFEATURES, hd_gen_aa_tabular_feature_names, aat_layout, NULL, NULL, aat_rows, aat_attributes};
