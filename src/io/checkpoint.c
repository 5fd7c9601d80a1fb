/* Training checkpoints in HDF5 (see include/hadal/checkpoint.h). */
#include <string.h>
#include <unistd.h>
#include <hadal/blas_info.h>
#include <hadal/checkpoint.h>
#include <hadal/events.h>
#include <hadal/log.h>
#include <hadal/h5.h>

typedef struct {
  const char          *spec;
  const hd_checkpoint *ck;
} hd_ck_write_ctx;

/* Not collective. What the checkpoint was computed from: the data and the BLAS. */
static PetscErrorCode hd_ck_write_provenance(hid_t fid)
{
  char         data[HD_EVENTS_IDENTITY_LEN], path[PETSC_MAX_PATH_LEN];
  hd_blas_info b;

  PetscFunctionBegin;
  PetscCall(hd_events_data_identity(data, sizeof(data), path, sizeof(path)));
  PetscCall(hd_h5_attr_write_string(fid, "data", data));
  PetscCall(hd_h5_attr_write_string(fid, "data_path", path));
  hd_blas_info_get(&b);
  PetscCall(hd_h5_attr_write_string(fid, "blas", b.config));
  PetscCall(hd_h5_attr_write_string(fid, "blas_kernel", b.kernel));
  PetscCall(hd_h5_attr_write_int(fid, "blas_threads", b.threads));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on group. The checkpoint `fid` (open on every rank) was made on this run's data;
 * rank 0 hashes the data and tells the others. A different BLAS kernel is a warning. */
static PetscErrorCode hd_ck_check_provenance(MPI_Comm group, hid_t fid, const char *path)
{
  char         data[HD_EVENTS_IDENTITY_LEN] = "", data_path[PETSC_MAX_PATH_LEN], *file_data = NULL, *file_path = NULL, *file_kernel = NULL;
  PetscInt     n;
  int          rank;
  hd_blas_info b;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(group, &rank));
  if (rank == 0) PetscCall(hd_events_data_identity(data, sizeof(data), data_path, sizeof(data_path)));
  PetscCallMPI(MPI_Bcast(data, (int)sizeof(data), MPI_CHAR, 0, group));
  PetscCall(hd_h5_attr_read_strings(fid, "data", HD_EVENTS_IDENTITY_LEN, &n, &file_data));
  PetscCall(hd_h5_attr_read_strings(fid, "data_path", PETSC_MAX_PATH_LEN, &n, &file_path));
  PetscCheck(file_data && !strcmp(file_data, data), PETSC_COMM_SELF, HD_ERR_FILE_READ, "checkpoint '%s' was made on other data ('%s': %s), not this run's (%s): resume on the same data, or remove the checkpoint", path, file_path ? file_path : "?", file_data ? file_data : "unrecorded", data);
  PetscCall(PetscFree(file_data));
  PetscCall(PetscFree(file_path));
  PetscCall(hd_h5_attr_read_strings(fid, "blas_kernel", 64, &n, &file_kernel));
  hd_blas_info_get(&b);
  if (file_kernel && strcmp(file_kernel, b.kernel)) PetscCall(hd_log(group, "warning: checkpoint '%s' was written with the BLAS kernel %s, this run uses %s: the result will not be bit-identical to an uninterrupted run's\n", path, file_kernel, b.kernel));
  PetscCall(PetscFree(file_kernel));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* An hd_h5_serial_writer: the checkpoint ctx (an hd_ck_write_ctx) into the open file fid. */
static PetscErrorCode hd_ck_write_file(hid_t fid, const char *path, const void *ctx)
{
  const char          *spec = ((const hd_ck_write_ctx *)ctx)->spec;
  const hd_checkpoint *ck   = ((const hd_ck_write_ctx *)ctx)->ck;

  PetscFunctionBegin;
  PetscCall(hd_h5_attr_write_int(fid, "version", HD_CHECKPOINT_VERSION));
  PetscCall(hd_h5_attr_write_string(fid, "spec", spec));
  PetscCall(hd_ck_write_provenance(fid));
  PetscCall(hd_h5_attr_write_int(fid, "seed", (int64_t)ck->seed));
  PetscCall(hd_h5_attr_write_int(fid, "member", ck->member));
  PetscCall(hd_h5_attr_write_int(fid, "epoch", ck->epoch));
  PetscCall(hd_h5_attr_write_int(fid, "step", ck->step));
  PetscCall(hd_h5_attr_write_int(fid, "optim_step", ck->optim_step));
  PetscCall(hd_h5_attr_write_double(fid, "lr", ck->lr));
  PetscCall(hd_h5_attr_write_int(fid, "n_ranks", ck->n_ranks));
  PetscCall(hd_h5_attr_write_int(fid, "n_params", ck->n_params));
  PetscCall(hd_h5_attr_write_double(fid, "train_events", ck->train_events));
  PetscCall(hd_h5_attr_write_double(fid, "plateau_best", ck->plateau.best));
  PetscCall(hd_h5_attr_write_int(fid, "plateau_best_epoch", ck->plateau.best_epoch));
  PetscCall(hd_h5_attr_write_int(fid, "plateau_epoch", ck->plateau.epoch));
  PetscCall(hd_h5_attr_write_int(fid, "plateau_since_best", ck->plateau.since_best));
  PetscCall(hd_h5_attr_write_int(fid, "plateau_since_lr", ck->plateau.since_lr));
  PetscCall(hd_h5_attr_write_int(fid, "plateau_reductions", ck->plateau.n_reductions));
  PetscCall(hd_h5_write_1d(fid, path, "params", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, ck->n_params, ck->params));
  PetscCall(hd_h5_write_1d(fid, path, "best_params", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, ck->n_params, ck->best));
  if (ck->m) PetscCall(hd_h5_write_1d(fid, path, "optim_m", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, ck->n_params, ck->m));
  if (ck->v) PetscCall(hd_h5_write_1d(fid, path, "optim_v", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, ck->n_params, ck->v));
  PetscCall(hd_h5_write_1d(fid, path, "epoch_losses", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, ck->n_losses, ck->losses));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_checkpoint_write(MPI_Comm group, const char *path, const char *spec, const hd_checkpoint *ck)
{
  hd_ck_write_ctx ctx = {spec, ck};

  PetscFunctionBegin;
  PetscCall(hd_h5_write_by_rank0(group, path, "checkpoint", hd_ck_write_file, &ctx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_checkpoint_read(MPI_Comm group, const char *path, const char *spec, hd_checkpoint *ck, PetscBool *found)
{
  hid_t    fid;
  int64_t  v, seed, member, n_params, n_losses;
  PetscInt capacity = ck->n_losses;
  PetscInt n_spec   = 0;
  char    *file_spec;

  PetscFunctionBegin;
  *found = access(path, F_OK) == 0 ? PETSC_TRUE : PETSC_FALSE;
  /* rank 0's view decides, so that every rank agrees */
  PetscCallMPI(MPI_Bcast(found, 1, MPIU_BOOL, 0, group));
  if (!*found) PetscFunctionReturn(PETSC_SUCCESS);
  fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(fid >= 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "checkpoint '%s' is not a readable HDF5 file (truncated or corrupt?)", path);
  PetscCall(hd_h5_attr_read_int(fid, path, "version", &v));
  PetscCheck(v == HD_CHECKPOINT_VERSION, PETSC_COMM_SELF, HD_ERR_FILE_READ, "checkpoint '%s' has version %lld, this hadal reads version %d", path, (long long)v, HD_CHECKPOINT_VERSION);
  PetscCall(hd_h5_attr_read_strings(fid, "spec", 1024, &n_spec, &file_spec));
  PetscCheck(n_spec == 1 && !strcmp(file_spec, spec), PETSC_COMM_SELF, HD_ERR_FILE_READ, "checkpoint '%s' is for network '%s', not '%s'", path, n_spec ? file_spec : "?", spec);
  PetscCall(PetscFree(file_spec));
  PetscCall(hd_ck_check_provenance(group, fid, path));
  PetscCall(hd_h5_attr_read_int(fid, path, "seed", &seed));
  PetscCall(hd_h5_attr_read_int(fid, path, "member", &member));
  PetscCheck((uint64_t)seed == ck->seed && member == ck->member, PETSC_COMM_SELF, HD_ERR_FILE_READ, "checkpoint '%s' is for seed %lld member %lld, not seed %llu member %" PetscInt_FMT, path, (long long)seed, (long long)member, (unsigned long long)ck->seed, ck->member);
  PetscCall(hd_h5_attr_read_int(fid, path, "n_params", &n_params));
  PetscCheck(n_params == ck->n_params, PETSC_COMM_SELF, HD_ERR_FILE_READ, "checkpoint '%s' holds %lld parameters, the network has %" PetscInt_FMT, path, (long long)n_params, ck->n_params);
  PetscCall(hd_h5_attr_read_int(fid, path, "epoch", &v));
  ck->epoch = (PetscInt)v;
  PetscCall(hd_h5_attr_read_int(fid, path, "step", &v));
  ck->step = (PetscInt)v;
  PetscCall(hd_h5_attr_read_int(fid, path, "optim_step", &ck->optim_step));
  PetscCall(hd_h5_attr_read_double(fid, path, "lr", &ck->lr));
  PetscCall(hd_h5_attr_read_double(fid, path, "train_events", &ck->train_events));
  PetscCall(hd_h5_attr_read_double(fid, path, "plateau_best", &ck->plateau.best));
  PetscCall(hd_h5_attr_read_int(fid, path, "plateau_best_epoch", &v));
  ck->plateau.best_epoch = (PetscInt)v;
  PetscCall(hd_h5_attr_read_int(fid, path, "plateau_epoch", &v));
  ck->plateau.epoch = (PetscInt)v;
  PetscCall(hd_h5_attr_read_int(fid, path, "plateau_since_best", &v));
  ck->plateau.since_best = (PetscInt)v;
  PetscCall(hd_h5_attr_read_int(fid, path, "plateau_since_lr", &v));
  ck->plateau.since_lr = (PetscInt)v;
  PetscCall(hd_h5_attr_read_int(fid, path, "plateau_reductions", &v));
  ck->plateau.n_reductions = (PetscInt)v;
  PetscCall(hd_h5_read_1d(fid, path, "params", H5T_NATIVE_FLOAT, ck->n_params, ck->params));
  PetscCall(hd_h5_read_1d(fid, path, "best_params", H5T_NATIVE_FLOAT, ck->n_params, ck->best));
  if (ck->m) PetscCall(hd_h5_read_1d(fid, path, "optim_m", H5T_NATIVE_FLOAT, ck->n_params, ck->m));
  if (ck->v) PetscCall(hd_h5_read_1d(fid, path, "optim_v", H5T_NATIVE_FLOAT, ck->n_params, ck->v));
  {
    hid_t   did = H5Dopen2(fid, "epoch_losses", H5P_DEFAULT), space = H5Dget_space(did);
    hsize_t n   = 0;
    H5Sget_simple_extent_dims(space, &n, NULL);
    H5Sclose(space);
    H5Dclose(did);
    n_losses = (int64_t)n;
  }
  PetscCheck(n_losses <= capacity, PETSC_COMM_SELF, HD_ERR_FILE_READ, "checkpoint '%s' holds %lld step losses, more than an epoch of this run has (%" PetscInt_FMT "): was it written with another batch size?", path, (long long)n_losses, capacity);
  ck->n_losses = (PetscInt)n_losses;
  PetscCall(hd_h5_read_1d(fid, path, "epoch_losses", H5T_NATIVE_DOUBLE, n_losses, ck->losses));
  HdCallH5(H5Fclose(fid), "cannot close checkpoint '%s'", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}
