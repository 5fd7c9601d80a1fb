/* Several runs of methods as one job (include/hadal/runs.h). */
#include <string.h>
#include <hadal/events.h>
#include <hadal/log.h>
#include <hadal/options.h>
#include <hadal/runs.h>

PetscErrorCode hd_runs_options_push(PetscOptions db)
{
  PetscFunctionBegin;
  if (db) PetscCall(PetscOptionsPush(db));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_runs_options_pop(PetscOptions db)
{
  PetscFunctionBegin;
  if (db) PetscCall(PetscOptionsPop());
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* `call` with the instance's database as the default one and its own record of the event files
 * read; both are switched back on failure too, so that the error climbs back to a process whose
 * default database is its own. */
#define HD_RUNS_WITH(in, call) \
  do { \
    PetscErrorCode     hd_runs_ierr_; \
    hd_events_read_log hd_runs_prev_; \
    PetscCall(hd_runs_options_push((in)->options)); \
    hd_runs_prev_ = hd_events_read_log_use((in)->reads); \
    hd_runs_ierr_ = (call); \
    (void)hd_events_read_log_use(hd_runs_prev_); \
    PetscCall(hd_runs_options_pop((in)->options)); \
    PetscCall(hd_runs_ierr_); \
  } while (0)

PetscErrorCode hd_runs_options_from_start(const char *const *drop, PetscOptions *db)
{
  int       argc = 0;
  char    **args = NULL;
  PetscInt  n_left = 0;
  char    **names = NULL, **values = NULL;

  PetscFunctionBegin;
  PetscCall(PetscOptionsCreate(db));
  PetscCall(PetscGetArgs(&argc, &args));
  PetscCall(PetscOptionsInsert(*db, &argc, &args, NULL));
  for (const char *const *d = drop; d && *d; d++) PetscCall(PetscOptionsClearValue(*db, *d));
  /* every option is unused in the new database: mark those the process has used */
  PetscCall(PetscOptionsLeftGet(*db, &n_left, &names, &values));
  for (PetscInt i = 0; i < n_left; i++) {
    char      name[256];
    PetscBool used = PETSC_FALSE, has;

    PetscCall(PetscSNPrintf(name, sizeof(name), "-%s", names[i]));
    PetscCall(PetscOptionsUsed(NULL, names[i], &used)); /* PETSc keeps the names without the dash */
    if (used) PetscCall(PetscOptionsHasName(*db, NULL, name, &has));
  }
  PetscCall(PetscOptionsLeftRestore(*db, &n_left, &names, &values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. The output folder, -out, checked, created and locked before any work (a
 * run that only lists, -list_windows, has none). A part of a scan (-window K) locks its part
 * only, so that the parts of a job array share the folder. A whole run that ends well removes the
 * outputs of an earlier run it did not replace (not with -resume). Reads the default database. */
static PetscErrorCode hd_runs_claim(hd_comm world, hd_out_claim *claim)
{
  char      out[PETSC_MAX_PATH_LEN] = "";
  PetscBool set = PETSC_FALSE, list = PETSC_FALSE, resume = PETSC_FALSE;
  PetscInt  part = -1;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(claim, sizeof(*claim)));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-list_windows", &list, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-out", out, sizeof(out), &set));
  if (list || !set || !out[0]) PetscFunctionReturn(PETSC_SUCCESS); /* the method names what is missing */
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-window", &part, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-resume", &resume, NULL));
  PetscCall(hd_out_claim_take(world, out, part, resume ? PETSC_FALSE : PETSC_TRUE, claim));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world (the default database is the instance's). The method's options, the names
 * it must read, the unknown-option check, and the output folder. */
static PetscErrorCode hd_runs_open(hd_comm world, const char *usage, hd_runs_instance *in)
{
  const hd_method *m          = in->method;
  PetscBool        check_only = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(m->read_options(&in->run, in->ctx));
  PetscCall(hd_opt_bool("-check_options", "check that the method knows every option given (a deck's typo), print one line and stop: no data read, no output", PETSC_FALSE, &check_only, NULL));
  for (const char *const *name = in->must_read; name && *name && !hd_opt_help_requested(); name++) {
    PetscBool used = PETSC_FALSE;
    PetscCall(PetscOptionsUsed(NULL, (*name)[0] == '-' ? *name + 1 : *name, &used)); /* kept without the dash */
    PetscCheck(used, world, HD_ERR_USER_INPUT, "%s: %s is not an option of method %s (hadal run -method %s -help lists them)", in->must_read_what ? in->must_read_what : "options", *name, m->name, m->name);
  }
  PetscCall(hd_opt_finish(world, usage, &in->help_only));
  if (check_only && !in->help_only) {
    /* the check passed (hd_opt_finish fails on an unknown option); the values are checked by setup */
    if (!in->options) PetscCall(hd_log(world, "options: every option is known to method %s\n", m->name)); /* a sweep says it once for its points */
    in->help_only = in->checked_only = PETSC_TRUE;
  }
  if (!in->help_only) PetscCall(hd_runs_claim(world, &in->claim));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on the member's group. The method's member with its instance's database. */
static PetscErrorCode hd_runs_member(hd_ensemble_member *mem, void *ctx)
{
  hd_runs_instance *in = ctx;

  PetscFunctionBegin;
  HD_RUNS_WITH(in, in->method->run_member(mem, in->ctx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. evaluate and report, or stopped when a signal cut the ensemble short. */
static PetscErrorCode hd_runs_finish(hd_runs_instance *in)
{
  const hd_method *m = in->method;

  PetscFunctionBegin;
  if (in->ens.interrupted) {
    in->stopped = PETSC_TRUE;
    if (!in->quiet_stop) PetscCall(m->stopped(&in->run, in->ctx));
  } else {
    PetscCall(m->evaluate(&in->run, in->ctx, &in->ens));
    PetscCall(m->report(&in->run, in->ctx, &in->ens));
    in->finished = PETSC_TRUE;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. The steps of hd_runs_execute without the release of the claims. */
static PetscErrorCode hd_runs_steps(hd_comm world, const char *usage, PetscInt n, hd_runs_instance *inst)
{
  hd_ensemble         **e;
  hd_ensemble_member_fn *fn;
  void                **ctx;
  PetscInt              n_active = 0;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < n; k++) {
    hd_runs_instance *in = &inst[k];

    in->run.world = world;
    in->run.t0    = hd_wtime();
    PetscCall(hd_par_rank_size(world, &in->run.rank, &in->run.size));
    PetscCall(PetscCalloc(in->method->ctx_size, &in->ctx));
    if (in->options) PetscCall(hd_events_read_log_create(&in->reads)); /* a plain run keeps the process's */
    HD_RUNS_WITH(in, hd_runs_open(world, usage, in));
    if (in->help_only && !in->checked_only) PetscFunctionReturn(PETSC_SUCCESS); /* one listing is enough */
  }
  if (inst[0].checked_only) PetscFunctionReturn(PETSC_SUCCESS); /* -check_options: every instance checked, nothing runs */
  for (PetscInt k = 0; k < n; k++) HD_RUNS_WITH(&inst[k], inst[k].method->setup(&inst[k].run, inst[k].ctx, &inst[k].ens));
  PetscCall(PetscMalloc3(n, &e, n, &fn, n, &ctx));
  for (PetscInt k = 0; k < n; k++) {
    if (inst[k].run.done) continue;
    /* one schedule over the same rank groups */
    PetscCheck(n_active == 0 || inst[k].ens.groups.group_size == e[0]->groups.group_size, world, HD_ERR_USER_INPUT, "option -group_size: the runs of one job must share it (%" PetscInt_FMT " and %" PetscInt_FMT ")", e[0]->groups.group_size, inst[k].ens.groups.group_size);
    e[n_active]   = &inst[k].ens;
    fn[n_active]  = hd_runs_member;
    ctx[n_active] = &inst[k];
    n_active++;
  }
  if (n_active > 0) PetscCall(hd_ensemble_run_many(n_active, e, fn, ctx)); /* none: every run was done in setup (-list_windows) */
  PetscCall(PetscFree3(e, fn, ctx));
  for (PetscInt k = 0; k < n; k++)
    if (!inst[k].run.done) HD_RUNS_WITH(&inst[k], hd_runs_finish(&inst[k]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_runs_execute(hd_comm world, const char *usage, PetscInt n, hd_runs_instance *inst)
{
  PetscErrorCode ierr;

  PetscFunctionBegin;
  ierr = hd_runs_steps(world, usage, n, inst);
  /* stale files stay after a failure or an interruption */
  for (PetscInt k = 0; k < n; k++) hd_out_claim_release(&inst[k].claim, ierr || inst[k].ens.interrupted ? PETSC_TRUE : PETSC_FALSE);
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_runs_destroy(PetscInt n, hd_runs_instance *inst)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < n; k++) {
    hd_runs_instance *in = &inst[k];

    PetscCall(hd_ensemble_destroy(&in->ens));
    if (in->ctx) {
      HD_RUNS_WITH(in, in->method->destroy(in->ctx));
      PetscCall(PetscFree(in->ctx));
    }
    if (in->options) PetscCall(PetscOptionsDestroy(&in->options));
    if (in->reads) PetscCall(hd_events_read_log_destroy(&in->reads));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
