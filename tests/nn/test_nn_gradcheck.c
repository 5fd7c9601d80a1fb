/* Central finite-difference checks of every layer, activation and loss, wrt parameters and
 * inputs, plus the accumulation conventions backward and the losses promise (include/hadal/nn.h).
 *
 * Layers: the objective is L = sum r . net(x) with a fixed random r, evaluated in double from the
 * float outputs. The step actually taken, (float)(v + h) - v, is measured in double, so float
 * rounding of the perturbed value does not enter the quotient. What is left is float rounding in
 * the forward pass (about 1e-7 relative per output), which divided by 2h gives the noise floor the
 * tolerance has to cover. A coordinate whose perturbation moves a ReLU/LeakyReLU/ELU input across
 * zero or changes a max-pool winner is skipped (the function is not smooth there); the test fails
 * if more than 10% are skipped.
 *   tolerance (layers): |fd - an| <= 5e-3 |an| + 5e-4 max|an|,  h = 1e-2 (3e-3 with kinks)
 * Losses take float z but compute in double, so their quotients are accurate to ~1e-9:
 *   tolerance (losses): |fd - an| <= 1e-4 |an| + 1e-6 max|an|,  h = 1e-3 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <hadal/nn.h>
#include <hadal/rng.h>
#include "check.h"
#include "../src/nn/graph.h"

#define TRY(expr) \
  do { \
    PetscErrorCode ierr_ = (expr); \
    if (ierr_) { \
      printf("FAIL: %s returned %d\n", #expr, (int)ierr_); \
      failures++; \
      return; \
    } \
  } while (0)

/* ---- layers ---- */

/* Total floats of every output for B events. */
static PetscInt outputs_size(const hd_nn *net, PetscInt B)
{
  PetscInt n = 0;

  for (PetscInt k = 0; k < hd_nn_output_count(net); k++) n += B * hd_nn_output_size(net, k);
  return n;
}

/* Seeds every output gradient with its block of r. */
static void seed_outputs(hd_nn *net, PetscInt B, const float *r)
{
  for (PetscInt k = 0; k < hd_nn_output_count(net); k++) {
    float *g = hd_nn_output_grad(net, k);

    for (PetscInt i = 0; i < B * hd_nn_output_size(net, k); i++) g[i] += r[i];
    r += B * hd_nn_output_size(net, k);
  }
}

static double objective(hd_nn *net, const float *x, PetscInt B, const float *r)
{
  double L = 0.0;

  if (hd_nn_forward(net, x, B)) return NAN;
  /* every output: r holds one block of B * size per output */
  for (PetscInt k = 0; k < hd_nn_output_count(net); k++) {
    const float *y = hd_nn_output(net, k);

    for (PetscInt i = 0; i < B * hd_nn_output_size(net, k); i++) L += (double)r[i] * y[i];
    r += B * hd_nn_output_size(net, k);
  }
  return L;
}

/* FNV-1a over what decides the piece of a piecewise-smooth network: the sign of every ReLU,
 * LeakyReLU and ELU output, and every max-pool winner. Equal before and after a step: no kink. */
static uint64_t signature(const hd_nn *net)
{
  uint64_t h = 1469598103934665603ull;

  for (PetscInt l = 0; l < net->n_nodes; l++) {
    const hd_nn_node  *L = &net->nodes[l];
    const hd_nn_value *y = &net->values[L->out[0]];
    size_t             n = (size_t)net->batch * (size_t)y->size;
    PetscBool          fused = L->op == HD_OP_DENSE || L->op == HD_OP_CONV2D || L->op == HD_OP_ACTIVATION || L->op == HD_OP_MASKED_DENSE || L->op == HD_OP_ROW_DENSE;

    if (fused && (L->act == HD_ACT_RELU || L->act == HD_ACT_LEAKY_RELU || L->act == HD_ACT_ELU)) {
      for (size_t i = 0; i < n; i++) h = (h ^ (uint64_t)(y->data_[i] > 0.0f)) * 1099511628211ull;
    } else if (L->op == HD_OP_MAXPOOL) {
      for (size_t i = 0; i < n; i++) h = (h ^ (uint64_t)(uint32_t)L->arg_[i]) * 1099511628211ull;
    }
  }
  return h;
}

typedef struct {
  double worst;   /* max of |fd - an| / tolerance: <= 1 passes */
  int    checked, skipped;
} fd_stats;

