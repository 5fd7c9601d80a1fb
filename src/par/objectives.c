/* Objectives of the methods beyond the separable losses: the flow's negative log-likelihood with
 * dequantisation (seed 003) and the DisCo-coupled autoencoders (seed 002). See include/hadal/train.h. */
#include <math.h>
#include <hadal/rng.h>
#include <hadal/train.h>

/* ---- flow: l_b = 0.5 |z|^2 + 0.5 D log 2 pi - logdet ---- */

static PetscErrorCode hd_flow_nll_loss(const hd_objective *obj, hd_nn *net, const hd_train_shard *s, PetscBool grad, double *loss, float *per_event, float *values)
{
  const hd_objective_flow_ctx *c  = (const hd_objective_flow_ctx *)obj->ctx;
  const float                 *z  = hd_nn_output(net, c->z), *ld = hd_nn_output(net, c->logdet);
  float                       *dz = grad ? hd_nn_output_grad(net, c->z) : NULL, *dld = grad ? hd_nn_output_grad(net, c->logdet) : NULL;
  const double                 half_log_2pi = 0.5 * log(2 * PETSC_PI);
  double                       sum = 0;

  PetscFunctionBegin;
  (void)values;
  for (PetscInt b = 0; b < s->n; b++) {
    const float *zb = z + b * c->D;
    double       sq = 0, w = s->weight ? s->weight[b] : 1.0, l;
    for (PetscInt j = 0; j < c->D; j++) sq += (double)zb[j] * zb[j];
    l = 0.5 * sq + c->D * half_log_2pi - ld[b];
    if (per_event) per_event[b] = (float)l;
    sum += w * l;
    if (grad) {
      float g = (float)(w / s->norm);
      for (PetscInt j = 0; j < c->D; j++) dz[b * c->D + j] += g * zb[j];
      dld[b] -= g;
    }
  }
  *loss = sum / s->norm;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* x_j += width_j (u - 1/2), one counter-based stream per (member, epoch, event): the same noise
 * for an event whatever shard or rank it lands on. */
static PetscErrorCode hd_flow_dequantise(const hd_objective *obj, const hd_train_shard *s, float *x)
{
  const hd_objective_flow_ctx *c = (const hd_objective_flow_ctx *)obj->ctx;

  PetscFunctionBegin;
  if (!c->dequant) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(s->member >= 0 && s->member < 65536 && s->epoch >= 0 && s->epoch < 65536, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "dequantisation draws are keyed by member and epoch below 65536 (member %" PetscInt_FMT ", epoch %" PetscInt_FMT ")", s->member, s->epoch);
  for (PetscInt b = 0; b < s->n; b++) {
    hd_rng r;
    PetscCheck((uint64_t)s->rows[b] < ((uint64_t)1 << 32), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "dequantisation: event %" PetscInt_FMT " is beyond 2^32 events", s->rows[b]);
    hd_rng_init(&r, s->seed, HD_STREAM_DEQUANT, ((uint64_t)s->member << 48) | ((uint64_t)s->epoch << 32) | (uint64_t)s->rows[b]);
    for (PetscInt j = 0; j < c->in_size; j++)
      if (c->dequant[j] > 0) x[b * c->in_size + j] += (float)(c->dequant[j] * (hd_rng_uniform(&r) - 0.5));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_objective_flow_nll(const hd_nn *net, const float *dequant, hd_objective_flow_ctx *ctx, hd_objective *obj)
{
  PetscFunctionBegin;
  PetscCall(PetscMemzero(ctx, sizeof(*ctx)));
  PetscCall(PetscMemzero(obj, sizeof(*obj)));
  PetscCall(hd_nn_output_index(net, "z", &ctx->z));
  PetscCall(hd_nn_output_index(net, "logdet", &ctx->logdet));
  ctx->D = hd_nn_output_size(net, ctx->z);
  PetscCheck(hd_nn_output_size(net, ctx->logdet) == 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s': output 'logdet' must have one value per event", net->spec);
  ctx->in_size = net->in_size;
  if (dequant)
    for (PetscInt j = 0; j < net->in_size; j++) PetscCheck(dequant[j] >= 0 && isfinite(dequant[j]), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "dequantisation width of column %" PetscInt_FMT " is %g (must be finite and >= 0)", j, (double)dequant[j]);
  ctx->dequant   = dequant;
  obj->name      = "flow_nll";
  obj->loss      = hd_flow_nll_loss;
  obj->transform = dequant ? hd_flow_dequantise : NULL;
  obj->ctx       = ctx;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- autoencoders + lambda DisCo^2(R1, R2) ---- */

static PetscErrorCode hd_disco_ae_loss(const hd_objective *obj, hd_nn *net, const hd_train_shard *s, PetscBool grad, double *loss, float *per_event, float *values)
{
  const hd_objective_disco_ctx *c = (const hd_objective_disco_ctx *)obj->ctx;
  float                        *r = c->scratch;

  PetscFunctionBegin;
  PetscCheck(s->n <= c->max_rows, PETSC_COMM_SELF, HD_ERR_INTERNAL, "disco objective: %" PetscInt_FMT " events in a shard, scratch for %" PetscInt_FMT, s->n, c->max_rows);
  *loss = 0;
  for (PetscInt k = 0; k < c->n_ae; k++) {
    double l = 0;
    /* R_k (per event, unweighted) and the gradient of mean_b R_k into reconstruction k */
    PetscCall(hd_nn_loss_mse(&l, grad ? hd_nn_output_grad(net, c->out[k]) : NULL, r + k * c->max_rows, hd_nn_output(net, c->out[k]), s->target, s->target_ld, s->weight, s->n, c->F, s->norm));
    *loss += l;
  }
  PetscCheck(!values || !c->n_categories || s->category, PETSC_COMM_SELF, HD_ERR_INTERNAL, "disco objective: DisCo within categories, but the data has no categories");
  for (PetscInt b = 0; b < s->n; b++) {
    if (values) {
      for (PetscInt k = 0; k < c->n_ae; k++) values[b * obj->n_values + k] = r[k * c->max_rows + b];
      if (c->n_categories) {
        PetscCheck(s->category[b] >= 0 && s->category[b] < c->n_categories, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "disco objective: event %" PetscInt_FMT " has category %d (0 .. %" PetscInt_FMT " expected)", s->rows[b], (int)s->category[b], c->n_categories - 1);
        values[b * obj->n_values + c->n_ae] = (float)s->category[b];
      }
    }
    if (per_event) {
      double sum = 0;
      for (PetscInt k = 0; k < c->n_ae; k++) sum += r[k * c->max_rows + b];
      per_event[b] = (float)sum;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Event i's category among the coupling values (after R_1 .. R_n_ae); 0 without categories. */
static inline PetscInt hd_disco_category(const hd_objective_disco_ctx *c, const float *values, PetscInt nv, PetscInt i)
{
  return c->n_categories ? (PetscInt)values[nv * i + c->n_ae] : 0;
}

static PetscErrorCode hd_disco_ae_couple(const hd_objective *obj, PetscInt n, const float *values, double *loss, float *dvalues)
{
  const hd_objective_disco_ctx *c = (const hd_objective_disco_ctx *)obj->ctx;
  float                        *a = c->scratch, *b = a + c->max_rows, *da = b + c->max_rows, *db = da + c->max_rows;
  PetscInt                      nv = obj->n_values, n_cat = PetscMax(c->n_categories, 1);
  PetscInt                     *order = c->order, *start = c->order + c->max_rows;

  PetscFunctionBegin;
  PetscCheck(n <= c->max_rows, PETSC_COMM_SELF, HD_ERR_INTERNAL, "disco objective: a batch of %" PetscInt_FMT " events, scratch for %" PetscInt_FMT, n, c->max_rows);
  /* the batch grouped by category, in batch order within each (a counting sort): deterministic */
  PetscCall(PetscArrayzero(start, n_cat + 1));
  for (PetscInt i = 0; i < n; i++) start[hd_disco_category(c, values, nv, i) + 1]++;
  for (PetscInt k = 0; k < n_cat; k++) start[k + 1] += start[k];
  for (PetscInt i = 0; i < n; i++) order[start[hd_disco_category(c, values, nv, i)]++] = i;
  for (PetscInt k = n_cat; k > 0; k--) start[k] = start[k - 1];
  start[0] = 0;
  *loss    = 0;
  for (PetscInt k = 0; k < n_cat; k++) {
    PetscInt m = start[k + 1] - start[k];
    double   share = (double)m / (double)n, l;

    if (c->n_categories && m < c->min_events) continue;
    for (PetscInt j = 0; j < m; j++) {
      a[j] = values[nv * order[start[k] + j]];
      b[j] = values[nv * order[start[k] + j] + 1];
    }
    if (dvalues) {
      PetscCall(PetscArrayzero(da, m));
      PetscCall(PetscArrayzero(db, m));
    }
    /* one category (or the whole batch): its DisCo^2 weighted by its share of the batch */
    PetscCall(hd_nn_disco2(&l, dvalues ? da : NULL, dvalues ? db : NULL, a, b, NULL, m, share));
    *loss += share * l;
    if (dvalues)
      for (PetscInt j = 0; j < m; j++) {
        dvalues[nv * order[start[k] + j]] += da[j];
        dvalues[nv * order[start[k] + j] + 1] += db[j];
      }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* dR_k/dx'_kj = 2 (x'_kj - x_j) / F */
static PetscErrorCode hd_disco_ae_couple_backward(const hd_objective *obj, hd_nn *net, const hd_train_shard *s, const float *dvalues)
{
  const hd_objective_disco_ctx *c = (const hd_objective_disco_ctx *)obj->ctx;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < c->n_ae; k++) {
    const float *y  = hd_nn_output(net, c->out[k]);
    float       *dy = hd_nn_output_grad(net, c->out[k]);
    for (PetscInt b = 0; b < s->n; b++) {
      const float *t = s->target + (s->target_ld ? b * s->target_ld : 0);
      float        g = dvalues[b * obj->n_values + k] * 2.0f / (float)c->F;
      for (PetscInt j = 0; j < c->F; j++) dy[b * c->F + j] += g * (y[b * c->F + j] - t[j]);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_objective_disco_ae(const hd_nn *net, double lambda, PetscInt max_batch, hd_objective_disco_ctx *ctx, hd_objective *obj)
{
  PetscFunctionBegin;
  PetscCall(PetscMemzero(ctx, sizeof(*ctx)));
  PetscCall(PetscMemzero(obj, sizeof(*obj)));
  PetscCheck(hd_nn_output_count(net) == 2, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s': DisCo-coupled autoencoders need 2 outputs (it has %" PetscInt_FMT ")", net->spec, hd_nn_output_count(net));
  PetscCheck(lambda >= 0 && isfinite(lambda), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "DisCo weight lambda must be finite and >= 0 (got %g)", lambda);
  ctx->n_ae = 2;
  ctx->F    = net->in_size;
  for (PetscInt k = 0; k < 2; k++) {
    ctx->out[k] = k;
    PetscCheck(hd_nn_output_size(net, k) == net->in_size, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s': reconstruction %" PetscInt_FMT " has %" PetscInt_FMT " values, the input %" PetscInt_FMT, net->spec, k, hd_nn_output_size(net, k), net->in_size);
  }
  ctx->max_rows = PetscMax(max_batch, PetscMax(net->max_batch, 1024));
  PetscCall(PetscMalloc1(4 * ctx->max_rows, &ctx->scratch));
  PetscCall(PetscMalloc1(ctx->max_rows + 2, &ctx->order));
  obj->name            = "ae_disco";
  obj->loss            = hd_disco_ae_loss;
  obj->n_values        = 2;
  obj->couple          = hd_disco_ae_couple;
  obj->couple_backward = hd_disco_ae_couple_backward;
  obj->coupling        = lambda;
  obj->ctx             = ctx;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_objective_disco_destroy(hd_objective_disco_ctx *ctx)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(ctx->scratch));
  PetscCall(PetscFree(ctx->order));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_objective_disco_by_category(PetscInt n_categories, PetscInt min_events, hd_objective_disco_ctx *ctx, hd_objective *obj)
{
  PetscFunctionBegin;
  PetscCheck(n_categories >= 1 && n_categories < (1 << 24), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "DisCo within categories: %" PetscInt_FMT " categories (1 .. 2^24 expected: they travel as float values)", n_categories);
  PetscCheck(min_events >= 2, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "DisCo within categories: a minimum of %" PetscInt_FMT " events per category (a distance correlation needs 2 or more)", min_events);
  PetscCall(PetscFree(ctx->order));
  PetscCall(PetscMalloc1(ctx->max_rows + n_categories + 1, &ctx->order));
  ctx->n_categories = n_categories;
  ctx->min_events   = min_events;
  obj->n_values     = ctx->n_ae + 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}
