/* Driver for the PyTorch comparison (nn_torch_compare.py). For each case it builds a network with
 * a known seed, runs one batch forward, a loss and backward, and writes into the folder given as
 * argument:
 *   CASE.model.h5  the model file (hd_model_write)
 *   CASE.data.h5   x, target, weight (optional), output, per_event, dout (gradient wrt the output),
 *                  grads (flat, same layout as /parameters), din (gradient wrt the input),
 *                  attributes loss ("softmax_ce", "bce_logits", "mse"), loss_value, norm, target_ld
 * and, for the optimisers, optim.h5: p0, grads (T, n), and per configuration a group with the
 * parameters after each step (T, n) and the settings as attributes. */
#include <stdio.h>
#include <string.h>
#include <hadal/model.h>
#include <hadal/rng.h>

typedef enum { L_CE, L_BCE, L_MSE } loss_kind;
typedef enum { T_ONEHOT, T_SOFT, T_UNIFORM, T_AA, T_BINARY, T_VECTOR, T_ROWS } target_kind;

typedef struct {
  const char *name, *spec;
  PetscInt    shape[3], B;
  loss_kind   loss;
  target_kind target;
  int         weighted;
} tcase;

static PetscErrorCode write_ds(hid_t f, const char *name, hid_t mtype, hid_t ftype, int rank, const hsize_t *dims, const void *data)
{
  hid_t  s = H5Screate_simple(rank, dims, NULL), d = H5I_INVALID_HID;
  herr_t st = -1;

  PetscFunctionBegin;
  if (s >= 0) d = H5Dcreate2(f, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (d >= 0) st = H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (d >= 0) H5Dclose(d);
  if (s >= 0) H5Sclose(s);
  PetscCheck(st >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "driver: cannot write dataset %s", name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode write_f(hid_t f, const char *name, hsize_t n0, hsize_t n1, const float *v)
{
  hsize_t dims[2] = {n0, n1};
  PetscFunctionBegin;
  PetscCall(write_ds(f, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, n1 ? 2 : 1, dims, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode attr_d(hid_t o, const char *name, double v)
{
  hid_t  s = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
  herr_t st = -1;

  PetscFunctionBegin;
  if (s >= 0) a = H5Acreate2(o, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
  if (a >= 0) st = H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
  if (a >= 0) H5Aclose(a);
  if (s >= 0) H5Sclose(s);
  PetscCheck(st >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "driver: cannot write attribute %s", name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode attr_s(hid_t o, const char *name, const char *v)
{
  hid_t  t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
  herr_t st = -1;

  PetscFunctionBegin;
  H5Tset_size(t, strlen(v) + 1);
  if (s >= 0) a = H5Acreate2(o, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  if (a >= 0) st = H5Awrite(a, t, v);
  if (a >= 0) H5Aclose(a);
  if (s >= 0) H5Sclose(s);
  H5Tclose(t);
  PetscCheck(st >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "driver: cannot write attribute %s", name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode run_case(const char *dir, const tcase *c, uint64_t member)
{
  hd_nn   *net;
  PetscInt B = c->B, K, ld, nrows;
  float   *x, *t, *w, *pe, *din, *dout;
  double   loss, norm = 1.7 * (double)c->B;
  hd_rng   r;
  char     path[PETSC_MAX_PATH_LEN];
  hid_t    f;

  PetscFunctionBegin;
  PetscCall(hd_nn_create(c->spec, c->shape, B, &net));
  PetscCall(hd_nn_init(net, 1234, member, HD_INIT_AUTO));
  K = net->out_size;
  hd_rng_init(&r, 1234, HD_STREAM_USER, member);
  /* small random biases, so the comparison covers them (init sets them to zero) */
  for (PetscInt k = 0; k < net->n_tensors; k++)
    if (strstr(net->tensors[k].name, "bias"))
      for (PetscInt i = 0; i < net->tensors[k].size; i++) net->params[net->tensors[k].offset + i] = (float)(0.2 * hd_rng_normal(&r));
  PetscCall(PetscMalloc1((size_t)(B * net->in_size), &x));
  PetscCall(PetscMalloc1((size_t)(B * net->in_size), &din));
  PetscCall(PetscMalloc1((size_t)(B * K), &t));
  PetscCall(PetscMalloc1((size_t)(B * K), &dout));
  PetscCall(PetscMalloc1((size_t)B, &w));
  PetscCall(PetscMalloc1((size_t)B, &pe));
  for (PetscInt i = 0; i < B * net->in_size; i++) x[i] = (float)hd_rng_normal(&r);
  for (PetscInt b = 0; b < B; b++) w[b] = (float)(0.25 + hd_rng_uniform(&r));

  /* targets */
  ld    = K;
  nrows = B;
  switch (c->target) {
  case T_UNIFORM: /* Anomaly Awareness: every event against 1/K, one shared row */
    ld    = 0;
    nrows = 1;
    for (PetscInt k = 0; k < K; k++) t[k] = 1.0f / (float)K;
    break;
  case T_VECTOR: /* Deep SVDD: one constant vector */
    ld    = 0;
    nrows = 1;
    for (PetscInt k = 0; k < K; k++) t[k] = 1.0f;
    break;
  case T_ONEHOT:
  case T_AA:
    for (PetscInt b = 0; b < B; b++) {
      PetscInt cls = (PetscInt)hd_rng_below(&r, (uint32_t)K);
      for (PetscInt k = 0; k < K; k++) t[b * K + k] = k == cls ? 1.0f : 0.0f;
      /* AA: every third event is an anomaly with the uniform target, weighted lambda_AA = 0.5 */
      if (c->target == T_AA && b % 3 == 2) {
        for (PetscInt k = 0; k < K; k++) t[b * K + k] = 1.0f / (float)K;
        w[b] = 0.5f;
      } else if (c->target == T_AA) w[b] = 1.0f;
    }
    break;
  case T_SOFT:
    for (PetscInt b = 0; b < B; b++) {
      double s = 0.0;
      for (PetscInt k = 0; k < K; k++) s += t[b * K + k] = (float)hd_rng_uniform(&r);
      for (PetscInt k = 0; k < K; k++) t[b * K + k] = (float)(t[b * K + k] / s);
    }
    break;
  case T_BINARY:
    for (PetscInt i = 0; i < B * K; i++) t[i] = (float)hd_rng_below(&r, 2);
    break;
  case T_ROWS:
    for (PetscInt i = 0; i < B * K; i++) t[i] = c->loss == L_BCE ? (float)hd_rng_uniform(&r) : (float)hd_rng_normal(&r);
    break;
  }
  const float *wp = (c->weighted || c->target == T_AA) ? w : NULL;

  PetscCall(hd_nn_zero_grad(net));
  PetscCall(hd_nn_forward(net, x, B));
  if (c->loss == L_CE) PetscCall(hd_nn_loss_softmax_ce(&loss, net->dout, pe, net->output, t, ld, wp, B, K, norm));
  else if (c->loss == L_BCE) PetscCall(hd_nn_loss_bce_logits(&loss, net->dout, pe, net->output, t, ld, wp, B, K, norm));
  else PetscCall(hd_nn_loss_mse(&loss, net->dout, pe, net->output, t, ld, wp, B, K, norm));
  PetscCall(PetscArraycpy(dout, net->dout, (size_t)(B * K))); /* backward overwrites dout */

  /* write the model before backward: parameters are unchanged by it anyway */
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s.model.h5", dir, c->name));
  PetscCall(hd_model_write(path, net, NULL));
  PetscCall(hd_nn_backward(net, din));

  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s.data.h5", dir, c->name));
  f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(f >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "driver: cannot create %s", path);
  PetscCall(write_f(f, "x", (hsize_t)B, (hsize_t)net->in_size, x));
  PetscCall(write_f(f, "target", (hsize_t)nrows, (hsize_t)K, t));
  if (wp) PetscCall(write_f(f, "weight", (hsize_t)B, 0, w));
  PetscCall(write_f(f, "output", (hsize_t)B, (hsize_t)K, net->output));
  PetscCall(write_f(f, "per_event", (hsize_t)B, 0, pe));
  PetscCall(write_f(f, "dout", (hsize_t)B, (hsize_t)K, dout));
  PetscCall(write_f(f, "grads", (hsize_t)net->n_params, 0, net->grads));
  PetscCall(write_f(f, "din", (hsize_t)B, (hsize_t)net->in_size, din));
  PetscCall(attr_s(f, "loss", c->loss == L_CE ? "softmax_ce" : c->loss == L_BCE ? "bce_logits" : "mse"));
  PetscCall(attr_d(f, "loss_value", loss));
  PetscCall(attr_d(f, "norm", norm));
  PetscCall(attr_d(f, "target_ld", (double)ld));
  H5Fclose(f);
  printf("%-14s %-80s %6d parameters, loss %.6f\n", c->name, net->spec, (int)net->n_params, loss);
  PetscCall(PetscFree(x));
  PetscCall(PetscFree(din));
  PetscCall(PetscFree(t));
  PetscCall(PetscFree(dout));
  PetscCall(PetscFree(w));
  PetscCall(PetscFree(pe));
  PetscCall(hd_nn_destroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The graph builders: a flow with the negative log-likelihood under a standard normal base,
 * a deep set with softmax cross-entropy, and two autoencoders in one model with the sum of their
 * reconstruction errors. CASE.data.h5 holds output_K / dout_K for every output K (and output /
 * dout for output 0), the loss named by the attribute "loss" ("flow_nll", "softmax_ce",
 * "mse_sum"). */
typedef enum { G_FLOW, G_DEEPSET, G_PARALLEL } graph_kind;

static PetscErrorCode run_graph_case(const char *dir, const char *name, graph_kind kind, uint64_t member)
{
  const PetscInt B = 9, P = 5, C = 3, D = 4;
  const char    *specs[2] = {"dense 8 relu, dense 3, dense 8 relu, dense 6", "dense 5 elu, dense 2 tanh, dense 6"}, *names[2] = {"ae1", "ae2"};
  PetscInt       in6[3] = {6, 1, 1};
  hd_nn         *net;
  float         *x, *t = NULL, *w, *pe, *pe2, *din, *dout[2];
  double         loss = 0.0, l2, norm = 1.3 * (double)B;
  hd_rng         r;
  char           path[PETSC_MAX_PATH_LEN];
  hid_t          f;

  PetscFunctionBegin;
  if (kind == G_FLOW) PetscCall(hd_nn_create_flow("maf 3 layers, made 2x16, 5 knots, bound 2.5", D, B, &net));
  else if (kind == G_DEEPSET) PetscCall(hd_nn_create_deepset("pfn phi 10,8 f 6", P, C, 3, B, &net));
  else PetscCall(hd_nn_create_parallel(specs, names, 2, in6, B, &net));
  PetscCall(hd_nn_init(net, 1234, member, HD_INIT_AUTO));
  hd_rng_init(&r, 1234, HD_STREAM_USER, member);
  for (PetscInt k = 0; k < net->n_tensors; k++)
    if (strstr(net->tensors[k].name, "bias"))
      for (PetscInt i = 0; i < net->tensors[k].size; i++) net->params[net->tensors[k].offset + i] = (float)(0.2 * hd_rng_normal(&r));
  PetscCall(PetscMalloc5((size_t)(B * net->in_size), &x, (size_t)(B * net->in_size), &din, (size_t)B, &w, (size_t)B, &pe, (size_t)B, &pe2));
  for (PetscInt i = 0; i < B * net->in_size; i++) x[i] = (float)(kind == G_FLOW ? 1.3 : 1.0) * (float)hd_rng_normal(&r);
  for (PetscInt b = 0; b < B; b++) w[b] = (float)(0.25 + hd_rng_uniform(&r));
  if (kind == G_DEEPSET)
    for (PetscInt b = 0; b < B; b++) x[b * (P * C + 1) + P * C] = (float)(b % (P + 1)); /* sizes 0 .. P */

  PetscCall(hd_nn_zero_grad(net));
  PetscCall(hd_nn_forward(net, x, B));
  if (kind == G_FLOW) {
    /* l_b = |z_b|^2 / 2 + D/2 log 2 pi - logdet_b */
    const float *z = hd_nn_output(net, 0), *ld = hd_nn_output(net, 1);
    float       *gz = hd_nn_output_grad(net, 0), *gl = hd_nn_output_grad(net, 1);

    for (PetscInt b = 0; b < B; b++) {
      double q = 0.0;

      for (PetscInt i = 0; i < D; i++) {
        q += 0.5 * (double)z[b * D + i] * z[b * D + i];
        gz[b * D + i] += (float)(w[b] * z[b * D + i] / norm);
      }
      pe[b] = (float)(q + 0.5 * (double)D * log(2.0 * PETSC_PI) - ld[b]);
      loss += w[b] * (q + 0.5 * (double)D * log(2.0 * PETSC_PI) - (double)ld[b]) / norm;
      gl[b] -= (float)(w[b] / norm);
    }
  } else if (kind == G_DEEPSET) {
    PetscCall(PetscMalloc1((size_t)(B * 3), &t));
    for (PetscInt b = 0; b < B; b++)
      for (PetscInt k = 0; k < 3; k++) t[b * 3 + k] = k == b % 3 ? 1.0f : 0.0f;
    PetscCall(hd_nn_loss_softmax_ce(&loss, net->dout, pe, net->output, t, 3, w, B, 3, norm));
  } else {
    /* both reconstructions against the input */
    PetscCall(hd_nn_loss_mse(&loss, hd_nn_output_grad(net, 0), pe, hd_nn_output(net, 0), x, 6, w, B, 6, norm));
    PetscCall(hd_nn_loss_mse(&l2, hd_nn_output_grad(net, 1), pe2, hd_nn_output(net, 1), x, 6, w, B, 6, norm));
    loss += l2;
    for (PetscInt b = 0; b < B; b++) pe[b] += pe2[b];
  }
  for (PetscInt k = 0; k < hd_nn_output_count(net); k++) {
    PetscCall(PetscMalloc1((size_t)(B * hd_nn_output_size(net, k)), &dout[k]));
    PetscCall(PetscArraycpy(dout[k], hd_nn_output_grad(net, k), (size_t)(B * hd_nn_output_size(net, k))));
  }
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s.model.h5", dir, name));
  PetscCall(hd_model_write(path, net, NULL));
  PetscCall(hd_nn_backward(net, din));

  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s.data.h5", dir, name));
  f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(f >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "driver: cannot create %s", path);
  PetscCall(write_f(f, "x", (hsize_t)B, (hsize_t)net->in_size, x));
  if (t) PetscCall(write_f(f, "target", (hsize_t)B, 3, t));
  PetscCall(write_f(f, "weight", (hsize_t)B, 0, w));
  for (PetscInt k = 0; k < hd_nn_output_count(net); k++) {
    char nm[32];

    PetscCall(PetscSNPrintf(nm, sizeof(nm), "output_%d", (int)k));
    PetscCall(write_f(f, k ? nm : "output", (hsize_t)B, (hsize_t)hd_nn_output_size(net, k), hd_nn_output(net, k)));
    if (k == 0) PetscCall(write_f(f, nm, (hsize_t)B, (hsize_t)hd_nn_output_size(net, k), hd_nn_output(net, k)));
    PetscCall(PetscSNPrintf(nm, sizeof(nm), "dout_%d", (int)k));
    PetscCall(write_f(f, nm, (hsize_t)B, (hsize_t)hd_nn_output_size(net, k), dout[k]));
    if (k == 0) PetscCall(write_f(f, "dout", (hsize_t)B, (hsize_t)hd_nn_output_size(net, k), dout[k]));
    PetscCall(PetscFree(dout[k]));
  }
  PetscCall(write_f(f, "per_event", (hsize_t)B, 0, pe));
  PetscCall(write_f(f, "grads", (hsize_t)net->n_params, 0, net->grads));
  PetscCall(write_f(f, "din", (hsize_t)B, (hsize_t)net->in_size, din));
  PetscCall(attr_s(f, "loss", kind == G_FLOW ? "flow_nll" : kind == G_DEEPSET ? "softmax_ce" : "mse_sum"));
  PetscCall(attr_d(f, "loss_value", loss));
  PetscCall(attr_d(f, "norm", norm));
  PetscCall(attr_d(f, "target_ld", 3.0));
  H5Fclose(f);
  printf("%-14s %-80s %6d parameters, loss %.6f\n", name, net->spec, (int)net->n_params, loss);
  PetscCall(PetscFree5(x, din, w, pe, pe2));
  PetscCall(PetscFree(t));
  PetscCall(hd_nn_destroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* T steps of each optimiser on the same parameters and gradient sequence. */
static PetscErrorCode run_optim(const char *dir)
{
  enum { N = 64, T = 6 };
  static const struct {
    const char *name;
    int         adam;
    double      lr, momentum, wd;
    int         nesterov;
  } cfg[] = {
    {"sgd", 0, 0.1, 0.0, 0.0, 0},
    {"sgd_momentum", 0, 0.05, 0.9, 0.0, 0},
    {"sgd_nesterov_wd", 0, 0.05, 0.9, 0.01, 1},
    {"adam", 1, 0.01, 0, 0.0, 0},
    {"adamw", 1, 0.01, 0, 0.1, 0},
  };
  float   p0[N], g[T][N], hist[T][N], p[N];
  hd_rng  r;
  char    path[PETSC_MAX_PATH_LEN];
  hid_t   f;
  hsize_t dims[2] = {T, N};

  PetscFunctionBegin;
  hd_rng_init(&r, 77, HD_STREAM_USER, 0);
  for (int i = 0; i < N; i++) p0[i] = (float)hd_rng_normal(&r);
  for (int s = 0; s < T; s++)
    for (int i = 0; i < N; i++) g[s][i] = (float)(hd_rng_normal(&r) * (i % 7 == 3 ? 1e-4 : 1.0)); /* some tiny gradients: Adam's eps matters */
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/optim.h5", dir));
  f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(f >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "driver: cannot create %s", path);
  PetscCall(write_f(f, "p0", N, 0, p0));
  PetscCall(write_ds(f, "grads", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 2, dims, g));
  for (size_t c = 0; c < sizeof(cfg) / sizeof(cfg[0]); c++) {
    hd_nn_optim_config oc = cfg[c].adam ? hd_nn_optim_adam_defaults() : hd_nn_optim_sgd_defaults();
    hd_nn_optim        o;
    hid_t              grp;

    oc.lr           = cfg[c].lr;
    oc.momentum     = cfg[c].momentum;
    oc.nesterov     = cfg[c].nesterov ? PETSC_TRUE : PETSC_FALSE;
    oc.weight_decay = cfg[c].wd;
    PetscCall(hd_nn_optim_create(&oc, N, &o));
    PetscCall(PetscArraycpy(p, p0, N));
    for (int s = 0; s < T; s++) {
      PetscCall(hd_nn_optim_step(&o, p, g[s]));
      PetscCall(PetscArraycpy(hist[s], p, N));
    }
    PetscCall(hd_nn_optim_destroy(&o));
    grp = H5Gcreate2(f, cfg[c].name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    PetscCheck(grp >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "driver: cannot create group %s", cfg[c].name);
    PetscCall(write_ds(grp, "params", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 2, dims, hist));
    PetscCall(attr_s(grp, "kind", cfg[c].adam ? "adam" : "sgd"));
    PetscCall(attr_d(grp, "lr", oc.lr));
    PetscCall(attr_d(grp, "momentum", oc.momentum));
    PetscCall(attr_d(grp, "nesterov", oc.nesterov ? 1.0 : 0.0));
    PetscCall(attr_d(grp, "weight_decay", oc.weight_decay));
    PetscCall(attr_d(grp, "beta1", oc.beta1));
    PetscCall(attr_d(grp, "beta2", oc.beta2));
    PetscCall(attr_d(grp, "eps", oc.eps));
    H5Gclose(grp);
  }
  H5Fclose(f);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  static const tcase cases[] = {
    {"dense_identity", "dense 12 identity, dense 3 identity", {7, 1, 1}, 9, L_MSE, T_ROWS, 0},
    {"dense_relu", "dense 16 relu, dense 8 relu, dense 3", {7, 1, 1}, 9, L_CE, T_UNIFORM, 0},
    {"dense_elu", "dense 16 elu, dense 8 elu:0.5, dense 5", {7, 1, 1}, 9, L_MSE, T_VECTOR, 1},
    {"dense_leaky", "dense 16 leakyrelu:0.2, dense 8 leakyrelu, dense 1", {7, 1, 1}, 9, L_BCE, T_BINARY, 1},
    {"dense_sigmoid", "dense 16 sigmoid, dense 4 sigmoid", {7, 1, 1}, 9, L_MSE, T_ROWS, 0},
    {"dense_tanh", "dense 16 tanh, dense 8 tanh, dense 4", {7, 1, 1}, 9, L_CE, T_SOFT, 1},
    {"dense_bce_soft", "dense 12 tanh, dense 3", {7, 1, 1}, 9, L_BCE, T_ROWS, 0},
    {"aa_mlp", "dense 32 relu, dense 16 relu, dense 2", {5, 1, 1}, 12, L_CE, T_AA, 0},
    {"cnn", "conv 4 3x3 relu, maxpool 2, conv 6 3x3 s2 p1 relu, maxpool 2, flatten, dense 8 relu, dense 3", {1, 20, 20}, 5, L_CE, T_ONEHOT, 0},
    {"cnn_variants", "conv 3 5x3 p2 tanh, maxpool 3 s2, relu, conv 4 1x1 elu, flatten, dense 6 sigmoid, dense 2", {2, 11, 9}, 4, L_BCE, T_BINARY, 1},
    {"cnn_jetimage", "conv 8 3x3 relu, maxpool 2, conv 16 3x3 relu, maxpool 2, flatten, dense 64 relu, dense 2", {1, 40, 40}, 6, L_CE, T_ONEHOT, 0},
  };
  const char *dir;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCheck(argc > 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "usage: nn_torch_driver OUTPUT_FOLDER");
  dir = argv[1];
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) PetscCall(run_case(dir, &cases[i], (uint64_t)i));
  PetscCall(run_graph_case(dir, "graph_flow", G_FLOW, 40));
  PetscCall(run_graph_case(dir, "graph_deepset", G_DEEPSET, 41));
  PetscCall(run_graph_case(dir, "graph_parallel", G_PARALLEL, 42));
  PetscCall(run_optim(dir));
  PetscCall(PetscFinalize());
  return 0;
}
