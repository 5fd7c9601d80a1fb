/* The network graph beyond gradients (test_nn_gradcheck.c has those): outputs by index and name,
 * a flow's log-determinant against log |det| of a finite-difference Jacobian of z(x), the MADE
 * autoregressive property of one flow layer (dz_i/dx_j = 0 exactly for j > i), parallel chains
 * equal to the chains on their own, model files version 2 for every builder (the same graph, the
 * same parameters and outputs bit for bit) and version-1 files still read.
 * Argument: a scratch folder. */
#include <errno.h>
#include <math.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <hadal/h5.h>
#include <hadal/model.h>
#include <hadal/rng.h>
#include "check.h"

#define OK(expr) PetscCallAbort(PETSC_COMM_SELF, (expr))

static void randomise(hd_nn *net, uint64_t seed, double bias_scale)
{
  hd_rng r;

  OK(hd_nn_init(net, seed, 1, HD_INIT_AUTO));
  hd_rng_init(&r, seed, HD_STREAM_USER, 9);
  for (PetscInt t = 0; t < net->n_tensors; t++)
    if (strstr(net->tensors[t].name, "bias"))
      for (PetscInt i = 0; i < net->tensors[t].size; i++) net->params[net->tensors[t].offset + i] = (float)(bias_scale * hd_rng_normal(&r));
}

static float *draw(PetscInt n, uint64_t seed, double scale)
{
  float *x;
  hd_rng r;

  OK(PetscMalloc1((size_t)n, &x));
  hd_rng_init(&r, seed, HD_STREAM_USER, 3);
  for (PetscInt i = 0; i < n; i++) x[i] = (float)(scale * hd_rng_normal(&r));
  return x;
}

static void test_outputs(void)
{
  PetscInt shape[3] = {5, 1, 1}, k = -1;
  hd_nn   *chain, *flow;

  OK(hd_nn_create("dense 4 relu, dense 2", shape, 3, &chain));
  CHECK(hd_nn_output_count(chain) == 1 && hd_nn_output_size(chain, 0) == 2, "chain: %d outputs of size %d", (int)hd_nn_output_count(chain), (int)hd_nn_output_size(chain, 0));
  OK(hd_nn_output_index(chain, "output", &k));
  CHECK(k == 0 && hd_nn_output_grad(chain, 0) == chain->dout, "chain: output 'output' is not output 0 / net->dout");
  expect_error(hd_nn_output_index(chain, "z", &k), "no output 'z'", "chain has no output z");
  OK(hd_nn_create_flow("maf 2 layers, made 1x8, 4 knots, bound 2", 3, 3, &flow));
  CHECK(hd_nn_output_count(flow) == 2 && hd_nn_output_size(flow, 0) == 3 && hd_nn_output_size(flow, 1) == 1, "flow: outputs z (3) and logdet (1) expected");
  OK(hd_nn_output_index(flow, "logdet", &k));
  CHECK(k == 1, "flow: logdet is output %d", (int)k);
  CHECK(!strcmp(flow->spec, "maf 2 layers, made 1x8, 4 knots, bound 2"), "flow: canonical spec '%s'", flow->spec);
  {
    float *x = draw(6, 1, 1.0);

    OK(hd_nn_forward(flow, x, 2));
    CHECK(hd_nn_output(flow, 0) == flow->output && hd_nn_output(flow, 1) != NULL, "flow: output pointers");
    PetscFree(x);
  }
  hd_nn_destroy(&chain);
  hd_nn_destroy(&flow);
}

/* z(x) and the network's logdet for one event, in double. */
static void flow_eval(hd_nn *net, const float *x, double *z, double *ld)
{
  OK(hd_nn_forward(net, x, 1));
  for (PetscInt i = 0; i < net->out_size; i++) z[i] = hd_nn_output(net, 0)[i];
  if (ld) *ld = hd_nn_output(net, 1)[0];
}

/* log |det J| by Gaussian elimination with partial pivoting (J is n x n, destroyed). */
static double logabsdet(double *J, PetscInt n)
{
  double s = 0.0;

  for (PetscInt c = 0; c < n; c++) {
    PetscInt p = c;

    for (PetscInt r = c + 1; r < n; r++)
      if (fabs(J[r * n + c]) > fabs(J[p * n + c])) p = r;
    for (PetscInt k = 0; k < n; k++) {
      double t     = J[c * n + k];
      J[c * n + k] = J[p * n + k];
      J[p * n + k] = t;
    }
    s += log(fabs(J[c * n + c]));
    for (PetscInt r = c + 1; r < n; r++) {
      double f = J[r * n + c] / J[c * n + c];

      for (PetscInt k = c; k < n; k++) J[r * n + k] -= f * J[c * n + k];
    }
  }
  return s;
}