/* Central difference of the objective wrt v[i]; returns 0 when the step crossed a kink. */
static int fd_one(hd_nn *net, float *v, PetscInt i, const float *x, PetscInt B, const float *r, double h, uint64_t sig0, double *fd)
{
  float    orig = v[i];
  double   lp, lm, sp, sm;
  uint64_t gp, gm;

  v[i] = (float)(orig + h);
  sp   = (double)v[i] - (double)orig;
  lp   = objective(net, x, B, r);
  gp   = signature(net);
  v[i] = (float)(orig - h);
  sm   = (double)v[i] - (double)orig;
  lm   = objective(net, x, B, r);
  gm   = signature(net);
  v[i] = orig;
  if (gp != sig0 || gm != sig0) return 0;
  *fd = (lp - lm) / (sp - sm);
  return 1;
}

static void compare(fd_stats *st, double fd, double an, double scale, double rtol, double atol_rel)
{
  double tol = rtol * fabs(an) + atol_rel * scale + 1e-12;
  double e   = fabs(fd - an) / tol;

  st->checked++;
  if (e > st->worst) st->worst = e;
}

/* Inputs: normal draws pushed at least `margin` away from zero; with `distinct`, a shuffled grid
 * of values 0.05 apart (max-pool winners then survive any step below 0.025). */
static void make_input(float *x, PetscInt n, double margin, int distinct, uint64_t seed)
{
  hd_rng r;

  hd_rng_init(&r, seed, HD_STREAM_USER, 1);
  if (distinct) {
    for (PetscInt i = 0; i < n; i++) x[i] = (float)(0.05 * (double)(i - n / 2) + 0.013);
    for (PetscInt i = n - 1; i > 0; i--) {
      PetscInt j = (PetscInt)hd_rng_below(&r, (uint32_t)(i + 1));
      float    t = x[i];
      x[i]       = x[j];
      x[j]       = t;
    }
    return;
  }
  for (PetscInt i = 0; i < n; i++) {
    double v = hd_rng_normal(&r);
    x[i]     = (float)(v >= 0 ? v + margin : v - margin);
  }
}

/* Checks every gradient of `net` (built, initialised) at input x (B rows) against finite
 * differences; input column fixed_col of every row (a set size) is not perturbed (-1: none).
 * Takes ownership of net and x. */
