/* The flow, set and coupling kernels (include/hadal/nn.h, last section): MADE masks and the
 * masked dense layer, the rational-quadratic spline, permutation, set pooling and DisCo^2.
 *
 * Gradients are checked against central finite differences in the style of test_nn_gradcheck.c:
 * the objective is sum r . output in double, the step actually taken, (float)(v + h) - v, is
 * measured in double, and a coordinate whose step crosses a kink (a spline knot, a change of bin)
 * is skipped (the test fails if more than 10% are).
 *   float kernels (masked dense, spline): |fd - an| <= 5e-3 |an| + 5e-4 max|an|
 * and, tighter, the spline against a double reference written here from the formulas (forward to
 * float rounding; backward vs its differences in double: |fd - an| <= 1e-5 |an| + 1e-6 max|an|).
 *   DisCo (double inside, double value):  |fd - an| <= 1e-5 |an| + 1e-7 max|an|
 * Besides: the MADE autoregressive property from the Jacobian of a 3-layer MADE, the spline's
 * knots, tails, inverse and extreme inputs, DisCo against a direct evaluation with n x n matrices,
 * and timings (printed, not asserted) of the spline and of DisCo at n = 10,000. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <petsctime.h>
#include <hadal/nn.h>
#include <hadal/rng.h>
#include "check.h"

/* A call that must succeed: a failure is counted and the check that made it returns. */
static int call_failed(PetscErrorCode err, const char *call)
{
  if (!err) return 0;
  printf("FAIL: %s returned %d (%s)\n", call, (int)err, hd_error_message());
  failures++;
  return 1;
}
#define TRY(expr) \
  do { \
    if (call_failed((expr), #expr)) return; \
  } while (0)

typedef struct {
  double worst; /* max of |fd - an| / tolerance: <= 1 passes */
  int    checked, skipped;
} fd_stats;

static void fd_compare(fd_stats *st, double fd, double an, double scale, double rtol, double atol_rel)
{
  double e = fabs(fd - an) / (rtol * fabs(an) + atol_rel * scale + 1e-12);

  st->checked++;
  if (e > st->worst) st->worst = e;
}

static void fill_normal(float *v, PetscInt n, double sd, hd_rng *r)
{
  for (PetscInt i = 0; i < n; i++) v[i] = (float)(sd * hd_rng_normal(r));
}

static double dot(const float *a, const float *b, PetscInt n)
{
  double s = 0.0;

  for (PetscInt i = 0; i < n; i++) s += (double)a[i] * (double)b[i];
  return s;
}

static double max_abs(const float *a, PetscInt n)
{
  double m = 0.0;

  for (PetscInt i = 0; i < n; i++) m = fmax(m, fabs((double)a[i]));
  return m;
}

/* ---- MADE ---- */

/* D = 3, P = 1, one hidden layer of 4: hidden degrees 1 2 1 2. */
static void made_mask_by_hand(void)
{
  PetscInt    widths[1] = {4};
  float       m0[12], m1[12], m2[2 * 6];
  const float want0[12] = {1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0};
  const float want1[12] = {0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1};
  /* D = 2, P = 2, no hidden layer: outputs (0, 0), (0, 1) see nothing, (1, 0), (1, 1) input 0 */
  const float want2[8] = {0, 0, 0, 0, 1, 0, 1, 0};

  TRY(hd_nn_made_mask(m0, 3, 1, widths, 1, 0));
  TRY(hd_nn_made_mask(m1, 3, 1, widths, 1, 1));
  TRY(hd_nn_made_mask(m2, 2, 2, NULL, 0, 0));
  check(!memcmp(m0, want0, sizeof(want0)), "MADE mask, input -> hidden, D 3: rows of degree 1 2 1 2 see inputs 1, 1-2, 1, 1-2");
  check(!memcmp(m1, want1, sizeof(want1)), "MADE mask, hidden -> output, D 3: output 1 sees nothing, 2 sees degree 1, 3 sees all");
  check(!memcmp(m2, want2, sizeof(want2)), "MADE mask without hidden layers, D 2, P 2");
  expect_error(hd_nn_made_mask(m0, 3, 1, widths, 1, 2), "layer 2", "MADE mask of a layer beyond the output");
  expect_error(hd_nn_made_mask(m0, 0, 1, widths, 1, 0), "dimension 0", "MADE mask of dimension 0");
}

/* A 3-layer MADE from the masks (D 5, P 2, hidden 16 and 12, tanh): output (i, p) must not move
 * at all (bit for bit) when input j >= i moves, and must move when j < i. */
static void made_autoregressive(void)
{
  enum { D = 5, P = 2, H1 = 16, H2 = 12, O = D * P };
  PetscInt widths[2] = {H1, H2}, in[3] = {D, H1, H2}, out[3] = {H1, H2, O};
  float    w[3][H1 * H1], m[3][H1 * H1], b[3][H1], wm[H1 * H1], x[D], h[3][H1], y0[O], y1[O];
  hd_rng   r;
  int      leaks = 0, missing = 0;

  hd_rng_init(&r, 1, HD_STREAM_USER, 10);
  for (int l = 0; l < 3; l++) {
    TRY(hd_nn_made_mask(m[l], D, P, widths, 2, l));
    fill_normal(w[l], in[l] * out[l], 0.7, &r);
    fill_normal(b[l], out[l], 0.3, &r);
  }
  fill_normal(x, D, 1.0, &r);
  for (int pass = -1; pass < D; pass++) {
    float xs[D];

    memcpy(xs, x, sizeof(x));
    if (pass >= 0) xs[pass] += 0.5f;
    hd_nn_masked_dense_forward(h[0], xs, w[0], m[0], b[0], wm, 1, D, H1, HD_ACT_TANH, 0.0f);
    hd_nn_masked_dense_forward(h[1], h[0], w[1], m[1], b[1], wm, 1, H1, H2, HD_ACT_TANH, 0.0f);
    hd_nn_masked_dense_forward(pass < 0 ? y0 : y1, h[1], w[2], m[2], b[2], wm, 1, H2, O, HD_ACT_IDENTITY, 0.0f);
    if (pass < 0) continue;
    for (int o = 0; o < O; o++) {
      int i = o / P;

      if (pass >= i && y1[o] != y0[o]) leaks++;
      if (pass < i && y1[o] == y0[o]) missing++;
    }
  }
  printf("MADE D %d P %d hidden %d %d: %d forbidden dependences, %d missing allowed ones\n", D, P, H1, H2, leaks, missing);
  CHECK(leaks == 0, "MADE: %d outputs depend on an input at or after their own dimension", leaks);
  CHECK(missing == 0, "MADE: %d outputs do not depend on an earlier input", missing);
}

/* Masked dense gradients: dw, db, din against finite differences of sum r . out; masked-out dw
 * entries keep what they held; din and dw accumulate. */
static void masked_dense_check(hd_nn_act act, const char *name)
{
  enum { B = 3, NI = 6, NO = 5, NW = NO * NI };
  PetscInt widths[1] = {NO};
  float    w[NW], m[NW], bias[NO], wm[NW], x[B * NI], out[B * NO], g[B * NO], r[B * NO];
  float    dw[NW], db[NO], din[B * NI];
  const float pre = 0.25f;
  hd_rng   rng;
  fd_stats sw = {0, 0, 0}, sb = {0, 0, 0}, sx = {0, 0, 0};
  double   gs, xs, bs;
  int      kept = 1;

  hd_rng_init(&rng, 2, HD_STREAM_USER, (uint64_t)act);
  TRY(hd_nn_made_mask(m, NI, 1, widths, 1, 0)); /* a real mask: 6 inputs -> hidden layer of 5 */
  fill_normal(w, NW, 0.6, &rng);
  fill_normal(bias, NO, 0.3, &rng);
  fill_normal(x, B * NI, 1.0, &rng);
  fill_normal(r, B * NO, 1.0, &rng);
  for (int i = 0; i < NW; i++) dw[i] = pre;
  for (int i = 0; i < NO; i++) db[i] = pre;
  for (int i = 0; i < B * NI; i++) din[i] = pre;
  hd_nn_masked_dense_forward(out, x, w, m, bias, wm, B, NI, NO, act, 1.0f);
  memcpy(g, r, sizeof(r));
  hd_nn_masked_dense_backward(din, dw, db, g, out, x, wm, m, B, NI, NO, act, 1.0f);
  for (int i = 0; i < NW; i++) {
    kept &= m[i] != 0.0f || dw[i] == pre;
    dw[i] -= pre;
  }
  for (int i = 0; i < NO; i++) db[i] -= pre;
  for (int i = 0; i < B * NI; i++) din[i] -= pre;
  check(kept, "masked dense: a masked-out weight gradient changed");
  gs = max_abs(dw, NW);
  bs = max_abs(db, NO);
  xs = max_abs(din, B * NI);
  for (int pass = 0; pass < 3; pass++) {
    float   *v  = pass == 0 ? w : (pass == 1 ? bias : x);
    float   *an = pass == 0 ? dw : (pass == 1 ? db : din);
    int      nv = pass == 0 ? NW : (pass == 1 ? NO : B * NI);
    fd_stats *st = pass == 0 ? &sw : (pass == 1 ? &sb : &sx);

    for (int i = 0; i < nv; i++) {
      float  orig = v[i];
      double lp, lm, sp, sm;

      v[i] = (float)(orig + 1e-2);
      sp   = (double)v[i] - orig;
      hd_nn_masked_dense_forward(out, x, w, m, bias, wm, B, NI, NO, act, 1.0f);
      lp   = dot(r, out, B * NO);
      v[i] = (float)(orig - 1e-2);
      sm   = (double)v[i] - orig;
      hd_nn_masked_dense_forward(out, x, w, m, bias, wm, B, NI, NO, act, 1.0f);
      lm   = dot(r, out, B * NO);
      v[i] = orig;
      fd_compare(st, (lp - lm) / (sp - sm), an[i], pass == 0 ? gs : (pass == 1 ? bs : xs), 5e-3, 5e-4);
    }
  }
  printf("masked dense %-9s weights %d worst %.3f, bias %d worst %.3f, inputs %d worst %.3f\n", name, sw.checked, sw.worst, sb.checked, sb.worst, sx.checked, sx.worst);
  CHECK(sw.worst <= 1.0 && sb.worst <= 1.0 && sx.worst <= 1.0, "masked dense %s: gradient off finite differences (worst %.2f %.2f %.2f x tolerance)", name, sw.worst, sb.worst, sx.worst);
  CHECK(gs > 0.0 && xs > 0.0, "masked dense %s: zero gradients", name);
}

/* ---- spline ---- */

static hd_nn_rqs_config rqs_cfg(PetscInt K, double bound)
{
  hd_nn_rqs_config c = {K, bound, 1e-3, 1e-3, 1e-3};

  return c;
}

/* The knots of one element, computed here from the definition in nn.h (softmax, minimum, scaled
 * to 2 bound), independently of spline.c; in double, for the reference below. */
static void ref_knots(double *xk, const double *u, PetscInt K, double min_bin, double bound)
{
  double mx = -INFINITY, s = 0.0, cum = 0.0;

  for (PetscInt k = 0; k < K; k++) mx = fmax(mx, u[k]);
  for (PetscInt k = 0; k < K; k++) s += exp(u[k] - mx);
  xk[0] = -bound;
  for (PetscInt k = 0; k < K; k++) {
    cum += min_bin + (1.0 - K * min_bin) * exp(u[k] - mx) / s;
    xk[k + 1] = -bound + 2.0 * bound * cum;
  }
}

static void test_knots(double *xk, const float *u, PetscInt K, double min_bin, double bound)
{
  double ud[HD_NN_RQS_MAX_BINS];

  for (PetscInt k = 0; k < K; k++) ud[k] = (double)u[k];
  ref_knots(xk, ud, K, min_bin, bound);
}

/* The spline of one element in double, written from the formulas of docs/nn.md (Durkan et al.
 * 2019, eqs. 4-5) and independent of spline.c: y, logdet, and the bin (-1 in the tails). */
static PetscInt ref_spline(double x, const double *u, const hd_nn_rqs_config *c, double *y, double *ld)
{
  PetscInt K = c->K, k = 0;
  double   xk[HD_NN_RQS_MAX_BINS + 1], yk[HD_NN_RQS_MAX_BINS + 1], d0, d1, W, H, sl, xi, den, Q;

  if (x < -c->bound || x > c->bound) {
    *y  = x;
    *ld = 0.0;
    return -1;
  }
  ref_knots(xk, u, K, c->min_bin_width, c->bound);
  ref_knots(yk, u + K, K, c->min_bin_height, c->bound);
  while (k < K - 1 && xk[k + 1] <= x) k++;
  d0  = k == 0 ? 1.0 : c->min_derivative + log1p(exp(u[2 * K + k - 1]));
  d1  = k == K - 1 ? 1.0 : c->min_derivative + log1p(exp(u[2 * K + k]));
  W   = xk[k + 1] - xk[k];
  H   = yk[k + 1] - yk[k];
  sl  = H / W;
  xi  = (x - xk[k]) / W;
  den = sl + (d0 + d1 - 2.0 * sl) * xi * (1.0 - xi);
  Q   = d1 * xi * xi + 2.0 * sl * xi * (1.0 - xi) + d0 * (1.0 - xi) * (1.0 - xi);
  *y  = yk[k] + H * (sl * xi * xi + d0 * xi * (1.0 - xi)) / den;
  *ld = log(sl * sl * Q / (den * den));
  return k;
}

/* The kernels against the double reference: forward y and logdet to float rounding, and backward
 * against central differences of the reference in double (h = 1e-6, error ~1e-9), so that the
 * tolerance can be tight: |fd - an| <= 1e-5 |an| + 1e-6 max|an| (backward's float output is the
 * floor). Steps that change the bin are skipped. */
static void spline_reference_check(PetscInt K, double bound, double sd, PetscInt n)
{
  hd_nn_rqs_config c  = rqs_cfg(K, bound);
  PetscInt         np = 3 * K - 1;
  float           *x, *th, *y, *ld, *r, *dx, *dth;
  double           u[3 * HD_NN_RQS_MAX_BINS], fwd = 0.0, xs, ts;
  fd_stats         sx = {0, 0, 0}, st = {0, 0, 0};
  hd_rng           rng;

  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &x));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n * np, &th));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &y));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &ld));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(2 * n, &r));
  PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(n, &dx));
  PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(n * np, &dth));
  hd_rng_init(&rng, 9, HD_STREAM_USER, (uint64_t)(K * 10) + (uint64_t)sd);
  for (PetscInt e = 0; e < n; e++) x[e] = (float)(bound * 1.1 * (2.0 * hd_rng_uniform(&rng) - 1.0));
  fill_normal(th, n * np, sd, &rng);
  fill_normal(r, 2 * n, 1.0, &rng);
  hd_nn_rqs_forward(y, ld, x, th, n, 1, &c);
  hd_nn_rqs_backward(dx, dth, r, r + n, x, th, n, 1, &c);
  xs = max_abs(dx, n);
  ts = max_abs(dth, n * np);
  for (PetscInt e = 0; e < n; e++) {
    double   yr, lr, yp, lp, ym, lm, xe = (double)x[e], h = 1e-6;
    PetscInt bin;

    for (PetscInt j = 0; j < np; j++) u[j] = (double)th[e * np + j];
    bin = ref_spline(xe, u, &c, &yr, &lr);
    fwd = fmax(fwd, fmax(fabs(y[e] - yr) / (1e-6 * bound), fabs(ld[e] - lr) / (1e-6 * (1.0 + fabs(lr)))));
    if (ref_spline(xe + h, u, &c, &yp, &lp) == bin && ref_spline(xe - h, u, &c, &ym, &lm) == bin) fd_compare(&sx, (r[e] * (yp - ym) + r[n + e] * (lp - lm)) / (2.0 * h), dx[e], xs, 1e-5, 1e-6);
    else sx.skipped++;
    for (PetscInt j = 0; j < np; j++) {
      double o = u[j];
      int    moved;

      u[j]  = o + h;
      moved = ref_spline(xe, u, &c, &yp, &lp) != bin;
      u[j]  = o - h;
      moved |= ref_spline(xe, u, &c, &ym, &lm) != bin;
      u[j] = o;
      if (moved) { /* the step moved a knot across x */
        st.skipped++;
        continue;
      }
      fd_compare(&st, (r[e] * (yp - ym) + r[n + e] * (lp - lm)) / (2.0 * h), dth[e * np + j], ts, 1e-5, 1e-6);
    }
  }
  printf("spline K %2d vs double reference: forward worst %.3f x (1e-6 bound, 1e-6 (1 + |logdet|)); backward vs reference differences: x %d (%d skipped) worst %.3f, theta %d (%d skipped) worst %.3f\n", (int)K, fwd, sx.checked, sx.skipped, sx.worst, st.checked, st.skipped, st.worst);
  CHECK(fwd <= 1.0, "spline K %d: forward differs from the double reference (%.2f x tolerance)", (int)K, fwd);
  CHECK(sx.worst <= 1.0 && st.worst <= 1.0, "spline K %d: backward off differences of the double reference (worst x %.2f, theta %.2f x tolerance)", (int)K, sx.worst, st.worst);
  CHECK(sx.skipped * 10 <= sx.checked + sx.skipped && st.skipped * 10 <= st.checked + st.skipped, "spline K %d: too many coordinates skipped", (int)K);
  PetscFree(x);
  PetscFree(th);
  PetscFree(y);
  PetscFree(ld);
  PetscFree(r);
  PetscFree(dx);
  PetscFree(dth);
}