/* The total logdet against a central-difference Jacobian of z(x); events inside and outside the
 * spline's interval. */
static void test_flow_logdet(void)
{
  const PetscInt D = 4;
  hd_nn         *net;
  double         z0[4], zp[4], zm[4], J[16], ld, worst = 0.0;
  float         *x = draw(5 * D, 2, 1.2);

  OK(hd_nn_create_flow("maf 3 layers, made 2x16, 6 knots, bound 2.5, tanh", D, 1, &net));
  randomise(net, 5, 0.3);
  for (PetscInt e = 0; e < 5; e++) {
    float *xe = x + e * D;

    flow_eval(net, xe, z0, &ld);
    for (PetscInt j = 0; j < D; j++) {
      float  orig = xe[j];
      double hp, hm;

      xe[j] = orig + 1e-3f;
      hp    = (double)xe[j] - orig;
      flow_eval(net, xe, zp, NULL);
      xe[j] = orig - 1e-3f;
      hm    = (double)xe[j] - orig;
      flow_eval(net, xe, zm, NULL);
      xe[j] = orig;
      for (PetscInt i = 0; i < D; i++) J[i * D + j] = (zp[i] - zm[i]) / (hp - hm);
    }
    {
      double num = logabsdet(J, D);

      worst = fmax(worst, fabs(num - ld));
      CHECK(fabs(num - ld) < 2e-3 * fmax(1.0, fabs(num)), "flow logdet, event %d: network %.6f, log|det| of the numerical Jacobian %.6f", (int)e, ld, num);
    }
  }
  printf("flow logdet vs numerical Jacobian: worst |difference| %.2e over 5 events\n", worst);
  PetscFree(x);
  hd_nn_destroy(&net);
}

/* One flow layer is autoregressive: z_i depends on x_0..x_i only, and on x_i through the spline. */
static void test_made_triangular(void)
{
  const PetscInt D = 5;
  hd_nn         *net;
  double         z0[5], z1[5];
  float         *x = draw(D, 3, 0.8);
  int            above = 0, below = 0, diag = 0;

  OK(hd_nn_create_flow("maf 1 layers, made 2x12, 5 knots, bound 3", D, 1, &net));
  randomise(net, 6, 0.5);
  flow_eval(net, x, z0, NULL);
  for (PetscInt j = 0; j < D; j++) {
    float orig = x[j];

    x[j] = orig + 0.05f;
    flow_eval(net, x, z1, NULL);
    x[j] = orig;
    for (PetscInt i = 0; i < D; i++) {
      if (i < j) above += z1[i] != z0[i]; /* must be exactly unchanged */
      if (i > j) below += z1[i] != z0[i];
      if (i == j) diag += z1[i] != z0[i];
    }
  }
  CHECK(above == 0, "MADE: %d outputs z_i changed with an input x_j, j > i", above);
  CHECK(diag == D, "MADE: only %d of %d outputs depend on their own input", diag, (int)D);
  CHECK(below >= D * (D - 1) / 2 - 1, "MADE: only %d of %d outputs depend on earlier inputs", below, (int)(D * (D - 1) / 2));
  printf("MADE layer: %d entries above the diagonal changed (want 0), %d of %d below did\n", above, below, (int)(D * (D - 1) / 2));
  PetscFree(x);
  hd_nn_destroy(&net);
}

