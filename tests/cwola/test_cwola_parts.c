/* CWoLa hunting's window pieces on hand-made events (the file's static functions, included):
 *   - class weights: SR 0.5 of the total, each sideband 0.25 (split) or both sidebands 0.5 in
 *     proportion to their counts (pooled); the excluded folds are left out;
 *   - the bins of the background fit: over the fit range, the SR and gap edges are bin edges;
 *   - SIC with a floor of background events: a single background event at the top of the score
 *     does not make the maximum; the stored curve holds the maximum, every point has the floor,
 *     and the band is the binomial one;
 *   - the SR efficiency at a fixed SB efficiency of -model_selection tail. */
#include "../../src/methods/cwola.c"
#include "check.h"

static PetscErrorCode test_weights(void)
{
  enum { N = 60 };
  float          mass[N], y[N], wt[N];
  int8_t         fold[N];
  PetscBool      use[N];
  PetscInt       rows[N];
  hd_cwola_table t = {0};
  hd_cwola_part  p = {0};
  hd_cwola_window w = {.sr_lo = 3000, .sr_hi = 3360, .sb_lo = 2680, .sb_hi = 3760};
  hd_cwola_options o = {0};

  PetscFunctionBegin;
  /* 10 SR, 40 lower-SB and 10 upper-SB events; every sixth event in fold 1 */
  for (int i = 0; i < N; i++) {
    mass[i] = i < 10 ? 3100.0f : (i < 50 ? 2800.0f : 3500.0f);
    fold[i] = (int8_t)(i % 6 == 0 ? 1 : 0);
    use[i]  = PETSC_TRUE;
    rows[i] = i;
  }
  t.n = N;
  t.mass = mass;
  t.fold = fold;
  t.use  = use;
  p.n_win = N;
  p.rows  = rows;
  for (int split = 0; split < 2; split++) {
    PetscInt n = 0;
    double   sr = 0, lo = 0, hi = 0, all = 0;
    o.split_weights = split ? PETSC_TRUE : PETSC_FALSE;
    for (int i = 0; i < N; i++)
      if (fold[i] != 1) y[n++] = mass[i] >= 3000 && mass[i] < 3360 ? 1.0f : 0.0f;
    PetscCall(hd_cwola_weights(&o, &t, &w, &p, 1, -1, n, y, wt));
    n = 0;
    for (int i = 0; i < N; i++) {
      if (fold[i] == 1) continue;
      all += wt[n];
      if (mass[i] < 3000) lo += wt[n];
      else if (mass[i] >= 3360) hi += wt[n];
      else sr += wt[n];
      n++;
    }
    CHECK(fabs(all - n) < 1e-4, "%s: mean weight 1 (sum %g over %d events)", split ? "split" : "pooled", all, (int)n);
    CHECK(fabs(sr / all - 0.5) < 1e-6, "%s: SR share %g, want 0.5", split ? "split" : "pooled", sr / all);
    if (split) CHECK(fabs(lo / all - 0.25) < 1e-6 && fabs(hi / all - 0.25) < 1e-6, "split: sideband shares %g and %g, want 0.25 each", lo / all, hi / all);
    else CHECK(fabs(lo / all - 0.5 * 33 / 42.0) < 1e-6, "pooled: lower-SB share %g, want 0.5 x 33 / 42", lo / all);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode test_fit_edges(void)
{
  hd_cwola_options o = {0};
  hd_cwola_window  w = {.sr_lo = 3300, .sr_hi = 3696, .sb_lo = 2946, .sb_hi = 4140};
  double          *e, glo, ghi;
  PetscInt         n;
  int              has[4] = {0, 0, 0, 0};

  PetscFunctionBegin;
  o.log_scale = PETSC_TRUE;
  o.bin_width = 0.02;
  o.fit_gap   = 0.05;
  PetscCall(hd_cwola_fit_edges(PETSC_COMM_SELF, &o, &w, 2946, 6598, &n, &e, &glo, &ghi));
  CHECK(e[0] == 2946 && e[n] == 6598, "the bins span the fit range: [%g, %g]", e[0], e[n]);
  CHECK(fabs(glo - 3300 / 1.05) < 1e-9 && fabs(ghi - 3696 * 1.05) < 1e-9, "gap [%g, %g)", glo, ghi);
  for (PetscInt i = 0; i <= n; i++) {
    has[0] |= e[i] == glo;
    has[1] |= e[i] == 3300;
    has[2] |= e[i] == 3696;
    has[3] |= e[i] == ghi;
    if (i > 0) CHECK(e[i] > e[i - 1] && e[i] / e[i - 1] < 1.03, "bin %d [%g, %g) about 2 %%", (int)i - 1, e[i - 1], e[i]);
  }
  CHECK(has[0] && has[1] && has[2] && has[3], "SR and gap edges are bin edges");
  PetscCall(PetscFree(e));
  o.fit_gap = 0;
  PetscCall(hd_cwola_fit_edges(PETSC_COMM_SELF, &o, &w, w.sb_lo, w.sb_hi, &n, &e, &glo, &ghi));
  CHECK(e[0] == w.sb_lo && e[n] == w.sb_hi && glo == 0 && ghi == 0, "no gap, the window's own range: the sideband-only bins");
  PetscCall(PetscFree(e));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode test_sic(void)
{
  enum { NS = 100, NBK = 900 };
  float         s[NS + NBK];
  int32_t       l[NS + NBK];
  hd_cwola_part p = {0}, q = {0};

  PetscFunctionBegin;
  /* background scores k / NBK; one background event above everything (a fluke); the signal in
   * [0.995, 0.999), above all but 4 regular background events: without a floor the maximum has 5
   * background events passing (the fluke among them), with a floor of 10 it is at 10 */
  for (int k = 0; k < NBK; k++) {
    s[k] = (float)k / NBK;
    l[k] = 0;
  }
  s[0] = 2.0f;
  for (int k = 0; k < NS; k++) {
    s[NBK + k] = 0.995f + 0.00004f * (float)k;
    l[NBK + k] = 1;
  }
  p.sic_min_bkg = 10;
  q.sic_min_bkg = 1;
  PetscCall(hd_cwola_sic(NS + NBK, s, l, &p));
  PetscCall(hd_cwola_sic(NS + NBK, s, l, &q));
  /* by hand: with 10 background events passing (the fluke and 9 from the top), the signal above
   * the 9th-highest regular background score 891/900 */
  double eb = 10.0 / NBK, ok_max = 0;
  for (int k = 0; k < NS; k++) ok_max += s[NBK + k] > 891.0f / NBK;
  ok_max = ok_max / NS / sqrt(eb);
  CHECK(p.sic_max <= ok_max + 1e-9 && p.sic_max >= 0.99 * ok_max, "SIC max %g with the floor of 10, by hand %g", p.sic_max, ok_max);
  CHECK(p.sic_max_eps_b * NBK >= 10 - 1e-9, "the maximum has %g background events passing", p.sic_max_eps_b * NBK);
  CHECK(q.sic_max > p.sic_max, "without the floor the fluke sets a different maximum (%g vs %g): the floor matters here", q.sic_max, p.sic_max);
  PetscBool has_max = PETSC_FALSE;
  for (PetscInt k = 0; k < p.n_sic; k++) {
    CHECK(p.sic_eps_b[k] * NBK >= 10 - 1e-9, "curve point %d below the floor", (int)k);
    has_max |= p.sic[k] == p.sic_max;
  }
  CHECK(has_max, "the stored curve holds the summary's maximum");
  double es = p.sic_max * sqrt(p.sic_max_eps_b), band = p.sic_max * sqrt((1 - es) / (es * NS) + 0.25 * (1 - p.sic_max_eps_b) / (p.sic_max_eps_b * NBK));
  CHECK(fabs(p.sic_max_err - band) < 1e-9 * band && band > 0, "the band %g, binomial %g", p.sic_max_err, band);
  PetscCall(PetscFree4(p.sic_eps_b, p.sic_eps_s, p.sic, p.sic_err));
  PetscCall(PetscFree4(q.sic_eps_b, q.sic_eps_s, q.sic, q.sic_err));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode test_tail_efficiency(void)
{
  float   out[200];
  int32_t sr[200];
  double  eff;

  PetscFunctionBegin;
  /* 100 SB events at 0.00 .. 0.99, 100 SR events at 0.005 .. 0.995: at SB efficiency 0.1 the cut is
   * 0.90, passed by the 10 SR events above it */
  for (int k = 0; k < 100; k++) {
    out[k]      = (float)k / 100;
    sr[k]       = 0;
    out[100 + k] = (float)k / 100 + 0.005f;
    sr[100 + k] = 1;
  }
  PetscCall(hd_cwola_tail_efficiency(200, out, sr, 0.1, &eff));
  CHECK(fabs(eff - 0.10) < 1e-12, "SR efficiency at SB efficiency 0.1: %g, want 0.10", eff);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscFunctionBeginUser;
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(test_weights());
  PetscCall(test_fit_edges());
  PetscCall(test_sic());
  PetscCall(test_tail_efficiency());
  printf("%s: %d failure(s)\n", argv[0], failures);
  PetscCall(PetscFinalize());
  return failures != 0;
}
