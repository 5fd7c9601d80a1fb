/* MADE masks and the masked dense layer (docs/nn.md, "Flow, set and coupling kernels").
 * Germain et al. 2015, "MADE: Masked Autoencoder for Distribution Estimation", section 4: each
 * unit carries a degree, and a connection exists only from lower to higher (or equal, between
 * hidden layers) degrees, so that the network is autoregressive in the order of its inputs. */
#include <cblas.h>
#include <hadal/nn.h>

/* Floats of the stack tile that the masked weight gradient goes through (32 KiB). */
#define HD_MADE_TILE 8192
/* Output columns whose bias gradient is summed together (as in dense.c). */
#define HD_MADE_BLOCK 256

/* Degree of unit k of layer `level`: level 0 the inputs, 1..n_hidden the hidden layers,
 * n_hidden + 1 the outputs (Germain et al. 2015, eq. 12 and below; the hidden degrees cycle
 * through 1..D-1 instead of being drawn at random, so a mask depends on the shapes only). */
static PetscInt made_degree(PetscInt level, PetscInt n_hidden, PetscInt D, PetscInt P, PetscInt k)
{
  if (level == 0) return k + 1;
  if (level == n_hidden + 1) return k / P + 1;
  return D > 1 ? 1 + k % (D - 1) : 1;
}

PetscErrorCode hd_nn_made_mask(float *mask, PetscInt D, PetscInt P, const PetscInt *widths, PetscInt n_hidden, PetscInt layer)
{
  PetscInt in, out;

  PetscFunctionBegin;
  PetscCheck(D >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "MADE mask: dimension %" PetscInt_FMT " must be >= 1", D);
  PetscCheck(P >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "MADE mask: parameters per dimension %" PetscInt_FMT " must be >= 1", P);
  PetscCheck(n_hidden >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "MADE mask: hidden layer count %" PetscInt_FMT " must be >= 0", n_hidden);
  PetscCheck(layer >= 0 && layer <= n_hidden, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "MADE mask: layer %" PetscInt_FMT " is not in [0, %" PetscInt_FMT "]", layer, n_hidden);
  for (PetscInt h = 0; h < n_hidden; h++) PetscCheck(widths && widths[h] >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "MADE mask: hidden layer %" PetscInt_FMT " has width %" PetscInt_FMT ", must be >= 1", h, widths ? widths[h] : 0);
  in  = layer == 0 ? D : widths[layer - 1];
  out = layer == n_hidden ? D * P : widths[layer];
  for (PetscInt o = 0; o < out; o++) {
    PetscInt dout = made_degree(layer + 1, n_hidden, D, P, o);

    for (PetscInt i = 0; i < in; i++) {
      PetscInt din = made_degree(layer, n_hidden, D, P, i);
      /* hidden units: din <= dout; outputs: din < dout, which makes output d depend on inputs < d */
      PetscBool on = layer == n_hidden ? din < dout : din <= dout;

      mask[(size_t)o * (size_t)in + (size_t)i] = on ? 1.0f : 0.0f;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* wm (O, I) = W o M;  out (B, O) = act(in (B, I) wm^T + b) */
void hd_nn_masked_dense_forward(float *out, const float *in, const float *w, const float *mask, const float *b, float *wm, PetscInt B, PetscInt In, PetscInt O, hd_nn_act act, float alpha)
{
  size_t n = (size_t)O * (size_t)In;

  for (size_t k = 0; k < n; k++) wm[k] = w[k] * mask[k];
  hd_nn_dense_forward(out, in, wm, b, B, In, O, act, alpha);
}

/* dout (B, O) <- dout * act'(out); db (O) += sum_b dout (double); din (B, I) += dout wm;
 * dw (O, I) += (dout^T in) o M, formed tile by tile on the stack so that masked-out entries of dw
 * are left exactly as they were. */
void hd_nn_masked_dense_backward(float *din, float *dw, float *db, float *dout, const float *out, const float *in, const float *wm, const float *mask, PetscInt B, PetscInt In, PetscInt O, hd_nn_act act, float alpha)
{
  float    tile[HD_MADE_TILE];
  PetscInt ti, to;

  if (B == 0) return;
  /* the pre-activation gradient, and its column sums for the bias */
  for (PetscInt c0 = 0; c0 < O; c0 += HD_MADE_BLOCK) {
    PetscInt nc = PetscMin(HD_MADE_BLOCK, O - c0);
    double   colsum[HD_MADE_BLOCK] = {0.0};

    for (PetscInt r = 0; r < B; r++) {
      float *g = dout + (size_t)r * (size_t)O + (size_t)c0;

      hd_nn_act_backward_sum(g, g, out + (size_t)r * (size_t)O + (size_t)c0, db ? colsum : NULL, 1, (size_t)nc, act, alpha);
    }
    if (db)
      for (PetscInt j = 0; j < nc; j++) db[c0 + j] += (float)colsum[j];
  }
  if (din) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)In, (int)O, 1.0f, dout, (int)O, wm, (int)In, 1.0f, din, (int)In);
  if (!dw) return;
  ti = PetscMin(In, (PetscInt)512);
  to = PetscMax((PetscInt)1, (PetscInt)HD_MADE_TILE / ti);
  for (PetscInt o0 = 0; o0 < O; o0 += to) {
    PetscInt no = PetscMin(to, O - o0);

    for (PetscInt i0 = 0; i0 < In; i0 += ti) {
      PetscInt ni = PetscMin(ti, In - i0);

      /* tile (no, ni) = dout[:, o0 : o0 + no]^T in[:, i0 : i0 + ni] */
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)no, (int)ni, (int)B, 1.0f, dout + o0, (int)O, in + i0, (int)In, 0.0f, tile, (int)ni);
      for (PetscInt o = 0; o < no; o++) {
        size_t       off = (size_t)(o0 + o) * (size_t)In + (size_t)i0;
        const float *m   = mask + off;
        const float *t   = tile + (size_t)o * (size_t)ni;
        float       *g   = dw + off;

        for (PetscInt i = 0; i < ni; i++)
          if (m[i] != 0.0f) g[i] += t[i] * m[i];
      }
    }
  }
}
