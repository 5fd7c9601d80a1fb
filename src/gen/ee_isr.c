/* ee_isr generator: e+e- -> gamma + jets at sqrt(s) = 1 TeV, radiative return (seed 004;
 * docs/generators.md says what is modelled and what is not).
 *
 * Background: e+e- -> gamma_ISR gamma* or Z -> q qbar. The ISR photon takes the energy fraction
 * x = 2 E_gamma / sqrt(s) from the radiator (1 + (1 - x)^2) / x times the s-channel 1 / s-hat of
 * the hard process, so sqrt(s-hat) = sqrt(s (1 - x)) has the falling radiative-return spectrum;
 * the photon's pseudorapidity is flat (the collinear 1 / (1 - cos^2 theta) of ISR) in |eta| < 5.
 * Signal: e+e- -> gamma X, X -> a a, a -> b bbar, with the photon energy fixed by m_X.
 * The recoiling system's partons radiate gluons (a one-step leading-log shower), fragment into
 * massless hadrons with limited transverse momentum, and the partons are clustered with anti-kt
 * (R = 1.0) into jets whose 4-vectors, masses and N-subjettiness come from their hadrons. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <hadal/generate.h>
#include <hadal/rng.h>

const char *const hd_gen_ee_isr_feature_names[HD_GEN_EE_NFEATURES] = {"m_j1",     "m_j2",       "m_jets",       "pt_j1",       "pt_j2",  "pt_photon",  "pt_j1_over_photon", "pt_x",
                                                                      "pt_x_over_photon", "n_particles", "n_jets", "aplanarity", "sphericity", "sphericity_t", "ln_y23"};
const char *const hd_gen_ee_isr_jet_names[HD_GEN_EE_JET_WIDTH] = {"pt", "eta", "phi", "m", "btag", "tau1", "tau2", "tau3", "tau4", "tau5"};

#define EE_PI          3.14159265358979323846
#define EE_MAX_TRIES   1000
#define EE_MAX_PARTONS 48
#define EE_MAX_HADRONS 768

typedef struct {
  double p[4]; /* E, px, py, pz */
  int    flavour; /* 1 light quark, 4 c, 5 b, 21 gluon */
} ee_parton;

typedef struct {
  double p[4];
  int    parton;
} ee_hadron;

void hd_gen_ee_isr_defaults(hd_gen_ee_isr_params *p)
{
  memset(p, 0, sizeof(*p));
  p->signal_fraction  = 0.01;
  p->signal_mx        = 700.0;
  p->signal_ma        = 100.0;
  p->mass_variable    = HD_EE_MASS_TRUTH;
  p->mhat_min         = 300.0;
  p->mhat_max         = 985.0;
  p->sqrt_s           = 1000.0;
  p->photon_e_min     = 10.0;
  p->photon_eta_max   = 5.0;
  p->photon_acc_eta   = 4.0;
  p->photon_res_stoch = 0.166;
  p->photon_res_const = 0.011;
  p->soft_photon_mean = 3.0;
  p->x_width          = 1.0;
  p->frac_b           = 0.15;
  p->frac_c           = 0.25;
  p->alpha_s          = 0.11;
  p->shower_q0        = 5.0;
  p->shower_theta_max = 1.5;
  p->hadron_mult      = 1.1;
  p->hadron_kt        = 0.45;
  p->jet_radius       = 1.0;
  p->jet_pt_min       = 10.0;
  p->hadron_eta_max   = 3.8;
  p->jet_res_stoch    = 0.30;
  p->jet_res_const    = 0.02;
  p->btag_b           = 0.80;
  p->btag_c           = 0.10;
  p->btag_light       = 0.01;
}

const char *hd_gen_ee_mass_variable_name(hd_ee_mass_variable v)
{
  static const char *const names[] = {"truth", "photon", "hadron"};
  return (v >= 0 && v <= HD_EE_MASS_HADRON) ? names[v] : "?";
}

