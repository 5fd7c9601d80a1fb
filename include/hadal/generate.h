/* Deterministic event generators (docs/generators.md says what each models and what it leaves out).
 *
 * Event `index` of a data set with seed `seed` is made from its own counter-based RNG stream
 * hd_rng_init(&r, seed, HD_STREAM_GEN_<KIND>, index): an event never depends on which rank made it
 * or on how the rows were split, so one seed gives byte-identical files at any rank count.
 *
 * Two layers: per-event physics in src/gen/<kind>.c (pure functions, no I/O, no MPI:
 * hd_gen_lhco_*, hd_gen_jetimages_*), each exported to the driver as an hd_gen_model (the end of
 * this header); and the driver hd_generate_write() (src/gen/generate.c), the one skeleton every
 * generator shares: it splits the rows over the ranks, asks the model for chunks of rows and writes
 * an event file (DESIGN.md section 3) with the collective writer of hadal/events.h. */
#ifndef HADAL_GENERATE_H
#define HADAL_GENERATE_H

#include <stdint.h>
#include <hadal/error.h>
#include <hadal/events.h>

/* ------------------------------------------------------------------------------------------------
 * lhco: dijet events in the style of the LHC Olympics 2020 R&D set (13 TeV). */

#define HD_GEN_LHCO_NFEATURES 6
#define HD_GEN_LHCO_CELLS     2048 /* cells of the tabulated parton-level mjj spectrum */

/* Column names of /events/features, in order: j1 is the lighter jet, j2 the heavier one. */
extern const char *const hd_gen_lhco_feature_names[HD_GEN_LHCO_NFEATURES];

typedef struct {
  /* user options (hadal generate lhco -signal_...) */
  double signal_fraction; /* probability that an event is signal */
  double signal_mjj;      /* W' mass, GeV */
  double signal_mx;       /* X mass, GeV */
  double signal_my;       /* Y mass, GeV */
  /* model constants, set by hd_gen_lhco_defaults() (docs/generators.md) */
  double sqrt_s;               /* collision energy, GeV */
  double pdf[3][3];            /* x f(x) = N x^a (1-x)^b as {N, a, b} for the gluon, the valence and the sea quarks */
  double mjj_min, mjj_max;     /* range of the parton-level mjj that is generated, GeV */
  double pt_min;               /* trigger: the leading jet needs pT > pt_min, GeV */
  double dy_max;               /* |y1 - y2| < dy_max */
  double isr_qt;               /* mean transverse momentum of the dijet system from initial-state radiation, / mjj */
  double jet_res;              /* Gaussian jet energy resolution (relative) */
  double fsr_loss;             /* mean fraction of a jet's energy radiated out of the cone (exponential) */
  double jet_radius;           /* R of the fat jets */
  double alpha_s_mz;           /* strong coupling at the Z mass (one-loop running) */
  double gluon_frac0, gluon_slope; /* gluon fraction of a QCD jet: gluon_frac0 exp(-gluon_slope x) */
  double ue_kappa;             /* underlying event + hadronisation: <delta m^2> = ue_kappa pT R^4, GeV */
  double sig_width;            /* relative Gaussian width of the W' line shape */
  double sig_mass_res;         /* relative jet-mass resolution of X and Y */
  double sig_mass_fsr;         /* mean relative jet-mass loss of X and Y from radiation out of the cone */
  double qcd_tau21_med, qcd_tau21_slope, qcd_tau32_med, qcd_tau32_slope, qcd_tau_width;
  double sig_tau21_med, sig_tau32_med, sig_tau_width;
  /* derived by hd_gen_lhco_setup(): the parton-level mjj spectrum, ln f at the cell edges (the
   * density is exponential within a cell) and the cumulative weight at the end of each cell */
  double cell_logf[HD_GEN_LHCO_CELLS + 1];
  double cell_cdf[HD_GEN_LHCO_CELLS];
  int    ready;
} hd_gen_lhco_params;

