/* Networks: spec parsing and shapes, the parameter table, bad specs, batch limits, the
 * initialisation's addressing (same (seed, member) -> same weights, whatever else changes) and
 * statistics, and a chain giving bit for bit what its layer kernels called in sequence give
 * (the graph adds nothing to a chain's arithmetic). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <hadal/nn.h>
#include <hadal/rng.h>
#include "check.h"

static void check_table(const hd_nn *net, const char *what)
{
  PetscInt off = 0;

  for (PetscInt t = 0; t < net->n_tensors; t++) {
    CHECK(net->tensors[t].offset == off, "%s: tensor %s at offset %d, expected %d (packed)", what, net->tensors[t].name, (int)net->tensors[t].offset, (int)off);
    off += net->tensors[t].size;
  }
  CHECK(off == net->n_params && hd_nn_parameter_count(net) == off, "%s: tensors hold %d floats, the network says %d", what, (int)off, (int)net->n_params);
}

static void test_shapes(void)
{
  PetscInt shape_svdd[3] = {69, 1, 1}, shape_img[3] = {1, 40, 40};
  hd_nn   *net, *again;

  /* seed 003's Deep SVDD network */
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_create("dense 512 elu, dense 256 elu, dense 128 elu, dense 34 identity", shape_svdd, 100, &net));
  CHECK(net->n_nodes == 4 && net->out_size == 34, "svdd: %d layers, output %d", (int)net->n_nodes, (int)net->out_size);
  CHECK(net->n_params == 69 * 512 + 512 + 512 * 256 + 256 + 256 * 128 + 128 + 128 * 34 + 34, "svdd: %d parameters", (int)net->n_params);
  CHECK(net->tensors[0].ndim == 2 && net->tensors[0].shape[0] == 512 && net->tensors[0].shape[1] == 69, "svdd: first weight is not (512, 69)");
  check_table(net, "svdd");
  /* the canonical spec rebuilds the same network */
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_create(net->spec, shape_svdd, 1, &again));
  CHECK(!strcmp(again->spec, net->spec) && again->n_params == net->n_params, "svdd: canonical spec '%s' does not rebuild the network", net->spec);
  hd_nn_destroy(&again);
  hd_nn_destroy(&net);

  /* the cnn benchmark network */
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_create("conv 8 3x3 relu, maxpool 2, conv 16 3x3 relu, maxpool 2, flatten, dense 64 relu, dense 2", shape_img, 10, &net));
  {
    static const PetscInt want[7][3] = {{8, 38, 38}, {8, 19, 19}, {16, 17, 17}, {16, 8, 8}, {1024, 1, 1}, {64, 1, 1}, {2, 1, 1}};
    for (PetscInt l = 0; l < 7; l++)
      CHECK(net->values[net->nodes[l].out[0]].shape[0] == want[l][0] && net->values[net->nodes[l].out[0]].shape[1] == want[l][1] && net->values[net->nodes[l].out[0]].shape[2] == want[l][2], "cnn layer %d: output (%d, %d, %d)", (int)l, (int)net->values[net->nodes[l].out[0]].shape[0], (int)net->values[net->nodes[l].out[0]].shape[1], (int)net->values[net->nodes[l].out[0]].shape[2]);
  }
  CHECK(net->n_params == 8 * 9 + 8 + 16 * 8 * 9 + 16 + 1024 * 64 + 64 + 64 * 2 + 2, "cnn: %d parameters", (int)net->n_params);
  CHECK(net->tensors[2].ndim == 4 && net->tensors[2].shape[0] == 16 && net->tensors[2].shape[1] == 8 && net->tensors[2].shape[2] == 3, "cnn: second conv weight is not (16, 8, 3, 3)");
  check_table(net, "cnn");
  /* a batch of 0 events (an empty shard) is a no-op, a batch over the maximum an error */
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_forward(net, NULL, 0));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_backward(net, NULL));
  {
    float          x[1];
    PetscErrorCode ierr;

    PetscCallAbort(PETSC_COMM_SELF, PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = hd_nn_forward(net, x, 11);
    PetscCallAbort(PETSC_COMM_SELF, PetscPopErrorHandler());
    CHECK(ierr == HD_ERR_USER_INPUT, "a batch over the maximum gave error %d", (int)ierr);
  }
  hd_nn_destroy(&net);
}

