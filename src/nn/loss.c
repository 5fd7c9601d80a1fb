/* Losses (docs/nn.md, "Losses"). Each returns (1 / norm) sum_b w_b l_b accumulated in double and
 * adds (1 / norm) w_b dl_b/dz_b to dz, so a shard of a global batch passes the global size as norm
 * and the shard results add up to the global mean. Per-event arithmetic is in double: K is small
 * (classes, outputs) and the sums must not lose the small terms. */
#include <math.h>
#include <hadal/nn.h>

static PetscErrorCode loss_check(const char *name, const float *z, const float *target, PetscInt target_ld, PetscInt B, PetscInt K, double norm)
{
  PetscFunctionBegin;
  PetscCheck(B >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: batch size %" PetscInt_FMT " must be >= 0", name, B);
  PetscCheck(K > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: output width %" PetscInt_FMT " must be positive", name, K);
  PetscCheck(target_ld == 0 || target_ld >= K, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: target leading dimension %" PetscInt_FMT " must be 0 (one shared row) or >= the output width %" PetscInt_FMT, name, target_ld, K);
  PetscCheck(norm > 0.0 && isfinite(norm), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: normalisation %g must be positive and finite", name, norm);
  PetscCheck(B == 0 || (z && target), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: outputs and targets must be given", name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* l_b = logsumexp(z_b) sum_k t_bk - sum_k t_bk z_bk;  dl/dz_bk = softmax_k sum_j t_bj - t_bk */
PetscErrorCode hd_nn_loss_softmax_ce(double *loss, float *dz, float *per_event, const float *z, const float *target, PetscInt target_ld, const float *weight, PetscInt B, PetscInt K, double norm)
{
  double total = 0.0;

  PetscFunctionBegin;
  PetscCall(loss_check("softmax cross-entropy", z, target, target_ld, B, K, norm));
  for (PetscInt b = 0; b < B; b++) {
    const float *zb = z + (size_t)b * (size_t)K, *tb = target + (size_t)b * (size_t)target_ld;
    double       m = zb[0], s = 0.0, tsum = 0.0, tz = 0.0;

    for (PetscInt k = 1; k < K; k++) m = zb[k] > m ? zb[k] : m;
    for (PetscInt k = 0; k < K; k++) {
      s += exp(zb[k] - m);
      tsum += tb[k];
      tz += (double)tb[k] * zb[k];
    }
    double lse = m + log(s), l = lse * tsum - tz, w = weight ? weight[b] : 1.0;

    if (per_event) per_event[b] = (float)l;
    total += w * l;
    if (dz) {
      float *db = dz + (size_t)b * (size_t)K;
      double c  = w / norm;

      for (PetscInt k = 0; k < K; k++) db[k] += (float)(c * (exp(zb[k] - lse) * tsum - tb[k]));
    }
  }
  *loss = total / norm;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* l_b = (1/K) sum_k max(z,0) - z y + log1p(e^-|z|);  dl/dz = (sigmoid(z) - y) / K */
PetscErrorCode hd_nn_loss_bce_logits(double *loss, float *dz, float *per_event, const float *z, const float *target, PetscInt target_ld, const float *weight, PetscInt B, PetscInt K, double norm)
{
  double total = 0.0;

  PetscFunctionBegin;
  PetscCall(loss_check("binary cross-entropy", z, target, target_ld, B, K, norm));
  for (PetscInt b = 0; b < B; b++) {
    const float *zb = z + (size_t)b * (size_t)K, *yb = target + (size_t)b * (size_t)target_ld;
    double       l = 0.0, w = weight ? weight[b] : 1.0, c = w / (norm * (double)K);
    float       *db = dz ? dz + (size_t)b * (size_t)K : NULL;

    for (PetscInt k = 0; k < K; k++) {
      double x = zb[k], y = yb[k], e = exp(-fabs(x));

      l += (x > 0.0 ? x : 0.0) - x * y + log1p(e);
      if (db) {
        double sig = x >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);

        db[k] += (float)(c * (sig - y));
      }
    }
    l /= (double)K;
    if (per_event) per_event[b] = (float)l;
    total += w * l;
  }
  *loss = total / norm;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* l_b = (1/K) sum_k (z - y)^2;  dl/dz = 2 (z - y) / K */
PetscErrorCode hd_nn_loss_mse(double *loss, float *dz, float *per_event, const float *z, const float *target, PetscInt target_ld, const float *weight, PetscInt B, PetscInt K, double norm)
{
  double total = 0.0;

  PetscFunctionBegin;
  PetscCall(loss_check("mean squared error", z, target, target_ld, B, K, norm));
  for (PetscInt b = 0; b < B; b++) {
    const float *zb = z + (size_t)b * (size_t)K, *yb = target + (size_t)b * (size_t)target_ld;
    double       l = 0.0, w = weight ? weight[b] : 1.0, c = 2.0 * w / (norm * (double)K);
    float       *db = dz ? dz + (size_t)b * (size_t)K : NULL;

    for (PetscInt k = 0; k < K; k++) {
      double d = (double)zb[k] - (double)yb[k];

      l += d * d;
      if (db) db[k] += (float)(c * d);
    }
    l /= (double)K;
    if (per_event) per_event[b] = (float)l;
    total += w * l;
  }
  *loss = total / norm;
  PetscFunctionReturn(PETSC_SUCCESS);
}