PetscErrorCode hd_gen_ee_isr_setup(MPI_Comm comm, hd_gen_ee_isr_params *p)
{
  double mmax = sqrt(p->sqrt_s * p->sqrt_s - 2.0 * p->sqrt_s * p->photon_e_min); /* photon above E_min */
  char   v[6][64];

  PetscFunctionBegin;
  snprintf(v[0], sizeof(v[0]), "%g", p->signal_fraction);
  snprintf(v[1], sizeof(v[1]), "%g", p->signal_mx);
  snprintf(v[2], sizeof(v[2]), "%g", p->signal_ma);
  snprintf(v[3], sizeof(v[3]), "[%g, %g]", p->mhat_min, p->mhat_max);
  snprintf(v[4], sizeof(v[4]), "%.1f", mmax);
  snprintf(v[5], sizeof(v[5]), "%g", p->photon_e_min);
  PetscCheck(isfinite(p->signal_fraction) && p->signal_fraction >= 0.0 && p->signal_fraction <= 1.0, comm, HD_ERR_USER_INPUT, "-signal_fraction must lie in [0, 1], got %s", v[0]);
  PetscCheck(isfinite(p->signal_ma) && p->signal_ma >= 10.0, comm, HD_ERR_USER_INPUT, "-signal_ma %s GeV: the a mass must be at least 10 GeV (two b quarks)", v[2]);
  PetscCheck(isfinite(p->signal_mx) && p->signal_mx > 2.0 * p->signal_ma && p->signal_mx + 3.0 * p->x_width <= mmax, comm, HD_ERR_USER_INPUT, "-signal_mx %s GeV must lie above 2 m_a = 2 x %s GeV and below %s GeV (the ISR photon needs E > %s GeV)", v[1], v[2], v[4], v[5]);
  PetscCheck(isfinite(p->mhat_min) && isfinite(p->mhat_max) && p->mhat_min >= 20.0 && p->mhat_max > p->mhat_min && p->mhat_max <= mmax, comm, HD_ERR_USER_INPUT, "-mhat_min and -mhat_max %s GeV must make a range within [20, %s] GeV", v[3], v[4]);
  PetscCheck(p->mass_variable >= HD_EE_MASS_TRUTH && p->mass_variable <= HD_EE_MASS_HADRON, comm, HD_ERR_INTERNAL, "mass variable %d", (int)p->mass_variable);
  p->ready = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- kinematics helpers ---- */

static double ee_pt(const double *p) { return sqrt(p[1] * p[1] + p[2] * p[2]); }
static double ee_pabs(const double *p) { return sqrt(p[1] * p[1] + p[2] * p[2] + p[3] * p[3]); }
static double ee_eta(const double *p)
{
  double pa = ee_pabs(p), pt = ee_pt(p);
  if (pt < 1e-9 * (pa + 1e-300)) return p[3] >= 0 ? 20.0 : -20.0;
  return asinh(p[3] / pt);
}
static double ee_phi(const double *p) { return atan2(p[2], p[1]); }
static double ee_mass(const double *p)
{
  double m2 = p[0] * p[0] - p[1] * p[1] - p[2] * p[2] - p[3] * p[3];
  return m2 > 0 ? sqrt(m2) : 0.0;
}
static double ee_dphi(double a, double b)
{
  double d = a - b;
  while (d > EE_PI) d -= 2 * EE_PI;
  while (d <= -EE_PI) d += 2 * EE_PI;
  return d;
}
static double ee_dr2(double eta1, double phi1, double eta2, double phi2)
{
  double de = eta1 - eta2, dp = ee_dphi(phi1, phi2);
  return de * de + dp * dp;
}

/* A massless or massive vector of energy E, momentum |p| along (cos theta, phi). */
static void ee_set(double *p, double E, double pabs, double cth, double phi)
{
  double sth = sqrt(PetscMax(0.0, 1.0 - cth * cth));
  p[0]       = E;
  p[1]       = pabs * sth * cos(phi);
  p[2]       = pabs * sth * sin(phi);
  p[3]       = pabs * cth;
}

/* Lorentz boost of p by velocity b (|b| < 1), in place. */
static void ee_boost(double *p, const double *b)
{
  double b2 = b[0] * b[0] + b[1] * b[1] + b[2] * b[2];
  if (b2 <= 0) return;
  double g = 1.0 / sqrt(1.0 - b2), bp = b[0] * p[1] + b[1] * p[2] + b[2] * p[3], k = (g - 1.0) * bp / b2 + g * p[0];
  p[0] = g * (p[0] + bp);
  for (int i = 0; i < 3; i++) p[i + 1] += k * b[i];
}

/* Two unit vectors orthogonal to the unit vector u. */
static void ee_frame(const double *u, double *e1, double *e2)
{
  double a[3] = {fabs(u[0]) < 0.9 ? 1.0 : 0.0, fabs(u[0]) < 0.9 ? 0.0 : 1.0, 0.0}, n;
  e1[0] = a[1] * u[2] - a[2] * u[1];
  e1[1] = a[2] * u[0] - a[0] * u[2];
  e1[2] = a[0] * u[1] - a[1] * u[0];
  n     = sqrt(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
  for (int i = 0; i < 3; i++) e1[i] /= n;
  e2[0] = u[1] * e1[2] - u[2] * e1[1];
  e2[1] = u[2] * e1[0] - u[0] * e1[2];
  e2[2] = u[0] * e1[1] - u[1] * e1[0];
}

/* Two-body decay of a particle of 4-momentum P and mass M into two of mass m (each), isotropic in its
 * rest frame; d1, d2 in the frame of P. */
static void ee_decay2(hd_rng *r, const double *P, double M, double m, double *d1, double *d2)
{
  double q = sqrt(PetscMax(0.0, 0.25 * M * M - m * m)), E = 0.5 * M, cth = 2.0 * hd_rng_uniform(r) - 1.0, phi = 2 * EE_PI * hd_rng_uniform(r), b[3];
  ee_set(d1, E, q, cth, phi);
  ee_set(d2, E, q, -cth, phi + EE_PI);
  for (int i = 0; i < 3; i++) b[i] = P[i + 1] / P[0];
  ee_boost(d1, b);
  ee_boost(d2, b);
}

static PetscInt ee_poisson(hd_rng *r, double mean)
{
  double   l = exp(-mean), t = hd_rng_uniform(r);
  PetscInt k = 0;
  while (t > l && k < 1000) {
    t *= hd_rng_uniform(r);
    k++;
  }
  return k;
}

/* Background sqrt(s-hat): x = 1 - m^2 / s from the ISR radiator times the s-channel 1 / s-hat,
 * dsigma / dx ~ (1 + (1 - x)^2) / (x (1 - x)), by rejection from a 1 / x proposal on
 * [x(m_max), x(m_min)] (the weight (1 + (1 - x)^2) / 2 x (1 - x_hi) / (1 - x) is at most 1). */
static double ee_sample_mhat(const hd_gen_ee_isr_params *p, hd_rng *r)
{
  double s = p->sqrt_s * p->sqrt_s, x_lo = 1.0 - p->mhat_max * p->mhat_max / s, x_hi = 1.0 - p->mhat_min * p->mhat_min / s;
  for (;;) {
    double x = x_lo * exp(hd_rng_uniform(r) * log(x_hi / x_lo));
    double w = 0.5 * (1.0 + (1.0 - x) * (1.0 - x)) * (1.0 - x_hi) / (1.0 - x);
    if (hd_rng_uniform(r) < w) return sqrt(s * (1.0 - x));
  }
}

/* One-step leading-log shower: each primary parton emits a Poisson number of gluons with density
 * (2 alpha_s C / pi) dln(theta) dln(z) over theta < theta_max, z < 1/2 and z E theta > Q0 (the
 * emission's transverse momentum above the cut-off); a gluon takes z of the emitter's momentum at
 * angle theta. Emitted gluons do not radiate again. */
static void ee_shower(const hd_gen_ee_isr_params *p, hd_rng *r, ee_parton *part, PetscInt *n)
{
  PetscInt n0 = *n;
  for (PetscInt k = 0; k < n0; k++) {
    double E = part[k].p[0], lt_lo, lz_lo = log(p->shower_q0 / (E * p->shower_theta_max)), lt_hi = log(p->shower_theta_max), lz_hi = log(0.5);
    if (lz_lo >= lz_hi) continue;
    lt_lo = log(p->shower_q0 / (0.5 * E));
    double   c   = part[k].flavour == 21 ? 3.0 : 4.0 / 3.0;
    double   lam = 2.0 * p->alpha_s * c / EE_PI * (lt_hi - lt_lo) * (lz_hi - lz_lo);
    PetscInt ne  = ee_poisson(r, lam);
    for (PetscInt e = 0; e < ne && *n < EE_MAX_PARTONS; e++) {
      double th = exp(lt_lo + hd_rng_uniform(r) * (lt_hi - lt_lo)), z = exp(lz_lo + hd_rng_uniform(r) * (lz_hi - lz_lo)), az = 2 * EE_PI * hd_rng_uniform(r);
      double Ek = part[k].p[0];
      if (z * Ek * th < p->shower_q0) continue; /* outside the emission region (thinning) */
      double pa = ee_pabs(part[k].p), u[3], e1[3], e2[3], *g = part[*n].p;
      for (int i = 0; i < 3; i++) u[i] = part[k].p[i + 1] / pa;
      ee_frame(u, e1, e2);
      double st = sin(th), ct = cos(th), Eg = z * Ek;
      g[0] = Eg;
      for (int i = 0; i < 3; i++) g[i + 1] = Eg * (ct * u[i] + st * (cos(az) * e1[i] + sin(az) * e2[i]));
      for (int i = 1; i < 4; i++) part[k].p[i] -= g[i];
      part[k].p[0]      = ee_pabs(part[k].p);
      part[*n].flavour = 21;
      (*n)++;
    }
  }
}

/* Hadrons of one parton: 1 + Poisson(mult ln(1 + E / 1 GeV)) massless hadrons sharing its momentum
 * (fractions from normalised exponentials), each with a Gaussian transverse momentum of width kt
 * around the parton's axis; the transverse momenta are shifted to sum to zero. */
static void ee_hadronise(const hd_gen_ee_isr_params *p, hd_rng *r, const ee_parton *q, PetscInt k, ee_hadron *h, PetscInt *nh)
{
  double   E = q->p[0], pa = ee_pabs(q->p), u[3], e1[3], e2[3], zs[64], kx[64], ky[64], zsum = 0, mx = 0, my = 0;
  PetscInt n = 1 + ee_poisson(r, p->hadron_mult * log(1.0 + E));
  n          = PetscMin(n, 64);
  n          = PetscMin(n, EE_MAX_HADRONS - *nh);
  if (n <= 0 || pa <= 0) return;
  for (int i = 0; i < 3; i++) u[i] = q->p[i + 1] / pa;
  ee_frame(u, e1, e2);
  for (PetscInt i = 0; i < n; i++) {
    zs[i] = hd_rng_exponential(r);
    zsum += zs[i];
    kx[i] = p->hadron_kt * hd_rng_normal(r);
    ky[i] = p->hadron_kt * hd_rng_normal(r);
    mx += kx[i] / n;
    my += ky[i] / n;
  }
  for (PetscInt i = 0; i < n; i++) {
    double *hp = h[*nh].p, z = zs[i] / zsum;
    for (int c = 0; c < 3; c++) hp[c + 1] = z * pa * u[c] + (kx[i] - mx) * e1[c] + (ky[i] - my) * e2[c];
    hp[0]          = ee_pabs(hp);
    h[*nh].parton = (int)k;
    (*nh)++;
  }
}

/* N-subjettiness tau_N = sum_i pT_i min_k dR(i, axis_k) / (R sum_i pT_i) of the hadrons of one jet
 * (Thaler & Van Tilburg, JHEP 03 (2011) 015), with the axes the jet's partons in decreasing pT and,
 * past them, its hardest hadrons. */
static void ee_nsubjettiness(const hd_gen_ee_isr_params *p, PetscInt nc, const double (*c)[3], PetscInt na, const double (*axes)[2], double tau[5])
{
  double ax[5][2], ptsum = 0;
  PetscInt n_ax = PetscMin(na, 5);
  for (PetscInt k = 0; k < n_ax; k++) {
    ax[k][0] = axes[k][0];
    ax[k][1] = axes[k][1];
  }
  /* more axes from the hardest hadrons (c is in decreasing pT) not already on an axis */
  for (PetscInt i = 0; i < nc && n_ax < 5; i++) {
    PetscBool near = PETSC_FALSE;
    for (PetscInt k = 0; k < n_ax; k++) near |= ee_dr2(c[i][1], c[i][2], ax[k][0], ax[k][1]) < 1e-6;
    if (near) continue;
    ax[n_ax][0] = c[i][1];
    ax[n_ax][1] = c[i][2];
    n_ax++;
  }
  for (PetscInt i = 0; i < nc; i++) ptsum += c[i][0];
  for (int N = 1; N <= 5; N++) {
    double t = 0;
    for (PetscInt i = 0; i < nc; i++) {
      double dmin = 1e300;
      for (PetscInt k = 0; k < PetscMin(N, n_ax); k++) dmin = PetscMin(dmin, ee_dr2(c[i][1], c[i][2], ax[k][0], ax[k][1]));
      t += c[i][0] * sqrt(dmin);
    }
    tau[N - 1] = ptsum > 0 ? t / (p->jet_radius * ptsum) : 0.0;
  }
}

/* Eigenvalues of a symmetric 3x3 matrix, descending (the trigonometric closed form). */
static void ee_eig3(const double a[3][3], double l[3])
{
  double p1 = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2], q = (a[0][0] + a[1][1] + a[2][2]) / 3.0;
  if (p1 < 1e-300) {
    l[0] = a[0][0], l[1] = a[1][1], l[2] = a[2][2];
  } else {
    double p2 = (a[0][0] - q) * (a[0][0] - q) + (a[1][1] - q) * (a[1][1] - q) + (a[2][2] - q) * (a[2][2] - q) + 2 * p1, pp = sqrt(p2 / 6.0), b[3][3];
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) b[i][j] = (a[i][j] - (i == j ? q : 0.0)) / pp;
    double det = b[0][0] * (b[1][1] * b[2][2] - b[1][2] * b[2][1]) - b[0][1] * (b[1][0] * b[2][2] - b[1][2] * b[2][0]) + b[0][2] * (b[1][0] * b[2][1] - b[1][1] * b[2][0]);
    double rr = PetscMax(-1.0, PetscMin(1.0, det / 2.0)), phi = acos(rr) / 3.0;
    l[0] = q + 2 * pp * cos(phi);
    l[2] = q + 2 * pp * cos(phi + 2 * EE_PI / 3.0);
    l[1] = 3 * q - l[0] - l[2];
  }
  for (int i = 0; i < 3; i++)
    for (int j = i + 1; j < 3; j++)
      if (l[j] > l[i]) {
        double t = l[i];
        l[i]     = l[j];
        l[j]     = t;
      }
}

