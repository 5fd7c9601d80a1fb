/* Optimisers and the plateau / early-stopping state: closed-form steps, rejected settings, and the
 * schedules of seeds 003 (halve after 5 flat epochs, stop after 50) and 002 (stop after 10). The
 * step-by-step comparison with torch.optim is in nn_torch_compare.py. */
#include <math.h>
#include <stdio.h>
#include <hadal/nn.h>
#include "check.h"

static void test_steps(void)
{
  float              p[4] = {1.0f, -2.0f, 0.5f, 3.0f}, g[4] = {0.1f, -0.4f, 0.0f, 2.0f}, z[4] = {0, 0, 0, 0};
  hd_nn_optim        o;
  hd_nn_optim_config c = hd_nn_optim_sgd_defaults();

  /* plain SGD: p -= lr g */
  c.lr = 0.5;
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_optim_create(&c, 4, &o));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_optim_step(&o, p, g));
  CHECK(p[0] == 1.0f - 0.5f * 0.1f && p[1] == -2.0f + 0.5f * 0.4f && p[2] == 0.5f && p[3] == 2.0f, "sgd: (%g %g %g %g)", p[0], p[1], p[2], p[3]);
  CHECK(o.m == NULL && o.v == NULL && o.step == 1, "sgd without momentum keeps no state");
  hd_nn_optim_destroy(&o);

  /* momentum: m1 = g, m2 = mu g + g; p moves lr (1 + (1 + mu)) g over two steps with the same g */
  c.momentum = 0.9;
  p[0]       = 1.0f;
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_optim_create(&c, 1, &o));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_optim_step(&o, p, g));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_optim_step(&o, p, g));
  CHECK(fabs(p[0] - (1.0 - 0.5 * 0.1 * 2.9)) < 1e-6, "sgd momentum: %.9g, want %.9g", p[0], 1.0 - 0.5 * 0.1 * 2.9);
  hd_nn_optim_destroy(&o);
  /* Nesterov: d1 = g + mu g, d2 = g + mu (mu g + g) */
  c.nesterov = PETSC_TRUE;
  p[0]       = 1.0f;
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_optim_create(&c, 1, &o));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_optim_step(&o, p, g));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_optim_step(&o, p, g));
  CHECK(fabs(p[0] - (1.0 - 0.5 * 0.1 * (1.9 + 1.0 + 0.9 * 1.9))) < 1e-6, "sgd nesterov: %.9g", p[0]);
  hd_nn_optim_destroy(&o);

  /* Adam's first step moves every parameter with a non-zero gradient by lr against its sign
   * (m-hat / sqrt(v-hat) = sign(g), up to eps) */
  {
    float              q[4] = {1.0f, -2.0f, 0.5f, 3.0f};
    hd_nn_optim_config a    = hd_nn_optim_adam_defaults();

    PetscCallAbort(PETSC_COMM_SELF, hd_nn_optim_create(&a, 4, &o));
    PetscCallAbort(PETSC_COMM_SELF, hd_nn_optim_step(&o, q, g));
    CHECK(fabs(q[0] - (1.0 - 1e-3)) < 1e-6 && fabs(q[1] - (-2.0 + 1e-3)) < 1e-6 && q[2] == 0.5f && fabs(q[3] - (3.0 - 1e-3)) < 1e-6, "adam first step: (%.9g %.9g %.9g %.9g)", q[0], q[1], q[2], q[3]);
    hd_nn_optim_destroy(&o);
    /* decoupled weight decay: with g = 0, p <- p (1 - lr wd) and nothing else */
    a.weight_decay = 0.1;
    a.lr           = 0.01;
    q[0]           = 2.0f;
    PetscCallAbort(PETSC_COMM_SELF, hd_nn_optim_create(&a, 1, &o));
    PetscCallAbort(PETSC_COMM_SELF, hd_nn_optim_step(&o, q, z));
    CHECK(fabs(q[0] - 2.0 * (1.0 - 0.001)) < 1e-6, "adamw decay: %.9g, want %.9g", q[0], 2.0 * 0.999);
    hd_nn_optim_destroy(&o);
  }
}

