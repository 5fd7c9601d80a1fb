/* Global significance of a CWoLa scan: `hadal run -method cwola ... -pseudo_experiments N
 * [-pseudo_data PATTERN]`.
 *
 * The scan's local significances are maximised after the fact over windows and selections, so
 * background alone reaches a few sigma somewhere. How often it reaches the observed maximum is
 * measured by running the very same scan (windows, folds, members, selections, seed) on N
 * background-only pseudo data sets, all as one job with the observed scan (include/hadal/runs.h):
 *
 *   Z_obs         the observed scan's maximum local significance (its summary's best window)
 *   Z_k           the same maximum on pseudo data set k = 1 .. N
 *   p_global    = n / N,   n = #{k : Z_k >= Z_obs},   error sqrt(p (1 - p) / N) (binomial);
 *                 with n = 0 only p < 1/N is known
 *   Z_global    = Phi^-1(1 - p_global)        (one-sided, as the local significance)
 *   p_local     = 1 - Phi(Z_obs),   trials factor = p_global / p_local
 *
 * The pseudo data sets are the files PATTERN names (%d = 1 .. N), or are generated into
 * DIR/pseudo/data_NNN.h5 by the generator that made the observed file, with its options (the
 * file's root attributes) but no signal, seeded from (-seed, HD_STREAM_PSEUDO, k). Each
 * pseudo-experiment's scan is written to DIR/pseudo/exp_NNN/; the observed scan to DIR as
 * without pseudo-experiments, its summary.json with a "global_significance" block added. */
#include <math.h>
#include <string.h>
#include <hadal/h5.h>
#include <hadal/log.h>
#include <hadal/options.h>
#include <hadal/results.h>
#include <hadal/rng.h>
#include <hadal/runs.h>
#include "commands.h"

#define HD_PSEUDO_MAX 100000

/* Not collective. PATTERN must hold exactly one %d (with an optional width, %03d) and no other
 * conversion. */
