/* Small collectives for the layers above par (see include/hadal/par.h): methods and stats reach
 * MPI only through these and the rest of par. */
#include <hadal/par.h>

PetscErrorCode hd_par_rank_size(hd_comm comm, int *rank, int *size)
{
  PetscFunctionBegin;
  if (rank) PetscCallMPI(MPI_Comm_rank(comm, rank));
  if (size) PetscCallMPI(MPI_Comm_size(comm, size));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void hd_par_block(PetscInt n, int rank, int size, PetscInt *offset, PetscInt *count)
{
  PetscInt lo = (PetscInt)(((int64_t)n * rank) / size), hi = (PetscInt)(((int64_t)n * (rank + 1)) / size);

  *offset = lo;
  *count  = hi - lo;
}

PetscErrorCode hd_par_any(hd_comm comm, PetscBool mine, PetscBool *any)
{
  int in = mine ? 1 : 0, out;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, comm));
  *any = out ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* MPI counts are int: one call moves at most this many values. */
#define HD_PAR_CHUNK ((PetscInt)1 << 30)

/* out[i] = op over the ranks of in[i], in chunks of at most HD_PAR_CHUNK values; out may alias in. */
static PetscErrorCode hd_par_allreduce(hd_comm comm, PetscInt n, const void *in, void *out, MPI_Datatype type, size_t size, MPI_Op op)
{
  PetscFunctionBegin;
  PetscCheck(n >= 0, comm, HD_ERR_INTERNAL, "reduction of %" PetscInt_FMT " values", n);
  for (PetscInt k = 0; k < n; k += HD_PAR_CHUNK) {
    const char *src = (const char *)in + (size_t)k * size;
    char       *dst = (char *)out + (size_t)k * size;
    PetscCallMPI(MPI_Allreduce(in == out ? MPI_IN_PLACE : src, dst, (int)PetscMin(HD_PAR_CHUNK, n - k), type, op, comm));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_sum_int64(hd_comm comm, PetscInt n, const int64_t *in, int64_t *out)
{
  PetscFunctionBegin;
  PetscCall(hd_par_allreduce(comm, n, in, out, MPI_INT64_T, sizeof(int64_t), MPI_SUM));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_sum_double(hd_comm comm, PetscInt n, const double *in, double *out)
{
  PetscFunctionBegin;
  PetscCall(hd_par_allreduce(comm, n, in, out, MPI_DOUBLE, sizeof(double), MPI_SUM));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_min_double(hd_comm comm, PetscInt n, const double *in, double *out)
{
  PetscFunctionBegin;
  PetscCall(hd_par_allreduce(comm, n, in, out, MPI_DOUBLE, sizeof(double), MPI_MIN));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_max_double(hd_comm comm, PetscInt n, const double *in, double *out)
{
  PetscFunctionBegin;
  PetscCall(hd_par_allreduce(comm, n, in, out, MPI_DOUBLE, sizeof(double), MPI_MAX));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_max_bytes(hd_comm comm, PetscInt n, char *bytes)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < n; k += HD_PAR_CHUNK) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, bytes + k, (int)PetscMin(HD_PAR_CHUNK, n - k), MPI_CHAR, MPI_MAX, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_allgather_blocks(hd_comm comm, PetscInt n_rows, PetscInt width, hd_par_type type, const void *local, void *all)
{
  int                 rank, size, *counts, *displs;
  MPI_Datatype        mtype = type == HD_PAR_FLOAT ? MPI_FLOAT : type == HD_PAR_INT32 ? MPI_INT32_T : type == HD_PAR_INT64 ? MPI_INT64_T : MPI_DOUBLE;

  PetscFunctionBegin;
  PetscCheck(type >= HD_PAR_FLOAT && type <= HD_PAR_DOUBLE, PETSC_COMM_SELF, HD_ERR_INTERNAL, "hd_par_allgather_blocks: unknown type %d", (int)type);
  PetscCall(hd_par_rank_size(comm, &rank, &size));
  PetscCheck((double)n_rows * (double)width < 2147483647.0, comm, HD_ERR_USER_INPUT, "%" PetscInt_FMT " rows x %" PetscInt_FMT " values are too many to hold on every rank", n_rows, width);
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  for (int r = 0; r < size; r++) {
    PetscInt off, cnt;
    hd_par_block(n_rows, r, size, &off, &cnt);
    counts[r] = (int)(cnt * width);
    displs[r] = (int)(off * width);
  }
  PetscCallMPI(MPI_Allgatherv(local, counts[rank], mtype, all, counts, displs, mtype, comm));
  PetscCall(PetscFree2(counts, displs));
  PetscFunctionReturn(PETSC_SUCCESS);
}
