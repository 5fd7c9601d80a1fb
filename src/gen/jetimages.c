/* jetimages generator: R = 1 fat-jet images in (eta, phi), seed 000's selection (docs/generators.md).
 *
 * Per event: a hard object (a quark or gluon for qcd; a W, Z, top or Higgs for the others) at
 * central rapidity with a class-dependent pT, decayed sequentially into its prongs (two-body decays,
 * isotropic in the rest frame, exact kinematics: the opening angles come out ~ m / (pT sqrt(z(1-z)))),
 * each prong showered (angular-ordered soft-collinear emissions, one-loop running coupling, a veto
 * algorithm), hadronised with a simple local fragmentation, underlying-event particles added, each
 * particle's energy smeared by a calorimeter resolution; the jet is the set of particles within R of
 * its axis; pixelated (optionally after the standard preprocessing), pixel noise and a threshold
 * applied. The jet pT, mass, tau21 and tau32 are measured on the pixels, and events failing
 * pT > pt_min, mass in [mass_min, mass_max] are drawn again from the same stream. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/generate.h>
#include <hadal/rng.h>

const char *const hd_gen_jetimages_feature_names[HD_GEN_JETIMAGES_NFEATURES] = {"pt", "mass", "tau21", "tau32"};

static const char *const ji_class_names[HD_JET_NCLASSES] = {"qcd", "top", "w", "r2", "r3", "r4", "eft"};

#define JI_PI            3.14159265358979323846
#define JI_MAX_PARTONS   1024
#define JI_MAX_PARTICLES 8192
#define JI_MAX_HADRONS   256 /* per parton, the largest -hadron_cap */
#define JI_PU_DENSITY    1.2 /* pile-up particles per unit (eta, phi) area per interaction */
#define JI_PU_PT_MEAN    0.5 /* their mean pT, GeV: 0.6 GeV per unit area per interaction */
#define JI_MAX_TRIES     10000
#define JI_ALPHA_MAX     0.40 /* overestimate of alpha_s(kT) P(z) z / (2 C) in the shower veto */
#define JI_CA            3.0
#define JI_CF            (4.0 / 3.0)

/* Masses and widths, GeV (PDG 2022). */
#define JI_MZ   91.1876
#define JI_GZ   2.4952
#define JI_MW   80.377
#define JI_GW   2.085
#define JI_MT   172.5
#define JI_GT   1.42
#define JI_MH   125.25

typedef struct {
  double e, x, y, z; /* energy and 3-momentum */
} ji_p4;

typedef struct {
  ji_p4  p;
  double theta_max; /* angular-ordering limit of its emissions */
  int    gluon;
} ji_parton;

struct hd_gen_jetimages_work_s {
  PetscInt  n; /* pixels per side */
  ji_parton stack[JI_MAX_PARTONS];
  int       n_stack;
  ji_p4     had[JI_MAX_PARTICLES];
  int       n_had;
  double    ppt[JI_MAX_PARTICLES], peta[JI_MAX_PARTICLES], pphi[JI_MAX_PARTICLES];
  double   *pix;    /* [n * n] pixel sums (double: many small deposits) */
  int      *occ;    /* occupied pixels, in order of first deposit */
  double   *tpt, *tx, *ty; /* towers: pixels above threshold */
  double   *cpt, *cx, *cy, *nnd; /* kT clustering */
  int      *nn;
  char     *active;
};

const char *hd_gen_jet_class_name(hd_jet_class c) { return (c >= 0 && c < HD_JET_NCLASSES) ? ji_class_names[c] : "?"; }

void hd_gen_jetimages_defaults(hd_gen_jetimages_params *p)
{
  memset(p, 0, sizeof(*p));
  p->n_classes         = 2;
  p->classes[0]        = HD_JET_QCD;
  p->classes[1]        = HD_JET_TOP;
  p->fractions[0]      = 0.5;
  p->fractions[1]      = 0.5;
  p->image_size        = 40;
  p->preprocess        = PETSC_TRUE;
  p->jet_radius        = 1.0;
  p->pt_min            = 750.0;
  p->mass_min          = 50.0;
  p->mass_max          = 300.0;
  p->pt_gen_min        = 700.0;
  p->pt_gen_max        = 3000.0;
  p->pt_power_sm       = 5.0;
  p->pt_power_eft      = 4.0;
  p->graviton_mass     = 3000.0;
  p->graviton_pt_smear = 0.03;
  p->gluon_frac        = 0.5;
  p->alpha_s_mz        = 0.118;
  p->shower_q0         = 1.0;
  p->hadron_mult       = 1.5;
  p->hadron_cap        = 12;
  p->pileup_subtract   = PETSC_TRUE;
  p->hadron_kt         = 0.3;
  p->ue_mean           = 5.0;
  p->ue_pt_mean        = 1.0;
  p->calo_stochastic   = 0.5;
  p->calo_constant     = 0.03;
  p->calo_noise        = 0.1;
  p->calo_threshold    = 0.5;
}