/* One event with its truth (the truth is not written to files; the physics checks use it). */
typedef struct {
  float   features[HD_GEN_LHCO_NFEATURES];
  float   mjj;
  int32_t label;    /* 0 QCD dijet, 1 W' -> X Y */
  double  pt;       /* pT of the leading jet (the trigger jet), GeV */
  double  pt_j[2];  /* pT of the lighter and of the heavier jet, GeV */
  double  dy;       /* |y1 - y2| of the partons */
  double  mass[2];  /* jet masses, lighter first, GeV */
  double  mjj_true; /* parton-level mjj (before radiation and resolution), GeV */
  int     lost[2];  /* signal: the jet (lighter, heavier) lost one prong out of its cone */
} hd_gen_lhco_event;

/* Not collective. The documented defaults (signal 3500/500/100 GeV and the model constants). */
void hd_gen_lhco_defaults(hd_gen_lhco_params *p);
/* Not collective (every rank checks the same values; an error names the option at fault). Checks
 * the user options against the generator's range and builds the mjj envelope. */
PetscErrorCode hd_gen_lhco_setup(MPI_Comm comm, hd_gen_lhco_params *p);
/* Not collective; pure. Event `index` of the data set `seed`. */
PetscErrorCode hd_gen_lhco_make(const hd_gen_lhco_params *p, uint64_t seed, uint64_t index, hd_gen_lhco_event *ev);
/* Not collective; pure. Rows [row0, row0 + count): features [count, 6], mass [count], label [count]. */
PetscErrorCode hd_gen_lhco_rows(const hd_gen_lhco_params *p, uint64_t seed, int64_t row0, PetscInt count, float *features, float *mass, int32_t *label);

/* Not collective; pure. The lhco features of an event given as two jets, as in the LHC Olympics
 * R&D high-level-features file: jet[j] = {px, py, pz, m, tau1, tau2, tau3} (GeV). mjj from the
 * jets' four-momenta; features as the generator's (j1 the lighter jet). A tau ratio whose
 * denominator is not positive (a jet of one constituent: all tau_N = 0) is set to 1, the value of
 * a jet with no sign of more prongs; returns how many ratios of the event were so set (0 to 4). */
int hd_gen_lhco_from_jets(const double jet[2][7], float features[HD_GEN_LHCO_NFEATURES], double *mjj);

/* ------------------------------------------------------------------------------------------------
 * jetimages: leading R = 1 fat-jet images in (eta, phi), as in seed 000 (Khosa & Sanz). */

typedef enum {
  HD_JET_QCD, /* light quark or gluon jet: one prong plus radiation */
  HD_JET_TOP, /* hadronic top, t -> b q q' (3 prongs) */
  HD_JET_W,   /* hadronic W (2 prongs) */
  HD_JET_R2,  /* G(3 TeV) -> Z Z, Z -> q q (2 prongs) */
  HD_JET_R3,  /* G(3 TeV) -> t t, t -> b q q' (3 prongs) */
  HD_JET_R4,  /* G(3 TeV) -> h h, h -> W W* -> 4 q (4 prongs) */
  HD_JET_EFT, /* p p -> H Z, H -> b b (2 prongs) */
  HD_JET_NCLASSES
} hd_jet_class;

#define HD_GEN_JETIMAGES_NFEATURES 4
#define HD_GEN_MAX_CLASSES         HD_JET_NCLASSES

extern const char *const hd_gen_jetimages_feature_names[HD_GEN_JETIMAGES_NFEATURES];

/* Not collective. "qcd", "top", "w", "r2", "r3", "r4", "eft". */
const char *hd_gen_jet_class_name(hd_jet_class c);

