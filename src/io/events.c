/* Event tables in HDF5, read and written collectively (see include/hadal/events.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/events.h>
#include <hadal/h5.h>
#include <hadal/log.h>
#include <hadal/sha256.h>

void hd_events_block(PetscInt n, int rank, int size, PetscInt *offset, PetscInt *count)
{
  PetscInt lo = (PetscInt)(((int64_t)n * rank) / size);
  PetscInt hi = (PetscInt)(((int64_t)n * (rank + 1)) / size);

  *offset = lo;
  *count  = hi - lo;
}

/* The largest class label an event file may hold. */
#define HD_EVENTS_MAX_LABEL 65535

/* The datasets of an event table, in one place so reader, writer and `info` agree. */
typedef enum { HD_DS_FEATURES, HD_DS_MASS, HD_DS_LABEL, HD_DS_WEIGHT, HD_DS_IMAGES, HD_DS_SETS, HD_DS_SET_SIZE, HD_DS_COUNT } hd_dataset_id;

static const char *const hd_ds_path[HD_DS_COUNT] = {"/events/features", "/events/mass", "/events/label", "/events/weight", "/events/images", "/events/sets", "/events/set_size"};
static const char *const hd_ds_need[HD_DS_COUNT] = {"features", "mass", "label", "weight", "images", "sets", "sets"};

static PetscBool hd_events_needed(const char *const *need, const char *what)
{
  for (const char *const *p = need; p && *p; p++)
    if (!strcmp(*p, what)) return PETSC_TRUE;
  return PETSC_FALSE;
}

static const char *hd_events_class_name(H5T_class_t cls)
{
  switch (cls) {
  case H5T_INTEGER: return "integers";
  case H5T_FLOAT: return "floating-point values";
  case H5T_STRING: return "strings";
  case H5T_COMPOUND: return "compound records";
  case H5T_ENUM: return "enumerated values";
  case H5T_BITFIELD: return "bit fields";
  case H5T_OPAQUE: return "opaque data";
  default: return "values of an unsupported type";
  }
}

/* Open one dataset; *did < 0 when absent. Checks type class, rank and leading dimension. */
static PetscErrorCode hd_events_open_dataset(MPI_Comm comm, hid_t fid, const char *path, hd_dataset_id id, int rank_expected, hsize_t dims[3], hid_t *did)
{
  hid_t space;
  int   ndims;

  PetscFunctionBegin;
  *did = H5I_INVALID_HID;
  if (H5Lexists(fid, hd_ds_path[id], H5P_DEFAULT) <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  *did = H5Dopen2(fid, hd_ds_path[id], H5P_DEFAULT);
  PetscCheck(*did >= 0, comm, HD_ERR_FILE_READ, "'%s': %s exists but cannot be opened as a dataset", path, hd_ds_path[id]);
  {
    hid_t       type = H5Dget_type(*did);
    H5T_class_t cls  = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    PetscBool   whole = id == HD_DS_LABEL || id == HD_DS_SET_SIZE;

    if (type >= 0) H5Tclose(type);
    /* HDF5 would convert silently: 0.5 to a label 0, a string to garbage or a failed read */
    PetscCheck(cls == H5T_INTEGER || (!whole && cls == H5T_FLOAT), comm, HD_ERR_FILE_READ, "'%s': %s holds %s, not %s", path, hd_ds_path[id], hd_events_class_name(cls), whole ? "integers" : "numbers");
  }
  HdCallH5(space = H5Dget_space(*did), "'%s': cannot read the shape of %s", path, hd_ds_path[id]);
  ndims = H5Sget_simple_extent_ndims(space);
  PetscCheck(ndims == rank_expected, comm, HD_ERR_FILE_READ, "'%s': %s has %d dimensions, expected %d", path, hd_ds_path[id], ndims, rank_expected);
  HdCallH5(H5Sget_simple_extent_dims(space, dims, NULL), "'%s': cannot read the shape of %s", path, hd_ds_path[id]);
  H5Sclose(space);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Read or write rows [row0, row0 + count) of a dataset of any rank, collectively; the memory
 * side is a flat buffer of count x (elements per row). A rank with no rows selects none. */
static PetscErrorCode hd_events_rows_io(hid_t did, hid_t memtype, PetscInt row0, PetscInt count, PetscBool write, const char *path, const char *name, void *buf)
{
  PetscErrorCode ierr   = PETSC_SUCCESS;
  PetscErrorCode code   = write ? HD_ERR_FILE_WRITE : HD_ERR_FILE_READ;
  hid_t          fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID, dxpl = H5I_INVALID_HID;
  hsize_t        dims[3], start[3] = {(hsize_t)row0, 0, 0}, n[3], total, one = 1;
  int            nd = 0;
  herr_t         status;

  PetscFunctionBegin;
  HdH5Goto(fspace = H5Dget_space(did), HD_ERR_FILE_READ, cleanup, "'%s': cannot read the shape of %s", path, name);
  HdH5Goto(nd = H5Sget_simple_extent_ndims(fspace), HD_ERR_FILE_READ, cleanup, "'%s': cannot read the shape of %s", path, name);
  HdH5Goto(H5Sget_simple_extent_dims(fspace, dims, NULL), HD_ERR_FILE_READ, cleanup, "'%s': cannot read the shape of %s", path, name);
  n[0]  = (hsize_t)count;
  total = (hsize_t)count;
  for (int d = 1; d < nd; d++) {
    n[d] = dims[d];
    total *= dims[d];
  }
  if (count > 0 && !buf) {
    ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_INTERNAL, PETSC_ERROR_INITIAL, "'%s': no buffer for %s", path, name);
    goto cleanup;
  }
  if (row0 < 0 || (hsize_t)(row0 + count) > dims[0]) {
    ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_INTERNAL, PETSC_ERROR_INITIAL, "'%s': rows [%" PetscInt_FMT ", %" PetscInt_FMT ") outside %s", path, row0, row0 + count, name);
    goto cleanup;
  }
  HdH5Goto(mspace = H5Screate_simple(1, total ? &total : &one, NULL), code, cleanup, "'%s': cannot create a memory space for %s", path, name);
  if (count > 0) {
    HdH5Goto(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, n, NULL), code, cleanup, "'%s': cannot select rows of %s", path, name);
  } else {
    HdH5Goto(H5Sselect_none(fspace), code, cleanup, "'%s': cannot select nothing of %s", path, name);
    HdH5Goto(H5Sselect_none(mspace), code, cleanup, "'%s': cannot select nothing of %s", path, name);
  }
  HdCallGoto(hd_h5_collective_dxpl(&dxpl), cleanup);
  if (write) status = H5Dwrite(did, memtype, mspace, fspace, dxpl, buf);
  else status = H5Dread(did, memtype, mspace, fspace, dxpl, buf);
  if (write) HdH5Goto(status, HD_ERR_FILE_WRITE, cleanup, "'%s': cannot write %s (disk full?)", path, name);
  else HdH5Goto(status, HD_ERR_FILE_READ, cleanup, "'%s': cannot read %s (file truncated or damaged?)", path, name);
