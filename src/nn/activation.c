/* Element-wise activations (docs/nn.md, "Activations"). The switch sits outside the loops so each
 * loop is a plain arithmetic loop the compiler can vectorise; no per-element function pointers. */
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

void hd_nn_act_forward(float *y, const float *x, size_t n, hd_nn_act act, float alpha)
{
  switch (act) {
  case HD_ACT_IDENTITY:
    if (y != x) memcpy(y, x, n * sizeof(float));
    break;
  case HD_ACT_RELU:
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    break;
  case HD_ACT_ELU:
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : alpha * expm1f(x[i]);
    break;
  case HD_ACT_LEAKY_RELU:
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
    break;
  case HD_ACT_SIGMOID:
    for (size_t i = 0; i < n; i++) y[i] = sigmoidf_stable(x[i]);
    break;
  case HD_ACT_TANH:
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
    break;
  }
}

/* f' through the output y: relu y > 0; leakyrelu y > 0 ? 1 : alpha (alpha >= 0 keeps the sign);
 * elu y > 0 ? 1 : y + alpha (= alpha e^x); sigmoid y (1 - y); tanh 1 - y^2. */
void hd_nn_act_backward(float *dx, const float *dy, const float *y, size_t n, hd_nn_act act, float alpha)
{
  switch (act) {
  case HD_ACT_IDENTITY:
    if (dx != dy) memcpy(dx, dy, n * sizeof(float));
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
}