PetscErrorCode hd_gen_jetimages_parse_classes(MPI_Comm comm, const char *list, hd_gen_jetimages_params *p)
{
  const char *s = list;

  PetscFunctionBegin;
  p->n_classes = 0;
  for (;;) {
    const char *e = strchr(s, ',');
    size_t      len = e ? (size_t)(e - s) : strlen(s);
    char        name[32];
    int         c;

    while (len > 0 && (*s == ' ' || *s == '\t')) s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    PetscCheck(len > 0, comm, HD_ERR_USER_INPUT, "-classes '%s': empty class name (known: qcd, top, w, r2, r3, r4, eft)", list);
    PetscCheck(len < sizeof(name), comm, HD_ERR_USER_INPUT, "-classes '%s': unknown class '%.*s' (known: qcd, top, w, r2, r3, r4, eft)", list, (int)len, s);
    memcpy(name, s, len);
    name[len] = '\0';
    for (c = 0; c < HD_JET_NCLASSES; c++)
      if (!strcmp(name, ji_class_names[c])) break;
    PetscCheck(c < HD_JET_NCLASSES, comm, HD_ERR_USER_INPUT, "-classes '%s': unknown class '%s' (known: qcd, top, w, r2, r3, r4, eft)", list, name);
    for (PetscInt k = 0; k < p->n_classes; k++) PetscCheck(p->classes[k] != (hd_jet_class)c, comm, HD_ERR_USER_INPUT, "-classes '%s': class '%s' is listed twice", list, name);
    p->classes[p->n_classes++] = (hd_jet_class)c;
    if (!e) break;
    s = e + 1;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* h -> W W*: density of the off-shell mass m* (Keung & Marciano, PRD 30 (1984) 248):
 * d Gamma / d m* ~ m* lambda^(1/2) (lambda + 12 mW^2 m*^2) / ((m*^2 - mW^2)^2 + mW^2 GW^2),
 * lambda = lambda(mh^2, mW^2, m*^2). */
static double ji_wstar_density(double ms)
{
  double mh2 = JI_MH * JI_MH, mw2 = JI_MW * JI_MW, ms2 = ms * ms;
  double lam = (mh2 - (JI_MW + ms) * (JI_MW + ms)) * (mh2 - (JI_MW - ms) * (JI_MW - ms));

  if (lam <= 0.0) return 0.0;
  return ms * sqrt(lam) * (lam + 12.0 * mw2 * ms2) / ((ms2 - mw2) * (ms2 - mw2) + mw2 * JI_GW * JI_GW);
}

PetscErrorCode hd_gen_jetimages_setup(MPI_Comm comm, hd_gen_jetimages_params *p)
{
  double sum = 0.0, acc = 0.0, fmax = 0.0;
  char   num[32];

  PetscFunctionBegin;
  PetscCheck(p->n_classes >= 1 && p->n_classes <= HD_GEN_MAX_CLASSES, comm, HD_ERR_USER_INPUT, "-classes needs 1 to %d classes, got %" PetscInt_FMT, HD_GEN_MAX_CLASSES, p->n_classes);
  for (PetscInt k = 0; k < p->n_classes; k++) {
    snprintf(num, sizeof(num), "%g", p->fractions[k]); /* PETSc's printf would write "1." */
    PetscCheck(isfinite(p->fractions[k]) && p->fractions[k] >= 0.0 && p->fractions[k] <= 1.0, comm, HD_ERR_USER_INPUT, "-class_fractions: the fraction of class '%s' must lie in [0, 1], got %s", hd_gen_jet_class_name(p->classes[k]), num);
    sum += p->fractions[k];
  }
  snprintf(num, sizeof(num), "%g", sum);
  PetscCheck(fabs(sum - 1.0) <= 1e-3, comm, HD_ERR_USER_INPUT, "-class_fractions must add up to 1 (within 0.001), they add up to %s", num);
  for (PetscInt k = 0; k < p->n_classes; k++) {
    p->fractions[k] /= sum; /* typed to a few digits ("0.333,0.333,0.334"): made exact */
    acc += p->fractions[k];
    p->cdf[k] = acc;
  }
  p->cdf[p->n_classes - 1] = 1.0;
  PetscCheck(p->image_size >= 8 && p->image_size <= 256, comm, HD_ERR_USER_INPUT, "-image_size %" PetscInt_FMT " is outside the allowed range [8, 256] pixels", p->image_size);
  PetscCheck(p->hadron_cap >= 1 && p->hadron_cap <= JI_MAX_HADRONS, comm, HD_ERR_USER_INPUT, "-hadron_cap %" PetscInt_FMT " is outside [1, %d]", p->hadron_cap, JI_MAX_HADRONS);
  PetscCheck(p->pileup_mu >= 0 && p->pileup_mu <= 200, comm, HD_ERR_USER_INPUT, "-pileup_mu %g is outside [0, 200]", p->pileup_mu);
  PetscCheck((p->pt_window[0] == 0 && p->pt_window[1] == 0) || (p->pt_window[0] >= p->pt_gen_min && p->pt_window[0] < p->pt_window[1] && p->pt_window[1] <= p->pt_gen_max), comm, HD_ERR_USER_INPUT, "-pt_window %g,%g must be LO,HI with %g <= LO < HI <= %g GeV", p->pt_window[0], p->pt_window[1], p->pt_gen_min, p->pt_gen_max);
  for (int i = 1; i < 4000; i++) fmax = PetscMax(fmax, ji_wstar_density((JI_MH - JI_MW) * i / 4000.0));
  p->wstar_fmax = 1.2 * fmax;
  p->ready      = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_gen_jetimages_work_create(const hd_gen_jetimages_params *p, hd_gen_jetimages_work *w)
{
  size_t np = (size_t)p->image_size * (size_t)p->image_size;

  PetscFunctionBegin;
  PetscCall(PetscNew(w));
  (*w)->n = p->image_size;
  PetscCall(PetscCalloc1(np, &(*w)->pix));
  PetscCall(PetscMalloc1(np, &(*w)->occ));
  PetscCall(PetscMalloc3(np, &(*w)->tpt, np, &(*w)->tx, np, &(*w)->ty));
  PetscCall(PetscMalloc4(np, &(*w)->cpt, np, &(*w)->cx, np, &(*w)->cy, np, &(*w)->nnd));
  PetscCall(PetscMalloc2(np, &(*w)->nn, np, &(*w)->active));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_gen_jetimages_work_destroy(hd_gen_jetimages_work *w)
{
  PetscFunctionBegin;
  if (!*w) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree((*w)->pix));
  PetscCall(PetscFree((*w)->occ));
  PetscCall(PetscFree3((*w)->tpt, (*w)->tx, (*w)->ty));
  PetscCall(PetscFree4((*w)->cpt, (*w)->cx, (*w)->cy, (*w)->nnd));
  PetscCall(PetscFree2((*w)->nn, (*w)->active));
  PetscCall(PetscFree(*w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- kinematics ---------------------------------------------------------------------------- */

static double ji_norm3(const ji_p4 *a) { return sqrt(a->x * a->x + a->y * a->y + a->z * a->z); }

/* Angle between the 3-momenta of a and b (atan2 form: accurate for small angles). */
static double ji_angle(const ji_p4 *a, const ji_p4 *b)
{
  double cx = a->y * b->z - a->z * b->y, cy = a->z * b->x - a->x * b->z, cz = a->x * b->y - a->y * b->x;

  return atan2(sqrt(cx * cx + cy * cy + cz * cz), a->x * b->x + a->y * b->y + a->z * b->z);
}

/* Boost p (given in the rest frame of P) to the frame where P has its momentum. */
static ji_p4 ji_boost(ji_p4 p, const ji_p4 *P, double M)
{
  double bx = P->x / P->e, by = P->y / P->e, bz = P->z / P->e, b2 = bx * bx + by * by + bz * bz;
  double g = P->e / M, bp = bx * p.x + by * p.y + bz * p.z, g2 = b2 > 0.0 ? (g - 1.0) / b2 : 0.0;
  ji_p4  q;

  q.x = p.x + (g2 * bp + g * p.e) * bx;
  q.y = p.y + (g2 * bp + g * p.e) * by;
  q.z = p.z + (g2 * bp + g * p.e) * bz;
  q.e = g * (p.e + bp);
  return q;
}

/* Two-body decay of P (mass M) into masses m1, m2, isotropic in the rest frame. */
static void ji_decay2(hd_rng *r, const ji_p4 *P, double M, double m1, double m2, ji_p4 *d1, ji_p4 *d2)
{
  double lam = (M * M - (m1 + m2) * (m1 + m2)) * (M * M - (m1 - m2) * (m1 - m2));
  double q = lam > 0.0 ? sqrt(lam) / (2.0 * M) : 0.0;
  double c = 2.0 * hd_rng_uniform(r) - 1.0, s = sqrt(1.0 - c * c), ph = 2.0 * JI_PI * hd_rng_uniform(r);
  ji_p4  a = {sqrt(q * q + m1 * m1), q * s * cos(ph), q * s * sin(ph), q * c};
  ji_p4  b = {sqrt(q * q + m2 * m2), -a.x, -a.y, -a.z};

  *d1 = ji_boost(a, P, M);
  *d2 = ji_boost(b, P, M);
}

/* Breit-Wigner mass, truncated to m0 +- 5 widths (inverse CDF). */
static double ji_breit_wigner(hd_rng *r, double m0, double g)
{
  double a = atan(-10.0), b = atan(10.0);

  return m0 + 0.5 * g * tan(a + (b - a) * hd_rng_uniform(r));
}

/* pT from dsigma/dpT ~ pT^-n on [lo, hi] (inverse CDF). */
static double ji_power_law(hd_rng *r, double lo, double hi, double n)
{
  double k = n - 1.0, t = 1.0 - pow(lo / hi, k);

  return lo * pow(1.0 - hd_rng_uniform(r) * t, -1.0 / k);
}

/* A hard object of mass m moving along +x (eta = 0, phi = 0). */
static ji_p4 ji_central(double pt, double m)
{
  ji_p4 P = {sqrt(pt * pt + m * m), pt, 0.0, 0.0};

  return P;
}

/* Orthonormal e1, e2 perpendicular to the unit vector n. */
static void ji_basis(const double n[3], double e1[3], double e2[3])
{
  double a[3] = {0.0, 0.0, 1.0}, l;

  if (fabs(n[2]) > 0.9) a[0] = 1.0, a[2] = 0.0;
  e1[0] = a[1] * n[2] - a[2] * n[1];
  e1[1] = a[2] * n[0] - a[0] * n[2];
  e1[2] = a[0] * n[1] - a[1] * n[0];
  l     = sqrt(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
  for (int i = 0; i < 3; i++) e1[i] /= l;
  e2[0] = n[1] * e1[2] - n[2] * e1[1];
  e2[1] = n[2] * e1[0] - n[0] * e1[2];
  e2[2] = n[0] * e1[1] - n[1] * e1[0];
}

static int ji_poisson(hd_rng *r, double mean)
{
  double l = exp(-mean), prod = hd_rng_uniform(r);
  int    k = 0;

  while (prod > l && k < 64) {
    prod *= hd_rng_uniform(r);
    k++;
  }
  return k;
}

/* ---- shower and hadronisation -------------------------------------------------------------- */

static double ji_alpha_s(const hd_gen_jetimages_params *p, double q)
{
  double b0 = 23.0 / (12.0 * JI_PI); /* one loop, nf = 5 */

  return p->alpha_s_mz / (1.0 + p->alpha_s_mz * b0 * log(q * q / (JI_MZ * JI_MZ)));
}

static void ji_add_hadron(hd_gen_jetimages_work w, ji_p4 h)
{
  if (w->n_had < JI_MAX_PARTICLES) w->had[w->n_had++] = h;
}

/* Local parton-hadron duality, kept simple: a parton of energy E becomes 1 + Poisson(hadron_mult
 * ln(1 + E / GeV)) massless hadrons sharing its momentum (exponential shares), each with a Gaussian
 * transverse momentum of width hadron_kt per axis around the parton direction. */
static void ji_hadronise(const hd_gen_jetimages_params *p, hd_gen_jetimages_work w, hd_rng *r, const ji_p4 *q)
{
  double e = ji_norm3(q), n[3], e1[3], e2[3], x[JI_MAX_HADRONS], sum = 0.0;
  int    nh = 1 + ji_poisson(r, p->hadron_mult * log1p(e));

  if (e <= 0.0) return;
  if (nh > p->hadron_cap) nh = (int)p->hadron_cap;
  n[0] = q->x / e, n[1] = q->y / e, n[2] = q->z / e;
  ji_basis(n, e1, e2);
  for (int i = 0; i < nh; i++) sum += x[i] = hd_rng_exponential(r);
  for (int i = 0; i < nh; i++) {
    double k1 = p->hadron_kt * hd_rng_normal(r), k2 = p->hadron_kt * hd_rng_normal(r), f = x[i] / sum * e;
    ji_p4  h;

    h.x = f * n[0] + k1 * e1[0] + k2 * e2[0];
    h.y = f * n[1] + k1 * e1[1] + k2 * e2[1];
    h.z = f * n[2] + k1 * e1[2] + k2 * e2[2];
    h.e = ji_norm3(&h);
    ji_add_hadron(w, h);
  }
}

/* -b_fragmentation: a b quark at the end of its shower becomes a B hadron (5.279 GeV) carrying a
 * fraction z of its energy, z from the Peterson function (1/z)(1 - 1/z - eps/(1 - z))^-2 with
 * eps_b = 0.006 (Peterson et al., PRD 27 (1983) 105); the rest hadronises as a light parton. The B
 * decays as B -> D (1.865 GeV) X, X of mass uniform in [0.5, 3.3] GeV, D -> 2 and X -> 2 massless
 * particles, each step isotropic in its rest frame: a hard core of four particles. */
static double ji_peterson(double z) { return 1.0 / (z * pow(1.0 - 1.0 / z - 0.006 / (1.0 - z), 2.0)); }

static void ji_hadronise_b(const hd_gen_jetimages_params *p, hd_gen_jetimages_work w, hd_rng *r, const ji_p4 *q)
{
  const double mb = 5.279, md = 1.865;
  double       e = ji_norm3(q), z, eb, pb, fmax = 0.0;
  ji_p4        B, D, X, d[4], rest;

  if (e <= mb + 0.5) {
    ji_hadronise(p, w, r, q);
    return;
  }
  for (int i = 1; i < 2000; i++) fmax = PetscMax(fmax, ji_peterson(i / 2000.0)); /* peak near 0.86 */
  fmax *= 1.1;
  do z = hd_rng_uniform(r);
  while (hd_rng_uniform(r) * fmax > ji_peterson(z));
  eb = PetscMax(z * e, mb + 0.1);
  pb = sqrt(eb * eb - mb * mb);
  B  = (ji_p4){eb, q->x / e * pb, q->y / e * pb, q->z / e * pb};
  ji_decay2(r, &B, mb, md, 0.5 + 2.8 * hd_rng_uniform(r), &D, &X);
  {
    double mx = sqrt(PetscMax(X.e * X.e - X.x * X.x - X.y * X.y - X.z * X.z, 0.0));
    ji_decay2(r, &D, md, 0.0, 0.0, &d[0], &d[1]);
    ji_decay2(r, &X, mx, 0.0, 0.0, &d[2], &d[3]);
  }
  for (int k = 0; k < 4; k++) ji_add_hadron(w, d[k]);
  rest = (ji_p4){0, q->x * (1.0 - pb / e), q->y * (1.0 - pb / e), q->z * (1.0 - pb / e)};
  rest.e = ji_norm3(&rest);
  if (rest.e > 0.1) ji_hadronise(p, w, r, &rest);
}

/* Angular-ordered parton shower of one prong, soft-collinear emissions
 *   dP = (alpha_s(kT) / pi) 2 C (d theta / theta) (dz / z) x P(z) / (2 C / z),  kT = z E theta > Q0,
 * sampled with the veto algorithm from the overestimate alpha_s -> JI_ALPHA_MAX, P -> 2 C / z. With
 * L = ln(E theta / (2 Q0)) the overestimated Sudakov from L0 to L is exp(-(c / 2)(L0^2 - L^2)),
 * c = 2 C JI_ALPHA_MAX / pi, and z is log-uniform in [Q0 / (E theta), 1/2]. Emitted gluons shower
 * in turn inside their emission angle; the emitter recoils (3-momentum kept). Finished partons are
 * hadronised. */
static void ji_shower(const hd_gen_jetimages_params *p, hd_gen_jetimages_work w, hd_rng *r, const ji_parton *start)
{
  const double q0 = p->shower_q0;

  w->n_stack             = 0;
  w->stack[w->n_stack++] = *start;
  while (w->n_stack > 0) {
    ji_parton q     = w->stack[--w->n_stack];
    double    theta = q.theta_max, cf = q.gluon == 1 ? JI_CA : JI_CF, c = 2.0 * cf * JI_ALPHA_MAX / JI_PI;

    for (;;) {
      double e = ji_norm3(&q.p), l0, l2, l, z, kt, acc;

      if (e <= 0.0) break;
      l0 = log(0.5 * e * theta / q0);
      if (l0 <= 0.0) break;
      l2 = l0 * l0 + 2.0 * log(hd_rng_uniform(r)) / c;
      if (l2 <= 0.0) break; /* no emission above the cut-off */
      l     = sqrt(l2);
      theta = 2.0 * q0 * exp(l) / e;
      z     = 0.5 * exp(-l) * exp(l * hd_rng_uniform(r)); /* log-uniform in [Q0 / (E theta), 1/2] */
      kt    = z * e * theta;
      /* P(z) / (2 C / z): q -> q g (1 + (1-z)^2) / 2; g -> g g, both halves, (1 - z + z^2)^2 / (1 - z) */
      acc = ji_alpha_s(p, kt) / JI_ALPHA_MAX * (q.gluon == 1 ? (1.0 - z + z * z) * (1.0 - z + z * z) / (1.0 - z) : 0.5 * (1.0 + (1.0 - z) * (1.0 - z)));
      if (hd_rng_uniform(r) >= acc) continue;

      double n[3] = {q.p.x / e, q.p.y / e, q.p.z / e}, e1[3], e2[3], ph = 2.0 * JI_PI * hd_rng_uniform(r);
      double st = sin(theta), ct = cos(theta), k = z * e;
      ji_p4  g;

      ji_basis(n, e1, e2);
      g.x = k * (ct * n[0] + st * (cos(ph) * e1[0] + sin(ph) * e2[0]));
      g.y = k * (ct * n[1] + st * (cos(ph) * e1[1] + sin(ph) * e2[1]));
      g.z = k * (ct * n[2] + st * (cos(ph) * e1[2] + sin(ph) * e2[2]));
      g.e = k;
      q.p.x -= g.x, q.p.y -= g.y, q.p.z -= g.z;
      q.p.e = ji_norm3(&q.p);
      if (w->n_stack < JI_MAX_PARTONS) {
        ji_parton gl = {g, theta, 1};

        w->stack[w->n_stack++] = gl;
      } else {
        ji_hadronise(p, w, r, &g);
      }
    }
    if (q.gluon == 2) ji_hadronise_b(p, w, r, &q.p);
    else ji_hadronise(p, w, r, &q.p);
  }
}

static void ji_prong(const hd_gen_jetimages_params *p, hd_gen_jetimages_work w, hd_rng *r, ji_p4 q, double theta_max, int gluon)
{
  ji_parton s;

  q.e         = ji_norm3(&q); /* prongs shower as massless partons */
  s.p         = q;
  s.theta_max = theta_max;
  s.gluon     = gluon;
  ji_shower(p, w, r, &s);
}

/* The shower keeps 3-momentum but not energy, so the hadrons of a decay, w->had[h0 ..], come out
 * heavier than their parent. Restore the parent: in the hadrons' rest frame scale every momentum by
 * M / M' (massless hadrons: the system mass becomes M), then boost with the parent's velocity. */
static void ji_restore_parent(hd_gen_jetimages_work w, int h0, const ji_p4 *P, double M)
{
  ji_p4  S = {0, 0, 0, 0}, inv;
  double m2, f;

  for (int k = h0; k < w->n_had; k++) S.e += w->had[k].e, S.x += w->had[k].x, S.y += w->had[k].y, S.z += w->had[k].z;
  m2 = S.e * S.e - S.x * S.x - S.y * S.y - S.z * S.z;
  if (m2 <= 0.0 || M <= 0.0) return;
  inv.e = S.e, inv.x = -S.x, inv.y = -S.y, inv.z = -S.z;
  f     = M / sqrt(m2);
  for (int k = h0; k < w->n_had; k++) {
    ji_p4 h = ji_boost(w->had[k], &inv, sqrt(m2));

    h.x *= f, h.y *= f, h.z *= f;
    h.e       = ji_norm3(&h);
    w->had[k] = ji_boost(h, P, M);
  }
}

/* V -> q qbar: colour singlet, so both prongs radiate inside their opening angle. */
static void ji_singlet_to_qq(const hd_gen_jetimages_params *p, hd_gen_jetimages_work w, hd_rng *r, const ji_p4 *V, double m, int flavour)
{
  ji_p4  a, b;
  double th;
  int    h0 = w->n_had;

  ji_decay2(r, V, m, 0.0, 0.0, &a, &b);
  th = ji_angle(&a, &b);
  ji_prong(p, w, r, a, th, flavour);
  ji_prong(p, w, r, b, th, flavour);
  ji_restore_parent(w, h0, V, m);
}

/* t -> b W, W -> q q': the b carries the top's colour (radiates up to R), the W's pair is a singlet. */
static void ji_top(const hd_gen_jetimages_params *p, hd_gen_jetimages_work w, hd_rng *r, double pt)
{
  double mt = ji_breit_wigner(r, JI_MT, JI_GT), mw = ji_breit_wigner(r, JI_MW, JI_GW);
  ji_p4  T = ji_central(pt, mt), b, W;
  int    h0 = w->n_had;

  ji_decay2(r, &T, mt, 0.0, mw, &b, &W);
  ji_prong(p, w, r, b, p->jet_radius, p->b_fragmentation ? 2 : 0); /* the b of t -> b W */
  ji_singlet_to_qq(p, w, r, &W, mw, 0);
  ji_restore_parent(w, h0, &T, mt);
}

/* pT of a daughter of mass m of the graviton (isotropic decay), smeared for its width and recoil. */
static double ji_graviton_pt(const hd_gen_jetimages_params *p, hd_rng *r, double m)
{
  double mg = p->graviton_mass, c = 2.0 * hd_rng_uniform(r) - 1.0;

  return sqrt(0.25 * mg * mg - m * m) * sqrt(1.0 - c * c) * (1.0 + p->graviton_pt_smear * hd_rng_normal(r));
}

/* Parton-level pT of a hard object with spectrum pT^-power: in [pt_gen_min, pt_gen_max], or in the
 * common window -pt_window when it is set (with the SM power for every class). */
static double ji_pt_draw(const hd_gen_jetimages_params *p, hd_rng *r, double power)
{
  if (p->pt_window[1] > 0) return ji_power_law(r, p->pt_window[0], p->pt_window[1], p->pt_power_sm);
  return ji_power_law(r, p->pt_gen_min, p->pt_gen_max, power);
}

/* pT of a graviton daughter: from the decay, or from the common window when it is set. */
static double ji_graviton_daughter_pt(const hd_gen_jetimages_params *p, hd_rng *r, double m)
{
  return p->pt_window[1] > 0 ? ji_pt_draw(p, r, p->pt_power_sm) : ji_graviton_pt(p, r, m);
}

/* The hard object of class c and its showered, hadronised prongs: hadrons into w->had. Returns 0
 * when the parton-level pT falls outside [pt_gen_min, pt_gen_max] (the event is drawn again). */
static int ji_hard_process(const hd_gen_jetimages_params *p, hd_gen_jetimages_work w, hd_rng *r, hd_jet_class c)
{
  double pt, m;

  switch (c) {
  case HD_JET_QCD: {
    int   gluon = hd_rng_uniform(r) < p->gluon_frac;
    ji_p4 q;

    pt = ji_pt_draw(p, r, p->pt_power_sm);
    q  = ji_central(pt, 0.0);
    ji_prong(p, w, r, q, p->jet_radius, gluon);
    return 1;
  }
  case HD_JET_TOP:
    ji_top(p, w, r, ji_pt_draw(p, r, p->pt_power_sm));
    return 1;
  case HD_JET_W: {
    ji_p4 V;

    m  = ji_breit_wigner(r, JI_MW, JI_GW);
    pt = ji_pt_draw(p, r, p->pt_power_sm);
    V  = ji_central(pt, m);
    ji_singlet_to_qq(p, w, r, &V, m, 0);
    return 1;
  }
  case HD_JET_R2: {
    ji_p4 V;

    m  = ji_breit_wigner(r, JI_MZ, JI_GZ);
    pt = ji_graviton_daughter_pt(p, r, m);
    if (pt < p->pt_gen_min || pt > p->pt_gen_max) return 0;
    V = ji_central(pt, m);
    ji_singlet_to_qq(p, w, r, &V, m, 0);
    return 1;
  }
  case HD_JET_R3:
    pt = ji_graviton_daughter_pt(p, r, JI_MT);
    if (pt < p->pt_gen_min || pt > p->pt_gen_max) return 0;
    ji_top(p, w, r, pt);
    return 1;
  case HD_JET_R4: {
    double ms;
    ji_p4  H, W1, W2;

    pt = ji_graviton_daughter_pt(p, r, JI_MH);
    if (pt < p->pt_gen_min || pt > p->pt_gen_max) return 0;
    do ms = (JI_MH - JI_MW) * hd_rng_uniform(r);
    while (hd_rng_uniform(r) * p->wstar_fmax > ji_wstar_density(ms));
    H = ji_central(pt, JI_MH);
    ji_decay2(r, &H, JI_MH, JI_MW, ms, &W1, &W2);
    ji_singlet_to_qq(p, w, r, &W1, JI_MW, 0);
    ji_singlet_to_qq(p, w, r, &W2, ms, 0);
    ji_restore_parent(w, 0, &H, JI_MH);
    return 1;
  }
  case HD_JET_EFT: {
    ji_p4 H;

    pt = ji_pt_draw(p, r, p->pt_power_eft);
    H  = ji_central(pt, JI_MH);
    ji_singlet_to_qq(p, w, r, &H, JI_MH, p->b_fragmentation ? 2 : 0); /* H -> b b */
    return 1;
  }
  default:
    return 0;
  }
}

static int ji_cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ---- detector, jet, image ------------------------------------------------------------------ */

static double ji_dphi(double a) { return a > JI_PI ? a - 2.0 * JI_PI : (a <= -JI_PI ? a + 2.0 * JI_PI : a); }

/* N-subjettiness (Thaler & Van Tilburg, JHEP 03 (2011) 015, eq. 2 with beta = 1) on the towers, with
 * exclusive kT axes: towers are clustered pairwise (d_ij = min(pT_i, pT_j)^2 dR_ij^2, pT-weighted
 * recombination) down to 3, 2, 1 clusters, with nearest-neighbour caching. */
static inline double ji_dkt(const hd_gen_jetimages_work w, int a, int b)
{
  double pt = PetscMin(w->cpt[a], w->cpt[b]), dx = w->cx[a] - w->cx[b], dy = w->cy[a] - w->cy[b];

  return pt * pt * (dx * dx + dy * dy);
}

/* Nearest active neighbour of cluster k. */
static void ji_nearest(hd_gen_jetimages_work w, int n, int k)
{
  w->nn[k] = -1, w->nnd[k] = HUGE_VAL;
  for (int l = 0; l < n; l++) {
    double d;

    if (l == k || !w->active[l]) continue;
    d = ji_dkt(w, k, l);
    if (d < w->nnd[k]) w->nnd[k] = d, w->nn[k] = l;
  }
}

static void ji_nsubjettiness(hd_gen_jetimages_work w, int n, double radius, double *tau21, double *tau32)
{
  double ax[6], ay[6], tau[4] = {0, 0, 0, 0}, ptsum = 0.0;
  int    na[4] = {0, 0, 0, 0}, m = n, off[4] = {0, 0, 1, 3}; /* axes of N = 1, 2, 3 at ax[off[N]] */

  for (int i = 0; i < n; i++) {
    w->cpt[i] = w->tpt[i], w->cx[i] = w->tx[i], w->cy[i] = w->ty[i], w->active[i] = 1;
    ptsum += w->tpt[i];
  }
  for (int i = 0; i < n; i++) ji_nearest(w, n, i);
  for (;;) {
    for (int N = 3; N >= 1; N--)
      if (m <= N && na[N] == 0) {
        for (int k = 0; k < n; k++)
          if (w->active[k]) ax[off[N] + na[N]] = w->cx[k], ay[off[N] + na[N]] = w->cy[k], na[N]++;
        if (na[N] == 0) na[N] = -1; /* no towers at all */
      }
    if (m <= 1) break;
    int i = -1;

    for (int k = 0; k < n; k++)
      if (w->active[k] && (i < 0 || w->nnd[k] < w->nnd[i])) i = k;
    int    j = w->nn[i];
    double s = w->cpt[i] + w->cpt[j];

    w->cx[i]     = (w->cpt[i] * w->cx[i] + w->cpt[j] * w->cx[j]) / s;
    w->cy[i]     = (w->cpt[i] * w->cy[i] + w->cpt[j] * w->cy[j]) / s;
    w->cpt[i]    = s;
    w->active[j] = 0;
    m--;
    /* only neighbours of the two merged clusters change: O(n) per step, O(n^2) in all */
    for (int k = 0; k < n; k++) {
      double d;

      if (!w->active[k] || k == i) continue;
      if (w->nn[k] == i || w->nn[k] == j) {
        ji_nearest(w, n, k);
      } else if ((d = ji_dkt(w, k, i)) < w->nnd[k]) {
        w->nnd[k] = d, w->nn[k] = i;
      }
    }
    ji_nearest(w, n, i);
  }
  for (int N = 1; N <= 3; N++) {
    if (na[N] <= 0) continue;
    for (int t = 0; t < n; t++) {
      double dmin = HUGE_VAL;

      for (int a = 0; a < na[N]; a++) {
        double dx = w->tx[t] - ax[off[N] + a], dy = w->ty[t] - ay[off[N] + a];

        dmin = PetscMin(dmin, dx * dx + dy * dy);
      }
      tau[N] += w->tpt[t] * sqrt(dmin);
    }
    tau[N] /= ptsum * radius;
  }
  *tau21 = tau[1] > 0.0 ? tau[2] / tau[1] : 0.0;
  *tau32 = tau[2] > 0.0 ? tau[3] / tau[2] : 0.0;
}

/* -preprocess_rebin: the preprocessing applied to the towers of the fixed detector grid, after the
 * features and the selection were measured on them. Centre on the pT-weighted centroid, rotate the
 * principal axis to +y, flip so that x > 0 and y > 0 carry the larger pT (as the particle-level
 * preprocessing does), then deposit each tower's pT bilinearly on the four output pixels around
 * its new centre (pT kept, except what falls outside the image). */
static void ji_rebin(int n, double R, double delta, int nt, const double *pt, const double *tx, const double *ty, float *image)
{
  double s = 0, cx = 0, cy = 0, cxx = 0, cyy = 0, cxy = 0, a, cb, sb, fx = 0, fy = 0;

  memset(image, 0, sizeof(float) * (size_t)n * (size_t)n);
  for (int t = 0; t < nt; t++) s += pt[t], cx += pt[t] * tx[t], cy += pt[t] * ty[t];
  if (s <= 0) return;
  cx /= s, cy /= s;
  for (int t = 0; t < nt; t++) {
    double x = tx[t] - cx, y = ty[t] - cy;
    cxx += pt[t] * x * x, cyy += pt[t] * y * y, cxy += pt[t] * x * y;
  }
  a  = 0.5 * atan2(2.0 * cxy, cxx - cyy);
  cb = cos(0.5 * JI_PI - a), sb = sin(0.5 * JI_PI - a);
  for (int t = 0; t < nt; t++) { /* pT-weighted sides decide the flips */
    double x = tx[t] - cx, y = ty[t] - cy;
    fx += pt[t] * (x * cb - y * sb >= 0 ? 1 : -1);
    fy += pt[t] * (x * sb + y * cb >= 0 ? 1 : -1);
  }
  for (int t = 0; t < nt; t++) {
    double x = tx[t] - cx, y = ty[t] - cy, xr = x * cb - y * sb, yr = x * sb + y * cb;
    double u = ((fx < 0 ? -xr : xr) + R) / delta - 0.5, v = ((fy < 0 ? -yr : yr) + R) / delta - 0.5;
    int    j0 = (int)floor(u), i0 = (int)floor(v);
    double du = u - j0, dv = v - i0;
    for (int di = 0; di < 2; di++)
      for (int dj = 0; dj < 2; dj++) {
        int i = i0 + di, j = j0 + dj;
        if (i < 0 || i >= n || j < 0 || j >= n) continue;
        image[i * n + j] += (float)(pt[t] * (di ? dv : 1 - dv) * (dj ? du : 1 - du));
      }
  }
}

/* Detector, jet finding, preprocessing and pixels for the hadrons in w->had plus underlying event.
 * Fills image (unnormalised, GeV) and feat; returns 1 when the jet passes the selection. */
static int ji_detect(const hd_gen_jetimages_params *p, hd_gen_jetimages_work w, hd_rng *r, float *image, float *feat)
{
  const int    n = (int)w->n;
  const double R = p->jet_radius, delta = 2.0 * R / n;
  int          np = 0, nue, nocc = 0, nt = 0;
  double       eta_j = 0.0, phi_j = 0.0, pu_cut = 0.0;

  /* underlying event and other soft wide-angle particles: uniform in a disc of radius 1.2 R */
  nue = ji_poisson(r, p->ue_mean);
  for (int k = 0; k < nue; k++) {
    double rr = 1.2 * R * sqrt(hd_rng_uniform(r)), a = 2.0 * JI_PI * hd_rng_uniform(r), pt = p->ue_pt_mean * hd_rng_exponential(r);
    double eta = rr * cos(a), phi = rr * sin(a);
    ji_p4  h   = {pt * cosh(eta), pt * cos(phi), pt * sin(phi), pt * sinh(eta)};

    ji_add_hadron(w, h);
  }
  /* pile-up: Poisson(mu) interactions, each JI_PU_DENSITY soft particles per unit area (normal
   * approximation of the Poisson count: hundreds of particles) */
  if (p->pileup_mu > 0) {
    int    n_int = 0;
    double mean;
    for (double t = hd_rng_exponential(r); t < p->pileup_mu; t += hd_rng_exponential(r)) n_int++;
    mean = n_int * JI_PU_DENSITY * JI_PI * 1.44 * R * R;
    int npu = (int)floor(mean + sqrt(mean) * hd_rng_normal(r) + 0.5);
    for (int k = 0; k < npu; k++) {
      double rr = 1.2 * R * sqrt(hd_rng_uniform(r)), a = 2.0 * JI_PI * hd_rng_uniform(r), pt = JI_PU_PT_MEAN * hd_rng_exponential(r);
      double eta = rr * cos(a), phi = rr * sin(a);
      ji_p4  h   = {pt * cosh(eta), pt * cos(phi), pt * sin(phi), pt * sinh(eta)};
      ji_add_hadron(w, h);
    }
  }
  /* calorimeter response per particle: sigma_E / E = stochastic / sqrt(E) (+) constant */
  for (int k = 0; k < w->n_had; k++) {
    const ji_p4 *h  = &w->had[k];
    double       pt = hypot(h->x, h->y), e = h->e, s, f;

    if (pt <= 0.0 || e <= 0.0) continue;
    s = sqrt(p->calo_stochastic * p->calo_stochastic / e + p->calo_constant * p->calo_constant);
    f = 1.0 + s * hd_rng_normal(r);
    if (f <= 0.0) continue;
    w->ppt[np]  = pt * f;
    w->peta[np] = asinh(h->z / pt);
    w->pphi[np] = atan2(h->y, h->x);
    np++;
  }
  /* the jet: particles within R of its axis (E-scheme axis, iterated from the hard object's) */
  for (int it = 0; it < 3; it++) {
    double sx = 0, sy = 0, sz = 0;

    for (int k = 0; k < np; k++) {
      double de = w->peta[k] - eta_j, dp = ji_dphi(w->pphi[k] - phi_j);

      if (de * de + dp * dp >= R * R) continue;
      sx += w->ppt[k] * cos(w->pphi[k]);
      sy += w->ppt[k] * sin(w->pphi[k]);
      sz += w->ppt[k] * sinh(w->peta[k]);
    }
    if (sx == 0.0 && sy == 0.0) return 0;
    eta_j = asinh(sz / hypot(sx, sy));
    phi_j = atan2(sy, sx);
  }
  {
    int m = 0;

    for (int k = 0; k < np; k++) {
      double de = w->peta[k] - eta_j, dp = ji_dphi(w->pphi[k] - phi_j);

      if (de * de + dp * dp >= R * R) continue;
      w->ppt[m] = w->ppt[k], w->peta[m] = de, w->pphi[m] = dp; /* relative coordinates: y = eta, x = phi */
      m++;
    }
    np = m;
  }
  if (p->preprocess && !p->preprocess_rebin) {
    /* centre on the pT-weighted centroid, rotate the principal axis to vertical (+y), flip so
     * that the right half (x > 0) and the upper half (y > 0) carry the larger pT */
    double s = 0, cx = 0, cy = 0, cxx = 0, cyy = 0, cxy = 0, a, cb, sb, left = 0, right = 0, low = 0, up = 0;

    for (int k = 0; k < np; k++) s += w->ppt[k], cx += w->ppt[k] * w->pphi[k], cy += w->ppt[k] * w->peta[k];
    cx /= s, cy /= s;
    for (int k = 0; k < np; k++) {
      double x = w->pphi[k] - cx, y = w->peta[k] - cy;

      cxx += w->ppt[k] * x * x, cyy += w->ppt[k] * y * y, cxy += w->ppt[k] * x * y;
    }
    a  = 0.5 * atan2(2.0 * cxy, cxx - cyy); /* major axis, from +x */
    cb = cos(0.5 * JI_PI - a), sb = sin(0.5 * JI_PI - a);
    for (int k = 0; k < np; k++) {
      double x = w->pphi[k] - cx, y = w->peta[k] - cy;

      w->pphi[k] = x * cb - y * sb;
      w->peta[k] = x * sb + y * cb;
      if (w->pphi[k] < 0) left += w->ppt[k];
      else right += w->ppt[k];
      if (w->peta[k] < 0) low += w->ppt[k];
      else up += w->ppt[k];
    }
    for (int k = 0; k < np; k++) {
      if (left > right) w->pphi[k] = -w->pphi[k];
      if (low > up) w->peta[k] = -w->peta[k];
    }
  }
  /* pixels: row i ~ y (eta'), column j ~ x (phi'), both increasing with the index */
  for (int k = 0; k < np; k++) {
    int i = (int)floor((w->peta[k] + R) / delta), j = (int)floor((w->pphi[k] + R) / delta);

    if (i < 0 || i >= n || j < 0 || j >= n) continue;
    if (w->pix[i * n + j] == 0.0) w->occ[nocc++] = i * n + j;
    w->pix[i * n + j] += w->ppt[k];
  }
  /* pile-up grooming, SoftKiller-like (Cacciari, Salam, Soyez, EPJC 75 (2015) 59): the grid cut
   * into patches of about 0.4 x 0.4, the cut is the median over patches of the largest pixel pT,
   * and pixels below it are emptied, so that half of the patches hold nothing */
  if (p->pileup_mu > 0 && p->pileup_subtract) {
    double pmax[4096];
    int    ps = PetscMax((int)ceil(0.4 / delta), (n + 63) / 64), np_side = (n + ps - 1) / ps, npatch = np_side * np_side;
    for (int q = 0; q < npatch; q++) pmax[q] = 0.0;
    for (int o = 0; o < nocc; o++) {
      int q = w->occ[o], c = (q / n / ps) * np_side + (q % n) / ps;
      pmax[c] = PetscMax(pmax[c], w->pix[q]);
    }
    qsort(pmax, (size_t)npatch, sizeof(double), ji_cmp_double);
    pu_cut = pmax[npatch / 2];
  }
  /* noise on the occupied pixels (an empty pixel passing the threshold is a 5-sigma fluctuation,
   * neglected), threshold, towers */
  memset(image, 0, sizeof(float) * (size_t)n * (size_t)n);
  for (int o = 0; o < nocc; o++) {
    int    q = w->occ[o];
    double v = w->pix[q] + p->calo_noise * hd_rng_normal(r);
    if (v < pu_cut) v = 0; /* SoftKiller */

    w->pix[q] = 0.0; /* leave the scratch image clean */
    if (v < p->calo_threshold) continue;
    image[q]  = (float)v;
    w->tpt[nt] = v;
    w->ty[nt]  = -R + (q / n + 0.5) * delta;
    w->tx[nt]  = -R + (q % n + 0.5) * delta;
    nt++;
  }
  /* jet pT and mass from the towers as massless 4-vectors at (eta, phi) = (y, x); double sums */
  {
    double E = 0, px = 0, py = 0, pz = 0, pt, m2, t21, t32;

    for (int t = 0; t < nt; t++) {
      E += w->tpt[t] * cosh(w->ty[t]);
      px += w->tpt[t] * cos(w->tx[t]);
      py += w->tpt[t] * sin(w->tx[t]);
      pz += w->tpt[t] * sinh(w->ty[t]);
    }
    pt = hypot(px, py);
    m2 = E * E - px * px - py * py - pz * pz;
    feat[0] = (float)pt;
    feat[1] = (float)(m2 > 0.0 ? sqrt(m2) : 0.0);
    if (!(pt > p->pt_min && feat[1] >= p->mass_min && feat[1] <= p->mass_max)) return 0;
    ji_nsubjettiness(w, nt, R, &t21, &t32);
    feat[2] = (float)t21;
    feat[3] = (float)t32;
  }
  if (p->preprocess && p->preprocess_rebin) ji_rebin(n, R, delta, nt, w->tpt, w->tx, w->ty, image);
  return 1;
}

PetscErrorCode hd_gen_jetimages_make(const hd_gen_jetimages_params *p, hd_gen_jetimages_work w, uint64_t seed, uint64_t index, float *image, float *features, int32_t *label)
{
  hd_rng       r;
  double       u;
  PetscInt     k = 0;
  int          tries;
  hd_jet_class c;

  PetscFunctionBegin;
  PetscCheck(p->ready && w->n == p->image_size, PETSC_COMM_SELF, HD_ERR_INTERNAL, "jetimages generator used before hd_gen_jetimages_setup() or with a work space of another size");
  hd_rng_init(&r, seed, HD_STREAM_GEN_JETIMAGES, index);
  u = hd_rng_uniform(&r);
  while (k < p->n_classes - 1 && u >= p->cdf[k]) k++;
  c = p->classes[k];
  for (tries = 0; tries < JI_MAX_TRIES; tries++) {
    w->n_had = 0;
    if (!ji_hard_process(p, w, &r, c)) continue;
    if (ji_detect(p, w, &r, image, features)) break;
  }
  PetscCheck(tries < JI_MAX_TRIES, PETSC_COMM_SELF, HD_ERR_INTERNAL, "jetimages event %" PRIu64 " (class %s): no jet passed the selection in %d tries", index, hd_gen_jet_class_name(c), JI_MAX_TRIES);
  if (p->preprocess) {
    size_t np  = (size_t)p->image_size * (size_t)p->image_size;
    double sum = 0.0; /* double: 1600 terms */

    for (size_t q = 0; q < np; q++) sum += image[q];
    for (size_t q = 0; q < np; q++) image[q] = (float)(image[q] / sum);
  }
  *label = (int32_t)k;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_gen_jetimages_rows(const hd_gen_jetimages_params *p, hd_gen_jetimages_work w, uint64_t seed, int64_t row0, PetscInt count, float *images, float *features, int32_t *label)
{
  size_t np = (size_t)p->image_size * (size_t)p->image_size;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < count; i++) PetscCall(hd_gen_jetimages_make(p, w, seed, (uint64_t)(row0 + i), images + (size_t)i * np, features + (size_t)i * HD_GEN_JETIMAGES_NFEATURES, label + i));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the skeleton's model (include/hadal/generate.h) ---- */

static void ji_layout(const hd_gen_config *cfg, hd_events_layout *L)
{
  L->image_h = cfg->jetimages.image_size;
  L->image_w = cfg->jetimages.image_size;
}

static PetscErrorCode ji_work_create(const hd_gen_config *cfg, void **work)
{
  hd_gen_jetimages_work w;

  PetscFunctionBegin;
  PetscCall(hd_gen_jetimages_work_create(&cfg->jetimages, &w));
  *work = w;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ji_work_destroy(void **work)
{
  hd_gen_jetimages_work w = (hd_gen_jetimages_work)*work;

  PetscFunctionBegin;
  PetscCall(hd_gen_jetimages_work_destroy(&w));
  *work = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ji_rows(const hd_gen_config *cfg, void *work, int64_t row0, PetscInt count, const hd_gen_rows *out)
{
  PetscFunctionBegin;
  PetscCall(hd_gen_jetimages_rows(&cfg->jetimages, (hd_gen_jetimages_work)work, cfg->seed, row0, count, out->images, out->features, out->label));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Classes with their fractions, the image conventions and every model constant. */
static PetscErrorCode ji_attributes(const hd_gen_config *cfg, hd_events_writer w)
{
  const hd_gen_jetimages_params *p = &cfg->jetimages;
  const char                    *names[HD_GEN_MAX_CLASSES];
  char                           key[64];
  const struct {
    const char *name;
    double      value;
  } par[] = {
    {"jet_radius", p->jet_radius},
    {"pt_min", p->pt_min},
    {"mass_min", p->mass_min},
    {"mass_max", p->mass_max},
    {"pt_gen_min", p->pt_gen_min},
    {"pt_gen_max", p->pt_gen_max},
    {"pt_power_sm", p->pt_power_sm},
    {"pt_power_eft", p->pt_power_eft},
    {"graviton_mass", p->graviton_mass},
    {"graviton_pt_smear", p->graviton_pt_smear},
    {"gluon_frac", p->gluon_frac},
    {"alpha_s_mz", p->alpha_s_mz},
    {"shower_q0", p->shower_q0},
    {"hadron_mult", p->hadron_mult},
    {"hadron_kt", p->hadron_kt},
    {"ue_mean", p->ue_mean},
    {"ue_pt_mean", p->ue_pt_mean},
    {"calo_stochastic", p->calo_stochastic},
    {"calo_constant", p->calo_constant},
    {"calo_noise", p->calo_noise},
    {"calo_threshold", p->calo_threshold},
  };

  PetscFunctionBegin;
  for (PetscInt k = 0; k < p->n_classes; k++) names[k] = hd_gen_jet_class_name(p->classes[k]);
  PetscCall(hd_events_writer_attr_strings(w, "classes", p->n_classes, names));
  /* signals: every class but the first (label 0, the background of DESIGN.md section 3) */
  if (p->n_classes > 1) PetscCall(hd_events_writer_attr_strings(w, "signals", p->n_classes - 1, names + 1));
  for (PetscInt k = 0; k < p->n_classes; k++) {
    snprintf(key, sizeof(key), "class_fraction_%s", names[k]);
    PetscCall(hd_events_writer_attr_double(w, key, p->fractions[k]));
  }
  PetscCall(hd_events_writer_attr_int(w, "image_size", (int64_t)p->image_size));
  PetscCall(hd_events_writer_attr_int(w, "preprocess", p->preprocess ? 1 : 0));
  PetscCall(hd_events_writer_attr_string(w, "image_axes", p->preprocess ? "row: eta' (principal axis), column: phi'; centred, rotated, flipped, sum 1" : "row: eta - eta_jet, column: phi - phi_jet; pixel pT in GeV"));
  for (size_t i = 0; i < sizeof(par) / sizeof(par[0]); i++) PetscCall(hd_events_writer_attr_double(w, par[i].name, par[i].value));
  if (p->hadron_cap != 12) PetscCall(hd_events_writer_attr_int(w, "hadron_cap", (int64_t)p->hadron_cap)); /* only when set */
  if (p->pileup_mu > 0) {
    PetscCall(hd_events_writer_attr_double(w, "pileup_mu", p->pileup_mu));
    PetscCall(hd_events_writer_attr_int(w, "pileup_subtract", p->pileup_subtract ? 1 : 0));
  }
  if (p->preprocess_rebin) PetscCall(hd_events_writer_attr_int(w, "preprocess_rebin", 1)); /* only when set */
  if (p->b_fragmentation) PetscCall(hd_events_writer_attr_int(w, "b_fragmentation", 1));
  if (p->pt_window[1] > 0) { /* only when set: files made without it stay as they were */
    PetscCall(hd_events_writer_attr_double(w, "pt_window_lo", p->pt_window[0]));
    PetscCall(hd_events_writer_attr_double(w, "pt_window_hi", p->pt_window[1]));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_gen_model hd_gen_model_jetimages = {"jetimages", HD_GEN_JETIMAGES_NFEATURES, hd_gen_jetimages_feature_names, ji_layout, ji_work_create, ji_work_destroy, ji_rows, ji_attributes};
