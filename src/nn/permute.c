/* Feature permutation between flow blocks (docs/nn.md, "Flow, set and coupling kernels"). */
#include <hadal/nn.h>

/* y (B, D)[:, j] = x (B, D)[:, perm[j]] */
void hd_nn_permute_forward(float *y, const float *x, const PetscInt *perm, PetscInt B, PetscInt D)
{
  for (PetscInt r = 0; r < B; r++) {
    const float *xr = x + (size_t)r * (size_t)D;
    float       *yr = y + (size_t)r * (size_t)D;

    for (PetscInt j = 0; j < D; j++) yr[j] = xr[perm[j]];
  }
}

/* dx (B, D)[:, perm[j]] += dy (B, D)[:, j] */
void hd_nn_permute_backward(float *dx, const float *dy, const PetscInt *perm, PetscInt B, PetscInt D)
{
  for (PetscInt r = 0; r < B; r++) {
    float       *xr = dx + (size_t)r * (size_t)D;
    const float *yr = dy + (size_t)r * (size_t)D;

    for (PetscInt j = 0; j < D; j++) xr[perm[j]] += yr[j];
  }
}