static void gradcheck_net(hd_nn *net, const char *spec, float *x, PetscInt B, double h, int max_checks, PetscInt fixed_col)
{
  float    *r, *din, *gan;
  hd_rng    rng;
  fd_stats  sp = {0, 0, 0}, sx = {0, 0, 0};
  double    gscale = 0.0, xscale = 0.0;
  uint64_t  sig0;
  const double rtol = 5e-3, atol = 5e-4;
  PetscInt  nout = outputs_size(net, B);

  /* non-zero biases, so that their gradients and the activations' curvature are exercised */
  hd_rng_init(&rng, 11, HD_STREAM_USER, 2);
  for (PetscInt t = 0; t < net->n_tensors; t++)
    if (strstr(net->tensors[t].name, "bias"))
      for (PetscInt i = 0; i < net->tensors[t].size; i++) net->params[net->tensors[t].offset + i] = (float)(0.5 * (2.0 * hd_rng_uniform(&rng) - 1.0));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1((size_t)(B * net->in_size), &din));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1((size_t)nout, &r));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1((size_t)net->n_params + 1, &gan));
  for (PetscInt i = 0; i < nout; i++) r[i] = (float)hd_rng_normal(&rng);

  /* analytic gradients */
  TRY(hd_nn_zero_grad(net));
  TRY(hd_nn_forward(net, x, B));
  sig0 = signature(net);
  seed_outputs(net, B, r);
  TRY(hd_nn_backward(net, din));
  memcpy(gan, net->grads, (size_t)net->n_params * sizeof(float));
  for (PetscInt i = 0; i < net->n_params; i++) gscale = fmax(gscale, fabs(gan[i]));
  for (PetscInt i = 0; i < B * net->in_size; i++) xscale = fmax(xscale, fabs(din[i]));

  /* parameters: all of them, or a random subset of max_checks */
  for (PetscInt k = 0; k < net->n_params && k < max_checks; k++) {
    PetscInt i = net->n_params <= max_checks ? k : (PetscInt)hd_rng_below(&rng, (uint32_t)net->n_params);
    double   fd;

    if (!fd_one(net, net->params, i, x, B, r, h, sig0, &fd)) {
      sp.skipped++;
      continue;
    }
    compare(&sp, fd, gan[i], gscale, rtol, atol);
  }
  for (PetscInt k = 0; k < B * net->in_size && k < max_checks; k++) {
    PetscInt i = B * net->in_size <= max_checks ? k : (PetscInt)hd_rng_below(&rng, (uint32_t)(B * net->in_size));
    double   fd;

    if (fixed_col >= 0 && i % net->in_size == fixed_col) continue;
    if (!fd_one(net, x, i, x, B, r, h, sig0, &fd)) {
      sx.skipped++;
      continue;
    }
    compare(&sx, fd, din[i], xscale, rtol, atol);
  }
  printf("%-58s params %4d checked (%d skipped) worst %.3f; inputs %4d checked (%d skipped) worst %.3f\n", spec, sp.checked, sp.skipped, sp.worst, sx.checked, sx.skipped, sx.worst);
  CHECK(sp.worst <= 1.0, "%s: parameter gradient off finite differences (worst error %.2f x tolerance)", spec, sp.worst);
  CHECK(sx.worst <= 1.0, "%s: input gradient off finite differences (worst error %.2f x tolerance)", spec, sx.worst);
  CHECK(sp.skipped * 10 <= sp.checked + sp.skipped && sx.skipped * 10 <= sx.checked + sx.skipped, "%s: too many coordinates skipped at kinks", spec);
  CHECK(net->n_params == 0 || gscale > 0.0, "%s: all parameter gradients are zero", spec);
  CHECK(xscale > 0.0, "%s: all input gradients are zero", spec);

  /* backward accumulates: a second backward on the same forward doubles every gradient (up to
   * float rounding: conv2d adds image by image into the same buffer) */
  TRY(hd_nn_forward(net, x, B));
  seed_outputs(net, B, r);
  TRY(hd_nn_backward(net, NULL));
  {
    int ok = 1;
    for (PetscInt i = 0; i < net->n_params; i++) ok &= fabs(net->grads[i] - 2.0 * gan[i]) <= 1e-6 * gscale;
    CHECK(ok, "%s: a second backward did not add the same gradient again", spec);
  }
  TRY(hd_nn_zero_grad(net));
  {
    int ok = 1;
    for (PetscInt i = 0; i < net->n_params; i++) ok &= net->grads[i] == 0.0f;
    CHECK(ok, "%s: zero_grad left a non-zero gradient", spec);
  }
  PetscFree(x);
  PetscFree(din);
  PetscFree(r);
  PetscFree(gan);
  hd_nn_destroy(&net);
}

static void gradcheck(const char *spec, PetscInt C, PetscInt H, PetscInt W, PetscInt B, double margin, int distinct, double h, int max_checks)
{
  PetscInt shape[3] = {C, H, W};
  hd_nn   *net;
  float   *x;

  TRY(hd_nn_create(spec, shape, B, &net));
  TRY(hd_nn_init(net, 7, 3, HD_INIT_AUTO));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1((size_t)(B * net->in_size), &x));
  make_input(x, B * net->in_size, margin, distinct, 5);
  gradcheck_net(net, spec, x, B, h, max_checks, -1);
}

/* Dense layers without a bias ("nobias"): no bias tensor (the parameter count drops by the
 * widths), the canonical spec keeps the word, and at initialisation (weights drawn from the same
 * per-layer streams, biases zero) the outputs equal those of the same chain with biases, bit for
 * bit; a spec where "nobias" is not last, or on a layer other than dense, is an error. */
static float *normal_input(PetscInt n, uint64_t seed);

