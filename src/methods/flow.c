/* The autoregressive rational-quadratic-spline flow (seed 003 section 3, Table 3):
 *
 *   inputs    the flow encoding (section 5), standardised on the training set, x' = (x - mu) / sigma;
 *             discrete columns (every training value an integer: counts, object types) dequantised
 *             in training by U(-1/2, 1/2) in their own units (width 1 / sigma standardised, with
 *             sigma^2 = var + 1/12 the dequantised column's variance); a
 *             constant column c gets sigma = 1e-3 max(|c|, 1) and U(-sigma/2, sigma/2), a narrow box
 *             that keeps its density finite and puts any other value far out
 *   network   "maf L layers, made H x W, K knots, bound A" (hd_nn_create_flow): 11 layers, MADE
 *             7 x 200, 35 knots, bound 3 by default; identity outside [-A, A], so log p stays
 *             finite for inputs far outside the training range
 *   loss      -log p(x') = 0.5 |z|^2 + 0.5 D log 2 pi - log |det dz/dx'| (eq. 4), Adam 1e-3, batch 512
 *   score     log p(x) = log p(x') - sum_j log sigma_j: the density of the features as stored in the
 *             file (the standardisation's Jacobian included); eq. 7 rescales it on the training set.
 *
 * Shards: the exact gradient sum costs one reduction per shard; the flow's shards are at least
 * -flow_min_shard events (128 by default: 4 shards of a 512-event batch), a property of the
 * experiment like the batch, never of the rank count (docs/methods/flow.md). */
#include <stdio.h>
#include <hadal/log.h>
#include "rnd.h"

PetscErrorCode hd_rnd_flow_member(hd_ensemble_member *m, hd_rnd *r)
{
  hd_train_config       cfg   = r->flow_cfg;
  hd_train_data         train = {.n = r->n_train, .in_size = r->Ff, .x = r->xf_train}, all = {.n = r->N, .in_size = r->Ff, .x = r->xf};
  hd_train_result       res;
  hd_objective_flow_ctx fctx;
  hd_objective          obj;
  hd_nn                *net;
  double                t0 = hd_wtime();

  PetscFunctionBegin;
  cfg.member = m->member;
  cfg.label  = "flow";
  snprintf(cfg.checkpoint, sizeof(cfg.checkpoint), "%s", m->checkpoint ? m->checkpoint : "");
  PetscCall(hd_nn_create_flow(r->flow_spec, r->Ff, PetscMax(1024, PetscMin(cfg.batch, r->n_train)), &net));
  PetscCall(hd_nn_init(net, cfg.seed, (uint64_t)m->member, HD_INIT_AUTO));
  PetscCall(hd_objective_flow_nll(net, r->n_discrete > 0 ? r->dequant : NULL, &fctx, &obj));
  cfg.objective = &obj;
  PetscCall(hd_train(m->group, net, &train, &cfg, &res));
  m->interrupted = res.interrupted;
  if (!res.interrupted) {
    /* the score of the objective is -log p(x') of the standardised inputs */
    PetscCall(hd_train_evaluate(m->group, net, &all, &obj, HD_EVAL_SCORE, m->scores));
    for (PetscInt i = 0; i < r->N; i++) m->scores[i] = (float)(-(double)m->scores[i] - r->log_std_sum);
    hd_rnd_member_metrics(m->metrics, &res, net, t0);
  }
  PetscCall(hd_nn_destroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}
