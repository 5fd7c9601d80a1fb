/* Options of a command, read from PETSc's options database (see include/hadal/options.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/options.h>

#define HD_OPT_MAX 128

typedef struct {
  char name[64];
  char help[160];
  char def[96];
} hd_opt_record;

/* The options read by the running command, for -help. One command runs per process. */
static hd_opt_record hd_opt_table[HD_OPT_MAX];
static int           hd_opt_count;
static PetscBool     hd_opt_help;

PetscBool hd_opt_help_requested(void) { return hd_opt_help; }
void      hd_opt_set_help_requested(PetscBool on) { hd_opt_help = on; }

static void hd_opt_remember(const char *name, const char *help, const char *def)
{
  for (int i = 0; i < hd_opt_count; i++)
    if (!strcmp(hd_opt_table[i].name, name)) return;
  if (hd_opt_count == HD_OPT_MAX) return; /* -help would list fewer; reading still works */
  hd_opt_record *r = &hd_opt_table[hd_opt_count++];
  snprintf(r->name, sizeof(r->name), "%s", name);
  snprintf(r->help, sizeof(r->help), "%s", help);
  snprintf(r->def, sizeof(r->def), "%s", def ? def : "");
}

/* Numbers are parsed here rather than by PETSc so that a bad value names its option, and an
 * integer that does not fit is an error instead of wrapping around. */
