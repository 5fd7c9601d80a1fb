/* Physics checks of the generators, on a few 10^4 events made through the per-event functions.
 * Each check fails when the property the methods rely on breaks (docs/generators.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/generate.h>

static int n_fail = 0;

static void check(int ok, const char *what, double got, const char *want)
{
  printf("%s: %s (got %.4g, want %s)\n", ok ? "ok" : "FAIL", what, got, want);
  if (!ok) n_fail++;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts a copy). */
static double median(const double *v, int n)
{
  double *c = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1)), m;

  if (n == 0) {
    free(c);
    return NAN;
  }
  memcpy(c, v, sizeof(double) * (size_t)n);
  qsort(c, (size_t)n, sizeof(double), cmp_double);
  m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
  free(c);
  return m;
}

static PetscErrorCode check_lhco(void)
{
  enum { N = 40000 };
  hd_gen_lhco_params p;
  hd_gen_lhco_event  ev;
  double            *sig_t21, *bkg_t21, *sig_mjj, *sig_ml, *sig_mh, *lo_pt_mh, *hi_pt_mh;
  int                ns = 0, nb = 0, nlo = 0, nhi = 0, hist_all[40] = {0}, hist_sig[40] = {0}, hist_bkg[56] = {0};
  int                bad_trigger = 0, sub_below = 0, below_2400 = 0, n_bin[5] = {0};
  const double       mbin[6] = {0.0, 50.0, 100.0, 200.0, 300.0, 500.0};
  double            *t21_bin[5];

  PetscFunctionBegin;
  PetscCall(PetscMalloc4(2 * N, &sig_t21, 2 * N, &bkg_t21, N, &sig_mjj, N, &sig_ml));
  PetscCall(PetscMalloc3(N, &sig_mh, N, &lo_pt_mh, N, &hi_pt_mh));
  for (int k = 0; k < 5; k++) PetscCall(PetscMalloc1(N, &t21_bin[k]));

  /* A: half signal, to see the signal's shape and its peak on top of the background */
  hd_gen_lhco_defaults(&p);
  p.signal_fraction = 0.5;
  PetscCall(hd_gen_lhco_setup(PETSC_COMM_SELF, &p));
  for (int i = 0; i < N; i++) {
    PetscCall(hd_gen_lhco_make(&p, 11, (uint64_t)i, &ev));
    int b = (int)floor((ev.mjj - 2500.0) / 50.0); /* 50 GeV bins on [2500, 4500) */

    if (b >= 0 && b < 40) hist_all[b]++;
    if (ev.label == 1) {
      sig_t21[2 * ns] = ev.features[2], sig_t21[2 * ns + 1] = ev.features[3];
      sig_mjj[ns] = ev.mjj, sig_ml[ns] = ev.mass[0], sig_mh[ns] = ev.mass[1];
      if (b >= 0 && b < 40) hist_sig[b]++;
      ns++;
    } else {
      bkg_t21[2 * nb] = ev.features[2], bkg_t21[2 * nb + 1] = ev.features[3];
      nb++;
    }
  }
  check(fabs(ns / (double)N - 0.5) < 0.01, "lhco: signal fraction 0.5 honoured", ns / (double)N, "0.5 +- 0.01");
  {
    double ms = median(sig_t21, 2 * ns), mb = median(bkg_t21, 2 * nb);

    check(ms < mb - 0.1, "lhco: signal tau21 median below background's by > 0.1", mb - ms, "> 0.1");
  }
  {
    int    arg = 0;
    double med = median(sig_mjj, ns);

    for (int b = 1; b < 40; b++)
      if (hist_sig[b] > hist_sig[arg]) arg = b;
    check(fabs(2500.0 + 50.0 * (arg + 0.5) - 3500.0) <= 100.0, "lhco: signal mjj histogram peaks at signal_mjj 3500", 2500.0 + 50.0 * (arg + 0.5), "3500 +- 100");
    check(fabs(med / 3500.0 - 1.0) < 0.03, "lhco: signal mjj median near 3500", med, "3500 +- 3%");
    {
      /* radiation out of the cones and lost prongs: a low-side tail of the signal's mjj */
      int low = 0, high = 0;

      for (int i = 0; i < ns; i++) low += sig_mjj[i] < 0.9 * 3500.0, high += sig_mjj[i] > 1.1 * 3500.0;
      check(low > 3 * PetscMax(high, 1) && low > ns / 100, "lhco: signal mjj has a low-side tail (below 0.9 vs above 1.1 signal_mjj)", low / (double)PetscMax(high, 1), "> 3, and > 1% below");
    }
  }
  {
    /* all events: a local maximum at 3500 above the falling background (bins of 200 GeV) */
    int at = 0, below = 0, above = 0;

    for (int b = 0; b < 4; b++) at += hist_all[18 + b], below += hist_all[10 + b], above += hist_all[26 + b];
    check(at > 1.5 * below && at > 1.5 * above, "lhco: all-event mjj peaks at 3500 (counts 3400-3600 vs 3000-3200 and 3800-4000)", at / (double)PetscMax(below, above), "> 1.5");
  }
  {
    /* X jets: the peak at signal_mx, and a low-side tail (radiation out of the cone, lost prongs)
     * much larger than the high side; the Y jet's median near signal_my */
    int    hx[30] = {0}, arg = 0, low = 0, high = 0;
    double ml = median(sig_ml, ns);

    for (int i = 0; i < ns; i++) {
      int b = (int)floor((sig_mh[i] - 200.0) / 20.0); /* 20 GeV bins on [200, 800) */

      if (b >= 0 && b < 30) hx[b]++;
      low += sig_mh[i] < 0.85 * 500.0;
      high += sig_mh[i] > 1.15 * 500.0;
    }
    for (int b = 1; b < 30; b++)
      if (hx[b] > hx[arg]) arg = b;
    check(fabs(200.0 + 20.0 * (arg + 0.5) - 500.0) <= 30.0, "lhco: signal heavier jet mass peaks at signal_mx 500", 200.0 + 20.0 * (arg + 0.5), "500 +- 30");
    check(low > 10 * PetscMax(high, 1) && low > 0.1 * ns, "lhco: X jet mass has a low-side tail (below 0.85 mX vs above 1.15 mX)", low / (double)PetscMax(high, 1), "> 10, and > 10% of the signal below");
    check(fabs(ml / 100.0 - 1.0) < 0.03, "lhco: signal lighter jet mass near signal_my 100", ml, "100 +- 3%");
  }

  /* B: background only: the spectrum, its turn-on, and the pT dependence of the jet mass */
  p.signal_fraction = 0.0;
  PetscCall(hd_gen_lhco_setup(PETSC_COMM_SELF, &p));
  for (int i = 0; i < N; i++) {
    PetscCall(hd_gen_lhco_make(&p, 12, (uint64_t)i, &ev));
    int b = (int)floor((ev.mjj - 2400.0) / 100.0); /* 100 GeV bins on [2400, 8000) */

    if (b >= 0 && b < 56) hist_bkg[b]++;
    if (ev.pt_j[1] < 1300.0) lo_pt_mh[nlo++] = ev.mass[1];
    if (ev.pt_j[1] > 1600.0) hi_pt_mh[nhi++] = ev.mass[1];
    if (ev.label != 0) n_fail++;
    /* the trigger: the leading jet above 1200 GeV, the other free */
    if (PetscMax(ev.pt_j[0], ev.pt_j[1]) < 1200.0 || ev.pt != PetscMax(ev.pt_j[0], ev.pt_j[1])) bad_trigger++;
    if (PetscMin(ev.pt_j[0], ev.pt_j[1]) < 1200.0) sub_below++;
    if (ev.mjj < 2400.0) below_2400++;
    /* tau21 of the heavier jet by its mass: [0, 50), [50, 100), [100, 200), [200, 300), [300, 500) GeV */
    for (int k = 0; k < 5; k++)
      if (ev.mass[1] >= mbin[k] && ev.mass[1] < mbin[k + 1]) t21_bin[k][n_bin[k]++] = ev.features[3];
  }
  check(bad_trigger == 0, "lhco: every event's leading jet passes the 1200 GeV trigger", bad_trigger, "0");
  check(sub_below > N / 20, "lhco: single-jet trigger (the other jet may be below 1200 GeV)", sub_below / (double)N, "> 0.05");
  check(below_2400 > N / 100, "lhco: turn-on below 2 x 1200 GeV from unbalanced jets", below_2400 / (double)N, "> 0.01");
  {
    int    falling = 1;
    double prev    = 2.0;

    for (int k = 0; k < 5; k++) {
      double m = median(t21_bin[k], n_bin[k]);

      printf("  background tau21 (heavier jet) median %.3f for its mass in [%g, %g) GeV (%d jets)\n", m, mbin[k], mbin[k + 1], n_bin[k]);
      if (!(m < prev - 0.02)) falling = 0;
      prev = m;
    }
    check(falling, "lhco: background tau21 falls with the jet mass (each mass bin's median 0.02 below the previous)", prev, "falling");
    check(median(t21_bin[0], n_bin[0]) - prev > 0.15, "lhco: background tau21 median falls by > 0.15 from m < 50 to 300-500 GeV", median(t21_bin[0], n_bin[0]) - prev, "> 0.15");
  }
  {
    int falling = 1, first_bad = -1;

    /* above the turn-on (complete at 2 pt_min cosh(dy_max / 2) = 2924 GeV): 200 GeV bins fall
     * from 3000 to 4600 GeV (counts ~ 4000 down to ~ 200) */
    for (int b = 6; b + 4 <= 22; b += 2)
      if (hist_bkg[b + 2] + hist_bkg[b + 3] >= hist_bkg[b] + hist_bkg[b + 1]) falling = 0, first_bad = first_bad < 0 ? b : first_bad;
    check(falling, "lhco: background mjj falls in successive 200 GeV bins from 3000 to 4600 GeV", first_bad < 0 ? 0 : 2400.0 + 100.0 * first_bad, "0 (first rising bin)");
    check(hist_bkg[0] < hist_bkg[3], "lhco: trigger turn-on (fewer events at 2400-2500 than at 2700-2800 GeV)", hist_bkg[0] / (double)PetscMax(1, hist_bkg[3]), "< 1");
    check(hist_bkg[55] < 5, "lhco: spectrum has fallen to nothing at 7900-8000 GeV", hist_bkg[55], "< 5");
  }
  {
    double lo = median(lo_pt_mh, nlo), hi = median(hi_pt_mh, nhi);

    check(hi > 1.15 * lo, "lhco: background heavier-jet mass grows with pT (median at pT > 1600 vs < 1300 GeV)", hi / lo, "> 1.15");
  }

  /* C: rows through the block function equal the per-event function (any split, same bytes) */
  {
    float   f1[6 * 64], m1[64], f2[6 * 64], m2[64];
    int32_t l1[64], l2[64];

    p.signal_fraction = 0.3;
    PetscCall(hd_gen_lhco_setup(PETSC_COMM_SELF, &p));
    PetscCall(hd_gen_lhco_rows(&p, 99, 1000, 64, f1, m1, l1));
    PetscCall(hd_gen_lhco_rows(&p, 99, 1000, 17, f2, m2, l2));
    PetscCall(hd_gen_lhco_rows(&p, 99, 1017, 47, f2 + 6 * 17, m2 + 17, l2 + 17));
    check(!memcmp(f1, f2, sizeof(f1)) && !memcmp(m1, m2, sizeof(m1)) && !memcmp(l1, l2, sizeof(l1)), "lhco: rows identical however the block is split", 0, "identical");
    PetscCall(hd_gen_lhco_rows(&p, 100, 1000, 64, f2, m2, l2));
    check(memcmp(f1, f2, sizeof(f1)) != 0, "lhco: another seed gives other events", 0, "different");
  }
  PetscCall(PetscFree4(sig_t21, bkg_t21, sig_mjj, sig_ml));
  PetscCall(PetscFree3(sig_mh, lo_pt_mh, hi_pt_mh));
  for (int k = 0; k < 5; k++) PetscCall(PetscFree(t21_bin[k]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode check_jetimages(void)
{
  enum { PER = 700, NC = HD_JET_NCLASSES, N = PER * NC };
  hd_gen_jetimages_params p;
  hd_gen_jetimages_work   w;
  float                  *img, feat[4];
  int32_t                 lab;
  double                 *v[NC][4], med[NC][4];
  int                     nc[NC] = {0}, bad_sum = 0, bad_centre = 0, vertical = 0, right = 0, up = 0, bad_cut = 0;
  double                  mean_cx = 0, mean_cy = 0, max_off = 0;
  const int               n = 40;

  PetscFunctionBegin;
  hd_gen_jetimages_defaults(&p);
  p.n_classes = NC;
  for (int c = 0; c < NC; c++) p.classes[c] = (hd_jet_class)c, p.fractions[c] = 1.0 / NC;
  PetscCall(hd_gen_jetimages_setup(PETSC_COMM_SELF, &p));
  PetscCall(hd_gen_jetimages_work_create(&p, &w));
  PetscCall(PetscMalloc1(n * n, &img));
  for (int c = 0; c < NC; c++)
    for (int k = 0; k < 4; k++) PetscCall(PetscMalloc1(N, &v[c][k]));
  for (int i = 0; i < N; i++) {
    double s = 0, cx = 0, cy = 0, sxx = 0, syy = 0, l = 0, r = 0, lo = 0, hi = 0;

    PetscCall(hd_gen_jetimages_make(&p, w, 21, (uint64_t)i, img, feat, &lab));
    for (int k = 0; k < 4; k++) v[lab][k][nc[lab]] = feat[k];
    nc[lab]++;
    if (!(feat[0] > 750.0f && feat[1] >= 50.0f && feat[1] <= 300.0f)) bad_cut++;
    /* preprocessing: sum 1, centroid at the centre, principal axis vertical, flips */
    for (int a = 0; a < n; a++)
      for (int b = 0; b < n; b++) {
        double q = img[a * n + b], y = a + 0.5 - n / 2.0, x = b + 0.5 - n / 2.0; /* pixel units */

        s += q, cx += q * x, cy += q * y, sxx += q * x * x, syy += q * y * y;
        if (x < 0) l += q;
        else r += q;
        if (y < 0) lo += q;
        else hi += q;
      }
    if (fabs(s - 1.0) > 1e-5) bad_sum++;
    cx /= s, cy /= s;
    mean_cx += cx / N, mean_cy += cy / N;
    max_off = PetscMax(max_off, hypot(cx, cy));
    if (hypot(cx, cy) > 1.0) bad_centre++;
    vertical += syy / s - cy * cy >= sxx / s - cx * cx;
    right += r >= l;
    up += hi >= lo;
  }
  for (int c = 0; c < NC; c++)
    for (int k = 0; k < 4; k++) med[c][k] = median(v[c][k], nc[c]);
  for (int c = 0; c < NC; c++)
    printf("  %-4s n %4d  median pt %7.1f  mass %6.1f  tau21 %.3f  tau32 %.3f\n", hd_gen_jet_class_name((hd_jet_class)c), nc[c], med[c][0], med[c][1], med[c][2], med[c][3]);

  check(bad_cut == 0, "jetimages: every jet has pT > 750 GeV and mass in [50, 300] GeV", bad_cut, "0 outside");
  for (int c = 0; c < NC; c++) check(fabs(nc[c] / (double)N - 1.0 / NC) < 0.03, "jetimages: class fractions honoured", nc[c] / (double)N, "1/7 +- 0.03");
  check(med[HD_JET_TOP][3] < med[HD_JET_QCD][3] - 0.08, "jetimages: top has more prongs than qcd: median tau32(top) < tau32(qcd) - 0.08", med[HD_JET_QCD][3] - med[HD_JET_TOP][3], "> 0.08");
  check(med[HD_JET_R3][3] < med[HD_JET_QCD][3] - 0.08, "jetimages: r3 (boosted top) median tau32 below qcd's", med[HD_JET_QCD][3] - med[HD_JET_R3][3], "> 0.08");
  check(med[HD_JET_W][2] < med[HD_JET_QCD][2] - 0.1, "jetimages: w median tau21 below qcd's by > 0.1", med[HD_JET_QCD][2] - med[HD_JET_W][2], "> 0.1");
  check(med[HD_JET_R2][2] < med[HD_JET_QCD][2] - 0.1, "jetimages: r2 median tau21 below qcd's by > 0.1", med[HD_JET_QCD][2] - med[HD_JET_R2][2], "> 0.1");
  check(med[HD_JET_EFT][2] < med[HD_JET_QCD][2] - 0.1, "jetimages: eft (H -> bb) median tau21 below qcd's by > 0.1", med[HD_JET_QCD][2] - med[HD_JET_EFT][2], "> 0.1");
  check(med[HD_JET_W][1] > 75 && med[HD_JET_W][1] < 100, "jetimages: w mass peak", med[HD_JET_W][1], "(75, 100) GeV");
  check(med[HD_JET_R2][1] > 85 && med[HD_JET_R2][1] < 115, "jetimages: r2 (Z) mass peak", med[HD_JET_R2][1], "(85, 115) GeV");
  check(med[HD_JET_TOP][1] > 160 && med[HD_JET_TOP][1] < 190, "jetimages: top mass peak", med[HD_JET_TOP][1], "(160, 190) GeV");
  check(med[HD_JET_R3][1] > 160 && med[HD_JET_R3][1] < 195, "jetimages: r3 (top) mass peak", med[HD_JET_R3][1], "(160, 195) GeV");
  check(med[HD_JET_R4][1] > 115 && med[HD_JET_R4][1] < 150, "jetimages: r4 (h -> WW*) mass peak", med[HD_JET_R4][1], "(115, 150) GeV");
  check(med[HD_JET_EFT][1] > 115 && med[HD_JET_EFT][1] < 145, "jetimages: eft (H -> bb) mass peak", med[HD_JET_EFT][1], "(115, 145) GeV");
  {
    double *m = v[HD_JET_QCD][1], q25, q75, *c;

    PetscCall(PetscMalloc1(nc[HD_JET_QCD], &c));
    memcpy(c, m, sizeof(double) * (size_t)nc[HD_JET_QCD]);
    qsort(c, (size_t)nc[HD_JET_QCD], sizeof(double), cmp_double);
    q25 = c[nc[HD_JET_QCD] / 4], q75 = c[3 * nc[HD_JET_QCD] / 4];
    PetscCall(PetscFree(c));
    check(q75 - q25 > 60.0, "jetimages: qcd mass is a broad continuum (interquartile range)", q75 - q25, "> 60 GeV");
  }
  check(med[HD_JET_R2][0] > 1.2 * med[HD_JET_W][0] && med[HD_JET_R3][0] > 1.2 * med[HD_JET_TOP][0], "jetimages: objects from the 3 TeV graviton are harder than SM ones", med[HD_JET_R2][0] / med[HD_JET_W][0], "> 1.2");
  check(bad_sum == 0, "jetimages: preprocessed images sum to 1", bad_sum, "0 images off by > 1e-5");
  check(bad_centre == 0 && fabs(mean_cx) < 0.25 && fabs(mean_cy) < 0.25, "jetimages: preprocessed images centred (centroid within 1 pixel, mean within 0.25)", max_off, "< 1 pixel");
  check(vertical > 0.95 * N, "jetimages: principal axis vertical (var y >= var x)", vertical / (double)N, "> 0.95");
  check(right > 0.95 * N && up > 0.95 * N, "jetimages: flipped so the right and upper halves are the harder", PetscMin(right, up) / (double)N, "> 0.95");

  /* without preprocessing: pixels in GeV around the jet axis, summing to about the jet pT */
  {
    int bad = 0;

    p.preprocess = PETSC_FALSE;
    for (int i = 0; i < 300; i++) {
      double s = 0;

      PetscCall(hd_gen_jetimages_make(&p, w, 22, (uint64_t)i, img, feat, &lab));
      for (int q = 0; q < n * n; q++) s += img[q];
      if (!(s >= feat[0] && s < 1.1 * feat[0])) bad++;
    }
    check(bad == 0, "jetimages: unpreprocessed pixel sum within [pT, 1.1 pT]", bad, "0 events outside");
    p.preprocess = PETSC_TRUE;
  }
  /* same event, same bytes */
  {
    float   a[4 * 40 * 40], b[4 * 40 * 40], fa[16], fb[16];
    int32_t la[4], lb[4];

    PetscCall(hd_gen_jetimages_rows(&p, w, 5, 77, 4, a, fa, la));
    PetscCall(hd_gen_jetimages_rows(&p, w, 5, 79, 2, b + 2 * 1600, fb + 8, lb + 2));
    PetscCall(hd_gen_jetimages_rows(&p, w, 5, 77, 2, b, fb, lb));
    check(!memcmp(a, b, sizeof(a)) && !memcmp(fa, fb, sizeof(fa)) && !memcmp(la, lb, sizeof(la)), "jetimages: rows identical whatever the order and split", 0, "identical");
  }
  for (int c = 0; c < NC; c++)
    for (int k = 0; k < 4; k++) PetscCall(PetscFree(v[c][k]));
  PetscCall(PetscFree(img));
  PetscCall(hd_gen_jetimages_work_destroy(&w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(check_lhco());
  PetscCall(check_jetimages());
  printf("%s: %d failed checks\n", n_fail ? "FAIL" : "PASS", n_fail);
  PetscCall(PetscFinalize());
  return n_fail ? 1 : 0;
}