static void test_bad_specs(void)
{
  static const struct {
    const char *spec;
    PetscInt    shape[3];
  } bad[] = {
    {"", {4, 1, 1}},
    {"dense", {4, 1, 1}},
    {"dense 0", {4, 1, 1}},
    {"dense -3", {4, 1, 1}},
    {"dense 5x", {4, 1, 1}},
    {"dense 5 foo", {4, 1, 1}},
    {"dense 5 relu relu", {4, 1, 1}},
    {"dense 5", {1, 8, 8}},        /* not flat */
    {"conv 8 3x3 relu", {4, 1, 1}}, /* kernel larger than the input */
    {"conv 8 3x3 s0", {1, 8, 8}},
    {"conv 8 axb", {1, 8, 8}},
    {"conv 8", {1, 8, 8}},
    {"maxpool 5", {1, 4, 4}},
    {"maxpool 2 p1", {1, 4, 4}},
    {"dense 4,, dense 3", {4, 1, 1}},
    {"dense 4,", {4, 1, 1}},
    {"elu:-1", {4, 1, 1}},
    {"leakyrelu:-0.1", {4, 1, 1}},
    {"relu:0.5", {4, 1, 1}},
    {"elu:x", {4, 1, 1}},
    {"flatten 3", {4, 1, 1}},
    {"softmax", {4, 1, 1}},
    {"dense 4", {0, 1, 1}},
    {"dense 100000", {100000, 1, 1}}, /* 1e10 parameters */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    hd_nn         *net = NULL;
    PetscErrorCode ierr;

    PetscCallAbort(PETSC_COMM_SELF, PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = hd_nn_create(bad[i].spec, bad[i].shape, 4, &net);
    PetscCallAbort(PETSC_COMM_SELF, PetscPopErrorHandler());
    CHECK(ierr == HD_ERR_USER_INPUT && net == NULL, "spec '%s' was not rejected as bad input (error %d)", bad[i].spec, (int)ierr);
  }
}

static void test_init(void)
{
  PetscInt shape[3] = {69, 1, 1};
  hd_nn   *a, *b, *c;
  int      same = 1, differs = 0;

  PetscCallAbort(PETSC_COMM_SELF, hd_nn_create("dense 512 elu, dense 256 tanh, dense 34", shape, 4, &a));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_create("dense 512 elu, dense 256 tanh, dense 34", shape, 1000, &b));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_init(a, 2024, 5, HD_INIT_AUTO));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_init(b, 2024, 5, HD_INIT_AUTO));
  for (PetscInt i = 0; i < a->n_params; i++) same &= a->params[i] == b->params[i];
  CHECK(same, "init: the same (seed, member) gave different weights");
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_init(b, 2024, 6, HD_INIT_AUTO));
  for (PetscInt i = 0; i < a->tensors[0].size; i++) differs += a->params[i] != b->params[i];
  CHECK(differs > a->tensors[0].size * 9 / 10, "init: members 5 and 6 share %d of %d first-layer weights", (int)(a->tensors[0].size - differs), (int)a->tensors[0].size);

  /* addressing: weight 0 of layer l is the first draw of (seed, HD_STREAM_INIT, member << 16 | l) */
  for (PetscInt l = 0; l < a->n_nodes; l++) {
    const hd_nn_tensor *W = &a->tensors[a->nodes[l].weight];
    double              fan_in = (double)W->shape[1], fan_out = (double)W->shape[0];
    double              bound = a->nodes[l].act == HD_ACT_ELU ? sqrt(6.0 / fan_in) : sqrt(6.0 / (fan_in + fan_out));
    hd_rng              r;
    double              s2 = 0.0, wmax = 0.0;
    float               want;
    int                 zero_bias = 1;

    hd_rng_init(&r, 2024, HD_STREAM_INIT, ((uint64_t)5 << 16) | (uint64_t)l);
    want = (float)(bound * (2.0 * hd_rng_uniform(&r) - 1.0));
    CHECK(a->params[W->offset] == want, "init layer %d: first weight %.9g, the stream gives %.9g", (int)l, (double)a->params[W->offset], (double)want);
    for (PetscInt i = 0; i < W->size; i++) {
      double w = a->params[W->offset + i];
      s2 += w * w;
      wmax = fmax(wmax, fabs(w));
    }
    s2 /= (double)W->size;
    /* U(-b, b): variance b^2/3, so 2/fan_in (He) or 2/(fan_in + fan_out) (Glorot) */
    CHECK(wmax <= bound && fabs(s2 / (bound * bound / 3.0) - 1.0) < 0.1, "init layer %d: max |w| %g (bound %g), variance ratio %g", (int)l, wmax, bound, s2 / (bound * bound / 3.0));
    for (PetscInt i = 0; i < a->tensors[a->nodes[l].bias].size; i++) zero_bias &= a->params[a->tensors[a->nodes[l].bias].offset + i] == 0.0f;
    CHECK(zero_bias, "init layer %d: bias not zero", (int)l);
  }
  /* the normal schemes: variance 2/fan_in and 2/(fan_in + fan_out) */
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_create("dense 512, dense 256", shape, 1, &c));
  for (int k = 0; k < 2; k++) {
    hd_nn_init_scheme s  = k ? HD_INIT_GLOROT_NORMAL : HD_INIT_HE_NORMAL;
    double            v  = 0.0, m = 0.0, want = k ? 2.0 / (69.0 + 512.0) : 2.0 / 69.0;
    PetscInt          n  = c->tensors[0].size;

    PetscCallAbort(PETSC_COMM_SELF, hd_nn_init(c, 1, 0, s));
    for (PetscInt i = 0; i < n; i++) {
      m += c->params[i];
      v += (double)c->params[i] * c->params[i];
    }
    CHECK(fabs(m / n) < 0.05 * sqrt(want) && fabs(v / n / want - 1.0) < 0.05, "init %s: mean %g, variance %g (want %g)", k ? "glorot-normal" : "he-normal", m / n, v / n, want);
  }
  hd_nn_destroy(&a);
  hd_nn_destroy(&b);
  hd_nn_destroy(&c);
}