static void nobias_layers(void)
{
  PetscInt    shape[3] = {4, 1, 1}, B = 5;
  hd_nn      *a, *b;
  float      *x = normal_input(B * 4, 31);
  char        text[256];
  hd_nn      *bad = NULL;
  PetscErrorCode err;

  TRY(hd_nn_create("dense 6 relu, dense 3", shape, B, &a));
  TRY(hd_nn_create("dense 6 relu nobias, dense 3 nobias", shape, B, &b));
  CHECK(a->n_params == b->n_params + 6 + 3 && b->n_tensors == 2, "nobias: %" PetscInt_FMT " parameters in %" PetscInt_FMT " tensors, want %" PetscInt_FMT " in 2", b->n_params, b->n_tensors, a->n_params - 9);
  CHECK(strcmp(b->spec, "dense 6 relu nobias, dense 3 identity nobias") == 0, "nobias: canonical spec '%s'", b->spec);
  TRY(hd_nn_node_text(&b->nodes[0], text, sizeof(text)));
  CHECK(strcmp(text, "dense 6 relu nobias") == 0, "nobias: node text '%s'", text);
  TRY(hd_nn_init(a, 7, 3, HD_INIT_AUTO));
  TRY(hd_nn_init(b, 7, 3, HD_INIT_AUTO));
  TRY(hd_nn_forward(a, x, B));
  TRY(hd_nn_forward(b, x, B));
  CHECK(memcmp(a->output, b->output, (size_t)B * 3 * sizeof(float)) == 0, "nobias: outputs at initialisation differ from the chain with (zero) biases");
  TRY(hd_nn_destroy(&a));
  TRY(hd_nn_destroy(&b));
  PetscCallAbort(PETSC_COMM_SELF, hd_error_handler_push());
  err = hd_nn_create("dense 6 nobias relu", shape, B, &bad);
  CHECK(err != 0 && strstr(hd_error_message(), "'nobias' is not an activation"), "nobias before the activation: '%s'", err ? hd_error_message() : "accepted");
  err = hd_nn_create("conv 2 3x3 nobias", shape, B, &bad);
  CHECK(err != 0, "nobias on a conv layer was accepted");
  PetscCallAbort(PETSC_COMM_SELF, PetscPopErrorHandler());
  PetscCallAbort(PETSC_COMM_SELF, PetscFree(x));
}

/* ---- graphs: the new ops, and values read by several nodes ---- */

static float *normal_input(PetscInt n, uint64_t seed)
{
  float *x;

  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1((size_t)n, &x));
  make_input(x, n, 0.0, 0, seed);
  return x;
}

static void gradcheck_flow(const char *spec, PetscInt D, PetscInt B)
{
  hd_nn *net;
  float *x;

  TRY(hd_nn_create_flow(spec, D, B, &net));
  TRY(hd_nn_init(net, 7, 3, HD_INIT_AUTO));
  x = normal_input(B * D, 21); /* a few beyond the bound: the identity tails */
  gradcheck_net(net, spec, x, B, 3e-3, 600, -1);
}

static void gradcheck_deepset(const char *spec, PetscInt P, PetscInt C, PetscInt B)
{
  hd_nn *net;
  float *x;

  TRY(hd_nn_create_deepset(spec, P, C, 2, B, &net));
  TRY(hd_nn_init(net, 7, 3, HD_INIT_AUTO));
  x = normal_input(B * (P * C + 1), 22);
  for (PetscInt b = 0; b < B; b++) x[b * (P * C + 1) + P * C] = (float)((b * 3) % (P + 1)); /* sizes 0 .. P */
  gradcheck_net(net, spec, x, B, 3e-3, 600, P * C);
}

static void gradcheck_parallel(void)
{
  const char *specs[2] = {"dense 4 tanh, dense 3", "dense 5 elu, dense 3 sigmoid"}, *names[2] = {"ae1", "ae2"};
  PetscInt    shape[3] = {3, 1, 1};
  hd_nn      *net;

  TRY(hd_nn_create_parallel(specs, names, 2, shape, 3, &net));
  TRY(hd_nn_init(net, 7, 3, HD_INIT_AUTO));
  /* the input is read by both branches: its gradient must hold both contributions */
  gradcheck_net(net, "parallel: ae1 | ae2 on one input", normal_input(9, 23), 3, 1e-2, 1000, -1);
}

/* x (6) -> a = tanh dense(x[0:4]), b = sigmoid dense(x[2:6]), c = a + b, d = [c, a] (a read twice),
 * e = reverse(d), s = sum(e); outputs e and s; plus tanh(x) as a third reader of x. */
