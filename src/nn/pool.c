/* Max-pooling (docs/nn.md, "Max-pool"). */
#include <math.h>
#include <string.h>
#include <hadal/nn.h>
#if defined(__GNUC__)
  #define HD_VECTOR 1
  #define HD_VW     4
  #define HD_VSFX   w4
  #include "vec.h"
#endif

/* out (B, C, OH, OW) = max over K x K windows of in (B, C, H, W), stride `stride`, no padding;
 * arg (B, C, OH, OW) = y W + x of the maximum within its channel plane */
void hd_nn_maxpool_forward(float *out, int32_t *arg, const float *in, PetscInt B, PetscInt C, PetscInt H, PetscInt W, PetscInt K, PetscInt stride)
{
  const PetscInt OH = (H - K) / stride + 1, OW = (W - K) / stride + 1;

  for (PetscInt pl = 0; pl < B * C; pl++) {
    const float *src = in + (size_t)pl * (size_t)(H * W);
    float       *dst = out + (size_t)pl * (size_t)(OH * OW);
    int32_t     *idx = arg + (size_t)pl * (size_t)(OH * OW);

    for (PetscInt oy = 0; oy < OH; oy++) {
      float   *best = dst + oy * OW;
      int32_t *bi   = idx + oy * OW;

      for (PetscInt ox = 0; ox < OW; ox++) {
        best[ox] = -INFINITY;
        bi[ox]   = (int32_t)(oy * stride * W + ox * stride);
      }
      /* the window in row-major order, all outputs of the row at once: the same scan and the same
       * comparison as PyTorch (the first maximum wins, a NaN always wins), branch-free */
      for (PetscInt ky = 0; ky < K; ky++) {
        for (PetscInt kx = 0; kx < K; kx++) {
          PetscInt     i0  = (oy * stride + ky) * W + kx;
          const float *row = src + i0;
          PetscInt     ox  = 0;

#if defined(HD_VECTOR)
          for (; ox + 4 <= OW; ox += 4) {
            const float *r = row + ox * stride;
            hd_vf_w4     v = {r[0], r[stride], r[2 * stride], r[3 * stride]};
            hd_vf_w4     b = vload_w4(best + ox);
            hd_vi_w4     m = (v > b) | (v != v);
            hd_vi_w4     i = {(int32_t)(i0 + ox * stride), (int32_t)(i0 + (ox + 1) * stride), (int32_t)(i0 + (ox + 2) * stride), (int32_t)(i0 + (ox + 3) * stride)};
            hd_vi_w4     c = vload_i_w4(bi + ox);

            vstore_w4(best + ox, vselect_w4(m, v, b));
            vstore_i_w4(bi + ox, vselect_i_w4(m, i, c));
          }
#endif
          for (; ox < OW; ox++) {
            float v = row[ox * stride];

            if (v > best[ox] || v != v) {
              best[ox] = v;
              bi[ox]   = (int32_t)(i0 + ox * stride);
            }
          }
        }
      }
    }
  }
}

/* din (B, C, H, W) = dout (B, C, OH, OW) scattered to the recorded maxima */
void hd_nn_maxpool_backward(float *din, const float *dout, const int32_t *arg, PetscInt B, PetscInt C, PetscInt H, PetscInt W, PetscInt OH, PetscInt OW)
{
  memset(din, 0, (size_t)(B * C) * (size_t)(H * W) * sizeof(float));
  for (PetscInt pl = 0; pl < B * C; pl++) {
    float         *dst = din + (size_t)pl * (size_t)(H * W);
    const float   *src = dout + (size_t)pl * (size_t)(OH * OW);
    const int32_t *idx = arg + (size_t)pl * (size_t)(OH * OW);

    /* += because windows overlap when stride < K */
    for (PetscInt k = 0; k < OH * OW; k++) dst[idx[k]] += src[k];
  }
}
