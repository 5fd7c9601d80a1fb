/* Squared distance correlation with event weights, the DisCo decorrelation term of seed 002
 * (eq. 2; Kasieczka & Shih 2020, "DisCo Fever"), in O(n) memory and O(n log n) time
 * (docs/nn.md, "Flow, set and coupling kernels").
 *
 * With p_i = w_i / sum w (the reference's weights normalised to mean 1, divided by n),
 * a_ij = |a_i - a_j|, row means m_i = sum_j p_j a_ij, M = sum_i p_i m_i and the double-centred
 * A_ij = a_ij - m_i - m_j + M (likewise B for b):
 *   dCov^2(a, b) = sum_ij p_i p_j A_ij B_ij = S_ab - 2 sum_i p_i m_i n_i + M N,
 *   S_ab = sum_ij p_i p_j |a_i - a_j| |b_i - b_j|,
 * because sum_j p_j B_ij = 0 lets the centring of A drop out; dVar^2(a) = dCov^2(a, a), whose S_aa
 * is 2 (sum p a^2 - (sum p a)^2). Row means come from prefix sums in sorted order; S_ab from one
 * sweep in the order of a with a Fenwick tree over the ranks of b (Huo & Szekely 2016).
 *
 * Gradient: dCov^2 = sum_ij p_i p_j a_ij B_ij is linear in the matrix a_ij, so
 *   d dCov^2 / d a_k = 2 p_k sum_j p_j B_kj sgn(a_k - a_j),
 *   d dVar^2(a) / d a_k = 4 p_k sum_j p_j A_kj sgn(a_k - a_j),
 * with sgn(0) = 0 (what autograd gives for |.| at 0). Expanding B_kj turns each into signed sums
 * over the elements below and above a_k, from the same prefix sums and two sweeps. */
#include <math.h>
#include <stdlib.h>
#include <hadal/nn.h>

/* One of the two variables, standardised: v = (raw - mean) / spread (the value is invariant under
 * shift and scale, and standardising keeps the prefix sums free of cancellation). */
typedef struct {
  double   *v;      /* (n) standardised values */
  PetscInt *order;  /* (n) indices in increasing v, ties by index */
  PetscInt *rank;   /* (n) dense rank of v: equal values share one */
  PetscInt *gstart; /* (n + 1) where each group of equal values starts in `order` */
  PetscInt  ngroups;
  double   *m;      /* (n) row means m_i = sum_j p_j |v_i - v_j| */
  double    M, mean, spread, var; /* sum p m, sum p v, the scale divided out, dVar^2 */
} disco_axis;

typedef struct {
  double v;
  PetscInt i;
} disco_key;

static int disco_key_cmp(const void *pa, const void *pb)
{
  const disco_key *a = pa, *b = pb;

  if (a->v < b->v) return -1;
  if (a->v > b->v) return 1;
  return (a->i > b->i) - (a->i < b->i);
}

/* sum_j p_j q_j sgn(v_k - v_j) for every k (q NULL: q = 1), by groups of equal values:
 * (below) - (above) = 2 below + (own group) - total */
static void disco_signed_sums(double *out, const disco_axis *ax, const double *p, const double *q, PetscInt n)
{
  double total = 0.0, below = 0.0;

  for (PetscInt i = 0; i < n; i++) total += p[i] * (q ? q[i] : 1.0);
  for (PetscInt g = 0; g < ax->ngroups; g++) {
    double own = 0.0;

    for (PetscInt t = ax->gstart[g]; t < ax->gstart[g + 1]; t++) {
      PetscInt i = ax->order[t];

      own += p[i] * (q ? q[i] : 1.0);
    }
    for (PetscInt t = ax->gstart[g]; t < ax->gstart[g + 1]; t++) out[ax->order[t]] = 2.0 * below + own - total;
    below += own;
  }
}

/* Standardise, sort, rank, row means and dVar^2 of one variable. key is scratch of n. Returns
 * spread 0 when the variable is constant. */
