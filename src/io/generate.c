/* The generator driver: each rank generates its block of rows in chunks and writes them with the
 * collective event-file writer. Row i is event i of the data set whatever the rank count, so the
 * file's datasets are byte-identical at any number of ranks. */
#include <string.h>
#include <time.h>
#include <hadal/events.h>
#include <hadal/generate.h>
#include <hadal/log.h>

static const char *const hd_gen_kind_names[HD_GEN_NKINDS] = {"lhco", "jetimages"};

/* Rows per write: about 8 MB of output per chunk and rank. */
#define HD_GEN_CHUNK_BYTES (8u << 20)

const char *hd_gen_kind_name(hd_gen_kind k) { return (k >= 0 && k < HD_GEN_NKINDS) ? hd_gen_kind_names[k] : "?"; }

PetscErrorCode hd_gen_kind_parse(MPI_Comm comm, const char *name, hd_gen_kind *kind)
{
  PetscFunctionBegin;
  for (int k = 0; k < HD_GEN_NKINDS; k++)
    if (!strcmp(name, hd_gen_kind_names[k])) {
      *kind = (hd_gen_kind)k;
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  SETERRQ(comm, HD_ERR_USER_INPUT, "unknown generator kind '%s' (known kinds: lhco, jetimages)", name);
}

/* Root attributes: what made the file, and every parameter of the generator. */
static PetscErrorCode hd_generate_attributes(hd_events_writer w, const hd_gen_config *cfg)
{
  char      stamp[64];
  time_t    now = time(NULL);
  struct tm tm;

  PetscFunctionBegin;
  gmtime_r(&now, &tm);
  strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
  PetscCall(hd_events_writer_attr_string(w, "generator", hd_gen_kind_name(cfg->kind)));
  PetscCall(hd_events_writer_attr_int(w, "seed", (int64_t)cfg->seed));
  PetscCall(hd_events_writer_attr_int(w, "n_events", (int64_t)cfg->n_events));
  PetscCall(hd_events_writer_attr_string(w, "created", stamp));
  PetscCall(hd_events_writer_attr_string(w, "hadal_version", HADAL_VERSION));
  if (cfg->kind == HD_GEN_KIND_LHCO) {
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

    PetscCall(hd_events_writer_attr_strings(w, "classes", 2, classes));
    PetscCall(hd_events_writer_attr_strings(w, "signals", 1, classes + 1));
    PetscCall(hd_events_writer_attr_string(w, "mass_variable", "mjj"));
    for (size_t i = 0; i < sizeof(par) / sizeof(par[0]); i++) PetscCall(hd_events_writer_attr_double(w, par[i].name, par[i].value));
  } else {
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
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Generate rows [row0, row0 + count) of this rank; not collective. */
static PetscErrorCode hd_generate_chunk(const hd_gen_config *cfg, hd_gen_jetimages_work work, PetscInt row0, PetscInt count, float *features, float *mass, int32_t *label, float *images)
{
  PetscFunctionBegin;
  if (cfg->kind == HD_GEN_KIND_LHCO) PetscCall(hd_gen_lhco_rows(&cfg->lhco, cfg->seed, row0, count, features, mass, label));
  else PetscCall(hd_gen_jetimages_rows(&cfg->jetimages, work, cfg->seed, row0, count, images, features, label));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Attributes, then every chunk; each rank makes the same number of write calls. A
 * generation failure on any rank is made collective before the next write, so no rank waits in a
 * collective that another has left. */
static PetscErrorCode hd_generate_fill(MPI_Comm comm, const hd_gen_config *cfg, hd_events_writer w, hd_gen_jetimages_work work, PetscInt chunk, PetscInt row_bytes, float *features, float *mass, int32_t *label, float *images)
{
  int         rank, size;
  PetscInt    offset, count, max_local, n_chunks;
  hd_progress prog;
  double      t[2] = {0.0, 0.0}, tmax[2], t0, bytes; /* seconds generating, writing */

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  hd_events_block(cfg->n_events, rank, size, &offset, &count);
  max_local = cfg->n_events / size + (cfg->n_events % size ? 1 : 0);
  n_chunks  = (max_local + chunk - 1) / chunk;
  PetscCall(hd_generate_attributes(w, cfg));
  PetscCall(PetscLogStagePush(HD_STAGE_GENERATE));
  hd_progress_begin(&prog, comm, "generate", "events", (double)cfg->n_events);
  for (PetscInt c = 0; c < n_chunks; c++) {
    PetscInt       r0 = c * chunk, n = PetscMax(0, PetscMin(chunk, count - r0));
    PetscErrorCode gerr;
    int            bad, any_bad;

    t0   = hd_wtime();
    gerr = n > 0 ? hd_generate_chunk(cfg, work, offset + r0, n, features, mass, label, images) : PETSC_SUCCESS;
    bad  = gerr != PETSC_SUCCESS;
    t[0] += hd_wtime() - t0;

    PetscCallMPI(MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, comm));
    if (any_bad) {
      PetscCall(gerr); /* the rank that failed reports its own message */
      SETERRQ(PETSC_COMM_SELF, HD_ERR_INTERNAL, "event generation failed on another rank");
    }
    t0 = hd_wtime();
    PetscCall(hd_events_writer_write(w, offset + r0, n, features, cfg->kind == HD_GEN_KIND_LHCO ? mass : NULL, label, NULL, images, NULL, NULL));
    t[1] += hd_wtime() - t0;
    PetscCall(hd_progress_update(&prog, PetscMin((double)cfg->n_events, (double)(r0 + n) * size)));
  }
  PetscCall(hd_progress_end(&prog, (double)cfg->n_events));
  PetscCall(PetscLogStagePop());
  PetscCallMPI(MPI_Allreduce(t, tmax, 2, MPI_DOUBLE, MPI_MAX, comm));
  bytes = (double)cfg->n_events * (double)row_bytes;
  PetscCall(hd_log(comm, "generate: %.3f s generating, %.3f s writing %.1f MB (%.4g MB/s) on the slowest rank\n", tmax[0], tmax[1], bytes / 1e6, tmax[1] > 0 ? bytes / 1e6 / tmax[1] : 0.0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_generate_write(MPI_Comm comm, const hd_gen_config *cfg, const char *path)
{
  hd_events_layout      layout;
  hd_events_writer      w    = NULL;
  hd_gen_jetimages_work work = NULL;
  char(*names)[HD_NAME_LEN]  = NULL;
  float                *features = NULL, *mass = NULL, *images = NULL;
  int32_t              *label = NULL;
  PetscInt              nf, chunk, npix = 0, row_bytes;
  PetscErrorCode        ierr;

  PetscFunctionBegin;
  PetscCheck(cfg->n_events > 0, comm, HD_ERR_USER_INPUT, "-n must be a positive number of events, got %" PetscInt_FMT, cfg->n_events);
  memset(&layout, 0, sizeof(layout));
  layout.n_events = cfg->n_events;
  if (cfg->kind == HD_GEN_KIND_LHCO) {
    PetscCheck(cfg->lhco.ready, comm, HD_ERR_INTERNAL, "lhco parameters were not set up");
    nf              = HD_GEN_LHCO_NFEATURES;
    layout.has_mass = PETSC_TRUE;
  } else {
    PetscCheck(cfg->jetimages.ready, comm, HD_ERR_INTERNAL, "jetimages parameters were not set up");
    nf             = HD_GEN_JETIMAGES_NFEATURES;
    npix           = cfg->jetimages.image_size * cfg->jetimages.image_size;
    layout.image_h = cfg->jetimages.image_size;
    layout.image_w = cfg->jetimages.image_size;
    PetscCall(hd_gen_jetimages_work_create(&cfg->jetimages, &work));
  }
  PetscCall(PetscMalloc1(nf, &names));
  for (PetscInt j = 0; j < nf; j++) snprintf(names[j], HD_NAME_LEN, "%s", cfg->kind == HD_GEN_KIND_LHCO ? hd_gen_lhco_feature_names[j] : hd_gen_jetimages_feature_names[j]);
  layout.n_features    = nf;
  layout.feature_names = names;

  /* bytes of one row in the file: features, label, then mass (lhco) or the image (jetimages) */
  row_bytes = (PetscInt)sizeof(float) * (nf + (npix > 0 ? npix : 1)) + (PetscInt)sizeof(int32_t);
  chunk     = PetscMax(1, (PetscInt)(HD_GEN_CHUNK_BYTES / (size_t)row_bytes));
  PetscCall(PetscMalloc3((size_t)chunk * nf, &features, chunk, &mass, chunk, &label));
  if (npix > 0) PetscCall(PetscMalloc1((size_t)chunk * npix, &images));

  ierr = hd_events_writer_create(comm, path, &layout, &w);
  if (ierr == PETSC_SUCCESS) {
    ierr = hd_generate_fill(comm, cfg, w, work, chunk, row_bytes, features, mass, label, images);
    if (ierr == PETSC_SUCCESS) ierr = hd_events_writer_close(&w);
    else (void)hd_events_writer_discard(&w); /* no file, not even the temporary one, is left */
  }
  PetscCall(PetscFree3(features, mass, label));
  PetscCall(PetscFree(images));
  PetscCall(PetscFree(names));
  PetscCall(hd_gen_jetimages_work_destroy(&work));
  PetscCall(ierr);
  PetscCall(hd_log(comm, "wrote %" PetscInt_FMT " %s events to %s\n", cfg->n_events, hd_gen_kind_name(cfg->kind), path));
  PetscFunctionReturn(PETSC_SUCCESS);
}
