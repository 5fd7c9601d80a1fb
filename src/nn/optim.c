/* Optimisers on the flat parameter buffer, and the plateau / early-stopping bookkeeping
 * (docs/nn.md, "Optimisers"). Each step is one loop over the buffer; the arithmetic is float with
 * the per-step scalars computed in double, as PyTorch's single-tensor implementations do. */
#include <math.h>
#include <hadal/nn.h>

hd_nn_optim_config hd_nn_optim_sgd_defaults(void)
{
  hd_nn_optim_config c = {HD_OPTIM_SGD, 0.01, 0.0, PETSC_FALSE, 0.9, 0.999, 1e-8, 0.0};
  return c;
}

hd_nn_optim_config hd_nn_optim_adam_defaults(void)
{
  hd_nn_optim_config c = {HD_OPTIM_ADAM, 1e-3, 0.0, PETSC_FALSE, 0.9, 0.999, 1e-8, 0.0};
  return c;
}

PetscErrorCode hd_nn_optim_create(const hd_nn_optim_config *cfg, PetscInt n, hd_nn_optim *opt)
{
  PetscFunctionBegin;
  PetscCall(PetscMemzero(opt, sizeof(*opt)));
  PetscCheck(cfg->kind == HD_OPTIM_SGD || cfg->kind == HD_OPTIM_ADAM, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "optimiser: unknown kind %d", (int)cfg->kind);
  PetscCheck(n >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "optimiser: parameter count %" PetscInt_FMT " must be >= 0", n);
  PetscCheck(cfg->lr > 0.0 && isfinite(cfg->lr), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "optimiser: learning rate %g must be positive and finite", cfg->lr);
  PetscCheck(cfg->weight_decay >= 0.0 && isfinite(cfg->weight_decay), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "optimiser: weight decay %g must be >= 0", cfg->weight_decay);
  if (cfg->kind == HD_OPTIM_SGD) {
    PetscCheck(cfg->momentum >= 0.0 && cfg->momentum < 1.0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "SGD: momentum %g must be in [0, 1)", cfg->momentum);
    PetscCheck(!cfg->nesterov || cfg->momentum > 0.0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "SGD: Nesterov momentum needs momentum > 0");
  } else {
    PetscCheck(cfg->beta1 >= 0.0 && cfg->beta1 < 1.0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "Adam: beta1 %g must be in [0, 1)", cfg->beta1);
    PetscCheck(cfg->beta2 >= 0.0 && cfg->beta2 < 1.0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "Adam: beta2 %g must be in [0, 1)", cfg->beta2);
    PetscCheck(cfg->eps > 0.0 && isfinite(cfg->eps), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "Adam: eps %g must be positive", cfg->eps);
  }
  opt->cfg = *cfg;
  opt->n   = n;
  if (cfg->kind == HD_OPTIM_ADAM || cfg->momentum > 0.0) PetscCall(PetscCalloc1((size_t)n + 1, &opt->m));
  if (cfg->kind == HD_OPTIM_ADAM) PetscCall(PetscCalloc1((size_t)n + 1, &opt->v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_optim_destroy(hd_nn_optim *opt)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(opt->m));
  PetscCall(PetscFree(opt->v));
  opt->n = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* SGD (PyTorch's torch.optim.SGD, dampening 0):
 *   g' = g + wd p;  m = mu m + g';  d = nesterov ? g' + mu m : m  (d = g' without momentum);
 *   p -= lr d.
 * Adam with decoupled weight decay (Kingma & Ba 2014, alg. 1; Loshchilov & Hutter 2019 = AdamW):
 *   p *= 1 - lr wd;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *   p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps). */
PetscErrorCode hd_nn_optim_step(hd_nn_optim *opt, float *restrict p, const float *restrict g)
{
  const hd_nn_optim_config *c = &opt->cfg;
  const PetscInt            n = opt->n;
  float *restrict           m = opt->m, *restrict v = opt->v;

  PetscFunctionBegin;
  opt->step++;
  if (c->kind == HD_OPTIM_SGD) {
    const float lr = (float)c->lr, mu = (float)c->momentum, wd = (float)c->weight_decay;

    if (!m) {
      for (PetscInt i = 0; i < n; i++) p[i] -= lr * (g[i] + wd * p[i]);
    } else if (c->nesterov) {
      for (PetscInt i = 0; i < n; i++) {
        float gi = g[i] + wd * p[i];

        m[i] = mu * m[i] + gi;
        p[i] -= lr * (gi + mu * m[i]);
      }
    } else {
      for (PetscInt i = 0; i < n; i++) {
        m[i] = mu * m[i] + g[i] + wd * p[i];
        p[i] -= lr * m[i];
      }
    }
  } else {
    const double t = (double)opt->step;
    const float  b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
    const float  step_size = (float)(c->lr / (1.0 - pow(c->beta1, t)));
    const float  bc2_sqrt  = (float)sqrt(1.0 - pow(c->beta2, t));
    const float  decay     = (float)(1.0 - c->lr * c->weight_decay);

    for (PetscInt i = 0; i < n; i++) {
      float gi = g[i];

      m[i] = b1 * m[i] + (1.0f - b1) * gi;
      v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
      p[i] = p[i] * decay - step_size * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_plateau_init(hd_nn_plateau *p, PetscInt lr_patience, double lr_factor, PetscInt stop_patience, double min_delta)
{
  PetscFunctionBegin;
  PetscCheck(lr_patience >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "learning-rate patience %" PetscInt_FMT " must be >= 0 (0 switches it off)", lr_patience);
  PetscCheck(stop_patience >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "early-stopping patience %" PetscInt_FMT " must be >= 0 (0 switches it off)", stop_patience);
  PetscCheck(lr_patience == 0 || (lr_factor > 0.0 && lr_factor < 1.0), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "learning-rate factor %g must be in (0, 1)", lr_factor);
  PetscCheck(min_delta >= 0.0 && isfinite(min_delta), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "minimum improvement %g must be >= 0", min_delta);
  p->lr_patience   = lr_patience;
  p->stop_patience = stop_patience;
  p->lr_factor     = lr_factor;
  p->min_delta     = min_delta;
  p->best          = INFINITY;
  p->best_epoch    = -1;
  p->epoch         = 0;
  p->since_best    = 0;
  p->since_lr      = 0;
  p->n_reductions  = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_plateau_update(hd_nn_plateau *p, double loss, PetscBool *improved, double *lr_scale, PetscBool *stop)
{
  PetscBool better = (!isnan(loss) && loss < p->best - p->min_delta) ? PETSC_TRUE : PETSC_FALSE;
  double    scale  = 1.0;

  PetscFunctionBegin;
  if (better) {
    p->best       = loss;
    p->best_epoch = p->epoch;
    p->since_best = 0;
    p->since_lr   = 0;
  } else {
    p->since_best++;
    p->since_lr++;
  }
  p->epoch++;
  if (p->lr_patience > 0 && p->since_lr >= p->lr_patience) {
    scale       = p->lr_factor;
    p->since_lr = 0;
    p->n_reductions++;
  }
  if (improved) *improved = better;
  if (lr_scale) *lr_scale = scale;
  if (stop) *stop = (p->stop_patience > 0 && p->since_best >= p->stop_patience) ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}
