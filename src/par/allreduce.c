/* Small order-independent reductions for statistics (see include/hadal/par.h). */
#include <hadal/par.h>

/* MPI counts are int: a longer buffer is an error, never a truncation. */
static PetscErrorCode hd_par_count(MPI_Comm comm, PetscInt n, int *count)
{
  PetscFunctionBegin;
  PetscCheck(n >= 0 && n <= PETSC_MPI_INT_MAX, comm, HD_ERR_INTERNAL, "reduction of %" PetscInt_FMT " values: between 0 and %d", n, PETSC_MPI_INT_MAX);
  *count = (int)n;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_par_allreduce(MPI_Comm comm, PetscInt n, const void *in, void *out, MPI_Datatype type, MPI_Op op)
{
  int count;

  PetscFunctionBegin;
  PetscCall(hd_par_count(comm, n, &count));
  PetscCallMPI(MPI_Allreduce(in == out ? MPI_IN_PLACE : in, out, count, type, op, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_sum_int64(MPI_Comm comm, PetscInt n, const int64_t *in, int64_t *out)
{
  PetscFunctionBegin;
  PetscCall(hd_par_allreduce(comm, n, in, out, MPI_INT64_T, MPI_SUM));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_min_double(MPI_Comm comm, PetscInt n, const double *in, double *out)
{
  PetscFunctionBegin;
  PetscCall(hd_par_allreduce(comm, n, in, out, MPI_DOUBLE, MPI_MIN));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_max_double(MPI_Comm comm, PetscInt n, const double *in, double *out)
{
  PetscFunctionBegin;
  PetscCall(hd_par_allreduce(comm, n, in, out, MPI_DOUBLE, MPI_MAX));
  PetscFunctionReturn(PETSC_SUCCESS);
}
