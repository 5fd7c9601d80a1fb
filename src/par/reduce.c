/* Exact, split-independent sum of shard gradients inside a group (DESIGN.md section 2).
 *
 * Per tensor t, every shard value g is rounded to an integer number of quanta q_t = 2^(e_t - 50),
 * where 2^e_t bounds max |g| over all shards of the group, so |g / q_t| < 2^50. The integers are
 * added in int64: at most HD_PAR_SHARD_LIMIT = 2^12 shards keep the sum below 2^62, so integer
 * addition is exact, and being associative it gives the same sum whatever the order in which
 * MPI or this rank adds them. The sum times q_t is rounded to float once. docs/parallel.md states
 * the precision and the cost. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <hadal/par.h>

/* Bits of a quantised shard value: |g / q| < 2^HD_PAR_QUANT_BITS. */
#define HD_PAR_QUANT_BITS 50
/* Exponent sentinels for the MAX allreduce: a tensor that is zero on every shard, and one with a
 * NaN or Inf somewhere (it wins the MAX, so every rank learns of it). */
#define HD_PAR_EXP_ZERO      INT_MIN
#define HD_PAR_EXP_NONFINITE INT_MAX
/* Magnitude bits of a float at or above which it is Inf or NaN. */
#define HD_PAR_NONFINITE_BITS 0x7f800000u

static PetscBool     hd_par_log_registered = PETSC_FALSE;
static PetscLogEvent hd_par_ev_scan, hd_par_ev_convert, hd_par_ev_allreduce;

/* Registers the -log_view events once per process (PETSc's usual package pattern). */
static PetscErrorCode hd_par_log_register(void)
{
  PetscClassId cid;

  PetscFunctionBegin;
  if (hd_par_log_registered) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscClassIdRegister("hadal par", &cid));
  PetscCall(PetscLogEventRegister("hdGradScanMax", cid, &hd_par_ev_scan));
  PetscCall(PetscLogEventRegister("hdGradConvert", cid, &hd_par_ev_convert));
  PetscCall(PetscLogEventRegister("hdGradAllreduce", cid, &hd_par_ev_allreduce));
  hd_par_log_registered = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The loops below work in blocks of HD_PAR_BLOCK elements: a fixed inner trip count lets the
 * compiler vectorise them at -O2, where GCC's cheap cost model leaves open-ended loops scalar. */
#define HD_PAR_BLOCK 64

/* The largest magnitude bit pattern of g[0..n), or m if larger. For non-negative floats the
 * integer order of the bit patterns is the numeric order, and Inf/NaN sort above every finite
 * value, so one integer max finds both max |g| and any non-finite value. Magnitudes fit in a
 * signed int32, whose max vectorises with SSE2 (an unsigned one does not). */
static uint32_t hd_par_absmax_bits(const float *g, PetscInt n, uint32_t m)
{
  PetscInt i = 0;

  for (; i + HD_PAR_BLOCK <= n; i += HD_PAR_BLOCK) {
    int32_t block = 0;

    for (int j = 0; j < HD_PAR_BLOCK; j++) {
      uint32_t b;
      int32_t  a;

      memcpy(&b, &g[i + j], sizeof(b));
      a     = (int32_t)(b & 0x7fffffffu);
      block = a > block ? a : block;
    }
    m = (uint32_t)block > m ? (uint32_t)block : m;
  }
  for (; i < n; i++) {
    uint32_t b;

    memcpy(&b, &g[i], sizeof(b));
    b &= 0x7fffffffu;
    m = b > m ? b : m;
  }
  return m;
}

/* Round-to-nearest-even of g * scale as an int64, for |g * scale| < 2^51: adding 1.5 * 2^52
 * lands in [2^52, 2^53), where doubles are the integers, so the addition itself rounds and the
 * integer is the difference of the bit patterns. Equals llrint(ldexp(g, -e)) (the product by a
 * power of two is exact in double), without a scalar conversion per element. */
static inline int64_t hd_par_round(float g, double scale)
{
  const double magic = 6755399441055744.0, /* 1.5 * 2^52 */
    v                = (double)g * scale + magic;
  int64_t b, mb;

  memcpy(&b, &v, sizeof(b));
  memcpy(&mb, &magic, sizeof(mb));
  return b - mb;
}

