/* The ensemble driver (see include/hadal/ensemble.h): members dealt to groups, run one after the
 * other, their sums, per-event scores and metrics collected without gathering all of them, each
 * finished member stored on its own so that a stopped run continues where it stopped. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <hadal/ensemble.h>
#include <hadal/events.h>
#include <hadal/log.h>
#include <hadal/signals.h>

/* Options that change no result: left out of the identity of stored members. */
static const char *const hd_ens_neutral[] = {"-out", "-resume", "-group_size", "-verbose", "-log_view", "-checkpoint_every", "-options_file", "-help", NULL};

/* Not collective. The first n characters of an options text "-name value ..." without the options
 * (and their values) that `drop` names; PetscMalloc'ed. */
static PetscErrorCode hd_ens_options_filter(const char *text, size_t n, PetscBool (*drop)(const char *name), char **key)
{
  char     *copy, *save = NULL, *tok, *used;
  PetscBool skipping = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n + 1, &copy));
  memcpy(copy, text, n);
  copy[n] = '\0';
  PetscCall(PetscCalloc1(n + 2, key));
  used = *key;
  for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
    char *end;

    if (tok[0] == '-' && tok[1] && (strtod(tok, &end), *end != '\0')) skipping = drop(tok); /* a name, not a negative number */
    if (!skipping) used += sprintf(used, "%s%s", used == *key ? "" : " ", tok);
  }
  PetscCall(PetscFree(copy));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The options that change no result, and PETSc's diagnostics. */
static PetscBool hd_ens_neutral_option(const char *name)
{
  for (const char *const *n = hd_ens_neutral; *n; n++)
    if (!strcmp(name, *n)) return PETSC_TRUE;
  return !strncmp(name, "-malloc", 7) || !strncmp(name, "-log_", 5) || !strcmp(name, "-info");
}

/* Not collective. The run's options as "-name value ..." without the neutral ones; PetscMalloc'ed. */
static PetscErrorCode hd_ens_options_key(char **key)
{
  char *all;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetAll(NULL, &all));
  PetscCall(hd_ens_options_filter(all ? all : "", all ? strlen(all) : 0, hd_ens_neutral_option, key));
  PetscCall(PetscFree(all));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. e->identity: the config's, or the options and the event files read so far
 * (rank 0 hashes the files, once per process, and tells the others). */
