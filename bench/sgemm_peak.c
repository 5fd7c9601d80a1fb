/* Single-thread sgemm throughput: the ceiling against which hadal's training throughput is read.
 *
 *   sgemm_peak                          the default shapes below, best of each, then the peak
 *   sgemm_peak -m M -n N -k K           one row-major C (M,N) = A (M,K) B (K,N)
 *   sgemm_peak -min_time S              seconds spent timing each shape (default 0.5)
 *
 * The last line is `sgemm peak GFLOP/s: X`, the best shape's rate. The default shapes are the
 * forward GEMMs of the svdd workload (bench/README.md) and two squares; more lines time the GEMMs
 * of a whole svdd and ae training step back to back (forward, dW and dX of every layer, dX skipped
 * for the first), a tighter bound for what those workloads can reach: once over the whole batch of
 * 10,000 rows, and once cut into the trainer's 64 shards of 156-157 rows (every shard's GEMMs, one
 * shard after the other), which is how hadal's step runs them. BLAS runs on one thread, as it does
 * in hadal. */
#include <string.h>
#include <cblas.h>
#include <hadal/error.h>
#include <hadal/log.h>
#include <hadal/options.h>

typedef struct {
  const char     *label;
  CBLAS_TRANSPOSE ta, tb;
  PetscInt        m, n, k; /* C (m, n) = op(A) (m, k) op(B) (k, n), row-major */
} hd_gemm_shape;

/* Rows of the svdd workload's minibatch and its layer widths (bench/README.md). */
#define SVDD_BATCH  10000
#define SVDD_LAYERS 4
static const PetscInt svdd_widths[SVDD_LAYERS + 1] = {69, 512, 256, 128, 34};
#define AE_LAYERS 10
static const PetscInt ae_widths[AE_LAYERS + 1] = {57, 256, 128, 64, 32, 5, 32, 64, 128, 256, 57};
#define STEP_SHARDS 64 /* the trainer's default most shards per minibatch (HD_PAR_MAX_SHARDS) */

/* Not collective. Fill n floats with a fixed pattern in [-0.5, 0.5): the values do not change the
 * time of an sgemm, only denormals or NaNs would, and this has neither. */
static void hd_bench_fill(float *x, size_t n, unsigned salt)
{
  for (size_t i = 0; i < n; i++) x[i] = (float)((i * 2654435761u + salt) % 1000u) / 1000.0f - 0.5f;
}

/* Not collective. One C = op(A) op(B) with buffers large enough for the shape. */
static void hd_bench_gemm(const hd_gemm_shape *s, const float *a, const float *b, float *c)
{
  const PetscInt lda = s->ta == CblasNoTrans ? s->k : s->m;
  const PetscInt ldb = s->tb == CblasNoTrans ? s->n : s->k;

  cblas_sgemm(CblasRowMajor, s->ta, s->tb, (int)s->m, (int)s->n, (int)s->k, 1.0f, a, (int)lda, b, (int)ldb, 0.0f, c,
              (int)s->n);
}

/* Not collective. Time a sequence of GEMMs run back to back for about min_time seconds; *gflops is
 * the best repetition's rate (FLOPs counted as 2 m n k per GEMM, in double). */