typedef struct {
  /* user options */
  PetscInt     n_classes;
  hd_jet_class classes[HD_GEN_MAX_CLASSES]; /* label k of an event = position k in this list */
  double       fractions[HD_GEN_MAX_CLASSES];
  PetscInt     image_size; /* pixels per side */
  PetscBool    preprocess;
  PetscBool    b_fragmentation;  /* b quarks (H -> b b, t -> b W) end in a B hadron and its decay */
  PetscBool    preprocess_rebin; /* preprocess the towers of the fixed grid after the features */
  PetscInt     hadron_cap;   /* most hadrons per parton (12; larger lets the multiplicity grow with E) */
  double       pileup_mu;    /* mean pile-up interactions (0: none) */
  PetscBool    pileup_subtract; /* subtract the mean pile-up density from every pixel */
  double       pt_window[2]; /* GeV; {0, 0}: off. When set, every class's hard object (the graviton
                             * daughters too) has its pT drawn from the SM power law in this window */
  /* model constants, set by hd_gen_jetimages_defaults() (docs/generators.md) */
  double jet_radius, pt_min, mass_min, mass_max; /* the selection of seed 000 */
  double pt_gen_min, pt_gen_max;                 /* parton-level pT range of the hard object */
  double pt_power_sm, pt_power_eft;              /* dsigma/dpT ~ pT^-n */
  double graviton_mass, graviton_pt_smear;
  double gluon_frac;                             /* gluon share of qcd jets */
  double alpha_s_mz, shower_q0, hadron_mult, hadron_kt;
  double ue_mean, ue_pt_mean;                    /* soft wide-angle particles per jet, their mean pT */
  double calo_stochastic, calo_constant, calo_noise, calo_threshold;
  /* derived by hd_gen_jetimages_setup() */
  double cdf[HD_GEN_MAX_CLASSES];
  double wstar_fmax; /* bound of the W* mass density in h -> W W* */
  int    ready;
} hd_gen_jetimages_params;

/* Scratch memory for one rank's events (parton stack, particles, pixels); holds no state between
 * events. */
typedef struct hd_gen_jetimages_work_s *hd_gen_jetimages_work;

/* Not collective. Defaults: classes qcd,top with fractions 0.5,0.5, 40x40 pixels, preprocessing on. */
void hd_gen_jetimages_defaults(hd_gen_jetimages_params *p);
/* Not collective. Parses a comma-separated class list ("qcd,top,w") into p->classes. */
PetscErrorCode hd_gen_jetimages_parse_classes(MPI_Comm comm, const char *list, hd_gen_jetimages_params *p);
/* Not collective. Checks the options (errors name the option) and derives the tables. */
PetscErrorCode hd_gen_jetimages_setup(MPI_Comm comm, hd_gen_jetimages_params *p);
/* Not collective. Scratch space for images of p->image_size pixels per side; one per rank. */
PetscErrorCode hd_gen_jetimages_work_create(const hd_gen_jetimages_params *p, hd_gen_jetimages_work *w);
/* Not collective. Frees and sets *w to NULL (NULL is fine). */
PetscErrorCode hd_gen_jetimages_work_destroy(hd_gen_jetimages_work *w);
/* Not collective; pure (w is scratch). Event `index`: image [size, size] (row i ~ eta', column
 * j ~ phi', see docs/generators.md), features pt, mass, tau21, tau32 of the jet, label. */
PetscErrorCode hd_gen_jetimages_make(const hd_gen_jetimages_params *p, hd_gen_jetimages_work w, uint64_t seed, uint64_t index, float *image, float *features, int32_t *label);
/* Not collective; pure. Rows [row0, row0 + count). */
PetscErrorCode hd_gen_jetimages_rows(const hd_gen_jetimages_params *p, hd_gen_jetimages_work w, uint64_t seed, int64_t row0, PetscInt count, float *images, float *features, int32_t *label);

/* ------------------------------------------------------------------------------------------------
 * adc2021: lepton-triggered events in the layout of the 2021 Anomaly Detection Data Challenge
 * (seed 002 §III): 19 objects (MET, 4 electrons, 4 muons, 10 jets) x (pT, eta, phi), each kind
 * pT-ordered and zero-padded; an SM mixture and four injected signals. */

#define HD_GEN_ADC2021_NOBJECTS  19
#define HD_GEN_ADC2021_NFEATURES (3 * HD_GEN_ADC2021_NOBJECTS)
#define HD_GEN_ADC2021_NSIGNALS  4 /* lq_btau, a_4l, h0_tautau, hpm_taunu */
#define HD_GEN_ADC2021_NSM       4 /* w_lnu, qcd, z_ll, ttbar */

extern const char *const hd_gen_adc2021_feature_names[HD_GEN_ADC2021_NFEATURES];

