/* Errors that only some ranks raise, made collective, and the small reductions of src/par.
 *   - hd_error_agree: no failure anywhere is success on every rank; a failure on one rank (each
 *     rank in turn) or on all of them is an error on every rank, with the message of the lowest
 *     failing rank and marked collective (so the hadal command prints it once).
 *   - hd_par_sum_int64 / hd_par_min_double / hd_par_max_double: known results, in place too. */
#include <stdio.h>
#include <hadal/par.h>
#include "check.h"

/* Fails on `bad_rank` (every rank when -1) with a message naming the rank. */
static PetscErrorCode fail_on(MPI_Comm comm, int bad_rank)
{
  int rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCheck(rank != bad_rank && bad_rank != -1, PETSC_COMM_SELF, HD_ERR_FILE_READ, "bad data on rank %d", rank);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  MPI_Comm       comm;
  int            rank, size;
  PetscErrorCode err;
  char           want[64];

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  comm = PETSC_COMM_WORLD;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(hd_error_handler_push());

  err = hd_error_agree(comm, fail_on(comm, size)); /* nobody fails */
  CHECK(err == 0, "no failure: got code %d", (int)err);
  for (int bad = -1; bad < size; bad++) {
    err = hd_error_agree(comm, fail_on(comm, bad));
    snprintf(want, sizeof(want), "bad data on rank %d", bad == -1 ? 0 : bad);
    expect_error(err, want, bad == -1 ? "failure on every rank" : "failure on one rank");
    CHECK(err == HD_ERR_FILE_READ, "the error class is kept: got %d", (int)err);
    CHECK(size == 1 || hd_error_is_collective(), "the agreed error is collective");
  }
  PetscCall(PetscPopErrorHandler());

  {
    int64_t c[3] = {1, rank, -((int64_t)rank << 40)}, s[3];
    double  v[2] = {(double)rank, -0.5 * rank}, lo[2], hi[2];
    int64_t sum_r = (int64_t)size * (size - 1) / 2;

    PetscCall(hd_par_sum_int64(comm, 3, c, s));
    CHECK(s[0] == size && s[1] == sum_r && s[2] == -(sum_r << 40), "sum_int64: %lld %lld %lld", (long long)s[0], (long long)s[1], (long long)s[2]);
    PetscCall(hd_par_sum_int64(comm, 3, c, c));
    CHECK(c[0] == s[0] && c[1] == s[1] && c[2] == s[2], "sum_int64 in place differs");
    PetscCall(hd_par_min_double(comm, 2, v, lo));
    PetscCall(hd_par_max_double(comm, 2, v, hi));
    CHECK(lo[0] == 0 && lo[1] == -0.5 * (size - 1) && hi[0] == size - 1 && hi[1] == 0, "min/max: [%g, %g] [%g, %g]", lo[0], hi[0], lo[1], hi[1]);
    PetscCall(hd_par_max_double(comm, 2, v, v));
    CHECK(v[0] == hi[0] && v[1] == hi[1], "max in place differs");
  }
  PetscCall(PetscFinalize());
  if (rank == 0) printf("%s\n", failures ? "error_agree: FAILED" : "error_agree: all passed");
  return failures ? 1 : 0;
}
