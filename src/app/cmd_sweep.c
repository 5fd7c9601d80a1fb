/* `hadal sweep -options_file BASE.opts -grid "signal_injection=0,60,120;seed=1:3" -out DIR`: the
 * cartesian product of the grid's values over a base deck, every point a run of its own in
 * DIR/POINT/ (results.h5 and summary.json as the single `hadal run` with the point's options
 * gives them), all points in one job (include/hadal/runs.h), then DIR/sweep.json and a table of
 * each point's headline numbers. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <hadal/log.h>
#include <hadal/options.h>
#include <hadal/results.h>
#include <hadal/runs.h>
#include <hadal/signals.h>
#include "commands.h"

#define HD_SWEEP_USAGE "hadal sweep -options_file BASE.opts -grid \"NAME=V1,V2,...;NAME=FIRST:LAST[:STEP]\" -out DIR [-method NAME] [-resume] [options of the method for every point]"
#define HD_SWEEP_MAX_AXES   8
#define HD_SWEEP_MAX_POINTS 10000
#define HD_SWEEP_VALUE_LEN  128

typedef struct {
  char     name[64]; /* without the dash: "seed" */
  PetscInt n;
  char   (*values)[HD_SWEEP_VALUE_LEN];
} hd_sweep_axis;

typedef struct {
  PetscInt      n_axes, n_points;
  hd_sweep_axis axis[HD_SWEEP_MAX_AXES];
} hd_sweep_grid;

/* ---- the grid ---- */

static void hd_sweep_trim(char *s)
{
  size_t n = strlen(s), a = 0;

  while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
  while (isspace((unsigned char)s[a])) a++;
  memmove(s, s + a, n - a + 1);
}