/* Two chains in one model give what each chain gives on its own with the same weights. */
static void test_parallel(void)
{
  const char *specs[2] = {"dense 6 relu, dense 2, dense 6 relu, dense 4", "dense 3 tanh, dense 4 sigmoid"}, *names[2] = {"ae1", "ae2"};
  PetscInt    shape[3] = {4, 1, 1}, B = 3, k;
  hd_nn      *par, *one[2];
  float      *x = draw(B * 4, 4, 1.0), *din_par, *din_sum;

  OK(hd_nn_create_parallel(specs, names, 2, shape, B, &par));
  randomise(par, 7, 0.1);
  CHECK(!strcmp(par->tensors[0].name, "ae1.layer0.weight") && !strcmp(par->tensors[par->n_tensors - 1].name, "ae2.layer1.bias"), "parallel: tensor names '%s' ... '%s'", par->tensors[0].name, par->tensors[par->n_tensors - 1].name);
  OK(hd_nn_output_index(par, "ae2", &k));
  CHECK(k == 1, "parallel: output 'ae2' is %d", (int)k);
  OK(PetscCalloc1(B * 4, &din_par));
  OK(PetscCalloc1(B * 4, &din_sum));
  OK(hd_nn_forward(par, x, B));
  for (PetscInt o = 0; o < 2; o++)
    for (PetscInt i = 0; i < B * hd_nn_output_size(par, o); i++) hd_nn_output_grad(par, o)[i] = 1.0f + 0.1f * (float)i;
  OK(hd_nn_backward(par, din_par));
  for (PetscInt o = 0; o < 2; o++) {
    PetscInt off = par->tensors[o ? 8 : 0].offset;
    float   *din;

    OK(hd_nn_create(specs[o], shape, B, &one[o]));
    memcpy(one[o]->params, par->params + off, (size_t)one[o]->n_params * sizeof(float));
    OK(hd_nn_forward(one[o], x, B));
    CHECK(!memcmp(one[o]->output, hd_nn_output(par, o), (size_t)(B * one[o]->out_size) * sizeof(float)), "parallel: branch %d output differs from the chain on its own", (int)o);
    for (PetscInt i = 0; i < B * one[o]->out_size; i++) one[o]->dout[i] = 1.0f + 0.1f * (float)i;
    OK(PetscMalloc1(B * 4, &din));
    OK(hd_nn_backward(one[o], din));
    for (PetscInt i = 0; i < B * 4; i++) din_sum[i] += din[i];
    CHECK(!memcmp(one[o]->grads, par->grads + off, (size_t)one[o]->n_params * sizeof(float)), "parallel: branch %d gradients differ from the chain on its own", (int)o);
    PetscFree(din);
    hd_nn_destroy(&one[o]);
  }
  {
    double worst = 0.0;

    for (PetscInt i = 0; i < B * 4; i++) worst = fmax(worst, fabs(din_par[i] - din_sum[i]) / (1e-6 + fabs(din_sum[i])));
    CHECK(worst < 1e-5, "parallel: the input gradient is not the sum of the branches' (worst relative %.2e)", worst);
  }
  PetscFree(x);
  PetscFree(din_par);
  PetscFree(din_sum);
  hd_nn_destroy(&par);
}

/* Writes, reads back and compares: spec, parameters and every output bit for bit. */
static void roundtrip(const char *dir, const char *what, hd_nn *net, const float *x, PetscInt B)
{
  char   path[PETSC_MAX_PATH_LEN];
  hd_nn *back = NULL;

  snprintf(path, sizeof(path), "%s/graph_%s.h5", dir, what);
  OK(hd_model_write(path, net, NULL));
  OK(hd_model_read(path, B, &back));
  CHECK(!strcmp(back->spec, net->spec) && back->builder == net->builder, "%s: read back as '%s'", what, back->spec);
  CHECK(back->n_nodes == net->n_nodes && back->n_params == net->n_params && !memcmp(back->params, net->params, (size_t)net->n_params * sizeof(float)), "%s: parameters differ after the round trip", what);
  OK(hd_nn_forward(net, x, B));
  OK(hd_nn_forward(back, x, B));
  for (PetscInt k = 0; k < hd_nn_output_count(net); k++) CHECK(!memcmp(hd_nn_output(net, k), hd_nn_output(back, k), (size_t)(B * hd_nn_output_size(net, k)) * sizeof(float)), "%s: output %d differs after the round trip", what, (int)k);
  hd_nn_destroy(&back);
}

static void test_model_files(const char *dir)
{
  PetscInt    shape[3] = {6, 1, 1}, B = 4;
  const char *specs[2] = {"dense 5 elu, dense 6", "dense 3 relu, dense 6"}, *names[2] = {"left", "right"};
  hd_nn      *net;
  float      *x;

  OK(hd_nn_create_flow("maf 2 layers, made 2x10, 4 knots, bound 2, elu", 6, B, &net));
  randomise(net, 8, 0.1);
  x = draw(B * 6, 5, 1.0);
  roundtrip(dir, "flow", net, x, B);
  hd_nn_destroy(&net);
  OK(hd_nn_create_parallel(specs, names, 2, shape, B, &net));
  randomise(net, 9, 0.1);
  roundtrip(dir, "parallel", net, x, B);
  hd_nn_destroy(&net);
  PetscFree(x);
  OK(hd_nn_create_deepset("pfn phi 8,6 f 5 mean", 3, 2, 2, B, &net));
  CHECK(!strcmp(net->spec, "pfn phi 8,6 f 5 mean relu"), "deep set: canonical spec '%s'", net->spec);
  randomise(net, 10, 0.1);
  x = draw(B * 7, 6, 1.0);
  for (PetscInt b = 0; b < B; b++) x[b * 7 + 6] = (float)(b % 4);
  roundtrip(dir, "deepset", net, x, B);
  hd_nn_destroy(&net);
  PetscFree(x);
}