/* Durham y23 (Catani et al., PLB 269 (1991) 432) of the objects o (4-vectors): merge the pair of
 * smallest y_ij = 2 min(E_i^2, E_j^2) (1 - cos theta_ij) / E_vis^2 until three remain; y23 is the
 * smallest y_ij of those three. */
static double ee_y23(PetscInt n, double (*o)[4])
{
  double evis = 0;
  for (PetscInt i = 0; i < n; i++) evis += o[i][0];
  if (n < 3 || evis <= 0) return 0.0;
  for (;;) {
    double   ymin = 1e300;
    PetscInt a = 0, b = 1;
    for (PetscInt i = 0; i < n; i++)
      for (PetscInt j = i + 1; j < n; j++) {
        double pi = ee_pabs(o[i]), pj = ee_pabs(o[j]), ct = (pi > 0 && pj > 0) ? (o[i][1] * o[j][1] + o[i][2] * o[j][2] + o[i][3] * o[j][3]) / (pi * pj) : 1.0;
        double y  = 2.0 * PetscMin(o[i][0] * o[i][0], o[j][0] * o[j][0]) * (1.0 - ct) / (evis * evis);
        if (y < ymin) ymin = y, a = i, b = j;
      }
    if (n == 3) return ymin;
    for (int c = 0; c < 4; c++) o[a][c] += o[b][c];
    for (int c = 0; c < 4; c++) o[b][c] = o[n - 1][c];
    n--;
  }
}

