/* Event tables in HDF5, read and written collectively (see include/hadal/events.h). */
#include <math.h>
#include <string.h>
#include <hadal/events.h>
#include <hadal/h5.h>
#include <hadal/log.h>

void hd_events_block(PetscInt n, int rank, int size, PetscInt *offset, PetscInt *count)
{
  PetscInt lo = (PetscInt)(((int64_t)n * rank) / size);
  PetscInt hi = (PetscInt)(((int64_t)n * (rank + 1)) / size);

  *offset = lo;
  *count  = hi - lo;
}

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

/* Open one dataset; *did < 0 when absent. Checks rank and leading dimension. */
static PetscErrorCode hd_events_open_dataset(MPI_Comm comm, hid_t fid, const char *path, hd_dataset_id id, int rank_expected, hsize_t dims[3], hid_t *did)
{
  hid_t space;
  int   ndims;

  PetscFunctionBegin;
  *did = H5I_INVALID_HID;
  if (H5Lexists(fid, hd_ds_path[id], H5P_DEFAULT) <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  *did = H5Dopen2(fid, hd_ds_path[id], H5P_DEFAULT);
  PetscCheck(*did >= 0, comm, HD_ERR_FILE_READ, "'%s': %s exists but cannot be opened as a dataset", path, hd_ds_path[id]);
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
  hid_t   fspace, mspace, dxpl;
  hsize_t dims[3], start[3] = {(hsize_t)row0, 0, 0}, n[3], total, one = 1;
  int     nd;
  herr_t  status;

  PetscFunctionBegin;
  HdCallH5(fspace = H5Dget_space(did), "'%s': cannot read the shape of %s", path, name);
  HdCallH5(nd = H5Sget_simple_extent_ndims(fspace), "'%s': cannot read the shape of %s", path, name);
  HdCallH5(H5Sget_simple_extent_dims(fspace, dims, NULL), "'%s': cannot read the shape of %s", path, name);
  n[0]  = (hsize_t)count;
  total = (hsize_t)count;
  for (int d = 1; d < nd; d++) {
    n[d] = dims[d];
    total *= dims[d];
  }
  PetscCheck(count == 0 || buf, PETSC_COMM_SELF, HD_ERR_INTERNAL, "'%s': no buffer for %s", path, name);
  PetscCheck(row0 >= 0 && (hsize_t)(row0 + count) <= dims[0], PETSC_COMM_SELF, HD_ERR_INTERNAL, "'%s': rows [%" PetscInt_FMT ", %" PetscInt_FMT ") outside %s", path, row0, row0 + count, name);
  HdCallH5(mspace = H5Screate_simple(1, total ? &total : &one, NULL), "cannot create a memory space");
  if (count > 0) {
    HdCallH5(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, n, NULL), "'%s': cannot select rows of %s", path, name);
  } else {
    HdCallH5(H5Sselect_none(fspace), "cannot select nothing");
    HdCallH5(H5Sselect_none(mspace), "cannot select nothing");
  }
  PetscCall(hd_h5_collective_dxpl(&dxpl));
  if (write) status = H5Dwrite(did, memtype, mspace, fspace, dxpl, buf);
  else status = H5Dread(did, memtype, mspace, fspace, dxpl, buf);
  HdCallH5(status, write ? "'%s': cannot write %s (disk full?)" : "'%s': cannot read %s (file truncated or damaged?)", path, name);
  H5Pclose(dxpl);
  H5Sclose(mspace);
  H5Sclose(fspace);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_events_read_rows(hid_t did, hid_t memtype, PetscInt offset, PetscInt count, const char *path, const char *name, void *buf)
{
  PetscFunctionBegin;
  PetscCall(hd_events_rows_io(did, memtype, offset, count, PETSC_FALSE, path, name, buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Non-finite values are bad input: count them on every rank and report the first (global) row. */
static PetscErrorCode hd_events_check_finite(MPI_Comm comm, const char *path, const char *name, const float *v, PetscInt n_local, PetscInt row, PetscInt offset)
{
  int64_t bad[2] = {0, INT64_MAX}, all[2];

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n_local * row; i++) {
    if (!isfinite(v[i])) {
      if (!bad[0]) bad[1] = offset + i / row;
      bad[0]++;
    }
  }
  PetscCallMPI(MPI_Allreduce(&bad[0], &all[0], 1, MPI_INT64_T, MPI_SUM, comm));
  PetscCallMPI(MPI_Allreduce(&bad[1], &all[1], 1, MPI_INT64_T, MPI_MIN, comm));
  PetscCheck(all[0] == 0, comm, HD_ERR_FILE_READ, "'%s': %s holds %lld non-finite values (NaN or inf), the first in row %lld", path, name, (long long)all[0], (long long)all[1]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_events_read(MPI_Comm comm, const char *path, const char *const *need, hd_events *ev)
{
  hid_t    fid, did[HD_DS_COUNT];
  hsize_t  dims[HD_DS_COUNT][3];
  int      rank, size;
  PetscInt n;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(ev, sizeof(*ev)));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscLogStagePush(HD_STAGE_READ));
  PetscCall(PetscLogEventBegin(HD_EVENT_READ, 0, 0, 0, 0));
  PetscCall(hd_h5_open(comm, path, &fid));
  PetscCheck(H5Lexists(fid, "/events", H5P_DEFAULT) > 0, comm, HD_ERR_FILE_READ, "'%s' is not an event file: it has no /events group", path);
  for (int d = 0; d < HD_DS_COUNT; d++) {
    int rank_expected = d == HD_DS_FEATURES ? 2 : d == HD_DS_IMAGES || d == HD_DS_SETS ? 3 : 1;
    PetscCall(hd_events_open_dataset(comm, fid, path, (hd_dataset_id)d, rank_expected, dims[d], &did[d]));
    PetscCheck(did[d] >= 0 || !hd_events_needed(need, hd_ds_need[d]), comm, HD_ERR_FILE_READ, "'%s' has no %s dataset, which this command needs", path, hd_ds_path[d]);
  }
  PetscCheck(did[HD_DS_LABEL] >= 0, comm, HD_ERR_FILE_READ, "'%s' has no /events/label dataset (every event file has one)", path);
  n = (PetscInt)dims[HD_DS_LABEL][0];
  PetscCheck(n > 0, comm, HD_ERR_FILE_READ, "'%s': /events/label is empty (no events)", path);
  for (int d = 0; d < HD_DS_COUNT; d++)
    PetscCheck(did[d] < 0 || (PetscInt)dims[d][0] == n, comm, HD_ERR_FILE_READ, "'%s': %s has %llu rows but /events/label has %" PetscInt_FMT, path, hd_ds_path[d], (unsigned long long)dims[d][0], n);

  hd_events_layout *L = &ev->layout;
  L->n_events         = n;
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

    PetscCall(hd_h5_attr_read_strings(did[HD_DS_FEATURES], "names", HD_NAME_LEN, &nn, &names));
    PetscCall(PetscCalloc1(L->n_features, &L->feature_names));
    for (PetscInt j = 0; j < L->n_features; j++) {
      if (j < nn) memcpy(L->feature_names[j], names + (size_t)j * HD_NAME_LEN, HD_NAME_LEN);
      else snprintf(L->feature_names[j], HD_NAME_LEN, "f%" PetscInt_FMT, j);
    }
    PetscCall(PetscFree(names));
  }

  hd_events_block(n, rank, size, &ev->offset, &ev->n_local);
  PetscInt nl = ev->n_local, m = PetscMax(nl, 1);
  PetscCall(PetscMalloc1(m, &ev->label));
  PetscCall(hd_events_read_rows(did[HD_DS_LABEL], H5T_NATIVE_INT32, ev->offset, nl, path, "/events/label", ev->label));
  if (L->n_features > 0) {
    PetscCall(PetscMalloc1(m * L->n_features, &ev->features));
    PetscCall(hd_events_read_rows(did[HD_DS_FEATURES], H5T_NATIVE_FLOAT, ev->offset, nl, path, "/events/features", ev->features));
    PetscCall(hd_events_check_finite(comm, path, "/events/features", ev->features, nl, L->n_features, ev->offset));
  }
  if (L->has_mass) {
    PetscCall(PetscMalloc1(m, &ev->mass));
    PetscCall(hd_events_read_rows(did[HD_DS_MASS], H5T_NATIVE_FLOAT, ev->offset, nl, path, "/events/mass", ev->mass));
    PetscCall(hd_events_check_finite(comm, path, "/events/mass", ev->mass, nl, 1, ev->offset));
  }
  if (L->has_weight) {
    PetscCall(PetscMalloc1(m, &ev->weight));
    PetscCall(hd_events_read_rows(did[HD_DS_WEIGHT], H5T_NATIVE_FLOAT, ev->offset, nl, path, "/events/weight", ev->weight));
    PetscCall(hd_events_check_finite(comm, path, "/events/weight", ev->weight, nl, 1, ev->offset));
  }
  if (L->image_h > 0 && hd_events_needed(need, "images")) {
    hsize_t row = (hsize_t)(L->image_h * L->image_w);
    PetscCall(PetscMalloc1(m * (PetscInt)row, &ev->images));
    PetscCall(hd_events_read_rows(did[HD_DS_IMAGES], H5T_NATIVE_FLOAT, ev->offset, nl, path, "/events/images", ev->images));
    PetscCall(hd_events_check_finite(comm, path, "/events/images", ev->images, nl, (PetscInt)row, ev->offset));
  }
  if (L->set_size > 0 && hd_events_needed(need, "sets")) {
    hsize_t row = (hsize_t)(L->set_size * L->set_width);
    PetscCall(PetscMalloc1(m * (PetscInt)row, &ev->sets));
    PetscCall(PetscMalloc1(m, &ev->set_n));
    PetscCall(hd_events_read_rows(did[HD_DS_SETS], H5T_NATIVE_FLOAT, ev->offset, nl, path, "/events/sets", ev->sets));
    PetscCall(hd_events_read_rows(did[HD_DS_SET_SIZE], H5T_NATIVE_INT32, ev->offset, nl, path, "/events/set_size", ev->set_n));
  }
  for (int d = 0; d < HD_DS_COUNT; d++)
    if (did[d] >= 0) H5Dclose(did[d]);
  HdCallH5(H5Fclose(fid), "cannot close '%s'", path);
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

PetscErrorCode hd_events_allgather(MPI_Comm comm, const hd_events *ev, PetscInt width, MPI_Datatype type, const void *local, void *all)
{
  int  rank, size, *counts, *displs;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCheck((double)ev->layout.n_events * (double)width < 2147483647.0, comm, HD_ERR_USER_INPUT, "%" PetscInt_FMT " events x %" PetscInt_FMT " values are too many to hold on every rank", ev->layout.n_events, width);
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  for (int r = 0; r < size; r++) {
    PetscInt off, cnt;
    hd_events_block(ev->layout.n_events, r, size, &off, &cnt);
    counts[r] = (int)(cnt * width);
    displs[r] = (int)(off * width);
  }
  PetscCallMPI(MPI_Allgatherv(local, counts[rank], type, all, counts, displs, type, comm));
  PetscCall(PetscFree2(counts, displs));
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
  hid_t space, dcpl;

  PetscFunctionBegin;
  HdCallH5(space = H5Screate_simple(nd, dims, NULL), "cannot create a space for %s", hd_ds_path[id]);
  HdCallH5(dcpl = H5Pcreate(H5P_DATASET_CREATE), "cannot create a dataset property list");
  /* Every element is written: skip the fill pass. */
  HdCallH5(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), "cannot set the fill time");
  HdCallH5(w->did[id] = H5Dcreate2(w->out.fid, hd_ds_path[id], type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), "'%s': cannot create %s", w->out.path, hd_ds_path[id]);
  H5Pclose(dcpl);
  H5Sclose(space);
  PetscFunctionReturn(PETSC_SUCCESS);
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
  HdCallH5(group = H5Gcreate2(w->out.fid, "/events", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "'%s': cannot create /events", path);
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
  PetscCall(hd_events_rows_io(w->did[id], memtype, row0, count, PETSC_TRUE, w->out.path, hd_ds_path[id], (void *)buf));
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

  PetscFunctionBegin;
  if (!w) PetscFunctionReturn(PETSC_SUCCESS);
  hd_events_writer_close_datasets(w);
  PetscCall(hd_h5_output_commit(&w->out));
  PetscCall(PetscFree(*wp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_events_writer_discard(hd_events_writer *wp)
{
  hd_events_writer w = *wp;

  PetscFunctionBegin;
  if (!w) PetscFunctionReturn(PETSC_SUCCESS);
  hd_events_writer_close_datasets(w);
  PetscCall(hd_h5_output_discard(&w->out));
  PetscCall(PetscFree(*wp));
  PetscFunctionReturn(PETSC_SUCCESS);
}