static PetscErrorCode hd_pseudo_pattern_check(MPI_Comm comm, const char *pattern)
{
  int n = 0;

  PetscFunctionBegin;
  for (const char *p = strchr(pattern, '%'); p; p = strchr(p + 1, '%')) {
    const char *q = p + 1;
    while (*q >= '0' && *q <= '9') q++;
    PetscCheck(*q == 'd', comm, HD_ERR_USER_INPUT, "option -pseudo_data '%s': the only conversion allowed is one %%d (the experiment number, e.g. pseudo_%%03d.h5)", pattern);
    n++;
    p = q;
  }
  PetscCheck(n == 1, comm, HD_ERR_USER_INPUT, "option -pseudo_data '%s': needs exactly one %%d for the experiment number 1 .. N (e.g. pseudo_%%03d.h5)", pattern);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective (the file's metadata reads are). The observed file's generator and its options: each
 * scalar root attribute becomes an option of `hadal generate KIND` in db, except what describes
 * the file rather than the model (seed, size, dates, class lists). */
static PetscErrorCode hd_pseudo_generator_options(MPI_Comm comm, const char *data, char *kind, size_t kind_len, int64_t *n_events, PetscOptions db)
{
  static const char *const skip[] = {"generator", "source", "seed", "n_events", "created", "hadal_version", "classes", "signals"};
  hid_t                    fid    = H5I_INVALID_HID;
  PetscInt                 n      = 0;
  char                    *names  = NULL;
  PetscBool                found  = PETSC_FALSE;
  PetscErrorCode           ierr;

  PetscFunctionBegin;
  PetscCall(hd_h5_open(comm, data, &fid));
  ierr = hd_h5_attr_names(fid, 64, &n, &names);
  for (PetscInt i = 0; !ierr && i < n; i++) {
    const char *name = names + (size_t)i * 64;
    PetscBool   skipped = PETSC_FALSE;
    char        text[512], option[80];
    hid_t       attr, type, space;
    H5T_class_t cls;
    hssize_t    count;

    if (!strcmp(name, "generator")) {
      ierr  = hd_h5_attr_text(fid, name, kind, kind_len);
      found = PETSC_TRUE;
    }
    if (!strcmp(name, "n_events")) ierr = hd_h5_attr_read_int(fid, data, name, n_events);
    for (size_t s = 0; s < sizeof(skip) / sizeof(skip[0]); s++) skipped = skipped || !strcmp(name, skip[s]);
    if (ierr || skipped) continue;
    attr  = H5Aopen(fid, name, H5P_DEFAULT);
    type  = attr >= 0 ? H5Aget_type(attr) : H5I_INVALID_HID;
    space = attr >= 0 ? H5Aget_space(attr) : H5I_INVALID_HID;
    cls   = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    count = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (attr >= 0) H5Aclose(attr);
    if (count != 1) continue; /* lists describe the file, not an option */
    if (cls == H5T_FLOAT) {
      double v;
      ierr = hd_h5_attr_read_double(fid, data, name, &v);
      snprintf(text, sizeof(text), "%.17g", v); /* every digit: the same model */
    } else if (cls == H5T_INTEGER) {
      int64_t v;
      ierr = hd_h5_attr_read_int(fid, data, name, &v);
      snprintf(text, sizeof(text), "%lld", (long long)v);
    } else if (cls == H5T_STRING) ierr = hd_h5_attr_text(fid, name, text, sizeof(text));
    else continue;
    snprintf(option, sizeof(option), "-%s", name);
    if (!ierr) ierr = PetscOptionsSetValue(db, option, text);
  }
  H5Fclose(fid);
  PetscCall(PetscFree(names));
  PetscCall(hd_error_agree(comm, ierr));
  PetscCheck(found && kind[0], comm, HD_ERR_USER_INPUT, "option -pseudo_experiments: '%s' names no generator (root attribute 'generator'): give the background-only data sets with -pseudo_data PATTERN", data);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Pseudo data set `path`: the observed file's generator and options, no signal, the
 * given seed, as many events. Through `hadal generate` itself, with an options database of its
 * own. */
static PetscErrorCode hd_pseudo_generate(MPI_Comm comm, const char *data, uint64_t seed, const char *path)
{
  PetscOptions db;
  char         kind[64] = "", text[64], *argv[1] = {kind};
  int64_t      n_events = 0;
  PetscInt     n_left   = 0;
  char       **names = NULL, **values = NULL;

  PetscFunctionBegin;
  PetscCall(PetscOptionsCreate(&db));
  PetscCall(hd_pseudo_generator_options(comm, data, kind, sizeof(kind), &n_events, db));
  PetscCheck(n_events > 0, comm, HD_ERR_USER_INPUT, "option -pseudo_experiments: '%s' does not say how many events it holds (root attribute 'n_events')", data);
  PetscCall(PetscOptionsSetValue(db, "-o", path));
  snprintf(text, sizeof(text), "%lld", (long long)n_events);
  PetscCall(PetscOptionsSetValue(db, "-n", text));
  snprintf(text, sizeof(text), "%llu", (unsigned long long)seed);
  PetscCall(PetscOptionsSetValue(db, "-seed", text));
  PetscCall(PetscOptionsSetValue(db, "-signal_fraction", "0"));
  /* attributes that are no option of this generator are not typos: count them as used */
  PetscCall(PetscOptionsLeftGet(db, &n_left, &names, &values));
  for (PetscInt i = 0; i < n_left; i++) {
    char      option[300];
    PetscBool has;
    snprintf(option, sizeof(option), "-%s", names[i]);
    PetscCall(PetscOptionsHasName(db, NULL, option, &has));
  }
  PetscCall(PetscOptionsLeftRestore(db, &n_left, &names, &values));
  PetscCall(hd_runs_options_push(db));
  PetscErrorCode ierr = hd_cmd_generate(comm, 1, argv);
  PetscCall(hd_runs_options_pop(db));
  PetscCall(PetscOptionsDestroy(&db));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One-sided significance of a p-value: Z with 1 - Phi(Z) = p (bisection on erfc, exact to double
 * rounding); p = 0 gives +inf. */
static double hd_pseudo_z_of_p(double p)
{
  double lo = -40, hi = 40;

  if (!(p > 0)) return INFINITY;
  for (int i = 0; i < 200; i++) {
    double mid = 0.5 * (lo + hi);
    if (0.5 * erfc(mid / sqrt(2.0)) > p) lo = mid;
    else hi = mid;
  }
  return fabs(0.5 * (lo + hi)) < 1e-12 ? 0.0 : 0.5 * (lo + hi); /* p = 0.5 is Z = 0, not -0.00 */
}

typedef struct {
  PetscInt n, n_above, window;
  double   z_obs, eps, p_local, p_global, p_error, z_global, trials, wall_s;
  double  *z; /* (n) each pseudo-experiment's maximum */
} hd_pseudo_result;

/* Collective (rank 0 writes). DIR/summary.json of the observed scan with the block
 * "global_significance" added before its closing brace (hd_file_replace: a temporary name, then
 * a rename). */
static PetscErrorCode hd_pseudo_write_summary(MPI_Comm comm, const char *out, const hd_pseudo_result *r, char (*data)[PETSC_MAX_PATH_LEN])
{
  hd_summary s;
  int        rank, err = 0;
  char       path[PETSC_MAX_PATH_LEN + 16], *text = NULL, *joined = NULL;
  FILE      *f;
  long       len = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(hd_summary_begin(&s));
  PetscCall(hd_summary_int(&s, "pseudo_experiments", r->n));
  PetscCall(hd_summary_double(&s, "observed_max_significance", r->z_obs));
  PetscCall(hd_summary_int(&s, "observed_window", r->window));
  PetscCall(hd_summary_double(&s, "observed_eps", r->eps));
  PetscCall(hd_summary_double(&s, "p_local", r->p_local));
  PetscCall(hd_summary_int(&s, "pseudo_at_or_above", r->n_above));
  if (r->n_above > 0) {
    PetscCall(hd_summary_double(&s, "p_global", r->p_global));
    PetscCall(hd_summary_double(&s, "p_global_error", r->p_error));
    PetscCall(hd_summary_double(&s, "global_significance", r->z_global));
    PetscCall(hd_summary_double(&s, "trials_factor", r->trials));
  } else { /* only bounds: p < 1/N */
    PetscCall(hd_summary_string(&s, "p_global", "p < 1/N"));
    PetscCall(hd_summary_double(&s, "p_global_upper", r->p_global));
    PetscCall(hd_summary_double(&s, "global_significance_lower", r->z_global));
    PetscCall(hd_summary_double(&s, "trials_factor_upper", r->trials));
  }
  PetscCall(hd_summary_double(&s, "wall_s", r->wall_s));
  PetscCall(hd_summary_open(&s, "pseudo_max_significance", '['));
  for (PetscInt k = 0; k < r->n; k++) PetscCall(hd_summary_double(&s, NULL, r->z[k]));
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_open(&s, "pseudo_data", '['));
  for (PetscInt k = 0; k < r->n; k++) PetscCall(hd_summary_string(&s, NULL, data[k]));
  PetscCall(hd_summary_close(&s, ']'));
  snprintf(path, sizeof(path), "%s/summary.json", out);
  if (rank == 0) { /* the observed summary without its closing brace, then the block */
    if (!(f = fopen(path, "rb"))) err = 1;
    else {
      if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 2 || fseek(f, 0, SEEK_SET) || PetscMalloc1((size_t)len + 1, &text) || fread(text, 1, (size_t)len, f) != (size_t)len) err = 1;
      fclose(f);
    }
    char *close = err ? NULL : (text[len] = '\0', strrchr(text, '}'));
    if (!close) err = 1;
    else {
      *close = '\0';
      while (close > text && (close[-1] == '\n' || close[-1] == ' ')) *--close = '\0';
      size_t n = strlen(text) + strlen(s.text) + 64;
      if (PetscMalloc1(n, &joined)) err = 1;
      else snprintf(joined, n, "%s,\n  \"global_significance\": %s\n  }\n}\n", text, s.text);
    }
    PetscCall(PetscFree(text));
  }
  PetscCall(PetscFree(s.text));
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, comm));
  PetscCheck(!err, comm, HD_ERR_FILE_READ, "cannot read '%s' to add the global significance to it", path);
  PetscCall(hd_file_replace(comm, out, "summary.json", joined, joined ? strlen(joined) : 0));
  PetscCall(PetscFree(joined));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. The statistics of the block comment from the instances' states. */
static PetscErrorCode hd_pseudo_evaluate(const hd_runs_instance *inst, PetscInt n, hd_pseudo_result *r)
{
  PetscFunctionBegin;
  r->n = n;
  PetscCall(PetscMalloc1(n, &r->z));
  PetscCall(hd_cwola_scan_max(inst[0].ctx, &r->z_obs, &r->window, &r->eps));
  r->n_above = 0;
  for (PetscInt k = 0; k < n; k++) {
    PetscInt w;
    double   e;
    PetscCall(hd_cwola_scan_max(inst[1 + k].ctx, &r->z[k], &w, &e));
    /* a pseudo-experiment without any fit reaches nothing; a NaN observation is reached by all */
    r->n_above += isnan(r->z_obs) || (!isnan(r->z[k]) && r->z[k] >= r->z_obs);
  }
  r->p_local = 0.5 * erfc(r->z_obs / sqrt(2.0));
  if (r->n_above > 0) {
    r->p_global = (double)r->n_above / (double)n;
    r->p_error  = sqrt(r->p_global * (1 - r->p_global) / (double)n);
  } else {
    r->p_global = 1.0 / (double)n; /* an upper bound */
    r->p_error  = NAN;
  }
  r->z_global = hd_pseudo_z_of_p(r->p_global);
  r->trials   = r->p_local > 0 ? r->p_global / r->p_local : NAN;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_cwola_global_run(MPI_Comm comm, const hd_method *m, PetscInt n_pseudo, const char *pattern, const char *usage)
{
  static const char *const drop[] = {"-pseudo_experiments", "-pseudo_data", NULL};
  char                     out[PETSC_MAX_PATH_LEN - 64] = "", data[PETSC_MAX_PATH_LEN] = "", dir[PETSC_MAX_PATH_LEN - 32];
  char                   (*paths)[PETSC_MAX_PATH_LEN];
  PetscBool                set, resume = PETSC_FALSE, list = PETSC_FALSE;
  PetscInt                 seed = 1, window = -1;
  hd_runs_instance        *inst;
  hd_pseudo_result         r;
  double                   t0 = hd_wtime();

  PetscFunctionBegin;
  PetscCheck(n_pseudo >= 1 && n_pseudo <= HD_PSEUDO_MAX, comm, HD_ERR_USER_INPUT, "option -pseudo_experiments must lie in [1, %d] (got %" PetscInt_FMT ")", HD_PSEUDO_MAX, n_pseudo);
  PetscCall(PetscOptionsGetString(NULL, NULL, "-out", out, sizeof(out), &set));
  PetscCheck(set && out[0], comm, HD_ERR_USER_INPUT, "option -out is required: the output folder");
  PetscCall(PetscOptionsGetString(NULL, NULL, "-data", data, sizeof(data), &set));
  PetscCheck(set && data[0], comm, HD_ERR_USER_INPUT, "option -data is required: the event file to scan");
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-seed", &seed, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-window", &window, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-list_windows", &list, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-resume", &resume, NULL));
  PetscCheck(window < 0 && !list, comm, HD_ERR_USER_INPUT, "option -pseudo_experiments needs the whole scan: not with -window or -list_windows");
  if (pattern[0]) PetscCall(hd_pseudo_pattern_check(comm, pattern));

  /* the pseudo data sets: named, or generated (again unless -resume finds them) */
  PetscCall(PetscMalloc1(n_pseudo, &paths));
  snprintf(dir, sizeof(dir), "%s/pseudo", out);
  if (!pattern[0]) PetscCall(hd_results_mkdir(comm, dir));
  for (PetscInt k = 1; k <= n_pseudo; k++) {
    PetscBool found = PETSC_FALSE;
    if (pattern[0]) {
      snprintf(paths[k - 1], sizeof(paths[0]), pattern, (int)k);
      PetscCall(hd_results_exists(comm, paths[k - 1], &found));
      PetscCheck(found, comm, HD_ERR_USER_INPUT, "option -pseudo_data '%s': pseudo-experiment %" PetscInt_FMT " has no file '%s'", pattern, k, paths[k - 1]);
      continue;
    }
    snprintf(paths[k - 1], sizeof(paths[0]), "%s/data_%03d.h5", dir, (int)k);
    if (resume) PetscCall(hd_results_exists(comm, paths[k - 1], &found));
    if (!found) {
      hd_rng g;
      hd_rng_init(&g, (uint64_t)seed, HD_STREAM_PSEUDO, (uint64_t)k);
      uint64_t s = (((uint64_t)hd_rng_u32(&g) << 32) | hd_rng_u32(&g)) >> 1; /* below 2^63 */
      PetscCall(hd_pseudo_generate(comm, data, s, paths[k - 1]));
    }
  }

  /* instance 0 the observed scan, 1 .. N the pseudo-experiments: one job */
  PetscCall(PetscCalloc1(n_pseudo + 1, &inst));
  for (PetscInt k = 0; k <= n_pseudo; k++) {
    inst[k].method = m;
    PetscCall(hd_runs_options_from_start(drop, &inst[k].options));
    if (k == 0) continue;
    char exp[PETSC_MAX_PATH_LEN + 16];
    snprintf(exp, sizeof(exp), "%s/exp_%03d", dir, (int)k);
    PetscCall(PetscOptionsSetValue(inst[k].options, "-data", paths[k - 1]));
    PetscCall(PetscOptionsSetValue(inst[k].options, "-out", exp));
    PetscCall(PetscOptionsSetValue(inst[k].options, "-signal_injection", "0")); /* background only */
  }
  PetscCall(hd_log(comm, "cwola: the scan of '%s' and %" PetscInt_FMT " background-only pseudo-experiments as one job\n", data, n_pseudo));
  PetscCall(hd_runs_execute(comm, usage, n_pseudo + 1, inst));
  if (inst[0].help_only) {
    PetscCall(hd_runs_destroy(n_pseudo + 1, inst));
    PetscCall(PetscFree(inst));
    PetscCall(PetscFree(paths));
    PetscFunctionReturn(PETSC_SUCCESS);
  }

  PetscCall(hd_pseudo_evaluate(inst, n_pseudo, &r));
  r.wall_s = hd_wtime() - t0;
  PetscCall(hd_pseudo_write_summary(comm, out, &r, paths));
  PetscCall(hd_log(comm, "\ncwola global significance: %" PetscInt_FMT " background-only pseudo-experiments\n  experiment   max local Z\n", n_pseudo));
  for (PetscInt k = 0; k < n_pseudo; k++) PetscCall(hd_log(comm, "  %10" PetscInt_FMT "   %+8.2f%s\n", k + 1, r.z[k], !isnan(r.z[k]) && r.z[k] >= r.z_obs ? "  >= observed" : ""));
  PetscCall(hd_log(comm, "  observed     %+8.2f  (window %" PetscInt_FMT ", eps %g), p_local %.3g\n", r.z_obs, r.window, r.eps, r.p_local));
  if (r.n_above > 0) PetscCall(hd_log(comm, "  p_global = %" PetscInt_FMT "/%" PetscInt_FMT " = %.3g +- %.2g, global significance %.2f sigma, trials factor %.3g\n", r.n_above, n_pseudo, r.p_global, r.p_error, r.z_global, r.trials));
  else PetscCall(hd_log(comm, "  p_global < 1/N = %.3g (no pseudo-experiment reaches the observed maximum): global significance > %.2f sigma, trials factor < %.3g\n", r.p_global, r.z_global, r.trials));
  PetscCall(hd_log(comm, "  %.1f s in all; summary.json \"global_significance\"; the pseudo-experiments in %s/\n", r.wall_s, dir));
  PetscCall(PetscFree(r.z));
  PetscCall(hd_runs_destroy(n_pseudo + 1, inst));
  PetscCall(PetscFree(inst));
  PetscCall(PetscFree(paths));
  PetscFunctionReturn(PETSC_SUCCESS);
}
