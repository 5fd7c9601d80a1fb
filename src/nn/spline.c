/* Monotone rational-quadratic spline (Durkan, Bekasov, Murray & Papamakarios 2019, "Neural Spline
 * Flows", section 3.1 and appendix A; docs/nn.md, "Flow, set and coupling kernels"), the
 * elementwise transform of the autoregressive flow of seed 003 (section 3, Table 3).
 *
 * One spline per element (b, d), with its own parameters theta[b, d, 0 .. 3K-1). Inside
 * [-bound, bound] the spline maps bin k, [x_k, x_k+1] -> [y_k, y_k+1], with widths W_k, heights
 * H_k, slope s_k = H_k / W_k and knot derivatives d_k, as (xi = (x - x_k) / W_k in [0, 1])
 *   y      = y_k + H_k [s_k xi^2 + d_k xi (1 - xi)] / [s_k + (d_k+1 + d_k - 2 s_k) xi (1 - xi)]
 *   dy/dx  = s_k^2 [d_k+1 xi^2 + 2 s_k xi (1 - xi) + d_k (1 - xi)^2] / [same denominator]^2
 * (paper eqs. 4 and 5). Everything inside is double; only the results are rounded to float. */
#include <math.h>
#include <hadal/nn.h>

/* The knots of one element's spline and (for backward) the softmax values behind them. The knot
 * derivatives are not kept: a point needs only the two at the ends of its bin (rqs_bin_derivs). */
typedef struct {
  double xk[HD_NN_RQS_MAX_BINS + 1], yk[HD_NN_RQS_MAX_BINS + 1]; /* knots, x_0 = -bound, x_K = bound */
  double pw[HD_NN_RQS_MAX_BINS], ph[HD_NN_RQS_MAX_BINS];         /* softmax of the width / height logits */
} rqs_spline;