static PetscErrorCode hd_ens_identity(hd_ensemble *e, const char *given)
{
  int   len = 0;
  char *text = NULL;

  PetscFunctionBegin;
  if (e->groups.world_rank == 0) {
    if (given) PetscCall(PetscStrallocpy(given, &text));
    else {
      char *opts, data[HD_EVENTS_IDENTITY_LEN], paths[PETSC_MAX_PATH_LEN];
      PetscCall(hd_ens_options_key(&opts));
      PetscCall(hd_events_data_identity(data, sizeof(data), paths, sizeof(paths)));
      PetscCall(PetscMalloc1(strlen(opts) + strlen(data) + 16, &text));
      sprintf(text, "%s; data: %s", opts, data[0] ? data : "none");
      PetscCall(PetscFree(opts));
    }
    len = (int)strlen(text) + 1;
  }
  PetscCallMPI(MPI_Bcast(&len, 1, MPI_INT, 0, e->groups.world));
  if (e->groups.world_rank != 0) PetscCall(PetscMalloc1(len, &text));
  PetscCallMPI(MPI_Bcast(text, len, MPI_CHAR, 0, e->groups.world));
  e->identity = text;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_ensemble_create(hd_comm world, const hd_ensemble_config *cfg, hd_ensemble *e)
{
  PetscInt M = cfg->n_members;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(e, sizeof(*e)));
  e->groups.group = MPI_COMM_NULL;
  e->groups.peers = MPI_COMM_NULL;
  PetscCheck(cfg->n_sums >= 0 && cfg->n_events >= 0 && cfg->n_metrics >= 0 && cfg->text_len >= 0, world, HD_ERR_INTERNAL, "ensemble: negative table sizes");
  PetscCheck((double)cfg->n_events * (double)M < 9e18, world, HD_ERR_USER_INPUT, "ensemble: %" PetscInt_FMT " events x %" PetscInt_FMT " members is too large", cfg->n_events, M);
  e->cfg = *cfg;
  PetscCall(hd_par_groups_create(world, cfg->group_size, &e->groups));
  PetscCall(hd_par_schedule_create(&e->groups, M, cfg->costs, &e->sched));
  if (cfg->costs) {
    PetscCall(PetscMalloc1(PetscMax(M, 1), &e->costs));
    PetscCall(PetscArraycpy(e->costs, cfg->costs, M));
  }
  e->cfg.costs = e->costs;
  if (cfg->store_dir) {
    PetscCall(PetscStrallocpy(cfg->store_dir, &e->store_dir));
    PetscCall(PetscStrallocpy(cfg->checkpoint_dir ? cfg->checkpoint_dir : cfg->store_dir, &e->checkpoint_dir));
    PetscCall(hd_ens_identity(e, cfg->identity));
  }
  e->cfg.store_dir      = e->store_dir;
  e->cfg.checkpoint_dir = e->checkpoint_dir;
  e->cfg.identity       = e->identity;
  e->cfg.progress       = NULL; /* the caller's string need not outlive this call */
  if (cfg->progress) PetscCall(PetscStrallocpy(cfg->progress, (char **)&e->cfg.progress));
  hd_par_block(cfg->n_events, e->groups.world_rank, e->groups.world_size, &e->block_offset, &e->block_count);
  PetscCall(PetscCalloc1(PetscMax(cfg->n_sums, 1), &e->sums));
  PetscCall(PetscCalloc1(PetscMax(e->block_count * M, 1), &e->columns));
  PetscCall(PetscCalloc1(PetscMax(M * cfg->n_metrics, 1), &e->metrics));
  PetscCall(PetscCalloc1(PetscMax(M * cfg->text_len, 1), &e->text));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_ensemble_destroy(hd_ensemble *e)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(e->sums));
  PetscCall(PetscFree(e->columns));
  PetscCall(PetscFree(e->metrics));
  PetscCall(PetscFree(e->text));
  PetscCall(PetscFree(e->costs));
  PetscCall(PetscFree(e->identity));
  PetscCall(PetscFree(e->store_dir));
  PetscCall(PetscFree(e->checkpoint_dir));
  PetscCall(PetscFree(e->cfg.progress));
  e->cfg.progress = NULL;
  PetscCall(hd_par_schedule_destroy(&e->sched));
  PetscCall(hd_par_groups_destroy(&e->groups));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- one schedule over the members of several ensembles ---- */

/* A job is one member of one ensemble; jobs are numbered ensemble after ensemble. */
typedef struct {
  PetscInt            n_ens, n_jobs;
  hd_ensemble *const *e;
  PetscInt           *first;      /* (n_ens + 1) the job of member 0 of each ensemble */
  PetscInt           *job_ens;    /* (n_jobs) */
  char               *stored;     /* (n_jobs) found in the store (resume): loaded, not run */
  char               *finished;   /* (n_jobs) run or loaded by this group (its rank 0), then by any */
  hd_par_schedule     sched;      /* jobs over the groups */
  MPI_Win            *win;        /* (n_ens) each rank's (block_count, M) columns, written by the
                                   * members' groups with MPI_Put; MPI_WIN_NULL: no columns */
  float             **win_base;   /* (n_ens) the windows' memory on this rank */
  float              *scores;     /* (max_events) the member's scores */
  int64_t            *priv;       /* a member's own sums, when they are stored */
  int64_t            *nz_index, *nz_value;
  double             *metrics;
  char               *text;
  PetscInt            max_events, max_sums, max_metrics, max_text;
} hd_ens_jobs;

static PetscInt hd_ens_member_of(const hd_ens_jobs *J, PetscInt j) { return j - J->first[J->job_ens[j]]; }

/* Collective on world. Which members are in the stores: the ranks check the files in turn (member
 * k of all by rank k mod size) and every rank learns the result. A file of another run (other
 * options, data or sizes: a -resume with more -epochs) is not loaded: its member runs again, from
 * its trainer checkpoint where one is kept. A run that does not resume removes the stored members
 * it will write again, so that a later -resume finds only this run's. */
