/* The hadal command: `hadal COMMAND [ARGS] [-option value ...]`.
 *
 * main() is the only place that ends the program: every failure below climbs back here as an error
 * code, and this prints one line naming what is at fault. */
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cblas.h>
#include <hdf5.h>
#include <hadal/error.h>
#include <hadal/log.h>
#include <hadal/options.h>
#include "commands.h"

typedef struct {
  const char   *name;
  hd_command_fn fn;
  const char   *summary;
} hd_command;

static const hd_command hd_commands[] = {
  {"generate", hd_cmd_generate, "generate a data set: hadal generate lhco|jetimages|adc2021 -o FILE -n N -seed S"},
  {"info",     hd_cmd_info,     "describe an event file: hadal info FILE"                               },
  {"import",   hd_cmd_import,   "import external data: hadal import idx -images X -labels Y -o FILE"    },
  {"run",      hd_cmd_run,      "train and evaluate a method: hadal run -method ae -data FILE -out DIR"   },
  {"merge",    hd_cmd_merge,    "combine a CWoLa scan run one window per task: hadal merge -out DIR"     },
  {"sweep",    hd_cmd_sweep,    "a grid of runs as one job: hadal sweep -options_file BASE.opts -grid \"seed=1:3\" -out DIR"},
  {"bench",    hd_cmd_bench,    "time a reference training workload: hadal bench svdd|ae|cwola|cnn"     },
};
static const int hd_n_commands = (int)(sizeof(hd_commands) / sizeof(hd_commands[0]));

static void hd_print_usage(FILE *out)
{
  fprintf(out, "usage: hadal COMMAND [ARGS] [-option value ...]\n\ncommands:\n");
  for (int i = 0; i < hd_n_commands; i++) fprintf(out, "  %-10s %s\n", hd_commands[i].name, hd_commands[i].summary);
  fprintf(out, "\nhadal COMMAND -help lists a command's options; hadal -version prints versions.\n");
}

static PetscErrorCode hd_print_versions(MPI_Comm comm)
{
  char     mpi_version[MPI_MAX_LIBRARY_VERSION_STRING], petsc_version[256];
  int      len;
  unsigned h5_major, h5_minor, h5_release;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Get_library_version(mpi_version, &len));
  for (int i = 0; i < len; i++)
    if (mpi_version[i] == '\n' || mpi_version[i] == ',') {
      mpi_version[i] = '\0';
      break;
    }
  PetscCall(PetscGetVersion(petsc_version, sizeof(petsc_version)));
  HdCallH5(H5get_libversion(&h5_major, &h5_minor, &h5_release), "cannot query the HDF5 library version");
  PetscCall(PetscPrintf(comm, "hadal %s\n", HADAL_VERSION));
  PetscCall(PetscPrintf(comm, "  MPI:       %s\n", mpi_version));
  PetscCall(PetscPrintf(comm, "  HDF5:      %u.%u.%u (parallel)\n", h5_major, h5_minor, h5_release));
  PetscCall(PetscPrintf(comm, "  PETSc:     %s\n", petsc_version));
  PetscCall(PetscPrintf(comm, "  BLAS:      %s\n", openblas_get_config()));
  PetscCall(PetscPrintf(comm, "  ScaLAPACK: %s\n", HADAL_SCALAPACK_VERSION));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* `stray`: a word of pargv that is no option's value (NULL when none). */