static PetscErrorCode hd_opt_text(const char *name, char *text, size_t len, PetscBool *set)
{
  PetscFunctionBegin;
  text[0] = '\0';
  PetscCall(PetscOptionsGetString(NULL, NULL, name, text, len, set));
  PetscCheck(!*set || text[0], PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s needs a value", name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_opt_int(const char *name, const char *help, PetscInt def, PetscInt *value, PetscBool *set)
{
  char      text[64];
  PetscBool flg = PETSC_FALSE;

  PetscFunctionBegin;
  snprintf(text, sizeof(text), "%" PetscInt_FMT, def);
  hd_opt_remember(name, help, text);
  *value = def;
  PetscCall(hd_opt_text(name, text, sizeof(text), &flg));
  if (flg) {
    char  *end;
    double d;
    errno        = 0;
    long long v  = strtoll(text, &end, 10);
    if (*end != '\0' || end == text) { /* allow 2e6 and 1e3 when they are whole numbers */
      d = strtod(text, &end);
      PetscCheck(end != text && *end == '\0' && d == floor(d) && fabs(d) < 9.2e18, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s: '%s' is not an integer", name, text);
      v = (long long)d;
    }
    PetscCheck(errno == 0 && v >= PETSC_MIN_INT && v <= PETSC_MAX_INT, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s: %s is out of range [%d, %d]", name, text, (int)PETSC_MIN_INT, (int)PETSC_MAX_INT);
    *value = (PetscInt)v;
  }
  if (set) *set = flg;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_opt_real(const char *name, const char *help, PetscReal def, PetscReal *value, PetscBool *set)
{
  char      text[64];
  PetscBool flg = PETSC_FALSE;

  PetscFunctionBegin;
  snprintf(text, sizeof(text), "%g", (double)def);
  hd_opt_remember(name, help, text);
  *value = def;
  PetscCall(hd_opt_text(name, text, sizeof(text), &flg));
  if (flg) {
    char *end;
    errno    = 0;
    double v = strtod(text, &end);
    PetscCheck(end != text && *end == '\0' && errno == 0 && isfinite(v), PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s: '%s' is not a finite number", name, text);
    *value = (PetscReal)v;
  }
  if (set) *set = flg;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_opt_bool(const char *name, const char *help, PetscBool def, PetscBool *value, PetscBool *set)
{
  PetscBool flg = PETSC_FALSE;

  PetscFunctionBegin;
  hd_opt_remember(name, help, def ? "true" : "false");
  *value = def;
  PetscCall(PetscOptionsGetBool(NULL, NULL, name, value, &flg));
  if (set) *set = flg;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_opt_string(const char *name, const char *help, const char *def, char *value, size_t len, PetscBool *set)
{
  PetscBool flg = PETSC_FALSE;

  PetscFunctionBegin;
  hd_opt_remember(name, help, def ? def : "(none)");
  snprintf(value, len, "%s", def ? def : "");
  PetscCall(PetscOptionsGetString(NULL, NULL, name, value, len, &flg));
  PetscCheck(strlen(value) + 1 < len, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s: value is longer than %zu characters", name, len - 2);
  if (set) *set = flg;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Parse "a,b,c" strictly: every item must be a number, no more than *n items. */
static PetscErrorCode hd_opt_parse_reals(const char *name, const char *text, PetscReal *values, PetscInt *n)
{
  PetscInt    count = 0, cap = *n;
  const char *p     = text;

  PetscFunctionBegin;
  while (*p) {
    char  *end;
    double v;

    errno = 0;
    v     = strtod(p, &end);
    PetscCheck(end != p && errno == 0 && (*end == ',' || *end == '\0'), PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s: '%s' is not a comma-separated list of numbers", name, text);
    PetscCheck(count < cap, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s: more than %" PetscInt_FMT " values in '%s'", name, cap, text);
    values[count++] = (PetscReal)v;
    p               = *end == ',' ? end + 1 : end;
  }
  PetscCheck(count > 0, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s: empty list", name);
  *n = count;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_opt_real_list(const char *name, const char *help, const char *def_text, PetscReal *values, PetscInt *n, PetscBool *set)
{
  char text[1024];

  PetscFunctionBegin;
  PetscCall(hd_opt_string(name, help, def_text, text, sizeof(text), set));
  PetscCall(hd_opt_parse_reals(name, text, values, n));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_opt_int_list(const char *name, const char *help, const char *def_text, PetscInt *values, PetscInt *n, PetscBool *set)
{
  char      text[1024];
  PetscReal tmp[256];
  PetscInt  cap = *n < 256 ? *n : 256;

  PetscFunctionBegin;
  PetscCall(hd_opt_string(name, help, def_text, text, sizeof(text), set));
  PetscCall(hd_opt_parse_reals(name, text, tmp, &cap));
  for (PetscInt i = 0; i < cap; i++) {
    PetscCheck(tmp[i] == (PetscReal)(PetscInt)tmp[i], PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s: '%s' holds a value that is not an integer", name, text);
    values[i] = (PetscInt)tmp[i];
  }
  *n = cap;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_opt_finish(MPI_Comm comm, const char *usage, PetscBool *help_only)
{
  PetscInt n_left = 0;
  char   **names = NULL, **values = NULL;

  PetscFunctionBegin;
  *help_only = hd_opt_help;
  if (hd_opt_help) {
    PetscCall(PetscPrintf(comm, "usage: %s\n\noptions (default in brackets):\n", usage));
    for (int i = 0; i < hd_opt_count; i++) PetscCall(PetscPrintf(comm, "  %-22s %s [%s]\n", hd_opt_table[i].name, hd_opt_table[i].help, hd_opt_table[i].def));
    PetscCall(PetscPrintf(comm, "  %-22s %s\n  %-22s %s\n  %-22s %s\n", "-options_file FILE", "read options from FILE", "-verbose", "log from every rank, print tracebacks on error", "-log_view", "print PETSc's profile of the run at the end"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscOptionsLeftGet(NULL, &n_left, &names, &values));
  if (n_left > 0) {
    char unknown[256];

    snprintf(unknown, sizeof(unknown), "-%s", names[0]);
    PetscCall(PetscOptionsLeftRestore(NULL, &n_left, &names, &values));
    SETERRQ(comm, HD_ERR_USER_INPUT, "unknown option %s (add -help to the command line to list the options of this command)", unknown);
  }
  PetscCall(PetscOptionsLeftRestore(NULL, &n_left, &names, &values));
  PetscFunctionReturn(PETSC_SUCCESS);
}
