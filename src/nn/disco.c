/* Distance correlation (DisCo) decorrelation term (docs/nn.md, "Flow, set and coupling kernels"). */
#include <hadal/nn.h>

PetscErrorCode hd_nn_disco2(double *value, float *da, float *db, const float *a, const float *b, const float *w, PetscInt n, double scale)
{
  PetscFunctionBegin;
  (void)value; (void)da; (void)db; (void)a; (void)b; (void)w; (void)n; (void)scale;
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_SUP, "hd_nn_disco2: not implemented yet");
}