static void disco_axis_setup(disco_axis *ax, const float *raw, const double *p, disco_key *key, PetscInt n)
{
  double pv, ppv = 0.0, below_p = 0.0, below_pv = 0.0, tot_p = 0.0, tot_pv = 0.0, s2 = 0.0, sm2 = 0.0;

  ax->mean = 0.0;
  for (PetscInt i = 0; i < n; i++) ax->mean += p[i] * (double)raw[i];
  ax->spread = 0.0;
  for (PetscInt i = 0; i < n; i++) ax->spread = fmax(ax->spread, fabs((double)raw[i] - ax->mean));
  if (ax->spread == 0.0) return;
  for (PetscInt i = 0; i < n; i++) {
    ax->v[i] = ((double)raw[i] - ax->mean) / ax->spread;
    key[i].v = ax->v[i];
    key[i].i = i;
  }
  qsort(key, (size_t)n, sizeof(*key), disco_key_cmp);
  ax->ngroups = 0;
  for (PetscInt t = 0; t < n; t++) {
    ax->order[t] = key[t].i;
    if (t == 0 || key[t].v != key[t - 1].v) ax->gstart[ax->ngroups++] = t;
    ax->rank[key[t].i] = ax->ngroups - 1;
  }
  ax->gstart[ax->ngroups] = n;
  /* m_k = v_k (P_below - P_above) - (PV_below - PV_above); equal values add 0 */
  for (PetscInt i = 0; i < n; i++) {
    tot_p += p[i];
    tot_pv += p[i] * ax->v[i];
  }
  for (PetscInt g = 0; g < ax->ngroups; g++) {
    double own_p = 0.0, own_pv = 0.0;

    for (PetscInt t = ax->gstart[g]; t < ax->gstart[g + 1]; t++) {
      PetscInt i = ax->order[t];

      own_p += p[i];
      own_pv += p[i] * ax->v[i];
    }
    for (PetscInt t = ax->gstart[g]; t < ax->gstart[g + 1]; t++) {
      PetscInt i  = ax->order[t];
      double   ap = tot_p - below_p - own_p, apv = tot_pv - below_pv - own_pv;

      ax->m[i] = ax->v[i] * (below_p - ap) - (below_pv - apv);
    }
    below_p += own_p;
    below_pv += own_pv;
  }
  ax->M = 0.0;
  pv    = 0.0;
  for (PetscInt i = 0; i < n; i++) {
    ax->M += p[i] * ax->m[i];
    pv += p[i] * ax->v[i];
    ppv += p[i] * ax->v[i] * ax->v[i];
    sm2 += p[i] * ax->m[i] * ax->m[i];
  }
  s2      = 2.0 * (ppv - pv * pv);
  ax->var = s2 - 2.0 * sm2 + ax->M * ax->M;
}

/* Fenwick tree of 4 sums per rank: p, p y, p x, p x y. */
static void fen_add(double *f, PetscInt nr, PetscInt r, const double v[4])
{
  for (PetscInt i = r + 1; i <= nr; i += i & -i)
    for (int c = 0; c < 4; c++) f[4 * (i - 1) + c] += v[c];
}

/* sums over ranks [0, r) */
static void fen_prefix(const double *f, PetscInt r, double s[4])
{
  for (int c = 0; c < 4; c++) s[c] = 0.0;
  for (PetscInt i = r; i > 0; i -= i & -i)
    for (int c = 0; c < 4; c++) s[c] += f[4 * (i - 1) + c];
}

/* Sweep the groups of x in increasing (reverse: decreasing) order, keeping the elements already
 * passed in a Fenwick tree over the ranks of y. For every k, over the passed j (x_j < x_k, or
 * x_j > x_k in reverse):
 *   near[k]  = sum_j p_j |y_k - y_j|
 *   cross[k] = sum_j p_j (x_k - x_j) |y_k - y_j|   (when cross is not NULL)
 * splitting the passed j into y_j < y_k and y_j > y_k (equal y add 0). f is scratch of 4 ny. */
static void disco_sweep(double *near, double *cross, const disco_axis *x, const disco_axis *y, const double *p, double *f, PetscInt reverse)
{
  double   tot[4] = {0.0, 0.0, 0.0, 0.0};
  PetscInt ny     = y->ngroups;

  for (PetscInt i = 0; i < 4 * ny; i++) f[i] = 0.0;
  for (PetscInt gg = 0; gg < x->ngroups; gg++) {
    PetscInt g = reverse ? x->ngroups - 1 - gg : gg;

    for (PetscInt t = x->gstart[g]; t < x->gstart[g + 1]; t++) {
      PetscInt k  = x->order[t];
      double   xk = x->v[k], yk = y->v[k], lo[4], le[4], hi[4];

      fen_prefix(f, y->rank[k], lo);
      fen_prefix(f, y->rank[k] + 1, le);
      for (int c = 0; c < 4; c++) hi[c] = tot[c] - le[c];
      near[k] = (yk * lo[0] - lo[1]) + (hi[1] - yk * hi[0]);
      if (cross) cross[k] = (xk * yk * lo[0] - xk * lo[1] - yk * lo[2] + lo[3]) - (xk * yk * hi[0] - xk * hi[1] - yk * hi[2] + hi[3]);
    }
    for (PetscInt t = x->gstart[g]; t < x->gstart[g + 1]; t++) {
      PetscInt k    = x->order[t];
      double   v[4] = {p[k], p[k] * y->v[k], p[k] * x->v[k], p[k] * x->v[k] * y->v[k]};

      fen_add(f, ny, y->rank[k], v);
      for (int c = 0; c < 4; c++) tot[c] += v[c];
    }
  }
}

/* d/d x_k (x one axis, y the other) of value = C / sqrt(Vx Vy), scaled and added to dx (float):
 *   G_k = sum_j p_j |y_k - y_j| s_kj - (n_k - N) sum_j p_j s_kj - sum_j p_j n_j s_kj
 *   H_k = (x_k - xbar) - (m_k - M) sum_j p_j s_kj - sum_j p_j m_j s_kj,   s_kj = sgn(x_k - x_j)
 *   d value / d x_k = 2 p_k G_k / sqrt(Vx Vy) - 2 value p_k H_k / Vx,
 * divided by x's spread for the raw variable. w1..w4 are scratch of n, f of 4 n. */
