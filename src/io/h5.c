/* Parallel HDF5 helpers (see include/hadal/h5.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <hadal/h5.h>

static PetscErrorCode hd_h5_mpio_fapl(MPI_Comm comm, hid_t *fapl)
{
  PetscFunctionBegin;
  HdCallH5(*fapl = H5Pcreate(H5P_FILE_ACCESS), "cannot create an HDF5 file-access list");
  HdCallH5(H5Pset_fapl_mpio(*fapl, comm, MPI_INFO_NULL), "cannot set the MPI-IO driver");
  /* Metadata reads by every rank, collectively: one read instead of P. */
  HdCallH5(H5Pset_all_coll_metadata_ops(*fapl, 1), "cannot set collective metadata reads");
  HdCallH5(H5Pset_coll_metadata_write(*fapl, 1), "cannot set collective metadata writes");
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_collective_dxpl(hid_t *dxpl)
{
  PetscFunctionBegin;
  HdCallH5(*dxpl = H5Pcreate(H5P_DATASET_XFER), "cannot create an HDF5 transfer list");
  HdCallH5(H5Pset_dxpl_mpio(*dxpl, H5FD_MPIO_COLLECTIVE), "cannot set collective transfers");
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_open(MPI_Comm comm, const char *path, hid_t *fid)
{
  int   rank, state[2] = {0, 0};
  hid_t fapl;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  /* Checked on one rank and shared, so every rank fails together with the same message. */
  if (rank == 0) {
    state[0] = access(path, F_OK) == 0 ? 0 : errno;
    if (!state[0]) state[1] = access(path, R_OK) == 0 ? 0 : errno;
  }
  PetscCallMPI(MPI_Bcast(state, 2, MPI_INT, 0, comm));
  PetscCheck(state[0] == 0, comm, HD_ERR_FILE_OPEN, "cannot open '%s': %s", path, strerror(state[0]));
  PetscCheck(state[1] == 0, comm, HD_ERR_FILE_OPEN, "cannot read '%s': %s", path, strerror(state[1]));
  PetscCall(hd_h5_mpio_fapl(comm, &fapl));
  *fid = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  PetscCheck(*fid >= 0, comm, HD_ERR_FILE_READ, "'%s' is not a readable HDF5 file (truncated or corrupt?)", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_output_create(MPI_Comm comm, const char *path, hd_h5_output *out)
{
  int         rank, pid;
  hid_t       fapl;
  const char *slash = strrchr(path, '/');

  PetscFunctionBegin;
  PetscCheck(path && path[0], comm, HD_ERR_USER_INPUT, "no output file name given");
  PetscCheck(strlen(path) + 32 < sizeof(out->tmp), comm, HD_ERR_USER_INPUT, "output path '%s' is too long", path);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  pid = (int)getpid();
  PetscCallMPI(MPI_Bcast(&pid, 1, MPI_INT, 0, comm));
  out->comm = comm;
  out->fid  = H5I_INVALID_HID;
  snprintf(out->path, sizeof(out->path), "%s", path);
  /* .NAME.tmp-PID beside the destination: same file system, so the final rename is atomic. */
  if (slash) snprintf(out->tmp, sizeof(out->tmp), "%.*s/.%s.tmp-%d", (int)(slash - path), path, slash + 1, pid);
  else snprintf(out->tmp, sizeof(out->tmp), ".%s.tmp-%d", path, pid);
  PetscCall(hd_h5_mpio_fapl(comm, &fapl));
  out->fid = H5Fcreate(out->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  PetscCheck(out->fid >= 0, comm, HD_ERR_FILE_WRITE, "cannot create '%s' (does its folder exist and is it writable?)", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_output_commit(hd_h5_output *out)
{
  int rank, err = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(out->comm, &rank));
  HdCallH5(H5Fclose(out->fid), "cannot close '%s'", out->tmp);
  out->fid = H5I_INVALID_HID;
  if (rank == 0) err = rename(out->tmp, out->path) == 0 ? 0 : errno;
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, out->comm));
  PetscCheck(err == 0, out->comm, HD_ERR_FILE_WRITE, "cannot rename the finished output to '%s': %s", out->path, strerror(err));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_output_discard(hd_h5_output *out)
{
  int rank;

  PetscFunctionBegin;
  if (out->fid >= 0) H5Fclose(out->fid); /* failure path: best effort */
  out->fid = H5I_INVALID_HID;
  PetscCallMPI(MPI_Comm_rank(out->comm, &rank));
  PetscCallMPI(MPI_Barrier(out->comm));
  if (rank == 0 && out->tmp[0]) unlink(out->tmp);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_h5_attr_write(hid_t obj, const char *name, hid_t type, hid_t space, const void *data)
{
  hid_t attr;

  PetscFunctionBegin;
  if (H5Aexists(obj, name) > 0) HdCallH5(H5Adelete(obj, name), "cannot replace attribute '%s'", name);
  HdCallH5(attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), "cannot create attribute '%s'", name);
  HdCallH5(H5Awrite(attr, type, data), "cannot write attribute '%s'", name);
  HdCallH5(H5Aclose(attr), "cannot close attribute '%s'", name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_attr_write_string(hid_t obj, const char *name, const char *value)
{
  hid_t type, space;

  PetscFunctionBegin;
  HdCallH5(type = H5Tcopy(H5T_C_S1), "cannot create a string type");
  HdCallH5(H5Tset_size(type, strlen(value) + 1), "cannot size a string type");
  HdCallH5(space = H5Screate(H5S_SCALAR), "cannot create a scalar space");
  PetscCall(hd_h5_attr_write(obj, name, type, space, value));
  H5Sclose(space);
  H5Tclose(type);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_attr_write_int(hid_t obj, const char *name, int64_t value)
{
  hid_t space;

  PetscFunctionBegin;
  HdCallH5(space = H5Screate(H5S_SCALAR), "cannot create a scalar space");
  PetscCall(hd_h5_attr_write(obj, name, H5T_NATIVE_INT64, space, &value));
  H5Sclose(space);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_attr_write_double(hid_t obj, const char *name, double value)
{
  hid_t space;

  PetscFunctionBegin;
  HdCallH5(space = H5Screate(H5S_SCALAR), "cannot create a scalar space");
  PetscCall(hd_h5_attr_write(obj, name, H5T_NATIVE_DOUBLE, space, &value));
  H5Sclose(space);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_attr_write_strings(hid_t obj, const char *name, PetscInt n, const char *const *values)
{
  size_t  width = 1;
  char   *packed;
  hid_t   type, space;
  hsize_t dim = (hsize_t)n;

  PetscFunctionBegin;
  PetscCheck(n > 0, PETSC_COMM_SELF, HD_ERR_INTERNAL, "attribute '%s': empty string list", name);
  for (PetscInt i = 0; i < n; i++) width = PetscMax(width, strlen(values[i]) + 1);
  PetscCall(PetscCalloc1((size_t)n * width, &packed));
  for (PetscInt i = 0; i < n; i++) memcpy(packed + (size_t)i * width, values[i], strlen(values[i]));
  HdCallH5(type = H5Tcopy(H5T_C_S1), "cannot create a string type");
  HdCallH5(H5Tset_size(type, width), "cannot size a string type");
  HdCallH5(space = H5Screate_simple(1, &dim, NULL), "cannot create a space");
  PetscCall(hd_h5_attr_write(obj, name, type, space, packed));
  H5Sclose(space);
  H5Tclose(type);
  PetscCall(PetscFree(packed));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_attr_read_strings(hid_t obj, const char *name, size_t len, PetscInt *n, char **values)
{
  hid_t   attr = H5I_INVALID_HID, ftype = H5I_INVALID_HID, space = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
  hsize_t count = 1;
  int     ndims;

  PetscFunctionBegin;
  *n      = 0;
  *values = NULL;
  if (H5Aexists(obj, name) <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  HdCallH5(attr = H5Aopen(obj, name, H5P_DEFAULT), "cannot open attribute '%s'", name);
  HdCallH5(ftype = H5Aget_type(attr), "cannot read the type of attribute '%s'", name);
  HdCallH5(space = H5Aget_space(attr), "cannot read the shape of attribute '%s'", name);
  HdCallH5(ndims = H5Sget_simple_extent_ndims(space), "cannot read the shape of attribute '%s'", name);
  PetscCheck(ndims <= 1, PETSC_COMM_SELF, HD_ERR_FILE_READ, "attribute '%s' is not a list of strings", name);
  if (ndims == 1) HdCallH5(H5Sget_simple_extent_dims(space, &count, NULL), "cannot read the shape of attribute '%s'", name);
  PetscCheck(H5Tget_class(ftype) == H5T_STRING, PETSC_COMM_SELF, HD_ERR_FILE_READ, "attribute '%s' does not hold strings", name);
  PetscCall(PetscCalloc1(count * len, values));
  if (H5Tis_variable_str(ftype) > 0) {
    char **vl;

    PetscCall(PetscMalloc1(count, &vl));
    HdCallH5(mtype = H5Tcopy(H5T_C_S1), "cannot create a string type");
    HdCallH5(H5Tset_size(mtype, H5T_VARIABLE), "cannot size a string type");
    HdCallH5(H5Aread(attr, mtype, vl), "cannot read attribute '%s'", name);
    for (hsize_t i = 0; i < count; i++) snprintf(*values + i * len, len, "%s", vl[i] ? vl[i] : "");
    H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, vl);
    PetscCall(PetscFree(vl));
  } else {
    size_t width = H5Tget_size(ftype);
    char  *raw;

    PetscCall(PetscCalloc1(count * width + 1, &raw));
    HdCallH5(mtype = H5Tcopy(H5T_C_S1), "cannot create a string type");
    HdCallH5(H5Tset_size(mtype, width), "cannot size a string type");
    HdCallH5(H5Aread(attr, mtype, raw), "cannot read attribute '%s'", name);
    for (hsize_t i = 0; i < count; i++) {
      size_t k = 0;
      while (k < width && k + 1 < len && raw[i * width + k]) k++;
      memcpy(*values + i * len, raw + i * width, k);
    }
    PetscCall(PetscFree(raw));
  }
  *n = (PetscInt)count;
  H5Tclose(mtype);
  H5Sclose(space);
  H5Tclose(ftype);
  H5Aclose(attr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_write_1d(hid_t loc, const char *where, const char *name, hid_t mem_type, hid_t file_type, PetscInt n, const void *data)
{
  hid_t   space, did;
  hsize_t dim = (hsize_t)n;

  PetscFunctionBegin;
  HdCallH5(space = H5Screate_simple(1, &dim, NULL), "'%s': cannot create a space for %s", where, name);
  HdCallH5(did = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "'%s': cannot create %s", where, name);
  if (n > 0) HdCallH5(H5Dwrite(did, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "'%s': cannot write %s", where, name);
  H5Dclose(did);
  H5Sclose(space);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_read_1d(hid_t loc, const char *where, const char *name, hid_t mem_type, PetscInt n, void *data)
{
  hid_t   did, space;
  hsize_t dim = 0;

  PetscFunctionBegin;
  HdCallH5(did = H5Dopen2(loc, name, H5P_DEFAULT), "'%s' has no dataset %s", where, name);
  HdCallH5(space = H5Dget_space(did), "'%s': cannot read the shape of %s", where, name);
  H5Sget_simple_extent_dims(space, &dim, NULL);
  H5Sclose(space);
  if ((PetscInt)dim != n) H5Dclose(did);
  PetscCheck((PetscInt)dim == n, PETSC_COMM_SELF, HD_ERR_FILE_READ, "'%s': %s holds %llu values, expected %" PetscInt_FMT, where, name, (unsigned long long)dim, n);
  if (n > 0) HdCallH5(H5Dread(did, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "'%s': cannot read %s", where, name);
  H5Dclose(did);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_h5_attr_read(hid_t loc, const char *where, const char *name, hid_t mem_type, void *value)
{
  hid_t a;

  PetscFunctionBegin;
  HdCallH5(a = H5Aopen(loc, name, H5P_DEFAULT), "'%s' has no attribute %s", where, name);
  HdCallH5(H5Aread(a, mem_type, value), "'%s': cannot read attribute %s", where, name);
  H5Aclose(a);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_attr_read_int(hid_t loc, const char *where, const char *name, int64_t *value)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_attr_read(loc, where, name, H5T_NATIVE_INT64, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_attr_read_double(hid_t loc, const char *where, const char *name, double *value)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_attr_read(loc, where, name, H5T_NATIVE_DOUBLE, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_write_by_rank0(MPI_Comm comm, const char *path, const char *what, hd_h5_serial_writer write, const void *ctx)
{
  int  rank, ok = 1;
  char tmp[PETSC_MAX_PATH_LEN + 32];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
    /* the failure is reported below, collectively, so that no rank waits on another */
    PetscPushErrorHandler(PetscIgnoreErrorHandler, NULL);
    ok = write(tmp, ctx) == PETSC_SUCCESS && rename(tmp, path) == 0;
    PetscPopErrorHandler();
    if (!ok) unlink(tmp);
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  PetscCheck(ok, comm, HD_ERR_FILE_WRITE, "cannot write %s '%s' (does its folder exist, is the disk full?)", what, path);
  PetscFunctionReturn(PETSC_SUCCESS);
}