PetscErrorCode hd_nn_rqs_check(const hd_nn_rqs_config *c, const char *what)
{
  PetscFunctionBegin;
  PetscCheck(c->K >= 1 && c->K <= HD_NN_RQS_MAX_BINS, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: spline bin count %" PetscInt_FMT " is not in [1, %d]", what, c->K, HD_NN_RQS_MAX_BINS);
  PetscCheck(c->bound > 0.0 && isfinite(c->bound), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: spline bound %g must be positive and finite", what, c->bound);
  PetscCheck(c->min_bin_width > 0.0 && c->min_bin_width * (double)c->K < 1.0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: minimum bin width %g must be positive and below 1 / K = %g", what, c->min_bin_width, 1.0 / (double)c->K);
  PetscCheck(c->min_bin_height > 0.0 && c->min_bin_height * (double)c->K < 1.0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: minimum bin height %g must be positive and below 1 / K = %g", what, c->min_bin_height, 1.0 / (double)c->K);
  PetscCheck(c->min_derivative > 0.0 && isfinite(c->min_derivative), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: minimum derivative %g must be positive and finite", what, c->min_derivative);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static int rqs_config_ok(const hd_nn_rqs_config *c)
{
  return c->K >= 1 && c->K <= HD_NN_RQS_MAX_BINS && c->bound > 0.0 && c->min_bin_width > 0.0 && c->min_bin_width * (double)c->K < 1.0 && c->min_bin_height > 0.0 && c->min_bin_height * (double)c->K < 1.0 && c->min_derivative > 0.0;
}

/* log(1 + e^u) and 1 / (1 + e^-u) without overflow for any finite u */
static double softplus(double u) { return u > 0.0 ? u + log1p(exp(-u)) : log1p(exp(u)); }
static double sigmoid(double u)
{
  double e = exp(-fabs(u));

  return u >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/* Knots on [-bound, bound] from K logits u: p = softmax(u) (shifted by its maximum, so any finite
 * logits work), bin fractions min + (1 - K min) p, knot k at -bound + 2 bound (sum of the first k
 * fractions); the last knot is set to bound exactly, so the spline meets the tails without a gap. */
static void rqs_knots(double *knot, double *p, const float *u, PetscInt K, double min_bin, double bound)
{
  double m = (double)u[0], s = 0.0, cum = 0.0;

  for (PetscInt k = 1; k < K; k++) m = fmax(m, (double)u[k]);
  for (PetscInt k = 0; k < K; k++) {
    p[k] = exp((double)u[k] - m);
    s += p[k];
  }
  knot[0] = -bound;
  for (PetscInt k = 0; k < K; k++) {
    p[k] /= s;
    cum += min_bin + (1.0 - (double)K * min_bin) * p[k];
    knot[k + 1] = -bound + 2.0 * bound * cum;
  }
  knot[K] = bound;
}

/* The knots of one element from theta (3K - 1): widths, then heights. */
static void rqs_build(rqs_spline *s, const float *theta, const hd_nn_rqs_config *c)
{
  rqs_knots(s->xk, s->pw, theta, c->K, c->min_bin_width, c->bound);
  rqs_knots(s->yk, s->ph, theta + c->K, c->K, c->min_bin_height, c->bound);
}

/* The derivative at knot k: 1 at both ends, min_derivative + softplus(u) inside (theta + 2K holds
 * the K - 1 interior logits); *dd = d d_k / d u (0 at the ends). */
static double rqs_knot_deriv(const float *theta, const hd_nn_rqs_config *c, PetscInt k, double *dd)
{
  double u;

  if (k == 0 || k == c->K) {
    if (dd) *dd = 0.0;
    return 1.0;
  }
  u = (double)theta[2 * c->K + k - 1];
  if (dd) *dd = sigmoid(u);
  return c->min_derivative + softplus(u);
}

/* The bin k in [0, K) with knot[k] <= v (the last bin takes v == knot[K]); v inside the range. */
static PetscInt rqs_bin(const double *knot, PetscInt K, double v)
{
  PetscInt lo = 0, hi = K - 1;

  while (lo < hi) {
    PetscInt mid = (lo + hi + 1) / 2;

    if (knot[mid] <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/* The quantities of bin k at xi that forward, inverse and backward share. */
typedef struct {
  double W, H, s, d0, d1, xi, zeta, c2, den, R, Q;
} rqs_point;

static void rqs_point_at(rqs_point *q, const rqs_spline *s, PetscInt k, double d0, double d1, double xi)
{
  q->W    = s->xk[k + 1] - s->xk[k];
  q->H    = s->yk[k + 1] - s->yk[k];
  q->s    = q->H / q->W;
  q->d0   = d0;
  q->d1   = d1;
  q->xi   = xi < 0.0 ? 0.0 : (xi > 1.0 ? 1.0 : xi);
  q->zeta = q->xi * (1.0 - q->xi);
  q->c2   = q->d0 + q->d1 - 2.0 * q->s;
  q->den  = q->s + q->c2 * q->zeta;
  q->R    = (q->s * q->xi * q->xi + q->d0 * q->zeta) / q->den;
  q->Q    = q->d1 * q->xi * q->xi + 2.0 * q->s * q->zeta + q->d0 * (1.0 - q->xi) * (1.0 - q->xi);
}

/* log dy/dx = 2 log s + log Q - 2 log den (paper eq. 5) */
static double rqs_logdet(const rqs_point *q) { return 2.0 * log(q->s) + log(q->Q) - 2.0 * log(q->den); }

static int rqs_inside(double v, double bound) { return v >= -bound && v <= bound; }

/* y (B, D), logdet (B, D) = spline(x (B, D)); identity with logdet 0 outside [-bound, bound] */
void hd_nn_rqs_forward(float *y, float *logdet, const float *x, const float *theta, PetscInt B, PetscInt D, const hd_nn_rqs_config *c)
{
  size_t     n = (size_t)B * (size_t)D, np = (size_t)(3 * c->K - 1);
  rqs_spline s;

  for (size_t e = 0; e < n; e++) {
    double       v = (double)x[e];
    rqs_point    q;
    PetscInt     k;
    const float *th;

    if (!rqs_config_ok(c)) { /* hd_nn_rqs_check reports why; a bad spline must not look fine */
      y[e] = NAN;
      if (logdet) logdet[e] = NAN;
      continue;
    }
    if (!rqs_inside(v, c->bound)) { /* tails, and NaN, pass through */
      y[e] = x[e];
      if (logdet) logdet[e] = 0.0f;
      continue;
    }
    th = theta + e * np;
    rqs_build(&s, th, c);
    k = rqs_bin(s.xk, c->K, v);
    rqs_point_at(&q, &s, k, rqs_knot_deriv(th, c, k, NULL), rqs_knot_deriv(th, c, k + 1, NULL), (v - s.xk[k]) / (s.xk[k + 1] - s.xk[k]));
    y[e] = (float)(s.yk[k] + q.H * q.R);
    if (logdet) logdet[e] = (float)rqs_logdet(&q);
  }
}

/* x (B, D), logdet (B, D) = spline^-1(y (B, D)): in bin k, xi is the root in [0, 1] of
 * alpha xi^2 + beta xi + gamma = 0 (paper eqs. 6-8), taken in the form 2 gamma / (-beta - sqrt(disc))
 * that does not cancel; logdet is log dx/dy = -(log dy/dx at x). */
void hd_nn_rqs_inverse(float *x, float *logdet, const float *y, const float *theta, PetscInt B, PetscInt D, const hd_nn_rqs_config *c)
{
  size_t     n = (size_t)B * (size_t)D, np = (size_t)(3 * c->K - 1);
  rqs_spline s;

  for (size_t e = 0; e < n; e++) {
    double       v = (double)y[e], W, H, sl, d0, d1, c2, dy, alpha, beta, gamma, disc, den, xi;
    rqs_point    q;
    PetscInt     k;
    const float *th;

    if (!rqs_config_ok(c)) {
      x[e] = NAN;
      if (logdet) logdet[e] = NAN;
      continue;
    }
    if (!rqs_inside(v, c->bound)) {
      x[e] = y[e];
      if (logdet) logdet[e] = 0.0f;
      continue;
    }
    th = theta + e * np;
    rqs_build(&s, th, c);
    k     = rqs_bin(s.yk, c->K, v);
    W     = s.xk[k + 1] - s.xk[k];
    H     = s.yk[k + 1] - s.yk[k];
    sl    = H / W;
    d0    = rqs_knot_deriv(th, c, k, NULL);
    d1    = rqs_knot_deriv(th, c, k + 1, NULL);
    c2    = d0 + d1 - 2.0 * sl;
    dy    = v - s.yk[k];
    alpha = H * (sl - d0) + dy * c2;
    beta  = H * d0 - dy * c2;
    gamma = -sl * dy;
    disc  = beta * beta - 4.0 * alpha * gamma;
    den   = -beta - sqrt(disc > 0.0 ? disc : 0.0);
    xi    = den != 0.0 ? 2.0 * gamma / den : 0.0;
    rqs_point_at(&q, &s, k, d0, d1, xi);
    x[e] = (float)(s.xk[k] + q.xi * W);
    if (logdet) logdet[e] = (float)-rqs_logdet(&q);
  }
}

/* Gradient wrt a bin's knot positions (x_k, y_k) and sizes (W, H) passed back to the K logits of
 * the bins: knot j = -bound + 2 bound sum_{i<j} f_i and W_k = 2 bound f_k with
 * f = min + (1 - K min) softmax(u), so g_f[i] = 2 bound g_knot for i < k, 2 bound g_size for i = k,
 * 0 above; then the softmax's Jacobian: du_i = (1 - K min) p_i (g_f[i] - sum_j p_j g_f[j]). */
static void rqs_knots_backward(float *du, const double *p, PetscInt K, PetscInt k, double g_knot, double g_size, double min_bin, double bound)
{
  double gk = 2.0 * bound * g_knot, gs = 2.0 * bound * g_size, below = 0.0, mean, a = 1.0 - (double)K * min_bin;

  for (PetscInt i = 0; i < k; i++) below += p[i];
  mean = gk * below + gs * p[k];
  for (PetscInt i = 0; i < K; i++) {
    double g = i < k ? gk : (i == k ? gs : 0.0);

    du[i] += (float)(a * p[i] * (g - mean));
  }
}

/* dx (B, D) += dL/dx, dtheta (B, D, 3K-1) += dL/dtheta from dy and dlogdet (B, D). In bin k, with
 * zeta = xi (1 - xi), den = s + (d0 + d1 - 2 s) zeta, R = (s xi^2 + d0 zeta) / den, y = y_k + H R,
 * Q = d1 xi^2 + 2 s zeta + d0 (1 - xi)^2 and l = 2 log s + log Q - 2 log den, the partials wrt
 * xi, s, d0, d1 are taken at fixed other arguments, then xi = (x - x_k) / W and s = H / W carry
 * them to x, x_k, W and H (docs/nn.md lists them). */
void hd_nn_rqs_backward(float *dx, float *dtheta, const float *dy, const float *dlogdet, const float *x, const float *theta, PetscInt B, PetscInt D, const hd_nn_rqs_config *c)
{
  size_t     n = (size_t)B * (size_t)D;
  PetscInt   K = c->K, np = 3 * K - 1;
  rqs_spline s;

  if (!rqs_config_ok(c)) return;
  for (size_t e = 0; e < n; e++) {
    double    v = (double)x[e], gy = dy ? (double)dy[e] : 0.0, gl = dlogdet ? (double)dlogdet[e] : 0.0;
    double       xi, zp, R_xi, R_s, R_d0, R_d1, l_xi, l_s, l_d0, l_d1, g_xi, g_s, g_d0, g_d1, dd0, dd1, d0, d1;
    rqs_point    q;
    PetscInt     k;
    float       *dth;
    const float *th;

    if (!rqs_inside(v, c->bound)) {
      if (dx) dx[e] += dy ? dy[e] : 0.0f;
      continue;
    }
    th = theta + e * (size_t)np;
    rqs_build(&s, th, c);
    k  = rqs_bin(s.xk, K, v);
    d0 = rqs_knot_deriv(th, c, k, &dd0);
    d1 = rqs_knot_deriv(th, c, k + 1, &dd1);
    rqs_point_at(&q, &s, k, d0, d1, (v - s.xk[k]) / (s.xk[k + 1] - s.xk[k]));
    xi = q.xi;
    zp = 1.0 - 2.0 * xi; /* d zeta / d xi */
    /* R = num / den: dR = (dnum - R dden) / den */
    R_xi = (2.0 * q.s * xi + q.d0 * zp - q.R * q.c2 * zp) / q.den;
    R_s  = (xi * xi - q.R * (1.0 - 2.0 * q.zeta)) / q.den;
    R_d0 = q.zeta * (1.0 - q.R) / q.den;
    R_d1 = -q.R * q.zeta / q.den;
    l_xi = (2.0 * q.d1 * xi + 2.0 * q.s * zp - 2.0 * q.d0 * (1.0 - xi)) / q.Q - 2.0 * q.c2 * zp / q.den;
    l_s  = 2.0 / q.s + 2.0 * q.zeta / q.Q - 2.0 * (1.0 - 2.0 * q.zeta) / q.den;
    l_d0 = (1.0 - xi) * (1.0 - xi) / q.Q - 2.0 * q.zeta / q.den;
    l_d1 = xi * xi / q.Q - 2.0 * q.zeta / q.den;
    g_xi = gy * q.H * R_xi + gl * l_xi;
    g_s  = gy * q.H * R_s + gl * l_s;
    g_d0 = gy * q.H * R_d0 + gl * l_d0;
    g_d1 = gy * q.H * R_d1 + gl * l_d1;
    if (dx) dx[e] += (float)(g_xi / q.W);
    if (!dtheta) continue;
    dth = dtheta + e * (size_t)np;
    /* xi = (x - x_k) / W, s = H / W: d/dx_k = -g_xi / W, d/dW = -(g_xi xi + g_s s) / W;
     * y = y_k + H R: d/dy_k = gy, d/dH = gy R + g_s / W */
    rqs_knots_backward(dth, s.pw, K, k, -g_xi / q.W, -(g_xi * xi + g_s * q.s) / q.W, c->min_bin_width, c->bound);
    rqs_knots_backward(dth + K, s.ph, K, k, gy, gy * q.R + g_s / q.W, c->min_bin_height, c->bound);
    /* d = min + softplus(u): dd/du = sigmoid(u); d_0 and d_K are fixed at 1 */
    if (k >= 1) dth[2 * K + k - 1] += (float)(g_d0 * dd0);
    if (k + 1 <= K - 1) dth[2 * K + k] += (float)(g_d1 * dd1);
  }
}
