/* Set pooling over the elements of an event (docs/nn.md, "Flow, set and coupling kernels"). */
#include <hadal/nn.h>

PetscErrorCode hd_nn_set_pool_forward(float *out, const float *in, const float *size, PetscInt B, PetscInt P, PetscInt C, hd_nn_pool_mode mode)
{
  PetscFunctionBegin;
  (void)out; (void)in; (void)size; (void)B; (void)P; (void)C; (void)mode;
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_SUP, "hd_nn_set_pool_forward: not implemented yet");
}

void hd_nn_set_pool_backward(float *din, const float *dout, const float *size, PetscInt B, PetscInt P, PetscInt C, hd_nn_pool_mode mode)
{
  (void)din; (void)dout; (void)size; (void)B; (void)P; (void)C; (void)mode;
}