typedef struct {
  /* user options */
  double   signal_fraction;                   /* probability of each listed signal */
  PetscInt n_signals;                         /* label k + 1 = signals[k] */
  PetscInt signals[HD_GEN_ADC2021_NSIGNALS];
  /* model constants, set by hd_gen_adc2021_defaults() (docs/generators.md) */
  double sm_share[HD_GEN_ADC2021_NSM];        /* W, QCD, Z, ttbar */
  double lepton_trigger_pt;                   /* an e or mu above this, GeV */
  double e_pt_min, e_eta_max, mu_pt_min, mu_eta_max, jet_pt_min, jet_eta_max;
  double lepton_res, jet_res_stoch, jet_res_const, met_res;
  double pileup_jets, isr_jets;               /* mean numbers */
  double lq_mass, a_mass, h0_mass, hpm_mass;  /* GeV */
  int    ready;
} hd_gen_adc2021_params;

/* Not collective. Defaults: all four signals at 0.1% each. */
void hd_gen_adc2021_defaults(hd_gen_adc2021_params *p);
/* Not collective. "lq_btau,a_4l,h0_tautau,hpm_taunu" (any subset, or "none"). */
PetscErrorCode hd_gen_adc2021_parse_signals(MPI_Comm comm, const char *list, hd_gen_adc2021_params *p);
/* Not collective. Checks the options (errors name the option). */
PetscErrorCode hd_gen_adc2021_setup(MPI_Comm comm, hd_gen_adc2021_params *p);
/* Not collective; pure. Event `index`: features (57), label (0 SM, k + 1 signal k of the list). */
PetscErrorCode hd_gen_adc2021_make(const hd_gen_adc2021_params *p, uint64_t seed, uint64_t index, float *features, int32_t *label);
/* Not collective. The name of signal kind k (0..3). */
const char *hd_gen_adc2021_signal_name(PetscInt k);

/* ------------------------------------------------------------------------------------------------
 * darkmachines: LHC events as lists of objects, in the form of the Dark Machines anomaly-score
 * challenge (seed 003 section 5), and their two fixed-width encodings. The importer
 * (`hadal import darkmachines`, src/io/darkmachines.c) and the generator share the encoding. */

/* Object types, in the order of the encodings: jet, b-jet, e-, e+, mu-, mu+, photon. */
enum { HD_DM_JET = 0, HD_DM_BJET, HD_DM_EM, HD_DM_EP, HD_DM_MM, HD_DM_MP, HD_DM_PHOTON, HD_DM_NTYPES };
#define HD_DM_MAX_OBJECTS 64

/* Not collective. The challenge's type codes "j", "b", "e-", "e+", "m-", "m+", "g"; -1 if unknown. */
int         hd_dm_type_parse(const char *code);
const char *hd_dm_type_code(int type);

typedef struct {
  int    type;
  double E, pt, eta, phi; /* GeV, GeV, -, rad */
} hd_dm_object;

typedef struct {
  double       met, metphi;
  PetscInt     n;
  hd_dm_object obj[HD_DM_MAX_OBJECTS];
} hd_dm_event;

/* The two encodings (seed 003 section 5), concatenated in one feature row:
 *   SVDD ("sv_" columns): for each type t and slot k < slots[t] (objects of the type by falling
 *     pT) a presence bit, then the same slots' E, pT, eta, phi (0 where absent), then MET, METphi;
 *   flow ("fl_" columns): MET, METphi, the count of each type, the first flow_jets jets or b-jets
 *     and the first flow_leptons leptons by pT with their type (jets 1 j, 2 b; leptons 1 e-, 2 e+,
 *     3 mu-, 4 mu+; 0 absent), E, pT, eta, phi. */
typedef struct {
  PetscInt slots[HD_DM_NTYPES];
  PetscInt flow_jets, flow_leptons;
} hd_dm_encoding;