static PetscErrorCode hd_ens_scan_stores(hd_ens_jobs *J, const hd_par_groups *g)
{
  PetscInt n_found = 0, n_run = 0, n_other = 0;
  char    *other, why[1024] = "";
  char     path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(PetscCalloc1(PetscMax(J->n_jobs, 1), &other));
  for (PetscInt k = 0; k < J->n_ens; k++) {
    const hd_ensemble        *e = J->e[k];
    const hd_ensemble_config *c = &e->cfg;

    if (!e->store_dir) continue;
    PetscCall(hd_results_mkdir(g->world, e->store_dir));
    if (strcmp(e->checkpoint_dir, e->store_dir)) PetscCall(hd_results_mkdir(g->world, e->checkpoint_dir));
    for (PetscInt m = g->world_rank; m < c->n_members; m += g->world_size) {
      hd_ensemble_record want = {.member = m, .n_members = c->n_members, .n_sums = c->n_sums, .n_events = c->n_events, .n_metrics = c->n_metrics, .text_len = c->text_len, .identity = e->identity};
      PetscBool          match;
      char               w[1024];

      hd_ensemble_store_path(e->store_dir, m, path, sizeof(path));
      if (!c->resume) {
        (void)unlink(path);
        continue;
      }
      PetscCall(hd_ensemble_store_match(path, &want, &match, w, sizeof(w)));
      if (match) J->stored[J->first[k] + m] = 1;
      else if (w[0]) {
        other[J->first[k] + m] = 1;
        if (!why[0]) snprintf(why, sizeof(why), "%s", w);
      }
    }
  }
  PetscCall(hd_par_max_bytes(g->world, J->n_jobs, J->stored));
  PetscCall(hd_par_max_bytes(g->world, J->n_jobs, other));
  for (PetscInt j = 0; j < J->n_jobs; j++) {
    if (!J->e[J->job_ens[j]]->store_dir) continue;
    if (J->stored[j]) n_found++;
    else n_run++;
    n_other += other[j];
  }
  PetscCall(PetscFree(other));
  if (n_found) PetscCall(hd_log(g->world, "ensemble: %" PetscInt_FMT " finished member%s found in '%s' (loaded, not run again), %" PetscInt_FMT " to run\n", n_found, n_found > 1 ? "s" : "", J->e[0]->store_dir ? J->e[0]->store_dir : "the stores", n_run));
  if (n_other) PetscCall(hd_log(g->world, "ensemble: %" PetscInt_FMT " stored member%s of another run (options, data or sizes) run again%s%s\n", n_other, n_other > 1 ? "s" : "", why[0] && g->world_rank == 0 ? ": " : "", g->world_rank == 0 ? why : ""));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. The joint schedule: a member's cost as its ensemble gave it (1 without
 * costs); a stored member costs a thousandth of that (a file read, not a training). */
static PetscErrorCode hd_ens_schedule(hd_ens_jobs *J, const hd_par_groups *g)
{
  double *cost;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(PetscMax(J->n_jobs, 1), &cost));
  for (PetscInt j = 0; j < J->n_jobs; j++) {
    const hd_ensemble *e = J->e[J->job_ens[j]];
    cost[j]              = e->costs ? e->costs[hd_ens_member_of(J, j)] : 1.0;
    if (J->stored[j]) cost[j] *= 1e-3;
  }
  PetscCall(hd_par_schedule_build(g->n_groups, J->n_jobs, cost, &J->sched));
  PetscCall(PetscFree(cost));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. A window per ensemble with columns: each rank exposes its block of the
 * columns, and the rank 0 of a member's group puts the member's scores straight into every rank's
 * block (one-sided, under a passive-target epoch open for the whole run). The target takes no
 * part: a rank busy training does not hold up a group that finished a member, whatever its own
 * members cost (two-sided messages of this size would wait for the receiver to call MPI). */