/* acc = (first ? 0 : acc) + the integers of g * scale. */
static void hd_par_quantize(const float *g, PetscInt n, double scale, int64_t *acc, PetscBool first)
{
  PetscInt i = 0;

  if (first) {
    for (; i + HD_PAR_BLOCK <= n; i += HD_PAR_BLOCK)
      for (int j = 0; j < HD_PAR_BLOCK; j++) acc[i + j] = hd_par_round(g[i + j], scale);
    for (; i < n; i++) acc[i] = hd_par_round(g[i], scale);
  } else {
    for (; i + HD_PAR_BLOCK <= n; i += HD_PAR_BLOCK)
      for (int j = 0; j < HD_PAR_BLOCK; j++) acc[i + j] += hd_par_round(g[i + j], scale);
    for (; i < n; i++) acc[i] += hd_par_round(g[i], scale);
  }
}

/* out = sum * 2^e: the int64 -> float conversion is the one rounding; the product by a power of
 * two is exact in double and exact again in float unless the result leaves the normal range. */
static void hd_par_dequantize(const int64_t *acc, PetscInt n, double unit, float *out)
{
  for (PetscInt i = 0; i < n; i++) out[i] = (float)((double)(float)acc[i] * unit);
}

/* "tensor 3 (layer1.weight)", or "tensor 3" when the tensors have no names. */
static const char *hd_par_tensor_label(const hd_par_reducer *r, PetscInt t, char *buf, size_t len)
{
  const char *name = r->names + (size_t)t * HD_PAR_NAME_LEN;

  if (name[0]) snprintf(buf, len, "tensor %" PetscInt_FMT " (%s)", t, name);
  else snprintf(buf, len, "tensor %" PetscInt_FMT, t);
  return buf;
}

