/* Parallel HDF5 helpers (see include/hadal/h5.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <hadal/h5.h>

static PetscErrorCode hd_h5_mpio_fapl(MPI_Comm comm, hid_t *fapl)
{
  PetscErrorCode ierr = PETSC_SUCCESS;

  PetscFunctionBegin;
  HdCallH5(*fapl = H5Pcreate(H5P_FILE_ACCESS), "cannot create an HDF5 file-access list");
  HdH5Goto(H5Pset_fapl_mpio(*fapl, comm, MPI_INFO_NULL), HD_ERR_FILE_OPEN, fail, "cannot set the MPI-IO driver");
  /* Metadata reads by every rank, collectively: one read instead of P. */
  HdH5Goto(H5Pset_all_coll_metadata_ops(*fapl, 1), HD_ERR_FILE_OPEN, fail, "cannot set collective metadata reads");
  HdH5Goto(H5Pset_coll_metadata_write(*fapl, 1), HD_ERR_FILE_OPEN, fail, "cannot set collective metadata writes");
  PetscFunctionReturn(PETSC_SUCCESS);
fail:
  H5Pclose(*fapl);
  *fapl = H5I_INVALID_HID;
  PetscFunctionReturn(ierr);
}

PetscErrorCode hd_h5_collective_dxpl(hid_t *dxpl)
{
  PetscErrorCode ierr = PETSC_SUCCESS;

  PetscFunctionBegin;
  HdCallH5(*dxpl = H5Pcreate(H5P_DATASET_XFER), "cannot create an HDF5 transfer list");
  HdH5Goto(H5Pset_dxpl_mpio(*dxpl, H5FD_MPIO_COLLECTIVE), HD_ERR_FILE_READ, fail, "cannot set collective transfers");
  PetscFunctionReturn(PETSC_SUCCESS);
fail:
  H5Pclose(*dxpl);
  *dxpl = H5I_INVALID_HID;
  PetscFunctionReturn(ierr);
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
    if (!state[0] && !state[1]) {
      struct stat st;
      if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) state[0] = EISDIR;
    }
  }
  PetscCallMPI(MPI_Bcast(state, 2, MPI_INT, 0, comm));
  PetscCheck(state[0] != EISDIR, comm, HD_ERR_FILE_OPEN, "cannot open '%s': it is a folder, not a file", path);
  PetscCheck(state[0] == 0, comm, HD_ERR_FILE_OPEN, "cannot open '%s': %s", path, strerror(state[0]));
  PetscCheck(state[1] == 0, comm, HD_ERR_FILE_OPEN, "cannot read '%s': %s", path, strerror(state[1]));
  PetscCall(hd_h5_mpio_fapl(comm, &fapl));
  *fid = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  if (*fid < 0) {
    /* no HDF5 signature at its start (a summary.json, a text file) or a damaged HDF5 file */
    int hdf5 = 0;
    if (rank == 0) {
      unsigned char head[8] = {0};
      FILE         *f = fopen(path, "rb");
      if (f) {
        hdf5 = fread(head, 1, 8, f) == 8 && !memcmp(head, "\211HDF\r\n\032\n", 8);
        fclose(f);
      }
    }
    PetscCallMPI(MPI_Bcast(&hdf5, 1, MPI_INT, 0, comm));
    PetscCheck(!hdf5, comm, HD_ERR_FILE_READ, "'%s' is not a readable HDF5 file (truncated or corrupt?)", path);
    SETERRQ(comm, HD_ERR_FILE_READ, "'%s' is not a readable HDF5 file (not HDF5 at all: hadal reads event files written by hadal generate or import)", path);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_output_check(MPI_Comm comm, const char *option, const char *path)
{
  int         rank, state[2] = {0, 0}; /* the path is a folder; errno of the folder's access */
  char        dir[PETSC_MAX_PATH_LEN];
  const char *slash = strrchr(path, '/');

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (slash == path) snprintf(dir, sizeof(dir), "/");
  else if (slash) snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
  else snprintf(dir, sizeof(dir), ".");
  /* checked on one rank and shared, so every rank fails together with the same message */
  if (rank == 0) {
    struct stat st;
    state[0] = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    state[1] = access(dir, W_OK | X_OK) == 0 ? 0 : errno;
  }
  PetscCallMPI(MPI_Bcast(state, 2, MPI_INT, 0, comm));
  PetscCheck(!state[0], comm, HD_ERR_USER_INPUT, "option %s: '%s' is a folder; name the file to write", option, path);
  PetscCheck(state[1] == 0, comm, HD_ERR_USER_INPUT, "option %s: cannot write into the folder '%s' of '%s': %s", option, dir, path, strerror(state[1]));
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
  out->reserve[0] = '\0';
  PetscCall(hd_h5_mpio_fapl(comm, &fapl));
  out->fid = H5Fcreate(out->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  PetscCheck(out->fid >= 0, comm, HD_ERR_FILE_WRITE, "cannot create '%s' (does its folder exist and is it writable?)", path);
  if (rank == 0) hd_h5_reserve_take(out->tmp, out->reserve, sizeof(out->reserve));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Not collective. Close every object still open in file `fid` (datasets, groups, attributes,
 * types left open by a failed write), then the file. Returns the result of H5Fclose. */
static herr_t hd_h5_close_file(hid_t fid)
{
  ssize_t n = H5Fget_obj_count(fid, H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR | H5F_OBJ_LOCAL);

  if (n > 0) {
    hid_t *ids = (hid_t *)calloc((size_t)n, sizeof(hid_t));

    if (ids) {
      n = H5Fget_obj_ids(fid, H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR | H5F_OBJ_LOCAL, (size_t)n, ids);
      for (ssize_t i = 0; i < n; i++) {
        H5I_type_t t = H5Iget_type(ids[i]);

        if (t == H5I_DATASET) H5Dclose(ids[i]);
        else if (t == H5I_GROUP) H5Gclose(ids[i]);
        else if (t == H5I_DATATYPE) H5Tclose(ids[i]);
        else if (t == H5I_ATTR) H5Aclose(ids[i]);
      }
      free(ids);
    }
  }
  return H5Fclose(fid);
}

void hd_h5_reserve_take(const char *tmp, char *reserve, size_t len)
{
  int fd;

  snprintf(reserve, len, "%s.reserve", tmp);
  fd = open(reserve, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    reserve[0] = '\0';
    return;
  }
  /* posix_fallocate allocates blocks without writing them where the file system can; on a disk
   * already nearly full a smaller reserve still holds a close's last metadata flush (a few KiB),
   * where none would leave HDF5 a half-closed file that crashes the program's end */
  for (off_t bytes = HD_H5_RESERVE_BYTES; bytes >= 4096; bytes /= 4) {
    if (posix_fallocate(fd, 0, bytes) == 0) {
      close(fd);
      return;
    }
  }
  close(fd);
  unlink(reserve);
  reserve[0] = '\0';
}

#define HD_H5_RUN_RESERVES 16 /* a sweep's points beyond these run without one (best effort) */
static char hd_h5_run_reserve[HD_H5_RUN_RESERVES][PETSC_MAX_PATH_LEN + 16];

void hd_h5_run_reserve_take(const char *name)
{
  for (int k = 0; k < HD_H5_RUN_RESERVES; k++)
    if (!hd_h5_run_reserve[k][0]) {
      hd_h5_reserve_take(name, hd_h5_run_reserve[k], sizeof(hd_h5_run_reserve[k]));
      return;
    }
}

void hd_h5_run_reserve_drop(const char *name)
{
  char path[PETSC_MAX_PATH_LEN + 16];

  snprintf(path, sizeof(path), "%s.reserve", name);
  for (int k = 0; k < HD_H5_RUN_RESERVES; k++)
    if (!strcmp(hd_h5_run_reserve[k], path)) hd_h5_reserve_release(hd_h5_run_reserve[k]);
}

void hd_h5_run_reserves_release(void)
{
  for (int k = 0; k < HD_H5_RUN_RESERVES; k++) hd_h5_reserve_release(hd_h5_run_reserve[k]);
}

void hd_h5_reserve_release(char *reserve)
{
  if (reserve[0]) unlink(reserve);
  reserve[0] = '\0';
}

PetscErrorCode hd_h5_close_failed(hid_t fid, const char *tmp)
{
  PetscFunctionBegin;
  if (fid < 0) PetscFunctionReturn(PETSC_SUCCESS);
  /* The close flushes HDF5's metadata cache, which a full disk refused: truncating the doomed file
   * first frees its space, so the flush succeeds and HDF5 holds no half-closed file (which it would
   * close again, and crash in, when the program ends). */
  if (tmp && tmp[0] && truncate(tmp, 0) != 0) { /* best effort: the close is tried anyway */ }
  hd_h5_run_reserves_release();
  (void)hd_h5_close_file(fid);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_output_commit(hd_h5_output *out)
{
  int            rank, err = 0;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(out->comm, &rank));
  /* the close's flush has the reserve's space on a full disk; no rank writes before rank 0 freed it */
  hd_h5_reserve_release(out->reserve);
  PetscCallMPI(MPI_Barrier(out->comm));
  /* a failure to close (the last metadata flush on a full disk) on any rank fails every rank, and
   * the temporary file is removed */
  ierr = hd_h5_close_file(out->fid) < 0 ? PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_FILE_WRITE, PETSC_ERROR_INITIAL, "cannot write '%s' (disk full?)", out->path) : PETSC_SUCCESS;
  out->fid = H5I_INVALID_HID;
  ierr = hd_error_agree(out->comm, ierr);
  if (ierr) {
    PetscCallMPI(MPI_Barrier(out->comm));
    if (rank == 0) unlink(out->tmp);
    PetscFunctionReturn(ierr);
  }
  if (rank == 0) err = rename(out->tmp, out->path) == 0 ? 0 : errno;
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, out->comm));
  if (err && rank == 0) unlink(out->tmp);
  PetscCheck(err == 0, out->comm, HD_ERR_FILE_WRITE, "cannot rename the finished output to '%s': %s", out->path, strerror(err));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_output_discard(hd_h5_output *out)
{
  int rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(out->comm, &rank));
  /* every rank has stopped writing before rank 0 truncates the file (see hd_h5_close_failed) */
  PetscCallMPI(MPI_Barrier(out->comm));
  if (out->fid >= 0) {
    if (rank == 0 && out->tmp[0] && truncate(out->tmp, 0) != 0) { /* best effort */ }
    hd_h5_reserve_release(out->reserve);
    hd_h5_run_reserves_release();
    PetscCallMPI(MPI_Barrier(out->comm));
    PetscCall(hd_h5_close_failed(out->fid, NULL)); /* collective for a file of the MPI-IO driver */
  }
  out->fid = H5I_INVALID_HID;
  hd_h5_reserve_release(out->reserve);
  PetscCallMPI(MPI_Barrier(out->comm));
  if (rank == 0 && out->tmp[0]) unlink(out->tmp);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_h5_attr_write(hid_t obj, const char *name, hid_t type, hid_t space, const void *data)
{
  PetscErrorCode ierr = PETSC_SUCCESS;
  hid_t          attr = H5I_INVALID_HID;

  PetscFunctionBegin;
  if (H5Aexists(obj, name) > 0) HdCallH5Write(H5Adelete(obj, name), "cannot replace attribute '%s'", name);
  HdCallH5Write(attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), "cannot create attribute '%s'", name);
  HdH5Goto(H5Awrite(attr, type, data), HD_ERR_FILE_WRITE, cleanup, "cannot write attribute '%s'", name);
cleanup:
  if (H5Aclose(attr) < 0 && !ierr) SETERRQ(PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "cannot close attribute '%s'", name);
  PetscFunctionReturn(ierr);
}

