/* `hadal generate KIND -o FILE -n N -seed S [...]`: write a generated data set (docs/generators.md). */
#include <string.h>
#include <hadal/generate.h>
#include <hadal/options.h>
#include "commands.h"

#define HD_GEN_USAGE "hadal generate lhco|jetimages -o FILE -n N [-seed S] [generator options]"

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
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_cmd_generate(MPI_Comm comm, int nargs, char **args)
{
  hd_gen_config  config, *cfg = &config; /* on the stack: nothing to free on the error paths */
  PetscBool      help = hd_opt_help_requested(), help_only, kind_known = PETSC_FALSE, out_set, n_set;
  char           out[PETSC_MAX_PATH_LEN], classes[256] = "qcd,top";
  PetscInt       seed, n_fractions = 0;
  PetscReal      fractions[HD_GEN_MAX_CLASSES];
  PetscErrorCode ierr;

  PetscFunctionBegin;
  memset(cfg, 0, sizeof(*cfg));
  hd_gen_lhco_defaults(&cfg->lhco);
  hd_gen_jetimages_defaults(&cfg->jetimages);
  /* The kind decides which options exist, so it is checked first (except under -help). */
  if (nargs >= 1) {
    ierr = hd_gen_kind_parse(comm, args[0], &cfg->kind);
    if (!help) PetscCall(ierr);
    kind_known = ierr == PETSC_SUCCESS ? PETSC_TRUE : PETSC_FALSE;
  }
  if (!help) {
    PetscCheck(nargs >= 1, comm, HD_ERR_USER_INPUT, "missing generator kind: " HD_GEN_USAGE " (known kinds: lhco, jetimages)");
    PetscCheck(nargs == 1, comm, HD_ERR_USER_INPUT, "unexpected argument '%s' after the generator kind '%s' (usage: " HD_GEN_USAGE ")", args[1], args[0]);
  }

  PetscCall(hd_opt_string("-o", "output event file (HDF5)", NULL, out, sizeof(out), &out_set));
  PetscCall(hd_opt_int("-n", "number of events", 0, &cfg->n_events, &n_set));
  PetscCall(hd_opt_int("-seed", "random seed: one seed gives the same file at any rank count", 1, &seed, NULL));
  if (!kind_known || cfg->kind == HD_GEN_KIND_LHCO) PetscCall(hd_cmd_generate_lhco_options(&cfg->lhco));
  if (!kind_known || cfg->kind == HD_GEN_KIND_JETIMAGES) PetscCall(hd_cmd_generate_jetimages_options(&cfg->jetimages, classes, sizeof(classes), fractions, &n_fractions));
  PetscCall(hd_opt_finish(comm, HD_GEN_USAGE, &help_only));
  if (help_only) PetscFunctionReturn(PETSC_SUCCESS);

  /* Validation, after hd_opt_finish so that -help always works. */
  PetscCheck(out_set && out[0], comm, HD_ERR_USER_INPUT, "missing -o FILE: the output event file of hadal generate %s", args[0]);
  PetscCheck(n_set, comm, HD_ERR_USER_INPUT, "missing -n N: the number of events to generate");
  PetscCheck(cfg->n_events > 0, comm, HD_ERR_USER_INPUT, "-n must be a positive number of events, got %" PetscInt_FMT, cfg->n_events);
  PetscCheck(seed >= 0, comm, HD_ERR_USER_INPUT, "-seed must be a non-negative integer, got %" PetscInt_FMT, seed);
  cfg->seed = (uint64_t)seed;
  if (cfg->kind == HD_GEN_KIND_LHCO) {
    PetscCall(hd_gen_lhco_setup(comm, &cfg->lhco));
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