/* Not collective. The generator's encoding: slots 6, 2, 2, 2, 2, 2, 1; 7 jets and 4 leptons. */
void     hd_dm_encoding_defaults(hd_dm_encoding *e);
PetscInt hd_dm_svdd_width(const hd_dm_encoding *e);
PetscInt hd_dm_flow_width(const hd_dm_encoding *e);
/* Not collective. names: hd_dm_svdd_width + hd_dm_flow_width names of HD_NAME_LEN. */
void hd_dm_feature_names(const hd_dm_encoding *e, char (*names)[HD_NAME_LEN]);
/* Not collective; pure. One event's row of hd_dm_svdd_width + hd_dm_flow_width floats (the
 * objects are sorted by pT here; ev is not changed). */
void hd_dm_encode(const hd_dm_encoding *e, const hd_dm_event *ev, float *row);

/* The generator: an SM mixture and BSM signals (docs/generators.md, "darkmachines"). */
#define HD_GEN_DM_NPROCESSES 5
#define HD_GEN_DM_NSIGNALS   4
#define HD_GEN_DM_NFEATURES  151 /* hd_dm_svdd_width + hd_dm_flow_width of the default encoding */

typedef struct {
  double   signal_fraction;               /* probability of each listed signal */
  PetscInt n_signals;                      /* label k (1..n_signals) = signals[k - 1] */
  int      signals[HD_GEN_DM_NSIGNALS];    /* indices into hd_gen_dm_signal_names */
  double   shares[HD_GEN_DM_NPROCESSES];   /* SM process shares (sum 1) */
  hd_dm_encoding enc;
  int      ready;
} hd_gen_dm_params;

extern const char *const hd_gen_dm_signal_names[HD_GEN_DM_NSIGNALS];
extern const char *const hd_gen_dm_process_names[HD_GEN_DM_NPROCESSES];

/* Not collective. All four signals, fraction 0.01 each. */
void hd_gen_dm_defaults(hd_gen_dm_params *p);
/* Not collective. A comma-separated signal list ("zprime,susy"). */
PetscErrorCode hd_gen_dm_parse_signals(MPI_Comm comm, const char *list, hd_gen_dm_params *p);
/* Not collective. Checks the options (errors name the option) and fills the feature names. */
PetscErrorCode hd_gen_dm_setup(MPI_Comm comm, hd_gen_dm_params *p);
/* Not collective; pure. Event `index` of data set `seed`: its objects and label (0 SM, k signal k). */
void hd_gen_dm_make(const hd_gen_dm_params *p, uint64_t seed, uint64_t index, hd_dm_event *ev, int32_t *label);

/* ------------------------------------------------------------------------------------------------
 * aa_tabular: j j gamma gamma events as six kinematic features (seed 000 appendix B, Fig. 13):
 * Higgs production by gluon fusion and by vector-boson fusion (normal), Z H, an axion with a W,
 * and a graviton (anomalies), the Higgs, axion and graviton decaying to two photons. */
typedef enum { HD_AAT_GGF, HD_AAT_VBF, HD_AAT_ZH, HD_AAT_AXION, HD_AAT_GRAVITON, HD_AAT_NCLASSES } hd_aat_class;

#define HD_GEN_AA_TABULAR_NFEATURES 6
/* pt_j1, pt_j2, eta_j1, pt_a1, deta_jj, deta_ja: the leading and sub-leading jet's pT (GeV), the
 * leading jet's pseudo-rapidity, the leading photon's pT, |eta_j1 - eta_j2|, |eta_j1 - eta_a1|. */
extern const char *const hd_gen_aa_tabular_feature_names[HD_GEN_AA_TABULAR_NFEATURES];
/* Not collective. "ggf", "vbf", "zh", "axion", "graviton". */
const char *hd_gen_aat_class_name(hd_aat_class c);

typedef struct {
  PetscInt     n_classes;
  hd_aat_class classes[HD_AAT_NCLASSES]; /* label k = position k */
  double       fractions[HD_AAT_NCLASSES];
  double       axion_mass, graviton_mass;  /* GeV */
  double       cdf[HD_AAT_NCLASSES];
  int          ready;
} hd_gen_aa_tabular_params;