static PetscErrorCode hd_dispatch(const char *command, int nargs, char **args, PetscBool version, char **pargv, const char *stray)
{
  PetscBool verbose = PETSC_FALSE;

  PetscFunctionBegin;
  if (stray) { /* every rank has the same command line: one line, exit status 1 */
    int i = 0;
    while (pargv[i] != stray) i++;
    SETERRQ(PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "unexpected word '%s' on the command line after '%s %s': an option takes one value", stray, pargv[i - 2], pargv[i - 1]);
  }
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  hd_log_set_verbose(verbose);
  if (version) {
    PetscCall(hd_print_versions(PETSC_COMM_WORLD));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  for (int i = 0; i < hd_n_commands; i++) {
    if (!strcmp(command, hd_commands[i].name)) {
      PetscCall(hd_opt_begin(PETSC_COMM_WORLD, command));
      PetscCall(hd_commands[i].fn(PETSC_COMM_WORLD, nargs, args));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  }
  SETERRQ(PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "unknown command '%s' (commands: generate, info, import, run, merge, sweep, bench; hadal -help lists them)", command);
}

/* PetscInitialize with its error output held back: a bad -options_file (missing, malformed) would
 * otherwise print PETSc's whole traceback. On failure one line says what was wrong; on success
 * anything PETSc printed is passed on. */
static PetscErrorCode hd_initialize(int *pargc, char ***pargv)
{
  FILE          *held  = tmpfile();
  int            saved = held ? dup(STDERR_FILENO) : -1;
  PetscErrorCode ierr;
  char           line[1024], reason[1024] = "";
  int            done = 0;

  fflush(stderr);
  if (saved >= 0) dup2(fileno(held), STDERR_FILENO);
  ierr = PetscInitialize(pargc, pargv, NULL, NULL);
  /* a closed pipe (`hadal info F | head`) ends the process quietly, as for any command-line tool,
   * rather than through PETSc's handler and its error block */
  signal(SIGPIPE, SIG_DFL);
  fflush(stderr);
  if (saved >= 0) {
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(held);
    while (fgets(line, sizeof(line), held)) {
      char *msg = strstr(line, "PETSC ERROR: ");
      if (!ierr) fputs(line, stderr);
      /* the first PETSc message line that is not decoration names the problem */
      else if (msg && !done) {
        char *text = msg + 13;
        size_t n    = strlen(text);
        while (n && (text[n - 1] == '\n' || text[n - 1] == ' ')) text[--n] = '\0';
        /* the message lines end at the link, or where PETSc's unused-option warning begins (the
         * options were not used because the start failed: no news to the user) */
        if (strstr(text, "See https") || strstr(text, "WARNING! There are option(s)")) done = 1;
        else if (text[0] && text[0] != '-' && text[0] != '#' && strlen(reason) + n + 3 < sizeof(reason)) {
          if (reason[0]) strcat(reason, ": ");
          strcat(reason, text);
        }
      }
    }
    fclose(held);
  }
  if (ierr) {
    fprintf(stderr, "hadal: error: cannot start: %s\n", reason[0] ? reason : "PETSc/MPI initialisation failed");
  }
  return ierr;
}

/* After a failure on this rank: whether every rank failed. A failing rank enters a non-blocking
 * barrier on comm (a duplicate of the world used for nothing else) and waits for the others up to
 * HD_FAIL_WAIT_S seconds. An error that every rank raises (bad input that every rank checks, an
 * error raised on a communicator of all ranks) completes it at once; a rank that did not fail
 * never enters it, and the wait ends with PETSC_FALSE. */
#define HD_FAIL_WAIT_S 10.0
static PetscBool hd_all_failed(MPI_Comm comm)
{
  MPI_Request req;
  int         done = 0, size = 1;
  double      t0   = MPI_Wtime();

  MPI_Comm_size(comm, &size);
  if (size == 1) return PETSC_TRUE;
  if (MPI_Ibarrier(comm, &req) != MPI_SUCCESS) return PETSC_FALSE;
  while (!done && MPI_Wtime() - t0 < HD_FAIL_WAIT_S) {
    if (MPI_Test(&req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return PETSC_FALSE;
    if (!done) {
      struct timespec ms = {0, 1000000};
      nanosleep(&ms, NULL);
    }
  }
  return done ? PETSC_TRUE : PETSC_FALSE;
}

/* Not collective (runs before MPI starts). Whether this process is rank 0 of the launch, from the
 * launcher's environment: a failure found before MPI starts is reported by rank 0 only. */
static int hd_launch_rank0(void)
{
  const char *vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"};

  for (int i = 0; i < 4; i++) {
    const char *v = getenv(vars[i]);
    if (v && *v) return atoi(v) == 0;
  }
  return 1;
}

/* An options file that includes itself, directly or through others, makes PETSc recurse until the
 * stack overflows. Follow every -options_file from `file` (resolved against the working folder as
 * PETSc does) with the chain of files that led here; returns 1 and a message naming the cycle. A
 * file that cannot be read is left to PETSc, which reports it. */
#define HD_OPT_FILE_DEPTH 32
static int hd_options_file_cycle(const char *file, char chain[][PATH_MAX], int depth, char *msg, size_t len)
{
  char  real[PATH_MAX], word[PATH_MAX + 1], prev[PATH_MAX + 1] = "";
  FILE *f;
  int   found = 0;

  if (!realpath(file, real)) return 0;
  for (int i = 0; i < depth; i++) {
    if (strcmp(chain[i], real)) continue;
    size_t used = (size_t)snprintf(msg, len, "options file '%s' includes itself: ", file);
    for (int k = i; k < depth && used < len; k++) used += (size_t)snprintf(msg + used, len - used, "%s -> ", chain[k]);
    if (used < len) snprintf(msg + used, len - used, "%s", real);
    return 1;
  }
  if (depth == HD_OPT_FILE_DEPTH) {
    snprintf(msg, len, "options files nest more than %d deep at '%s'", HD_OPT_FILE_DEPTH, file);
    return 1;
  }
  if (!(f = fopen(file, "r"))) return 0;
  snprintf(chain[depth], PATH_MAX, "%s", real);
  while (!found && fscanf(f, "%4096s", word) == 1) {
    if (word[0] == '#') { /* a comment runs to the end of its line */
      int c;
      while ((c = fgetc(f)) != EOF && c != '\n') {}
      continue;
    }
    if (!strcmp(prev, "-options_file")) found = hd_options_file_cycle(word, chain, depth + 1, msg, len);
    memcpy(prev, word, sizeof(prev));
  }
  fclose(f);
  return found;
}

/* Not collective (before MPI starts). The -options_file words of the command line and of
 * PETSC_OPTIONS, each followed for cycles. */
static int hd_options_files_check(int n, char **words, char *msg, size_t len)
{
  static char chain[HD_OPT_FILE_DEPTH + 1][PATH_MAX];
  const char *env = getenv("PETSC_OPTIONS");

  for (int i = 0; i + 1 < n; i++)
    if (!strcmp(words[i], "-options_file") && hd_options_file_cycle(words[i + 1], chain, 0, msg, len)) return 1;
  if (env) {
    char copy[4096], *save = NULL, *prev = NULL;

    snprintf(copy, sizeof(copy), "%s", env);
    for (char *w = strtok_r(copy, " \t\n", &save); w; prev = w, w = strtok_r(NULL, " \t\n", &save))
      if (prev && !strcmp(prev, "-options_file") && hd_options_file_cycle(w, chain, 0, msg, len)) return 1;
  }
  return 0;
}

/* Whether a command-line word names an option ("-epochs"), rather than being a value ("3", "-5",
 * "-1e-3"). */
static int hd_is_option_name(const char *w)
{
  char *end;

  if (w[0] != '-' || !w[1]) return 0;
  (void)strtod(w, &end);
  return *end != '\0';
}

int main(int argc, char **argv)
{
  const char    *command = NULL;
  char         **pargv, **args;
  int            pargc = 1, nargs = 0, rank = 0, status = 0;
  MPI_Comm       failed_comm;
  PetscBool      version = PETSC_FALSE, help = PETSC_FALSE;
  PetscErrorCode ierr;
  const char    *stray = NULL;
  char           cycle[2 * PATH_MAX];

  /* Split the command line: COMMAND and its positional arguments first, options after. -help and
   * -version are taken here so that PETSc does not print its own generic help. */
  pargv = (char **)calloc((size_t)argc + 1, sizeof(char *));
  args  = (char **)calloc((size_t)argc + 1, sizeof(char *));
  if (!pargv || !args) {
    fprintf(stderr, "hadal: error: out of memory parsing the command line\n");
    return 1;
  }
  pargv[0] = argv[0];
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-help") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) help = PETSC_TRUE;
    else if (!strcmp(argv[i], "-version") || !strcmp(argv[i], "--version")) version = PETSC_TRUE;
    else if (!command && argv[i][0] != '-' && pargc == 1) command = argv[i];
    else if (command && argv[i][0] != '-' && pargc == 1) args[nargs++] = argv[i];
    else pargv[pargc++] = argv[i];
  }
  /* After the first option, options and their values alternate: a word that follows a value is
   * no option's value (PETSc would ignore it without a word). */
  for (int i = 2; i < pargc && !stray; i++)
    if (!hd_is_option_name(pargv[i]) && !hd_is_option_name(pargv[i - 1])) stray = pargv[i];
  if (hd_options_files_check(pargc, pargv, cycle, sizeof(cycle))) {
    if (hd_launch_rank0()) fprintf(stderr, "hadal: error: cannot start: %s\n", cycle);
    free(pargv);
    free(args);
    return 1;
  }
  if (!command && !version) {
    hd_print_usage(help ? stdout : stderr);
    free(pargv);
    free(args);
    return help ? 0 : 1;
  }
  hd_opt_set_help_requested(help);

  /* One BLAS thread per rank: ranks are the parallelism, and sums must not depend on threads. */
  openblas_set_num_threads(1);

  ierr = hd_initialize(&pargc, &pargv);
  if (ierr) return 1;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* HDF5 errors come back as return codes, reported once */
  hd_error_handler_push();
  hd_log_events_register();

  /* a private communicator for the agreement after a failure (it must not match any message of
   * the program's own communication) */
  MPI_Comm_dup(PETSC_COMM_WORLD, &failed_comm);
  ierr = hd_dispatch(command ? command : "", nargs, args, version, pargv, stray);
  if (ierr) {
    status = 1;
    if (hd_all_failed(failed_comm)) {
      /* every rank failed (a check on replicated input, or a collective one): one line, from
       * rank 0, and a normal exit */
      if (rank == 0) {
        fprintf(stderr, "hadal: error: %s [%s]\n", hd_error_message(), hd_error_origin());
        if (hd_log_verbose()) fprintf(stderr, "%s", hd_error_traceback());
      }
    } else {
      /* Raised on some ranks only: the others may wait in a collective, so end the whole job. */
      fprintf(stderr, "hadal: error: [rank %d] %s [%s]\n", rank, hd_error_message(), hd_error_origin());
      if (hd_log_verbose()) fprintf(stderr, "%s", hd_error_traceback());
      fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }
  MPI_Comm_free(&failed_comm);
  PetscPopErrorHandler();
  PetscFinalize();
  free(pargv);
  free(args);
  return status;
}