static void gradcheck_glue(void)
{
  PetscInt    shape[3] = {6, 1, 1}, v[12], in2[2];
  hd_nn      *net;
  hd_nn_node  t;
  const char *nm[1];

  TRY(PetscNew(&net));
  net->spec = NULL;
  TRY(PetscStrallocpy("glue", &net->spec));
  TRY(hd_nn_graph_begin(net, shape, 4, 12));
#define NODE(OP, NAME, NIN, IN, OUT) \
  do { \
    t.op = OP; \
    snprintf(t.name, sizeof(t.name), "%s", NAME); \
    nm[0] = NAME; \
    TRY(hd_nn_graph_node(net, &t, NIN, IN, 1, nm, NULL, OUT)); \
  } while (0)
  memset(&t, 0, sizeof(t));
  t.start = 0, t.count = 4;
  NODE(HD_OP_SLICE, "xa", 1, (PetscInt[]){0}, &v[0]);
  t.start = 2, t.count = 4;
  NODE(HD_OP_SLICE, "xb", 1, (PetscInt[]){0}, &v[1]);
  t.units = 3, t.act = HD_ACT_TANH;
  NODE(HD_OP_DENSE, "a", 1, &v[0], &v[2]);
  t.act = HD_ACT_SIGMOID;
  NODE(HD_OP_DENSE, "b", 1, &v[1], &v[3]);
  t.act = HD_ACT_IDENTITY;
  in2[0] = v[2], in2[1] = v[3];
  NODE(HD_OP_ADD, "c", 2, in2, &v[4]);
  in2[0] = v[4], in2[1] = v[2];
  NODE(HD_OP_CONCAT, "d", 2, in2, &v[5]);
  t.count = 6;
  TRY(PetscMalloc1(6, &t.perm));
  for (int k = 0; k < 6; k++) t.perm[k] = 5 - k;
  NODE(HD_OP_PERMUTE, "e", 1, &v[5], &v[6]);
  t.perm = NULL;
  NODE(HD_OP_SUM, "s", 1, &v[6], &v[7]);
  t.act = HD_ACT_TANH;
  NODE(HD_OP_ACTIVATION, "tx", 1, (PetscInt[]){0}, &v[8]);
#undef NODE
  TRY(hd_nn_graph_output(net, v[6]));
  TRY(hd_nn_graph_output(net, v[7]));
  TRY(hd_nn_graph_output(net, v[8]));
  TRY(hd_nn_graph_finish(net, "glue"));
  TRY(hd_nn_init(net, 7, 3, HD_INIT_AUTO));
  gradcheck_net(net, "slice, add, concat, permute, sum, x read 3 times", normal_input(24, 24), 4, 1e-2, 1000, -1);
}

/* A writing kernel that is not the first contributor: x (2, 5, 5) read by a conv2d and, through a
 * flatten that shares its memory, by a dense layer; both outputs are network outputs. */
static void gradcheck_two_writers(void)
{
  PetscInt    shape[3] = {2, 5, 5}, v[4];
  hd_nn      *net;
  hd_nn_node  t;
  const char *nm[1];

  TRY(PetscNew(&net));
  TRY(PetscStrallocpy("two writers", &net->spec));
  TRY(hd_nn_graph_begin(net, shape, 2, 4));
  memset(&t, 0, sizeof(t));
  t.op = HD_OP_CONV2D, t.units = 2, t.kh = t.kw = 3, t.stride = 1, t.act = HD_ACT_TANH;
  snprintf(t.name, sizeof(t.name), "conv"), nm[0] = "conv";
  TRY(hd_nn_graph_node(net, &t, 1, (PetscInt[]){0}, 1, nm, NULL, &v[0]));
  memset(&t, 0, sizeof(t));
  t.op = HD_OP_FLATTEN;
  snprintf(t.name, sizeof(t.name), "flat"), nm[0] = "flat";
  TRY(hd_nn_graph_node(net, &t, 1, (PetscInt[]){0}, 1, nm, NULL, &v[1]));
  t.op = HD_OP_DENSE, t.units = 3, t.act = HD_ACT_SIGMOID;
  snprintf(t.name, sizeof(t.name), "dense"), nm[0] = "dense";
  TRY(hd_nn_graph_node(net, &t, 1, &v[1], 1, nm, NULL, &v[2]));
  t.op = HD_OP_MAXPOOL, t.kh = t.kw = 2, t.stride = 1, t.act = HD_ACT_IDENTITY;
  snprintf(t.name, sizeof(t.name), "pool"), nm[0] = "pool";
  TRY(hd_nn_graph_node(net, &t, 1, &v[0], 1, nm, NULL, &v[3]));
  TRY(hd_nn_graph_output(net, v[0])); /* read by the pool and seeded by the loss */
  TRY(hd_nn_graph_output(net, v[2]));
  TRY(hd_nn_graph_output(net, v[3]));
  TRY(hd_nn_graph_finish(net, "two writers"));
  TRY(hd_nn_init(net, 7, 3, HD_INIT_AUTO));
  gradcheck_net(net, "conv2d and flatten-dense on one input, pooled output", normal_input(100, 25), 2, 1e-2, 1000, -1);
}