/* Not collective. Defaults: all five classes in equal shares, axion 300 GeV, graviton 1 TeV. */
void hd_gen_aa_tabular_defaults(hd_gen_aa_tabular_params *p);
/* Not collective. Parses "ggf,vbf,zh" and the fractions (n of them, sum 1); errors name the option. */
PetscErrorCode hd_gen_aa_tabular_setup(MPI_Comm comm, const char *classes, PetscInt n_fractions, const double *fractions, hd_gen_aa_tabular_params *p);
/* Not collective; pure. Event `index`: features (6) and label. */
PetscErrorCode hd_gen_aa_tabular_make(const hd_gen_aa_tabular_params *p, uint64_t seed, uint64_t index, float *features, int32_t *label);

/* ------------------------------------------------------------------------------------------------
 * ee_isr: e+e- -> gamma_ISR + jets at sqrt(s) = 1 TeV (seed 004): Drell-Yan gamma* or Z -> q qbar
 * background and X -> a a -> b bbar b bbar signal, R = 1.0 jets as sets. */

#define HD_GEN_EE_NFEATURES 15 /* the event-level variables of seed 004 app. B */
#define HD_GEN_EE_MAX_JETS  15 /* P of /events/sets */
#define HD_GEN_EE_JET_WIDTH 10 /* C: pt, eta, phi, m, btag, tau1..tau5 */

extern const char *const hd_gen_ee_isr_feature_names[HD_GEN_EE_NFEATURES];
extern const char *const hd_gen_ee_isr_jet_names[HD_GEN_EE_JET_WIDTH];

/* What /events/mass holds (seed 004 section 5). */
typedef enum { HD_EE_MASS_TRUTH, HD_EE_MASS_PHOTON, HD_EE_MASS_HADRON } hd_ee_mass_variable;

typedef struct {
  /* user options (hadal generate ee_isr -signal_... -mass_variable ... -mhat_min ...) */
  double              signal_fraction, signal_mx, signal_ma; /* GeV */
  hd_ee_mass_variable mass_variable;
  double              mhat_min, mhat_max; /* range of the background's true sqrt(s-hat), GeV */
  /* model constants, set by hd_gen_ee_isr_defaults() (docs/generators.md) */
  double sqrt_s, photon_e_min, photon_eta_max;       /* collision energy; the ISR photon's cuts */
  double photon_acc_eta, photon_res_stoch, photon_res_const, soft_photon_mean; /* photon detector */
  double x_width;                                    /* Gaussian width of the X line, GeV */
  double frac_b, frac_c;                             /* flavour of the background quarks */
  double alpha_s, shower_q0, shower_theta_max;       /* the one-step shower */
  double hadron_mult, hadron_kt;                     /* fragmentation */
  double jet_radius, jet_pt_min, hadron_eta_max;     /* jets and the hadrons' acceptance */
  double jet_res_stoch, jet_res_const;               /* jet energy resolution */
  double btag_b, btag_c, btag_light;                 /* b-tag efficiencies */
  int    ready;
} hd_gen_ee_isr_params;

/* One event with its truth. sets [P, C] are zero past n_jets. */
typedef struct {
  float   features[HD_GEN_EE_NFEATURES];
  float   sets[HD_GEN_EE_MAX_JETS * HD_GEN_EE_JET_WIDTH];
  int32_t n_jets, label; /* label 0 Drell-Yan, 1 X -> a a */
  double  mhat, mhat_photon, mhat_hadron; /* true, photon-measured, hadron-measured sqrt(s-hat) */
  double  photon_e, photon_eta;           /* the true ISR photon */
} hd_gen_ee_isr_event;

/* Not collective. Defaults: signal (700, 100) GeV at fraction 0.01, truth mass, mhat in [300, 985]. */
void hd_gen_ee_isr_defaults(hd_gen_ee_isr_params *p);
/* Not collective. "truth", "photon", "hadron". */
const char *hd_gen_ee_mass_variable_name(hd_ee_mass_variable v);
/* Not collective (same values on every rank). Checks the options; errors name the option. */
PetscErrorCode hd_gen_ee_isr_setup(MPI_Comm comm, hd_gen_ee_isr_params *p);
/* Not collective; pure. Event `index` of the data set `seed`. */
PetscErrorCode hd_gen_ee_isr_make(const hd_gen_ee_isr_params *p, uint64_t seed, uint64_t index, hd_gen_ee_isr_event *ev);
/* Not collective. The event's sqrt(s-hat) of the chosen mass variable. */
double hd_gen_ee_isr_mass(const hd_gen_ee_isr_params *p, const hd_gen_ee_isr_event *ev);