static void disco_grad(float *dx, const disco_axis *x, const disco_axis *y, const double *p, PetscInt n, double value, double scale, double *w1, double *w2, double *w3, double *w4, double *f)
{
  double *sgn = w1, *sn = w2, *sm = w3, *after = w4, *before = f + 4 * n, xbar = 0.0;
  double  cov = 1.0 / sqrt(x->var * y->var);

  disco_signed_sums(sgn, x, p, NULL, n);
  disco_signed_sums(sn, x, p, y->m, n);
  disco_signed_sums(sm, x, p, x->m, n);
  disco_sweep(before, NULL, x, y, p, f, 0);
  disco_sweep(after, NULL, x, y, p, f, 1);
  for (PetscInt i = 0; i < n; i++) xbar += p[i] * x->v[i];
  for (PetscInt k = 0; k < n; k++) {
    double G = (before[k] - after[k]) - (y->m[k] - y->M) * sgn[k] - sn[k];
    double H = (x->v[k] - xbar) - (x->m[k] - x->M) * sgn[k] - sm[k];
    double g = 2.0 * p[k] * G * cov - 2.0 * value * p[k] * H / x->var;

    dx[k] += (float)(scale * g / x->spread);
  }
}

PetscErrorCode hd_nn_disco2(double *value, float *da, float *db, const float *a, const float *b, const float *w, PetscInt n, double scale)
{
  double     sw = 0.0, *p, *buf, *f, *cross, S = 0.0, mn = 0.0, C;
  disco_axis ax, by;
  disco_key *key;
  PetscInt  *ibuf;

  PetscFunctionBegin;
  *value = 0.0;
  PetscCheck(n >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "DisCo: event count %" PetscInt_FMT " must be >= 0", n);
  for (PetscInt i = 0; i < n; i++) {
    PetscCheck(isfinite(a[i]) && isfinite(b[i]), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "DisCo: event %" PetscInt_FMT " has a non-finite input (%g, %g)", i, (double)a[i], (double)b[i]);
    if (w) PetscCheck(isfinite(w[i]) && w[i] >= 0.0f, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "DisCo: event %" PetscInt_FMT " has weight %g; weights must be finite and >= 0", i, (double)w[i]);
    sw += w ? (double)w[i] : 1.0;
  }
  if (n < 2) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(sw > 0.0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "DisCo: the %" PetscInt_FMT " event weights sum to %g; they must have a positive sum", n, sw);

  /* doubles: p, 2 x (v, m), cross, 4 scratch, Fenwick 4 n + before n;  ints: 2 x (order, rank, gstart) */
  PetscCall(PetscMalloc1((size_t)n * 15, &buf));
  PetscCall(PetscMalloc1((size_t)n * 6 + 2, &ibuf));
  PetscCall(PetscMalloc1((size_t)n, &key));
  p        = buf;
  ax.v     = buf + n;
  ax.m     = buf + 2 * n;
  by.v     = buf + 3 * n;
  by.m     = buf + 4 * n;
  cross    = buf + 5 * n;
  f        = buf + 10 * n;
  ax.order = ibuf;
  ax.rank  = ibuf + n;
  ax.gstart = ibuf + 2 * n;
  by.order = ibuf + 3 * n + 1;
  by.rank  = ibuf + 4 * n + 1;
  by.gstart = ibuf + 5 * n + 1;
  for (PetscInt i = 0; i < n; i++) p[i] = (w ? (double)w[i] : 1.0) / sw;

  disco_axis_setup(&ax, a, p, key, n);
  disco_axis_setup(&by, b, p, key, n);
  /* a constant variable (or one whose weighted spread vanishes) has no distance variance: the
   * correlation is undefined, and 0 is the value that adds nothing to a loss */
  if (ax.spread == 0.0 || by.spread == 0.0 || !(ax.var > 0.0) || !(by.var > 0.0)) goto done;

  disco_sweep(buf + 6 * n, cross, &ax, &by, p, f, 0);
  for (PetscInt k = 0; k < n; k++) {
    S += 2.0 * p[k] * cross[k];
    mn += p[k] * ax.m[k] * by.m[k];
  }
  C      = S - 2.0 * mn + ax.M * by.M;
  *value = C / sqrt(ax.var * by.var);
  if (da) disco_grad(da, &ax, &by, p, n, *value, scale, buf + 5 * n, buf + 6 * n, buf + 7 * n, buf + 8 * n, f);
  if (db) disco_grad(db, &by, &ax, p, n, *value, scale, buf + 5 * n, buf + 6 * n, buf + 7 * n, buf + 8 * n, f);
done:
  PetscCall(PetscFree(key));
  PetscCall(PetscFree(ibuf));
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}
