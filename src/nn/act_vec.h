/* Private to src/nn/activation.c, included once per vector width: the vectorised activation
 * kernels, written once for HD_VW floats per vector (4: SSE2/NEON; 8: AVX2; 16: AVX-512) and named
 * with the suffix HD_VSFX (src/nn/vec.h has the vector types and helpers). Every lane does the same IEEE operations in the same order whatever the
 * width (no FMA contraction under -std=c11), so all widths give the same bits for the same input.
 * The last partial vector of an array is run on a zero-padded copy, so a value never depends on
 * where it sits in its buffer. */
#include "vec.h"

/* e^x - 1 for x in [-20, 0]. x = n ln2 + r, |r| <= ln2 / 2 (Cody-Waite split of ln2; n rounded
 * with the 1.5 2^23 trick), expm1(r) by its Taylor series to r^7 (remainder below 2e-8 r), then
 * expm1(x) = 2^n expm1(r) + (2^n - 1), which keeps full relative accuracy near 0 (n = 0). Below
 * -20 every float result is -1, so the caller clamps there. Within 1.2 ulp (docs/nn.md). */
static inline VF FN(vexpm1_neg_)(VF x)
{
  const float magic = 12582912.0f; /* 1.5 2^23 */
  VF          t     = x * 1.44269504088896341f + magic;
  VF          n     = t - magic;
  VF          r     = (x - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
  VF          p     = r * (1.0f + r * (0.5f + r * (1.0f / 6.0f + r * (1.0f / 24.0f + r * (1.0f / 120.0f + r * (1.0f / 720.0f + r * (1.0f / 5040.0f)))))));
  VI          e     = (__builtin_convertvector(n, VI) + 127) << 23;
  VF          s     = (VF)e; /* 2^n */

  return s * p + (s - 1.0f);
}

/* y = f(x); NaN propagates, as in PyTorch */
static inline VF FN(vforward_)(VF x, hd_nn_act act, float alpha)
{
  const VF zero = {0.0f};

  switch (act) {
  case HD_ACT_RELU:
    return FN(vselect_)(x < 0.0f, zero, x);
  case HD_ACT_LEAKY_RELU:
    return FN(vselect_)(x < 0.0f, x * alpha, x);
  case HD_ACT_ELU: {
    VF c = FN(vselect_)(x < 0.0f, x, zero);
    c    = FN(vselect_)(c > -20.0f, c, zero - 20.0f);
    return FN(vselect_)(x <= 0.0f, alpha * FN(vexpm1_neg_)(c), x);
  }
  default:
    return x;
  }
}

/* dx = dy f'(y), f' from the output y */
static inline VF FN(vbackward_)(VF dy, VF y, hd_nn_act act, float alpha)
{
  const VF zero = {0.0f};

  switch (act) {
  case HD_ACT_RELU:
    return FN(vselect_)(y > 0.0f, dy, zero);
  case HD_ACT_LEAKY_RELU:
    return FN(vselect_)(y > 0.0f, dy, dy * alpha);
  case HD_ACT_ELU:
    return FN(vselect_)(y > 0.0f, dy, dy * (y + alpha));
  case HD_ACT_SIGMOID:
    return dy * y * (1.0f - y);
  case HD_ACT_TANH:
    return dy * (1.0f - y * y);
  default:
    return dy;
  }
}

/* y = f(x + b); b per element (b_stride 1), one value (b_stride 0) or none (NULL). The wide
 * variants leave the last n mod HD_VW elements to the 4-float code, which gives the same bits;
 * the 4-float code runs its last partial vector on a zero-padded copy (16-byte stack buffers:
 * nothing on the stack needs more alignment, which sanitizer builds' fake stacks do not give). */
static void FN(bias_forward_)(float *y, const float *x, const float *b, int b_stride, size_t n, hd_nn_act act, float alpha)
{
  const float bs = (b && !b_stride) ? b[0] : 0.0f;
  size_t      i  = 0;

  for (; i + HD_VW <= n; i += HD_VW) {
    VF v = FN(vload_)(x + i);

    v = (b && b_stride) ? v + FN(vload_)(b + i) : v + bs;
    FN(vstore_)(y + i, FN(vforward_)(v, act, alpha));
  }
  if (i == n) return;
#if HD_VW > 4
  bias_forward_w4(y + i, x + i, b ? (b_stride ? b + i : b) : NULL, b_stride, n - i, act, alpha);
#else
  {
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f}, u[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    VF    v;

    memcpy(t, x + i, (n - i) * sizeof(float));
    if (b && b_stride) memcpy(u, b + i, (n - i) * sizeof(float));
    v = FN(vload_)(t);
    v = (b && b_stride) ? v + FN(vload_)(u) : v + bs;
    FN(vstore_)(t, FN(vforward_)(v, act, alpha));
    memcpy(y + i, t, (n - i) * sizeof(float));
  }
#endif
}

/* dx = dy f'(y); with acc and acc_stride 1: acc[i] += dx[i]; with lanes (acc_stride 0): element i
 * is added to lanes[(lane0 + i) mod 16], so the caller's 16 sums, and their total, are the same
 * whatever the width and however the array was split between widths. */
static void FN(backward_)(float *dx, const float *dy, const float *y, double *acc, double *lanes, size_t lane0, size_t n, hd_nn_act act, float alpha)
{
  size_t i = 0;

  for (; i + HD_VW <= n; i += HD_VW) {
    VF d = FN(vbackward_)(FN(vload_)(dy + i), FN(vload_)(y + i), act, alpha);

    FN(vstore_)(dx + i, d);
    if (acc || lanes) {
      double *dst = acc ? acc + i : lanes + (lane0 + i) % 16;
      VD      s;

      memcpy(&s, dst, sizeof(s));
      s += __builtin_convertvector(d, VD);
      memcpy(dst, &s, sizeof(s));
    }
  }
  if (i == n) return;
#if HD_VW > 4
  backward_w4(dx + i, dy + i, y + i, acc ? acc + i : NULL, lanes, lane0 + i, n - i, act, alpha);
#else
  {
    float  a[4] = {0.0f, 0.0f, 0.0f, 0.0f}, c[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    size_t m    = n - i;
    VF     d;

    memcpy(a, dy + i, m * sizeof(float));
    memcpy(c, y + i, m * sizeof(float));
    d = FN(vbackward_)(FN(vload_)(a), FN(vload_)(c), act, alpha);
    FN(vstore_)(a, d);
    memcpy(dx + i, a, m * sizeof(float));
    for (size_t k = 0; k < m; k++) {
      if (acc) acc[i + k] += (double)a[k];
      else if (lanes) lanes[(lane0 + i + k) % 16] += (double)a[k];
    }
  }
#endif
}

#undef VF
#undef VI
#undef VD
#undef FN
