/* The generator skeleton: each rank makes its block of rows, chunk by chunk, with the model of the
 * requested kind, and writes them with the collective event-file writer. Row i is event i of the
 * data set whatever the rank count (the model draws it from its own counter-based stream), so the
 * file's datasets are byte-identical at any number of ranks. */
#include <string.h>
#include <time.h>
#include <hadal/events.h>
#include <hadal/generate.h>
#include <hadal/log.h>

/* In the order of hd_gen_kind. */
static const hd_gen_model *const hd_gen_models[HD_GEN_NKINDS] = {&hd_gen_model_lhco, &hd_gen_model_jetimages, &hd_gen_model_adc2021, &hd_gen_model_darkmachines, &hd_gen_model_aa_tabular, &hd_gen_model_ee_isr};

/* Rows per write: about 8 MB of output per chunk and rank. */
#define HD_GEN_CHUNK_BYTES (8u << 20)

const char *hd_gen_kind_name(hd_gen_kind k) { return (k >= 0 && k < HD_GEN_NKINDS) ? hd_gen_models[k]->name : "?"; }

PetscErrorCode hd_gen_kind_parse(MPI_Comm comm, const char *name, hd_gen_kind *kind)
{
  char known[256] = "";

  PetscFunctionBegin;
  for (int k = 0; k < HD_GEN_NKINDS; k++) {
    if (!strcmp(name, hd_gen_models[k]->name)) {
      *kind = (hd_gen_kind)k;
      PetscFunctionReturn(PETSC_SUCCESS);
    }
    size_t used = strlen(known);
    snprintf(known + used, sizeof(known) - used, "%s%s", k ? ", " : "", hd_gen_models[k]->name);
  }
  SETERRQ(comm, HD_ERR_USER_INPUT, "unknown generator kind '%s' (known kinds: %s)", name, known);
}

