/* Boosted decision trees through XGBoost's C API (include/hadal/bdt.h). One process, one thread,
 * no MPI: a caller that runs on a group of ranks trains on one of them. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <xgboost/c_api.h>
#include <hadal/bdt.h>
#include <hadal/options.h>
#include <hadal/rng.h>
#include <hadal/signals.h>

/* XGBoost's last error as one line: without its time stamp "[hh:mm:ss] " and its stack trace. */
static const char *hd_bdt_xgb_message(int *len)
{
  const char *e = XGBGetLastError(), *end;
  if (e[0] == '[' && (end = strstr(e, "] ")) != NULL) e = end + 2;
  *len = (int)strcspn(e, "\n");
  return e;
}

/* An XGBoost call: non-zero is a failure; the error names the call and carries XGBoost's message. */
#define HdCallXGB(fn, args) \
  do { \
    if (PetscUnlikely(fn args != 0)) { \
      int         len_; \
      const char *msg_ = hd_bdt_xgb_message(&len_); \
      SETERRQ(PETSC_COMM_SELF, HD_ERR_INTERNAL, "XGBoost %s failed: %.*s", #fn, len_, msg_); \
    } \
  } while (0)

struct hd_bdt_s {
  BoosterHandle booster;
  PetscInt      F;
  PetscInt      trees_kept; /* predictions use trees [0, trees_kept) */
};

hd_bdt_config hd_bdt_defaults(void)
{
  /* from the tree-based weak-supervision study of seed 001 ref. [23] (its histogram gradient
   * boosting: learning rate 0.1, at most 31 leaves, 127 bins, at most 100 rounds, early stopping
   * after 10 rounds on a weighted validation loss); depth 5 gives at most 32 leaves */
  hd_bdt_config c = {.trees = 100, .depth = 5, .learning_rate = 0.1, .subsample = 1.0, .max_bin = 127, .val_fraction = 0.2, .stop_patience = 10};
  return c;
}

PetscErrorCode hd_bdt_read_options(hd_bdt_config *c)
{
  PetscReal v;

  PetscFunctionBegin;
  PetscCall(hd_opt_int("-bdt_trees", "boosted trees: boosting rounds at most (one tree each)", c->trees, &c->trees, NULL));
  PetscCall(hd_opt_int("-bdt_depth", "boosted trees: depth of each tree", c->depth, &c->depth, NULL));
  PetscCall(hd_opt_real("-bdt_learning_rate", "boosted trees: shrinkage of each tree (XGBoost's eta)", c->learning_rate, &v, NULL));
  c->learning_rate = v;
  PetscCall(hd_opt_real("-bdt_subsample", "boosted trees: fraction of the training events each tree sees", c->subsample, &v, NULL));
  c->subsample = v;
  PetscCall(hd_opt_int("-bdt_max_bin", "boosted trees: histogram bins per feature", c->max_bin, &c->max_bin, NULL));
  PetscCall(hd_opt_int("-bdt_stop_patience", "boosted trees: rounds without a lower validation loss before stopping (0: never)", c->stop_patience, &c->stop_patience, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_bdt_check(hd_comm comm, const hd_bdt_config *c)
{
  char lr[32], sub[32], vf[32];

  PetscFunctionBegin;
  /* PETSc's formatter would print 0 as "0." */
  snprintf(lr, sizeof(lr), "%g", c->learning_rate);
  snprintf(sub, sizeof(sub), "%g", c->subsample);
  snprintf(vf, sizeof(vf), "%g", c->val_fraction);
  PetscCheck(c->trees >= 1 && c->trees <= 100000, comm, HD_ERR_USER_INPUT, "option -bdt_trees must lie in [1, 100000] (got %" PetscInt_FMT ")", c->trees);
  PetscCheck(c->depth >= 1 && c->depth <= 20, comm, HD_ERR_USER_INPUT, "option -bdt_depth must lie in [1, 20] (got %" PetscInt_FMT ")", c->depth);
  PetscCheck(c->learning_rate > 0 && c->learning_rate <= 1, comm, HD_ERR_USER_INPUT, "option -bdt_learning_rate must lie in (0, 1] (got %s)", lr);
  PetscCheck(c->subsample > 0 && c->subsample <= 1, comm, HD_ERR_USER_INPUT, "option -bdt_subsample must lie in (0, 1] (got %s)", sub);
  PetscCheck(c->max_bin >= 2 && c->max_bin <= 65536, comm, HD_ERR_USER_INPUT, "option -bdt_max_bin must lie in [2, 65536] (got %" PetscInt_FMT ")", c->max_bin);
  PetscCheck(c->stop_patience >= 0, comm, HD_ERR_USER_INPUT, "option -bdt_stop_patience must be non-negative (got %" PetscInt_FMT ")", c->stop_patience);
  PetscCheck(c->val_fraction >= 0 && c->val_fraction < 1, comm, HD_ERR_USER_INPUT, "option -val_fraction must lie in [0, 1) for boosted trees (got %s)", vf);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A DMatrix of rows `idx` (n) of d, with labels and weights. */
static PetscErrorCode hd_bdt_dmatrix(const hd_bdt_data *d, PetscInt n, const PetscInt *idx, DMatrixHandle *out)
{
  float *x, *y, *w;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3((size_t)PetscMax(n, 1) * d->F, &x, PetscMax(n, 1), &y, PetscMax(n, 1), &w));
  for (PetscInt k = 0; k < n; k++) {
    PetscInt i = idx[k];
    PetscCall(PetscArraycpy(x + (size_t)k * d->F, d->x + (size_t)i * d->F, d->F));
    y[k] = d->y[i];
    w[k] = d->weight ? d->weight[i] : 1.0f;
  }
  HdCallXGB(XGDMatrixCreateFromMat_omp, (x, (bst_ulong)n, (bst_ulong)d->F, NAN, out, 1));
  HdCallXGB(XGDMatrixSetFloatInfo, (*out, "label", y, (bst_ulong)n));
  HdCallXGB(XGDMatrixSetFloatInfo, (*out, "weight", w, (bst_ulong)n));
  PetscCall(PetscFree3(x, y, w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* out (n) = margins of trees [begin, end) of the booster on dm. */
static PetscErrorCode hd_bdt_margins(BoosterHandle b, DMatrixHandle dm, PetscInt begin, PetscInt end, PetscInt n, float *out)
{
  char             cfg[160];
  const bst_ulong *shape;
  bst_ulong        dim;
  const float     *r;

  PetscFunctionBegin;
  snprintf(cfg, sizeof(cfg), "{\"type\": 1, \"training\": false, \"iteration_begin\": %d, \"iteration_end\": %d, \"strict_shape\": false}", (int)begin, (int)end);
  HdCallXGB(XGBoosterPredictFromDMatrix, (b, dm, cfg, &shape, &dim, &r));
  PetscCheck(dim == 1 && shape[0] == (bst_ulong)n, PETSC_COMM_SELF, HD_ERR_INTERNAL, "XGBoosterPredictFromDMatrix gave %d dimensions (first %llu) for %" PetscInt_FMT " rows", (int)dim, (unsigned long long)shape[0], n);
  PetscCall(PetscArraycpy(out, r, n));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_bdt_set(BoosterHandle b, const char *name, const char *value)
{
  PetscFunctionBegin;
  if (XGBoosterSetParam(b, name, value) != 0) {
    int         len;
    const char *msg = hd_bdt_xgb_message(&len);
    SETERRQ(PETSC_COMM_SELF, HD_ERR_INTERNAL, "XGBoost XGBoosterSetParam(%s = %s) failed: %.*s", name, value, len, msg);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A booster on dtr with the configuration's parameters. */
static PetscErrorCode hd_bdt_booster(const hd_bdt_config *c, uint64_t seed, PetscInt member, DMatrixHandle dtr, BoosterHandle *b)
{
  char   v[64];
  hd_rng r;

  PetscFunctionBegin;
  HdCallXGB(XGBSetGlobalConfig, ("{\"verbosity\": 0}"));
  HdCallXGB(XGBoosterCreate, (&dtr, 1, b));
  PetscCall(hd_bdt_set(*b, "booster", "gbtree"));
  PetscCall(hd_bdt_set(*b, "objective", "binary:logistic"));
  PetscCall(hd_bdt_set(*b, "tree_method", "hist"));
  PetscCall(hd_bdt_set(*b, "nthread", "1"));
  /* margin 0 before the first tree, so the margins of single trees add up (hd_bdt_boost) */
  PetscCall(hd_bdt_set(*b, "base_score", "0.5"));
  PetscCall(hd_bdt_set(*b, "disable_default_eval_metric", "1"));
  snprintf(v, sizeof(v), "%" PetscInt_FMT, c->depth);
  PetscCall(hd_bdt_set(*b, "max_depth", v));
  snprintf(v, sizeof(v), "%.17g", c->learning_rate);
  PetscCall(hd_bdt_set(*b, "eta", v));
  snprintf(v, sizeof(v), "%.17g", c->subsample);
  PetscCall(hd_bdt_set(*b, "subsample", v));
  snprintf(v, sizeof(v), "%" PetscInt_FMT, c->max_bin);
  PetscCall(hd_bdt_set(*b, "max_bin", v));
  hd_rng_init(&r, seed, HD_STREAM_BDT_SEED, (uint64_t)member);
  snprintf(v, sizeof(v), "%u", (unsigned)(hd_rng_u32(&r) >> 1));
  PetscCall(hd_bdt_set(*b, "seed", v));
  /* the row sampler is reseeded from (seed, round) each round: no state carried over from
   * whatever this process trained before */
  PetscCall(hd_bdt_set(*b, "seed_per_iteration", "1"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The boosting rounds; after each, the weighted log-loss of the n_va validation events (rows va
 * of d, in dva) from their margins (n_va, zeroed) summed tree by tree in double, step (n_va) the
 * last tree's; early stopping. */
static PetscErrorCode hd_bdt_boost(const hd_bdt_config *c, BoosterHandle b, DMatrixHandle dtr, DMatrixHandle dva, const hd_bdt_data *d, PetscInt n_va, const PetscInt *va, double *margin, float *step, hd_bdt_result *res)
{
  double   w_sum = 0;
  PetscInt since_best = 0;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < n_va; k++) w_sum += d->weight ? d->weight[va[k]] : 1.0;
  for (PetscInt round = 0; round < c->trees; round++) {
    if (hd_signals_pending()) {
      res->interrupted = PETSC_TRUE;
      break;
    }
    HdCallXGB(XGBoosterUpdateOneIter, (b, (int)round, dtr));
    res->rounds_run = round + 1;
    if (n_va == 0) {
      res->trees_kept = round + 1;
      continue;
    }
    PetscCall(hd_bdt_margins(b, dva, round, round + 1, n_va, step));
    double loss = 0;
    for (PetscInt k = 0; k < n_va; k++) {
      PetscInt i = va[k];
      double   z = (margin[k] += step[k]), y = d->y[i], w = d->weight ? d->weight[i] : 1.0;
      /* -[y log s(z) + (1 - y) log(1 - s(z))] = log(1 + e^z) - y z, computed without overflow */
      loss += w * ((z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - y * z);
    }
    loss /= w_sum > 0 ? w_sum : 1.0;
    if (isnan(res->best_val_loss) || loss < res->best_val_loss) {
      res->best_val_loss = loss;
      res->trees_kept    = round + 1;
      since_best         = 0;
    } else if (c->stop_patience > 0 && ++since_best >= c->stop_patience) {
      res->early_stopped = PETSC_TRUE;
      break;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_bdt_train(const hd_bdt_config *c, uint64_t seed, PetscInt member, const hd_bdt_data *d, hd_bdt *model, hd_bdt_result *res)
{
  PetscErrorCode ierr = PETSC_SUCCESS;
  PetscInt      *tr = NULL, *va = NULL, n_tr = 0, n_va = 0;
  DMatrixHandle  dtr = NULL, dva = NULL;
  BoosterHandle  b = NULL;
  double        *margin = NULL;
  float         *step = NULL;

  PetscFunctionBegin;
  *model = NULL;
  PetscCall(PetscMemzero(res, sizeof(*res)));
  res->best_val_loss = NAN;
  /* the validation split of include/hadal/train.h */
  PetscCall(PetscMalloc2(PetscMax(d->n, 1), &tr, PetscMax(d->n, 1), &va));
  for (PetscInt i = 0; i < d->n; i++) {
    hd_rng r;
    hd_rng_init(&r, seed, HD_STREAM_SPLIT, ((uint64_t)member << 32) | (uint64_t)i);
    if (c->val_fraction > 0 && hd_rng_uniform(&r) < c->val_fraction) va[n_va++] = i;
    else tr[n_tr++] = i;
  }
  HdCheckGoto(n_tr > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, done, "boosted trees of member %" PetscInt_FMT ": no training events left after the validation split (%" PetscInt_FMT " events, -val_fraction %g)", member, d->n, c->val_fraction);
  HdCallGoto(hd_bdt_dmatrix(d, n_tr, tr, &dtr), done);
  if (n_va > 0) HdCallGoto(hd_bdt_dmatrix(d, n_va, va, &dva), done);
  HdCallGoto(hd_bdt_booster(c, seed, member, dtr, &b), done);
  HdCallGoto(PetscCalloc2(PetscMax(n_va, 1), &margin, PetscMax(n_va, 1), &step), done);
  HdCallGoto(hd_bdt_boost(c, b, dtr, dva, d, n_va, va, margin, step, res), done);
  if (!res->interrupted) {
    HdCallGoto(PetscNew(model), done);
    (*model)->booster    = b;
    (*model)->F          = d->F;
    (*model)->trees_kept = res->trees_kept;
    b                    = NULL;
  }
done:
  /* on every path: XGBoost's handles and the split (the frees' own results cannot add to a
   * failure already raised) */
  if (b) (void)XGBoosterFree(b);
  if (dtr) (void)XGDMatrixFree(dtr);
  if (dva) (void)XGDMatrixFree(dva);
  (void)PetscFree2(tr, va);
  (void)PetscFree2(margin, step);
  PetscFunctionReturn(ierr);
}

PetscErrorCode hd_bdt_predict(hd_bdt model, PetscInt n, const float *x, float *out)
{
  DMatrixHandle dm;

  PetscFunctionBegin;
  if (n == 0) PetscFunctionReturn(PETSC_SUCCESS);
  HdCallXGB(XGDMatrixCreateFromMat_omp, (x, (bst_ulong)n, (bst_ulong)model->F, NAN, &dm, 1));
  PetscCall(hd_bdt_margins(model->booster, dm, 0, model->trees_kept, n, out));
  HdCallXGB(XGDMatrixFree, (dm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_bdt_destroy(hd_bdt *model)
{
  PetscFunctionBegin;
  if (!*model) PetscFunctionReturn(PETSC_SUCCESS);
  HdCallXGB(XGBoosterFree, ((*model)->booster));
  PetscCall(PetscFree(*model));
  PetscFunctionReturn(PETSC_SUCCESS);
}
