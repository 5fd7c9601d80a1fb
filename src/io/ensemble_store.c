/* Finished ensemble members on disk (see include/hadal/ensemble_store.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <hadal/ensemble_store.h>
#include <hadal/h5.h>

void hd_ensemble_store_path(const char *dir, PetscInt member, char *path, size_t len)
{
  snprintf(path, len, "%s/member_%06" PetscInt_FMT ".h5", dir, member);
}

void hd_ensemble_store_checkpoint_path(const char *dir, PetscInt member, char *path, size_t len)
{
  snprintf(path, len, "%s/checkpoint_m%03" PetscInt_FMT ".h5", dir, member);
}

/* Not collective. A 1-d int64 dataset, compressed (byte shuffle + deflate) when it is long enough
 * for the filters to pay: the sum indices rise in small steps and the values are small integers,
 * so most of their 8 bytes are zeros or repeat. */
static PetscErrorCode hd_store_write_int64(hid_t fid, const char *where, const char *name, PetscInt n, const int64_t *v)
{
  PetscErrorCode ierr  = PETSC_SUCCESS;
  hid_t          space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, did = H5I_INVALID_HID;
  hsize_t        dim = (hsize_t)n, chunk = (hsize_t)PetscMin(n, 65536);

  PetscFunctionBegin;
  if (n < 256 || H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0 || H5Zfilter_avail(H5Z_FILTER_SHUFFLE) <= 0) {
    PetscCall(hd_h5_write_1d(fid, where, name, H5T_NATIVE_INT64, H5T_STD_I64LE, n, v));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  HdH5Goto(space = H5Screate_simple(1, &dim, NULL), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot create a space for %s", where, name);
  HdH5Goto(dcpl = H5Pcreate(H5P_DATASET_CREATE), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot create the properties of %s", where, name);
  HdH5Goto(H5Pset_chunk(dcpl, 1, &chunk), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot chunk %s", where, name);
  HdH5Goto(H5Pset_shuffle(dcpl), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot shuffle %s", where, name);
  HdH5Goto(H5Pset_deflate(dcpl, 4), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot compress %s", where, name);
  HdH5Goto(did = H5Dcreate2(fid, name, H5T_STD_I64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot create %s", where, name);
  HdH5Goto(H5Dwrite(did, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot write %s", where, name);
cleanup:
  if (did >= 0 && H5Dclose(did) < 0 && !ierr) SETERRQ(PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "'%s': cannot close %s", where, name);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  PetscFunctionReturn(ierr);
}

/* An hd_h5_serial_writer: the record ctx into the open file fid. */
static PetscErrorCode hd_store_write_file(hid_t fid, const char *path, const void *ctx)
{
  const hd_ensemble_record *r = ctx;

  PetscFunctionBegin;
  PetscCall(hd_h5_attr_write_int(fid, "version", HD_ENSEMBLE_STORE_VERSION));
  PetscCall(hd_h5_attr_write_int(fid, "member", r->member));
  PetscCall(hd_h5_attr_write_int(fid, "n_members", r->n_members));
  PetscCall(hd_h5_attr_write_int(fid, "n_sums", r->n_sums));
  PetscCall(hd_h5_attr_write_string(fid, "identity", r->identity ? r->identity : ""));
  PetscCall(hd_store_write_int64(fid, path, "sum_index", r->n_nonzero, r->sum_index));
  PetscCall(hd_store_write_int64(fid, path, "sum_value", r->n_nonzero, r->sum_value));
  PetscCall(hd_h5_write_1d(fid, path, "column", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, r->n_events, r->column));
  PetscCall(hd_h5_write_1d(fid, path, "metrics", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->n_metrics, r->metrics));
  PetscCall(hd_h5_write_1d(fid, path, "text", H5T_NATIVE_UCHAR, H5T_STD_U8LE, r->text_len, r->text));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_ensemble_store_write(MPI_Comm comm, const char *path, const hd_ensemble_record *rec)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_write_by_rank0(comm, path, "ensemble member file", hd_store_write_file, rec));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Not collective. The number of values of the 1-d dataset `name`. */
static PetscErrorCode hd_store_length(hid_t fid, const char *path, const char *name, PetscInt *n)
{
  hid_t   did, space;
  hsize_t dim = 0;
  int     nd;

  PetscFunctionBegin;
  HdCallH5(did = H5Dopen2(fid, name, H5P_DEFAULT), "ensemble member file '%s' has no dataset %s", path, name);
  space = H5Dget_space(did);
  nd    = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
  if (nd == 1) H5Sget_simple_extent_dims(space, &dim, NULL);
  if (space >= 0) H5Sclose(space);
  H5Dclose(did);
  PetscCheck(nd == 1, PETSC_COMM_SELF, HD_ERR_FILE_READ, "ensemble member file '%s': %s is not a 1-d dataset", path, name);
  *n = (PetscInt)dim;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Not collective. Whether the open member file fid is of this run (version, member, sizes, identity):
 * why is "" when it is, else says what differs. An error only when an item cannot be read. */
static PetscErrorCode hd_store_check_open(hid_t fid, const char *path, const hd_ensemble_record *w, char *why, size_t len)
{
  int64_t  v, member, n_members, n_sums;
  PetscInt n_id = 0, n_events, n_metrics;
  char    *id = NULL;

  PetscFunctionBegin;
  why[0] = '\0';
  PetscCall(hd_h5_attr_read_int(fid, path, "version", &v));
  if (v != HD_ENSEMBLE_STORE_VERSION) {
    snprintf(why, len, "'%s' has version %lld, this hadal writes version %d", path, (long long)v, HD_ENSEMBLE_STORE_VERSION);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(hd_h5_attr_read_int(fid, path, "member", &member));
  PetscCall(hd_h5_attr_read_int(fid, path, "n_members", &n_members));
  PetscCall(hd_h5_attr_read_int(fid, path, "n_sums", &n_sums));
  PetscCall(hd_store_length(fid, path, "column", &n_events));
  PetscCall(hd_store_length(fid, path, "metrics", &n_metrics));
  if (member != w->member || n_members != w->n_members || n_sums != w->n_sums || n_events != w->n_events || n_metrics != w->n_metrics) {
    snprintf(why, len, "'%s' is member %lld of %lld (%lld sums, %" PetscInt_FMT " events, %" PetscInt_FMT " metrics), this run's member %" PetscInt_FMT " of %" PetscInt_FMT " (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ")", path, (long long)member, (long long)n_members, (long long)n_sums, n_events, n_metrics, w->member, w->n_members, w->n_sums, w->n_events, w->n_metrics);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(hd_h5_attr_read_strings(fid, "identity", 65536, &n_id, &id));
  if (n_id != 1 || strcmp(id, w->identity ? w->identity : "")) snprintf(why, len, "'%s' was computed from '%s', this run from '%s'", path, n_id ? id : "?", w->identity ? w->identity : "");
  PetscCall(PetscFree(id));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Not collective. The reads of hd_ensemble_store_read on the checked file fid. */
static PetscErrorCode hd_store_read_open(hid_t fid, const char *path, const hd_ensemble_record *w, int64_t *sums, float *column, double *metrics, char *text)
{
  PetscInt nnz;
  int64_t *idx, *val;

  PetscFunctionBegin;
  PetscCall(hd_store_length(fid, path, "sum_index", &nnz));
  PetscCheck(nnz <= w->n_sums, PETSC_COMM_SELF, HD_ERR_FILE_READ, "ensemble member file '%s' holds %" PetscInt_FMT " sum entries, more than the %" PetscInt_FMT " sums", path, nnz, w->n_sums);
  PetscCall(PetscMalloc2(PetscMax(nnz, 1), &idx, PetscMax(nnz, 1), &val));
  PetscCall(hd_h5_read_1d(fid, path, "sum_index", H5T_NATIVE_INT64, nnz, idx));
  PetscCall(hd_h5_read_1d(fid, path, "sum_value", H5T_NATIVE_INT64, nnz, val));
  PetscCall(hd_h5_read_1d(fid, path, "column", H5T_NATIVE_FLOAT, w->n_events, column));
  PetscCall(hd_h5_read_1d(fid, path, "metrics", H5T_NATIVE_DOUBLE, w->n_metrics, metrics));
  PetscCall(hd_h5_read_1d(fid, path, "text", H5T_NATIVE_UCHAR, w->text_len, text));
  for (PetscInt k = 0; k < nnz; k++) PetscCheck(idx[k] >= 0 && idx[k] < w->n_sums, PETSC_COMM_SELF, HD_ERR_FILE_READ, "ensemble member file '%s': sum index %lld outside [0, %" PetscInt_FMT ")", path, (long long)idx[k], w->n_sums);
  for (PetscInt k = 0; k < nnz; k++) sums[idx[k]] += val[k];
  PetscCall(PetscFree2(idx, val));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_ensemble_store_match(const char *path, const hd_ensemble_record *want, PetscBool *match, char *why, size_t len)
{
  hid_t          fid;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  *match = PETSC_FALSE;
  why[0] = '\0';
  if (access(path, F_OK) != 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  H5E_BEGIN_TRY
  {
    fid  = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ierr = fid >= 0 ? hd_store_check_open(fid, path, want, why, len) : HD_ERR_FILE_READ;
    if (fid >= 0) H5Fclose(fid);
  }
  H5E_END_TRY;
  PetscCall(PetscPopErrorHandler());
  if (fid < 0) snprintf(why, len, "'%s' is not a readable HDF5 file", path);
  else if (ierr && !why[0]) snprintf(why, len, "'%s' lacks an item of a member file", path);
  *match = ierr || why[0] ? PETSC_FALSE : PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_ensemble_store_read(const char *path, const hd_ensemble_record *want, int64_t *sums, float *column, double *metrics, char *text)
{
  hid_t          fid;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(fid >= 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "ensemble member file '%s' is not a readable HDF5 file (truncated or corrupt?): remove it to run the member again", path);
  char why[1024];
  ierr = hd_store_check_open(fid, path, want, why, sizeof(why));
  if (!ierr && why[0]) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_FILE_READ, PETSC_ERROR_INITIAL, "ensemble member file %s: it is of another run", why);
  if (!ierr) ierr = hd_store_read_open(fid, path, want, sums, column, metrics, text);
  H5Fclose(fid);
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}
