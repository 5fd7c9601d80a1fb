/* 2-d convolution by im2col + sgemm, image by image (docs/nn.md, "Conv2d"). Writing each image's
 * product straight into its (O, OH OW) block gives the NCHW output with no transpose. */
#include <string.h>
#include <cblas.h>
#include <hadal/nn.h>
#if defined(__GNUC__)
  #define HD_VECTOR 1
  #define HD_VW     4
  #define HD_VSFX   w4
  #include "vec.h"
#endif

PetscErrorCode hd_nn_conv2d_shape(hd_nn_conv2d_geom *g, const char *what)
{
  PetscFunctionBegin;
  PetscCheck(g->C > 0 && g->H > 0 && g->W > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: input shape (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ") must be positive", what, g->C, g->H, g->W);
  PetscCheck(g->O > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: output channels %" PetscInt_FMT " must be positive", what, g->O);
  PetscCheck(g->KH > 0 && g->KW > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: kernel %" PetscInt_FMT "x%" PetscInt_FMT " must be positive", what, g->KH, g->KW);
  PetscCheck(g->stride > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: stride %" PetscInt_FMT " must be positive", what, g->stride);
  PetscCheck(g->pad >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: padding %" PetscInt_FMT " must be >= 0", what, g->pad);
  PetscCheck(g->H + 2 * g->pad >= g->KH && g->W + 2 * g->pad >= g->KW, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: kernel %" PetscInt_FMT "x%" PetscInt_FMT " is larger than the padded input %" PetscInt_FMT "x%" PetscInt_FMT, what, g->KH, g->KW, g->H + 2 * g->pad, g->W + 2 * g->pad);
  g->OH = (g->H + 2 * g->pad - g->KH) / g->stride + 1;
  g->OW = (g->W + 2 * g->pad - g->KW) / g->stride + 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A 1x1 kernel with stride 1 and no padding needs no im2col: col_b is the image itself. */
static inline int conv_is_pointwise(const hd_nn_conv2d_geom *g) { return g->KH == 1 && g->KW == 1 && g->stride == 1 && g->pad == 0; }

/* The output columns [*x_lo, *x_hi) whose input column x stride - pad + kx lies inside [0, W). */
static inline void conv_inside_columns(const hd_nn_conv2d_geom *g, PetscInt kx, PetscInt *x_lo, PetscInt *x_hi)
{
  const PetscInt s = g->stride, p = g->pad, W = g->W;
  PetscInt       lo = p - kx > 0 ? (p - kx + s - 1) / s : 0;
  PetscInt       hi = (W - 1 + p - kx) >= 0 ? (W - 1 + p - kx) / s + 1 : 0;

  if (hi > g->OW) hi = g->OW;
  if (lo > hi) lo = hi;
  *x_lo = lo;
  *x_hi = hi;
}

/* col (C KH KW, OH OW) from img (C, H, W); row (c KH + ky) KW + kx, column y OW + x holds
 * img[c, y stride - pad + ky, x stride - pad + kx], zero outside the image. */
static void im2col(float *col, const float *img, const hd_nn_conv2d_geom *g)
{
  const PetscInt H = g->H, W = g->W, OH = g->OH, OW = g->OW, s = g->stride, p = g->pad;

  for (PetscInt c = 0; c < g->C; c++) {
    const float *plane = img + (size_t)c * (size_t)(H * W);

    for (PetscInt ky = 0; ky < g->KH; ky++) {
      for (PetscInt kx = 0; kx < g->KW; kx++) {
        float   *dst = col + ((size_t)(c * g->KH + ky) * (size_t)g->KW + (size_t)kx) * (size_t)(OH * OW);
        PetscInt x_lo, x_hi;

        conv_inside_columns(g, kx, &x_lo, &x_hi);
        for (PetscInt y = 0; y < OH; y++) {
          PetscInt iy = y * s - p + ky;
          float   *d  = dst + (size_t)(y * OW);

          if (iy < 0 || iy >= H) {
            memset(d, 0, (size_t)OW * sizeof(float));
            continue;
          }
          PetscInt base = iy * W - p + kx; /* plane[base + x s] is the input pixel of column x */

          for (PetscInt x = 0; x < x_lo; x++) d[x] = 0.0f;
          if (s == 1) {
            /* rows are short (tens of floats): an inline copy beats a memcpy call */
            PetscInt x = x_lo;
#if defined(HD_VECTOR)
            for (; x + 4 <= x_hi; x += 4) vstore_w4(d + x, vload_w4(plane + base + x));
#endif
            for (; x < x_hi; x++) d[x] = plane[base + x];
          } else {
            for (PetscInt x = x_lo; x < x_hi; x++) d[x] = plane[base + x * s];
          }
          for (PetscInt x = x_hi; x < OW; x++) d[x] = 0.0f;
        }
      }
    }
  }
}

/* img (C, H, W) = sum of col (C KH KW, OH OW) back onto the pixels each column came from. */
static void col2im(float *img, const float *col, const hd_nn_conv2d_geom *g)
{
  const PetscInt H = g->H, W = g->W, OH = g->OH, OW = g->OW, s = g->stride, p = g->pad;

  memset(img, 0, (size_t)(g->C * H * W) * sizeof(float));
  for (PetscInt c = 0; c < g->C; c++) {
    float *plane = img + (size_t)c * (size_t)(H * W);

    for (PetscInt ky = 0; ky < g->KH; ky++) {
      for (PetscInt kx = 0; kx < g->KW; kx++) {
        const float *src = col + ((size_t)(c * g->KH + ky) * (size_t)g->KW + (size_t)kx) * (size_t)(OH * OW);
        PetscInt     x_lo, x_hi;

        conv_inside_columns(g, kx, &x_lo, &x_hi);
        for (PetscInt y = 0; y < OH; y++) {
          PetscInt iy = y * s - p + ky;

          if (iy < 0 || iy >= H) continue;
          const float *sr   = src + (size_t)(y * OW);
          PetscInt     base = iy * W - p + kx;

          if (s == 1) {
            PetscInt x = x_lo;
#if defined(HD_VECTOR)
            for (; x + 4 <= x_hi; x += 4) vstore_w4(plane + base + x, vload_w4(plane + base + x) + vload_w4(sr + x));
#endif
            for (; x < x_hi; x++) plane[base + x] += sr[x];
          } else {
            for (PetscInt x = x_lo; x < x_hi; x++) plane[base + x * s] += sr[x];
          }
        }
      }
    }
  }
}

/* out (B, O, OH, OW) = act(W (O, C KH KW) im2col(in_b) (C KH KW, OH OW) + b) for each image b */
void hd_nn_conv2d_forward(float *out, const float *in, const float *w, const float *b, float *col, PetscInt B, const hd_nn_conv2d_geom *g, hd_nn_act act, float alpha)
{
  const size_t   in_sz = (size_t)(g->C * g->H * g->W), P = (size_t)(g->OH * g->OW);
  const PetscInt K     = g->C * g->KH * g->KW;

  for (PetscInt i = 0; i < B; i++) {
    const float *in_b  = in + (size_t)i * in_sz;
    float       *out_b = out + (size_t)i * (size_t)g->O * P;
    const float *col_b = in_b;

    if (!conv_is_pointwise(g)) {
      im2col(col, in_b, g);
      col_b = col;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->O, (int)P, (int)K, 1.0f, w, (int)K, col_b, (int)P, 0.0f, out_b, (int)P);
    for (PetscInt o = 0; o < g->O; o++) {
      float *plane = out_b + (size_t)o * P;

      hd_nn_bias_act_forward(plane, plane, b + o, 0, P, act, alpha);
    }
  }
}

/* dout <- dout * act'(out); dw (O, C KH KW) += sum_b dout_b col_b^T; db (O) += sum dout;
 * din_b (C, H, W) = col2im(W^T dout_b) */
void hd_nn_conv2d_backward(float *din, float *dw, float *db, float *dout, const float *out, const float *in, const float *w, float *col, PetscInt B, const hd_nn_conv2d_geom *g, hd_nn_act act, float alpha)
{
  const size_t   in_sz = (size_t)(g->C * g->H * g->W), P = (size_t)(g->OH * g->OW);
  const PetscInt K     = g->C * g->KH * g->KW;

  if (B == 0) return;
  for (PetscInt o = 0; o < g->O; o++) {
    double acc = 0.0; /* the bias gradient sums B OH OW terms: double */

    for (PetscInt i = 0; i < B; i++) {
      size_t off = ((size_t)i * (size_t)g->O + (size_t)o) * P;
      float *d   = dout + off;

      hd_nn_act_backward_sum(d, d, out + off, &acc, 0, P, act, alpha);
    }
    db[o] += (float)acc;
  }
  for (PetscInt i = 0; i < B; i++) {
    const float *in_b  = in + (size_t)i * in_sz;
    const float *d_b   = dout + (size_t)i * (size_t)g->O * P;
    const float *col_b = in_b;

    if (!conv_is_pointwise(g)) {
      im2col(col, in_b, g);
      col_b = col;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)g->O, (int)K, (int)P, 1.0f, d_b, (int)P, col_b, (int)P, 1.0f, dw, (int)K);
    if (!din) continue;
    float *din_b = din + (size_t)i * in_sz;

    if (conv_is_pointwise(g)) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)P, (int)g->O, 1.0f, w, (int)K, d_b, (int)P, 0.0f, din_b, (int)P);
    } else {
      /* col is free again once dw has been accumulated */
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)P, (int)g->O, 1.0f, w, (int)K, d_b, (int)P, 0.0f, col, (int)P);
      col2im(din_b, col, g);
    }
  }
}