cleanup:
  if (dxpl >= 0) H5Pclose(dxpl);
  if (mspace >= 0) H5Sclose(mspace);
  if (fspace >= 0) H5Sclose(fspace);
  PetscFunctionReturn(ierr);
}

PetscErrorCode hd_events_piece_bytes(size_t *bytes)
{
  const char *s = getenv("HADAL_IO_PIECE_BYTES");
  char       *end;
  long long   v;

  PetscFunctionBegin;
  *bytes = (size_t)1 << 30;
  if (!s || !*s) PetscFunctionReturn(PETSC_SUCCESS);
  v = strtoll(s, &end, 10);
  PetscCheck(*end == '\0' && v >= 1 && v <= (1LL << 30), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "environment variable HADAL_IO_PIECE_BYTES='%s': expected bytes per I/O call in [1, 2^30]", s);
  *bytes = (size_t)v;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on comm (the file's). Rows [row0, row0 + count) in pieces of at most the piece size
 * (at least one row each): one HDF5 call, and one MPI-IO request, stays below 2 GiB whatever the
 * table. Every rank makes as many calls as the rank with most pieces (the others select none). */
static PetscErrorCode hd_events_rows_pieces(MPI_Comm comm, hid_t did, hid_t memtype, PetscInt row0, PetscInt count, PetscBool write, const char *path, const char *name, void *buf)
{
  hid_t   fspace;
  hsize_t dims[3];
  int     nd;
  size_t  row_bytes = H5Tget_size(memtype), piece;
  int64_t per, mine, most;

  PetscFunctionBegin;
  HdCallH5(fspace = H5Dget_space(did), "'%s': cannot read the shape of %s", path, name);
  HdCallH5(nd = H5Sget_simple_extent_ndims(fspace), "'%s': cannot read the shape of %s", path, name);
  HdCallH5(H5Sget_simple_extent_dims(fspace, dims, NULL), "'%s': cannot read the shape of %s", path, name);
  H5Sclose(fspace);
  for (int d = 1; d < nd; d++) row_bytes *= (size_t)dims[d];
  PetscCall(hd_events_piece_bytes(&piece));
  per  = (int64_t)PetscMax(piece / PetscMax(row_bytes, 1), 1);
  mine = (count + per - 1) / per;
  PetscCallMPI(MPI_Allreduce(&mine, &most, 1, MPI_INT64_T, MPI_MAX, comm));
  for (int64_t k = 0; k < most; k++) {
    int64_t r = k * per, n = PetscMax(0, PetscMin(per, (int64_t)count - r));
    PetscErrorCode ierr = hd_events_rows_io(did, memtype, row0 + (PetscInt)(n > 0 ? r : 0), (PetscInt)n, write, path, name, n > 0 ? (char *)buf + (size_t)r * row_bytes : NULL);

    /* a write (a full disk) or read may fail on some ranks only: all stop together, or the others
     * would wait in the next collective call */
    PetscCall(hd_error_agree(comm, ierr));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Non-finite values are bad input: count them on every rank and report the first (global) row.
 * v holds rows [offset, offset + n) of `row` values each. */
static PetscErrorCode hd_events_check_finite(MPI_Comm comm, const char *path, const char *name, const float *v, PetscInt n, PetscInt row, PetscInt offset)
{
  int64_t bad[2] = {0, INT64_MAX}, all[2];
  size_t  total = (size_t)n * (size_t)row;

  PetscFunctionBegin;
  for (size_t i = 0; i < total; i++) {
    if (!isfinite(v[i])) {
      if (!bad[0]) bad[1] = offset + (int64_t)(i / (size_t)row);
      bad[0]++;
    }
  }
  PetscCallMPI(MPI_Allreduce(&bad[0], &all[0], 1, MPI_INT64_T, MPI_SUM, comm));
  PetscCallMPI(MPI_Allreduce(&bad[1], &all[1], 1, MPI_INT64_T, MPI_MIN, comm));
  PetscCheck(all[0] == 0, comm, HD_ERR_FILE_READ, "'%s': %s holds %lld non-finite values (NaN or inf), the first in row %lld", path, name, (long long)all[0], (long long)all[1]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on comm. Opens the file, checks the datasets against `need` and each other, fills the
 * layout. did[d] < 0 for absent datasets; the caller closes the others and the file with
 * hd_events_close(), on success and failure alike (handles not yet opened are negative). */
static PetscErrorCode hd_events_open(MPI_Comm comm, const char *path, const char *const *need, hid_t *fid, hid_t did[HD_DS_COUNT], hd_events_layout *L)
{
  hsize_t  dims[HD_DS_COUNT][3];
  PetscInt n;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(L, sizeof(*L)));
  *fid = H5I_INVALID_HID;
  for (int d = 0; d < HD_DS_COUNT; d++) did[d] = H5I_INVALID_HID;
  PetscCall(hd_h5_open(comm, path, fid));
  PetscCheck(H5Lexists(*fid, "/events", H5P_DEFAULT) > 0, comm, HD_ERR_FILE_READ, "'%s' is not an event file: it has no /events group", path);
  for (int d = 0; d < HD_DS_COUNT; d++) {
    int rank_expected = d == HD_DS_FEATURES ? 2 : d == HD_DS_IMAGES || d == HD_DS_SETS ? 3 : 1;
    PetscCall(hd_events_open_dataset(comm, *fid, path, (hd_dataset_id)d, rank_expected, dims[d], &did[d]));
    PetscCheck(did[d] >= 0 || !hd_events_needed(need, hd_ds_need[d]), comm, HD_ERR_FILE_READ, "'%s' has no %s dataset, which this command needs", path, hd_ds_path[d]);
  }
  PetscCheck(did[HD_DS_LABEL] >= 0, comm, HD_ERR_FILE_READ, "'%s' has no /events/label dataset (every event file has one)", path);
  PetscCheck(dims[HD_DS_LABEL][0] < (hsize_t)PETSC_MAX_INT, comm, HD_ERR_FILE_READ, "'%s': /events/label has %llu rows, more than this build's PetscInt counts", path, (unsigned long long)dims[HD_DS_LABEL][0]);
  n = (PetscInt)dims[HD_DS_LABEL][0];
  PetscCheck(n > 0, comm, HD_ERR_FILE_READ, "'%s': /events/label is empty (no events)", path);
  for (int d = 0; d < HD_DS_COUNT; d++)
    PetscCheck(did[d] < 0 || (PetscInt)dims[d][0] == n, comm, HD_ERR_FILE_READ, "'%s': %s has %llu rows but /events/label has %" PetscInt_FMT, path, hd_ds_path[d], (unsigned long long)dims[d][0], n);

  L->n_events = n;
  if (did[HD_DS_FEATURES] >= 0) {
    L->n_features = (PetscInt)dims[HD_DS_FEATURES][1];
    PetscCheck(L->n_features > 0 || !hd_events_needed(need, "features"), comm, HD_ERR_FILE_READ, "'%s': /events/features has zero features (shape [%" PetscInt_FMT ", 0])", path, n);
  }
  L->has_mass   = did[HD_DS_MASS] >= 0;
  L->has_weight = did[HD_DS_WEIGHT] >= 0;
  if (did[HD_DS_IMAGES] >= 0) {
    L->image_h = (PetscInt)dims[HD_DS_IMAGES][1];
    L->image_w = (PetscInt)dims[HD_DS_IMAGES][2];
  }
  if (did[HD_DS_SETS] >= 0) {
    PetscCheck(did[HD_DS_SET_SIZE] >= 0, comm, HD_ERR_FILE_READ, "'%s' has /events/sets but no /events/set_size", path);
    L->set_size  = (PetscInt)dims[HD_DS_SETS][1];
    L->set_width = (PetscInt)dims[HD_DS_SETS][2];
  }
  if (L->n_features > 0) {
    PetscInt nn;
    char    *names;

    PetscErrorCode ierr = hd_h5_attr_read_strings(did[HD_DS_FEATURES], "names", HD_NAME_LEN, &nn, &names);

    PetscCheck(!ierr, comm, HD_ERR_FILE_READ, "'%s': the 'names' attribute of /events/features is not a list of strings", path);
    PetscCheck(nn == 0 || nn == L->n_features, comm, HD_ERR_FILE_READ, "'%s': the 'names' attribute of /events/features has %" PetscInt_FMT " entries for %" PetscInt_FMT " columns", path, nn, L->n_features);
    PetscCall(PetscCalloc1(L->n_features, &L->feature_names));
    for (PetscInt j = 0; j < L->n_features; j++) {
      if (j < nn) memcpy(L->feature_names[j], names + (size_t)j * HD_NAME_LEN, HD_NAME_LEN);
      else snprintf(L->feature_names[j], HD_NAME_LEN, "f%" PetscInt_FMT, j);
    }
    PetscCall(PetscFree(names));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_events_close(hid_t fid, hid_t did[HD_DS_COUNT])
{
  PetscFunctionBegin;
  for (int d = 0; d < HD_DS_COUNT; d++)
    if (did[d] >= 0) H5Dclose(did[d]);
  if (fid >= 0) H5Fclose(fid);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Which datasets a read fills, and the values per row of each (0: not read). */
static void hd_events_row_sizes(const hd_events_layout *L, const char *const *need, PetscInt width[HD_DS_COUNT])
{
  for (int d = 0; d < HD_DS_COUNT; d++) width[d] = 0;
  width[HD_DS_LABEL] = 1;
  width[HD_DS_FEATURES] = L->n_features;
  if (L->has_mass) width[HD_DS_MASS] = 1;
  if (L->has_weight) width[HD_DS_WEIGHT] = 1;
  if (L->image_h > 0 && hd_events_needed(need, "images")) width[HD_DS_IMAGES] = L->image_h * L->image_w;
  if (L->set_size > 0 && hd_events_needed(need, "sets")) {
    width[HD_DS_SETS]     = L->set_size * L->set_width;
    width[HD_DS_SET_SIZE] = 1;
  }
}

/* Where each dataset goes in an hd_events or hd_table (same field order). */
#define HD_EVENTS_POINTERS(e) {(void **)&(e)->features, (void **)&(e)->mass, (void **)&(e)->label, (void **)&(e)->weight, (void **)&(e)->images, (void **)&(e)->sets, (void **)&(e)->set_n}

static hid_t hd_events_memtype(hd_dataset_id d) { return d == HD_DS_LABEL || d == HD_DS_SET_SIZE ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT; }

/* Collective on comm. Labels are -1 (unlabelled), 0 (background) or a class 1..K: anything below
 * -1 or above HD_EVENTS_MAX_LABEL (a 64-bit value HDF5 clipped to 32 bits among them) is refused,
 * naming the first (global) row. */
static PetscErrorCode hd_events_check_labels(MPI_Comm comm, const char *path, const int32_t *label, PetscInt n, PetscInt offset)
{
  int64_t bad[2] = {0, INT64_MAX}, all[2], value = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) {
    if (label[i] < -1 || label[i] > HD_EVENTS_MAX_LABEL) {
      if (!bad[0]) bad[1] = offset + i;
      bad[0]++;
    }
  }
  PetscCallMPI(MPI_Allreduce(&bad[0], &all[0], 1, MPI_INT64_T, MPI_SUM, comm));
  PetscCallMPI(MPI_Allreduce(&bad[1], &all[1], 1, MPI_INT64_T, MPI_MIN, comm));
  if (all[0] && bad[1] == all[1]) value = label[bad[1] - offset];
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT64_T, MPI_SUM, comm));
  PetscCheck(all[0] == 0, comm, HD_ERR_FILE_READ, "'%s': /events/label holds %lld values outside -1 (unlabelled), 0 (background) and 1..%d (classes), the first %lld in row %lld", path, (long long)all[0], HD_EVENTS_MAX_LABEL, (long long)value, (long long)all[1]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on comm. Float datasets but set_size hold finite values: each rank checks rows
 * [row0, row0 + n) of what was read, with `base` the row of the buffers' first row. */
static PetscErrorCode hd_events_check_all(MPI_Comm comm, const char *path, const PetscInt width[HD_DS_COUNT], void **const ptr[HD_DS_COUNT], PetscInt base, PetscInt row0, PetscInt n)
{
  PetscFunctionBegin;
  PetscCall(hd_events_check_labels(comm, path, (const int32_t *)*ptr[HD_DS_LABEL] + (row0 - base), n, row0));
  for (int d = 0; d < HD_DS_COUNT; d++) {
    if (!width[d] || d == HD_DS_LABEL || d == HD_DS_SET_SIZE || d == HD_DS_SETS) continue; /* sets: padding may hold anything */
    PetscCall(hd_events_check_finite(comm, path, hd_ds_path[d], (const float *)*ptr[d] + (size_t)(row0 - base) * (size_t)width[d], n, width[d], row0));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on comm. The reads of hd_events_read, on an open file. */
static PetscErrorCode hd_events_read_blocks(MPI_Comm comm, const char *path, const char *const *need, const hid_t did[HD_DS_COUNT], hd_events *ev)
{
  int      rank, size;
  PetscInt width[HD_DS_COUNT];
  void   **ptr[HD_DS_COUNT] = HD_EVENTS_POINTERS(ev);

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  hd_events_block(ev->layout.n_events, rank, size, &ev->offset, &ev->n_local);
  hd_events_row_sizes(&ev->layout, need, width);
  for (int d = 0; d < HD_DS_COUNT; d++) {
    if (!width[d]) continue;
    PetscCall(PetscMalloc((size_t)PetscMax(ev->n_local, 1) * (size_t)width[d] * 4, ptr[d])); /* all values are 4 bytes */
    PetscCall(hd_events_rows_pieces(comm, did[d], hd_events_memtype((hd_dataset_id)d), ev->offset, ev->n_local, PETSC_FALSE, path, hd_ds_path[d], *ptr[d]));
  }
  PetscCall(hd_events_check_all(comm, path, width, ptr, ev->offset, ev->offset, ev->n_local));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every event file this process read, in the order first read, for hd_events_data_identity: a
 * method that reads several (cwola_ee's -data and -reference) must be resumed on all of them. */
#define HD_EVENTS_FILES_MAX 16
struct hd_events_read_log_s {
  struct {
    char     path[PETSC_MAX_PATH_LEN];
    PetscInt n_events, n_features;
    char     sha256[HD_SHA256_HEX_LEN]; /* "" until first asked */
  } files[HD_EVENTS_FILES_MAX];
  int       n;
  PetscBool overflow; /* more files than the record holds: identity refuses */
};
/* the process's record, or the one a caller switched to (hd_events_read_log_use) */
static struct hd_events_read_log_s hd_events_log_process;
static hd_events_read_log           hd_events_log = &hd_events_log_process;

PetscErrorCode hd_events_read_log_create(hd_events_read_log *log)
{
  PetscFunctionBegin;
  PetscCall(PetscCalloc1(1, log));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_events_read_log_destroy(hd_events_read_log *log)
{
  PetscFunctionBegin;
  if (*log == hd_events_log) hd_events_log = &hd_events_log_process;
  PetscCall(PetscFree(*log));
  PetscFunctionReturn(PETSC_SUCCESS);
}

hd_events_read_log hd_events_read_log_use(hd_events_read_log log)
{
  hd_events_read_log previous = hd_events_log == &hd_events_log_process ? NULL : hd_events_log;

  hd_events_log = log ? log : &hd_events_log_process;
  return previous;
}

static void hd_events_note_read(const char *path, const hd_events_layout *L)
{
  int i;

  for (i = 0; i < hd_events_log->n && strcmp(hd_events_log->files[i].path, path); i++) {}
  if (i == HD_EVENTS_FILES_MAX) {
    hd_events_log->overflow = PETSC_TRUE;
    return;
  }
  if (i == hd_events_log->n) hd_events_log->n++;
  snprintf(hd_events_log->files[i].path, sizeof(hd_events_log->files[i].path), "%s", path);
  hd_events_log->files[i].n_events   = L->n_events;
  hd_events_log->files[i].n_features = L->n_features;
  hd_events_log->files[i].sha256[0]  = '\0'; /* read again: hash again, the file may have changed */
}

PetscErrorCode hd_events_data_identity(char *identity, size_t len, char *paths, size_t paths_len)
{
  size_t used = 0, used_paths = 0;

  PetscFunctionBegin;
  identity[0] = '\0';
  paths[0]    = '\0';
  PetscCheck(!hd_events_log->overflow, PETSC_COMM_SELF, HD_ERR_INTERNAL, "more than %d event files were read: the data identity cannot record them all", HD_EVENTS_FILES_MAX);
  for (int i = 0; i < hd_events_log->n; i++) {
    const char *sep = i ? "; " : "";
    int         n, m;

    if (!hd_events_log->files[i].sha256[0]) PetscCall(hd_sha256_file(hd_events_log->files[i].path, hd_events_log->files[i].sha256));
    n = snprintf(identity + used, len - used, "%s%" PetscInt_FMT " events x %" PetscInt_FMT " features, sha256 %s", sep, hd_events_log->files[i].n_events, hd_events_log->files[i].n_features, hd_events_log->files[i].sha256);
    m = snprintf(paths + used_paths, paths_len - used_paths, "%s%s", sep, hd_events_log->files[i].path);
    PetscCheck(n >= 0 && (size_t)n < len - used && m >= 0 && (size_t)m < paths_len - used_paths, PETSC_COMM_SELF, HD_ERR_INTERNAL, "the identity of %d event files does not fit in %zu characters (paths: %zu)", hd_events_log->n, len, paths_len);
    used += (size_t)n;
    used_paths += (size_t)m;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscInt hd_events_feature_index(const hd_events_layout *layout, const char *name)
{
  for (PetscInt j = 0; j < layout->n_features; j++)
    if (!strcmp(layout->feature_names[j], name)) return j;
  return -1;
}

PetscErrorCode hd_events_read(MPI_Comm comm, const char *path, const char *const *need, hd_events *ev)
{
  hid_t          fid, did[HD_DS_COUNT];
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(ev, sizeof(*ev)));
  PetscCall(PetscLogStagePush(HD_STAGE_READ));
  PetscCall(PetscLogEventBegin(HD_EVENT_READ, 0, 0, 0, 0));
  ierr = hd_events_open(comm, path, need, &fid, did, &ev->layout);
  if (!ierr) ierr = hd_events_read_blocks(comm, path, need, did, ev);
  PetscCall(hd_events_close(fid, did)); /* on every path: no handle outlives a failed read */
  PetscCall(ierr);
  hd_events_note_read(path, &ev->layout);
  PetscCall(PetscLogEventEnd(HD_EVENT_READ, 0, 0, 0, 0));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_events_free(hd_events *ev)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(ev->layout.feature_names));
  PetscCall(PetscFree(ev->features));
  PetscCall(PetscFree(ev->mass));
  PetscCall(PetscFree(ev->label));
  PetscCall(PetscFree(ev->weight));
  PetscCall(PetscFree(ev->images));
  PetscCall(PetscFree(ev->sets));
  PetscCall(PetscFree(ev->set_n));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the node-shared table ---- */

PetscErrorCode hd_table_alloc_bytes(hd_table *t, size_t bytes, void **p)
{
  PetscFunctionBegin;
  PetscCheck(t->n_arrays < HD_TABLE_MAX_ARRAYS, PETSC_COMM_SELF, HD_ERR_INTERNAL, "a table holds at most %d node-shared arrays", HD_TABLE_MAX_ARRAYS);
  PetscCall(hd_shared_alloc(&t->node, bytes, &t->arrays[t->n_arrays]));
  *p = t->arrays[t->n_arrays++].base;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_table_sync(hd_table *t)
{
  PetscFunctionBegin;
  /* one node barrier publishes every array: the memory barriers are per window */
  for (PetscInt k = 0; k < t->n_arrays; k++) PetscCallMPI(MPI_Win_sync(t->arrays[k].win));
  PetscCallMPI(MPI_Barrier(t->node.node));
  for (PetscInt k = 0; k < t->n_arrays; k++) PetscCallMPI(MPI_Win_sync(t->arrays[k].win));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_table_destroy(hd_table *t)
{
  PetscFunctionBegin;
  for (PetscInt k = t->n_arrays - 1; k >= 0; k--) PetscCall(hd_shared_free(&t->arrays[k]));
  t->n_arrays = 0;
  PetscCall(hd_node_destroy(&t->node));
  PetscCall(PetscFree(t->layout.feature_names));
  t->features = t->mass = t->weight = t->images = t->sets = NULL;
  t->label = t->set_n = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on comm. The reads of hd_events_read_shared, on an open file: every rank reads its
 * block of its node's copy into the node's shared array; all ranks of comm take part in each
 * collective read (ranks of different nodes select the same rows: each node gets its own copy
 * from the file). */
static PetscErrorCode hd_events_read_node(MPI_Comm comm, const char *path, const char *const *need, const hid_t did[HD_DS_COUNT], hd_table *t)
{
  int      rank, size;
  PetscInt width[HD_DS_COUNT], N = t->layout.n_events;
  void   **ptr[HD_DS_COUNT] = HD_EVENTS_POINTERS(t);

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  hd_events_block(N, rank, size, &t->offset, &t->n_local);
  hd_node_block(&t->node, N, &t->fill_offset, &t->fill_count);
  hd_events_row_sizes(&t->layout, need, width);
  for (int d = 0; d < HD_DS_COUNT; d++) {
    if (!width[d]) continue;
    PetscCall(hd_table_alloc_bytes(t, (size_t)N * (size_t)width[d] * 4, ptr[d]));
    PetscCall(hd_events_rows_pieces(comm, did[d], hd_events_memtype((hd_dataset_id)d), t->fill_offset, t->fill_count, PETSC_FALSE, path, hd_ds_path[d], t->fill_count > 0 ? (char *)*ptr[d] + (size_t)t->fill_offset * (size_t)width[d] * 4 : NULL));
  }
  PetscCall(hd_table_sync(t));
  /* each rank checks its block of comm's rows, so every row is checked once whatever the nodes */
  PetscCall(hd_events_check_all(comm, path, width, ptr, 0, t->offset, t->n_local));
  PetscCall(hd_table_sync(t)); /* the checks have read their rows: the caller may now write its own */
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_events_read_shared(MPI_Comm comm, const char *path, const char *const *need, hd_table *t)
{
  hid_t          fid, did[HD_DS_COUNT];
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(t, sizeof(*t)));
  PetscCall(PetscLogStagePush(HD_STAGE_READ));
  PetscCall(PetscLogEventBegin(HD_EVENT_READ, 0, 0, 0, 0));
  PetscCall(hd_node_create(comm, &t->node));
  ierr = hd_events_open(comm, path, need, &fid, did, &t->layout);
  if (!ierr) ierr = hd_events_read_node(comm, path, need, did, t);
  PetscCall(hd_events_close(fid, did));
  PetscCall(ierr); /* the caller's hd_table_destroy frees what was allocated */
  hd_events_note_read(path, &t->layout);
  PetscCall(PetscLogEventEnd(HD_EVENT_READ, 0, 0, 0, 0));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- writing ---- */

struct hd_events_writer_s {
  hd_h5_output     out;
  hd_events_layout layout;
  hid_t            did[HD_DS_COUNT];
};

static PetscErrorCode hd_events_create_dataset(hd_events_writer w, hd_dataset_id id, int nd, const hsize_t *dims, hid_t type)
{
  PetscErrorCode ierr  = PETSC_SUCCESS;
  hid_t          space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;

  PetscFunctionBegin;
  HdH5Goto(space = H5Screate_simple(nd, dims, NULL), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot create a space for %s", w->out.path, hd_ds_path[id]);
  HdH5Goto(dcpl = H5Pcreate(H5P_DATASET_CREATE), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot create a dataset property list", w->out.path);
  /* Every element is written: skip the fill pass. */
  HdH5Goto(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot set the fill time", w->out.path);
  HdH5Goto(w->did[id] = H5Dcreate2(w->out.fid, hd_ds_path[id], type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot create %s", w->out.path, hd_ds_path[id]);
cleanup:
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  PetscFunctionReturn(ierr);
}

PetscErrorCode hd_events_writer_create(MPI_Comm comm, const char *path, const hd_events_layout *layout, hd_events_writer *wp)
{
  hd_events_writer w;
  hid_t            group;
  hsize_t          n = (hsize_t)layout->n_events;

  PetscFunctionBegin;
  PetscCheck(layout->n_events > 0, comm, HD_ERR_USER_INPUT, "'%s': an event file needs at least one event (got %" PetscInt_FMT ")", path, layout->n_events);
  PetscCall(PetscNew(&w));
  w->layout = *layout;
  w->layout.feature_names = NULL;
  for (int d = 0; d < HD_DS_COUNT; d++) w->did[d] = H5I_INVALID_HID;
  PetscCall(hd_h5_output_create(comm, path, &w->out));
  HdCallH5Write(group = H5Gcreate2(w->out.fid, "/events", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "'%s': cannot create /events", path);
  H5Gclose(group);
  PetscCall(hd_events_create_dataset(w, HD_DS_LABEL, 1, &n, H5T_STD_I32LE));
  if (layout->n_features > 0) {
    hsize_t      dims[2] = {n, (hsize_t)layout->n_features};
    const char **names;

    PetscCall(hd_events_create_dataset(w, HD_DS_FEATURES, 2, dims, H5T_IEEE_F32LE));
    PetscCall(PetscMalloc1(layout->n_features, &names));
    for (PetscInt j = 0; j < layout->n_features; j++) names[j] = layout->feature_names[j];
    PetscCall(hd_h5_attr_write_strings(w->did[HD_DS_FEATURES], "names", layout->n_features, names));
    PetscCall(PetscFree(names));
  }
  if (layout->has_mass) PetscCall(hd_events_create_dataset(w, HD_DS_MASS, 1, &n, H5T_IEEE_F32LE));
  if (layout->has_weight) PetscCall(hd_events_create_dataset(w, HD_DS_WEIGHT, 1, &n, H5T_IEEE_F32LE));
  if (layout->image_h > 0) {
    hsize_t dims[3] = {n, (hsize_t)layout->image_h, (hsize_t)layout->image_w};
    PetscCall(hd_events_create_dataset(w, HD_DS_IMAGES, 3, dims, H5T_IEEE_F32LE));
  }
  if (layout->set_size > 0) {
    hsize_t dims[3] = {n, (hsize_t)layout->set_size, (hsize_t)layout->set_width};
    PetscCall(hd_events_create_dataset(w, HD_DS_SETS, 3, dims, H5T_IEEE_F32LE));
    PetscCall(hd_events_create_dataset(w, HD_DS_SET_SIZE, 1, &n, H5T_STD_I32LE));
  }
  *wp = w;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_events_write_rows(hd_events_writer w, hd_dataset_id id, hid_t memtype, PetscInt row0, PetscInt count, const void *buf)
{
  PetscFunctionBegin;
  PetscCall(hd_events_rows_pieces(w->out.comm, w->did[id], memtype, row0, count, PETSC_TRUE, w->out.path, hd_ds_path[id], (void *)buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_events_writer_write(hd_events_writer w, PetscInt row0, PetscInt count, const float *features, const float *mass, const int32_t *label, const float *weight, const float *images, const float *sets, const int32_t *set_n)
{
  PetscFunctionBegin;
  PetscCall(PetscLogStagePush(HD_STAGE_WRITE));
  PetscCall(PetscLogEventBegin(HD_EVENT_WRITE, 0, 0, 0, 0));
  PetscCall(hd_events_write_rows(w, HD_DS_LABEL, H5T_NATIVE_INT32, row0, count, label));
  if (w->did[HD_DS_FEATURES] >= 0) PetscCall(hd_events_write_rows(w, HD_DS_FEATURES, H5T_NATIVE_FLOAT, row0, count, features));
  if (w->did[HD_DS_MASS] >= 0) PetscCall(hd_events_write_rows(w, HD_DS_MASS, H5T_NATIVE_FLOAT, row0, count, mass));
  if (w->did[HD_DS_WEIGHT] >= 0) PetscCall(hd_events_write_rows(w, HD_DS_WEIGHT, H5T_NATIVE_FLOAT, row0, count, weight));
  if (w->did[HD_DS_IMAGES] >= 0) PetscCall(hd_events_write_rows(w, HD_DS_IMAGES, H5T_NATIVE_FLOAT, row0, count, images));
  if (w->did[HD_DS_SETS] >= 0) {
    PetscCall(hd_events_write_rows(w, HD_DS_SETS, H5T_NATIVE_FLOAT, row0, count, sets));
    PetscCall(hd_events_write_rows(w, HD_DS_SET_SIZE, H5T_NATIVE_INT32, row0, count, set_n));
  }
  PetscCall(PetscLogEventEnd(HD_EVENT_WRITE, 0, 0, 0, 0));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Attribute values are taken from rank 0 so that every rank writes the same metadata. */
PetscErrorCode hd_events_writer_attr_string(hd_events_writer w, const char *name, const char *value)
{
  char buf[4096];

  PetscFunctionBegin;
  snprintf(buf, sizeof(buf), "%s", value);
  PetscCallMPI(MPI_Bcast(buf, (int)sizeof(buf), MPI_CHAR, 0, w->out.comm));
  PetscCall(hd_h5_attr_write_string(w->out.fid, name, buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_events_writer_attr_int(hd_events_writer w, const char *name, int64_t value)
{
  PetscFunctionBegin;
  PetscCallMPI(MPI_Bcast(&value, 1, MPI_INT64_T, 0, w->out.comm));
  PetscCall(hd_h5_attr_write_int(w->out.fid, name, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_events_writer_attr_double(hd_events_writer w, const char *name, double value)
{
  PetscFunctionBegin;
  PetscCallMPI(MPI_Bcast(&value, 1, MPI_DOUBLE, 0, w->out.comm));
  PetscCall(hd_h5_attr_write_double(w->out.fid, name, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_events_writer_attr_strings(hd_events_writer w, const char *name, PetscInt n, const char *const *values)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_attr_write_strings(w->out.fid, name, n, values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void hd_events_writer_close_datasets(hd_events_writer w)
{
  for (int d = 0; d < HD_DS_COUNT; d++)
    if (w->did[d] >= 0) {
      H5Dclose(w->did[d]);
      w->did[d] = H5I_INVALID_HID;
    }
}

PetscErrorCode hd_events_writer_close(hd_events_writer *wp)
{
  hd_events_writer w = *wp;
  PetscErrorCode   ierr;

  PetscFunctionBegin;
  if (!w) PetscFunctionReturn(PETSC_SUCCESS);
  hd_events_writer_close_datasets(w);
  ierr = hd_h5_output_commit(&w->out); /* removes the temporary file when it fails */
  PetscCall(PetscFree(*wp));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_events_writer_discard(hd_events_writer *wp)
{
  hd_events_writer w = *wp;

  PetscFunctionBegin;
  if (!w) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(hd_h5_output_discard(&w->out)); /* closes the datasets too, after emptying the file */
  for (int d = 0; d < HD_DS_COUNT; d++) w->did[d] = H5I_INVALID_HID;
  PetscCall(PetscFree(*wp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on comm (the file is opened on comm; every rank reads the small attribute). */
PetscErrorCode hd_events_read_names(MPI_Comm comm, const char *path, const char *attr, PetscInt *n, char (**names)[HD_NAME_LEN])
{
  hid_t fid = H5I_INVALID_HID;
  char *raw = NULL;

  PetscFunctionBegin;
  *n     = 0;
  *names = NULL;
  PetscCall(hd_h5_open(comm, path, &fid));
  PetscErrorCode ierr = hd_error_agree(comm, hd_h5_attr_read_strings(fid, attr, HD_NAME_LEN, n, &raw));
  H5Fclose(fid);
  PetscCall(ierr);
  *names = (char (*)[HD_NAME_LEN])raw;
  PetscFunctionReturn(PETSC_SUCCESS);
}
