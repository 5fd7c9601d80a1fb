/* Fully connected layer with fused bias and activation (docs/nn.md, "Dense"). */
#include <cblas.h>
#include <hadal/nn.h>

/* Columns of dout handled together when summing the bias gradient: a row segment of this many
 * floats stays in L1 while the double accumulators live on the stack. */
#define HD_DENSE_BLOCK 256

/* out (B, O) = act(in (B, I) W^T + b),  W (O, I), b (O) or NULL (no bias) */
void hd_nn_dense_forward(float *out, const float *in, const float *w, const float *b, PetscInt B, PetscInt In, PetscInt O, hd_nn_act act, float alpha)
{
  if (B == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)O, (int)In, 1.0f, in, (int)In, w, (int)In, 0.0f, out, (int)O);
  /* bias and activation in one pass while each row is in cache */
  for (PetscInt r = 0; r < B; r++) {
    float *row = out + (size_t)r * (size_t)O;

    hd_nn_bias_act_forward(row, row, b, 1, (size_t)O, act, alpha);
  }
}

/* dout (B, O) <- dout * act'(out); dw (O, I) += dout^T in; db (O) += sum_b dout (db NULL: a layer
 * without a bias); din (B, I) = dout W */
void hd_nn_dense_backward(float *din, float *dw, float *db, float *dout, const float *out, const float *in, const float *w, PetscInt B, PetscInt In, PetscInt O, hd_nn_act act, float alpha)
{
  if (B == 0) return;
  for (PetscInt o0 = 0; o0 < O; o0 += HD_DENSE_BLOCK) {
    PetscInt n = O - o0 < HD_DENSE_BLOCK ? O - o0 : HD_DENSE_BLOCK;
    double   acc[HD_DENSE_BLOCK];

    for (PetscInt j = 0; j < n; j++) acc[j] = 0.0;
    for (PetscInt r = 0; r < B; r++) {
      size_t off = (size_t)r * (size_t)O + (size_t)o0;

      hd_nn_act_backward_sum(dout + off, dout + off, out + off, acc, 1, (size_t)n, act, alpha);
    }
    if (db)
      for (PetscInt j = 0; j < n; j++) db[o0 + j] += (float)acc[j];
  }
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)O, (int)In, (int)B, 1.0f, dout, (int)O, in, (int)In, 1.0f, dw, (int)In);
  if (din) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)In, (int)O, 1.0f, dout, (int)O, w, (int)In, 0.0f, din, (int)In);
}