/* which bin of the (test's) knots each x is in, hashed: equal before and after a step, no knot crossed */
static uint64_t spline_signature(const float *x, const float *theta, PetscInt n, const hd_nn_rqs_config *c)
{
  uint64_t h = 1469598103934665603ull;
  double   xk[HD_NN_RQS_MAX_BINS + 1];

  for (PetscInt e = 0; e < n; e++) {
    PetscInt bin = -1;

    test_knots(xk, theta + e * (3 * c->K - 1), c->K, c->min_bin_width, c->bound);
    for (PetscInt k = 0; k <= c->K; k++)
      if ((double)x[e] >= xk[k]) bin = k;
    if ((double)x[e] > c->bound) bin = c->K + 1;
    h = (h ^ (uint64_t)(bin + 2)) * 1099511628211ull;
  }
  return h;
}

static double spline_objective(const float *x, const float *theta, const float *r, PetscInt B, PetscInt D, const hd_nn_rqs_config *c, float *y, float *ld)
{
  hd_nn_rqs_forward(y, ld, x, theta, B, D, c);
  return dot(r, y, B * D) + dot(r + B * D, ld, B * D);
}

/* FD of sum r1 y + r2 logdet wrt x and theta; x uniform in [-1.2 bound, 1.2 bound] (some in the
 * tails), theta N(0, sd^2). */