static void test_bad_config(void)
{
  hd_nn_optim_config c[6];
  hd_nn_optim        o;

  for (int i = 0; i < 6; i++) c[i] = i < 3 ? hd_nn_optim_sgd_defaults() : hd_nn_optim_adam_defaults();
  c[0].lr        = 0.0;
  c[1].momentum  = 1.0;
  c[2].nesterov  = PETSC_TRUE; /* without momentum */
  c[3].beta1     = 1.0;
  c[4].eps       = 0.0;
  c[5].lr        = NAN;
  for (int i = 0; i < 6; i++) {
    PetscErrorCode ierr;

    PetscCallAbort(PETSC_COMM_SELF, PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = hd_nn_optim_create(&c[i], 3, &o);
    PetscCallAbort(PETSC_COMM_SELF, PetscPopErrorHandler());
    CHECK(ierr == HD_ERR_USER_INPUT, "optimiser configuration %d was not rejected (error %d)", i, (int)ierr);
  }
}

/* Feeds `n` losses, returns the epochs (0-based) where the lr was scaled and where training stopped. */
static void run_plateau(hd_nn_plateau *p, const double *loss, int n, int *scaled, int *n_scaled, int *stop_at)
{
  *n_scaled = 0;
  *stop_at  = -1;
  for (int e = 0; e < n; e++) {
    double    s;
    PetscBool stop, imp;

    PetscCallAbort(PETSC_COMM_SELF, hd_nn_plateau_update(p, loss[e], &imp, &s, &stop));
    if (s != 1.0) scaled[(*n_scaled)++] = e;
    if (stop) {
      *stop_at = e;
      return;
    }
  }
}

static void test_plateau(void)
{
  double        loss[200];
  int           scaled[64], ns, stop;
  hd_nn_plateau p;

  /* seed 003: improves for 10 epochs, then flat: lr halved at epochs 14, 19, ..., stop at 59
   * (the 50th epoch in a row without improvement) */
  for (int e = 0; e < 200; e++) loss[e] = e < 10 ? 1.0 - 0.01 * e : 0.95;
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_plateau_init(&p, 5, 0.5, 50, 0.0));
  run_plateau(&p, loss, 200, scaled, &ns, &stop);
  CHECK(stop == 59, "seed 003 schedule: stopped at epoch %d, want 59", stop);
  CHECK(ns == 10 && scaled[0] == 14 && scaled[1] == 19 && scaled[9] == 59, "seed 003 schedule: %d halvings, first at %d", ns, ns ? scaled[0] : -1);
  CHECK(p.best_epoch == 9 && fabs(p.best - 0.91) < 1e-12 && p.n_reductions == 10, "seed 003 schedule: best %g at epoch %d", p.best, (int)p.best_epoch);

  /* an improvement resets both counts: improve at epoch 13 -> next halving at 18 */
  loss[13] = 0.5;
  for (int e = 14; e < 200; e++) loss[e] = 0.6;
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_plateau_init(&p, 5, 0.5, 50, 0.0));
  run_plateau(&p, loss, 200, scaled, &ns, &stop);
  CHECK(ns > 0 && scaled[0] == 18 && stop == 63, "reset on improvement: first halving %d (want 18), stop %d (want 63)", ns ? scaled[0] : -1, stop);

  /* seed 002: early stopping with patience 10, no lr schedule; NaN never improves; min_delta */
  for (int e = 0; e < 200; e++) loss[e] = e < 3 ? 1.0 / (e + 1) : (e == 5 ? NAN : 0.3334 - 1e-6 * e);
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_plateau_init(&p, 0, 0.5, 10, 1e-3));
  run_plateau(&p, loss, 200, scaled, &ns, &stop);
  CHECK(ns == 0 && stop == 12, "seed 002 schedule: %d lr changes, stopped at %d (want 0, 12)", ns, stop);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  test_steps();
  test_bad_config();
  test_plateau();
  printf("%s: %d failure(s)\n", failures ? "FAILED" : "passed", failures);
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