/* Root attributes: what made the file, then the model's own. */
static PetscErrorCode hd_generate_attributes(hd_events_writer w, const hd_gen_model *model, const hd_gen_config *cfg)
{
  char      stamp[64];
  time_t    now = time(NULL);
  struct tm tm;

  PetscFunctionBegin;
  gmtime_r(&now, &tm);
  strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
  PetscCall(hd_events_writer_attr_string(w, "generator", model->name));
  PetscCall(hd_events_writer_attr_int(w, "seed", (int64_t)cfg->seed));
  PetscCall(hd_events_writer_attr_int(w, "n_events", (int64_t)cfg->n_events));
  PetscCall(hd_events_writer_attr_string(w, "created", stamp));
  PetscCall(hd_events_writer_attr_string(w, "hadal_version", HADAL_VERSION));
  PetscCall(model->attributes(cfg, w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Attributes, then every chunk; each rank makes the same number of write calls. A
 * generation failure on any rank is made collective before the next write, so no rank waits in a
 * collective that another has left. */
static PetscErrorCode hd_generate_fill(MPI_Comm comm, const hd_gen_model *model, const hd_gen_config *cfg, hd_events_writer w, void *work, PetscInt chunk, size_t row_bytes, const hd_gen_rows *buf)
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
  PetscCall(hd_generate_attributes(w, model, cfg));
  PetscCall(PetscLogStagePush(HD_STAGE_GENERATE));
  hd_progress_begin(&prog, comm, "generate", "events", (double)cfg->n_events);
  for (PetscInt c = 0; c < n_chunks; c++) {
    PetscInt       r0 = c * chunk, n = PetscMax(0, PetscMin(chunk, count - r0));
    PetscErrorCode gerr;
    int            bad, any_bad;

    t0   = hd_wtime();
    gerr = n > 0 ? model->rows(cfg, work, (int64_t)offset + r0, n, buf) : PETSC_SUCCESS;
    bad  = gerr != PETSC_SUCCESS;
    t[0] += hd_wtime() - t0;

    PetscCallMPI(MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, comm));
    if (any_bad) {
      PetscCall(gerr); /* the rank that failed reports its own message */
      SETERRQ(PETSC_COMM_SELF, HD_ERR_INTERNAL, "event generation failed on another rank");
    }
    t0 = hd_wtime();
    PetscCall(hd_events_writer_write(w, offset + r0, n, buf->features, buf->mass, buf->label, buf->weight, buf->images, buf->sets, buf->set_n));
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

/* Chunk buffers for the datasets of the layout (the others stay NULL); all values are 4 bytes. */
static PetscErrorCode hd_generate_buffers(const hd_events_layout *L, PetscInt chunk, hd_gen_rows *buf, size_t *row_bytes)
{
  struct {
    void   **p;
    size_t   width;
  } ds[] = {
    {(void **)&buf->features, (size_t)L->n_features},
    {(void **)&buf->mass, L->has_mass ? 1u : 0u},
    {(void **)&buf->label, 1},
    {(void **)&buf->weight, L->has_weight ? 1u : 0u},
    {(void **)&buf->images, (size_t)L->image_h * (size_t)L->image_w},
    {(void **)&buf->sets, (size_t)L->set_size * (size_t)L->set_width},
    {(void **)&buf->set_n, L->set_size > 0 ? 1u : 0u},
  };

  PetscFunctionBegin;
  PetscCall(PetscMemzero(buf, sizeof(*buf)));
  *row_bytes = 0;
  for (size_t d = 0; d < sizeof(ds) / sizeof(ds[0]); d++) *row_bytes += 4 * ds[d].width;
  for (size_t d = 0; chunk > 0 && d < sizeof(ds) / sizeof(ds[0]); d++)
    if (ds[d].width) PetscCall(PetscMalloc((size_t)chunk * ds[d].width * 4, ds[d].p));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_generate_buffers_free(hd_gen_rows *buf)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(buf->features));
  PetscCall(PetscFree(buf->mass));
  PetscCall(PetscFree(buf->label));
  PetscCall(PetscFree(buf->weight));
  PetscCall(PetscFree(buf->images));
  PetscCall(PetscFree(buf->sets));
  PetscCall(PetscFree(buf->set_n));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_generate_write(MPI_Comm comm, const hd_gen_config *cfg, const char *path)
{
  const hd_gen_model *model;
  hd_events_layout    layout;
  hd_events_writer    w    = NULL;
  void               *work = NULL;
  char(*names)[HD_NAME_LEN] = NULL;
  hd_gen_rows         buf;
  PetscInt            chunk;
  size_t              row_bytes;
  PetscErrorCode      ierr;

  PetscFunctionBegin;
  PetscCheck(cfg->n_events > 0, comm, HD_ERR_USER_INPUT, "-n must be a positive number of events, got %" PetscInt_FMT, cfg->n_events);
  PetscCheck(cfg->kind >= 0 && cfg->kind < HD_GEN_NKINDS, comm, HD_ERR_INTERNAL, "generator kind %d", (int)cfg->kind);
  PetscCheck(cfg->kind != HD_GEN_KIND_LHCO || cfg->lhco.ready, comm, HD_ERR_INTERNAL, "lhco parameters were not set up");
  PetscCheck(cfg->kind != HD_GEN_KIND_JETIMAGES || cfg->jetimages.ready, comm, HD_ERR_INTERNAL, "jetimages parameters were not set up");
  PetscCheck(cfg->kind != HD_GEN_KIND_ADC2021 || cfg->adc2021.ready, comm, HD_ERR_INTERNAL, "adc2021 parameters were not set up");
  PetscCheck(cfg->kind != HD_GEN_KIND_DARKMACHINES || cfg->dm.ready, comm, HD_ERR_INTERNAL, "darkmachines parameters were not set up");
  PetscCheck(cfg->kind != HD_GEN_KIND_AA_TABULAR || cfg->aa_tabular.ready, comm, HD_ERR_INTERNAL, "aa_tabular parameters were not set up");
  PetscCheck(cfg->kind != HD_GEN_KIND_EE_ISR || cfg->ee_isr.ready, comm, HD_ERR_INTERNAL, "ee_isr parameters were not set up");
  model = hd_gen_models[cfg->kind];
  memset(&layout, 0, sizeof(layout));
  layout.n_events   = cfg->n_events;
  layout.n_features = model->n_features;
  model->layout(cfg, &layout);
  PetscCall(PetscMalloc1(model->n_features, &names));
  for (PetscInt j = 0; j < model->n_features; j++) snprintf(names[j], HD_NAME_LEN, "%s", model->feature_names[j]);
  layout.feature_names = names;

  PetscCall(hd_generate_buffers(&layout, 0, &buf, &row_bytes));
  chunk = PetscMax(1, (PetscInt)(HD_GEN_CHUNK_BYTES / row_bytes));
  PetscCall(hd_generate_buffers(&layout, chunk, &buf, &row_bytes));
  if (model->work_create) PetscCall(model->work_create(cfg, &work));

  ierr = hd_events_writer_create(comm, path, &layout, &w);
  if (ierr == PETSC_SUCCESS) {
    ierr = hd_generate_fill(comm, model, cfg, w, work, chunk, row_bytes, &buf);
    if (ierr == PETSC_SUCCESS) ierr = hd_events_writer_close(&w);
    else (void)hd_events_writer_discard(&w); /* no file, not even the temporary one, is left */
  }
  PetscCall(hd_generate_buffers_free(&buf));
  PetscCall(PetscFree(names));
  if (model->work_destroy) PetscCall(model->work_destroy(&work));
  PetscCall(ierr);
  PetscCall(hd_log(comm, "wrote %" PetscInt_FMT " %s events to %s\n", cfg->n_events, model->name, path));
  PetscFunctionReturn(PETSC_SUCCESS);
}