/* ---- losses ---- */

typedef enum { LOSS_CE, LOSS_BCE, LOSS_MSE } loss_kind;

static PetscErrorCode loss_eval(loss_kind k, double *loss, float *dz, float *pe, const float *z, const float *t, PetscInt ld, const float *w, PetscInt B, PetscInt K, double norm)
{
  switch (k) {
  case LOSS_CE:
    return hd_nn_loss_softmax_ce(loss, dz, pe, z, t, ld, w, B, K, norm);
  case LOSS_BCE:
    return hd_nn_loss_bce_logits(loss, dz, pe, z, t, ld, w, B, K, norm);
  case LOSS_MSE:
    return hd_nn_loss_mse(loss, dz, pe, z, t, ld, w, B, K, norm);
  }
  return PETSC_ERR_ARG_OUTOFRANGE;
}

static void losscheck(loss_kind kind, const char *name, PetscInt B, PetscInt K, int weighted, int shared_target)
{
  PetscInt ld = shared_target ? 0 : K, nt = shared_target ? K : B * K;
  float    z[64], t[64], w[16], dz[64], dz2[64], pe[16];
  double   loss, loss2, a, b, scale = 0.0, worst = 0.0, norm = 2.5 * (double)B;
  hd_rng   r;

  hd_rng_init(&r, 3, HD_STREAM_USER, (uint64_t)kind * 100 + (uint64_t)(weighted * 10 + shared_target));
  for (PetscInt i = 0; i < B * K; i++) z[i] = (float)(2.0 * hd_rng_normal(&r));
  for (PetscInt i = 0; i < nt; i++) t[i] = kind == LOSS_MSE ? (float)hd_rng_normal(&r) : (float)hd_rng_uniform(&r);
  if (kind == LOSS_CE) { /* rows summing to 1 */
    for (PetscInt b = 0; b < nt / K; b++) {
      double s = 0.0;
      for (PetscInt k = 0; k < K; k++) s += t[b * K + k];
      for (PetscInt k = 0; k < K; k++) t[b * K + k] = (float)(t[b * K + k] / s);
    }
  }
  for (PetscInt b = 0; b < B; b++) w[b] = (float)(0.5 + hd_rng_uniform(&r));
  const float *wp = weighted ? w : NULL;

  memset(dz, 0, sizeof(dz));
  TRY(loss_eval(kind, &loss, dz, pe, z, t, ld, wp, B, K, norm));
  for (PetscInt i = 0; i < B * K; i++) scale = fmax(scale, fabs(dz[i]));
  for (PetscInt i = 0; i < B * K; i++) {
    float  orig = z[i];
    double lp, lm, sp, sm, fd;

    z[i] = (float)(orig + 1e-3);
    sp   = (double)z[i] - orig;
    TRY(loss_eval(kind, &lp, NULL, NULL, z, t, ld, wp, B, K, norm));
    z[i] = (float)(orig - 1e-3);
    sm   = (double)z[i] - orig;
    TRY(loss_eval(kind, &lm, NULL, NULL, z, t, ld, wp, B, K, norm));
    z[i] = orig;
    fd   = (lp - lm) / (sp - sm);
    worst = fmax(worst, fabs(fd - dz[i]) / (1e-4 * fabs(dz[i]) + 1e-6 * scale + 1e-15));
  }
  printf("%-24s B %d K %d weighted %d shared target %d: %d checked, worst %.3f\n", name, (int)B, (int)K, weighted, shared_target, (int)(B * K), worst);
  CHECK(worst <= 1.0, "%s: gradient off finite differences (worst error %.2f x tolerance)", name, worst);

  /* per-event values: (1/norm) sum w_b l_b is the loss */
  a = 0.0;
  for (PetscInt b = 0; b < B; b++) a += (wp ? w[b] : 1.0) * pe[b];
  CHECK(fabs(a / norm - loss) <= 1e-6 * fabs(loss), "%s: per-event losses do not add up to the loss (%g vs %g)", name, a / norm, loss);

  /* shards: two halves with the global norm add up to the whole batch, gradients bit for bit */
  {
    PetscInt s = B / 2;
    memset(dz2, 0, sizeof(dz2));
    TRY(loss_eval(kind, &a, dz2, NULL, z, t, ld, wp, s, K, norm));
    TRY(loss_eval(kind, &b, dz2 + s * K, NULL, z + s * K, shared_target ? t : t + s * K, ld, wp ? wp + s : NULL, B - s, K, norm));
    CHECK(fabs(a + b - loss) <= 1e-12 * fabs(loss), "%s: shard losses %.17g + %.17g != %.17g", name, a, b, loss);
    CHECK(!memcmp(dz, dz2, (size_t)(B * K) * sizeof(float)), "%s: shard gradients differ from the whole batch's", name);
  }
  /* the gradient accumulates */
  TRY(loss_eval(kind, &loss2, dz2, NULL, z, t, ld, wp, B, K, norm));
  {
    int ok = 1;
    for (PetscInt i = 0; i < B * K; i++) ok &= dz2[i] == 2.0f * dz[i];
    CHECK(ok && loss2 == loss, "%s: a second call did not add the same gradient", name);
  }
}