/* A value must not depend on where it sits in its buffer (shard boundaries move events around):
 * every activation, forward and backward, on a 1000-float array and on every slice of it that
 * starts and ends at other vector phases, gives the same bits. */
static void test_position_independence(void)
{
  enum { N = 1000 };
  static float x[N], y[N], g[N], d[N], ys[N], ds[N];
  hd_rng       r;

  hd_rng_init(&r, 8, HD_STREAM_USER, 0);
  for (int i = 0; i < N; i++) {
    x[i] = (float)(3.0 * hd_rng_normal(&r));
    g[i] = (float)hd_rng_normal(&r);
  }
  for (int a = HD_ACT_IDENTITY; a <= HD_ACT_TANH; a++) {
    int same = 1;

    hd_nn_act_forward(y, x, N, (hd_nn_act)a, 0.3f);
    hd_nn_act_backward(d, g, y, N, (hd_nn_act)a, 0.3f);
    for (int off = 1; off < 20; off++) {
      for (int len = 1; len < 40; len += 3) {
        hd_nn_act_forward(ys + off, x + off, (size_t)len, (hd_nn_act)a, 0.3f);
        hd_nn_act_backward(ds + off, g + off, y + off, (size_t)len, (hd_nn_act)a, 0.3f);
        same &= !memcmp(ys + off, y + off, (size_t)len * sizeof(float)) && !memcmp(ds + off, d + off, (size_t)len * sizeof(float));
      }
    }
    CHECK(same, "activation %s: a slice of an array does not give the same bits as the whole array", hd_nn_act_name((hd_nn_act)a));
  }
}

/* Runs net on x with output gradient r and compares with the reference, bit for bit. */
static void same_as_reference(hd_nn *net, const char *what, const float *x, const float *r, PetscInt B, const float *out, const float *grads, const float *din_ref)
{
  float *din;

  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1((size_t)(B * net->in_size), &din));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_forward(net, x, B));
  CHECK(!memcmp(net->output, out, sizeof(float) * (size_t)(B * net->out_size)), "%s: output differs from the kernels in sequence", what);
  memcpy(net->dout, r, sizeof(float) * (size_t)(B * net->out_size));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_backward(net, din));
  CHECK(!memcmp(net->grads, grads, sizeof(float) * (size_t)net->n_params), "%s: parameter gradients differ from the kernels in sequence", what);
  CHECK(!memcmp(din, din_ref, sizeof(float) * (size_t)(B * net->in_size)), "%s: input gradient differs from the kernels in sequence", what);
  PetscFree(din);
}

/* The sequence of kernel calls a chain stands for, done by hand: outputs, parameter gradients
 * and the input gradient must be the network's bit for bit. Dense (ELU, ReLU, identity) and a
 * small CNN (conv2d tanh, max-pool, flatten, dense sigmoid). */
