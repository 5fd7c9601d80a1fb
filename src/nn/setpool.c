/* Set pooling over the elements of an event (docs/nn.md, "Flow, set and coupling kernels"): the
 * permutation-invariant sum of deep sets (Zaheer et al. 2017) that a Particle Flow Network
 * (Komiske, Metodiev & Thaler 2019; seed 004) places between its per-particle network Phi and its
 * event network F. Events hold up to P elements; the ones beyond an event's size are padding. */
#include <math.h>
#include <hadal/nn.h>

/* Channels whose sums are kept in double together (2 KiB of stack). */
#define HD_POOL_BLOCK 256

/* The number of valid elements of an event, size clamped to [0, P] (the forward has checked it). */
static PetscInt pool_count(float size, PetscInt P)
{
  if (!(size > 0.0f)) return 0;
  return size >= (float)P ? P : (PetscInt)size;
}

/* out (B, C) = sum (or mean) over p < size[b] of in (B, P, C) */
PetscErrorCode hd_nn_set_pool_forward(float *out, const float *in, const float *size, PetscInt B, PetscInt P, PetscInt C, hd_nn_pool_mode mode)
{
  PetscFunctionBegin;
  PetscCheck(mode == HD_NN_POOL_SUM || mode == HD_NN_POOL_MEAN, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "set pooling: unknown mode %d", (int)mode);
  for (PetscInt b = 0; b < B; b++) {
    float s = size[b];

    PetscCheck(isfinite(s) && s >= 0.0f && s <= (float)P && s == floorf(s), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "set pooling: event %" PetscInt_FMT " has size %g, which is not an integer in [0, %" PetscInt_FMT "]", b, (double)s, P);
  }
  for (PetscInt b = 0; b < B; b++) {
    PetscInt     n   = pool_count(size[b], P);
    const float *ev  = in + (size_t)b * (size_t)P * (size_t)C;
    double       inv = mode == HD_NN_POOL_MEAN && n > 0 ? 1.0 / (double)n : 1.0;

    for (PetscInt c0 = 0; c0 < C; c0 += HD_POOL_BLOCK) {
      PetscInt nc              = PetscMin(HD_POOL_BLOCK, C - c0);
      double   s[HD_POOL_BLOCK] = {0.0};

      for (PetscInt p = 0; p < n; p++) {
        const float *row = ev + (size_t)p * (size_t)C + (size_t)c0;

        for (PetscInt c = 0; c < nc; c++) s[c] += (double)row[c];
      }
      for (PetscInt c = 0; c < nc; c++) out[(size_t)b * (size_t)C + (size_t)(c0 + c)] = (float)(s[c] * inv);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* din (B, P, C)[b, p, :] += dout (B, C)[b, :] (/ size[b] for MEAN) for p < size[b] */
void hd_nn_set_pool_backward(float *din, const float *dout, const float *size, PetscInt B, PetscInt P, PetscInt C, hd_nn_pool_mode mode)
{
  for (PetscInt b = 0; b < B; b++) {
    PetscInt     n   = pool_count(size[b], P);
    const float *g   = dout + (size_t)b * (size_t)C;
    float        inv = mode == HD_NN_POOL_MEAN && n > 0 ? (float)(1.0 / (double)n) : 1.0f;

    for (PetscInt p = 0; p < n; p++) {
      float *row = din + ((size_t)b * (size_t)P + (size_t)p) * (size_t)C;

      for (PetscInt c = 0; c < C; c++) row[c] += g[c] * inv;
    }
  }
}
