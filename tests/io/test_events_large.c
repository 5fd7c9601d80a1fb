/* A table of more than 2^31 elements (8.6 GB): written through the event writer in calls of more
 * than 2 GiB (so each call is cut into pieces), read into node-shared memory, every element checked
 * on every rank. Needs about 11 GB of memory and as much disk: it runs only when HADAL_TEST_LARGE
 * is set (ctest reports it skipped otherwise). Arguments: events features (default 37700000 57). */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <hdf5.h>
#include <hadal/events.h>
#include "check.h"

/* Exact in float: below 2^24. */
static float big_value(int64_t row, int64_t col) { return (float)((row * 7919 + col * 104729) % 16777213); }

int main(int argc, char **argv)
{
  int              rank, size, all;
  int64_t          n = argc > 1 ? atoll(argv[1]) : 37700000, nf = argc > 2 ? atoll(argv[2]) : 57, bad = 0, bad_all;
  const char      *path = "large_scratch.h5";
  char             names[64][HD_NAME_LEN];
  hd_events_layout L = {0};
  hd_events_writer w;
  hd_table         t;
  PetscInt         off, cnt;
  double           t0;

  if (!getenv("HADAL_TEST_LARGE")) {
    printf("SKIP: set HADAL_TEST_LARGE=1 to run (about 11 GB of memory and disk)\n");
    return 77;
  }
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(hd_error_handler_push());
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCheck(nf >= 1 && nf <= 64, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "features in [1, 64]");
  for (int j = 0; j < nf; j++) snprintf(names[j], HD_NAME_LEN, "x%d", j);
  L.n_events      = (PetscInt)n;
  L.n_features    = (PetscInt)nf;
  L.feature_names = names;
  if (rank == 0) printf("table %lld x %lld = %lld elements (2^31 = 2147483648), %.2f GB\n", (long long)n, (long long)nf, (long long)(n * nf), (double)(n * nf) * 4e-9);

  /* write: each rank's block in calls of up to 2.5 GB of features */
  t0 = MPI_Wtime();
  PetscCall(hd_events_writer_create(PETSC_COMM_WORLD, path, &L, &w));
  hd_events_block((PetscInt)n, rank, size, &off, &cnt);
  {
    int64_t  rows = (int64_t)(2.5e9 / (4.0 * (double)nf)), calls, most;
    float   *f;
    int32_t *lab;
    calls = (cnt + rows - 1) / rows;
    PetscCallMPI(MPI_Allreduce(&calls, &most, 1, MPI_INT64_T, MPI_MAX, PETSC_COMM_WORLD));
    PetscCall(PetscMalloc2((size_t)rows * (size_t)nf, &f, (size_t)rows, &lab));
    for (int64_t c = 0; c < most; c++) {
      int64_t r0 = c * rows, m = PetscMax(0, PetscMin(rows, (int64_t)cnt - r0));
      for (int64_t i = 0; i < m; i++) {
        for (int64_t j = 0; j < nf; j++) f[i * nf + j] = big_value(off + r0 + i, j);
        lab[i] = (int32_t)((off + r0 + i) & 1);
      }
      PetscCall(hd_events_writer_write(w, off + (PetscInt)PetscMin(r0, cnt), (PetscInt)m, f, NULL, lab, NULL, NULL, NULL, NULL));
    }
    PetscCall(PetscFree2(f, lab));
  }
  PetscCall(hd_events_writer_close(&w));
  if (rank == 0) printf("written in %.1f s\n", MPI_Wtime() - t0);

  /* read once per node and check every element on every rank */
  t0 = MPI_Wtime();
  PetscCall(hd_events_read_shared(PETSC_COMM_WORLD, path, NULL, &t));
  if (rank == 0) printf("read into shared memory in %.1f s on %d node(s)\n", MPI_Wtime() - t0, t.node.n_nodes);
  CHECK(t.layout.n_events == n && t.layout.n_features == nf, "layout %d x %d", (int)t.layout.n_events, (int)t.layout.n_features);
  for (int64_t i = 0; i < n; i++) {
    bad += t.label[i] != (int32_t)(i & 1);
    for (int64_t j = 0; j < nf; j++) bad += t.features[i * nf + j] != big_value(i, j);
  }
  PetscCallMPI(MPI_Allreduce(&bad, &bad_all, 1, MPI_INT64_T, MPI_SUM, PETSC_COMM_WORLD));
  CHECK(bad_all == 0, "%lld wrong values", (long long)bad_all);
  PetscCall(hd_table_destroy(&t));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  if (rank == 0) unlink(path);
  PetscCallMPI(MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD));
  if (rank == 0) printf("large table at %d ranks: %d failed checks\n", size, all);
  PetscCall(PetscFinalize());
  return all ? 1 : 0;
}
