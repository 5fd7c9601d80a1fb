/* MADE masks and the masked dense layer (docs/nn.md, "Flow, set and coupling kernels"). */
#include <hadal/nn.h>

PetscErrorCode hd_nn_made_mask(float *mask, PetscInt D, PetscInt P, const PetscInt *widths, PetscInt n_hidden, PetscInt layer)
{
  PetscFunctionBegin;
  (void)mask; (void)D; (void)P; (void)widths; (void)n_hidden; (void)layer;
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_SUP, "hd_nn_made_mask: not implemented yet");
}

void hd_nn_masked_dense_forward(float *out, const float *in, const float *w, const float *mask, const float *b, float *wm, PetscInt B, PetscInt In, PetscInt O, hd_nn_act act, float alpha)
{
  (void)out; (void)in; (void)w; (void)mask; (void)b; (void)wm; (void)B; (void)In; (void)O; (void)act; (void)alpha;
}

void hd_nn_masked_dense_backward(float *din, float *dw, float *db, float *dout, const float *out, const float *in, const float *wm, const float *mask, PetscInt B, PetscInt In, PetscInt O, hd_nn_act act, float alpha)
{
  (void)din; (void)dw; (void)db; (void)dout; (void)out; (void)in; (void)wm; (void)mask; (void)B; (void)In; (void)O; (void)act; (void)alpha;
}
