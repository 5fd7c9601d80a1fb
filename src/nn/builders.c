/* The flow and deep-set builders (docs/nn.md, "Builders"): a spec string turned into a graph of
 * op-table nodes. The chain and parallel builders are in network.c, next to the chain parser. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/nn.h>
#include "graph.h"

#define HD_BUILDER_MAX_WORDS 32
#define HD_BUILDER_MAX_WIDTHS 64

/* Splits a spec into words at spaces and commas (copy is modified). */
static PetscErrorCode split_words(const char *spec, char *copy, char **w, int *n)
{
  char *save = NULL;

  PetscFunctionBegin;
  *n = 0;
  for (char *t = strtok_r(copy, " \t\n,", &save); t; t = strtok_r(NULL, " \t\n,", &save)) {
    PetscCheck(*n < HD_BUILDER_MAX_WORDS, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': too many words", spec);
    w[(*n)++] = t;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode word_int(const char *spec, const char *word, const char *what, PetscInt min, PetscInt *v)
{
  char *end = NULL;
  long  x   = strtol(word, &end, 10);

  PetscFunctionBegin;
  PetscCheck(end != word && *end == '\0' && isdigit((unsigned char)word[0]), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': '%s' is not a valid %s", spec, word, what);
  PetscCheck(x >= min && x <= 1000000L, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': %s %ld must be in [%" PetscInt_FMT ", 1e6]", spec, what, x, min);
  *v = (PetscInt)x;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* "100,100,128" was split into words by commas: reads the run of integers from w[*i]. */
static PetscErrorCode word_widths(const char *spec, char **w, int n, int *i, const char *what, PetscInt *widths, PetscInt *nw)
{
  PetscFunctionBegin;
  *nw = 0;
  while (*i < n && isdigit((unsigned char)w[*i][0])) {
    PetscCheck(*nw < HD_BUILDER_MAX_WIDTHS, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': more than %d %s layers", spec, HD_BUILDER_MAX_WIDTHS, what);
    PetscCall(word_int(spec, w[*i], what, 1, &widths[(*nw)++]));
    (*i)++;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode append_widths(char *buf, size_t len, const PetscInt *widths, PetscInt n)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < n; k++) {
    char num[24];

    PetscCall(PetscSNPrintf(num, sizeof(num), "%s%" PetscInt_FMT, k ? "," : "", widths[k]));
    PetscCall(PetscStrlcat(buf, num, len));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void node_init(hd_nn_node *t, hd_nn_op op, const char *name)
{
  memset(t, 0, sizeof(*t));
  t->op     = op;
  t->act    = HD_ACT_IDENTITY;
  t->stride = 1;
  snprintf(t->name, sizeof(t->name), "%s", name);
}

/* ---- masked autoregressive flow ---- */

typedef struct {
  PetscInt  L, H, W, K;
  double    bound;
  hd_nn_act act;
  float     alpha;
} flow_spec;

static PetscErrorCode flow_parse(const char *spec, flow_spec *f)
{
  char     *copy = NULL, *w[HD_BUILDER_MAX_WORDS];
  int       n, i = 1;
  PetscBool found;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  /* seed 003, Table 3 */
  f->L     = 11;
  f->H     = 7;
  f->W     = 200;
  f->K     = 35;
  f->bound = 3.0;
  f->act   = HD_ACT_RELU;
  f->alpha = 0.0f;
  PetscCall(PetscStrallocpy(spec, &copy));
  ierr = split_words(spec, copy, w, &n);
  if (!ierr && (n < 1 || strcmp(w[0], "maf"))) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "flow spec '%s' must start with 'maf', as in 'maf 11 layers, made 7x200, 35 knots, bound 3'", spec);
  while (!ierr && i < n) {
    if (i + 1 < n && !strcmp(w[i + 1], "layers")) {
      ierr = word_int(spec, w[i], "number of flow layers", 1, &f->L);
      i += 2;
    } else if (i + 1 < n && (!strcmp(w[i + 1], "knots") || !strcmp(w[i + 1], "bins"))) {
      ierr = word_int(spec, w[i], "number of spline bins", 1, &f->K);
      i += 2;
    } else if (i + 1 < n && !strcmp(w[i], "made")) {
      char *x = strchr(w[i + 1], 'x');

      if (!x) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "flow spec '%s': 'made' needs LAYERSxWIDTH, as in 'made 7x200'", spec);
      else {
        *x   = '\0';
        ierr = word_int(spec, w[i + 1], "number of MADE hidden layers", 1, &f->H);
        if (!ierr) ierr = word_int(spec, x + 1, "MADE width", 1, &f->W);
      }
      i += 2;
    } else if (i + 1 < n && !strcmp(w[i], "bound")) {
      char *end = NULL;

      f->bound = strtod(w[i + 1], &end);
      if (end == w[i + 1] || *end || !(f->bound > 0.0) || f->bound > 1e6) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "flow spec '%s': bound '%s' must be a positive number", spec, w[i + 1]);
      i += 2;
    } else {
      ierr = hd_nn_act_parse(w[i], &f->act, &f->alpha, &found);
      if (!ierr && !found) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "flow spec '%s': unexpected '%s' (expected 'N layers', 'made HxW', 'K knots', 'bound A' or an activation)", spec, w[i]);
      i++;
    }
  }
  PetscCall(PetscFree(copy));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The L flow layers on x = value 0; *z and *total receive the output values. */
static PetscErrorCode flow_layers(hd_nn *net, const flow_spec *fs, PetscInt D, const PetscInt *widths, PetscInt *z, PetscInt *total_out)
{
  const flow_spec f = *fs;
  PetscInt        x = 0, total = -1, P = 3 * f.K - 1;
  hd_nn_node      t;
  char            vname[2][HD_NN_NAME_LEN];
  const char     *vn[2] = {vname[0], vname[1]};

  PetscFunctionBegin;
  for (PetscInt l = 0; l < f.L; l++) {
    PetscInt h = x, theta, ys[2], ld;

    /* theta = MADE(x_l): H masked hidden layers, then the linear masked output layer */
    for (PetscInt j = 0; j <= f.H; j++) {
      PetscInt       fan_in = j ? f.W : D;
      PetscErrorCode ierr;

      node_init(&t, HD_OP_MASKED_DENSE, "");
      PetscCall(PetscSNPrintf(t.name, sizeof(t.name), "flow%" PetscInt_FMT ".made%" PetscInt_FMT, l, j));
      t.units          = j < f.H ? f.W : D * P;
      t.act            = j < f.H ? f.act : HD_ACT_IDENTITY;
      t.alpha          = j < f.H ? f.alpha : 0.0f;
      t.made_degree[0] = D;
      t.made_degree[1] = P;
      t.made_degree[2] = j;
      t.made_hidden    = f.H;
      PetscCall(PetscMalloc1((size_t)t.units * (size_t)fan_in, &t.mask));
      ierr = hd_nn_made_mask(t.mask, D, P, widths, f.H, j);
      if (ierr) PetscCall(PetscFree(t.mask));
      PetscCall(ierr);
      PetscCall(PetscSNPrintf(vname[0], sizeof(vname[0]), j < f.H ? "flow%" PetscInt_FMT ".h%" PetscInt_FMT : "flow%" PetscInt_FMT ".theta", l, j));
      PetscCall(hd_nn_graph_node(net, &t, 1, &h, 1, vn, NULL, &h));
    }
    theta = h;
    /* (y, ld) = RQS(x_l; theta) */
    node_init(&t, HD_OP_RQS, "");
    PetscCall(PetscSNPrintf(t.name, sizeof(t.name), "flow%" PetscInt_FMT ".rqs", l));
    t.knots = f.K;
    t.bound = f.bound;
    PetscCall(PetscSNPrintf(vname[0], sizeof(vname[0]), l == f.L - 1 ? "z" : "flow%" PetscInt_FMT ".y", l));
    PetscCall(PetscSNPrintf(vname[1], sizeof(vname[1]), "flow%" PetscInt_FMT ".logdet_dims", l));
    {
      PetscInt in[2] = {x, theta};

      PetscCall(hd_nn_graph_node(net, &t, 2, in, 2, vn, NULL, ys));
    }
    /* the log-determinant summed over dimensions, then over layers */
    node_init(&t, HD_OP_SUM, "");
    PetscCall(PetscSNPrintf(t.name, sizeof(t.name), "flow%" PetscInt_FMT ".sum", l));
    PetscCall(PetscSNPrintf(vname[0], sizeof(vname[0]), l == 0 && f.L == 1 ? "logdet" : "flow%" PetscInt_FMT ".logdet", l));
    PetscCall(hd_nn_graph_node(net, &t, 1, &ys[1], 1, vn, NULL, &ld));
    if (total < 0) total = ld;
    else {
      PetscInt in[2] = {total, ld};

      node_init(&t, HD_OP_ADD, "");
      PetscCall(PetscSNPrintf(t.name, sizeof(t.name), "flow%" PetscInt_FMT ".add", l));
      PetscCall(PetscSNPrintf(vname[0], sizeof(vname[0]), l == f.L - 1 ? "logdet" : "flow%" PetscInt_FMT ".logdet_total", l));
      PetscCall(hd_nn_graph_node(net, &t, 2, in, 1, vn, NULL, &total));
    }
    x = ys[0];
    /* the feature order reversed between layers, so every feature gets conditioned on the others */
    if (l < f.L - 1) {
      node_init(&t, HD_OP_PERMUTE, "");
      PetscCall(PetscSNPrintf(t.name, sizeof(t.name), "flow%" PetscInt_FMT ".reverse", l));
      t.count = D;
      PetscCall(PetscMalloc1(D, &t.perm));
      for (PetscInt k = 0; k < D; k++) t.perm[k] = D - 1 - k;
      PetscCall(PetscSNPrintf(vname[0], sizeof(vname[0]), "flow%" PetscInt_FMT ".x", l + 1));
      PetscCall(hd_nn_graph_node(net, &t, 1, &x, 1, vn, NULL, &x));
    }
  }
  *z         = x;
  *total_out = total;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode flow_build(hd_nn *net, const char *spec, PetscInt D, PetscInt max_batch)
{
  flow_spec      f;
  PetscInt       in_shape[3] = {D, 1, 1}, x = 0, total = 0, P, *widths = NULL;
  size_t         len = 256;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(flow_parse(spec, &f));
  P = 3 * f.K - 1;
  PetscCheck((PetscInt64)D * P <= 100000000, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "flow spec '%s': D (3K - 1) = %lld MADE outputs is too many", spec, (long long)D * P);
  PetscCall(PetscStrallocpy(spec, &net->spec));
  net->builder_arg[0] = D;
  PetscCall(hd_nn_graph_begin(net, in_shape, max_batch, f.L * (f.H + 5)));
  PetscCall(PetscMalloc1(f.H, &widths));
  for (PetscInt j = 0; j < f.H; j++) widths[j] = f.W;
  ierr = flow_layers(net, &f, D, widths, &x, &total);
  PetscCall(PetscFree(widths));
  PetscCall(ierr);
  PetscCall(hd_nn_graph_output(net, x));
  PetscCall(hd_nn_graph_output(net, total));
  PetscCall(hd_nn_graph_finish(net, spec));
  PetscCall(PetscFree(net->spec));
  PetscCall(PetscCalloc1(len, &net->spec));
  PetscCall(PetscSNPrintf(net->spec, len, "maf %" PetscInt_FMT " layers, made %" PetscInt_FMT "x%" PetscInt_FMT ", %" PetscInt_FMT " knots, bound %.17g", f.L, f.H, f.W, f.K, f.bound));
  if (f.act != HD_ACT_RELU) {
    char txt[256], *a, *e;

    /* the node text is "masked_dense W ACT made D P 0": keep its activation word */
    PetscCall(hd_nn_node_text(&net->nodes[0], txt, sizeof(txt)));
    a  = strchr(strchr(txt, ' ') + 1, ' ') + 1;
    e  = strchr(a, ' ');
    *e = '\0';
    PetscCall(PetscStrlcat(net->spec, ", ", len));
    PetscCall(PetscStrlcat(net->spec, a, len));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_create_flow(const char *spec, PetscInt D, PetscInt max_batch, hd_nn **net_out)
{
  hd_nn         *net;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  *net_out = NULL;
  PetscCheck(spec && spec[0], PETSC_COMM_SELF, HD_ERR_USER_INPUT, "flow spec is empty");
  PetscCheck(D >= 1 && max_batch >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "flow spec '%s': needs D >= 1 features (got %" PetscInt_FMT ") and a positive maximum batch (got %" PetscInt_FMT ")", spec, D, max_batch);
  PetscCall(PetscNew(&net));
  net->builder = HD_NN_FLOW;
  ierr         = flow_build(net, spec, D, max_batch);
  if (ierr) {
    PetscCall(hd_nn_destroy(&net));
    PetscCall(ierr);
  }
  *net_out = net;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- deep set / Particle Flow Network ---- */

typedef struct {
  PetscInt  n_phi, n_f, phi[HD_BUILDER_MAX_WIDTHS], f[HD_BUILDER_MAX_WIDTHS];
  PetscInt  pool;
  hd_nn_act act;
  float     alpha;
} set_spec;

static PetscErrorCode deepset_parse(const char *spec, set_spec *s)
{
  char          *copy = NULL, *w[HD_BUILDER_MAX_WORDS];
  int            n, i = 1;
  PetscBool      found;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  memset(s, 0, sizeof(*s));
  s->act = HD_ACT_RELU;
  PetscCall(PetscStrallocpy(spec, &copy));
  ierr = split_words(spec, copy, w, &n);
  if (!ierr && (n < 1 || strcmp(w[0], "pfn"))) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "deep-set spec '%s' must start with 'pfn', as in 'pfn phi 100,100,128 f 100,100,100'", spec);
  while (!ierr && i < n) {
    if (!strcmp(w[i], "phi")) {
      i++;
      ierr = word_widths(spec, w, n, &i, "phi", s->phi, &s->n_phi);
    } else if (!strcmp(w[i], "f")) {
      i++;
      ierr = word_widths(spec, w, n, &i, "f", s->f, &s->n_f);
    } else if (!strcmp(w[i], "sum") || !strcmp(w[i], "mean")) {
      s->pool = !strcmp(w[i], "mean");
      i++;
    } else {
      ierr = hd_nn_act_parse(w[i], &s->act, &s->alpha, &found);
      if (!ierr && !found) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "deep-set spec '%s': unexpected '%s' (expected 'phi N1,N2,...', 'f M1,M2,...', 'sum', 'mean' or an activation)", spec, w[i]);
      i++;
    }
  }
  if (!ierr && s->n_phi == 0) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "deep-set spec '%s': needs per-element layers, as in 'phi 100,100,128'", spec);
  PetscCall(PetscFree(copy));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode deepset_build(hd_nn *net, const char *spec, PetscInt P, PetscInt C, PetscInt n_out, PetscInt max_batch)
{
  set_spec    s;
  PetscInt    in_shape[3] = {P * C + 1, 1, 1}, elems, size, h, in2[2];
  hd_nn_node  t;
  char        vname[HD_NN_NAME_LEN], act[64] = "";
  const char *vn  = vname;
  size_t      len = 64 + 16 * (HD_BUILDER_MAX_WIDTHS * 2);

  PetscFunctionBegin;
  PetscCall(deepset_parse(spec, &s));
  PetscCall(PetscStrallocpy(spec, &net->spec));
  net->builder_arg[0] = P;
  net->builder_arg[1] = C;
  net->builder_arg[2] = n_out;
  PetscCall(hd_nn_graph_begin(net, in_shape, max_batch, s.n_phi + s.n_f + 4));
  /* the row: P C element features, then the set size */
  node_init(&t, HD_OP_SLICE, "elements");
  t.start = 0;
  t.count = P * C;
  t.units = C;
  PetscCall(PetscSNPrintf(vname, sizeof(vname), "elements"));
  PetscCall(hd_nn_graph_node(net, &t, 1, (PetscInt[]){0}, 1, &vn, NULL, &elems));
  node_init(&t, HD_OP_SLICE, "set_size");
  t.start = P * C;
  t.count = 1;
  PetscCall(PetscSNPrintf(vname, sizeof(vname), "set_size"));
  PetscCall(hd_nn_graph_node(net, &t, 1, (PetscInt[]){0}, 1, &vn, NULL, &size));
  /* Phi on every element, pooled over the valid ones, then F (Komiske et al. 2019, eq. 1) */
  h = elems;
  for (PetscInt j = 0; j < s.n_phi; j++) {
    node_init(&t, HD_OP_ROW_DENSE, "");
    PetscCall(PetscSNPrintf(t.name, sizeof(t.name), "phi%" PetscInt_FMT, j));
    t.units = s.phi[j];
    t.act   = s.act;
    t.alpha = s.alpha;
    PetscCall(PetscSNPrintf(vname, sizeof(vname), "phi%" PetscInt_FMT, j));
    PetscCall(hd_nn_graph_node(net, &t, 1, &h, 1, &vn, NULL, &h));
  }
  node_init(&t, HD_OP_SET_POOL, "pool");
  t.pool = s.pool;
  in2[0] = h;
  in2[1] = size;
  PetscCall(PetscSNPrintf(vname, sizeof(vname), "pooled"));
  PetscCall(hd_nn_graph_node(net, &t, 2, in2, 1, &vn, NULL, &h));
  for (PetscInt j = 0; j < s.n_f; j++) {
    node_init(&t, HD_OP_DENSE, "");
    PetscCall(PetscSNPrintf(t.name, sizeof(t.name), "f%" PetscInt_FMT, j));
    t.units = s.f[j];
    t.act   = s.act;
    t.alpha = s.alpha;
    PetscCall(PetscSNPrintf(vname, sizeof(vname), "f%" PetscInt_FMT, j));
    PetscCall(hd_nn_graph_node(net, &t, 1, &h, 1, &vn, NULL, &h));
  }
  node_init(&t, HD_OP_DENSE, "out");
  t.units = n_out;
  PetscCall(PetscSNPrintf(vname, sizeof(vname), "output"));
  PetscCall(hd_nn_graph_node(net, &t, 1, &h, 1, &vn, NULL, &h));
  PetscCall(hd_nn_graph_output(net, h));
  PetscCall(hd_nn_graph_finish(net, spec));
  /* canonical: "pfn phi 100,100,128 f 100,100,100 sum relu" */
  PetscCall(PetscFree(net->spec));
  PetscCall(PetscCalloc1(len, &net->spec));
  PetscCall(PetscStrlcat(net->spec, "pfn phi ", len));
  PetscCall(append_widths(net->spec, len, s.phi, s.n_phi));
  if (s.n_f) {
    PetscCall(PetscStrlcat(net->spec, " f ", len));
    PetscCall(append_widths(net->spec, len, s.f, s.n_f));
  }
  PetscCall(PetscStrlcat(net->spec, s.pool ? " mean " : " sum ", len));
  PetscCall(hd_nn_node_text(&net->nodes[2], act, sizeof(act))); /* "row_dense N ACT" */
  PetscCall(PetscStrlcat(net->spec, strrchr(act, ' ') + 1, len));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_create_deepset(const char *spec, PetscInt P, PetscInt C, PetscInt n_out, PetscInt max_batch, hd_nn **net_out)
{
  hd_nn         *net;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  *net_out = NULL;
  PetscCheck(spec && spec[0], PETSC_COMM_SELF, HD_ERR_USER_INPUT, "deep-set spec is empty");
  PetscCheck(P >= 1 && C >= 1 && n_out >= 1 && max_batch >= 1 && (PetscInt64)P * C < PETSC_MAX_INT, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "deep-set spec '%s': needs P >= 1 elements, C >= 1 features, n_out >= 1 outputs and a positive maximum batch (got %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ")", spec, P, C, n_out, max_batch);
  PetscCall(PetscNew(&net));
  net->builder = HD_NN_DEEPSET;
  ierr         = deepset_build(net, spec, P, C, n_out, max_batch);
  if (ierr) {
    PetscCall(hd_nn_destroy(&net));
    PetscCall(ierr);
  }
  *net_out = net;
  PetscFunctionReturn(PETSC_SUCCESS);
}
