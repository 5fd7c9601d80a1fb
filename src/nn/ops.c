/* The op table of the network graph (docs/nn.md, "Op table"): per op, shape inference, forward,
 * backward and its text. The numerical work is in the kernels (dense.c, conv2d.c, pool.c,
 * activation.c, made.c, spline.c, permute.c, setpool.c); what is here wires values to them.
 *
 * Input gradients: a kernel that WRITES its input gradient (dense, conv2d, maxpool, activation)
 * writes it into net->acc_buf_ when the node is not the first contributor (nd->acc_[i]), and the
 * buffer is then added; a kernel that ACCUMULATES gets its target zeroed when the node is the
 * first contributor. Either way a value's gradient ends up as the sum of its consumers'. */
#include <stdlib.h>
#include <string.h>
#include <hadal/nn.h>
#include "graph.h"

#define X(i) hd_nn_value_data(net, nd->in[i])
#define Y(j) hd_nn_value_data(net, nd->out[j])
#define GY(j) (net->values[nd->out[j]].grad_)

static size_t vsize(const hd_nn *net, PetscInt v) { return (size_t)net->values[v].size; }
static float *wparam(const hd_nn *net, const hd_nn_node *nd) { return net->params + net->tensors[nd->weight].offset; }
/* NULL for a layer without a bias (dense ... nobias): the kernels then add none */
static float *bparam(const hd_nn *net, const hd_nn_node *nd) { return nd->bias >= 0 ? net->params + net->tensors[nd->bias].offset : NULL; }
static float *wgrad(const hd_nn *net, const hd_nn_node *nd) { return net->grads + net->tensors[nd->weight].offset; }
static float *bgrad(const hd_nn *net, const hd_nn_node *nd) { return nd->bias >= 0 ? net->grads + net->tensors[nd->bias].offset : NULL; }

/* Where a writing kernel puts input i's gradient. */
static float *wtarget(const hd_nn *net, const hd_nn_node *nd, PetscInt i, float *const *gin) { return gin[i] && nd->acc_[i] ? net->acc_buf_ : gin[i]; }
/* Adds what wtarget diverted (n floats). */
static void wfinish(const hd_nn *net, const hd_nn_node *nd, PetscInt i, float *const *gin, size_t n)
{
  if (!gin[i] || !nd->acc_[i]) return;
  for (size_t k = 0; k < n; k++) gin[i][k] += net->acc_buf_[k];
}
/* An accumulating kernel's target starts from zero when the node is the first contributor. */
static void azero(const hd_nn_node *nd, PetscInt i, float *const *gin, size_t n)
{
  if (gin[i] && !nd->acc_[i]) memset(gin[i], 0, n * sizeof(float));
}
/* gin[i][0..n) = or += src, for the copy-like ops */
static void put(const hd_nn_node *nd, PetscInt i, float *const *gin, const float *src, size_t n)
{
  if (!gin[i]) return;
  if (nd->acc_[i])
    for (size_t k = 0; k < n; k++) gin[i][k] += src[k];
  else memcpy(gin[i], src, n * sizeof(float));
}

