/* The subcommands of the hadal executable. Each is collective on comm (PETSC_COMM_WORLD) and gets
 * the positional arguments that follow its name (options go through include/hadal/options.h). */
#ifndef HADAL_APP_COMMANDS_H
#define HADAL_APP_COMMANDS_H

#include <hadal/error.h>
#include <hadal/methods.h>

typedef PetscErrorCode (*hd_command_fn)(MPI_Comm comm, int nargs, char **args);

PetscErrorCode hd_cmd_generate(MPI_Comm comm, int nargs, char **args);
PetscErrorCode hd_cmd_info(MPI_Comm comm, int nargs, char **args);
PetscErrorCode hd_cmd_import(MPI_Comm comm, int nargs, char **args);
PetscErrorCode hd_cmd_run(MPI_Comm comm, int nargs, char **args);
PetscErrorCode hd_cmd_bench(MPI_Comm comm, int nargs, char **args);
PetscErrorCode hd_cmd_merge(MPI_Comm comm, int nargs, char **args);
PetscErrorCode hd_cmd_sweep(MPI_Comm comm, int nargs, char **args);

/* `hadal run -method cwola ... -pseudo_experiments N [-pseudo_data PATTERN]` (src/app/cwola_global.c):
 * the scan and N background-only pseudo-experiments as one job, and the global significance.
 * Collective on comm. */
PetscErrorCode hd_cwola_global_run(MPI_Comm comm, const hd_method *m, PetscInt n_pseudo, const char *pattern, const char *usage);

#endif