static void spline_gradcheck(PetscInt K, double bound, double sd, PetscInt B, PetscInt D)
{
  hd_nn_rqs_config c  = rqs_cfg(K, bound);
  PetscInt         n  = B * D, np = n * (3 * K - 1);
  float           *x, *th, *r, *y, *ld, *dx, *dth;
  hd_rng           rng;
  fd_stats         sx = {0, 0, 0}, st = {0, 0, 0};
  double           xs, ts;
  uint64_t         sig0;

  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &x));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(np, &th));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(2 * n, &r));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &y));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &ld));
  PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(n, &dx));
  PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(np, &dth));
  hd_rng_init(&rng, 3, HD_STREAM_USER, (uint64_t)(K * 100 + D));
  for (PetscInt i = 0; i < n; i++) x[i] = (float)(bound * 1.2 * (2.0 * hd_rng_uniform(&rng) - 1.0));
  fill_normal(th, np, sd, &rng);
  fill_normal(r, 2 * n, 1.0, &rng);
  hd_nn_rqs_backward(dx, dth, r, r + n, x, th, B, D, &c);
  xs   = max_abs(dx, n);
  ts   = max_abs(dth, np);
  sig0 = spline_signature(x, th, n, &c);
  for (int pass = 0; pass < 2; pass++) {
    float    *v = pass == 0 ? x : th, *an = pass == 0 ? dx : dth;
    PetscInt  nv = pass == 0 ? n : np;
    fd_stats *s  = pass == 0 ? &sx : &st;
    double    h  = 1e-3;

    for (PetscInt i = 0; i < nv; i++) {
      float  orig = v[i];
      double lp, lm, sp, sm;
      int    kink;

      v[i] = (float)(orig + h);
      sp   = (double)v[i] - orig;
      lp   = spline_objective(x, th, r, B, D, &c, y, ld);
      kink = spline_signature(x, th, n, &c) != sig0;
      v[i] = (float)(orig - h);
      sm   = (double)v[i] - orig;
      lm   = spline_objective(x, th, r, B, D, &c, y, ld);
      kink |= spline_signature(x, th, n, &c) != sig0;
      v[i] = orig;
      if (kink) {
        s->skipped++;
        continue;
      }
      fd_compare(s, (lp - lm) / (sp - sm), an[i], pass == 0 ? xs : ts, 5e-3, 5e-4);
    }
  }
  printf("spline K %2d bound %g theta sd %g: x %d checked (%d skipped) worst %.3f; theta %d checked (%d skipped) worst %.3f\n", (int)K, bound, sd, sx.checked, sx.skipped, sx.worst, st.checked, st.skipped, st.worst);
  CHECK(sx.worst <= 1.0 && st.worst <= 1.0, "spline K %d: gradient off finite differences (worst x %.2f, theta %.2f x tolerance)", (int)K, sx.worst, st.worst);
  CHECK(sx.skipped * 10 <= sx.checked + sx.skipped && st.skipped * 10 <= st.checked + st.skipped, "spline K %d: too many coordinates skipped at knots", (int)K);
  CHECK(xs > 0.0 && (K == 1 || ts > 0.0), "spline K %d: zero gradients", (int)K);
  /* backward accumulates: a second call adds the same again */
  {
    float *dx2, *dth2;
    int    ok = 1;

    PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &dx2));
    PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(np, &dth2));
    memcpy(dx2, dx, (size_t)n * sizeof(float));
    memcpy(dth2, dth, (size_t)np * sizeof(float));
    hd_nn_rqs_backward(dx2, dth2, r, r + n, x, th, B, D, &c);
    for (PetscInt i = 0; i < n; i++) ok &= dx2[i] == 2.0f * dx[i];
    for (PetscInt i = 0; i < np; i++) ok &= dth2[i] == 2.0f * dth[i];
    check(ok, "spline backward does not accumulate");
    PetscFree(dx2);
    PetscFree(dth2);
  }
  PetscFree(x);
  PetscFree(th);
  PetscFree(r);
  PetscFree(y);
  PetscFree(ld);
  PetscFree(dx);
  PetscFree(dth);
}

