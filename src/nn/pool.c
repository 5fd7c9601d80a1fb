/* Max-pooling (docs/nn.md, "Max-pool"). */
#include <math.h>
#include <string.h>
#include <hadal/nn.h>

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
      for (PetscInt ox = 0; ox < OW; ox++) {
        PetscInt y0 = oy * stride, x0 = ox * stride, best_i = y0 * W + x0;
        float    best = -INFINITY;

        /* the same scan and comparison as PyTorch: the first maximum wins, a NaN always wins */
        for (PetscInt ky = 0; ky < K; ky++) {
          for (PetscInt kx = 0; kx < K; kx++) {
            PetscInt i = (y0 + ky) * W + x0 + kx;
            float    v = src[i];

            if (v > best || isnan(v)) {
              best   = v;
              best_i = i;
            }
          }
        }
        dst[oy * OW + ox] = best;
        idx[oy * OW + ox] = (int32_t)best_i;
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
