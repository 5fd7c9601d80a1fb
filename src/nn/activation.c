/* Element-wise activations (docs/nn.md, "Activations"). The switch sits outside the loops; no
 * per-element function pointers. ReLU, LeakyReLU and ELU forward, every backward, and the fused
 * bias / bias-gradient passes run on vectors (GCC/Clang vector extensions, src/nn/act_vec.h):
 * 4 floats (SSE2 or NEON) without any -march flag, 8 or 16 on x86-64 CPUs with AVX2 or AVX-512,
 * chosen at run time; all widths give the same bits. Sigmoid and tanh forward use libm. */
#include <math.h>
#include <string.h>
#include <stdlib.h>
#include <hadal/nn.h>

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

#if defined(__GNUC__)
  #define HD_ACT_VECTOR 1
  #define HD_VW         4
  #define HD_VSFX       w4
  #include "act_vec.h"
  #undef HD_VW
  #undef HD_VSFX
  /* Wider copies for x86-64 CPUs that have AVX2 / AVX-512, chosen at run time (the build itself
   * targets the x86-64 baseline). GCC only: the target pragma is GCC's. -DHADAL_NN_NO_WIDE keeps
   * the 4-float code everywhere (the widths give the same bits; this is for checking that). */
  #if defined(__x86_64__) && !defined(__clang__) && !defined(HADAL_NN_NO_WIDE)
    #define HD_ACT_X86_WIDE 1
    #pragma GCC push_options
    #pragma GCC target("avx2")
    #define HD_VW   8
    #define HD_VSFX w8
    #include "act_vec.h"
    #undef HD_VW
    #undef HD_VSFX
    #pragma GCC pop_options
    #pragma GCC push_options
    #pragma GCC target("avx512f")
    #define HD_VW   16
    #define HD_VSFX w16
    #include "act_vec.h"
    #undef HD_VW
    #undef HD_VSFX
    #pragma GCC pop_options
  #endif

/* The widest vectors this CPU runs (the CPU model is read once by the runtime's constructor). */
static int act_width(void)
{
  #if defined(HD_ACT_X86_WIDE)
  if (__builtin_cpu_supports("avx512f")) return 16;
  if (__builtin_cpu_supports("avx2")) return 8;
  #endif
  return 4;
}

static void vec_bias_forward(float *y, const float *x, const float *b, int b_stride, size_t n, hd_nn_act act, float alpha)
{
  switch (act_width()) {
  #if defined(HD_ACT_X86_WIDE)
  case 16:
    bias_forward_w16(y, x, b, b_stride, n, act, alpha);
    return;
  case 8:
    bias_forward_w8(y, x, b, b_stride, n, act, alpha);
    return;
  #endif
  default:
    bias_forward_w4(y, x, b, b_stride, n, act, alpha);
  }
}

static void vec_backward(float *dx, const float *dy, const float *y, double *acc, int acc_stride, size_t n, hd_nn_act act, float alpha)
{
  double  lanes[16] = {0.0}; /* the bias-gradient sum (acc_stride 0): 16 lanes, added in order */
  double *pa = acc && acc_stride ? acc : NULL, *pl = acc && !acc_stride ? lanes : NULL;

  switch (act_width()) {
  #if defined(HD_ACT_X86_WIDE)
  case 16:
    backward_w16(dx, dy, y, pa, pl, 0, n, act, alpha);
    break;
  case 8:
    backward_w8(dx, dy, y, pa, pl, 0, n, act, alpha);
    break;
  #endif
  default:
    backward_w4(dx, dy, y, pa, pl, 0, n, act, alpha);
  }
  if (pl) {
    double s = 0.0;

    for (int k = 0; k < 16; k++) s += lanes[k];
    acc[0] += s;
  }
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
      vec_bias_forward(y, x, b, b_stride, n, act, alpha);
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
    vec_backward(dx, dy, y, acc, acc_stride, n, act, alpha);
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
    double s[16] = {0.0}, t = 0.0; /* the vector code's lanes and order */

    for (size_t i = 0; i < n; i++) s[i % 16] += (double)dx[i];
    for (int k = 0; k < 16; k++) t += s[k];
    acc[0] += t;
  }
#endif
}