/* The spline passes through its knots, is the identity in the tails and for K = 1, its logdet is
 * the log of its slope, and the inverse undoes it. The round trip x -> y (float) -> x' can only be
 * as good as float y allows: a rounding of y by one ulp moves x' by ulp(y) / slope, which exceeds
 * 1e-5 where the slope is below ~0.05 (random parameters make slopes down to 1e-6). So the
 * requirement |x' - x| <= 1e-5 is checked where the slope is at least 0.05, and everywhere
 * |x' - x| <= 1e-5 + 2 ulp(y) / slope, and forward(x') must give y back (to 2 ulp). The slope is
 * positive everywhere (monotone), and y at x +- 1e-3 is ordered. The inverse's logdet must be
 * minus the forward's at x', to float rounding of logdet and of x' (|d logdet / dx| ulp(x')). */
static void spline_values(PetscInt K, double bound, double sd, PetscInt n)
{
  hd_nn_rqs_config c  = rqs_cfg(K, bound);
  PetscInt         np = 3 * K - 1;
  float           *th, *x, *y, *ld, *xi, *ldi, *y2, *ld2, *dld, yp, ym, xp, xm;
  double           xk[HD_NN_RQS_MAX_BINS + 1], yk[HD_NN_RQS_MAX_BINS + 1], knot_err = 0.0, rt = 0.0, rt_cond = 0.0, yres = 0.0, ldsum = 0.0, slope = 0.0;
  hd_rng           rng;
  int              tails = 1, mono = 1, nwell = 0, nslope = 0;

  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n * np, &th));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &x));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &y));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &ld));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &xi));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &ldi));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &y2));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &ld2));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &dld));
  hd_rng_init(&rng, 4, HD_STREAM_USER, (uint64_t)(K * 1000) + (uint64_t)(sd * 10));
  fill_normal(th, n * np, sd, &rng);
  /* knots: x = x_k (as float) must map to y_k; the test computes both from the definition */
  for (PetscInt e = 0; e < n && e < 50; e++) {
    test_knots(xk, th + e * np, K, c.min_bin_width, bound);
    test_knots(yk, th + e * np + K, K, c.min_bin_height, bound);
    for (PetscInt k = 0; k <= K; k++) {
      float  xv = (float)xk[k], yv, l;
      double slope_k;

      hd_nn_rqs_forward(&yv, &l, &xv, th + e * np, 1, 1, &c);
      /* y moves by at most the largest slope times the rounding of x_k to float */
      slope_k  = k == 0 || k == K ? 1.0 : 1e-3 + log1p(exp((double)th[e * np + 2 * K + k - 1]));
      knot_err = fmax(knot_err, fabs(yv - yk[k]) / (1e-6 * bound + slope_k * fabs(xv - xk[k])));
    }
  }
  /* round trip on random x in [-bound, bound] and at +-bound */
  for (PetscInt e = 0; e < n; e++) x[e] = (float)(bound * (2.0 * hd_rng_uniform(&rng) - 1.0));
  x[0] = (float)bound;
  if (n > 1) x[1] = (float)-bound;
  hd_nn_rqs_forward(y, ld, x, th, n, 1, &c);
  hd_nn_rqs_inverse(xi, ldi, y, th, n, 1, &c);
  hd_nn_rqs_forward(y2, ld2, xi, th, n, 1, &c);
  {
    /* d logdet / dx at x' (backward with dlogdet = 1): how far one ulp of x' moves logdet */
    float *one;

    PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &one));
    for (PetscInt e = 0; e < n; e++) {
      one[e] = 1.0f;
      dld[e] = 0.0f;
    }
    hd_nn_rqs_backward(dld, NULL, NULL, one, xi, th, n, 1, &c);
    PetscFree(one);
  }
  for (PetscInt e = 0; e < n; e++) {
    double sl = exp((double)ld[e]), ulp_y = fmax(fabs((double)y[e]), 1e-3 * bound) * 0x1p-23, err = fabs((double)xi[e] - x[e]);

    if (sl >= 0.05) {
      rt = fmax(rt, err);
      nwell++;
    }
    rt_cond = fmax(rt_cond, err / (1e-5 + 2.0 * ulp_y / sl));
    yres    = fmax(yres, fabs((double)y2[e] - y[e]) / (2.0 * ulp_y + exp((double)ld2[e]) * fabs((double)xi[e]) * 0x1p-23));
    ldsum   = fmax(ldsum, fabs((double)ld2[e] + ldi[e]) / (1e-6 * (1.0 + fabs((double)ld2[e])) + fabs((double)dld[e]) * fmax(fabs((double)xi[e]), 1e-3) * 0x1p-23));
  }
  /* logdet = log of the slope that backward uses (dx with dy = 1, dlogdet = 0; the gradient
   * checks tie that slope to finite differences of y), and y increases with x */
  {
    float *one, *sl;

    PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &one));
    PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(n, &sl));
    for (PetscInt e = 0; e < n; e++) one[e] = 1.0f;
    hd_nn_rqs_backward(sl, NULL, one, NULL, x, th, n, 1, &c);
    for (PetscInt e = 0; e < n; e++) {
      slope = fmax(slope, fabs(log((double)sl[e]) - ld[e]));
      nslope += sl[e] > 0.0f;
    }
    PetscFree(one);
    PetscFree(sl);
  }
  for (PetscInt e = 0; e < n; e++) {
    float a = x[e] + 1e-3f, b = x[e] - 1e-3f, la;

    hd_nn_rqs_forward(&yp, &la, &a, th + e * np, 1, 1, &c);
    hd_nn_rqs_forward(&ym, &la, &b, th + e * np, 1, 1, &c);
    mono &= yp >= ym;
  }
  /* tails */
  for (PetscInt e = 0; e < n && e < 50; e++) {
    float t[4] = {(float)(bound * 1.01), (float)(-bound * 1.5), 1e3f, -1e30f}, yt, lt;

    for (int j = 0; j < 4; j++) {
      hd_nn_rqs_forward(&yt, &lt, &t[j], th + e * np, 1, 1, &c);
      tails &= yt == t[j] && lt == 0.0f;
      hd_nn_rqs_inverse(&yt, &lt, &t[j], th + e * np, 1, 1, &c);
      tails &= yt == t[j] && lt == 0.0f;
    }
  }
  xp = (float)bound;
  xm = -(float)bound;
  hd_nn_rqs_forward(&yp, NULL, &xp, th, 1, 1, &c);
  hd_nn_rqs_forward(&ym, NULL, &xm, th, 1, 1, &c);
  printf("spline K %2d bound %g theta sd %g, %d points: knots worst %.3f x tol; round trip %.2e where slope >= 0.05 (%d points), worst %.3f x (1e-5 + 2 ulp(y) / slope), y residual %.3f x tol; |logdet(x') + inverse logdet| %.3f x tol; |logdet - log backward slope| %.1e (%d positive)\n", (int)K, bound, sd, (int)n, knot_err, rt, nwell, rt_cond, yres, ldsum, slope, nslope);
  CHECK(knot_err <= 1.0, "spline K %d: knots not mapped to knots (worst %.2f x tolerance)", (int)K, knot_err);
  CHECK(rt <= 1e-5 && nwell > n / 4, "spline K %d theta sd %g: inverse(forward(x)) off by %.3g > 1e-5 where the slope is >= 0.05 (%d points)", (int)K, sd, rt, nwell);
  CHECK(rt_cond <= 1.0 && yres <= 1.0, "spline K %d theta sd %g: round trip beyond what float y allows (%.2f, y residual %.2f x tolerance)", (int)K, sd, rt_cond, yres);
  CHECK(ldsum <= 1.0, "spline K %d: inverse logdet is not minus the forward one at x' (%.2f x tolerance)", (int)K, ldsum);
  CHECK(slope <= 1e-5 && nslope == n, "spline K %d: logdet differs from the log of the slope by %.3g (%d of %d slopes positive)", (int)K, slope, nslope, (int)n);
  check(mono, "spline: y decreases somewhere");
  check(tails, "spline: not the identity with logdet 0 outside [-bound, bound]");
  CHECK(fabs(yp - bound) <= 1e-6 * bound && fabs(ym + bound) <= 1e-6 * bound, "spline K %d: +-bound maps to %g, %g", (int)K, (double)yp, (double)ym);
  if (K == 1) {
    double id = 0.0;
    for (PetscInt e = 0; e < n; e++) id = fmax(id, fabs((double)y[e] - x[e]) + fabs((double)ld[e]));
    CHECK(id <= 1e-6, "spline K 1 (one bin, end derivatives 1) is not the identity (%.3g)", id);
  }
  PetscFree(th);
  PetscFree(x);
  PetscFree(y);
  PetscFree(ld);
  PetscFree(xi);
  PetscFree(ldi);
  PetscFree(y2);
  PetscFree(ld2);
  PetscFree(dld);
}

