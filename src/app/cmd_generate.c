/* `hadal generate KIND -o FILE -n N -seed S [...]`: write a generated data set (docs/generators.md). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/generate.h>
#include <hadal/h5.h>
#include <hadal/options.h>
#include "commands.h"

#define HD_GEN_USAGE "hadal generate lhco|jetimages|adc2021|darkmachines|aa_tabular|ee_isr -o FILE -n N [-seed S] [generator options]"

/* Options of the lhco generator, into p (defaults already there). */
static PetscErrorCode hd_cmd_generate_lhco_options(hd_gen_lhco_params *p)
{
  PetscFunctionBegin;
  PetscCall(hd_opt_real("-signal_fraction", "lhco: probability that an event is W' -> X Y signal", p->signal_fraction, &p->signal_fraction, NULL));
  PetscCall(hd_opt_real("-signal_mjj", "lhco: W' mass (GeV), the signal's mjj peak", p->signal_mjj, &p->signal_mjj, NULL));
  PetscCall(hd_opt_real("-signal_mx", "lhco: mass of X (GeV), one signal jet", p->signal_mx, &p->signal_mx, NULL));
  PetscCall(hd_opt_real("-signal_my", "lhco: mass of Y (GeV), the other signal jet", p->signal_my, &p->signal_my, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Options of the adc2021 generator; the signal list is parsed after hd_opt_finish. */
static PetscErrorCode hd_cmd_generate_adc2021_options(hd_gen_adc2021_params *p, char *signals, size_t len)
{
  PetscFunctionBegin;
  PetscCall(hd_opt_real("-signal_fraction", "adc2021: probability of each injected signal (seed 002: 0.001; 0 for SM only)", p->signal_fraction, &p->signal_fraction, NULL));
  PetscCall(hd_opt_string("-signals", "adc2021: injected signals, label = 1 + position (lq_btau, a_4l, h0_tautau, hpm_taunu, or none)", "lq_btau,a_4l,h0_tautau,hpm_taunu", signals, len, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Options of the darkmachines generator; the signal list is parsed after hd_opt_finish. */
static PetscErrorCode hd_cmd_generate_dm_options(hd_gen_dm_params *p, char *signals, size_t len)
{
  PetscFunctionBegin;
  PetscCall(hd_opt_string("-signals", "darkmachines: comma-separated signals, label k = k-th in the list (zprime, dijet, susy, stop)", "zprime,dijet,susy,stop", signals, len, NULL));
  PetscCall(hd_opt_real("-signal_fraction", "darkmachines: probability of each listed signal", p->signal_fraction, &p->signal_fraction, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Options of the jetimages generator. The class list is parsed here (before hd_opt_finish) only to
 * build the default of -class_fractions; a bad list is reported after hd_opt_finish. */
static PetscErrorCode hd_cmd_generate_jetimages_options(hd_gen_jetimages_params *p, char *classes, size_t len, PetscReal *fractions, PetscInt *n_fractions)
{
  char     def[256] = "";
  PetscInt n_listed = 1;

  PetscFunctionBegin;
  PetscCall(hd_opt_string("-classes", "jetimages: comma-separated classes, label = position in the list (qcd, top, w, r2, r3, r4, eft)", "qcd,top", classes, len, NULL));
  for (const char *c = classes; *c; c++) n_listed += *c == ',';
  n_listed = PetscMin(PetscMax(n_listed, 1), HD_GEN_MAX_CLASSES);
  for (PetscInt k = 0; k < n_listed; k++) {
    size_t used = strlen(def);

    snprintf(def + used, sizeof(def) - used, "%s%.6g", k ? "," : "", 1.0 / (double)n_listed);
  }
  *n_fractions = HD_GEN_MAX_CLASSES;
  PetscCall(hd_opt_real_list("-class_fractions", "jetimages: fraction of each class, in the order of -classes (sum 1)", def, fractions, n_fractions, NULL));
  PetscCall(hd_opt_int("-image_size", "jetimages: pixels per side of the (eta, phi) image covering R = 1", p->image_size, &p->image_size, NULL));
  PetscCall(hd_opt_bool("-preprocess", "jetimages: centre, rotate, flip and normalise each image to sum 1", p->preprocess, &p->preprocess, NULL));
  PetscCall(hd_opt_bool("-b_fragmentation", "jetimages: b quarks of H -> b b and t -> b W end in a B hadron (Peterson fragmentation) that decays to four particles", p->b_fragmentation, &p->b_fragmentation, NULL));
  PetscCall(hd_opt_bool("-preprocess_rebin", "jetimages: with -preprocess, measure features and selection on the fixed detector grid, then preprocess by rebinning its towers (default: transform the particles before pixelising)", p->preprocess_rebin, &p->preprocess_rebin, NULL));
  PetscCall(hd_opt_int("-hadron_cap", "jetimages: most hadrons per parton (12; up to 256 lets the multiplicity grow with energy as 1 + Poisson(1.5 ln(1 + E/GeV)))", p->hadron_cap, &p->hadron_cap, NULL));
  PetscCall(hd_opt_real("-pileup_mu", "jetimages: mean number of pile-up interactions overlaid (0: none; 30-60 for Run 2-3)", p->pileup_mu, &p->pileup_mu, NULL));
  PetscCall(hd_opt_bool("-pileup_subtract", "jetimages: pile-up grooming: empty the pixels below the median over 0.4 x 0.4 patches of their largest pixel pT (SoftKiller-like), before features and selection", p->pileup_subtract, &p->pileup_subtract, NULL));
  {
    PetscReal win[2] = {0, 0};
    PetscInt  n_win  = 2;
    PetscBool set;
    PetscCall(hd_opt_real_list("-pt_window", "jetimages: LO,HI (GeV): every class's hard object, the graviton daughters too, gets its pT from the SM spectrum in this common window (default: off, each class its own pT)", "0,0", win, &n_win, &set));
    PetscCheck(!set || n_win == 2, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "-pt_window needs two values LO,HI (got %" PetscInt_FMT ")", n_win);
    p->pt_window[0] = win[0];
    p->pt_window[1] = win[1];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Options of the ee_isr generator; the mass variable's name is checked after hd_opt_finish. */
static PetscErrorCode hd_cmd_generate_ee_isr_options(hd_gen_ee_isr_params *p, char *mass_variable, size_t len)
{
  PetscFunctionBegin;
  PetscCall(hd_opt_real("-signal_fraction", "ee_isr: probability that an event is X -> a a -> 4b signal", p->signal_fraction, &p->signal_fraction, NULL));
  PetscCall(hd_opt_real("-signal_mx", "ee_isr: X mass (GeV), seed 004: 700 or 350", p->signal_mx, &p->signal_mx, NULL));
  PetscCall(hd_opt_real("-signal_ma", "ee_isr: a mass (GeV), seed 004: 100 or 40", p->signal_ma, &p->signal_ma, NULL));
  PetscCall(hd_opt_real("-mhat_min", "ee_isr: lowest true sqrt(s-hat) of the background (GeV)", p->mhat_min, &p->mhat_min, NULL));
  PetscCall(hd_opt_real("-mhat_max", "ee_isr: highest true sqrt(s-hat) of the background (GeV)", p->mhat_max, &p->mhat_max, NULL));
  PetscCall(hd_opt_string("-mass_variable", "ee_isr: /events/mass: truth, photon (sqrt(s - 2 sqrt(s) E_gamma) measured) or hadron (the jets' mass)", "truth", mass_variable, len, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A whole number from an option's text: digits, or an exact integer in scientific notation ("2e6").
 * Parsed here rather than with hd_opt_int because the seed is 64-bit and PETSc's integer parsing
 * wraps values beyond PetscInt without a word. */
static PetscErrorCode hd_cmd_generate_parse_count(MPI_Comm comm, const char *opt, const char *text, const char *what, uint64_t max, uint64_t *value)
{
  char              *end;
  unsigned long long v;

  PetscFunctionBegin;
  errno = 0;
  PetscCheck(text[0] != '-', comm, HD_ERR_USER_INPUT, "%s must be %s, got %s", opt, what, text);
  v = strtoull(text, &end, 10);
  if (end == text || *end != '\0') { /* not plain digits: maybe "2e6" */
    double d;

    errno = 0;
    d     = strtod(text, &end);
    PetscCheck(end != text && *end == '\0' && errno == 0 && d >= 0.0 && d == floor(d) && d < 9007199254740992.0, comm, HD_ERR_USER_INPUT, "%s must be %s, got '%s'", opt, what, text);
    v = (unsigned long long)d;
  }
  PetscCheck(errno == 0 && v <= max, comm, HD_ERR_USER_INPUT, "%s %s is too large: it must be %s, at most %llu", opt, text, what, (unsigned long long)max);
  *value = (uint64_t)v;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Options of the aa_tabular generator (its class list shares the names -classes and
 * -class_fractions with jetimages, so they are read here only when the kind is aa_tabular). */
static PetscErrorCode hd_cmd_generate_aa_tabular_options(hd_gen_aa_tabular_params *p, char *classes, size_t len, PetscReal *fractions, PetscInt *n_fractions)
{
  PetscFunctionBegin;
  *n_fractions = HD_GEN_MAX_CLASSES;
  PetscCall(hd_opt_string("-classes", "aa_tabular: comma-separated classes, label = position in the list (ggf, vbf, zh, axion, graviton)", "ggf,vbf,zh,axion,graviton", classes, len, NULL));
  {
    char     def[128] = "", buf[256], *save = NULL;
    PetscInt n        = 0;
    snprintf(buf, sizeof(buf), "%s", classes);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) n++;
    for (PetscInt k = 0; k < n && k < HD_AAT_NCLASSES; k++) snprintf(def + strlen(def), sizeof(def) - strlen(def), "%s%.6g", k ? "," : "", 1.0 / (double)n);
    PetscCall(hd_opt_real_list("-class_fractions", "aa_tabular: fraction of each class, in the order of -classes (sum 1; default equal)", def, fractions, n_fractions, NULL));
  }
  PetscCall(hd_opt_real("-axion_mass", "aa_tabular: axion mass (GeV), a -> gamma gamma", p->axion_mass, &p->axion_mass, NULL));
  PetscCall(hd_opt_real("-graviton_mass", "aa_tabular: graviton mass (GeV), G -> gamma gamma", p->graviton_mass, &p->graviton_mass, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_cmd_generate(MPI_Comm comm, int nargs, char **args)
{
  hd_gen_config  config, *cfg = &config; /* on the stack: nothing to free on the error paths */
  PetscBool      help = hd_opt_help_requested(), help_only, kind_known = PETSC_FALSE, out_set, n_set;
  char           out[PETSC_MAX_PATH_LEN], classes[256] = "qcd,top", signals[256] = "", mass_variable[32] = "truth";
  char           n_text[64], seed_text[64];
  uint64_t       n;
  PetscInt       n_fractions = 0;
  PetscReal      fractions[HD_GEN_MAX_CLASSES];
  PetscErrorCode ierr;

  PetscFunctionBegin;
  memset(cfg, 0, sizeof(*cfg));
  hd_gen_lhco_defaults(&cfg->lhco);
  hd_gen_jetimages_defaults(&cfg->jetimages);
  hd_gen_adc2021_defaults(&cfg->adc2021);
  hd_gen_dm_defaults(&cfg->dm);
  hd_gen_aa_tabular_defaults(&cfg->aa_tabular);
  hd_gen_ee_isr_defaults(&cfg->ee_isr);
  /* The kind decides which options exist, so it is checked first (except under -help). */
  if (nargs >= 1) {
    ierr = hd_gen_kind_parse(comm, args[0], &cfg->kind);
    if (!help) PetscCall(ierr);
    kind_known = ierr == PETSC_SUCCESS ? PETSC_TRUE : PETSC_FALSE;
  }
  if (!help) {
    PetscCheck(nargs >= 1, comm, HD_ERR_USER_INPUT, "missing generator kind: " HD_GEN_USAGE " (known kinds: lhco, jetimages, adc2021, darkmachines, aa_tabular, ee_isr)");
    PetscCheck(nargs == 1, comm, HD_ERR_USER_INPUT, "unexpected argument '%s' after the generator kind '%s' (usage: " HD_GEN_USAGE ")", args[1], args[0]);
  }

  PetscCall(hd_opt_string("-o", "output event file (HDF5)", NULL, out, sizeof(out), &out_set));
  PetscCall(hd_opt_string("-n", "number of events (digits or e.g. 2e6)", NULL, n_text, sizeof(n_text), &n_set));
  PetscCall(hd_opt_string("-seed", "random seed, 0 to 2^63 - 1: one seed gives the same file at any rank count", "1", seed_text, sizeof(seed_text), NULL));
  if (!kind_known || cfg->kind == HD_GEN_KIND_LHCO) PetscCall(hd_cmd_generate_lhco_options(&cfg->lhco));
  if (kind_known && cfg->kind == HD_GEN_KIND_ADC2021) PetscCall(hd_cmd_generate_adc2021_options(&cfg->adc2021, signals, sizeof(signals)));
  if (!kind_known || cfg->kind == HD_GEN_KIND_JETIMAGES) PetscCall(hd_cmd_generate_jetimages_options(&cfg->jetimages, classes, sizeof(classes), fractions, &n_fractions));
  if (kind_known && cfg->kind == HD_GEN_KIND_DARKMACHINES) PetscCall(hd_cmd_generate_dm_options(&cfg->dm, signals, sizeof(signals)));
  if (kind_known && cfg->kind == HD_GEN_KIND_AA_TABULAR) PetscCall(hd_cmd_generate_aa_tabular_options(&cfg->aa_tabular, classes, sizeof(classes), fractions, &n_fractions));
  if (!kind_known || cfg->kind == HD_GEN_KIND_EE_ISR) PetscCall(hd_cmd_generate_ee_isr_options(&cfg->ee_isr, mass_variable, sizeof(mass_variable)));
  PetscCall(hd_opt_finish(comm, HD_GEN_USAGE, &help_only));
  if (help_only) PetscFunctionReturn(PETSC_SUCCESS);

  /* Validation, after hd_opt_finish so that -help always works. */
  PetscCheck(out_set && out[0], comm, HD_ERR_USER_INPUT, "missing -o FILE: the output event file of hadal generate %s", args[0]);
  PetscCall(hd_h5_output_check(comm, "-o", out)); /* before the events are made */
  PetscCheck(n_set && n_text[0], comm, HD_ERR_USER_INPUT, "missing -n N: the number of events to generate");
  PetscCall(hd_cmd_generate_parse_count(comm, "-n", n_text, "a positive number of events", (uint64_t)PETSC_MAX_INT, &n));
  PetscCheck(n > 0, comm, HD_ERR_USER_INPUT, "-n must be a positive number of events, got %s", n_text);
  cfg->n_events = (PetscInt)n;
  PetscCall(hd_cmd_generate_parse_count(comm, "-seed", seed_text, "a non-negative integer", (uint64_t)INT64_MAX, &cfg->seed)); /* stored as an int64 attribute */
  if (cfg->kind == HD_GEN_KIND_LHCO) {
    PetscCall(hd_gen_lhco_setup(comm, &cfg->lhco));
  } else if (cfg->kind == HD_GEN_KIND_ADC2021) {
    PetscCall(hd_gen_adc2021_parse_signals(comm, signals, &cfg->adc2021));
    PetscCall(hd_gen_adc2021_setup(comm, &cfg->adc2021));
  } else if (cfg->kind == HD_GEN_KIND_DARKMACHINES) {
    PetscCall(hd_gen_dm_parse_signals(comm, signals, &cfg->dm));
    PetscCall(hd_gen_dm_setup(comm, &cfg->dm));
  } else if (cfg->kind == HD_GEN_KIND_AA_TABULAR) {
    double f[HD_GEN_MAX_CLASSES];
    for (PetscInt k = 0; k < n_fractions && k < HD_GEN_MAX_CLASSES; k++) f[k] = fractions[k];
    PetscCall(hd_gen_aa_tabular_setup(comm, classes, n_fractions, f, &cfg->aa_tabular));
  } else if (cfg->kind == HD_GEN_KIND_EE_ISR) {
    hd_gen_ee_isr_params *p = &cfg->ee_isr;
    int                   v;

    for (v = HD_EE_MASS_TRUTH; v <= HD_EE_MASS_HADRON; v++)
      if (!strcmp(mass_variable, hd_gen_ee_mass_variable_name((hd_ee_mass_variable)v))) break;
    PetscCheck(v <= HD_EE_MASS_HADRON, comm, HD_ERR_USER_INPUT, "-mass_variable '%s' is none of truth, photon, hadron", mass_variable);
    p->mass_variable = (hd_ee_mass_variable)v;
    PetscCall(hd_gen_ee_isr_setup(comm, p));
  } else {
    hd_gen_jetimages_params *p = &cfg->jetimages;

    PetscCall(hd_gen_jetimages_parse_classes(comm, classes, p));
    PetscCheck(n_fractions == p->n_classes, comm, HD_ERR_USER_INPUT, "-class_fractions has %" PetscInt_FMT " values but -classes '%s' lists %" PetscInt_FMT " classes", n_fractions, classes, p->n_classes);
    for (PetscInt k = 0; k < p->n_classes; k++) p->fractions[k] = fractions[k];
    PetscCall(hd_gen_jetimages_setup(comm, p));
  }
  PetscCall(hd_generate_write(comm, cfg, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}