/* ------------------------------------------------------------------------------------------------
 * The driver. */

typedef enum { HD_GEN_KIND_LHCO, HD_GEN_KIND_JETIMAGES, HD_GEN_KIND_ADC2021, HD_GEN_KIND_DARKMACHINES, HD_GEN_KIND_AA_TABULAR, HD_GEN_KIND_EE_ISR, HD_GEN_NKINDS } hd_gen_kind;

/* Not collective. "lhco", "jetimages", "adc2021", "darkmachines", "aa_tabular", "ee_isr". */

const char *hd_gen_kind_name(hd_gen_kind k);
/* Not collective. An unknown name is an error listing the known kinds. */
PetscErrorCode hd_gen_kind_parse(MPI_Comm comm, const char *name, hd_gen_kind *kind);

typedef struct {
  hd_gen_kind             kind;
  PetscInt                n_events;
  uint64_t                seed;
  hd_gen_lhco_params      lhco;      /* used when kind is lhco (after hd_gen_lhco_setup) */
  hd_gen_jetimages_params jetimages; /* used when kind is jetimages (after setup) */
  hd_gen_adc2021_params   adc2021;   /* used when kind is adc2021 (after setup) */
  hd_gen_dm_params        dm;        /* used when kind is darkmachines (after setup) */
  hd_gen_aa_tabular_params aa_tabular; /* used when kind is aa_tabular (after setup) */
  hd_gen_ee_isr_params    ee_isr;    /* used when kind is ee_isr (after setup) */
} hd_gen_config;

/* ------------------------------------------------------------------------------------------------
 * The skeleton: what a generator gives the driver. A new generator adds its parameters to
 * hd_gen_config, its kind to hd_gen_kind and its model to the driver's table (src/gen/generate.c). */

/* A chunk of rows to fill, row-major, one pointer per dataset of the model's layout (NULL for the
 * datasets it does not have): features [count, F], mass, weight, label, set_n [count],
 * images [count, H, W], sets [count, P, C]. */
typedef struct {
  float   *features, *mass, *weight, *images, *sets;
  int32_t *label, *set_n;
} hd_gen_rows;

typedef struct {
  const char        *name;          /* the KIND of `hadal generate KIND` */
  PetscInt           n_features;
  const char *const *feature_names; /* n_features column names */
  /* Not collective. The layout besides n_events and the features: mass, weight, images, sets. */
  void (*layout)(const hd_gen_config *cfg, hd_events_layout *L);
  /* Not collective. Scratch space for one rank's rows (may leave *work NULL), and its release. */
  PetscErrorCode (*work_create)(const hd_gen_config *cfg, void **work);
  PetscErrorCode (*work_destroy)(void **work);
  /* Not collective; pure. Rows [row0, row0 + count) of the data set: row i is made from its own
   * counter-based stream (cfg->seed, the model's stream, i) alone, whatever rank makes it. */
  PetscErrorCode (*rows)(const hd_gen_config *cfg, void *work, int64_t row0, PetscInt count, const hd_gen_rows *out);
  /* Collective on the writer's comm. The model's root attributes (classes, signals, parameters);
   * the driver writes generator, seed, n_events, created and hadal_version before them. */
  PetscErrorCode (*attributes)(const hd_gen_config *cfg, hd_events_writer w);
} hd_gen_model;

extern const hd_gen_model hd_gen_model_lhco, hd_gen_model_jetimages, hd_gen_model_adc2021, hd_gen_model_darkmachines, hd_gen_model_aa_tabular, hd_gen_model_ee_isr;

/* Collective on comm. Generates cfg->n_events events, each rank its block of rows, and writes them
 * to `path` (temporary name, renamed when complete; nothing is left behind on failure). */
PetscErrorCode hd_generate_write(MPI_Comm comm, const hd_gen_config *cfg, const char *path);

#endif