/* No NaN or Inf anywhere for huge or tiny parameters and inputs far out, on knots, on +-bound. */
static void spline_extremes(void)
{
  enum { K = 6, NP = 3 * K - 1, NT = 7, NX = 13 };
  hd_nn_rqs_config c = rqs_cfg(K, 4.0);
  float            th[NT][NP], xs[NX] = {0.0f, 4.0f, -4.0f, 3.9999998f, -3.9999998f, 4.0000005f, 1e3f, -1e3f, 1e30f, -1e30f, 1e-30f, 2.5f, -0.7f};
  double           xk[K + 1];
  hd_rng           rng;
  int              bad = 0, rt_bad = 0;

  hd_rng_init(&rng, 5, HD_STREAM_USER, 0);
  for (int j = 0; j < NP; j++) {
    th[0][j] = 1e4f;
    th[1][j] = -1e4f;
    th[2][j] = (j % 2) ? 1e4f : -1e4f;
    th[3][j] = (j % 3) ? -1e4f : 1e4f;
    th[4][j] = 1e-30f;
    th[5][j] = 0.0f;
    th[6][j] = (float)(30.0 * hd_rng_normal(&rng));
  }
  for (int t = 0; t < NT; t++) {
    float xv[NX + K + 1], y[NX + K + 1], ld[NX + K + 1], xi[NX + K + 1], ldi[NX + K + 1], thv[(NX + K + 1) * NP], dx[NX + K + 1], dth[(NX + K + 1) * NP], g[NX + K + 1];
    int   nx = NX + K + 1;

    /* the inputs above, and each knot of this spline */
    test_knots(xk, th[t], K, c.min_bin_width, c.bound);
    for (int i = 0; i < NX; i++) xv[i] = xs[i];
    for (int k = 0; k <= K; k++) xv[NX + k] = (float)xk[k];
    for (int i = 0; i < nx; i++) {
      memcpy(thv + i * NP, th[t], sizeof(th[t]));
      g[i] = 1.0f;
    }
    memset(dx, 0, sizeof(dx));
    memset(dth, 0, sizeof(dth));
    hd_nn_rqs_forward(y, ld, xv, thv, nx, 1, &c);
    hd_nn_rqs_inverse(xi, ldi, y, thv, nx, 1, &c);
    hd_nn_rqs_backward(dx, dth, g, g, xv, thv, nx, 1, &c);
    for (int i = 0; i < nx; i++) {
      bad += !isfinite(y[i]) || !isfinite(ld[i]) || !isfinite(xi[i]) || !isfinite(ldi[i]) || !isfinite(dx[i]);
      if (fabsf(xv[i]) <= 4.0f) rt_bad += fabs((double)xi[i] - xv[i]) > 1e-5 * fmax(1.0, 1.0 / exp(ld[i]));
    }
    for (int i = 0; i < nx * NP; i++) bad += !isfinite(dth[i]);
  }
  printf("spline extremes (theta +-1e4, 1e-30, 0, N(0, 30^2); x +-1e3, +-1e30, knots, +-bound): %d non-finite values, %d round trips off\n", bad, rt_bad);
  CHECK(bad == 0, "spline: %d non-finite outputs or gradients at extreme inputs", bad);
  CHECK(rt_bad == 0, "spline: %d round trips off by more than 1e-5 / slope at extreme parameters", rt_bad);
  {
    hd_nn_rqs_config bad_c = rqs_cfg(2000, 1.0);
    expect_error(hd_nn_rqs_check(&bad_c, "flow"), "bin count 2000", "spline with too many bins");
    bad_c = rqs_cfg(8, 1.0);
    bad_c.min_bin_width = 0.2;
    expect_error(hd_nn_rqs_check(&bad_c, "flow"), "minimum bin width 0.2", "spline bins that cannot fit");
    bad_c = rqs_cfg(8, 1.0);
    TRY(hd_nn_rqs_check(&bad_c, "flow"));
  }
}