PetscErrorCode hd_gen_ee_isr_make(const hd_gen_ee_isr_params *p, uint64_t seed, uint64_t index, hd_gen_ee_isr_event *ev)
{
  hd_rng    r;
  int       signal, tries;
  double    s = p->sqrt_s * p->sqrt_s;
  ee_parton part[EE_MAX_PARTONS];
  ee_hadron had[EE_MAX_HADRONS];
  double    pj[EE_MAX_PARTONS][4]; /* parton pseudo-jets: sums of their hadrons in acceptance */
  PetscInt  nh, np;

  PetscFunctionBegin;
  PetscCheck(p->ready, PETSC_COMM_SELF, HD_ERR_INTERNAL, "hd_gen_ee_isr_setup() was not called");
  hd_rng_init(&r, seed, HD_STREAM_GEN_EE_ISR, index);
  signal = hd_rng_uniform(&r) < p->signal_fraction;
  memset(ev, 0, sizeof(*ev));

  for (tries = 0; tries < EE_MAX_TRIES; tries++) {
    double mhat, eg, eta_g, phi_g, pg[4], P[4], b[3];
    if (!signal) mhat = ee_sample_mhat(p, &r);
    else {
      do mhat = p->signal_mx + p->x_width * hd_rng_normal(&r);
      while (fabs(mhat - p->signal_mx) > 3.0 * p->x_width);
    }
    eg    = 0.5 * (s - mhat * mhat) / p->sqrt_s;
    eta_g = p->photon_eta_max * (2.0 * hd_rng_uniform(&r) - 1.0);
    phi_g = 2 * EE_PI * hd_rng_uniform(&r) - EE_PI;
    ee_set(pg, eg, eg, tanh(eta_g), phi_g);
    P[0] = p->sqrt_s - eg;
    for (int i = 1; i < 4; i++) P[i] = -pg[i];
    for (int i = 0; i < 3; i++) b[i] = P[i + 1] / P[0];

    /* primary partons in the rest frame of the hadronic system, then boosted to the lab */
    np = 0;
    if (!signal) {
      double u = hd_rng_uniform(&r), cth, phi = 2 * EE_PI * hd_rng_uniform(&r);
      int    fl = u < p->frac_b ? 5 : (u < p->frac_b + p->frac_c ? 4 : 1);
      do cth = 2.0 * hd_rng_uniform(&r) - 1.0; /* 1 + cos^2 theta* */
      while (2.0 * hd_rng_uniform(&r) > 1.0 + cth * cth);
      ee_set(part[0].p, 0.5 * mhat, 0.5 * mhat, cth, phi);
      ee_set(part[1].p, 0.5 * mhat, 0.5 * mhat, -cth, phi + EE_PI);
      part[0].flavour = part[1].flavour = fl;
      np                                = 2;
    } else {
      double X[4] = {mhat, 0, 0, 0}, a1[4], a2[4];
      ee_decay2(&r, X, mhat, p->signal_ma, a1, a2);
      ee_decay2(&r, a1, p->signal_ma, 0.0, part[0].p, part[1].p);
      ee_decay2(&r, a2, p->signal_ma, 0.0, part[2].p, part[3].p);
      for (int k = 0; k < 4; k++) part[k].flavour = 5;
      np = 4;
    }
    /* the shower in the rest frame conserves momentum (the emitter gives up the gluon's); the
     * energy is restored by scaling every momentum (the sum stays zero) to a total of mhat */
    ee_shower(p, &r, part, &np);
    double etot = 0;
    for (PetscInt k = 0; k < np; k++) etot += part[k].p[0];
    for (PetscInt k = 0; k < np; k++)
      for (int c = 0; c < 4; c++) part[k].p[c] *= mhat / etot;
    for (PetscInt k = 0; k < np; k++) ee_boost(part[k].p, b);

    /* hadrons; parton pseudo-jets from the hadrons inside the detector */
    nh = 0;
    for (PetscInt k = 0; k < np; k++) ee_hadronise(p, &r, &part[k], k, had, &nh);
    memset(pj, 0, sizeof(pj));
    PetscInt n_particles = 0;
    for (PetscInt i = 0; i < nh; i++) {
      if (fabs(ee_eta(had[i].p)) >= p->hadron_eta_max) continue;
      for (int c = 0; c < 4; c++) pj[had[i].parton][c] += had[i].p[c];
      n_particles++;
    }

    /* anti-kt on the parton pseudo-jets (Cacciari, Salam & Soyez, JHEP 04 (2008) 063) */
    PetscInt owner[EE_MAX_PARTONS], n_obj = 0, obj[EE_MAX_PARTONS];
    double   o[EE_MAX_PARTONS][4];
    PetscInt jet_of[EE_MAX_PARTONS]; /* object -> final jet index */
    for (PetscInt k = 0; k < np; k++) {
      owner[k] = -1;
      if (pj[k][0] > 0 && ee_pt(pj[k]) > 1e-6) {
        for (int c = 0; c < 4; c++) o[n_obj][c] = pj[k][c];
        obj[k]   = n_obj;
        owner[k] = n_obj++;
      }
    }
    PetscInt alive[EE_MAX_PARTONS], n_alive = n_obj, n_jets_raw = 0, rep[EE_MAX_PARTONS];
    double   jets[EE_MAX_PARTONS][4];
    for (PetscInt i = 0; i < n_obj; i++) alive[i] = 1, rep[i] = i;
    while (n_alive > 0) {
      double   dmin = 1e300;
      PetscInt a = -1, bb = -1;
      for (PetscInt i = 0; i < n_obj; i++) {
        if (!alive[i]) continue;
        double pti = ee_pt(o[i]), di = 1.0 / (pti * pti);
        if (di < dmin) dmin = di, a = i, bb = -1;
        for (PetscInt j = i + 1; j < n_obj; j++) {
          if (!alive[j]) continue;
          double ptj = ee_pt(o[j]), dij = PetscMin(di, 1.0 / (ptj * ptj)) * ee_dr2(ee_eta(o[i]), ee_phi(o[i]), ee_eta(o[j]), ee_phi(o[j])) / (p->jet_radius * p->jet_radius);
          if (dij < dmin) dmin = dij, a = i, bb = j;
        }
      }
      if (bb >= 0) { /* merge j into i */
        for (int c = 0; c < 4; c++) o[a][c] += o[bb][c];
        alive[bb] = 0;
        for (PetscInt i = 0; i < n_obj; i++)
          if (rep[i] == bb) rep[i] = a;
        n_alive--;
      } else { /* a becomes a jet */
        for (int c = 0; c < 4; c++) jets[n_jets_raw][c] = o[a][c];
        alive[a] = 0;
        for (PetscInt i = 0; i < n_obj; i++)
          if (rep[i] == a) rep[i] = -1 - n_jets_raw;
        n_jets_raw++;
        n_alive--;
      }
    }
    for (PetscInt i = 0; i < n_obj; i++) jet_of[i] = -1 - rep[i];

    /* detector: jet energy resolution; jets above pT_min, hardest first, at most P */
    double   jsm[EE_MAX_PARTONS][4], pts[EE_MAX_PARTONS];
    PetscInt order[EE_MAX_PARTONS], nj = 0;
    for (PetscInt j = 0; j < n_jets_raw; j++) {
      double E = jets[j][0], sig = sqrt(p->jet_res_stoch * p->jet_res_stoch / PetscMax(E, 1e-3) + p->jet_res_const * p->jet_res_const), f = PetscMax(0.1, 1.0 + sig * hd_rng_normal(&r));
      for (int c = 0; c < 4; c++) jsm[j][c] = f * jets[j][c];
      pts[j] = ee_pt(jsm[j]);
      if (pts[j] >= p->jet_pt_min) order[nj++] = j;
    }
    for (PetscInt a = 1; a < nj; a++) /* insertion sort by pT, descending */
      for (PetscInt c = a; c > 0 && pts[order[c]] > pts[order[c - 1]]; c--) {
        PetscInt t   = order[c];
        order[c]     = order[c - 1];
        order[c - 1] = t;
      }
    if (nj < 2) continue; /* selection: at least two jets */
    nj = PetscMin(nj, HD_GEN_EE_MAX_JETS);

    /* per-jet features */
    double sum[4] = {0, 0, 0, 0};
    for (PetscInt q = 0; q < nj; q++) {
      PetscInt j = order[q];
      double   c[EE_MAX_HADRONS][3], axes[EE_MAX_PARTONS][2], axpt[EE_MAX_PARTONS], tau[5];
      PetscInt nc = 0, na = 0, btag = 0;
      int      best = 1;
      for (PetscInt k = 0; k < np; k++) {
        if (owner[k] < 0 || jet_of[obj[k]] != j) continue;
        if (part[k].flavour == 5) best = 5;
        else if (part[k].flavour == 4 && best != 5) best = 4;
        axes[na][0] = ee_eta(pj[k]);
        axes[na][1] = ee_phi(pj[k]);
        axpt[na++]  = ee_pt(pj[k]);
      }
      for (PetscInt a = 1; a < na; a++)
        for (PetscInt cc = a; cc > 0 && axpt[cc] > axpt[cc - 1]; cc--) {
          double t0 = axpt[cc], t1 = axes[cc][0], t2 = axes[cc][1];
          axpt[cc] = axpt[cc - 1], axes[cc][0] = axes[cc - 1][0], axes[cc][1] = axes[cc - 1][1];
          axpt[cc - 1] = t0, axes[cc - 1][0] = t1, axes[cc - 1][1] = t2;
        }
      for (PetscInt i = 0; i < nh; i++) {
        PetscInt k = had[i].parton;
        if (owner[k] < 0 || jet_of[obj[k]] != j || fabs(ee_eta(had[i].p)) >= p->hadron_eta_max) continue;
        c[nc][0] = ee_pt(had[i].p);
        c[nc][1] = ee_eta(had[i].p);
        c[nc][2] = ee_phi(had[i].p);
        nc++;
      }
      for (PetscInt a = 1; a < nc; a++) /* hadrons by pT, descending */
        for (PetscInt cc = a; cc > 0 && c[cc][0] > c[cc - 1][0]; cc--)
          for (int z = 0; z < 3; z++) {
            double t     = c[cc][z];
            c[cc][z]     = c[cc - 1][z];
            c[cc - 1][z] = t;
          }
      ee_nsubjettiness(p, nc, (const double(*)[3])c, na, (const double(*)[2])axes, tau);
      double eff = best == 5 ? p->btag_b : (best == 4 ? p->btag_c : p->btag_light);
      btag       = hd_rng_uniform(&r) < eff;
      float *f   = ev->sets + q * HD_GEN_EE_JET_WIDTH;
      f[0]       = (float)pts[j];
      f[1]       = (float)ee_eta(jsm[j]);
      f[2]       = (float)ee_phi(jsm[j]);
      f[3]       = (float)ee_mass(jsm[j]);
      f[4]       = (float)btag;
      for (int t = 0; t < 5; t++) f[5 + t] = (float)tau[t];
      for (int cc = 0; cc < 4; cc++) sum[cc] += jsm[j][cc];
    }
    ev->n_jets = (int32_t)nj;

    /* measured sqrt(s-hat) (seed 004 section 5): from the photon when it is in the calorimeter
     * (|eta| < photon_acc_eta), else from the hardest other photon, modelled as a soft one; and
     * from the jets (the hadrons) alone */
    double eg_meas, pt_g;
    if (fabs(eta_g) < p->photon_acc_eta) {
      double sig = sqrt(p->photon_res_stoch * p->photon_res_stoch / eg + p->photon_res_const * p->photon_res_const);
      eg_meas    = eg * PetscMax(0.0, 1.0 + sig * hd_rng_normal(&r));
      pt_g       = eg_meas / cosh(eta_g);
    } else {
      double eta_s = 3.0 * (2.0 * hd_rng_uniform(&r) - 1.0);
      eg_meas      = p->soft_photon_mean * hd_rng_exponential(&r);
      pt_g         = eg_meas / cosh(eta_s);
    }
    ev->mhat        = mhat;
    ev->mhat_photon = sqrt(PetscMax(0.0, s - 2.0 * p->sqrt_s * eg_meas));
    ev->mhat_hadron = ee_mass(sum);
    ev->photon_e    = eg;
    ev->photon_eta  = eta_g;

    /* the event-level variables of seed 004 app. B */
    double m[3][3] = {{0}}, ssum = 0, l[3], objs[EE_MAX_PARTONS][4];
    PetscInt n_o = 0;
    for (PetscInt i = 0; i < nh; i++) {
      if (fabs(ee_eta(had[i].p)) >= p->hadron_eta_max) continue;
      for (int a = 0; a < 3; a++)
        for (int c = 0; c < 3; c++) m[a][c] += had[i].p[a + 1] * had[i].p[c + 1];
      ssum += had[i].p[1] * had[i].p[1] + had[i].p[2] * had[i].p[2] + had[i].p[3] * had[i].p[3];
    }
    for (int a = 0; a < 3; a++)
      for (int c = 0; c < 3; c++) m[a][c] /= ssum > 0 ? ssum : 1.0;
    ee_eig3((const double(*)[3])m, l);
    double tr = m[0][0] + m[1][1], dt = sqrt(PetscMax(0.0, 0.25 * (m[0][0] - m[1][1]) * (m[0][0] - m[1][1]) + m[0][1] * m[0][1])), lt2 = 0.5 * tr - dt;
    for (PetscInt k = 0; k < np; k++)
      if (owner[k] >= 0) {
        for (int c = 0; c < 4; c++) objs[n_o][c] = pj[k][c];
        n_o++;
      }
    double y23 = ee_y23(n_o, objs), pt1 = pts[order[0]], pt2 = pts[order[1]], ptx = ee_pt(sum);
    float *x   = ev->features;
    x[0]       = (float)ee_mass(jsm[order[0]]);
    x[1]       = (float)ee_mass(jsm[order[1]]);
    x[2]       = (float)ee_mass(sum);
    x[3]       = (float)pt1;
    x[4]       = (float)pt2;
    x[5]       = (float)pt_g;
    x[6]       = (float)(pt1 / PetscMax(pt_g, 0.1));
    x[7]       = (float)ptx;
    x[8]       = (float)(ptx / PetscMax(pt_g, 0.1));
    x[9]       = (float)n_particles;
    x[10]      = (float)nj;
    x[11]      = (float)(1.5 * l[2]);
    x[12]      = (float)(1.5 * (l[1] + l[2]));
    x[13]      = (float)(tr > 0 ? 2.0 * lt2 / tr : 0.0);
    x[14]      = (float)log(PetscMax(y23, 1e-8));
    ev->label  = signal ? 1 : 0;
    break;
  }
  PetscCheck(tries < EE_MAX_TRIES, PETSC_COMM_SELF, HD_ERR_INTERNAL, "ee_isr event %" PRIu64 ": no event with two jets in %d tries", index, EE_MAX_TRIES);
  PetscFunctionReturn(PETSC_SUCCESS);
}