static PetscErrorCode check_flat(const hd_nn *net, const hd_nn_node *nd, PetscInt i, const char *what)
{
  const hd_nn_value *v = &net->values[nd->in[i]];

  PetscFunctionBegin;
  PetscCheck(v->shape[1] == 1 && v->shape[2] == 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: input '%s' (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ") is not flat; put 'flatten' before it", what, v->name, v->shape[0], v->shape[1], v->shape[2]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void set_shape(hd_nn *net, PetscInt v, PetscInt a, PetscInt b, PetscInt c)
{
  net->values[v].shape[0] = a;
  net->values[v].shape[1] = b;
  net->values[v].shape[2] = c;
}

/* The activation word of a node: the shortest decimal that reads back as the same parameter. */
static PetscErrorCode act_text(hd_nn_act act, float alpha, char *out, size_t len)
{
  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(out, len, "%s", hd_nn_act_name(act)));
  if ((act == HD_ACT_ELU && alpha != 1.0f) || (act == HD_ACT_LEAKY_RELU && alpha != 0.01f)) {
    for (int digits = 6; digits <= 9; digits++) {
      PetscCall(PetscSNPrintf(out, len, "%s:%.*g", hd_nn_act_name(act), digits, (double)alpha));
      if ((float)strtod(strchr(out, ':') + 1, NULL) == alpha) break;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode append(char *buf, size_t len, const char *fmt, ...) PETSC_ATTRIBUTE_FORMAT(3, 4);
static PetscErrorCode append(char *buf, size_t len, const char *fmt, ...)
{
  size_t  used = strlen(buf);
  va_list ap;
  int     n;

  PetscFunctionBegin;
  va_start(ap, fmt);
  n = vsnprintf(buf + used, len - used, fmt, ap);
  va_end(ap);
  PetscCheck(n >= 0 && (size_t)n < len - used, PETSC_COMM_SELF, PETSC_ERR_PLIB, "network text longer than %zu characters", len);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The text of ops without attributes: their name. */
static PetscErrorCode name_text(const hd_nn_node *nd, char *buf, size_t len)
{
  PetscFunctionBegin;
  PetscCall(append(buf, len, "%s", hd_nn_op_name(nd->op)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- dense: out (B, N) = act(in (B, F) W^T + b), W (N, F) ---- */

static PetscErrorCode dense_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  PetscFunctionBegin;
  PetscCall(check_flat(net, nd, 0, what));
  set_shape(net, nd->out[0], nd->units, 1, 1);
  *wndim = 2;
  ws[0]  = nd->units;
  ws[1]  = net->values[nd->in[0]].size;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dense_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  PetscFunctionBegin;
  hd_nn_dense_forward(Y(0), X(0), wparam(net, nd), bparam(net, nd), B, net->values[nd->in[0]].size, nd->units, nd->act, nd->alpha);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dense_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  PetscInt F = net->values[nd->in[0]].size;

  PetscFunctionBegin;
  hd_nn_dense_backward(wtarget(net, nd, 0, gin), wgrad(net, nd), bgrad(net, nd), GY(0), Y(0), X(0), wparam(net, nd), B, F, nd->units, nd->act, nd->alpha);
  wfinish(net, nd, 0, gin, (size_t)B * (size_t)F);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dense_text(const hd_nn_node *nd, char *buf, size_t len)
{
  char act[48];

  PetscFunctionBegin;
  PetscCall(act_text(nd->act, nd->alpha, act, sizeof(act)));
  PetscCall(append(buf, len, "dense %" PetscInt_FMT " %s%s", nd->units, act, nd->nobias ? " nobias" : ""));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- conv2d ---- */

static void node_geom(const hd_nn *net, const hd_nn_node *nd, hd_nn_conv2d_geom *g)
{
  const hd_nn_value *x = &net->values[nd->in[0]], *y = &net->values[nd->out[0]];

  g->C      = x->shape[0];
  g->H      = x->shape[1];
  g->W      = x->shape[2];
  g->O      = nd->units;
  g->KH     = nd->kh;
  g->KW     = nd->kw;
  g->stride = nd->stride;
  g->pad    = nd->pad;
  g->OH     = y->shape[1];
  g->OW     = y->shape[2];
}

static PetscErrorCode conv_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  const hd_nn_value *x = &net->values[nd->in[0]];
  hd_nn_conv2d_geom  g = {x->shape[0], x->shape[1], x->shape[2], nd->units, nd->kh, nd->kw, nd->stride, nd->pad, 0, 0};

  PetscFunctionBegin;
  PetscCall(hd_nn_conv2d_shape(&g, what));
  set_shape(net, nd->out[0], nd->units, g.OH, g.OW);
  *wndim = 4;
  ws[0]  = nd->units;
  ws[1]  = x->shape[0];
  ws[2]  = nd->kh;
  ws[3]  = nd->kw;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static size_t conv_scratch(const hd_nn *net, const hd_nn_node *nd)
{
  const hd_nn_value *y = &net->values[nd->out[0]];

  if (nd->kh == 1 && nd->kw == 1 && nd->stride == 1 && nd->pad == 0) return 0; /* the input is its own im2col */
  return (size_t)net->values[nd->in[0]].shape[0] * (size_t)(nd->kh * nd->kw) * (size_t)(y->shape[1] * y->shape[2]);
}

static PetscErrorCode conv_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  hd_nn_conv2d_geom g;

  PetscFunctionBegin;
  node_geom(net, nd, &g);
  hd_nn_conv2d_forward(Y(0), X(0), wparam(net, nd), bparam(net, nd), net->col_, B, &g, nd->act, nd->alpha);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode conv_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  hd_nn_conv2d_geom g;

  PetscFunctionBegin;
  node_geom(net, nd, &g);
  hd_nn_conv2d_backward(wtarget(net, nd, 0, gin), wgrad(net, nd), bgrad(net, nd), GY(0), Y(0), X(0), wparam(net, nd), net->col_, B, &g, nd->act, nd->alpha);
  wfinish(net, nd, 0, gin, (size_t)B * vsize(net, nd->in[0]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode conv_text(const hd_nn_node *nd, char *buf, size_t len)
{
  char act[48];

  PetscFunctionBegin;
  PetscCall(act_text(nd->act, nd->alpha, act, sizeof(act)));
  PetscCall(append(buf, len, "conv %" PetscInt_FMT " %" PetscInt_FMT "x%" PetscInt_FMT " s%" PetscInt_FMT " p%" PetscInt_FMT " %s", nd->units, nd->kh, nd->kw, nd->stride, nd->pad, act));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- maxpool ---- */

static PetscErrorCode maxpool_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  const hd_nn_value *x = &net->values[nd->in[0]];

  PetscFunctionBegin;
  (void)ws;
  *wndim = 0;
  PetscCheck(x->shape[1] >= nd->kh && x->shape[2] >= nd->kw, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: pool size %" PetscInt_FMT " is larger than the input %" PetscInt_FMT "x%" PetscInt_FMT, what, nd->kh, x->shape[1], x->shape[2]);
  set_shape(net, nd->out[0], x->shape[0], (x->shape[1] - nd->kh) / nd->stride + 1, (x->shape[2] - nd->kw) / nd->stride + 1);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode maxpool_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  const hd_nn_value *x = &net->values[nd->in[0]];

  PetscFunctionBegin;
  hd_nn_maxpool_forward(Y(0), nd->arg_, X(0), B, x->shape[0], x->shape[1], x->shape[2], nd->kh, nd->stride);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode maxpool_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  const hd_nn_value *x = &net->values[nd->in[0]], *y = &net->values[nd->out[0]];

  PetscFunctionBegin;
  if (gin[0]) {
    hd_nn_maxpool_backward(wtarget(net, nd, 0, gin), GY(0), nd->arg_, B, x->shape[0], x->shape[1], x->shape[2], y->shape[1], y->shape[2]);
    wfinish(net, nd, 0, gin, (size_t)B * (size_t)x->size);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode maxpool_text(const hd_nn_node *nd, char *buf, size_t len)
{
  PetscFunctionBegin;
  PetscCall(append(buf, len, "maxpool %" PetscInt_FMT " s%" PetscInt_FMT, nd->kh, nd->stride));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- flatten: (C, H, W) -> (C H W); the same memory unless its value is a network output ---- */

static PetscErrorCode flatten_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  PetscFunctionBegin;
  (void)what;
  (void)ws;
  *wndim = 0;
  set_shape(net, nd->out[0], net->values[nd->in[0]].size, 1, 1);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode flatten_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  PetscFunctionBegin;
  if (net->values[nd->out[0]].alias < 0) PetscCall(PetscArraycpy(Y(0), X(0), (size_t)B * vsize(net, nd->in[0])));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode flatten_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  PetscFunctionBegin;
  /* an alias shares its input's gradient: its consumers have already written there */
  if (net->values[nd->out[0]].alias < 0) put(nd, 0, gin, GY(0), (size_t)B * vsize(net, nd->in[0]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- activation ---- */

static PetscErrorCode same_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  const hd_nn_value *x = &net->values[nd->in[0]];

  PetscFunctionBegin;
  (void)what;
  (void)ws;
  *wndim = 0;
  set_shape(net, nd->out[0], x->shape[0], x->shape[1], x->shape[2]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode act_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  PetscFunctionBegin;
  hd_nn_act_forward(Y(0), X(0), (size_t)B * vsize(net, nd->out[0]), nd->act, nd->alpha);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode act_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  size_t n = (size_t)B * vsize(net, nd->out[0]);

  PetscFunctionBegin;
  if (gin[0]) {
    hd_nn_act_backward(wtarget(net, nd, 0, gin), GY(0), Y(0), n, nd->act, nd->alpha);
    wfinish(net, nd, 0, gin, n);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode act_node_text(const hd_nn_node *nd, char *buf, size_t len)
{
  char act[48];

  PetscFunctionBegin;
  PetscCall(act_text(nd->act, nd->alpha, act, sizeof(act)));
  PetscCall(append(buf, len, "%s", act));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- slice: y (B, count) = x (B, F)[:, start .. start + count), shaped (count / units, units)
 * when units > 0 (a set of elements), (count) otherwise ---- */

static PetscErrorCode slice_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  PetscInt F = net->values[nd->in[0]].size;

  PetscFunctionBegin;
  (void)ws;
  *wndim = 0;
  PetscCheck(nd->start >= 0 && nd->count > 0 && nd->start + nd->count <= F, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: features [%" PetscInt_FMT ", %" PetscInt_FMT ") are not within the %" PetscInt_FMT " of its input", what, nd->start, nd->start + nd->count, F);
  PetscCheck(nd->units <= 0 || nd->count % nd->units == 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: %" PetscInt_FMT " features are not elements of %" PetscInt_FMT, what, nd->count, nd->units);
  if (nd->units > 0) set_shape(net, nd->out[0], nd->count / nd->units, nd->units, 1);
  else set_shape(net, nd->out[0], nd->count, 1, 1);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode slice_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  size_t       F = vsize(net, nd->in[0]), n = (size_t)nd->count;
  const float *x = X(0);
  float       *y = Y(0);

  PetscFunctionBegin;
  for (PetscInt b = 0; b < B; b++) memcpy(y + (size_t)b * n, x + (size_t)b * F + (size_t)nd->start, n * sizeof(float));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode slice_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  size_t       F = vsize(net, nd->in[0]), n = (size_t)nd->count;
  const float *g = GY(0);

  PetscFunctionBegin;
  if (!gin[0]) PetscFunctionReturn(PETSC_SUCCESS);
  azero(nd, 0, gin, (size_t)B * F);
  for (PetscInt b = 0; b < B; b++) {
    float       *d = gin[0] + (size_t)b * F + (size_t)nd->start;
    const float *s = g + (size_t)b * n;

    for (size_t k = 0; k < n; k++) d[k] += s[k];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode slice_text(const hd_nn_node *nd, char *buf, size_t len)
{
  PetscFunctionBegin;
  PetscCall(append(buf, len, "slice %" PetscInt_FMT " %" PetscInt_FMT, nd->start, nd->count));
  if (nd->units > 0) PetscCall(append(buf, len, " elements %" PetscInt_FMT, nd->units));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- concat: y (B, F1 + F2 + ...) = [x1 x2 ...] ---- */

static PetscErrorCode concat_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  PetscInt F = 0;

  PetscFunctionBegin;
  (void)ws;
  *wndim = 0;
  for (PetscInt i = 0; i < nd->n_in; i++) F += net->values[nd->in[i]].size;
  (void)what;
  set_shape(net, nd->out[0], F, 1, 1);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode concat_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  size_t F = vsize(net, nd->out[0]), off = 0;
  float *y = Y(0);

  PetscFunctionBegin;
  for (PetscInt i = 0; i < nd->n_in; i++) {
    size_t       n = vsize(net, nd->in[i]);
    const float *x = X(i);

    for (PetscInt b = 0; b < B; b++) memcpy(y + (size_t)b * F + off, x + (size_t)b * n, n * sizeof(float));
    off += n;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode concat_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  size_t       F = vsize(net, nd->out[0]), off = 0;
  const float *g = GY(0);

  PetscFunctionBegin;
  for (PetscInt i = 0; i < nd->n_in; i++) {
    size_t n = vsize(net, nd->in[i]);

    if (gin[i]) {
      azero(nd, i, gin, (size_t)B * n);
      for (PetscInt b = 0; b < B; b++)
        for (size_t k = 0; k < n; k++) gin[i][(size_t)b * n + k] += g[(size_t)b * F + off + k];
    }
    off += n;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- add: y = x1 + x2 + ... (equal sizes) ---- */

static PetscErrorCode add_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  PetscFunctionBegin;
  for (PetscInt i = 1; i < nd->n_in; i++) PetscCheck(net->values[nd->in[i]].size == net->values[nd->in[0]].size, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: '%s' has %" PetscInt_FMT " features, '%s' %" PetscInt_FMT, what, net->values[nd->in[0]].name, net->values[nd->in[0]].size, net->values[nd->in[i]].name, net->values[nd->in[i]].size);
  PetscCall(same_shape(net, nd, what, wndim, ws));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode add_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  size_t n = (size_t)B * vsize(net, nd->out[0]);
  float *y = Y(0);

  PetscFunctionBegin;
  memcpy(y, X(0), n * sizeof(float));
  for (PetscInt i = 1; i < nd->n_in; i++) {
    const float *x = X(i);

    for (size_t k = 0; k < n; k++) y[k] += x[k];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode add_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < nd->n_in; i++) put(nd, i, gin, GY(0), (size_t)B * vsize(net, nd->out[0]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- sum: y (B, 1) = sum_f x (B, F) (in double) ---- */

static PetscErrorCode sum_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  PetscFunctionBegin;
  (void)what;
  (void)ws;
  *wndim = 0;
  set_shape(net, nd->out[0], 1, 1, 1);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode sum_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  size_t       F = vsize(net, nd->in[0]);
  const float *x = X(0);
  float       *y = Y(0);

  PetscFunctionBegin;
  for (PetscInt b = 0; b < B; b++) {
    double s = 0.0;

    for (size_t k = 0; k < F; k++) s += (double)x[(size_t)b * F + k];
    y[b] = (float)s;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode sum_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  size_t       F = vsize(net, nd->in[0]);
  const float *g = GY(0);

  PetscFunctionBegin;
  if (!gin[0]) PetscFunctionReturn(PETSC_SUCCESS);
  azero(nd, 0, gin, (size_t)B * F);
  for (PetscInt b = 0; b < B; b++)
    for (size_t k = 0; k < F; k++) gin[0][(size_t)b * F + k] += g[b];
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- permute: y (B, D)[:, j] = x[:, perm[j]] ---- */

static PetscErrorCode permute_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  PetscFunctionBegin;
  PetscCall(check_flat(net, nd, 0, what));
  PetscCheck(nd->perm && nd->count == net->values[nd->in[0]].size, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: needs a permutation of the %" PetscInt_FMT " features", what, net->values[nd->in[0]].size);
  PetscCall(same_shape(net, nd, what, wndim, ws));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode permute_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  PetscFunctionBegin;
  hd_nn_permute_forward(Y(0), X(0), nd->perm, B, nd->count);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode permute_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  PetscFunctionBegin;
  if (!gin[0]) PetscFunctionReturn(PETSC_SUCCESS);
  azero(nd, 0, gin, (size_t)B * (size_t)nd->count);
  hd_nn_permute_backward(gin[0], GY(0), nd->perm, B, nd->count);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- masked dense: out (B, N) = act(in (B, F) (W o M)^T + b) ---- */

static PetscErrorCode masked_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  PetscFunctionBegin;
  PetscCheck(nd->mask, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: no mask", what);
  PetscCall(dense_shape(net, nd, what, wndim, ws));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode masked_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  PetscFunctionBegin;
  hd_nn_masked_dense_forward(Y(0), X(0), wparam(net, nd), nd->mask, bparam(net, nd), nd->wm_, B, net->values[nd->in[0]].size, nd->units, nd->act, nd->alpha);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode masked_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  PetscInt F = net->values[nd->in[0]].size;

  PetscFunctionBegin;
  azero(nd, 0, gin, (size_t)B * (size_t)F);
  hd_nn_masked_dense_backward(gin[0], wgrad(net, nd), bgrad(net, nd), GY(0), Y(0), X(0), nd->wm_, nd->mask, B, F, nd->units, nd->act, nd->alpha);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode masked_text(const hd_nn_node *nd, char *buf, size_t len)
{
  char act[48];

  PetscFunctionBegin;
  PetscCall(act_text(nd->act, nd->alpha, act, sizeof(act)));
  PetscCall(append(buf, len, "masked_dense %" PetscInt_FMT " %s made %" PetscInt_FMT " %" PetscInt_FMT " %" PetscInt_FMT, nd->units, act, nd->made_degree[0], nd->made_degree[1], nd->made_degree[2]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- rqs: (x (B, D), theta (B, D, 3K - 1)) -> (y (B, D), logdet (B, D)) ---- */

static void rqs_config(const hd_nn_node *nd, hd_nn_rqs_config *c)
{
  c->K              = nd->knots;
  c->bound          = nd->bound;
  c->min_bin_width  = 1e-3;
  c->min_bin_height = 1e-3;
  c->min_derivative = 1e-3;
}

static PetscErrorCode rqs_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  PetscInt D = net->values[nd->in[0]].size;

  PetscFunctionBegin;
  (void)ws;
  *wndim = 0;
  {
    hd_nn_rqs_config c;

    rqs_config(nd, &c);
    PetscCall(hd_nn_rqs_check(&c, what));
  }
  PetscCheck(net->values[nd->in[1]].size == D * (3 * nd->knots - 1), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: its parameters '%s' have %" PetscInt_FMT " features, expected D (3K - 1) = %" PetscInt_FMT, what, net->values[nd->in[1]].name, net->values[nd->in[1]].size, D * (3 * nd->knots - 1));
  set_shape(net, nd->out[0], D, 1, 1);
  set_shape(net, nd->out[1], D, 1, 1);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode rqs_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  hd_nn_rqs_config c;

  PetscFunctionBegin;
  rqs_config(nd, &c);
  hd_nn_rqs_forward(Y(0), Y(1), X(0), X(1), B, net->values[nd->in[0]].size, &c);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode rqs_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  hd_nn_rqs_config c;
  PetscInt         D = net->values[nd->in[0]].size;

  PetscFunctionBegin;
  rqs_config(nd, &c);
  azero(nd, 0, gin, (size_t)B * (size_t)D);
  azero(nd, 1, gin, (size_t)B * vsize(net, nd->in[1]));
  hd_nn_rqs_backward(gin[0], gin[1], GY(0), GY(1), X(0), X(1), B, D, &c);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode rqs_text(const hd_nn_node *nd, char *buf, size_t len)
{
  PetscFunctionBegin;
  PetscCall(append(buf, len, "rqs %" PetscInt_FMT " bins bound %.17g", nd->knots, nd->bound));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- set pooling: (elements (B, P, C), size (B)) -> (B, C) ---- */

static PetscErrorCode pool_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  const hd_nn_value *x = &net->values[nd->in[0]];

  PetscFunctionBegin;
  (void)ws;
  *wndim = 0;
  PetscCheck(x->shape[2] == 1 && net->values[nd->in[1]].size == 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: needs elements (P, C) and a set size (1)", what);
  set_shape(net, nd->out[0], x->shape[1], 1, 1);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode pool_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  const hd_nn_value *x = &net->values[nd->in[0]];

  PetscFunctionBegin;
  PetscCall(hd_nn_set_pool_forward(Y(0), X(0), X(1), B, x->shape[0], x->shape[1], nd->pool ? HD_NN_POOL_MEAN : HD_NN_POOL_SUM));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode pool_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  const hd_nn_value *x = &net->values[nd->in[0]];

  PetscFunctionBegin;
  azero(nd, 1, gin, (size_t)B); /* the set size gets no gradient */
  if (gin[0]) {
    azero(nd, 0, gin, (size_t)B * (size_t)x->size);
    hd_nn_set_pool_backward(gin[0], GY(0), X(1), B, x->shape[0], x->shape[1], nd->pool ? HD_NN_POOL_MEAN : HD_NN_POOL_SUM);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode pool_text(const hd_nn_node *nd, char *buf, size_t len)
{
  PetscFunctionBegin;
  PetscCall(append(buf, len, "set_pool %s", nd->pool ? "mean" : "sum"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- per-element dense: (B, P, C) -> (B, P, N), the dense kernel on B P rows ---- */

static PetscErrorCode row_dense_shape(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt ws[4])
{
  const hd_nn_value *x = &net->values[nd->in[0]];

  PetscFunctionBegin;
  PetscCheck(x->shape[2] == 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: input '%s' is not a set of elements (P, C)", what, x->name);
  set_shape(net, nd->out[0], x->shape[0], nd->units, 1);
  *wndim = 2;
  ws[0]  = nd->units;
  ws[1]  = x->shape[1];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode row_dense_forward(hd_nn *net, hd_nn_node *nd, PetscInt B)
{
  const hd_nn_value *x = &net->values[nd->in[0]];

  PetscFunctionBegin;
  hd_nn_dense_forward(Y(0), X(0), wparam(net, nd), bparam(net, nd), B * x->shape[0], x->shape[1], nd->units, nd->act, nd->alpha);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode row_dense_backward(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin)
{
  const hd_nn_value *x = &net->values[nd->in[0]];

  PetscFunctionBegin;
  hd_nn_dense_backward(wtarget(net, nd, 0, gin), wgrad(net, nd), bgrad(net, nd), GY(0), Y(0), X(0), wparam(net, nd), B * x->shape[0], x->shape[1], nd->units, nd->act, nd->alpha);
  wfinish(net, nd, 0, gin, (size_t)B * (size_t)x->size);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode row_dense_text(const hd_nn_node *nd, char *buf, size_t len)
{
  char act[48];

  PetscFunctionBegin;
  PetscCall(act_text(nd->act, nd->alpha, act, sizeof(act)));
  PetscCall(append(buf, len, "row_dense %" PetscInt_FMT " %s", nd->units, act));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_nn_op_entry hd_nn_op_table[HD_OP_COUNT] = {
  [HD_OP_DENSE]        = {"dense", dense_shape, NULL, dense_forward, dense_backward, dense_text},
  [HD_OP_CONV2D]       = {"conv2d", conv_shape, conv_scratch, conv_forward, conv_backward, conv_text},
  [HD_OP_MAXPOOL]      = {"maxpool", maxpool_shape, NULL, maxpool_forward, maxpool_backward, maxpool_text},
  [HD_OP_FLATTEN]      = {"flatten", flatten_shape, NULL, flatten_forward, flatten_backward, name_text},
  [HD_OP_ACTIVATION]   = {"activation", same_shape, NULL, act_forward, act_backward, act_node_text},
  [HD_OP_SLICE]        = {"slice", slice_shape, NULL, slice_forward, slice_backward, slice_text},
  [HD_OP_CONCAT]       = {"concat", concat_shape, NULL, concat_forward, concat_backward, name_text},
  [HD_OP_ADD]          = {"add", add_shape, NULL, add_forward, add_backward, name_text},
  [HD_OP_SUM]          = {"sum", sum_shape, NULL, sum_forward, sum_backward, name_text},
  [HD_OP_PERMUTE]      = {"permute", permute_shape, NULL, permute_forward, permute_backward, name_text},
  [HD_OP_MASKED_DENSE] = {"masked_dense", masked_shape, NULL, masked_forward, masked_backward, masked_text},
  [HD_OP_RQS]          = {"rqs", rqs_shape, NULL, rqs_forward, rqs_backward, rqs_text},
  [HD_OP_SET_POOL]     = {"set_pool", pool_shape, NULL, pool_forward, pool_backward, pool_text},
  [HD_OP_ROW_DENSE]    = {"row_dense", row_dense_shape, NULL, row_dense_forward, row_dense_backward, row_dense_text},
};

const char *hd_nn_op_name(hd_nn_op op) { return op >= 0 && op < HD_OP_COUNT ? hd_nn_op_table[op].name : "unknown"; }

PetscErrorCode hd_nn_node_text(const hd_nn_node *nd, char *buf, size_t len)
{
  PetscFunctionBegin;
  PetscCheck(len > 0 && nd->op >= 0 && nd->op < HD_OP_COUNT, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "node '%s': no such op or no room for its text", nd->name);
  buf[0] = '\0';
  PetscCall(hd_nn_op_table[nd->op].text(nd, buf, len));
  PetscFunctionReturn(PETSC_SUCCESS);
}