static void spline_bench(void)
{
  enum { B = 512, D = 20, K = 35 };
  hd_nn_rqs_config c = rqs_cfg(K, 5.0);
  float           *x, *th, *y, *ld, *dx, *dth;
  hd_rng           rng;
  PetscLogDouble   t0, t1, t2;
  PetscInt         n = B * D, np = n * (3 * K - 1);

  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &x));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(np, &th));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &y));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n, &ld));
  PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(n, &dx));
  PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(np, &dth));
  hd_rng_init(&rng, 6, HD_STREAM_USER, 0);
  fill_normal(x, n, 2.0, &rng);
  fill_normal(th, np, 1.0, &rng);
  PetscCallAbort(PETSC_COMM_SELF, PetscTime(&t0));
  hd_nn_rqs_forward(y, ld, x, th, B, D, &c);
  PetscCallAbort(PETSC_COMM_SELF, PetscTime(&t1));
  hd_nn_rqs_backward(dx, dth, y, ld, x, th, B, D, &c);
  PetscCallAbort(PETSC_COMM_SELF, PetscTime(&t2));
  printf("bench: spline K %d, %d elements: forward %.0f ns, backward %.0f ns per element\n", K, (int)n, 1e9 * (t1 - t0) / n, 1e9 * (t2 - t1) / n);
  PetscFree(x);
  PetscFree(th);
  PetscFree(y);
  PetscFree(ld);
  PetscFree(dx);
  PetscFree(dth);
}

/* ---- permutation and set pooling ---- */

static void permute_check(void)
{
  enum { B = 3, D = 5 };
  PetscInt perm[D] = {3, 0, 4, 1, 2};
  float    x[B * D], y[B * D], dy[B * D], dx[B * D];
  hd_rng   r;
  int      ok = 1;

  hd_rng_init(&r, 7, HD_STREAM_USER, 0);
  fill_normal(x, B * D, 1.0, &r);
  fill_normal(dy, B * D, 1.0, &r);
  hd_nn_permute_forward(y, x, perm, B, D);
  for (int b = 0; b < B; b++)
    for (int j = 0; j < D; j++) ok &= y[b * D + j] == x[b * D + perm[j]];
  for (int i = 0; i < B * D; i++) dx[i] = 1.0f;
  hd_nn_permute_backward(dx, dy, perm, B, D);
  for (int b = 0; b < B; b++)
    for (int j = 0; j < D; j++) ok &= dx[b * D + perm[j]] == 1.0f + dy[b * D + j];
  check(ok, "permutation: forward is not y[:, j] = x[:, perm[j]] or backward does not add dy back");
}

static void set_pool_check(hd_nn_pool_mode mode, const char *name)
{
  enum { B = 4, P = 5, C = 3 };
  float  in[B * P * C], out[B * C], size[B] = {3, 0, 5, 1}, dout[B * C], din[B * P * C], bad[B];
  hd_rng r;
  int    ok = 1, pad = 1;

  hd_rng_init(&r, 8, HD_STREAM_USER, (uint64_t)mode);
  fill_normal(in, B * P * C, 1.0, &r);
  fill_normal(dout, B * C, 1.0, &r);
  for (int b = 0; b < B; b++) /* padding holds NaN: it must not reach the output */
    for (int p = (int)size[b]; p < P; p++)
      for (int c = 0; c < C; c++) in[(b * P + p) * C + c] = NAN;
  TRY(hd_nn_set_pool_forward(out, in, size, B, P, C, mode));
  for (int b = 0; b < B; b++) {
    for (int c = 0; c < C; c++) {
      double s = 0.0;
      for (int p = 0; p < (int)size[b]; p++) s += in[(b * P + p) * C + c];
      if (mode == HD_NN_POOL_MEAN && size[b] > 0) s /= size[b];
      ok &= fabs(out[b * C + c] - s) <= 1e-6 * (1.0 + fabs(s));
    }
  }
  for (int i = 0; i < B * P * C; i++) din[i] = 0.5f;
  hd_nn_set_pool_backward(din, dout, size, B, P, C, mode);
  for (int b = 0; b < B; b++) {
    for (int p = 0; p < P; p++) {
      for (int c = 0; c < C; c++) {
        float want = p < size[b] ? 0.5f + dout[b * C + c] / (mode == HD_NN_POOL_MEAN ? size[b] : 1.0f) : 0.5f;
        if (p < size[b]) ok &= fabsf(din[(b * P + p) * C + c] - want) <= 1e-6f;
        else pad &= din[(b * P + p) * C + c] == want;
      }
    }
  }
  CHECK(ok, "set pooling %s: output or gradient differs from the direct sum", name);
  CHECK(pad, "set pooling %s: a padded element received a gradient", name);
  memcpy(bad, size, sizeof(size));
  bad[2] = 2.5f;
  expect_error(hd_nn_set_pool_forward(out, in, bad, B, P, C, mode), "event 2 has size 2.5", "set size that is not an integer");
  bad[2] = 6.0f;
  expect_error(hd_nn_set_pool_forward(out, in, bad, B, P, C, mode), "event 2 has size 6", "set size above P");
  bad[2] = 5.0f;
  bad[1] = -1.0f;
  expect_error(hd_nn_set_pool_forward(out, in, bad, B, P, C, mode), "event 1 has size -1", "negative set size");
  bad[1] = NAN;
  expect_error(hd_nn_set_pool_forward(out, in, bad, B, P, C, mode), "event 1", "NaN set size");
}