/* A scalar attribute of the given type (for a string: a fixed-length string type of len bytes). */
static PetscErrorCode hd_h5_attr_write_scalar(hid_t obj, const char *name, hid_t type, size_t len, const void *value)
{
  PetscErrorCode ierr  = PETSC_SUCCESS;
  hid_t          stype = H5I_INVALID_HID, space = H5I_INVALID_HID;

  PetscFunctionBegin;
  if (len) {
    HdH5Goto(stype = H5Tcopy(H5T_C_S1), HD_ERR_FILE_WRITE, cleanup, "attribute '%s': cannot create a string type", name);
    HdH5Goto(H5Tset_size(stype, len), HD_ERR_FILE_WRITE, cleanup, "attribute '%s': cannot size a string type", name);
    type = stype;
  }
  HdH5Goto(space = H5Screate(H5S_SCALAR), HD_ERR_FILE_WRITE, cleanup, "attribute '%s': cannot create a scalar space", name);
  HdCallGoto(hd_h5_attr_write(obj, name, type, space, value), cleanup);
cleanup:
  if (space >= 0) H5Sclose(space);
  if (stype >= 0) H5Tclose(stype);
  PetscFunctionReturn(ierr);
}

PetscErrorCode hd_h5_attr_write_string(hid_t obj, const char *name, const char *value)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_attr_write_scalar(obj, name, H5I_INVALID_HID, strlen(value) + 1, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_attr_write_int(hid_t obj, const char *name, int64_t value)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_attr_write_scalar(obj, name, H5T_NATIVE_INT64, 0, &value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_attr_write_double(hid_t obj, const char *name, double value)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_attr_write_scalar(obj, name, H5T_NATIVE_DOUBLE, 0, &value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_attr_write_strings(hid_t obj, const char *name, PetscInt n, const char *const *values)
{
  PetscErrorCode ierr   = PETSC_SUCCESS;
  size_t         width  = 1;
  char          *packed = NULL;
  hid_t          type = H5I_INVALID_HID, space = H5I_INVALID_HID;
  hsize_t        dim    = (hsize_t)n;

  PetscFunctionBegin;
  PetscCheck(n > 0, PETSC_COMM_SELF, HD_ERR_INTERNAL, "attribute '%s': empty string list", name);
  for (PetscInt i = 0; i < n; i++) width = PetscMax(width, strlen(values[i]) + 1);
  PetscCall(PetscCalloc1((size_t)n * width, &packed));
  for (PetscInt i = 0; i < n; i++) memcpy(packed + (size_t)i * width, values[i], strlen(values[i]));
  HdH5Goto(type = H5Tcopy(H5T_C_S1), HD_ERR_FILE_WRITE, cleanup, "attribute '%s': cannot create a string type", name);
  HdH5Goto(H5Tset_size(type, width), HD_ERR_FILE_WRITE, cleanup, "attribute '%s': cannot size a string type", name);
  HdH5Goto(space = H5Screate_simple(1, &dim, NULL), HD_ERR_FILE_WRITE, cleanup, "attribute '%s': cannot create a space", name);
  HdCallGoto(hd_h5_attr_write(obj, name, type, space, packed), cleanup);
cleanup:
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  PetscCall(PetscFree(packed));
  PetscFunctionReturn(ierr);
}

PetscErrorCode hd_h5_attr_read_strings(hid_t obj, const char *name, size_t len, PetscInt *n, char **values)
{
  PetscErrorCode ierr = PETSC_SUCCESS;
  hid_t          attr = H5I_INVALID_HID, ftype = H5I_INVALID_HID, space = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
  hsize_t        count = 1;
  int            ndims;
  char         **vl = NULL, *raw = NULL;
  htri_t         is_vl = 0;

  PetscFunctionBegin;
  *n      = 0;
  *values = NULL;
  if (H5Aexists(obj, name) <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  HdH5Goto(attr = H5Aopen(obj, name, H5P_DEFAULT), HD_ERR_FILE_READ, cleanup, "cannot open attribute '%s'", name);
  HdH5Goto(ftype = H5Aget_type(attr), HD_ERR_FILE_READ, cleanup, "cannot read the type of attribute '%s'", name);
  HdH5Goto(space = H5Aget_space(attr), HD_ERR_FILE_READ, cleanup, "cannot read the shape of attribute '%s'", name);
  HdH5Goto(ndims = H5Sget_simple_extent_ndims(space), HD_ERR_FILE_READ, cleanup, "cannot read the shape of attribute '%s'", name);
  HdCheckGoto(ndims <= 1, PETSC_COMM_SELF, HD_ERR_FILE_READ, cleanup, "attribute '%s' is not a list of strings", name);
  if (ndims == 1) HdH5Goto(H5Sget_simple_extent_dims(space, &count, NULL), HD_ERR_FILE_READ, cleanup, "cannot read the shape of attribute '%s'", name);
  HdCheckGoto(H5Tget_class(ftype) == H5T_STRING, PETSC_COMM_SELF, HD_ERR_FILE_READ, cleanup, "attribute '%s' does not hold strings", name);
  HdCallGoto(PetscCalloc1(count * len, values), cleanup);
  HdH5Goto(mtype = H5Tcopy(H5T_C_S1), HD_ERR_FILE_READ, cleanup, "attribute '%s': cannot create a string type", name);
  /* the file's character set (h5py writes UTF-8): HDF5 does not convert between ASCII and UTF-8 */
  HdH5Goto(H5Tset_cset(mtype, H5Tget_cset(ftype)), HD_ERR_FILE_READ, cleanup, "attribute '%s': cannot set the character set", name);
  HdH5Goto(is_vl = H5Tis_variable_str(ftype), HD_ERR_FILE_READ, cleanup, "cannot read the type of attribute '%s'", name);
  if (is_vl) {
    HdCallGoto(PetscCalloc1(count, &vl), cleanup);
    HdH5Goto(H5Tset_size(mtype, H5T_VARIABLE), HD_ERR_FILE_READ, cleanup, "attribute '%s': cannot size a string type", name);
    HdH5Goto(H5Aread(attr, mtype, vl), HD_ERR_FILE_READ, cleanup, "cannot read attribute '%s'", name);
    for (hsize_t i = 0; i < count; i++) snprintf(*values + i * len, len, "%s", vl[i] ? vl[i] : "");
  } else {
    size_t width = H5Tget_size(ftype);

    HdCallGoto(PetscCalloc1(count * width + 1, &raw), cleanup);
    HdH5Goto(H5Tset_size(mtype, width), HD_ERR_FILE_READ, cleanup, "attribute '%s': cannot size a string type", name);
    /* all `width` bytes: a string that fills its field has no terminator (numpy's S3 "qcd") */
    HdH5Goto(H5Tset_strpad(mtype, H5T_STR_NULLPAD), HD_ERR_FILE_READ, cleanup, "attribute '%s': cannot pad a string type", name);
    HdH5Goto(H5Aread(attr, mtype, raw), HD_ERR_FILE_READ, cleanup, "cannot read attribute '%s'", name);
    for (hsize_t i = 0; i < count; i++) {
      size_t k = 0;
      while (k < width && k + 1 < len && raw[i * width + k]) k++;
      memcpy(*values + i * len, raw + i * width, k);
    }
  }
  *n = (PetscInt)count;
cleanup:
  if (vl) H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, vl); /* frees what H5Aread allocated */
  PetscCall(PetscFree(vl));
  PetscCall(PetscFree(raw));
  if (ierr) PetscCall(PetscFree(*values));
  if (mtype >= 0) H5Tclose(mtype);
  if (space >= 0) H5Sclose(space);
  if (ftype >= 0) H5Tclose(ftype);
  if (attr >= 0) H5Aclose(attr);
  PetscFunctionReturn(ierr);
}

PetscErrorCode hd_h5_attr_names(hid_t obj, size_t len, PetscInt *n, char **names)
{
  H5O_info_t info;

  PetscFunctionBegin;
  *n     = 0;
  *names = NULL;
  HdCallH5(H5Oget_info2(obj, &info, H5O_INFO_NUM_ATTRS), "cannot count the attributes");
  PetscCall(PetscCalloc1((size_t)info.num_attrs * len + 1, names));
  for (hsize_t i = 0; i < info.num_attrs; i++) {
    if (H5Aget_name_by_idx(obj, ".", H5_INDEX_NAME, H5_ITER_INC, i, *names + i * len, len, H5P_DEFAULT) < 0) {
      PetscCall(PetscFree(*names));
      SETERRQ(PETSC_COMM_SELF, HD_ERR_FILE_READ, "cannot read the name of attribute %llu", (unsigned long long)i);
    }
  }
  *n = (PetscInt)info.num_attrs;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_h5_attr_text(hid_t obj, const char *name, char *text, size_t len)
{
  PetscErrorCode ierr = PETSC_SUCCESS;
  hid_t          attr = H5I_INVALID_HID, type = H5I_INVALID_HID, space = H5I_INVALID_HID;
  H5T_class_t    cls;
  hssize_t       n;
  PetscInt       count;
  char          *values = NULL;

  PetscFunctionBegin;
  text[0] = '\0';
  HdH5Goto(attr = H5Aopen(obj, name, H5P_DEFAULT), HD_ERR_FILE_READ, cleanup, "cannot open attribute '%s'", name);
  HdH5Goto(type = H5Aget_type(attr), HD_ERR_FILE_READ, cleanup, "cannot read the type of attribute '%s'", name);
  HdH5Goto(space = H5Aget_space(attr), HD_ERR_FILE_READ, cleanup, "cannot read the shape of attribute '%s'", name);
  HdH5Goto(cls = H5Tget_class(type), HD_ERR_FILE_READ, cleanup, "cannot read the type of attribute '%s'", name);
  HdH5Goto(n = H5Sget_simple_extent_npoints(space), HD_ERR_FILE_READ, cleanup, "cannot read the shape of attribute '%s'", name);
  if (cls == H5T_STRING) {
    size_t used = 0;

    HdCallGoto(hd_h5_attr_read_strings(obj, name, 256, &count, &values), cleanup);
    for (PetscInt i = 0; i < count && used + 1 < len; i++) used += (size_t)snprintf(text + used, len - used, "%s%s", i ? ", " : "", values + (size_t)i * 256);
  } else if (cls == H5T_INTEGER && n == 1) {
    long long v = 0;

    HdH5Goto(H5Aread(attr, H5T_NATIVE_LLONG, &v), HD_ERR_FILE_READ, cleanup, "cannot read attribute '%s'", name);
    snprintf(text, len, "%lld", v);
  } else if (cls == H5T_FLOAT && n == 1) {
    double v = 0;

    HdH5Goto(H5Aread(attr, H5T_NATIVE_DOUBLE, &v), HD_ERR_FILE_READ, cleanup, "cannot read attribute '%s'", name);
    snprintf(text, len, "%.6g", v);
  } else snprintf(text, len, "(%lld values)", (long long)n);
cleanup:
  PetscCall(PetscFree(values));
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  if (attr >= 0) H5Aclose(attr);
  PetscFunctionReturn(ierr);
}

PetscErrorCode hd_h5_write_1d(hid_t loc, const char *where, const char *name, hid_t mem_type, hid_t file_type, PetscInt n, const void *data)
{
  PetscErrorCode ierr  = PETSC_SUCCESS;
  hid_t          space = H5I_INVALID_HID, did = H5I_INVALID_HID;
  hsize_t        dim   = (hsize_t)n;

  PetscFunctionBegin;
  HdH5Goto(space = H5Screate_simple(1, &dim, NULL), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot create a space for %s", where, name);
  HdH5Goto(did = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot create %s", where, name);
  if (n > 0) HdH5Goto(H5Dwrite(did, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot write %s", where, name);
cleanup:
  if (did >= 0 && H5Dclose(did) < 0 && !ierr) SETERRQ(PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "'%s': cannot close %s", where, name);
  if (space >= 0) H5Sclose(space);
  PetscFunctionReturn(ierr);
}

PetscErrorCode hd_h5_read_1d(hid_t loc, const char *where, const char *name, hid_t mem_type, PetscInt n, void *data)
{
  PetscErrorCode ierr = PETSC_SUCCESS;
  hid_t          did = H5I_INVALID_HID, space = H5I_INVALID_HID;
  hsize_t        dim = 0;

  PetscFunctionBegin;
  HdH5Goto(did = H5Dopen2(loc, name, H5P_DEFAULT), HD_ERR_FILE_READ, cleanup, "'%s' has no dataset %s", where, name);
  HdH5Goto(space = H5Dget_space(did), HD_ERR_FILE_READ, cleanup, "'%s': cannot read the shape of %s", where, name);
  HdCheckGoto(H5Sget_simple_extent_ndims(space) == 1, PETSC_COMM_SELF, HD_ERR_FILE_READ, cleanup, "'%s': %s is not a 1-d dataset", where, name);
  HdH5Goto(H5Sget_simple_extent_dims(space, &dim, NULL), HD_ERR_FILE_READ, cleanup, "'%s': cannot read the shape of %s", where, name);
  HdCheckGoto((PetscInt)dim == n, PETSC_COMM_SELF, HD_ERR_FILE_READ, cleanup, "'%s': %s holds %llu values, expected %" PetscInt_FMT, where, name, (unsigned long long)dim, n);
  if (n > 0) HdH5Goto(H5Dread(did, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), HD_ERR_FILE_READ, cleanup, "'%s': cannot read %s", where, name);
cleanup:
  if (space >= 0) H5Sclose(space);
  if (did >= 0) H5Dclose(did);
  PetscFunctionReturn(ierr);
}

static PetscErrorCode hd_h5_attr_read(hid_t loc, const char *where, const char *name, hid_t mem_type, void *value)
{
  PetscErrorCode ierr = PETSC_SUCCESS;
  hid_t          a;

  PetscFunctionBegin;
  HdCallH5(a = H5Aopen(loc, name, H5P_DEFAULT), "'%s' has no attribute %s", where, name);
  HdH5Goto(H5Aread(a, mem_type, value), HD_ERR_FILE_READ, cleanup, "'%s': cannot read attribute %s", where, name);
cleanup:
  H5Aclose(a);
  PetscFunctionReturn(ierr);
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

/* Not collective. Write the n bytes of buf to the new file tmp; a short write (a full disk) or a
 * failed close removes it, with an error naming `what` and its final name `path`. */
static PetscErrorCode hd_h5_write_bytes(const char *what, const char *path, const char *tmp, const void *buf, size_t n)
{
  const char *p = buf;
  int         fd, ok;

  PetscFunctionBegin;
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  PetscCheck(fd >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "cannot create %s '%s' (does its folder exist?): %s", what, tmp, strerror(errno));
  while (n > 0) {
    ssize_t w = write(fd, p, n);

    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    p += w;
    n -= (size_t)w;
  }
  ok = n == 0;
  /* a networked file system may report the failed write only at the close */
  if (close(fd) != 0) ok = 0;
  if (!ok) unlink(tmp);
  PetscCheck(ok, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "cannot write %s '%s' (disk full?)", what, path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Not collective. Run write(fid, path, ctx) on a file held in memory (HDF5's core driver without a
 * backing store), then put its image on disk as tmp. HDF5 never writes to the disk itself: a full
 * disk is a plain failed write() here, not a close that HDF5 refuses and leaves half done (closing
 * such a file again crashes inside HDF5). The file is closed whatever the writer did. */
static PetscErrorCode hd_h5_write_via_memory(const char *what, const char *path, const char *tmp, hd_h5_serial_writer write_fn, const void *ctx)
{
  hid_t          fapl = H5I_INVALID_HID, fid = H5I_INVALID_HID;
  ssize_t        size  = 0;
  void          *image = NULL;
  PetscErrorCode ierr  = PETSC_SUCCESS;

  PetscFunctionBegin;
  HdCallH5Write(fapl = H5Pcreate(H5P_FILE_ACCESS), "cannot create an HDF5 file-access list for '%s'", path);
  HdH5Goto(H5Pset_fapl_core(fapl, 64 * 1024, 0), HD_ERR_FILE_WRITE, cleanup, "cannot set HDF5's in-memory driver for '%s'", path);
  HdH5Goto(fid = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl), HD_ERR_FILE_WRITE, cleanup, "cannot create '%s' in memory", path);
  HdCallGoto(write_fn(fid, path, ctx), cleanup);
  HdH5Goto(H5Fflush(fid, H5F_SCOPE_LOCAL), HD_ERR_FILE_WRITE, cleanup, "cannot flush '%s' in memory", path);
  HdH5Goto(size = H5Fget_file_image(fid, NULL, 0), HD_ERR_FILE_WRITE, cleanup, "cannot size the image of '%s'", path);
  image = malloc((size_t)size > 0 ? (size_t)size : 1);
  HdCheckGoto(image, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, cleanup, "out of memory for the %zd-byte image of '%s'", size, path);
  HdH5Goto(H5Fget_file_image(fid, image, (size_t)size), HD_ERR_FILE_WRITE, cleanup, "cannot copy the image of '%s'", path);
cleanup:
  if (fid >= 0 && hd_h5_close_file(fid) < 0 && !ierr) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_FILE_WRITE, PETSC_ERROR_INITIAL, "cannot close '%s' in memory", path);
  if (fapl >= 0) H5Pclose(fapl);
  if (!ierr) ierr = hd_h5_write_bytes(what, path, tmp, image, (size_t)size);
  free(image);
  PetscFunctionReturn(ierr);
}

PetscErrorCode hd_h5_write_by_rank0(MPI_Comm comm, const char *path, const char *what, hd_h5_serial_writer write_fn, const void *ctx)
{
  int            rank;
  char           tmp[PETSC_MAX_PATH_LEN + 32];
  PetscErrorCode ierr = PETSC_SUCCESS;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
    ierr = hd_h5_write_via_memory(what, path, tmp, write_fn, ctx);
    if (!ierr && rename(tmp, path) != 0) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_FILE_WRITE, PETSC_ERROR_INITIAL, "cannot rename %s '%s' to '%s': %s", what, tmp, path, strerror(errno));
    if (ierr) unlink(tmp);
  }
  /* rank 0's failure, with its message, on every rank: no rank waits on another */
  PetscCall(hd_error_agree(comm, ierr));
  PetscFunctionReturn(PETSC_SUCCESS);
}
