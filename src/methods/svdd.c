/* Deep SVDD members (seed 003 section 2; Ruff et al. 2018 with a vector target):
 *
 *   network   dense 512-256-128 ELU, a linear layer of width d (Table 2; -svdd_hidden)
 *   target    O_n^d = (n, ..., n), d values (Table 1: d in 5, 8, ..., 233; n in 0, 1, ..., 25)
 *   loss      mean squared error to O_n^d on the training (background) events, Adam 1e-3,
 *             batch 10,000, the learning rate halved after 5 epochs without improvement and
 *             training stopped after 50 (the validation loss decides)
 *   score     s(x) = |O_n^d - Model(x)|^2, eq. 1: the squared distance, for every event of the file.
 *
 * Member m of the grid is (d, n) = (grid_d[m / n_n], grid_n[m % n_n]); its initialisation,
 * validation split and minibatch order are drawn from (seed, m), so the member is the same whichever
 * group trains it. */
#include <stdio.h>
#include <hadal/log.h>
#include "rnd.h"

void hd_rnd_svdd_spec(const hd_rnd *r, PetscInt d, char *spec, size_t len)
{
  size_t used = 0;

  for (PetscInt i = 0; i < r->n_hidden; i++) used += (size_t)snprintf(spec + used, len - used, "dense %" PetscInt_FMT " elu, ", r->hidden[i]);
  snprintf(spec + used, len - used, "dense %" PetscInt_FMT, d);
}

PetscErrorCode hd_rnd_svdd_member(hd_ensemble_member *m, hd_rnd *r)
{
  PetscInt        d = r->grid_d[m->member / r->n_n], n = r->grid_n[m->member % r->n_n];
  hd_train_config cfg = r->svdd_cfg;
  hd_train_data   train = {.n = r->n_train, .in_size = r->Fs, .x = r->xs_train, .target_ld = 0}, all = {.n = r->N, .in_size = r->Fs, .x = r->xs, .target_ld = 0};
  hd_train_result res;
  hd_nn          *net;
  PetscInt        in_shape[3] = {r->Fs, 1, 1};
  float          *target;
  char            spec[512], label[48];
  double          t0 = hd_wtime();

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(d, &target));
  for (PetscInt j = 0; j < d; j++) target[j] = (float)n;
  train.target = all.target = target;
  hd_rnd_svdd_spec(r, d, spec, sizeof(spec));
  snprintf(label, sizeof(label), "svdd[d=%" PetscInt_FMT ",n=%" PetscInt_FMT "]", d, n);
  cfg.member    = m->member;
  cfg.label     = label;
  cfg.objective = hd_objective_standard(HD_TRAIN_LOSS_MSE);
  snprintf(cfg.checkpoint, sizeof(cfg.checkpoint), "%s", m->checkpoint ? m->checkpoint : "");
  PetscCall(hd_nn_create(spec, in_shape, PetscMax(1024, PetscMin(cfg.batch, r->n_train)), &net));
  PetscCall(hd_nn_init(net, cfg.seed, (uint64_t)m->member, HD_INIT_AUTO));
  PetscCall(hd_train(m->group, net, &train, &cfg, &res));
  m->interrupted = res.interrupted;
  if (!res.interrupted) {
    /* the objective's per-event value is the mean over the d outputs; eq. 1 is their sum */
    PetscCall(hd_train_evaluate(m->group, net, &all, cfg.objective, HD_EVAL_SCORE, m->scores));
    for (PetscInt i = 0; i < r->N; i++) m->scores[i] *= (float)d;
    hd_rnd_member_metrics(m->metrics, &res, net, t0);
  }
  PetscCall(hd_nn_destroy(&net));
  PetscCall(PetscFree(target));
  PetscFunctionReturn(PETSC_SUCCESS);
}