/* ---- DisCo ---- */

/* Kasieczka & Shih's weighted formula with n x n matrices, in double: the reference. */
static double disco_direct(const float *a, const float *b, const float *w, PetscInt n)
{
  double *A, *Bm, *ma, *mb, sw = 0.0, Ma = 0.0, Mb = 0.0, ab = 0.0, aa = 0.0, bb = 0.0;

  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n * n, &A));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(n * n, &Bm));
  PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(n, &ma));
  PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(n, &mb));
  for (PetscInt i = 0; i < n; i++) sw += w ? w[i] : 1.0;
#define WN(i) ((w ? (double)w[i] : 1.0) * n / sw) /* weights normalised to mean 1 */
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < n; j++) {
      A[i * n + j]  = fabs((double)a[i] - a[j]);
      Bm[i * n + j] = fabs((double)b[i] - b[j]);
      ma[i] += A[i * n + j] * WN(j) / n;
      mb[i] += Bm[i * n + j] * WN(j) / n;
    }
  for (PetscInt i = 0; i < n; i++) {
    Ma += ma[i] * WN(i) / n;
    Mb += mb[i] * WN(i) / n;
  }
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < n; j++) {
      double Aij = A[i * n + j] - ma[i] - ma[j] + Ma, Bij = Bm[i * n + j] - mb[i] - mb[j] + Mb, ww = WN(i) * WN(j) / ((double)n * n);
      ab += Aij * Bij * ww;
      aa += Aij * Aij * ww;
      bb += Bij * Bij * ww;
    }
#undef WN
  PetscFree(A);
  PetscFree(Bm);
  PetscFree(ma);
  PetscFree(mb);
  return ab / sqrt(aa * bb);
}

/* a, b correlated through a common term; ties: values rounded to a coarse grid */
static void disco_data(float *a, float *b, float *w, PetscInt n, int ties, uint64_t seed)
{
  hd_rng r;

  hd_rng_init(&r, seed, HD_STREAM_USER, 20);
  for (PetscInt i = 0; i < n; i++) {
    double z = hd_rng_normal(&r);

    a[i] = (float)(z + 0.8 * hd_rng_normal(&r));
    b[i] = (float)(z * z + 0.5 * hd_rng_normal(&r));
    if (ties) {
      a[i] = roundf(2.0f * a[i]) / 2.0f;
      b[i] = roundf(b[i]);
    }
    w[i] = (float)(0.2 + 2.0 * hd_rng_uniform(&r));
  }
}

static void disco_against_direct(PetscInt n, int weighted, int ties)
{
  float  a[200], b[200], w[200], *wp;
  double v, ref;

  disco_data(a, b, w, n, ties, 30 + (uint64_t)(weighted * 2 + ties));
  wp = weighted ? w : NULL;
  TRY(hd_nn_disco2(&v, NULL, NULL, a, b, wp, n, 1.0));
  ref = disco_direct(a, b, wp, n);
  printf("DisCo n %d weighted %d ties %d: %.15f, direct n x n %.15f\n", (int)n, weighted, ties, v, ref);
  CHECK(fabs(v - ref) <= 1e-12 * fabs(ref), "DisCo n %d weighted %d ties %d: %.17g, direct evaluation %.17g", (int)n, weighted, ties, v, ref);
}

static void disco_gradcheck(PetscInt n, int weighted)
{
  float    a[200], b[200], w[200], da[200], db[200], *wp;
  double   v, gap = INFINITY, scale_a, scale_b;
  fd_stats sa = {0, 0, 0}, sb = {0, 0, 0};

  disco_data(a, b, w, n, 0, 40 + (uint64_t)weighted);
  wp = weighted ? w : NULL;
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < i; j++) gap = fmin(gap, fmin(fabs((double)a[i] - a[j]), fabs((double)b[i] - b[j])));
  memset(da, 0, sizeof(da));
  memset(db, 0, sizeof(db));
  TRY(hd_nn_disco2(&v, da, db, a, b, wp, n, 1.0));
  scale_a = max_abs(da, n);
  scale_b = max_abs(db, n);
  /* steps below half the smallest gap: no |.| crosses its kink */
  for (int pass = 0; pass < 2; pass++) {
    float    *x = pass ? b : a, *an = pass ? db : da;
    fd_stats *s = pass ? &sb : &sa;

    for (PetscInt i = 0; i < n; i++) {
      float  orig = x[i];
      double h = fmin(1e-3, 0.4 * gap), lp, lm, sp, sm;

      x[i] = (float)(orig + h);
      sp   = (double)x[i] - orig;
      TRY(hd_nn_disco2(&lp, NULL, NULL, a, b, wp, n, 1.0));
      x[i] = (float)(orig - h);
      sm   = (double)x[i] - orig;
      TRY(hd_nn_disco2(&lm, NULL, NULL, a, b, wp, n, 1.0));
      x[i] = orig;
      fd_compare(s, (lp - lm) / (sp - sm), an[i], pass ? scale_b : scale_a, 1e-5, 1e-7);
    }
  }
  printf("DisCo gradient n %d weighted %d (value %.4f, smallest gap %.2e): a %d worst %.3f, b %d worst %.3f\n", (int)n, weighted, v, gap, sa.checked, sa.worst, sb.checked, sb.worst);
  CHECK(sa.worst <= 1.0 && sb.worst <= 1.0, "DisCo n %d weighted %d: gradient off finite differences (worst %.2f, %.2f x tolerance)", (int)n, weighted, sa.worst, sb.worst);
  CHECK(scale_a > 0.0 && scale_b > 0.0, "DisCo: zero gradient");
}

