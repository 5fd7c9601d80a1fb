/* `hadal run -method NAME ...`: one method's steps (include/hadal/methods.h), in order. */
#include <string.h>
#include <hadal/log.h>
#include <hadal/methods.h>
#include <hadal/options.h>
#include <hadal/results.h>
#include <hadal/runs.h>
#include <hadal/signals.h>
#include "commands.h"

/* The -help text of `hadal run`: the method's usage and what the other methods are. */
static void hd_run_usage(const hd_method *m, char *usage, size_t len)
{
  size_t used = (size_t)snprintf(usage, len, "%s\n\nmethods (-method NAME):", m->usage);

  for (const hd_method *const *k = hd_methods; *k && used < len; k++) used += (size_t)snprintf(usage + used, len - used, "\n  %-8s %s", (*k)->name, (*k)->summary);
}

/* Collective on world. One instance of the runner (include/hadal/runs.h) with the process's own
 * options: read_options, the option check, setup, the ensemble, evaluate and report (or stopped,
 * when a signal cut the ensemble short), destroy. */
static PetscErrorCode hd_run_method(MPI_Comm world, const hd_method *m)
{
  hd_runs_instance run;
  char             usage[2048];

  PetscFunctionBegin;
  hd_run_usage(m, usage, sizeof(usage));
  PetscCall(PetscMemzero(&run, sizeof(run)));
  run.method = m;
  PetscCall(hd_runs_execute(world, usage, 1, &run));
  PetscCall(hd_runs_destroy(1, &run));
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
      PetscInt  n_pseudo = 0;
      PetscBool check_only = PETSC_FALSE;
      char      pattern[PETSC_MAX_PATH_LEN] = "", usage[2048];

      if (*m == &hd_method_cwola) { /* global significance (src/app/cwola_global.c) */
        PetscCall(hd_opt_int("-pseudo_experiments", "background-only pseudo-experiments of the whole scan for its global significance (0: none)", 0, &n_pseudo, NULL));
        PetscCall(hd_opt_string("-pseudo_data", "their event files, %d the experiment 1..N (default: generated like -data, without signal, into DIR/pseudo/)", NULL, pattern, sizeof(pattern), NULL));
      }
      PetscCall(PetscOptionsGetBool(NULL, NULL, "-check_options", &check_only, NULL)); /* read again, and listed, by the runner */
      if (n_pseudo == 0 || hd_opt_help_requested() || check_only) PetscCall(hd_run_method(comm, *m)); /* a check generates no pseudo-data */
      else {
        hd_run_usage(*m, usage, sizeof(usage));
        PetscCall(hd_cwola_global_run(comm, *m, n_pseudo, pattern, usage));
      }
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