static PetscErrorCode hd_bench_time(const hd_gemm_shape *shapes, PetscInt n_shapes, PetscReal min_time, double *gflops)
{
  size_t  na = 0, nb = 0, nc = 0;
  float  *a, *b, *c;
  double  flops = 0.0, best = 0.0, t_start;
  PetscInt reps = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n_shapes; i++) {
    const hd_gemm_shape *s = &shapes[i];
    na = PetscMax(na, (size_t)(s->m * s->k));
    nb = PetscMax(nb, (size_t)(s->k * s->n));
    nc = PetscMax(nc, (size_t)(s->m * s->n));
    flops += 2.0 * (double)s->m * (double)s->n * (double)s->k;
  }
  PetscCall(PetscMalloc1(na, &a));
  PetscCall(PetscMalloc1(nb, &b));
  PetscCall(PetscMalloc1(nc, &c));
  hd_bench_fill(a, na, 1u);
  hd_bench_fill(b, nb, 7u);
  hd_bench_fill(c, nc, 13u);

  for (PetscInt i = 0; i < n_shapes; i++) hd_bench_gemm(&shapes[i], a, b, c); /* warm up caches and BLAS buffers */
  t_start = hd_wtime();
  do {
    double t0 = hd_wtime(), dt;
    for (PetscInt i = 0; i < n_shapes; i++) hd_bench_gemm(&shapes[i], a, b, c);
    dt = hd_wtime() - t0;
    if (dt > 0.0 && (best == 0.0 || dt < best)) best = dt;
    reps++;
  } while (hd_wtime() - t_start < min_time || reps < 2);
  *gflops = best > 0.0 ? flops / best / 1e9 : 0.0;

  PetscCall(PetscFree(a));
  PetscCall(PetscFree(b));
  PetscCall(PetscFree(c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Not collective. The GEMMs of one training step of a dense stack on `batch` rows cut into
 * `shards` equal-as-can-be shards (shard i: rows [i B / S, (i + 1) B / S)), shard after shard:
 * out (b,O) = in (b,I) W^T; dW (O,I) = dY^T (O,b) in (b,I); dIn (b,I) = dY (b,O) W (O,I), the last
 * not for the first layer. *shapes is allocated here (free with PetscFree). */
static PetscErrorCode hd_bench_step_shapes(const PetscInt *widths, PetscInt n_layers, PetscInt batch, PetscInt shards, hd_gemm_shape **shapes, PetscInt *n)
{
  PetscFunctionBegin;
  PetscCall(PetscMalloc1(3 * n_layers * shards, shapes));
  *n = 0;
  for (PetscInt s = 0; s < shards; s++) {
    const PetscInt rows = (s + 1) * batch / shards - s * batch / shards;
    for (PetscInt l = 0; l < n_layers; l++) {
      const PetscInt in = widths[l], out = widths[l + 1];
      (*shapes)[(*n)++] = (hd_gemm_shape){"fwd", CblasNoTrans, CblasTrans, rows, out, in};
      (*shapes)[(*n)++] = (hd_gemm_shape){"dW", CblasTrans, CblasNoTrans, out, in, rows};
      if (l > 0) (*shapes)[(*n)++] = (hd_gemm_shape){"dX", CblasNoTrans, CblasNoTrans, rows, in, out};
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on comm (rank 0 prints; run it on one rank). */
static PetscErrorCode hd_bench_sgemm_peak(MPI_Comm comm)
{
  PetscInt      m, n, k;
  PetscReal     min_time;
  PetscBool     m_set, n_set, k_set, help_only;
  double        gflops, peak = 0.0;
  hd_gemm_shape defaults[] = {
    {"svdd layer 1 forward 10000x512x69",  CblasNoTrans, CblasTrans,   SVDD_BATCH, 512,  69  },
    {"svdd layer 2 forward 10000x256x512", CblasNoTrans, CblasTrans,   SVDD_BATCH, 256,  512 },
    {"svdd layer 3 forward 10000x128x256", CblasNoTrans, CblasTrans,   SVDD_BATCH, 128,  256 },
    {"square 1024",                        CblasNoTrans, CblasNoTrans, 1024,       1024, 1024},
    {"square 2048",                        CblasNoTrans, CblasNoTrans, 2048,       2048, 2048},
  };
  hd_gemm_shape *step;
  PetscInt       n_step;

  PetscFunctionBegin;
  PetscCall(hd_opt_int("-m", "rows of C (with -n and -k: time this one shape instead of the defaults)", 0, &m, &m_set));
  PetscCall(hd_opt_int("-n", "columns of C", 0, &n, &n_set));
  PetscCall(hd_opt_int("-k", "inner dimension", 0, &k, &k_set));
  PetscCall(hd_opt_real("-min_time", "seconds spent timing each shape", 0.5, &min_time, NULL));
  PetscCall(hd_opt_finish(comm, "sgemm_peak [-m M -n N -k K] [-min_time S]", &help_only));
  if (help_only) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(min_time >= 0.0, comm, HD_ERR_USER_INPUT, "option -min_time: %g seconds is negative", (double)min_time);
  PetscCheck(m_set == n_set && n_set == k_set, comm, HD_ERR_USER_INPUT, "options -m, -n and -k go together: give all three or none");

  openblas_set_num_threads(1);
  PetscCall(hd_log(comm, "sgemm, 1 thread, %s\n", openblas_get_config()));
  if (m_set) {
    hd_gemm_shape one = {"", CblasNoTrans, CblasNoTrans, m, n, k};

    PetscCheck(m > 0 && n > 0 && k > 0, comm, HD_ERR_USER_INPUT, "options -m -n -k: %" PetscInt_FMT "x%" PetscInt_FMT "x%" PetscInt_FMT " must all be positive", m, n, k);
    PetscCall(hd_bench_time(&one, 1, min_time, &gflops));
    PetscCall(hd_log(comm, "%" PetscInt_FMT "x%" PetscInt_FMT "x%" PetscInt_FMT " GFLOP/s: %.2f\n", m, n, k, gflops));
    peak = gflops;
  } else {
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
      PetscCall(hd_bench_time(&defaults[i], 1, min_time, &gflops));
      PetscCall(hd_log(comm, "%s GFLOP/s: %.2f\n", defaults[i].label, gflops));
      peak = PetscMax(peak, gflops);
    }
    /* whole svdd and ae training steps: over the whole batch, then shard by shard */
    const struct {
      const char     *name;
      const PetscInt *widths;
      PetscInt        n_layers;
    } stacks[] = {{"svdd", svdd_widths, SVDD_LAYERS}, {"ae", ae_widths, AE_LAYERS}};
    for (size_t i = 0; i < sizeof(stacks) / sizeof(stacks[0]); i++) {
      PetscCall(hd_bench_step_shapes(stacks[i].widths, stacks[i].n_layers, SVDD_BATCH, 1, &step, &n_step));
      PetscCall(hd_bench_time(step, n_step, min_time, &gflops));
      PetscCall(PetscFree(step));
      PetscCall(hd_log(comm, "%s step (%" PetscInt_FMT " GEMMs) GFLOP/s: %.2f\n", stacks[i].name, n_step, gflops));
      PetscCall(hd_bench_step_shapes(stacks[i].widths, stacks[i].n_layers, SVDD_BATCH, STEP_SHARDS, &step, &n_step));
      PetscCall(hd_bench_time(step, n_step, min_time, &gflops));
      PetscCall(PetscFree(step));
      PetscCall(hd_log(comm, "%s step in %d shards (%" PetscInt_FMT " GEMMs) GFLOP/s: %.2f\n", stacks[i].name, STEP_SHARDS, n_step, gflops));
    }
  }
  PetscCall(hd_log(comm, "sgemm peak GFLOP/s: %.2f\n", peak));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  int            status = 0;

  /* -help is ours, not PETSc's generic one: take it off the line before PETSc sees it. */
  int kept = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-help") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) hd_opt_set_help_requested(PETSC_TRUE);
    else argv[kept++] = argv[i];
  }
  argc = kept;
  openblas_set_num_threads(1);
  ierr = PetscInitialize(&argc, &argv, NULL, NULL);
  if (ierr) {
    fprintf(stderr, "sgemm_peak: error: cannot initialise PETSc/MPI\n");
    return 1;
  }
  hd_error_handler_push();
  ierr = hd_bench_sgemm_peak(PETSC_COMM_WORLD);
  if (ierr) {
    fprintf(stderr, "sgemm_peak: error: %s [%s]\n", hd_error_message(), hd_error_origin());
    status = 1;
  }
  PetscPopErrorHandler();
  PetscFinalize();
  return status;
}