double hd_gen_ee_isr_mass(const hd_gen_ee_isr_params *p, const hd_gen_ee_isr_event *ev)
{
  return p->mass_variable == HD_EE_MASS_PHOTON ? ev->mhat_photon : (p->mass_variable == HD_EE_MASS_HADRON ? ev->mhat_hadron : ev->mhat);
}

/* ---- the skeleton's model (include/hadal/generate.h) ---- */

static void ee_isr_layout(const hd_gen_config *cfg, hd_events_layout *L)
{
  (void)cfg;
  L->has_mass  = PETSC_TRUE; /* sqrt(s-hat) */
  L->set_size  = HD_GEN_EE_MAX_JETS;
  L->set_width = HD_GEN_EE_JET_WIDTH;
}

static PetscErrorCode ee_isr_rows(const hd_gen_config *cfg, void *work, int64_t row0, PetscInt count, const hd_gen_rows *out)
{
  PetscFunctionBegin;
  (void)work;
  for (PetscInt i = 0; i < count; i++) {
    hd_gen_ee_isr_event ev;
    PetscCall(hd_gen_ee_isr_make(&cfg->ee_isr, cfg->seed, (uint64_t)(row0 + i), &ev));
    memcpy(out->features + (size_t)i * HD_GEN_EE_NFEATURES, ev.features, sizeof(ev.features));
    memcpy(out->sets + (size_t)i * HD_GEN_EE_MAX_JETS * HD_GEN_EE_JET_WIDTH, ev.sets, sizeof(ev.sets));
    out->set_n[i] = ev.n_jets;
    out->mass[i]  = (float)hd_gen_ee_isr_mass(&cfg->ee_isr, &ev);
    out->label[i] = ev.label;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ee_isr_attributes(const hd_gen_config *cfg, hd_events_writer w)
{
  const hd_gen_ee_isr_params *p          = &cfg->ee_isr;
  const char *const           classes[2] = {"dy_isr", "x_aa_4b"};
  const struct {
    const char *name;
    double      value;
  } par[] = {
    {"signal_fraction", p->signal_fraction}, {"signal_mx", p->signal_mx},           {"signal_ma", p->signal_ma},           {"mhat_min", p->mhat_min},
    {"mhat_max", p->mhat_max},               {"sqrt_s", p->sqrt_s},                 {"photon_e_min", p->photon_e_min},     {"photon_eta_max", p->photon_eta_max},
    {"photon_acc_eta", p->photon_acc_eta},   {"photon_res_stoch", p->photon_res_stoch}, {"photon_res_const", p->photon_res_const}, {"soft_photon_mean", p->soft_photon_mean},
    {"x_width", p->x_width},                 {"frac_b", p->frac_b},                 {"frac_c", p->frac_c},                 {"alpha_s", p->alpha_s},
    {"shower_q0", p->shower_q0},             {"shower_theta_max", p->shower_theta_max}, {"hadron_mult", p->hadron_mult},   {"hadron_kt", p->hadron_kt},
    {"jet_radius", p->jet_radius},           {"jet_pt_min", p->jet_pt_min},         {"hadron_eta_max", p->hadron_eta_max}, {"jet_res_stoch", p->jet_res_stoch},
    {"jet_res_const", p->jet_res_const},     {"btag_b", p->btag_b},                 {"btag_c", p->btag_c},                 {"btag_light", p->btag_light},
  };

  PetscFunctionBegin;
  PetscCall(hd_events_writer_attr_strings(w, "classes", 2, classes));
  PetscCall(hd_events_writer_attr_strings(w, "signals", 1, classes + 1));
  PetscCall(hd_events_writer_attr_string(w, "mass_variable", hd_gen_ee_mass_variable_name(p->mass_variable)));
  PetscCall(hd_events_writer_attr_strings(w, "set_features", HD_GEN_EE_JET_WIDTH, hd_gen_ee_isr_jet_names));
  for (size_t i = 0; i < sizeof(par) / sizeof(par[0]); i++) PetscCall(hd_events_writer_attr_double(w, par[i].name, par[i].value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_gen_model hd_gen_model_ee_isr = {"ee_isr", HD_GEN_EE_NFEATURES, hd_gen_ee_isr_feature_names, ee_isr_layout, NULL, NULL, ee_isr_rows, ee_isr_attributes};