/* Closed forms. Seed 000, eq. (2): CE of two logits against the uniform target is
 * -((p1 + p2) / 2 - log(e^p1 + e^p2)). BCE at z = 0 is log 2; MSE of (1, -2) to 0 is 2.5. */
static void loss_values(void)
{
  float  z[2] = {0.3f, -1.2f}, u[2] = {0.5f, 0.5f}, zero[2] = {0.0f, 0.0f}, half[2] = {0.5f, 0.5f}, m[2] = {1.0f, -2.0f};
  double l, want = -(((double)z[0] + (double)z[1]) / 2.0 - log(exp((double)z[0]) + exp((double)z[1])));

  TRY(hd_nn_loss_softmax_ce(&l, NULL, NULL, z, u, 0, NULL, 1, 2, 1.0));
  CHECK(fabs(l - want) < 1e-12, "softmax CE against the uniform target: %.15g, eq. (2) of seed 000 gives %.15g", l, want);
  TRY(hd_nn_loss_bce_logits(&l, NULL, NULL, zero, half, 2, NULL, 1, 2, 1.0));
  CHECK(fabs(l - log(2.0)) < 1e-12, "BCE at z = 0: %.15g, want log 2", l);
  TRY(hd_nn_loss_mse(&l, NULL, NULL, m, zero, 0, NULL, 1, 2, 1.0));
  CHECK(fabs(l - 2.5) < 1e-12, "MSE of (1, -2) to 0: %g, want 2.5", l);
  /* BCE stays finite far out in the tails, where log(sigmoid) would overflow */
  {
    float big[2] = {200.0f, -200.0f}, y[2] = {0.0f, 1.0f};
    TRY(hd_nn_loss_bce_logits(&l, NULL, NULL, big, y, 2, NULL, 1, 2, 1.0));
    CHECK(fabs(l - 200.0) < 1e-9, "BCE of wrong logits +-200: %g, want 200", l);
  }
  /* an empty shard contributes nothing */
  TRY(hd_nn_loss_mse(&l, NULL, NULL, NULL, NULL, 2, NULL, 0, 2, 10.0));
  CHECK(l == 0.0, "MSE of an empty shard is %g", l);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));

  /* graphs */
  gradcheck_glue();
  gradcheck_two_writers();
  gradcheck_parallel();
  gradcheck_flow("maf 2 layers, made 2x8, 4 knots, bound 2", 3, 4);
  gradcheck_flow("maf 1 layers, made 1x5, 3 knots, bound 1.5, tanh", 1, 3);
  gradcheck_deepset("pfn phi 6,5 f 4", 4, 3, 5);
  gradcheck_deepset("pfn phi 5 f 4,3 mean tanh", 3, 2, 4);

  /* each activation on its own; inputs kept 0.1 away from the kinks */
  gradcheck("identity", 2, 3, 3, 3, 0.1, 0, 1e-2, 1000);
  gradcheck("relu", 2, 3, 3, 3, 0.1, 0, 1e-2, 1000);
  gradcheck("elu", 2, 3, 3, 3, 0.1, 0, 1e-2, 1000);
  gradcheck("elu:0.5", 2, 3, 3, 3, 0.1, 0, 1e-2, 1000);
  gradcheck("leakyrelu:0.1", 2, 3, 3, 3, 0.1, 0, 1e-2, 1000);
  gradcheck("sigmoid", 2, 3, 3, 3, 0.0, 0, 1e-2, 1000);
  gradcheck("tanh", 2, 3, 3, 3, 0.0, 0, 1e-2, 1000);
  /* dense with each fused activation */
  gradcheck("dense 5 identity", 4, 1, 1, 3, 0.0, 0, 1e-2, 1000);
  gradcheck("dense 6 relu, dense 3", 4, 1, 1, 3, 0.0, 0, 3e-3, 1000);
  gradcheck("dense 6 elu, dense 3 elu", 4, 1, 1, 3, 0.0, 0, 3e-3, 1000);
  gradcheck("dense 6 leakyrelu:0.2, dense 3", 4, 1, 1, 3, 0.0, 0, 3e-3, 1000);
  gradcheck("dense 6 sigmoid, dense 3 sigmoid", 4, 1, 1, 3, 0.0, 0, 1e-2, 1000);
  gradcheck("dense 6 tanh, dense 3 tanh", 4, 1, 1, 3, 0.0, 0, 1e-2, 1000);
  /* without biases */
  nobias_layers();
  gradcheck("dense 6 tanh nobias, dense 3 nobias", 4, 1, 1, 3, 0.0, 0, 1e-2, 1000);
  gradcheck("dense 6 relu nobias, dense 5 elu, dense 3 sigmoid nobias", 4, 1, 1, 3, 0.0, 0, 3e-3, 1000);
  /* conv2d: stride and padding variants, rectangular and pointwise kernels */
  gradcheck("conv 3 3x3 tanh", 2, 6, 5, 2, 0.0, 0, 1e-2, 1000);
  gradcheck("conv 3 3x3 s2 p1 tanh", 2, 7, 6, 2, 0.0, 0, 1e-2, 1000);
  gradcheck("conv 2 5x3 p2 sigmoid", 2, 5, 6, 2, 0.0, 0, 1e-2, 1000);
  gradcheck("conv 2 3x3 s3 p1 identity", 3, 8, 7, 2, 0.0, 0, 1e-2, 1000);
  gradcheck("conv 4 1x1 tanh", 3, 4, 4, 2, 0.0, 0, 1e-2, 1000);
  gradcheck("conv 3 2x2 s2 relu", 2, 6, 6, 2, 0.0, 0, 3e-3, 1000);
  /* max-pool (inputs on a grid, so winners are unique), overlapping and gapped windows */
  gradcheck("maxpool 2", 2, 6, 6, 2, 0.0, 1, 1e-2, 1000);
  gradcheck("maxpool 3 s2", 2, 7, 7, 2, 0.0, 1, 1e-2, 1000);
  gradcheck("maxpool 2 s3", 1, 8, 7, 2, 0.0, 1, 1e-2, 1000);
  gradcheck("maxpool 2", 1, 4, 19, 2, 0.0, 1, 1e-2, 1000);     /* 9 outputs a row: vector path */
  gradcheck("maxpool 3 s2", 1, 5, 21, 2, 0.0, 1, 1e-2, 1000);  /* 10 outputs a row, overlapping */
  /* flatten between conv and dense, and a whole small CNN with kinks */
  gradcheck("flatten, dense 3 tanh", 2, 3, 2, 2, 0.0, 0, 1e-2, 1000);
  gradcheck("conv 2 3x3 tanh, flatten, dense 3 tanh", 2, 5, 5, 2, 0.0, 0, 1e-2, 1000);
  gradcheck("conv 4 3x3 p1 relu, maxpool 2, conv 3 3x3 elu, flatten, dense 5 leakyrelu, dense 3", 2, 8, 8, 3, 0.0, 0, 3e-3, 400);

  loss_values();
  for (int weighted = 0; weighted < 2; weighted++) {
    for (int shared = 0; shared < 2; shared++) {
      losscheck(LOSS_CE, "softmax cross-entropy", 6, 4, weighted, shared);
      losscheck(LOSS_BCE, "bce with logits", 6, 3, weighted, shared);
      losscheck(LOSS_MSE, "mean squared error", 6, 5, weighted, shared);
    }
  }
  losscheck(LOSS_BCE, "bce with logits (K = 1)", 8, 1, 1, 0);

  printf("%s: %d failure(s)\n", failures ? "FAILED" : "passed", failures);
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
