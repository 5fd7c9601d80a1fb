/* `hadal run -method NAME ...`: train and evaluate one method. */
#include <string.h>
#include <hadal/log.h>
#include <hadal/methods.h>
#include <hadal/options.h>
#include <hadal/signals.h>
#include "commands.h"

typedef struct {
  const char *name;
  PetscErrorCode (*run)(MPI_Comm, const char *, PetscBool *);
  const char *usage;
} hd_method_entry;

static const hd_method_entry hd_methods[] = {
  {"ae", hd_method_ae, "hadal run -method ae -data FILE -out DIR [-seed S] [-epochs N] [-hidden 64,32,3] ..."},
  {"cwola", hd_method_cwola, "hadal run -method cwola -data FILE -out DIR [-options_file inputs/cwola_lhco.opts] ..."},
};

PetscErrorCode hd_cmd_run(MPI_Comm comm, int nargs, char **args)
{
  char      method[64];
  PetscBool help_only = PETSC_FALSE;

  PetscFunctionBegin;
  (void)args;
  PetscCheck(nargs == 0, comm, HD_ERR_USER_INPUT, "hadal run takes no positional arguments (got '%s'); name the method with -method", args[0]);
  PetscCall(hd_opt_string("-method", "the method to run (ae, cwola)", "ae", method, sizeof(method), NULL));
  PetscCall(hd_signals_install());
  for (size_t i = 0; i < sizeof(hd_methods) / sizeof(hd_methods[0]); i++) {
    if (!strcmp(method, hd_methods[i].name)) {
      PetscCall(hd_methods[i].run(comm, hd_methods[i].usage, &help_only));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  }
  SETERRQ(comm, HD_ERR_USER_INPUT, "option -method: unknown method '%s' (known: ae, cwola)", method);
}

PetscErrorCode hd_cmd_merge(MPI_Comm comm, int nargs, char **args)
{
  PetscBool help_only = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCheck(nargs == 0, comm, HD_ERR_USER_INPUT, "hadal merge takes no positional arguments (got '%s'); name the folder with -out", args[0]);
  PetscCall(hd_cwola_merge(comm, "hadal merge -out DIR", &help_only));
  PetscFunctionReturn(PETSC_SUCCESS);
}