/* Collective (every rank parses the same text). Appends value `v` to the axis. */
static PetscErrorCode hd_sweep_add(MPI_Comm comm, hd_sweep_axis *ax, const char *v)
{
  PetscFunctionBegin;
  PetscCheck(ax->n < HD_SWEEP_MAX_POINTS, comm, HD_ERR_USER_INPUT, "option -grid: %s has more than %d values", ax->name, HD_SWEEP_MAX_POINTS);
  PetscCheck(strlen(v) < HD_SWEEP_VALUE_LEN, comm, HD_ERR_USER_INPUT, "option -grid: a value of %s is longer than %d characters", ax->name, HD_SWEEP_VALUE_LEN - 1);
  PetscCall(PetscRealloc(sizeof(*ax->values) * (size_t)(ax->n + 1), &ax->values));
  snprintf(ax->values[ax->n++], HD_SWEEP_VALUE_LEN, "%s", v);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A range FIRST:LAST[:STEP] (STEP default 1, LAST included when the steps reach it): whole
 * numbers when all three are, otherwise reals written with 12 significant digits. */
static PetscErrorCode hd_sweep_range(MPI_Comm comm, hd_sweep_axis *ax, char *item)
{
  double   v[3] = {0, 0, 1};
  int      n    = 0;
  char    *save = NULL, copy[HD_SWEEP_VALUE_LEN * 2];
  PetscInt count;

  PetscFunctionBegin;
  snprintf(copy, sizeof(copy), "%s", item);
  for (char *tok = strtok_r(item, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
    char *end;
    hd_sweep_trim(tok);
    PetscCheck(n < 3, comm, HD_ERR_USER_INPUT, "option -grid: bad range '%s' for %s: FIRST:LAST or FIRST:LAST:STEP", copy, ax->name);
    errno  = 0;
    v[n]   = strtod(tok, &end);
    PetscCheck(tok[0] && *end == '\0' && errno == 0 && isfinite(v[n]), comm, HD_ERR_USER_INPUT, "option -grid: bad range '%s' for %s: '%s' is not a number", copy, ax->name, tok);
    n++;
  }
  PetscCheck(n >= 2 && copy[strlen(copy) - 1] != ':' && copy[0] != ':' && !strstr(copy, "::"), comm, HD_ERR_USER_INPUT, "option -grid: bad range '%s' for %s: FIRST:LAST or FIRST:LAST:STEP", copy, ax->name);
  PetscCheck(v[2] > 0, comm, HD_ERR_USER_INPUT, "option -grid: bad range '%s' for %s: the step must be positive", copy, ax->name);
  PetscCheck(v[1] >= v[0], comm, HD_ERR_USER_INPUT, "option -grid: bad range '%s' for %s: LAST is below FIRST", copy, ax->name);
  double steps = floor((v[1] - v[0]) / v[2] + 1e-9);
  PetscCheck(steps < HD_SWEEP_MAX_POINTS, comm, HD_ERR_USER_INPUT, "option -grid: range '%s' for %s has more than %d values", copy, ax->name, HD_SWEEP_MAX_POINTS);
  count = (PetscInt)steps + 1;
  PetscBool whole = v[0] == floor(v[0]) && v[2] == floor(v[2]) && fabs(v[0]) < 1e15 && fabs(v[1]) < 1e15;
  for (PetscInt k = 0; k < count; k++) {
    char text[64];
    if (whole) snprintf(text, sizeof(text), "%lld", (long long)v[0] + (long long)k * (long long)v[2]);
    else snprintf(text, sizeof(text), "%.12g", v[0] + (double)k * v[2]);
    PetscCall(hd_sweep_add(comm, ax, text));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Options a sweep sets itself, or that make no sense per point. */
static PetscBool hd_sweep_reserved(const char *name)
{
  static const char *const r[] = {"out", "grid", "method", "resume", "options_file", "help", "window", "list_windows", "check_options", "group_size", "verbose", "log_view"};

  for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
    if (!strcmp(name, r[i])) return PETSC_TRUE;
  return PETSC_FALSE;
}

/* Collective. "NAME=V,V,...;NAME=A:B[:S]" into axes, in the order given. */
static PetscErrorCode hd_sweep_grid_parse(MPI_Comm comm, const char *text, hd_sweep_grid *g)
{
  char  *copy, *save = NULL;
  double points = 1;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(g, sizeof(*g)));
  PetscCall(PetscStrallocpy(text, &copy));
  for (char *part = strtok_r(copy, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
    char          *eq = strchr(part, '='), *vsave = NULL, *name = part;
    hd_sweep_axis *ax;

    hd_sweep_trim(part);
    if (!part[0]) continue; /* a trailing ';' */
    PetscCheck(eq, comm, HD_ERR_USER_INPUT, "option -grid: '%s' is not NAME=VALUES", part);
    *eq = '\0';
    hd_sweep_trim(name);
    if (name[0] == '-') name++;
    PetscCheck(name[0], comm, HD_ERR_USER_INPUT, "option -grid: an axis without an option name before '='");
    for (const char *c = name; *c; c++) PetscCheck(isalnum((unsigned char)*c) || *c == '_', comm, HD_ERR_USER_INPUT, "option -grid: '%s' is not an option name (letters, digits, '_')", name);
    PetscCheck(strlen(name) < sizeof(g->axis[0].name), comm, HD_ERR_USER_INPUT, "option -grid: option name '%s' is too long", name);
    PetscCheck(!hd_sweep_reserved(name), comm, HD_ERR_USER_INPUT, "option -grid: -%s cannot be swept (the sweep sets it, or it has no meaning per point)", name);
    PetscCheck(g->n_axes < HD_SWEEP_MAX_AXES, comm, HD_ERR_USER_INPUT, "option -grid: more than %d axes", HD_SWEEP_MAX_AXES);
    for (PetscInt a = 0; a < g->n_axes; a++) PetscCheck(strcmp(g->axis[a].name, name), comm, HD_ERR_USER_INPUT, "option -grid: %s appears twice", name);
    ax = &g->axis[g->n_axes++];
    snprintf(ax->name, sizeof(ax->name), "%s", name);
    char *values = eq + 1;
    hd_sweep_trim(values);
    PetscCheck(values[0], comm, HD_ERR_USER_INPUT, "option -grid: %s has no values", name);
    PetscCheck(values[strlen(values) - 1] != ',' && values[0] != ',' && !strstr(values, ",,"), comm, HD_ERR_USER_INPUT, "option -grid: %s has an empty value in '%s'", name, values);
    for (char *item = strtok_r(values, ",", &vsave); item; item = strtok_r(NULL, ",", &vsave)) {
      hd_sweep_trim(item);
      PetscCheck(item[0], comm, HD_ERR_USER_INPUT, "option -grid: %s has an empty value", name);
      if (strchr(item, ':')) PetscCall(hd_sweep_range(comm, ax, item));
      else PetscCall(hd_sweep_add(comm, ax, item));
    }
    for (PetscInt i = 0; i < ax->n; i++)
      for (PetscInt j = 0; j < i; j++) {
        char  *ei, *ej;
        double vi = strtod(ax->values[i], &ei), vj = strtod(ax->values[j], &ej);
        PetscCheck(strcmp(ax->values[i], ax->values[j]), comm, HD_ERR_USER_INPUT, "option -grid: %s has the value %s twice", name, ax->values[i]);
        /* 1 and 1.0, 01 and 1: the same point under two folder names */
        PetscCheck(!(ei != ax->values[i] && !*ei && ej != ax->values[j] && !*ej && vi == vj), comm, HD_ERR_USER_INPUT, "option -grid: %s has the value %s twice (as '%s' and '%s')", name, ax->values[j], ax->values[j], ax->values[i]);
      }
    points *= (double)ax->n;
  }
  PetscCall(PetscFree(copy));
  PetscCheck(g->n_axes > 0, comm, HD_ERR_USER_INPUT, "option -grid: no axis in '%s' (NAME=V1,V2;NAME=FIRST:LAST)", text);
  PetscCheck(points <= HD_SWEEP_MAX_POINTS, comm, HD_ERR_USER_INPUT, "option -grid: %.0f points, more than %d", points, HD_SWEEP_MAX_POINTS);
  g->n_points = (PetscInt)points;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_sweep_grid_free(hd_sweep_grid *g)
{
  PetscFunctionBegin;
  for (PetscInt a = 0; a < g->n_axes; a++) PetscCall(PetscFree(g->axis[a].values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Point p's value index on each axis: the last axis runs fastest. */
static void hd_sweep_point(const hd_sweep_grid *g, PetscInt p, PetscInt *idx)
{
  for (PetscInt a = g->n_axes - 1; a >= 0; a--) {
    idx[a] = p % g->axis[a].n;
    p /= g->axis[a].n;
  }
}

/* Point p's folder name: NAME=VALUE pairs in name order joined by ',' ("seed=2,signal_injection=60");
 * characters other than letters, digits and . _ + - = , become '_'. */
static PetscErrorCode hd_sweep_point_name(MPI_Comm comm, const hd_sweep_grid *g, PetscInt p, char *name, size_t len)
{
  PetscInt idx[HD_SWEEP_MAX_AXES], order[HD_SWEEP_MAX_AXES];
  size_t   used = 0;

  PetscFunctionBegin;
  hd_sweep_point(g, p, idx);
  for (PetscInt a = 0; a < g->n_axes; a++) order[a] = a;
  for (PetscInt a = 1; a < g->n_axes; a++) /* insertion sort by name */
    for (PetscInt b = a; b > 0 && strcmp(g->axis[order[b - 1]].name, g->axis[order[b]].name) > 0; b--) {
      PetscInt t   = order[b];
      order[b]     = order[b - 1];
      order[b - 1] = t;
    }
  name[0] = '\0';
  for (PetscInt k = 0; k < g->n_axes; k++) {
    const hd_sweep_axis *ax = &g->axis[order[k]];
    used += (size_t)snprintf(name + used, used < len ? len - used : 0, "%s%s=%s", k ? "," : "", ax->name, ax->values[idx[order[k]]]);
  }
  PetscCheck(used < len && used < 250, comm, HD_ERR_USER_INPUT, "option -grid: the folder name of a point, '%s...', is longer than 250 characters: use shorter values", name);
  for (char *c = name; *c; c++)
    if (!isalnum((unsigned char)*c) && !strchr("._+-=,", *c)) *c = '_';
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- headline numbers from a point's summary.json (read by rank 0) ---- */

static const char *hd_js_ws(const char *p)
{
  while (p && isspace((unsigned char)*p)) p++;
  return p;
}

/* Past the JSON value at p (after white space); NULL when malformed. */
static const char *hd_js_skip(const char *p)
{
  int depth = 0;

  p = hd_js_ws(p);
  if (!p || !*p) return NULL;
  if (*p != '{' && *p != '[' && *p != '"') {
    while (*p && *p != ',' && *p != '}' && *p != ']' && !isspace((unsigned char)*p)) p++;
    return p;
  }
  do {
    if (*p == '"') {
      for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && p[1]) p++;
      if (!*p) return NULL;
    } else if (*p == '{' || *p == '[') depth++;
    else if (*p == '}' || *p == ']') depth--;
    else if (!*p) return NULL;
    p++;
  } while (depth > 0);
  return p;
}

/* Member `key` of the object at p, or element `index` of the array at p (key NULL): the value's
 * start, NULL when absent. */
static const char *hd_js_get(const char *p, const char *key, long index)
{
  p = hd_js_ws(p);
  if (!p || (*p != '{' && *p != '[')) return NULL;
  p = hd_js_ws(p + 1);
  for (long i = 0; p && *p && *p != '}' && *p != ']'; i++) {
    const char *value = p;
    if (key) {
      const char *k = p + 1, *end = hd_js_skip(p);
      if (!end || *p != '"') return NULL;
      size_t n = (size_t)(end - k - 1);
      p        = hd_js_ws(end);
      if (*p != ':') return NULL;
      value = hd_js_ws(p + 1);
      if (strlen(key) == n && !strncmp(k, key, n)) return value;
    } else if (i == index) return value;
    p = hd_js_ws(hd_js_skip(value));
    if (p && *p == ',') p = hd_js_ws(p + 1);
  }
  return NULL;
}

/* A number (null: NaN); PETSC_FALSE for anything else. */
static PetscBool hd_js_number(const char *p, double *x)
{
  char *end;

  if (!p) return PETSC_FALSE;
  if (!strncmp(p, "null", 4)) {
    *x = NAN;
    return PETSC_TRUE;
  }
  *x = strtod(p, &end);
  return end != p && (*end == ',' || *end == '}' || *end == ']' || isspace((unsigned char)*end)) ? PETSC_TRUE : PETSC_FALSE;
}

#define HD_SWEEP_MAX_HEAD 16
typedef struct {
  PetscInt n;
  char     key[HD_SWEEP_MAX_HEAD][64];
  double   value[HD_SWEEP_MAX_HEAD];
} hd_sweep_headline;

static void hd_sweep_head_add(hd_sweep_headline *h, const char *key, size_t n, double v)
{
  if (h->n == HD_SWEEP_MAX_HEAD || n >= sizeof(h->key[0])) return;
  memcpy(h->key[h->n], key, n);
  h->key[h->n][n] = '\0';
  h->value[h->n++] = v;
}

/* The numbers inside an object ("auc": {"wprime_xy": {"svdd_d3_n1": 0.97}}), `depth` levels
 * down, each under its dotted path ("auc.wprime_xy.svdd_d3_n1"). */
static void hd_sweep_head_nested(hd_sweep_headline *h, const char *prefix, const char *p, int depth)
{
  double x;

  if (*p != '{' || depth == 0) return;
  p = hd_js_ws(p + 1);
  while (p && *p == '"') {
    const char *k = p + 1, *end = hd_js_skip(p);
    char        full[64];
    if (!end) return;
    size_t n = (size_t)(end - k - 1);
    p        = hd_js_ws(end);
    if (*p != ':') return;
    p = hd_js_ws(p + 1);
    if (snprintf(full, sizeof(full), "%s.%.*s", prefix, (int)n, k) < (int)sizeof(full)) {
      if (hd_js_number(p, &x)) hd_sweep_head_add(h, full, strlen(full), x);
      else hd_sweep_head_nested(h, full, p, depth - 1);
    }
    p = hd_js_ws(hd_js_skip(p));
    if (p && *p == ',') p = hd_js_ws(p + 1);
  }
}

/* The headline numbers of a summary: its top-level numbers but the bookkeeping (sizes, seeds,
 * times; numbers in objects up to two levels down under their dotted paths), and, for a scan
 * with windows, the best window's significances. At most HD_SWEEP_MAX_HEAD, in order. */
static void hd_sweep_headline_of(const char *json, hd_sweep_headline *h)
{
  static const char *const skip[] = {"events", "features", "ranks", "group_size", "seed", "parameters", "members", "epochs", "wall_s", "models_trained", "best_window", "index", "train_events", "effective_members"};
  const char *p = hd_js_ws(json);
  double      x, best;

  h->n = 0;
  if (!p || *p != '{') return;
  p = hd_js_ws(p + 1);
  while (p && *p == '"') {
    const char *k = p + 1, *end = hd_js_skip(p);
    size_t      n;
    PetscBool   skipped = PETSC_FALSE;
    if (!end) return;
    n = (size_t)(end - k - 1);
    p = hd_js_ws(end);
    if (*p != ':') return;
    p = hd_js_ws(p + 1);
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
      if (strlen(skip[i]) == n && !strncmp(k, skip[i], n)) skipped = PETSC_TRUE;
    if (!skipped && hd_js_number(p, &x)) hd_sweep_head_add(h, k, n, x);
    else if (!skipped && !(n == 4 && !strncmp(k, "blas", 4))) {
      char prefix[64];
      if (snprintf(prefix, sizeof(prefix), "%.*s", (int)n, k) < (int)sizeof(prefix)) hd_sweep_head_nested(h, prefix, p, 2);
    }
    p = hd_js_ws(hd_js_skip(p));
    if (p && *p == ',') p = hd_js_ws(p + 1);
  }
  if (hd_js_number(hd_js_get(json, "best_window", 0), &best) && !isnan(best)) {
    const char *w = hd_js_get(hd_js_get(json, "windows", 0), NULL, (long)best);
    if (hd_js_number(hd_js_get(w, "best_significance", 0), &x)) hd_sweep_head_add(h, "best_significance", 17, x);
    if (hd_js_number(hd_js_get(w, "significance_before", 0), &x)) hd_sweep_head_add(h, "significance_before", 19, x);
    if (hd_js_number(hd_js_get(w, "sr_lo", 0), &x)) hd_sweep_head_add(h, "best_sr_lo", 10, x);
  }
}

/* Not collective (rank 0). The whole file `path` (NUL-terminated, PetscMalloc'ed), or NULL. */
static PetscErrorCode hd_sweep_slurp(const char *path, char **text)
{
  FILE *f = fopen(path, "rb");
  long  n;

  PetscFunctionBegin;
  *text = NULL;
  if (!f) PetscFunctionReturn(PETSC_SUCCESS);
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    PetscCall(PetscMalloc1((size_t)n + 1, text));
    if (fread(*text, 1, (size_t)n, f) != (size_t)n) PetscCall(PetscFree(*text));
    else (*text)[n] = '\0';
  }
  fclose(f);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the sweep ---- */

typedef struct {
  char      name[256];
  char      dir[PETSC_MAX_PATH_LEN];
  PetscBool skipped; /* finished in an earlier job (-resume) */
} hd_sweep_pt;

/* Collective. sweep.json (rank 0 reads the points' summaries) and the table. */
static PetscErrorCode hd_sweep_report(MPI_Comm comm, const char *out, const char *method, const hd_sweep_grid *g, const hd_sweep_pt *pt, double wall_s)
{
  hd_summary         s;
  hd_sweep_headline *h;
  int                rank;
  char               cols[HD_SWEEP_MAX_HEAD * 2][64];
  PetscInt           n_cols = 0, idx[HD_SWEEP_MAX_AXES], width = 10;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscCalloc1(g->n_points, &h));
  if (rank == 0)
    for (PetscInt p = 0; p < g->n_points; p++) {
      char path[PETSC_MAX_PATH_LEN + 16], *text;
      snprintf(path, sizeof(path), "%s/summary.json", pt[p].dir);
      PetscCall(hd_sweep_slurp(path, &text));
      if (text) hd_sweep_headline_of(text, &h[p]);
      PetscCall(PetscFree(text));
    }
  PetscCallMPI(MPI_Bcast(h, (int)(sizeof(*h) * (size_t)g->n_points), MPI_BYTE, 0, comm));

  PetscCall(hd_summary_begin(&s));
  PetscCall(hd_summary_string(&s, "method", method));
  PetscCall(hd_summary_double(&s, "wall_s", wall_s));
  PetscCall(hd_summary_open(&s, "grid", '['));
  for (PetscInt a = 0; a < g->n_axes; a++) {
    PetscCall(hd_summary_open(&s, NULL, '{'));
    PetscCall(hd_summary_string(&s, "name", g->axis[a].name));
    PetscCall(hd_summary_open(&s, "values", '['));
    for (PetscInt i = 0; i < g->axis[a].n; i++) PetscCall(hd_summary_string(&s, NULL, g->axis[a].values[i]));
    PetscCall(hd_summary_close(&s, ']'));
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_open(&s, "points", '['));
  for (PetscInt p = 0; p < g->n_points; p++) {
    hd_sweep_point(g, p, idx);
    PetscCall(hd_summary_open(&s, NULL, '{'));
    PetscCall(hd_summary_string(&s, "name", pt[p].name));
    PetscCall(hd_summary_string(&s, "dir", pt[p].dir));
    PetscCall(hd_summary_string(&s, "status", pt[p].skipped ? "done before (-resume)" : "run"));
    PetscCall(hd_summary_open(&s, "options", '{'));
    for (PetscInt a = 0; a < g->n_axes; a++) PetscCall(hd_summary_string(&s, g->axis[a].name, g->axis[a].values[idx[a]]));
    PetscCall(hd_summary_close(&s, '}'));
    PetscCall(hd_summary_open(&s, "headline", '{'));
    for (PetscInt k = 0; k < h[p].n; k++) {
      PetscBool known = PETSC_FALSE;
      PetscCall(hd_summary_double(&s, h[p].key[k], h[p].value[k]));
      for (PetscInt c = 0; c < n_cols; c++) known = known || !strcmp(cols[c], h[p].key[k]);
      if (!known && n_cols < HD_SWEEP_MAX_HEAD * 2) snprintf(cols[n_cols++], sizeof(cols[0]), "%s", h[p].key[k]);
    }
    PetscCall(hd_summary_close(&s, '}'));
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_write_as(comm, out, "sweep.json", &s));

  /* the table: one row per point, one column per headline number */
  for (PetscInt p = 0; p < g->n_points; p++) width = PetscMax(width, (PetscInt)strlen(pt[p].name));
  PetscCall(hd_log(comm, "\n%-*s", (int)width, "point"));
  for (PetscInt c = 0; c < n_cols; c++) PetscCall(hd_log(comm, "  %*s", (int)PetscMax(10, (PetscInt)strlen(cols[c])), cols[c]));
  PetscCall(hd_log(comm, "\n"));
  for (PetscInt p = 0; p < g->n_points; p++) {
    PetscCall(hd_log(comm, "%-*s", (int)width, pt[p].name));
    for (PetscInt c = 0; c < n_cols; c++) {
      PetscInt k;
      for (k = 0; k < h[p].n && strcmp(h[p].key[k], cols[c]); k++) {}
      if (k < h[p].n && !isnan(h[p].value[k])) PetscCall(hd_log(comm, "  %*.4g", (int)PetscMax(10, (PetscInt)strlen(cols[c])), h[p].value[k]));
      else PetscCall(hd_log(comm, "  %*s", (int)PetscMax(10, (PetscInt)strlen(cols[c])), "-"));
    }
    PetscCall(hd_log(comm, "%s\n", pt[p].skipped ? "  (done before)" : ""));
  }
  PetscCall(hd_log(comm, "\nsweep: %" PetscInt_FMT " points, %.1f s; %s/sweep.json, each point in %s/POINT/\n", g->n_points, wall_s, out, out));
  PetscCall(PetscFree(h));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static const char *const hd_sweep_drop[] = {"-grid", "-out", "-resume", NULL};

/* Not collective. Point p's options database: the process's start-up options (less -grid, -out,
 * -resume) with the point's values and folder. */
static PetscErrorCode hd_sweep_point_options(const hd_sweep_grid *g, PetscInt p, const char *dir, PetscOptions *db)
{
  PetscInt idx[HD_SWEEP_MAX_AXES];

  PetscFunctionBegin;
  PetscCall(hd_runs_options_from_start(hd_sweep_drop, db));
  hd_sweep_point(g, p, idx);
  for (PetscInt a = 0; a < g->n_axes; a++) {
    char name[sizeof(g->axis[0].name) + 2];
    snprintf(name, sizeof(name), "-%s", g->axis[a].name);
    PetscCall(PetscOptionsSetValue(*db, name, g->axis[a].values[idx[a]]));
  }
  PetscCall(PetscOptionsSetValue(*db, "-out", dir));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* An options text as a point's runs write it, made comparable in place: without the token
 * "-resume" (which a begun point's run adds) and without trailing spaces. */
static void hd_sweep_options_norm(char *text)
{
  char  *r;
  size_t n;

  while ((r = strstr(text, "-resume")) && (r == text || r[-1] == ' ') && (r[7] == ' ' || r[7] == '\0')) memmove(r, r + 7 + (r[7] == ' '), strlen(r + 7 + (r[7] == ' ')) + 1);
  for (n = strlen(text); n && text[n - 1] == ' '; n--) text[n - 1] = '\0';
}

/* Collective. With -resume, a finished point is skipped only when its results.h5 was computed from
 * the options it would run with now (another -data, -folds, ...: it runs again, with a line). The
 * event files' contents are not compared (a file regenerated under the same name is not seen). */
static PetscErrorCode hd_sweep_point_current(MPI_Comm comm, const hd_sweep_grid *g, PetscInt p, const hd_sweep_pt *pt, PetscBool *current)
{
  PetscOptions db;
  char        *now = NULL, *stored;
  PetscBool    found;

  PetscFunctionBegin;
  PetscCall(hd_sweep_point_options(g, p, pt[p].dir, &db));
  PetscCall(PetscOptionsGetAll(db, &now));
  PetscCall(PetscOptionsDestroy(&db));
  PetscCall(PetscMalloc1(65536, &stored));
  PetscCall(hd_results_read_options(comm, pt[p].dir, stored, 65536, &found));
  hd_sweep_options_norm(stored);
  hd_sweep_options_norm(now);
  *current = found && !strcmp(stored, now) ? PETSC_TRUE : PETSC_FALSE;
  if (!*current) PetscCall(hd_log(comm, "sweep: point '%s' was finished with other options ('%s'; now '%s'): it runs again\n", pt[p].name, stored, now));
  PetscCall(PetscFree(stored));
  PetscCall(PetscFree(now));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective (rank 0 looks). Point folders in DIR that this grid does not have (an earlier sweep
 * into the same folder with another grid): named in a line, left as they are. */
static PetscErrorCode hd_sweep_note_foreign(MPI_Comm comm, const char *out, const hd_sweep_grid *g, const hd_sweep_pt *pt)
{
  int rank, size;

  PetscFunctionBegin;
  PetscCall(hd_par_rank_size(comm, &rank, &size));
  if (rank == 0) {
    DIR           *d = opendir(out);
    struct dirent *e;
    char           names[512] = "";
    PetscInt       n = 0;

    while (d && (e = readdir(d))) {
      char      path[PETSC_MAX_PATH_LEN + 300];
      PetscBool ours = PETSC_FALSE;
      if (e->d_name[0] == '.' || !strchr(e->d_name, '=')) continue;
      snprintf(path, sizeof(path), "%s/%s/summary.json", out, e->d_name);
      if (access(path, F_OK) != 0) continue;
      for (PetscInt p = 0; p < g->n_points && !ours; p++) ours = strcmp(pt[p].name, e->d_name) == 0;
      if (ours) continue;
      if (n++ < 4) snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", names[0] ? ", " : "", e->d_name);
    }
    if (d) closedir(d);
    if (n) PetscCall(hd_log(PETSC_COMM_SELF, "sweep: note: %s holds %" PetscInt_FMT " point folder%s of another grid (%s%s), left as %s; sweep.json lists this grid's points only\n", out, n, n > 1 ? "s" : "", names, n > 4 ? ", ..." : "", n > 1 ? "they are" : "it is"));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. The points still to run as instances of the runner, their options databases built
 * from the process's start-up options with the point's values and folder. */
static PetscErrorCode hd_sweep_instances(MPI_Comm comm, const hd_method *m, const hd_sweep_grid *g, const hd_sweep_pt *pt, PetscBool resume, PetscInt *n_run, hd_runs_instance **inst, char ***must_read)
{

  PetscFunctionBegin;
  PetscCall(PetscCalloc1(g->n_axes + 1, must_read));
  for (PetscInt a = 0; a < g->n_axes; a++) {
    PetscCall(PetscMalloc1(strlen(g->axis[a].name) + 2, &(*must_read)[a]));
    sprintf((*must_read)[a], "-%s", g->axis[a].name);
  }
  *n_run = 0;
  for (PetscInt p = 0; p < g->n_points; p++) *n_run += !pt[p].skipped;
  PetscCall(PetscCalloc1(PetscMax(*n_run, 1), inst));
  for (PetscInt p = 0, k = 0; p < g->n_points; p++) {
    hd_runs_instance *in = &(*inst)[k];
    if (pt[p].skipped) continue;
    in->method         = m;
    in->must_read      = (const char *const *)*must_read;
    in->must_read_what = "option -grid";
    PetscCall(hd_sweep_point_options(g, p, pt[p].dir, &in->options));
    in->quiet_stop = PETSC_TRUE;
    if (resume) {
      /* a point begun before continues from what it kept (checkpoints): -resume, which the
       * runner reads for the output folder whether or not the method does */
      PetscBool begun, has;
      PetscCall(hd_results_exists(comm, pt[p].dir, &begun));
      if (begun) {
        PetscCall(PetscOptionsSetValue(in->options, "-resume", NULL));
        PetscCall(PetscOptionsHasName(in->options, NULL, "-resume", &has));
      }
    }
    {
      int len = snprintf(in->store_dir, sizeof(in->store_dir), "%s/members", pt[p].dir);
      PetscCheck(len >= 0 && (size_t)len < sizeof(in->store_dir), comm, HD_ERR_USER_INPUT, "sweep: the members folder of point '%s' is longer than %d characters", pt[p].dir, (int)sizeof(in->store_dir) - 1);
    }
    k++;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_cmd_sweep(MPI_Comm comm, int nargs, char **args)
{
  char              grid_text[4096], out[PETSC_MAX_PATH_LEN - 300], method[64], known[256] = "", usage[2048];
  PetscBool         help_only, resume, grid_set, out_set, check_only = PETSC_FALSE;
  hd_sweep_grid     g;
  hd_sweep_pt      *pt;
  hd_runs_instance *inst  = NULL;
  char            **must  = NULL;
  PetscInt          n_run = 0;
  const hd_method  *m     = NULL;
  hd_out_claim      claim;
  double            t0 = hd_wtime();
  size_t            used = 0;
  PetscErrorCode    ierr;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&claim, sizeof(claim))); /* released empty when never taken (-check_options) */
  PetscCheck(nargs == 0, comm, HD_ERR_USER_INPUT, "hadal sweep takes no positional arguments (got '%s'); usage: %s", args[0], HD_SWEEP_USAGE);
  for (const hd_method *const *k = hd_methods; *k; k++) used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s", used ? ", " : "", (*k)->name);
  PetscCall(hd_opt_string("-grid", "the grid: NAME=V1,V2,...;NAME=FIRST:LAST[:STEP] (options of the method; the cartesian product)", NULL, grid_text, sizeof(grid_text), &grid_set));
  PetscCall(hd_opt_string("-out", "folder of the sweep: DIR/POINT/ per point, DIR/sweep.json", NULL, out, sizeof(out), &out_set));
  PetscCall(hd_opt_string("-method", "the method of every point (or -method in the deck)", NULL, method, sizeof(method), NULL));
  PetscCall(hd_opt_bool("-resume", "skip the points that finished in an earlier job (their summary.json exists)", PETSC_FALSE, &resume, NULL));
  PetscCall(hd_opt_finish_passing(comm, HD_SWEEP_USAGE, &help_only));
  if (help_only) PetscFunctionReturn(PETSC_SUCCESS);

  PetscCheck(grid_set && grid_text[0], comm, HD_ERR_USER_INPUT, "option -grid is required: e.g. -grid \"seed=1,2,3;signal_injection=0:120:60\"");
  PetscCheck(out_set && out[0], comm, HD_ERR_USER_INPUT, "option -out is required: the folder of the sweep");
  PetscCheck(method[0], comm, HD_ERR_USER_INPUT, "option -method is required (on the command line or in the deck; known: %s)", known);
  for (const hd_method *const *k = hd_methods; *k; k++)
    if (!strcmp(method, (*k)->name)) m = *k;
  PetscCheck(m, comm, HD_ERR_USER_INPUT, "option -method: unknown method '%s' (known: %s)", method, known);
  PetscCall(hd_sweep_grid_parse(comm, grid_text, &g));
  PetscCall(PetscCalloc1(g.n_points, &pt));
  for (PetscInt p = 0; p < g.n_points; p++) {
    PetscCall(hd_sweep_point_name(comm, &g, p, pt[p].name, sizeof(pt[p].name)));
    for (PetscInt q = 0; q < p; q++) PetscCheck(strcmp(pt[p].name, pt[q].name), comm, HD_ERR_USER_INPUT, "option -grid: two points share the folder name '%s' (values that differ only in characters a folder name cannot hold)", pt[p].name);
    snprintf(pt[p].dir, sizeof(pt[p].dir), "%s/%s", out, pt[p].name);
    if (resume) {
      char path[PETSC_MAX_PATH_LEN + 16];
      snprintf(path, sizeof(path), "%s/summary.json", pt[p].dir);
      PetscCall(hd_results_exists(comm, path, &pt[p].skipped));
      if (pt[p].skipped) {
        PetscBool current = PETSC_FALSE;
        PetscCall(hd_sweep_point_current(comm, &g, p, pt, &current));
        pt[p].skipped = current;
      }
    }
  }

  /* -check_options goes on to every point (each checks its own options): no folder is made */
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-check_options", &check_only, NULL));
  if (!check_only) PetscCall(hd_out_claim_take(comm, out, -1, PETSC_FALSE, &claim));
  PetscCall(hd_signals_install());
  ierr = hd_sweep_instances(comm, m, &g, pt, resume, &n_run, &inst, &must);
  if (!ierr) ierr = hd_log(comm, "sweep: %" PetscInt_FMT " points of method %s (%" PetscInt_FMT " to run%s) in %s\n", g.n_points, m->name, n_run, n_run < g.n_points ? ", the others done before" : "", out);
  snprintf(usage, sizeof(usage), "%s (each point: %s)", HD_SWEEP_USAGE, m->usage);
  if (!ierr && n_run > 0) ierr = hd_runs_execute(comm, usage, n_run, inst);
  if (!ierr && n_run > 0 && inst[0].checked_only) ierr = hd_log(comm, "sweep: every option of the %" PetscInt_FMT " points is known to method %s\n", n_run, m->name);
  else if (!ierr) {
    PetscInt done = 0;
    for (PetscInt k = 0; k < n_run; k++) done += inst[k].finished;
    if (done == n_run) ierr = hd_sweep_report(comm, out, m->name, &g, pt, hd_wtime() - t0);
    if (!ierr && done == n_run) ierr = hd_sweep_note_foreign(comm, out, &g, pt);
    else /* a signal (Slurm's warning before the time limit, a preemption): the job script requeues */
      ierr = hd_log(comm, "sweep: stopped by a signal with %" PetscInt_FMT " of %" PetscInt_FMT " points finished; hadal sweep ... -resume continues (finished points are kept, begun ones resume)\n", g.n_points - n_run + done, g.n_points);
  }
  hd_out_claim_release(&claim, ierr ? PETSC_TRUE : PETSC_FALSE);
  PetscCall(ierr);
  PetscCall(hd_runs_destroy(n_run, inst));
  PetscCall(PetscFree(inst));
  for (PetscInt a = 0; must && a < g.n_axes; a++) PetscCall(PetscFree(must[a]));
  PetscCall(PetscFree(must));
  PetscCall(PetscFree(pt));
  PetscCall(hd_sweep_grid_free(&g));
  PetscFunctionReturn(PETSC_SUCCESS);
}
