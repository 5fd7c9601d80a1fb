/* `hadal run -method NAME ...`: one method's steps (include/hadal/methods.h), in order. */
#include <string.h>
#include <hadal/log.h>
#include <hadal/methods.h>
#include <hadal/options.h>
#include <hadal/results.h>
#include <hadal/signals.h>
#include "commands.h"

/* Collective on world. The output folder of every method, -out, checked, created and locked
 * before any work (a run that only lists, -list_windows, has none). A part of a scan (-window K)
 * locks its part only, so that the parts of a job array share the folder. A whole run that ends
 * well removes the outputs of an earlier run it did not replace (not with -resume). */
static PetscErrorCode hd_run_claim(MPI_Comm world, hd_out_claim *claim)
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

/* Collective on world. setup, the ensemble, evaluate and report (or stopped). */
static PetscErrorCode hd_run_steps(hd_run *run, const hd_method *m, void *ctx, PetscBool help_only, hd_ensemble *ens)
{
  PetscFunctionBegin;
  if (help_only) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(m->setup(run, ctx, ens));
  if (run->done) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(hd_ensemble_run(ens, m->run_member, ctx));
  if (ens->interrupted) PetscCall(m->stopped(run, ctx));
  else {
    PetscCall(m->evaluate(run, ctx, ens));
    PetscCall(m->report(run, ctx, ens));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. read_options, the option check, setup, the ensemble, evaluate and report
 * (or stopped, when a signal cut the ensemble short), destroy. */
static PetscErrorCode hd_run_method(MPI_Comm world, const hd_method *m)
{
  hd_run         run = {.world = world, .t0 = hd_wtime()};
  hd_ensemble    ens;
  hd_out_claim   claim;
  void          *ctx;
  PetscBool      help_only;
  char           usage[2048];
  size_t         used;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  /* -help shows the method's usage and what the other methods are */
  used = (size_t)snprintf(usage, sizeof(usage), "%s\n\nmethods (-method NAME):", m->usage);
  for (const hd_method *const *k = hd_methods; *k && used < sizeof(usage); k++) used += (size_t)snprintf(usage + used, sizeof(usage) - used, "\n  %-8s %s", (*k)->name, (*k)->summary);
  PetscCall(PetscMemzero(&ens, sizeof(ens)));
  PetscCall(PetscMemzero(&claim, sizeof(claim)));
  PetscCallMPI(MPI_Comm_rank(world, &run.rank));
  PetscCallMPI(MPI_Comm_size(world, &run.size));
  PetscCall(PetscCalloc(m->ctx_size, &ctx));
  PetscCall(m->read_options(&run, ctx));
  PetscCall(hd_opt_finish(world, usage, &help_only));
  if (!help_only) PetscCall(hd_run_claim(world, &claim));
  ierr = hd_run_steps(&run, m, ctx, help_only, &ens);
  hd_out_claim_release(&claim, ierr || ens.interrupted ? PETSC_TRUE : PETSC_FALSE); /* stale files stay after an interruption */
  PetscCall(ierr);
  PetscCall(hd_ensemble_destroy(&ens));
  PetscCall(m->destroy(ctx));
  PetscCall(PetscFree(ctx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_cmd_run(MPI_Comm comm, int nargs, char **args)
{
  static char help[320]; /* the options table keeps the pointer until the run ends */
  char        method[64], known[256] = "";
  size_t used = 0;

  PetscFunctionBegin;
  PetscCheck(nargs == 0, comm, HD_ERR_USER_INPUT, "hadal run takes no positional arguments (got '%s'); name the method with -method", args[0]);
  for (const hd_method *const *m = hd_methods; *m; m++) used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s", used ? ", " : "", (*m)->name);
  snprintf(help, sizeof(help), "the method to run (%s)", known);
  PetscCall(hd_opt_string("-method", help, "ae", method, sizeof(method), NULL));
  PetscCall(hd_signals_install());
  for (const hd_method *const *m = hd_methods; *m; m++) {
    if (!strcmp(method, (*m)->name)) {
      PetscCall(hd_run_method(comm, *m));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  }
  SETERRQ(comm, HD_ERR_USER_INPUT, "option -method: unknown method '%s' (known: %s)", method, known);
}

PetscErrorCode hd_cmd_merge(MPI_Comm comm, int nargs, char **args)
{
  PetscBool help_only = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCheck(nargs == 0, comm, HD_ERR_USER_INPUT, "hadal merge takes no positional arguments (got '%s'); name the folder with -out", args[0]);
  PetscCall(hd_cwola_merge(comm, "hadal merge -out DIR", &help_only));
  PetscFunctionReturn(PETSC_SUCCESS);
}