/* A version-1 file (a chain: /layers/layerL groups, n_layers) still reads. It is made here the
 * way version 1 wrote it, from a version-2 file of the same chain. */
static void test_version1(const char *dir)
{
  PetscInt shape[3] = {3, 1, 1};
  hd_nn   *net, *back = NULL;
  char     path[PETSC_MAX_PATH_LEN];
  hid_t    f, layers;
  float   *x = draw(6, 7, 1.0);

  snprintf(path, sizeof(path), "%s/graph_v1.h5", dir);
  OK(hd_nn_create("dense 4 tanh, dense 2", shape, 2, &net));
  randomise(net, 11, 0.1);
  OK(hd_model_write(path, net, NULL));
  f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  H5Adelete(f, "format_version");
  H5Ldelete(f, "graph", H5P_DEFAULT);
  OK(hd_h5_attr_write_int(f, "format_version", 1));
  OK(hd_h5_attr_write_int(f, "n_layers", net->n_nodes));
  layers = H5Gcreate2(f, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  for (PetscInt l = 0; l < net->n_nodes; l++) {
    char    name[16];
    hid_t   g, s;
    hsize_t three = 3;
    int64_t out[3] = {net->values[net->nodes[l].out[0]].shape[0], 1, 1};
    hid_t   a;

    snprintf(name, sizeof(name), "layer%d", (int)l);
    g = H5Gcreate2(layers, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    OK(hd_h5_attr_write_string(g, "type", "dense"));
    OK(hd_h5_attr_write_int(g, "weight_offset", net->tensors[net->nodes[l].weight].offset));
    OK(hd_h5_attr_write_int(g, "bias_offset", net->tensors[net->nodes[l].bias].offset));
    s = H5Screate_simple(1, &three, NULL);
    a = H5Acreate2(g, "output_shape", H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, out);
    H5Aclose(a);
    H5Sclose(s);
    H5Gclose(g);
  }
  H5Gclose(layers);
  H5Fclose(f);
  OK(hd_model_read(path, 2, &back));
  CHECK(back->builder == HD_NN_CHAIN && !strcmp(back->spec, net->spec) && !memcmp(back->params, net->params, (size_t)net->n_params * sizeof(float)), "version 1: the chain did not read back");
  OK(hd_nn_forward(net, x, 2));
  OK(hd_nn_forward(back, x, 2));
  CHECK(!memcmp(net->output, back->output, 4 * sizeof(float)), "version 1: outputs differ");
  hd_nn_destroy(&back);
  hd_nn_destroy(&net);
  PetscFree(x);
}

/* Bad specs name what is wrong. */
static void test_bad_specs(void)
{
  hd_nn   *net = NULL;
  PetscInt shape[3] = {4, 1, 1};
  const char *specs[2] = {"dense 3", "dense 3"}, *dup[2] = {"a", "a"};

  expect_error(hd_nn_create_flow("maf 2 layers, made 2", 3, 4, &net), "made 2", "made without a width");
  expect_error(hd_nn_create_flow("maf 2 layers, 200 knots", 3, 4, &net), "", "too many spline bins");
  expect_error(hd_nn_create_flow("flow 2 layers", 3, 4, &net), "must start with 'maf'", "not a maf");
  expect_error(hd_nn_create_deepset("pfn f 10", 3, 2, 1, 4, &net), "per-element layers", "deep set without phi");
  expect_error(hd_nn_create_deepset("pfn phi 10 max", 3, 2, 1, 4, &net), "'max'", "unknown pooling word");
  expect_error(hd_nn_create_parallel(specs, dup, 2, shape, 4, &net), "two outputs are named 'a'", "parallel branches with one name");
  CHECK(net == NULL, "a failed build returned a network");
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(hd_error_handler_push());
  if (argc < 2) {
    printf("usage: test_nn_graph SCRATCH_DIR\n");
    return 2;
  }
  {
    char p[PETSC_MAX_PATH_LEN];

    /* mkdir -p */
    snprintf(p, sizeof(p), "%s", argv[1]);
    for (char *c = p + 1; *c; c++)
      if (*c == '/') {
        *c = '\0';
        mkdir(p, 0755);
        *c = '/';
      }
    CHECK(mkdir(p, 0755) == 0 || errno == EEXIST, "cannot create %s", p);
  }
  test_outputs();
  test_flow_logdet();
  test_made_triangular();
  test_parallel();
  test_model_files(argv[1]);
  test_version1(argv[1]);
  test_bad_specs();
  PetscCall(PetscFinalize());
  if (failures) printf("%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
