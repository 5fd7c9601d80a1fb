/* Command options through PETSc's options database (`-options_file FILE`, command-line
 * overrides). A command reads every option it understands with hd_opt_*(), then calls
 * hd_opt_finish(): with -help it prints the options read, with their defaults, and tells the
 * command to stop; otherwise an option that nothing read is an error (a typo is never ignored).
 * Validate values after hd_opt_finish(), so -help works whatever else is on the line. */
#ifndef HADAL_OPTIONS_H
#define HADAL_OPTIONS_H

#include <stddef.h>
#include <hadal/error.h>

/* Collective on PETSC_COMM_WORLD (every rank reads the same database). `set` may be NULL. */
PetscErrorCode hd_opt_int(const char *name, const char *help, PetscInt def, PetscInt *value, PetscBool *set);
PetscErrorCode hd_opt_real(const char *name, const char *help, PetscReal def, PetscReal *value, PetscBool *set);
PetscErrorCode hd_opt_bool(const char *name, const char *help, PetscBool def, PetscBool *value, PetscBool *set);
/* def may be NULL (no default; value becomes ""). */
PetscErrorCode hd_opt_string(const char *name, const char *help, const char *def, char *value, size_t len, PetscBool *set);
/* Comma-separated lists. On entry *n is the capacity of values, on exit the count. def_text is the
 * default as the user would type it ("1,0.1,0.01"); it is parsed when the option is absent. */
PetscErrorCode hd_opt_real_list(const char *name, const char *help, const char *def_text, PetscReal *values, PetscInt *n, PetscBool *set);
PetscErrorCode hd_opt_int_list(const char *name, const char *help, const char *def_text, PetscInt *values, PetscInt *n, PetscBool *set);

/* Collective. Opens the block of `command` (its name heads the -help listing). Optional: the
 * first hd_opt_*() call opens a block without a name when none is open. */
PetscErrorCode hd_opt_begin(MPI_Comm comm, const char *command);
/* Collective. Closes the block; see the header comment. `usage` is the command's synopsis line for -help. */
PetscErrorCode hd_opt_finish(MPI_Comm comm, const char *usage, PetscBool *help_only);
/* Collective. As hd_opt_finish, for a command that hands the options it does not read to the runs
 * it starts (hadal sweep, include/hadal/runs.h): no unknown-option check here, each run checks
 * its own database. */
PetscErrorCode hd_opt_finish_passing(MPI_Comm comm, const char *usage, PetscBool *help_only);

/* Not collective. Whether -help or -verbose were given (main.c sets them). */
PetscBool hd_opt_help_requested(void);
void      hd_opt_set_help_requested(PetscBool on);

#endif