static void disco_properties(void)
{
  enum { N = 300 };
  float  a[N], b[N], w[N], c[N], da[N], db[N], da2[N], db2[N], ap[N], bp[N], wp[N], w3[N];
  double v, v2, v3;
  int    same = 1;

  disco_data(a, b, w, N, 0, 50);
  /* functions of each other: 1 */
  for (int i = 0; i < N; i++) c[i] = -3.0f * a[i] + 7.0f;
  TRY(hd_nn_disco2(&v, NULL, NULL, a, c, w, N, 1.0));
  CHECK(fabs(v - 1.0) <= 1e-12, "DisCo of a and -3a + 7 is %.17g, want 1", v);
  /* deterministic, accumulating, scaled */
  memset(da, 0, sizeof(da));
  memset(db, 0, sizeof(db));
  TRY(hd_nn_disco2(&v, da, db, a, b, w, N, 1.0));
  memcpy(da2, da, sizeof(da));
  memcpy(db2, db, sizeof(db));
  TRY(hd_nn_disco2(&v2, da2, db2, a, b, w, N, 2.0));
  for (int i = 0; i < N; i++) same &= da2[i] == da[i] + 2.0f * da[i] && db2[i] == db[i] + 2.0f * db[i];
  CHECK(v2 == v && same, "DisCo: a second call is not bit-identical or does not add scale x gradient");
  /* the order of events and the scale of the weights (x 4, exact in float) do not matter */
  for (int i = 0; i < N; i++) {
    ap[i] = a[N - 1 - i];
    bp[i] = b[N - 1 - i];
    wp[i] = w[N - 1 - i];
    w3[i] = 4.0f * w[i];
  }
  TRY(hd_nn_disco2(&v2, NULL, NULL, ap, bp, wp, N, 1.0));
  TRY(hd_nn_disco2(&v3, NULL, NULL, a, b, w3, N, 1.0));
  CHECK(fabs(v2 - v) <= 1e-12 * v && fabs(v3 - v) <= 1e-12 * v, "DisCo: reversed events %.17g or weights x 4 %.17g differ from %.17g", v2, v3, v);
  /* a zero weight removes the event */
  w[5] = 0.0f;
  TRY(hd_nn_disco2(&v2, NULL, NULL, a, b, w, N, 1.0));
  memcpy(ap, a, sizeof(a));
  memcpy(bp, b, sizeof(b));
  memcpy(wp, w, sizeof(w));
  ap[5] = ap[N - 1];
  bp[5] = bp[N - 1];
  wp[5] = wp[N - 1];
  TRY(hd_nn_disco2(&v3, NULL, NULL, ap, bp, wp, N - 1, 1.0));
  CHECK(fabs(v2 - v3) <= 1e-12 * v3, "DisCo: an event of weight 0 changes the value (%.17g vs %.17g without it)", v2, v3);
  /* a constant variable: value 0, no gradient, no NaN */
  for (int i = 0; i < N; i++) c[i] = 2.0f;
  memset(da, 0, sizeof(da));
  TRY(hd_nn_disco2(&v, da, NULL, a, c, NULL, N, 1.0));
  CHECK(v == 0.0 && max_abs(da, N) == 0.0, "DisCo with a constant variable: value %g, gradient %g; want 0", v, max_abs(da, N));
  TRY(hd_nn_disco2(&v, NULL, NULL, a, b, NULL, 1, 1.0));
  CHECK(v == 0.0, "DisCo of one event: %g, want 0", v);
  /* bad input names the event */
  w[7] = -1.0f;
  expect_error(hd_nn_disco2(&v, NULL, NULL, a, b, w, N, 1.0), "event 7 has weight -1", "negative DisCo weight");
  w[7] = 1.0f;
  a[9] = NAN;
  expect_error(hd_nn_disco2(&v, NULL, NULL, a, b, w, N, 1.0), "event 9", "NaN DisCo input");
  a[9] = 0.0f;
  for (int i = 0; i < N; i++) w[i] = 0.0f;
  expect_error(hd_nn_disco2(&v, NULL, NULL, a, b, w, N, 1.0), "positive sum", "DisCo weights summing to 0");
}

static void disco_bench(void)
{
  enum { N = 10000 };
  float         *a, *b, *w, *da, *db;
  double         v, v1;
  PetscLogDouble t0, t1, t2;

  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(N, &a));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(N, &b));
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(N, &w));
  PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(N, &da));
  PetscCallAbort(PETSC_COMM_SELF, PetscCalloc1(N, &db));
  disco_data(a, b, w, N, 0, 60);
  PetscCallAbort(PETSC_COMM_SELF, PetscTime(&t0));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_disco2(&v, NULL, NULL, a, b, w, N, 1.0));
  PetscCallAbort(PETSC_COMM_SELF, PetscTime(&t1));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_disco2(&v1, da, db, a, b, w, N, 1.0));
  PetscCallAbort(PETSC_COMM_SELF, PetscTime(&t2));
  printf("bench: DisCo^2 n %d weighted: value %.2f ms, value and both gradients %.2f ms (value %.6f)\n", N, 1e3 * (t1 - t0), 1e3 * (t2 - t1), v);
  CHECK(v == v1, "DisCo: the value depends on whether gradients are asked for");
  /* independent variables: DisCo^2 is small (its bias is O(1/n)) */
  for (int i = 0; i < N; i++) b[i] = a[(i * 7919) % N] * a[(i * 104729 + 3) % N];
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_disco2(&v, NULL, NULL, a, b, NULL, N, 1.0));
  printf("DisCo^2 of unrelated variables at n %d: %.2e\n", N, v);
  CHECK(v < 5e-3, "DisCo^2 of unrelated variables is %g", v);
  PetscFree(a);
  PetscFree(b);
  PetscFree(w);
  PetscFree(da);
  PetscFree(db);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(hd_error_handler_push());

  made_mask_by_hand();
  made_autoregressive();
  masked_dense_check(HD_ACT_IDENTITY, "identity");
  masked_dense_check(HD_ACT_TANH, "tanh");
  masked_dense_check(HD_ACT_ELU, "elu");

  spline_gradcheck(1, 2.0, 1.0, 4, 3);
  spline_gradcheck(4, 3.0, 1.0, 6, 5);
  spline_gradcheck(8, 3.0, 2.0, 5, 4);
  spline_gradcheck(35, 5.0, 1.0, 6, 4);
  spline_reference_check(4, 3.0, 1.0, 200);
  spline_reference_check(8, 3.0, 3.0, 200);
  spline_reference_check(35, 5.0, 1.0, 60);
  spline_values(1, 2.0, 1.0, 2000);
  spline_values(4, 3.0, 1.0, 2000);
  spline_values(8, 3.0, 3.0, 2000);
  spline_values(35, 5.0, 1.0, 2000);
  spline_extremes();
  spline_bench();

  permute_check();
  set_pool_check(HD_NN_POOL_SUM, "sum");
  set_pool_check(HD_NN_POOL_MEAN, "mean");

  for (int weighted = 0; weighted < 2; weighted++) {
    for (int ties = 0; ties < 2; ties++) disco_against_direct(150, weighted, ties);
    disco_against_direct(2, weighted, 0);
    disco_gradcheck(60, weighted);
  }
  disco_properties();
  disco_bench();

  printf("%s: %d failure(s)\n", failures ? "FAILED" : "passed", failures);
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