static void test_chain_equals_kernels(void)
{
  enum { B = 5 };
  PetscInt shape_d[3] = {7, 1, 1}, shape_c[3] = {2, 6, 6};
  hd_nn   *d, *c;
  float    x[B * 72], r[B * 16], rdin[B * 72], h1[B * 108], h2[B * 27], h3[B * 16], g1[B * 108], g2[B * 27], g3[B * 16], col[2 * 9 * 36];
  float   *gr;
  int32_t  arg[B * 27];
  hd_rng   rng;

  hd_rng_init(&rng, 3, HD_STREAM_USER, 7);
  for (int i = 0; i < B * 72; i++) x[i] = (float)hd_rng_normal(&rng);
  for (int i = 0; i < B * 16; i++) r[i] = (float)hd_rng_normal(&rng);

  PetscCallAbort(PETSC_COMM_SELF, hd_nn_create("dense 16 elu, dense 8 relu, dense 3", shape_d, B, &d));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_init(d, 5, 1, HD_INIT_AUTO));
  for (PetscInt i = 0; i < d->n_params; i++) d->params[i] += 0.05f * (float)hd_rng_normal(&rng);
  PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(d->n_params, &gr));
  {
    const float *p = d->params;
    const hd_nn_tensor *T = d->tensors;

    hd_nn_dense_forward(h1, x, p + T[0].offset, p + T[1].offset, B, 7, 16, HD_ACT_ELU, 1.0f);
    hd_nn_dense_forward(h2, h1, p + T[2].offset, p + T[3].offset, B, 16, 8, HD_ACT_RELU, 0.0f);
    hd_nn_dense_forward(h3, h2, p + T[4].offset, p + T[5].offset, B, 8, 3, HD_ACT_IDENTITY, 0.0f);
    memcpy(g3, r, sizeof(float) * B * 3);
    hd_nn_dense_backward(g2, gr + T[4].offset, gr + T[5].offset, g3, h3, h2, p + T[4].offset, B, 8, 3, HD_ACT_IDENTITY, 0.0f);
    hd_nn_dense_backward(g1, gr + T[2].offset, gr + T[3].offset, g2, h2, h1, p + T[2].offset, B, 16, 8, HD_ACT_RELU, 0.0f);
    hd_nn_dense_backward(rdin, gr + T[0].offset, gr + T[1].offset, g1, h1, x, p + T[0].offset, B, 7, 16, HD_ACT_ELU, 1.0f);
  }
  same_as_reference(d, "dense chain", x, r, B, h3, gr, rdin);
  PetscFree(gr);
  hd_nn_destroy(&d);

  PetscCallAbort(PETSC_COMM_SELF, hd_nn_create("conv 3 3x3 p1 tanh, maxpool 2, flatten, dense 4 sigmoid", shape_c, B, &c));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_init(c, 5, 2, HD_INIT_AUTO));
  for (PetscInt i = 0; i < c->n_params; i++) c->params[i] += 0.05f * (float)hd_rng_normal(&rng);
  PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(c->n_params, &gr));
  {
    const float        *p = c->params;
    const hd_nn_tensor *T = c->tensors;
    hd_nn_conv2d_geom   g = {2, 6, 6, 3, 3, 3, 1, 1, 0, 0};

    PetscCallAbort(PETSC_COMM_SELF, hd_nn_conv2d_shape(&g, "test"));
    hd_nn_conv2d_forward(h1, x, p + T[0].offset, p + T[1].offset, col, B, &g, HD_ACT_TANH, 0.0f);
    hd_nn_maxpool_forward(h2, arg, h1, B, 3, 6, 6, 2, 2);
    hd_nn_dense_forward(h3, h2, p + T[2].offset, p + T[3].offset, B, 27, 4, HD_ACT_SIGMOID, 0.0f);
    memcpy(g3, r, sizeof(float) * B * 4);
    hd_nn_dense_backward(g2, gr + T[2].offset, gr + T[3].offset, g3, h3, h2, p + T[2].offset, B, 27, 4, HD_ACT_SIGMOID, 0.0f);
    hd_nn_maxpool_backward(g1, g2, arg, B, 3, 6, 6, 3, 3);
    hd_nn_conv2d_backward(rdin, gr + T[0].offset, gr + T[1].offset, g1, h1, x, p + T[0].offset, col, B, &g, HD_ACT_TANH, 0.0f);
  }
  same_as_reference(c, "cnn chain", x, r, B, h3, gr, rdin);
  PetscFree(gr);
  hd_nn_destroy(&c);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  test_shapes();
  test_bad_specs();
  test_init();
  test_position_independence();
  test_chain_equals_kernels();
  printf("%s: %d failure(s)\n", failures ? "FAILED" : "passed", failures);
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
