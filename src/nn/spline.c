/* Rational-quadratic spline (docs/nn.md, "Flow, set and coupling kernels"). */
#include <hadal/nn.h>

void hd_nn_rqs_forward(float *y, float *logdet, const float *x, const float *theta, PetscInt B, PetscInt D, const hd_nn_rqs_config *c)
{
  (void)y; (void)logdet; (void)x; (void)theta; (void)B; (void)D; (void)c;
}

void hd_nn_rqs_inverse(float *x, float *logdet, const float *y, const float *theta, PetscInt B, PetscInt D, const hd_nn_rqs_config *c)
{
  (void)x; (void)logdet; (void)y; (void)theta; (void)B; (void)D; (void)c;
}

void hd_nn_rqs_backward(float *dx, float *dtheta, const float *dy, const float *dlogdet, const float *x, const float *theta, PetscInt B, PetscInt D, const hd_nn_rqs_config *c)
{
  (void)dx; (void)dtheta; (void)dy; (void)dlogdet; (void)x; (void)theta; (void)B; (void)D; (void)c;
}