static PetscErrorCode hd_ens_open_windows(hd_ens_jobs *J, const hd_par_groups *g)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < J->n_ens; k++) {
    const hd_ensemble *e = J->e[k];
    J->win[k]            = MPI_WIN_NULL;
    J->win_base[k]       = NULL;
    if (e->cfg.n_events == 0) continue;
    MPI_Aint bytes = (MPI_Aint)(e->block_count * e->cfg.n_members) * (MPI_Aint)sizeof(float);
    PetscCallMPI(MPI_Win_allocate(bytes, (int)sizeof(float), MPI_INFO_NULL, g->world, &J->win_base[k], &J->win[k]));
    if (bytes > 0) PetscCall(PetscArrayzero(J->win_base[k], e->block_count * e->cfg.n_members));
    PetscCallMPI(MPI_Barrier(g->world)); /* zeroed everywhere before any put */
    PetscCallMPI(MPI_Win_lock_all(MPI_MODE_NOCHECK, J->win[k]));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Group rank 0: job j's scores into column m of every rank's block: row i of rank r's block is
 * event off_r + i, its column m at offset i * M + m. Complete at the targets on return. */
static PetscErrorCode hd_ens_put_column(hd_ens_jobs *J, const hd_par_groups *g, PetscInt j)
{
  PetscInt           k = J->job_ens[j], m = hd_ens_member_of(J, j);
  const hd_ensemble *e = J->e[k];
  PetscInt           M = e->cfg.n_members;

  PetscFunctionBegin;
  for (int r = 0; r < g->world_size; r++) {
    PetscInt     off, cnt;
    MPI_Datatype column;
    hd_par_block(e->cfg.n_events, r, g->world_size, &off, &cnt);
    if (cnt == 0) continue;
    PetscCallMPI(MPI_Type_vector((int)cnt, 1, (int)M, MPI_FLOAT, &column));
    PetscCallMPI(MPI_Type_commit(&column));
    PetscCallMPI(MPI_Put(J->scores + off, (int)cnt, MPI_FLOAT, r, (MPI_Aint)m, 1, column, J->win[k]));
    PetscCallMPI(MPI_Type_free(&column));
  }
  PetscCallMPI(MPI_Win_flush_all(J->win[k])); /* remote completion: the buffer is free again */
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. Ends the epochs (every put is complete at its target), then each rank
 * copies its block of the columns out of the window and frees it. */
static PetscErrorCode hd_ens_close_windows(hd_ens_jobs *J)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < J->n_ens && J->win; k++) {
    hd_ensemble *e = J->e[k];
    if (J->win[k] == MPI_WIN_NULL) continue;
    PetscCallMPI(MPI_Win_unlock_all(J->win[k]));
    PetscCallMPI(MPI_Barrier(e->groups.world)); /* every origin has completed its puts */
    PetscCallMPI(MPI_Win_lock(MPI_LOCK_SHARED, e->groups.world_rank, 0, J->win[k])); /* the public copy made private */
    if (e->block_count > 0) PetscCall(PetscArraycpy(e->columns, J->win_base[k], e->block_count * e->cfg.n_members));
    PetscCallMPI(MPI_Win_unlock(e->groups.world_rank, J->win[k]));
    PetscCallMPI(MPI_Win_free(&J->win[k]));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Group rank 0, after a run member with stored results: the member's file (its changed sums,
 * column, metrics, text), then its share added to the group's sums and, unless the ensemble keeps
 * them, its trainer checkpoint removed (the file holds all that is needed). The write is
 * collective on the group. */
static PetscErrorCode hd_ens_store_member(hd_ens_jobs *J, const hd_par_groups *g, hd_ensemble *e, PetscInt m, const hd_ensemble_member *mem)
{
  const hd_ensemble_config *c   = &e->cfg;
  hd_ensemble_record        rec = {.member = m, .n_members = c->n_members, .n_sums = c->n_sums, .n_events = c->n_events, .column = mem->scores, .n_metrics = c->n_metrics, .metrics = mem->metrics, .text_len = c->text_len, .text = mem->text, .identity = e->identity};
  char                      path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  if (g->group_rank == 0) {
    PetscInt nz = 0;
    for (PetscInt i = 0; i < c->n_sums; i++) {
      if (!J->priv[i]) continue;
      J->nz_index[nz]   = i;
      J->nz_value[nz++] = J->priv[i];
      e->sums[i] += J->priv[i];
    }
    rec.n_nonzero = nz;
    rec.sum_index = J->nz_index;
    rec.sum_value = J->nz_value;
  }
  hd_ensemble_store_path(e->store_dir, m, path, sizeof(path));
  PetscCall(hd_ensemble_store_write(g->group, path, &rec));
  if (g->group_rank == 0 && !c->keep_checkpoints) {
    hd_ensemble_store_checkpoint_path(e->checkpoint_dir, m, path, sizeof(path));
    if (unlink(path) != 0 && errno != ENOENT) PetscCall(hd_log(PETSC_COMM_SELF, "warning: cannot remove the checkpoint '%s' of a stored member: %s\n", path, strerror(errno)));
    else {
      char side[PETSC_MAX_PATH_LEN + 16];
      snprintf(side, sizeof(side), "%s.options", path);
      (void)unlink(side);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* What a kept checkpoint may differ in and still be continued: the epochs (-epochs, -prior_epochs,
 * -flow_epochs: a -resume with more of them goes on), and the event files, whose contents the
 * checkpoint itself checks (a checkpoint of other data is the trainer's error, naming both). */
static PetscBool hd_ens_checkpoint_free_option(const char *name)
{
  size_t n = strlen(name);
  return (n >= 7 && !strcmp(name + n - 6, "epochs")) || !strcmp(name, "-data") || !strcmp(name, "-reference");
}

/* Not collective (rank 0 of the member's group). A trainer checkpoint continues a member only
 * under the options it was written with, more epochs aside (a -resume with more -epochs goes on
 * from it): the run's options less the epochs and event files are kept beside the checkpoint
 * (PATH.options). A checkpoint whose options differ (another -lambda, -seed) is set aside, so the
 * member trains afresh rather than returning the old options' parameters under the new ones; one
 * without the file (written before it existed) is kept as before. Then the file is written.
 * Set aside means renamed to PATH.stale and removed once the member ends (hd_ens_job): removed at
 * once, its inode could return for the new checkpoint, which the output folder's stale-file rule
 * (same path, same inode: not rewritten) would then delete; hd_file_replace writes the record
 * under a temporary name and renames it for the same reason. *set_aside says whether it did. */
static PetscErrorCode hd_ens_checkpoint_options(const hd_ensemble *e, PetscInt m, const char *ckpt, PetscBool *set_aside)
{
  char           side[PETSC_MAX_PATH_LEN + 16], dir[PETSC_MAX_PATH_LEN], *key;
  FILE          *f;
  PetscErrorCode ierr;
  const char    *data = strstr(e->identity, "; data: "), *slash = strrchr(ckpt, '/');

  PetscFunctionBegin;
  *set_aside = PETSC_FALSE;
  snprintf(side, sizeof(side), "%s.options", ckpt);
  /* the identity's options (before its "; data: ..." part) less what a checkpoint may differ in */
  PetscCall(hd_ens_options_filter(e->identity, data ? (size_t)(data - e->identity) : strlen(e->identity), hd_ens_checkpoint_free_option, &key));
  if (access(ckpt, F_OK) == 0 && (f = fopen(side, "r"))) {
    size_t len = strlen(key), got;
    char  *old;
    PetscCall(PetscMalloc1(len + 2, &old));
    got = fread(old, 1, len + 1, f);
    fclose(f);
    if (got != len || memcmp(old, key, len)) {
      char stale[PETSC_MAX_PATH_LEN + 16];
      snprintf(stale, sizeof(stale), "%s.stale", ckpt);
      if (e->cfg.resume) PetscCall(hd_log(PETSC_COMM_SELF, "ensemble: member %" PetscInt_FMT ": the checkpoint '%s' is of other options: trained afresh\n", m, ckpt));
      if (rename(ckpt, stale) != 0) {
        PetscCall(PetscFree(old));
        PetscCall(PetscFree(key));
        SETERRQ(PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "cannot set aside the checkpoint '%s' of other options: %s", ckpt, strerror(errno));
      }
      *set_aside = PETSC_TRUE;
    }
    PetscCall(PetscFree(old));
  }
  snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - ckpt) : 1, slash ? ckpt : ".");
  ierr = hd_file_replace(PETSC_COMM_SELF, dir, slash ? side + (slash - ckpt) + 1 : side, key, strlen(key));
  PetscCall(PetscFree(key));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on the group: job j, loaded or run. *stopped when its training stopped on a signal. */
static PetscErrorCode hd_ens_job(hd_ens_jobs *J, const hd_par_groups *g, PetscInt j, const hd_ensemble_member_fn *fn, void *const *ctx, PetscBool *stopped)
{
  PetscInt                  k = J->job_ens[j], m = hd_ens_member_of(J, j);
  hd_ensemble              *e = J->e[k];
  const hd_ensemble_config *c = &e->cfg;
  hd_ensemble_member        mem;
  char                      ckpt[PETSC_MAX_PATH_LEN];
  PetscBool                 set_aside = PETSC_FALSE;

  PetscFunctionBegin;
  *stopped = PETSC_FALSE;
  PetscCall(PetscArrayzero(J->metrics, PetscMax(J->max_metrics, 1)));
  PetscCall(PetscArrayzero(J->text, PetscMax(J->max_text, 1)));
  if (J->stored[j]) {
    if (g->group_rank == 0) {
      hd_ensemble_record want = {.member = m, .n_members = c->n_members, .n_sums = c->n_sums, .n_events = c->n_events, .n_metrics = c->n_metrics, .text_len = c->text_len, .identity = e->identity};
      char               path[PETSC_MAX_PATH_LEN];
      PetscErrorCode     ierr;
      hd_ensemble_store_path(e->store_dir, m, path, sizeof(path));
      ierr = hd_ensemble_store_read(path, &want, e->sums, J->scores, J->metrics, J->text);
      PetscCall(hd_error_agree(g->group, ierr));
    } else PetscCall(hd_error_agree(g->group, PETSC_SUCCESS));
    e->members_loaded++;
  } else {
    PetscCall(PetscMemzero(&mem, sizeof(mem)));
    mem.group      = g->group;
    mem.group_rank = g->group_rank;
    mem.member     = m;
    mem.scores     = J->scores;
    mem.metrics    = J->metrics;
    mem.text       = J->text;
    if (g->group_rank == 0 && c->n_sums > 0) {
      if (e->store_dir) PetscCall(PetscArrayzero(J->priv, c->n_sums));
      mem.sums = e->store_dir ? J->priv : e->sums;
    }
    if (e->store_dir) {
      PetscErrorCode ierr = PETSC_SUCCESS;
      hd_ensemble_store_checkpoint_path(e->checkpoint_dir, m, ckpt, sizeof(ckpt));
      if (g->group_rank == 0) ierr = hd_ens_checkpoint_options(e, m, ckpt, &set_aside);
      PetscCall(hd_error_agree(g->group, ierr)); /* the group reads the checkpoint after this */
      mem.checkpoint = ckpt;
    }
    PetscCall(fn[k](&mem, ctx[k]));
    if (set_aside) { /* the checkpoint of other options (rank 0 of the group) */
      char stale[PETSC_MAX_PATH_LEN + 16];
      snprintf(stale, sizeof(stale), "%s.stale", ckpt);
      (void)unlink(stale);
    }
    PetscCall(hd_par_any(g->group, mem.interrupted, stopped));
    if (*stopped) PetscFunctionReturn(PETSC_SUCCESS);
    if (e->store_dir) PetscCall(hd_ens_store_member(J, g, e, m, &mem));
    e->members_run++;
  }
  if (g->group_rank == 0) {
    PetscCall(PetscArraycpy(e->metrics + m * c->n_metrics, J->metrics, c->n_metrics));
    PetscCall(PetscArraycpy(e->text + m * c->text_len, J->text, c->text_len));
    if (c->text_len > 0) e->text[(m + 1) * c->text_len - 1] = '\0';
    if (c->n_events > 0) PetscCall(hd_ens_put_column(J, g, j));
    J->finished[j] = 1;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. The checks of hd_ensemble_run_many and the job tables. */
static PetscErrorCode hd_ens_jobs_create(PetscInt n, hd_ensemble *const *e, hd_ens_jobs *J)
{
  const hd_par_groups *g = &e[0]->groups;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(J, sizeof(*J)));
  J->n_ens = n;
  J->e     = e;
  for (PetscInt k = 0; k < n; k++) {
    int same;
    PetscCallMPI(MPI_Comm_compare(g->world, e[k]->groups.world, &same));
    PetscCheck(same == MPI_IDENT || same == MPI_CONGRUENT, g->world, HD_ERR_INTERNAL, "ensemble: ensemble %" PetscInt_FMT " of a joint run was created on another communicator", k);
    PetscCheck(e[k]->groups.group_size == g->group_size, g->world, HD_ERR_INTERNAL, "ensemble: ensemble %" PetscInt_FMT " has groups of %" PetscInt_FMT " ranks, the first %" PetscInt_FMT, k, e[k]->groups.group_size, g->group_size);
    J->n_jobs += e[k]->cfg.n_members;
    J->max_events  = PetscMax(J->max_events, e[k]->cfg.n_events);
    J->max_sums    = PetscMax(J->max_sums, e[k]->store_dir && g->group_rank == 0 ? e[k]->cfg.n_sums : 0); /* only group rank 0 keeps sums */
    J->max_metrics = PetscMax(J->max_metrics, e[k]->cfg.n_metrics);
    J->max_text    = PetscMax(J->max_text, e[k]->cfg.text_len);
  }
  PetscCall(PetscMalloc1(n + 1, &J->first));
  PetscCall(PetscMalloc1(PetscMax(J->n_jobs, 1), &J->job_ens));
  PetscCall(PetscCalloc2(PetscMax(J->n_jobs, 1), &J->stored, PetscMax(J->n_jobs, 1), &J->finished));
  J->first[0] = 0;
  for (PetscInt k = 0; k < n; k++) {
    J->first[k + 1] = J->first[k] + e[k]->cfg.n_members;
    for (PetscInt j = J->first[k]; j < J->first[k + 1]; j++) J->job_ens[j] = k;
  }
  PetscCall(PetscMalloc2(n, &J->win, n, &J->win_base));
  for (PetscInt k = 0; k < n; k++) J->win[k] = MPI_WIN_NULL;
  PetscCall(PetscCalloc1(PetscMax(J->max_events, 1), &J->scores));
  PetscCall(PetscMalloc3(PetscMax(J->max_sums, 1), &J->priv, PetscMax(J->max_sums, 1), &J->nz_index, PetscMax(J->max_sums, 1), &J->nz_value));
  PetscCall(PetscCalloc2(PetscMax(J->max_metrics, 1), &J->metrics, PetscMax(J->max_text, 1), &J->text));
  for (PetscInt k = 0; k < n; k++) e[k]->members_run = e[k]->members_loaded = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_ens_jobs_destroy(hd_ens_jobs *J)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < J->n_ens && J->win; k++)
    if (J->win[k] != MPI_WIN_NULL) PetscCallMPI(MPI_Win_free(&J->win[k]));
  PetscCall(PetscFree(J->first));
  PetscCall(PetscFree(J->job_ens));
  PetscCall(PetscFree2(J->stored, J->finished));
  PetscCall(PetscFree2(J->win, J->win_base));
  PetscCall(PetscFree(J->scores));
  PetscCall(PetscFree3(J->priv, J->nz_index, J->nz_value));
  PetscCall(PetscFree2(J->metrics, J->text));
  PetscCall(hd_par_schedule_destroy(&J->sched));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. After the loops: the columns leave their windows; every rank learns which
 * jobs ended; each ensemble is whole or interrupted, and a whole one has its sums, metrics and text summed over the world (every entry
 * has one contributor, the rank 0 of the member's group, zeros elsewhere: exact copies; the int64
 * sums are exact in any order). */
static PetscErrorCode hd_ens_finish(hd_ens_jobs *J, const hd_par_groups *g)
{
  PetscFunctionBegin;
  PetscCall(hd_ens_close_windows(J));
  PetscCall(hd_par_max_bytes(g->world, J->n_jobs, J->finished));
  for (PetscInt k = 0; k < J->n_ens; k++) {
    hd_ensemble              *e = J->e[k];
    const hd_ensemble_config *c = &e->cfg;
    e->interrupted              = PETSC_FALSE;
    for (PetscInt j = J->first[k]; j < J->first[k + 1]; j++)
      if (!J->finished[j]) e->interrupted = PETSC_TRUE;
    if (e->interrupted) continue;
    PetscCall(hd_par_sum_int64(g->world, c->n_sums, e->sums, e->sums));
    PetscCall(hd_par_sum_double(g->world, c->n_members * c->n_metrics, e->metrics, e->metrics));
    PetscCall(hd_par_max_bytes(g->world, c->n_members * c->text_len, e->text));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_ensemble_run_many(PetscInt n, hd_ensemble *const *e, const hd_ensemble_member_fn *fn, void *const *ctx)
{
  hd_ens_jobs          J;
  const hd_par_groups *g;
  hd_progress          prog;
  PetscBool            show, stop = PETSC_FALSE;
  PetscInt             mine, done = 0;
  PetscErrorCode       failed = PETSC_SUCCESS;
  const char          *label = NULL;

  PetscFunctionBegin;
  PetscCheck(n >= 1, PETSC_COMM_SELF, HD_ERR_INTERNAL, "ensemble: a joint run needs at least one ensemble");
  g = &e[0]->groups;
  PetscCall(hd_ens_jobs_create(n, e, &J));
  PetscCall(hd_ens_scan_stores(&J, g));
  PetscCall(hd_ens_schedule(&J, g));
  PetscCall(hd_ens_open_windows(&J, g));
  mine = J.sched.start[g->group_index + 1] - J.sched.start[g->group_index];
  for (PetscInt k = 0; k < n && !label; k++) label = e[k]->cfg.progress;
  show = label && g->group_index == 0 ? PETSC_TRUE : PETSC_FALSE;
  if (show) hd_progress_begin(&prog, g->group, label, "models", (double)mine);
  for (PetscInt cursor = 0, j; hd_par_schedule_next(&J.sched, g->group_index, &cursor, &j);) {
    /* no member starts after a signal: the group agrees, so its ranks stop together */
    PetscCall(hd_signals_agree(g->group, &stop));
    if (stop) break;
    /* A member that fails (a full disk under its checkpoint or stored file) fails on every rank
     * of its group, but the other groups do not know: the group stops, and the world agrees on
     * the failure once every group has left its loop, so that all ranks end with the one error
     * instead of some waiting in a collective of the others. */
    failed = hd_ens_job(&J, g, j, fn, ctx, &stop);
    if (failed || stop) break;
    done++;
    if (show) PetscCall(hd_progress_update(&prog, (double)done));
  }
  PetscCall(hd_error_agree(g->world, failed));
  PetscCall(hd_ens_finish(&J, g));
  if (show && done == mine) PetscCall(hd_progress_end(&prog, (double)done));
  PetscCall(hd_ens_jobs_destroy(&J));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_ensemble_run(hd_ensemble *e, hd_ensemble_member_fn fn, void *ctx)
{
  hd_ensemble *const e1[1] = {e};

  PetscFunctionBegin;
  PetscCall(hd_ensemble_run_many(1, e1, &fn, &ctx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_ensemble_write_columns(const hd_ensemble *e, hd_results *res, const char *name)
{
  PetscFunctionBegin;
  PetscCheck(e->cfg.n_events > 0, e->groups.world, HD_ERR_INTERNAL, "ensemble: %s: the ensemble collected no per-event scores", name);
  PetscCall(hd_results_write_table(res, name, e->cfg.n_events, e->cfg.n_members, e->block_offset, e->block_count, e->columns));
  PetscFunctionReturn(PETSC_SUCCESS);
}
