/* Small one-rank result files (see include/hadal/record.h), over the h5 helpers. */
#include <string.h>
#include <hadal/record.h>

void hd_record_attach(hid_t fid, const char *path, hd_record *r)
{
  r->fid = fid;
  snprintf(r->path, sizeof(r->path), "%s", path);
}

PetscErrorCode hd_record_open(const char *path, hd_record *r)
{
  PetscFunctionBegin;
  snprintf(r->path, sizeof(r->path), "%s", path);
  r->fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(r->fid >= 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "'%s' is not a readable HDF5 file (truncated or corrupt?)", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_record_close(hd_record *r)
{
  PetscFunctionBegin;
  if (r->fid >= 0) HdCallH5Write(H5Fclose(r->fid), "cannot close '%s' (disk full?)", r->path);
  r->fid = H5I_INVALID_HID;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_record_put_int(hd_record *r, const char *name, int64_t value)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_attr_write_int(r->fid, name, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_record_put_double(hd_record *r, const char *name, double value)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_attr_write_double(r->fid, name, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_record_put_string(hd_record *r, const char *name, const char *value)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_attr_write_string(r->fid, name, value ? value : ""));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_record_put_doubles(hd_record *r, const char *name, PetscInt n, const double *v)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_write_1d(r->fid, r->path, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, n, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_record_put_floats(hd_record *r, const char *name, PetscInt n, const float *v)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_write_1d(r->fid, r->path, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, n, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_record_put_int64s(hd_record *r, const char *name, PetscInt n, const int64_t *v)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_write_1d(r->fid, r->path, name, H5T_NATIVE_INT64, H5T_STD_I64LE, n, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_record_get_int(hd_record *r, const char *name, int64_t *value)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_attr_read_int(r->fid, r->path, name, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_record_get_double(hd_record *r, const char *name, double *value)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_attr_read_double(r->fid, r->path, name, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_record_get_doubles(hd_record *r, const char *name, PetscInt n, double *v)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_read_1d(r->fid, r->path, name, H5T_NATIVE_DOUBLE, n, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_record_get_floats(hd_record *r, const char *name, PetscInt n, float *v)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_read_1d(r->fid, r->path, name, H5T_NATIVE_FLOAT, n, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_record_get_int64s(hd_record *r, const char *name, PetscInt n, int64_t *v)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_read_1d(r->fid, r->path, name, H5T_NATIVE_INT64, n, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscBool hd_record_has(hd_record *r, const char *name) { return H5Aexists(r->fid, name) > 0 ? PETSC_TRUE : PETSC_FALSE; }

PetscErrorCode hd_record_get_string(hd_record *r, const char *name, size_t max_len, char **value)
{
  PetscInt n;
  char    *all;

  PetscFunctionBegin;
  PetscCall(hd_h5_attr_read_strings(r->fid, name, max_len, &n, &all));
  PetscCall(PetscStrallocpy(n ? all : "", value));
  PetscCall(PetscFree(all));
  PetscFunctionReturn(PETSC_SUCCESS);
}
