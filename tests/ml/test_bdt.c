/* Boosted decision trees (src/ml/bdt.c) on a weakly supervised toy: class 1 ("SR") and class 0
 * ("SB") are the same Gaussian background in 6 dimensions, except that 8 % of class 1 are signal,
 * a narrow blob in two of the features; the classes have unequal sizes and SR/SB-style weights.
 *   - deterministic: the same member gives the same model, bit for bit, whether or not other
 *     models (with row subsampling) were trained before it; another member gives another model;
 *   - the validation loss that chose the number of trees is the weighted log-loss of the model's
 *     predictions on the events the trainer's split rule holds out (the margins summed tree by
 *     tree agree with a whole-model prediction);
 *   - it finds the signal: AUC of signal against background on fresh events > 0.9;
 *   - bad options are errors naming the option; a failing XGBoost call is named. */
#include <math.h>
#include <stdio.h>
#include <hadal/bdt.h>
#include <hadal/rng.h>
#include <hadal/stats.h>
#include "check.h"

enum { F = 6 };

/* n events: x (n, F), class y (0/1), truth (1 for signal), weights balancing the classes. */
static void toy(PetscInt n, uint64_t seed, float *x, float *y, float *w, int32_t *truth)
{
  PetscInt n1 = 0;
  for (PetscInt i = 0; i < n; i++) {
    hd_rng r;
    hd_rng_init(&r, seed, HD_STREAM_USER, (uint64_t)i);
    y[i]     = hd_rng_uniform(&r) < 0.3 ? 1.0f : 0.0f; /* 30 % "SR" */
    truth[i] = y[i] > 0.5f && hd_rng_uniform(&r) < 0.08;
    for (int j = 0; j < F; j++) x[i * F + j] = (float)hd_rng_normal(&r);
    if (truth[i]) {
      x[i * F + 0] = (float)(2.0 + 0.3 * hd_rng_normal(&r));
      x[i * F + 1] = (float)(-1.5 + 0.3 * hd_rng_normal(&r));
    }
    n1 += y[i] > 0.5f;
  }
  for (PetscInt i = 0; i < n; i++) w[i] = (float)(y[i] > 0.5f ? 0.5 * n / n1 : 0.5 * n / (n - n1));
}

int main(int argc, char **argv)
{
  enum { n = 20000, n_test = 4000 };
  static float   x[n * F], y[n], w[n], xt[n_test * F], yt[n_test], wt[n_test];
  static int32_t truth[n], tt[n_test];
  static float   pa[n_test], pa2[n_test], pb[n_test], pv[n];
  hd_bdt_config  c = hd_bdt_defaults();
  hd_bdt_result  ra, ra2, rb;
  hd_bdt         a, a2, b;
  PetscErrorCode err;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  toy(n, 1, x, y, w, truth);
  toy(n_test, 2, xt, yt, wt, tt);
  hd_bdt_data d = {.n = n, .F = F, .x = x, .y = y, .weight = w};
  c.subsample   = 0.8; /* exercise XGBoost's row sampler */

  /* member 7, then member 8, then member 7 again */
  PetscCall(hd_bdt_train(&c, 42, 7, &d, &a, &ra));
  PetscCall(hd_bdt_predict(a, n_test, xt, pa));
  PetscCall(hd_bdt_train(&c, 42, 8, &d, &b, &rb));
  PetscCall(hd_bdt_predict(b, n_test, xt, pb));
  PetscCall(hd_bdt_train(&c, 42, 7, &d, &a2, &ra2));
  PetscCall(hd_bdt_predict(a2, n_test, xt, pa2));
  printf("member 7: %d rounds, %d trees kept, validation loss %.6f%s; member 8: %d trees kept\n", (int)ra.rounds_run, (int)ra.trees_kept, ra.best_val_loss, ra.early_stopped ? " (early stop)" : "", (int)rb.trees_kept);
  CHECK(!memcmp(pa, pa2, sizeof(pa)) && ra.trees_kept == ra2.trees_kept && ra.best_val_loss == ra2.best_val_loss, "member 7 trained twice gives different models");
  CHECK(memcmp(pa, pb, sizeof(pa)) != 0, "members 7 and 8 give the same model");
  CHECK(ra.trees_kept >= 1 && ra.trees_kept <= ra.rounds_run && ra.rounds_run <= c.trees, "trees kept %d, rounds %d", (int)ra.trees_kept, (int)ra.rounds_run);

  /* the validation loss from the whole model on the held-out events of the split rule */
  {
    double loss = 0, wsum = 0;
    PetscCall(hd_bdt_predict(a, n, x, pv));
    for (PetscInt i = 0; i < n; i++) {
      hd_rng r;
      hd_rng_init(&r, 42, HD_STREAM_SPLIT, ((uint64_t)7 << 32) | (uint64_t)i);
      if (!(hd_rng_uniform(&r) < c.val_fraction)) continue;
      double z = pv[i];
      loss += w[i] * (log1p(exp(-fabs(z))) + fmax(z, 0) - y[i] * z);
      wsum += w[i];
    }
    loss /= wsum;
    CHECK(fabs(loss - ra.best_val_loss) < 1e-5 * ra.best_val_loss, "validation loss %.8f from the model, %.8f from the training loop", loss, ra.best_val_loss);
  }

  /* the signal, learnt without its labels */
  {
    hd_stats_roc roc;
    PetscCall(hd_stats_roc_compute(n_test, pa, tt, 2, &roc));
    printf("AUC of signal against background: %.4f\n", roc.auc);
    CHECK(roc.auc > 0.9, "AUC %.4f of the tree model on the toy signal, want > 0.9", roc.auc);
    PetscCall(hd_stats_roc_free(&roc));
  }
  PetscCall(hd_bdt_destroy(&a));
  PetscCall(hd_bdt_destroy(&a2));
  PetscCall(hd_bdt_destroy(&b));
  CHECK(a == NULL, "destroy leaves the handle set");

  /* bad options and a failing XGBoost call */
  PetscCall(hd_error_handler_push());
  {
    hd_bdt_config bad = hd_bdt_defaults();
    bad.depth         = 0;
    err               = hd_bdt_check(PETSC_COMM_SELF, &bad);
    expect_error(err, "option -bdt_depth must lie in [1, 20] (got 0)", "depth 0");
    bad               = hd_bdt_defaults();
    bad.learning_rate = -0.1;
    err               = hd_bdt_check(PETSC_COMM_SELF, &bad);
    expect_error(err, "option -bdt_learning_rate must lie in (0, 1] (got -0.1)", "negative learning rate");
    bad           = hd_bdt_defaults();
    bad.subsample = 0;
    err           = hd_bdt_check(PETSC_COMM_SELF, &bad);
    expect_error(err, "option -bdt_subsample", "subsample 0");
    bad       = hd_bdt_defaults();
    bad.trees = 0;
    err       = hd_bdt_check(PETSC_COMM_SELF, &bad);
    expect_error(err, "option -bdt_trees", "no trees");
    /* labels outside [0, 1]: XGBoost's logistic objective refuses them */
    y[0]          = 3.0f;
    hd_bdt m      = NULL;
    hd_bdt_result r;
    err = hd_bdt_train(&c, 42, 7, &d, &m, &r);
    expect_error(err, "XGBoost XGBoosterUpdateOneIter failed", "label 3");
  }
  PetscCall(PetscFinalize());
  if (failures == 0) printf("test_bdt: all checks passed\n");
  return failures != 0;
}
