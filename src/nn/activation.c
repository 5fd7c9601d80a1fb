/* Element-wise activations (docs/nn.md, "Activations"). The switch sits outside the loops; no
 * per-element function pointers. ReLU, LeakyReLU and ELU, the activations of the large networks,
 * run on 4-float vectors (GCC/Clang vector extensions: SSE2 or NEON without any -march flag), with
 * branch-free selects and a polynomial expm1 for ELU. The last partial vector of an array goes
 * through the same vector code on a padded copy, so a value never depends on where it sits in
 * its buffer (shard boundaries move it around). */
#include <math.h>
#include <string.h>
#include <stdlib.h>
#include <hadal/nn.h>
#include "vec4.h"

const char *hd_nn_act_name(hd_nn_act act)
{
  switch (act) {
  case HD_ACT_IDENTITY:
    return "identity";
  case HD_ACT_RELU:
    return "relu";
  case HD_ACT_ELU:
    return "elu";
  case HD_ACT_LEAKY_RELU:
    return "leakyrelu";
  case HD_ACT_SIGMOID:
    return "sigmoid";
  case HD_ACT_TANH:
    return "tanh";
  }
  return "unknown";
}

PetscErrorCode hd_nn_act_parse(const char *word, hd_nn_act *act, float *alpha, PetscBool *found)
{
  static const struct {
    const char *name;
    hd_nn_act   act;
    float       alpha; /* default parameter */
    PetscBool   has_param;
  } table[] = {
    {"identity",   HD_ACT_IDENTITY,   0.0f,  PETSC_FALSE},
    {"linear",     HD_ACT_IDENTITY,   0.0f,  PETSC_FALSE},
    {"relu",       HD_ACT_RELU,       0.0f,  PETSC_FALSE},
    {"elu",        HD_ACT_ELU,        1.0f,  PETSC_TRUE },
    {"leakyrelu",  HD_ACT_LEAKY_RELU, 0.01f, PETSC_TRUE },
    {"leaky_relu", HD_ACT_LEAKY_RELU, 0.01f, PETSC_TRUE },
    {"sigmoid",    HD_ACT_SIGMOID,    0.0f,  PETSC_FALSE},
    {"tanh",       HD_ACT_TANH,       0.0f,  PETSC_FALSE},
  };
  const char *colon = strchr(word, ':');
  size_t      len   = colon ? (size_t)(colon - word) : strlen(word);

  PetscFunctionBegin;
  *found = PETSC_FALSE;
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    if (strlen(table[i].name) != len || strncmp(table[i].name, word, len) != 0) continue;
    float a = table[i].alpha;

    if (colon) {
      char  *end = NULL;
      double v   = strtod(colon + 1, &end);

      PetscCheck(table[i].has_param, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "activation '%s': %s takes no parameter", word, table[i].name);
      PetscCheck(end != colon + 1 && *end == '\0' && isfinite(v), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "activation '%s': the parameter after ':' is not a number", word);
      /* ELU needs alpha > 0 and LeakyReLU a slope >= 0 so that f' can be read from the output. */
      PetscCheck(table[i].act == HD_ACT_ELU ? v > 0.0 : v >= 0.0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "activation '%s': the parameter must be %s", word, table[i].act == HD_ACT_ELU ? "> 0" : ">= 0");
      a = (float)v;
    }
    *act   = table[i].act;
    *alpha = a;
    *found = PETSC_TRUE;
    break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Logistic function without overflow: e^-|x| never exceeds 1. */
static inline float sigmoidf_stable(float x)
{
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}

#if defined(HD_VEC4)
  #define HD_ACT_VECTOR 1
  #define v4_load   hd_v4_load
  #define v4_store  hd_v4_store
  #define v4_select hd_v4_select

/* e^x - 1 for x in [-20, 0]. x = n ln2 + r, |r| <= ln2 / 2 (Cody-Waite split of ln2, n rounded
 * with the 1.5 2^23 trick), expm1(r) by its Taylor series to r^7 (remainder below 2e-8 r), then
 * expm1(x) = 2^n expm1(r) + (2^n - 1), which keeps full relative accuracy near 0 (n = 0). Below
 * -20 every float result is -1, so the caller clamps there. Accurate to a few ulp. */
static inline hd_v4f v4_expm1_neg(hd_v4f x)
{
  const float  magic = 12582912.0f; /* 1.5 2^23 */
  hd_v4f       t = x * 1.44269504088896341f + magic;
  hd_v4f       n = t - magic;
  hd_v4f       r = (x - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
  hd_v4f       p = r * (1.0f + r * (0.5f + r * (1.0f / 6.0f + r * (1.0f / 24.0f + r * (1.0f / 120.0f + r * (1.0f / 720.0f + r * (1.0f / 5040.0f)))))));
  hd_v4i       e = (__builtin_convertvector(n, hd_v4i) + 127) << 23;
  hd_v4f       s = (hd_v4f)e; /* 2^n */

  return s * p + (s - 1.0f);
}

/* y = f(x) on one vector (ReLU, LeakyReLU, ELU; NaN propagates as in PyTorch) */
static inline hd_v4f v4_forward(hd_v4f x, hd_nn_act act, float alpha)
{
  const hd_v4f zero = {0.0f, 0.0f, 0.0f, 0.0f};

  switch (act) {
  case HD_ACT_RELU:
    return v4_select(x < zero, zero, x);
  case HD_ACT_LEAKY_RELU:
    return v4_select(x < zero, x * alpha, x);
  case HD_ACT_ELU: {
    hd_v4f c = v4_select(x < zero, x, zero);
    c        = v4_select(c > -20.0f, c, zero - 20.0f);
    return v4_select(x <= zero, alpha * v4_expm1_neg(c), x);
  }
  default:
    return x;
  }
}

/* dx = dy f'(y) on one vector, f' from the output y */
static inline hd_v4f v4_backward(hd_v4f dy, hd_v4f y, hd_nn_act act, float alpha)
{
  const hd_v4f zero = {0.0f, 0.0f, 0.0f, 0.0f};

  switch (act) {
  case HD_ACT_RELU:
    return v4_select(y > zero, dy, zero);
  case HD_ACT_LEAKY_RELU:
    return v4_select(y > zero, dy, dy * alpha);
  case HD_ACT_ELU:
    return v4_select(y > zero, dy, dy * (y + alpha));
  case HD_ACT_SIGMOID:
    return dy * y * (1.0f - y);
  case HD_ACT_TANH:
    return dy * (1.0f - y * y);
  default:
    return dy;
  }
}

/* y = f(x + b) over an array; b is per element (b_stride 1) or one value (b_stride 0) */
static void v4_bias_forward_array(float *y, const float *x, const float *b, int b_stride, size_t n, hd_nn_act act, float alpha)
{
  const hd_v4f zero = {0.0f, 0.0f, 0.0f, 0.0f};
  hd_v4f       bs   = zero + (b && !b_stride ? b[0] : 0.0f);
  size_t       i    = 0;

  for (; i + 4 <= n; i += 4) {
    hd_v4f v = v4_load(x + i) + (b && b_stride ? v4_load(b + i) : bs);
    v4_store(y + i, v4_forward(v, act, alpha));
  }
  if (i < n) {
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f}, u[4] = {0.0f, 0.0f, 0.0f, 0.0f};

    memcpy(t, x + i, (n - i) * sizeof(float));
    if (b && b_stride) memcpy(u, b + i, (n - i) * sizeof(float));
    v4_store(t, v4_forward(v4_load(t) + (b && b_stride ? v4_load(u) : bs), act, alpha));
    memcpy(y + i, t, (n - i) * sizeof(float));
  }
}

/* dx = dy f'(y); with acc: acc[i] += dx[i] (acc_stride 1) or acc[0] += sum dx (acc_stride 0; summed
 * in four lanes, then the lanes in order, so the order depends on n alone) */
static void v4_backward_array(float *dx, const float *dy, const float *y, double *acc, int acc_stride, size_t n, hd_nn_act act, float alpha)
{
  typedef double hd_v2d __attribute__((vector_size(16)));
  hd_v2d lo = {0.0, 0.0}, hi = {0.0, 0.0};
  size_t i  = 0;

  for (; i + 4 <= n + 3; i += 4) {
    hd_v4f d;

    if (i + 4 <= n) {
      d = v4_backward(v4_load(dy + i), v4_load(y + i), act, alpha);
      v4_store(dx + i, d);
    } else { /* the last partial vector, padded with zeros */
      float a[4] = {0.0f, 0.0f, 0.0f, 0.0f}, b[4] = {0.0f, 0.0f, 0.0f, 0.0f};

      memcpy(a, dy + i, (n - i) * sizeof(float));
      memcpy(b, y + i, (n - i) * sizeof(float));
      d = v4_backward(v4_load(a), v4_load(b), act, alpha);
      v4_store(a, d);
      memcpy(dx + i, a, (n - i) * sizeof(float));
    }
    if (!acc) continue;
    if (acc_stride) {
      for (size_t k = 0; k < 4 && i + k < n; k++) acc[i + k] += (double)d[k];
    } else {
      hd_v2d dl = {(double)d[0], (double)d[1]}, dh = {(double)d[2], (double)d[3]};

      lo += dl;
      hi += dh;
    }
  }
  if (acc && !acc_stride) acc[0] += ((lo[0] + lo[1]) + hi[0]) + hi[1];
}
#endif

void hd_nn_act_forward(float *y, const float *x, size_t n, hd_nn_act act, float alpha) { hd_nn_bias_act_forward(y, x, NULL, 0, n, act, alpha); }

void hd_nn_bias_act_forward(float *y, const float *x, const float *b, int b_stride, size_t n, hd_nn_act act, float alpha)
{
#if defined(HD_ACT_VECTOR)
  if (act == HD_ACT_IDENTITY || act == HD_ACT_RELU || act == HD_ACT_LEAKY_RELU || act == HD_ACT_ELU) {
    if (act == HD_ACT_IDENTITY && !b) {
      if (y != x) memmove(y, x, n * sizeof(float));
    } else {
      v4_bias_forward_array(y, x, b, b_stride, n, act, alpha);
    }
    return;
  }
#endif
  if (b) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] + b[b_stride ? i : 0];
    x = y;
  }
  switch (act) {
  case HD_ACT_IDENTITY:
    if (y != x) memmove(y, x, n * sizeof(float));
    break;
  case HD_ACT_RELU:
    for (size_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
    break;
  case HD_ACT_LEAKY_RELU:
    for (size_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? alpha * x[i] : x[i];
    break;
  case HD_ACT_ELU:
    for (size_t i = 0; i < n; i++) y[i] = x[i] <= 0.0f ? alpha * expm1f(x[i]) : x[i];
    break;
  case HD_ACT_SIGMOID:
    for (size_t i = 0; i < n; i++) y[i] = sigmoidf_stable(x[i]);
    break;
  case HD_ACT_TANH:
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
    break;
  }
}

void hd_nn_act_backward(float *dx, const float *dy, const float *y, size_t n, hd_nn_act act, float alpha) { hd_nn_act_backward_sum(dx, dy, y, NULL, 0, n, act, alpha); }

/* f' through the output y: relu y > 0; leakyrelu y > 0 ? 1 : alpha (alpha >= 0 keeps the sign);
 * elu y > 0 ? 1 : y + alpha (= alpha e^x); sigmoid y (1 - y); tanh 1 - y^2. */
void hd_nn_act_backward_sum(float *dx, const float *dy, const float *y, double *acc, int acc_stride, size_t n, hd_nn_act act, float alpha)
{
#if defined(HD_ACT_VECTOR)
  if (act == HD_ACT_IDENTITY && !acc) {
    if (dx != dy) memmove(dx, dy, n * sizeof(float));
  } else {
    v4_backward_array(dx, dy, y, acc, acc_stride, n, act, alpha);
  }
#else
  switch (act) {
  case HD_ACT_IDENTITY:
    if (dx != dy) memmove(dx, dy, n * sizeof(float));
    break;
  case HD_ACT_RELU:
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    break;
  case HD_ACT_ELU:
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : dy[i] * (y[i] + alpha);
    break;
  case HD_ACT_LEAKY_RELU:
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : dy[i] * alpha;
    break;
  case HD_ACT_SIGMOID:
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
    break;
  case HD_ACT_TANH:
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
    break;
  }
  if (acc && acc_stride) {
    for (size_t i = 0; i < n; i++) acc[i] += (double)dx[i];
  } else if (acc) {
    double s[4] = {0.0, 0.0, 0.0, 0.0};

    for (size_t i = 0; i < n; i++) s[i % 4] += (double)dx[i];
    acc[0] += ((s[0] + s[1]) + s[2]) + s[3];
  }
#endif
}
