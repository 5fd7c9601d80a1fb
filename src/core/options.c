/* Options of a command, read from PETSc's options database (see include/hadal/options.h).
 *
 * -help is printed by PETSc's options machinery: the command's options form one
 * PetscOptionsBegin/End block (hd_opt_begin .. hd_opt_finish), and each hd_opt_*() call passes
 * its option to the matching PetscOptions*() routine, which prints it with its default. Those
 * routines print only when their block's database holds -help; the block is given a database of
 * its own that holds just -help, so they print the defaults and never parse the user's values.
 * Values are parsed here instead, because PETSc's parsers neither name the option at fault nor
 * reject an integer that does not fit (it wraps). Nothing is kept per option: there is no table
 * to fill up. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <hadal/options.h>

/* The block of the running command (one command runs per process). */
static PetscOptionItems hd_opt_items;
static PetscOptions     hd_opt_help_db;
static PetscBool        hd_opt_open, hd_opt_help;
static char             hd_opt_title[128] = "options", hd_opt_man[64] = "hadal";

PetscBool hd_opt_help_requested(void) { return hd_opt_help; }
void      hd_opt_set_help_requested(PetscBool on) { hd_opt_help = on; }

PetscErrorCode hd_opt_begin(MPI_Comm comm, const char *command)
{
  PetscFunctionBegin;
  if (hd_opt_open) PetscFunctionReturn(PETSC_SUCCESS);
  if (command) {
    PetscCall(PetscSNPrintf(hd_opt_title, sizeof(hd_opt_title), "hadal %s options (default after 'formerly')", command));
    PetscCall(PetscSNPrintf(hd_opt_man, sizeof(hd_opt_man), "hadal %s", command));
  }
  if (hd_opt_help) {
    PetscCall(PetscOptionsCreate(&hd_opt_help_db));
    PetscCall(PetscOptionsSetValue(hd_opt_help_db, "-help", NULL));
    PetscCall(PetscMemzero(&hd_opt_items, sizeof(hd_opt_items)));
    hd_opt_items.options = hd_opt_help_db;
    hd_opt_items.count   = 1; /* the printing pass of PetscOptionsBegin's loop */
    PetscCall(PetscOptionsBegin_Private(&hd_opt_items, comm, NULL, hd_opt_title, NULL));
  }
  hd_opt_open = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The block for the hd_opt_*() helpers: opened on first use when the caller did not open it. */
static PetscErrorCode hd_opt_block(PetscOptionItems **items)
{
  PetscFunctionBegin;
  PetscCall(hd_opt_begin(PETSC_COMM_WORLD, NULL));
  *items = hd_opt_help ? &hd_opt_items : NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The option's text as given; an option given without a value is an error. */
static PetscErrorCode hd_opt_text(const char *name, char *text, size_t len, PetscBool *set)
{
  PetscFunctionBegin;
  text[0] = '\0';
  PetscCall(PetscOptionsGetString(NULL, NULL, name, text, len, set));
  PetscCheck(!*set || text[0], PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s needs a value", name);
  PetscCheck(strlen(text) + 1 < len, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s: value is longer than %zu characters", name, len - 2);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_opt_int(const char *name, const char *help, PetscInt def, PetscInt *value, PetscBool *set)
{
  char              text[64];
  PetscBool         flg = PETSC_FALSE;
  PetscInt          shown;
  PetscOptionItems *items;

  PetscFunctionBegin;
  PetscCall(hd_opt_block(&items));
  if (items) PetscCall(PetscOptionsInt_Private(items, name, help, hd_opt_man, def, &shown, NULL, PETSC_MIN_INT, PETSC_MAX_INT));
  *value = def;
  if (set) *set = PETSC_FALSE;
  if (hd_opt_help) PetscFunctionReturn(PETSC_SUCCESS); /* -help shows defaults and parses nothing */
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
  char              text[64];
  PetscBool         flg = PETSC_FALSE;
  PetscReal         shown;
  PetscOptionItems *items;

  PetscFunctionBegin;
  PetscCall(hd_opt_block(&items));
  if (items) PetscCall(PetscOptionsReal_Private(items, name, help, hd_opt_man, def, &shown, NULL));
  *value = def;
  if (set) *set = PETSC_FALSE;
  if (hd_opt_help) PetscFunctionReturn(PETSC_SUCCESS); /* -help shows defaults and parses nothing */
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
  static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
  char              text[16] = "";
  PetscBool         flg = PETSC_FALSE, shown, known = PETSC_FALSE;
  PetscOptionItems *items;

  PetscFunctionBegin;
  PetscCall(hd_opt_block(&items));
  if (items) PetscCall(PetscOptionsBool_Private(items, name, help, hd_opt_man, def, &shown, NULL));
  *value = def;
  if (set) *set = PETSC_FALSE;
  if (hd_opt_help) PetscFunctionReturn(PETSC_SUCCESS); /* -help shows defaults and parses nothing */
  PetscCall(PetscOptionsGetString(NULL, NULL, name, text, sizeof(text), &flg));
  if (flg) { /* -name alone means true; otherwise the words PETSc accepts */
    *value = PETSC_TRUE;
    known  = text[0] ? PETSC_FALSE : PETSC_TRUE;
    for (int i = 0; i < 4 && !known; i++) {
      if (!strcasecmp(text, yes[i])) known = PETSC_TRUE;
      else if (!strcasecmp(text, no[i])) known = PETSC_TRUE, *value = PETSC_FALSE;
    }
    PetscCheck(known, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s: '%s' is not true or false (nor yes/no, on/off, 1/0)", name, text);
  }
  if (set) *set = flg;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_opt_string(const char *name, const char *help, const char *def, char *value, size_t len, PetscBool *set)
{
  PetscBool         flg = PETSC_FALSE;
  PetscOptionItems *items;
  char              shown[8];

  PetscFunctionBegin;
  PetscCall(hd_opt_block(&items));
  if (items) PetscCall(PetscOptionsString_Private(items, name, help, hd_opt_man, def && def[0] ? def : "(none)", shown, sizeof(shown), NULL));
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
  if (hd_opt_help) PetscCall(PetscStrncpy(text, def_text && def_text[0] ? def_text : "0", sizeof(text))); /* -help parses only the default */
  PetscCall(hd_opt_parse_reals(name, text, values, n));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_opt_int_list(const char *name, const char *help, const char *def_text, PetscInt *values, PetscInt *n, PetscBool *set)
{
  char       text[1024];
  PetscReal *tmp;
  PetscInt   cap = *n;

  PetscFunctionBegin;
  PetscCall(hd_opt_string(name, help, def_text, text, sizeof(text), set));
  if (hd_opt_help) PetscCall(PetscStrncpy(text, def_text && def_text[0] ? def_text : "0", sizeof(text)));
  PetscCall(PetscMalloc1(cap, &tmp));
  PetscCall(hd_opt_parse_reals(name, text, tmp, &cap));
  for (PetscInt i = 0; i < cap; i++) {
    PetscCheck(tmp[i] == (PetscReal)(PetscInt)tmp[i], PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s: '%s' holds a value that is not an integer", name, text);
    values[i] = (PetscInt)tmp[i];
  }
  PetscCall(PetscFree(tmp));
  *n = cap;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Closes the block; -help prints it; `check`: an option nothing read is an error. */
static PetscErrorCode hd_opt_close(MPI_Comm comm, const char *usage, PetscBool check, PetscBool *help_only)
{
  PetscInt n_left = 0;
  char   **names = NULL, **values = NULL;

  PetscFunctionBegin;
  PetscCall(hd_opt_begin(comm, NULL)); /* a command that reads no option still has a block */
  hd_opt_open = PETSC_FALSE;
  *help_only  = hd_opt_help;
  if (hd_opt_help) {
    PetscCall(PetscOptionsEnd_Private(&hd_opt_items));
    PetscCall(PetscOptionsDestroy(&hd_opt_help_db));
    PetscCall(PetscPrintf(comm, "  %-22s %s\n  %-22s %s\n  %-22s %s\n", "-options_file FILE", "read options from FILE", "-verbose", "log from every rank, print tracebacks on error", "-log_view", "print PETSc's profile of the run at the end"));
    PetscCall(PetscPrintf(comm, "usage: %s\n", usage));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (!check) PetscFunctionReturn(PETSC_SUCCESS);
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

PetscErrorCode hd_opt_finish(MPI_Comm comm, const char *usage, PetscBool *help_only)
{
  PetscFunctionBegin;
  PetscCall(hd_opt_close(comm, usage, PETSC_TRUE, help_only));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_opt_finish_passing(MPI_Comm comm, const char *usage, PetscBool *help_only)
{
  PetscFunctionBegin;
  PetscCall(hd_opt_close(comm, usage, PETSC_FALSE, help_only));
  PetscFunctionReturn(PETSC_SUCCESS);
}