PetscErrorCode hd_par_reducer_create(MPI_Comm comm, PetscInt n_params, PetscInt n_tensors, const PetscInt *offsets, const PetscInt *sizes, hd_par_reducer *r)
{
  PetscFunctionBegin;
  memset(r, 0, sizeof(*r));
  PetscCheck(n_params >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "gradient reducer for %" PetscInt_FMT " parameters: at least 1 is needed", n_params);
  PetscCheck(n_tensors >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "gradient reducer with %" PetscInt_FMT " tensors: at least 1 is needed", n_tensors);
  PetscCheck(offsets && sizes, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "gradient reducer: the tensor table (offsets, sizes) is missing");
  for (PetscInt t = 0; t < n_tensors; t++) {
    PetscInt expect = t ? offsets[t - 1] + sizes[t - 1] : 0;

    PetscCheck(sizes[t] >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "tensor %" PetscInt_FMT " has size %" PetscInt_FMT ": sizes cannot be negative", t, sizes[t]);
    PetscCheck(offsets[t] == expect, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "tensor %" PetscInt_FMT " starts at offset %" PetscInt_FMT " but the tensors before it end at %" PetscInt_FMT ": the table must be packed without gaps", t, offsets[t], expect);
  }
  PetscCheck(offsets[n_tensors - 1] + sizes[n_tensors - 1] == n_params, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "the tensors cover %" PetscInt_FMT " values but the gradient buffer holds %" PetscInt_FMT, offsets[n_tensors - 1] + sizes[n_tensors - 1], n_params);
  PetscCall(hd_par_log_register());
  r->comm      = comm;
  r->n_params  = n_params;
  r->n_tensors = n_tensors;
  PetscCall(PetscMalloc1(n_tensors, &r->offset));
  PetscCall(PetscMalloc1(n_tensors, &r->size));
  PetscCall(PetscArraycpy(r->offset, offsets, n_tensors));
  PetscCall(PetscArraycpy(r->size, sizes, n_tensors));
  PetscCall(PetscCalloc1((size_t)n_tensors * HD_PAR_NAME_LEN, &r->names));
  PetscCall(PetscMalloc1(n_tensors, &r->exponent));
  PetscCall(PetscMalloc1(n_params + 1, &r->acc));
  PetscCall(PetscMalloc1(HD_PAR_SHARD_LIMIT * (HD_PAR_MAX_SCALARS + 1), &r->scalars));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_reducer_set_names(hd_par_reducer *r, const char *const *names)
{
  PetscFunctionBegin;
  for (PetscInt t = 0; t < r->n_tensors; t++) PetscCall(PetscStrncpy(r->names + (size_t)t * HD_PAR_NAME_LEN, names[t] ? names[t] : "", HD_PAR_NAME_LEN));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_reducer_destroy(hd_par_reducer *r)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(r->offset));
  PetscCall(PetscFree(r->size));
  PetscCall(PetscFree(r->names));
  PetscCall(PetscFree(r->exponent));
  PetscCall(PetscFree(r->acc));
  PetscCall(PetscFree(r->scalars));
  r->n_params  = 0;
  r->n_tensors = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_reducer_sum(hd_par_reducer *r, PetscInt n_local_shards, const float *const *shard_grads, float *out)
{
  const PetscInt n = r->n_params;
  PetscInt       n_bad = 0, first_bad = -1, n_shards;
  char           label[64];

  PetscFunctionBegin;
  PetscCheck(n_local_shards >= 0 && n_local_shards <= HD_PAR_SHARD_LIMIT, PETSC_COMM_SELF, HD_ERR_INTERNAL, "gradient sum over %" PetscInt_FMT " local shards: between 0 and %d", n_local_shards, HD_PAR_SHARD_LIMIT);
  PetscCheck(n_local_shards == 0 || shard_grads, PETSC_COMM_SELF, HD_ERR_INTERNAL, "gradient sum: %" PetscInt_FMT " shards but no shard buffers", n_local_shards);
  for (PetscInt k = 0; k < n_local_shards; k++) PetscCheck(shard_grads[k], PETSC_COMM_SELF, HD_ERR_INTERNAL, "gradient sum: shard buffer %" PetscInt_FMT " is NULL", k);

  /* 1. The exponent of max |g| per tensor over the group (one small MAX allreduce). Shard by
   * shard, each read in one sequential sweep (faster than tensor by tensor across the shards). The
   * largest magnitude bit patterns (<= 0x7fffffff) are kept in exponent[] until converted. */
  PetscCall(PetscLogEventBegin(hd_par_ev_scan, 0, 0, 0, 0));
  for (PetscInt t = 0; t < r->n_tensors; t++) r->exponent[t] = 0;
  for (PetscInt k = 0; k < n_local_shards; k++)
    for (PetscInt t = 0; t < r->n_tensors; t++) r->exponent[t] = (int)hd_par_absmax_bits(shard_grads[k] + r->offset[t], r->size[t], (uint32_t)r->exponent[t]);
  for (PetscInt t = 0; t < r->n_tensors; t++) {
    uint32_t m = (uint32_t)r->exponent[t];
    float    mf;
    int      e;

    if (m >= HD_PAR_NONFINITE_BITS) r->exponent[t] = HD_PAR_EXP_NONFINITE;
    else if (m == 0) r->exponent[t] = HD_PAR_EXP_ZERO;
    else {
      memcpy(&mf, &m, sizeof(mf));
      (void)frexpf(mf, &e); /* mf = f 2^e with f in [0.5, 1): mf < 2^e */
      r->exponent[t] = e;
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, r->exponent, (int)r->n_tensors, MPI_INT, MPI_MAX, r->comm));
  PetscCall(PetscLogEventEnd(hd_par_ev_scan, 0, 0, 0, 0));
  /* Every rank sees the same exponents, so every rank raises this error (no rank waits alone in
   * the allreduce below). */
  for (PetscInt t = 0; t < r->n_tensors; t++) {
    if (r->exponent[t] == HD_PAR_EXP_NONFINITE) {
      if (first_bad < 0) first_bad = t;
      n_bad++;
    }
  }
  PetscCheck(n_bad == 0, r->comm, PETSC_ERR_FP, "non-finite gradient (NaN or Inf) at step %" PetscInt_FMT " in %s (%" PetscInt_FMT " of %" PetscInt_FMT " tensors affected): lower the learning rate or look for NaN in the inputs", r->step,
             hd_par_tensor_label(r, first_bad, label, sizeof(label)), n_bad, r->n_tensors);

  /* 2. Quantise and add the local shards (exact), then one SUM allreduce of the whole buffer. The
   * extra last entry counts the group's shards. */
  PetscCall(PetscLogEventBegin(hd_par_ev_convert, 0, 0, 0, 0));
  if (n_local_shards == 0) PetscCall(PetscArrayzero(r->acc, n));
  for (PetscInt k = 0; k < n_local_shards; k++) {
    for (PetscInt t = 0; t < r->n_tensors; t++) {
      int64_t *acc = r->acc + r->offset[t];

      if (r->exponent[t] == HD_PAR_EXP_ZERO) {
        if (k == 0) PetscCall(PetscArrayzero(acc, r->size[t]));
        continue;
      }
      hd_par_quantize(shard_grads[k] + r->offset[t], r->size[t], ldexp(1.0, HD_PAR_QUANT_BITS - r->exponent[t]), acc, k == 0 ? PETSC_TRUE : PETSC_FALSE);
    }
  }
  r->acc[n] = (int64_t)n_local_shards;
  PetscCall(PetscLogEventEnd(hd_par_ev_convert, 0, 0, 0, 0));
  PetscCall(PetscLogEventBegin(hd_par_ev_allreduce, 0, 0, 0, 0));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, r->acc, (int)(n + 1), MPI_INT64_T, MPI_SUM, r->comm));
  PetscCall(PetscLogEventEnd(hd_par_ev_allreduce, 0, 0, 0, 0));
  n_shards = (PetscInt)r->acc[n];
  PetscCheck(n_shards >= 1 && n_shards <= HD_PAR_SHARD_LIMIT, r->comm, HD_ERR_INTERNAL, "gradient sum at step %" PetscInt_FMT ": the group added %" PetscInt_FMT " shards, but a sum takes between 1 and %d", r->step, n_shards, HD_PAR_SHARD_LIMIT);

  /* 3. Back to float, rounding once. */
  PetscCall(PetscLogEventBegin(hd_par_ev_convert, 0, 0, 0, 0));
  for (PetscInt t = 0; t < r->n_tensors; t++) {
    float *o = out + r->offset[t];

    if (r->exponent[t] == HD_PAR_EXP_ZERO) {
      memset(o, 0, sizeof(*o) * (size_t)r->size[t]);
      continue;
    }
    hd_par_dequantize(r->acc + r->offset[t], r->size[t], ldexp(1.0, r->exponent[t] - HD_PAR_QUANT_BITS), o);
    /* The sum of S finite floats can exceed the float range; the result is the same on every
     * rank, so so is this error. */
    PetscCheck(hd_par_absmax_bits(o, r->size[t], 0) < HD_PAR_NONFINITE_BITS, r->comm, PETSC_ERR_FP, "gradient sum at step %" PetscInt_FMT " overflows float in %s (shard values up to 2^%d): lower the learning rate or rescale the loss", r->step, hd_par_tensor_label(r, t, label, sizeof(label)), r->exponent[t]);
  }
  PetscCall(PetscLogEventEnd(hd_par_ev_convert, 0, 0, 0, 0));
  r->n_shards = n_shards;
  r->step++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_reducer_sum_scalars(hd_par_reducer *r, PetscInt n_shards, PetscInt first_shard, PetscInt n_local_shards, PetscInt n_values, const double *local, double *sum)
{
  const PetscInt w = n_values + 1; /* the values, then a 1 marking who holds the shard */
  PetscInt       n_missing = 0, first_missing = -1;

  PetscFunctionBegin;
  PetscCheck(n_shards >= 1 && n_shards <= HD_PAR_SHARD_LIMIT, PETSC_COMM_SELF, HD_ERR_INTERNAL, "scalar sum over %" PetscInt_FMT " shards: between 1 and %d", n_shards, HD_PAR_SHARD_LIMIT);
  PetscCheck(n_values >= 1 && n_values <= HD_PAR_MAX_SCALARS, PETSC_COMM_SELF, HD_ERR_INTERNAL, "scalar sum of %" PetscInt_FMT " values per shard: between 1 and %d", n_values, HD_PAR_MAX_SCALARS);
  PetscCheck(first_shard >= 0 && n_local_shards >= 0 && first_shard + n_local_shards <= n_shards, PETSC_COMM_SELF, HD_ERR_INTERNAL, "scalar sum: local shards [%" PetscInt_FMT ", %" PetscInt_FMT ") are outside the %" PetscInt_FMT " shards", first_shard, first_shard + n_local_shards, n_shards);
  PetscCheck(n_local_shards == 0 || local, PETSC_COMM_SELF, HD_ERR_INTERNAL, "scalar sum: %" PetscInt_FMT " local shards but no values", n_local_shards);
  PetscCall(PetscArrayzero(r->scalars, n_shards * w));
  for (PetscInt k = 0; k < n_local_shards; k++) {
    double *row = r->scalars + (first_shard + k) * w;

    for (PetscInt v = 0; v < n_values; v++) row[v] = local[k * n_values + v];
    row[n_values] = 1.0;
  }
  /* Each entry has one non-zero contributor: x + 0 + ... + 0 = x in any order, so this sum is exact. */
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, r->scalars, (int)(n_shards * w), MPI_DOUBLE, MPI_SUM, r->comm));
  for (PetscInt s = 0; s < n_shards; s++) {
    if (r->scalars[s * w + n_values] != 1.0) {
      if (first_missing < 0) first_missing = s;
      n_missing++;
    }
  }
  PetscCheck(n_missing == 0, r->comm, HD_ERR_INTERNAL, "scalar sum: shard %" PetscInt_FMT " of %" PetscInt_FMT " is held by %" PetscInt_FMT " ranks (%" PetscInt_FMT " shards not held by exactly one rank)", first_missing, n_shards, first_missing >= 0 ? (PetscInt)r->scalars[first_missing * w + n_values] : 0, n_missing);
  /* In shard order, in double: the same additions on every rank. */
  for (PetscInt v = 0; v < n_values; v++) {
    double acc = 0.0;

    for (PetscInt s = 0; s < n_shards; s++) acc += r->scalars[s * w + v];
    sum[v] = acc;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
