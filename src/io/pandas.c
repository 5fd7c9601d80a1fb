/* pandas DataFrames in HDF5 (include/hadal/pandas.h): the fixed and the table layouts of
 * DataFrame.to_hdf, read column by column through parallel HDF5. */
#include <inttypes.h>
#include <string.h>
#include <hadal/h5.h>
#include <hadal/pandas.h>

/* Where a column's values are: a source is one blockK_values dataset (fixed) or one field of the
 * table's records (table), of `width` columns. */
typedef struct {
  hid_t       did;                /* fixed: the block's dataset; table: unused (the table's) */
  char        field[HD_NAME_LEN]; /* table: the record field's name */
  PetscInt    width;
  PetscBool   is_array;           /* table: the field is an array of `width` values */
  H5T_class_t cls;                /* class of the values (H5T_INTEGER and H5T_FLOAT are readable) */
} hd_pandas_source;

struct hd_pandas_frame_s {
  MPI_Comm          comm;
  char              path[PETSC_MAX_PATH_LEN], key[256];
  hid_t             fid, table;
  PetscInt          n_rows, n_cols, n_src;
  char            (*names)[HD_NAME_LEN];
  PetscInt         *src, *pos; /* column c: source src[c], position pos[c] within it */
  hd_pandas_source *source;
};

PetscInt    hd_pandas_rows(hd_pandas_frame df) { return df->n_rows; }
const char *hd_pandas_key(hd_pandas_frame df) { return df->key; }
PetscInt    hd_pandas_columns(hd_pandas_frame df) { return df->n_cols; }
const char *hd_pandas_column_name(hd_pandas_frame df, PetscInt c) { return df->names[c]; }

/* Not collective (a small read every rank makes alike). Append one column name. */
static PetscErrorCode hd_pandas_add_column(hd_pandas_frame df, const char *name, size_t len, PetscInt src, PetscInt pos)
{
  PetscFunctionBegin;
  PetscCall(PetscRealloc(sizeof(*df->names) * (size_t)(df->n_cols + 1), &df->names));
  PetscCall(PetscRealloc(sizeof(PetscInt) * (size_t)(df->n_cols + 1), &df->src));
  PetscCall(PetscRealloc(sizeof(PetscInt) * (size_t)(df->n_cols + 1), &df->pos));
  len = PetscMin(len, (size_t)HD_NAME_LEN - 1);
  memcpy(df->names[df->n_cols], name, len);
  df->names[df->n_cols][len] = '\0';
  df->src[df->n_cols]        = src;
  df->pos[df->n_cols]        = pos;
  df->n_cols++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_pandas_add_source(hd_pandas_frame df, hid_t did, const char *field, PetscInt width, PetscBool is_array, H5T_class_t cls)
{
  hd_pandas_source *s;

  PetscFunctionBegin;
  PetscCall(PetscRealloc(sizeof(*df->source) * (size_t)(df->n_src + 1), &df->source));
  s = &df->source[df->n_src++];
  PetscCall(PetscMemzero(s, sizeof(*s)));
  s->did   = did;
  s->width    = width;
  s->is_array = is_array;
  s->cls      = cls;
  if (field) PetscCall(PetscStrncpy(s->field, field, sizeof(s->field)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective (metadata reads). The fixed layout: per block, the names and the values. */
static PetscErrorCode hd_pandas_open_fixed(hd_pandas_frame df, hid_t gid)
{
  int64_t nb;

  PetscFunctionBegin;
  PetscCall(hd_h5_attr_read_int(gid, df->path, "nblocks", &nb));
  PetscCheck(nb >= 1 && nb <= 1024, df->comm, HD_ERR_FILE_READ, "'%s': the DataFrame '%s' says it has %" PRId64 " blocks", df->path, df->key, nb);
  df->n_rows = -1;
  for (int64_t k = 0; k < nb; k++) {
    char        iname[64], vname[64];
    hid_t       items, vals, type, space;
    hsize_t     n_items, dims[2] = {0, 0};
    size_t      sz;
    int         nd;
    char       *buf;
    H5T_class_t cls;

    snprintf(iname, sizeof(iname), "block%" PRId64 "_items", k);
    snprintf(vname, sizeof(vname), "block%" PRId64 "_values", k);
    PetscCheck(H5Lexists(gid, iname, H5P_DEFAULT) > 0 && H5Lexists(gid, vname, H5P_DEFAULT) > 0, df->comm, HD_ERR_FILE_READ, "'%s': the DataFrame '%s' lacks /%s/%s or /%s/%s", df->path, df->key, df->key, iname, df->key, vname);
    /* the names: fixed-length strings (PyTables writes numpy 'S' arrays) */
    HdCallH5(items = H5Dopen2(gid, iname, H5P_DEFAULT), "'%s': cannot open /%s/%s", df->path, df->key, iname);
    HdCallH5(type = H5Dget_type(items), "'%s': cannot read the type of /%s/%s", df->path, df->key, iname);
    PetscCheck(H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) <= 0, df->comm, HD_ERR_FILE_READ, "'%s': /%s/%s does not hold fixed-length strings (the column names)", df->path, df->key, iname);
    sz = H5Tget_size(type);
    HdCallH5(space = H5Dget_space(items), "'%s': cannot read the shape of /%s/%s", df->path, df->key, iname);
    PetscCheck(H5Sget_simple_extent_ndims(space) == 1, df->comm, HD_ERR_FILE_READ, "'%s': /%s/%s is not a list of names", df->path, df->key, iname);
    HdCallH5(H5Sget_simple_extent_dims(space, &n_items, NULL), "'%s': cannot read the shape of /%s/%s", df->path, df->key, iname);
    H5Sclose(space);
    PetscCall(PetscMalloc1(PetscMax(n_items * sz, 1), &buf));
    HdCallH5(H5Dread(items, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), "'%s': cannot read /%s/%s", df->path, df->key, iname);
    H5Tclose(type);
    H5Dclose(items);
    /* the values [N, n_k]; a block of strings or objects (a 1-d array of pickles) is kept with its
     * class, so asking for one of its columns names the problem */
    HdCallH5(vals = H5Dopen2(gid, vname, H5P_DEFAULT), "'%s': cannot open /%s/%s", df->path, df->key, vname);
    HdCallH5(type = H5Dget_type(vals), "'%s': cannot read the type of /%s/%s", df->path, df->key, vname);
    cls = H5Tget_class(type);
    H5Tclose(type);
    HdCallH5(space = H5Dget_space(vals), "'%s': cannot read the shape of /%s/%s", df->path, df->key, vname);
    nd = H5Sget_simple_extent_ndims(space);
    if (nd == 2) HdCallH5(H5Sget_simple_extent_dims(space, dims, NULL), "'%s': cannot read the shape of /%s/%s", df->path, df->key, vname);
    H5Sclose(space);
    if (nd != 2) cls = H5T_VLEN; /* an object block */
    else {
      PetscCheck(dims[1] == n_items, df->comm, HD_ERR_FILE_READ, "'%s': /%s/%s has %llu columns but /%s/%s names %llu", df->path, df->key, vname, (unsigned long long)dims[1], df->key, iname, (unsigned long long)n_items);
      PetscCheck(df->n_rows < 0 || (hsize_t)df->n_rows == dims[0], df->comm, HD_ERR_FILE_READ, "'%s': /%s/%s has %llu rows, an earlier block %" PetscInt_FMT, df->path, df->key, vname, (unsigned long long)dims[0], df->n_rows);
      PetscCheck(dims[0] <= (hsize_t)PETSC_MAX_INT, df->comm, HD_ERR_FILE_READ, "'%s': %llu rows are more than a PetscInt holds", df->path, (unsigned long long)dims[0]);
      df->n_rows = (PetscInt)dims[0];
    }
    PetscCall(hd_pandas_add_source(df, vals, NULL, (PetscInt)n_items, PETSC_FALSE, cls));
    for (hsize_t i = 0; i < n_items; i++) PetscCall(hd_pandas_add_column(df, buf + i * sz, strnlen(buf + i * sz, sz), df->n_src - 1, (PetscInt)i));
    PetscCall(PetscFree(buf));
  }
  PetscCheck(df->n_rows >= 0, df->comm, HD_ERR_FILE_READ, "'%s': the DataFrame '%s' has no numeric block", df->path, df->key);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Not collective. The names in a protocol-0 pickle of a list of strings, as PyTables stores
 * values_block_K_kind: "(lp0\nVpxj1\np1\naVpyj1\np2\na..." (a 'V' op, possibly after the
 * 'a' that appends the previous item, carries one name to the end of its line). *n names at most
 * max go into names; returns *n = -1 when the text is not such a pickle. */
static void hd_pandas_parse_kind(const char *text, PetscInt max, char (*names)[HD_NAME_LEN], PetscInt *n)
{
  const char *p = text;

  *n = 0;
  if (strncmp(p, "(lp", 3)) {
    *n = -1;
    return;
  }
  while (*p) {
    const char *eol = strchr(p, '\n'), *q = p;
    size_t      len;

    if (!eol) eol = p + strlen(p);
    if (*q == 'a') q++;
    if (*q == 'V') {
      q++;
      len = (size_t)(eol - q);
      if (*n < max) {
        len = PetscMin(len, (size_t)HD_NAME_LEN - 1);
        memcpy(names[*n], q, len);
        names[*n][len] = '\0';
      }
      (*n)++;
    }
    p = *eol ? eol + 1 : eol;
  }
}

/* Collective (metadata reads). The table layout: one compound record per row. */
static PetscErrorCode hd_pandas_open_table(hd_pandas_frame df, hid_t gid)
{
  hid_t   type, space;
  hsize_t n;
  int     nm;

  PetscFunctionBegin;
  HdCallH5(df->table = H5Dopen2(gid, "table", H5P_DEFAULT), "'%s': cannot open /%s/table", df->path, df->key);
  HdCallH5(type = H5Dget_type(df->table), "'%s': cannot read the type of /%s/table", df->path, df->key);
  PetscCheck(H5Tget_class(type) == H5T_COMPOUND, df->comm, HD_ERR_FILE_READ, "'%s': /%s/table does not hold records", df->path, df->key);
  HdCallH5(space = H5Dget_space(df->table), "'%s': cannot read the shape of /%s/table", df->path, df->key);
  PetscCheck(H5Sget_simple_extent_ndims(space) == 1, df->comm, HD_ERR_FILE_READ, "'%s': /%s/table is not a list of records", df->path, df->key);
  HdCallH5(H5Sget_simple_extent_dims(space, &n, NULL), "'%s': cannot read the shape of /%s/table", df->path, df->key);
  H5Sclose(space);
  PetscCheck(n <= (hsize_t)PETSC_MAX_INT, df->comm, HD_ERR_FILE_READ, "'%s': %llu rows are more than a PetscInt holds", df->path, (unsigned long long)n);
  df->n_rows = (PetscInt)n;
  nm         = H5Tget_nmembers(type);
  for (int i = 0; i < nm; i++) {
    char       *name = H5Tget_member_name(type, (unsigned)i);
    hid_t       mt   = H5Tget_member_type(type, (unsigned)i);
    H5T_class_t cls  = H5Tget_class(mt);

    PetscCheck(name && mt >= 0, df->comm, HD_ERR_FILE_READ, "'%s': cannot read field %d of /%s/table", df->path, i, df->key);
    if (!strcmp(name, "index")) {
      /* the row labels, not a column */
    } else if (cls == H5T_ARRAY) {
      hsize_t  w;
      hid_t    base = H5Tget_super(mt);
      char     aname[HD_NAME_LEN + 16], text[65536];
      PetscInt got;
      char   (*names)[HD_NAME_LEN];

      PetscCheck(H5Tget_array_ndims(mt) == 1, df->comm, HD_ERR_FILE_READ, "'%s': field '%s' of /%s/table is not a 1-d block", df->path, name, df->key);
      H5Tget_array_dims2(mt, &w);
      snprintf(aname, sizeof(aname), "%s_kind", name);
      /* the block's column names: a pickled list in the attribute <field>_kind */
      PetscCheck(H5Aexists(df->table, aname) > 0, df->comm, HD_ERR_FILE_READ, "'%s': /%s/table has no attribute %s (the names of the columns in '%s')", df->path, df->key, aname, name);
      {
        hid_t  aid = H5Aopen(df->table, aname, H5P_DEFAULT), at = aid >= 0 ? H5Aget_type(aid) : H5I_INVALID_HID;
        size_t asz = at >= 0 ? H5Tget_size(at) : 0;

        PetscCheck(at >= 0 && H5Tget_class(at) == H5T_STRING && H5Tis_variable_str(at) <= 0 && asz < sizeof(text), df->comm, HD_ERR_FILE_READ, "'%s': attribute %s of /%s/table is not a short text", df->path, aname, df->key);
        memset(text, 0, sizeof(text));
        HdCallH5(H5Aread(aid, at, text), "'%s': cannot read attribute %s of /%s/table", df->path, aname, df->key);
        H5Tclose(at);
        H5Aclose(aid);
      }
      PetscCall(PetscMalloc1(w, &names));
      hd_pandas_parse_kind(text, (PetscInt)w, names, &got);
      PetscCheck(got == (PetscInt)w, df->comm, HD_ERR_FILE_READ, "'%s': the column names of block '%s' of /%s/table (attribute %s) are not a plain pickled list of %llu names; write the DataFrame with to_hdf(format='fixed') or with data_columns=True", df->path, name, df->key, aname, (unsigned long long)w);
      PetscCall(hd_pandas_add_source(df, H5I_INVALID_HID, name, (PetscInt)w, PETSC_TRUE, H5Tget_class(base)));
      for (hsize_t k = 0; k < w; k++) PetscCall(hd_pandas_add_column(df, names[k], strlen(names[k]), df->n_src - 1, (PetscInt)k));
      PetscCall(PetscFree(names));
      H5Tclose(base);
    } else {
      PetscCall(hd_pandas_add_source(df, H5I_INVALID_HID, name, 1, PETSC_FALSE, cls));
      PetscCall(hd_pandas_add_column(df, name, strlen(name), df->n_src - 1, 0));
    }
    H5Tclose(mt);
    H5free_memory(name);
  }
  H5Tclose(type);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective (metadata reads). No key given: the file's only top-level group, as pandas'
 * read_hdf takes the only DataFrame of a file. */
static PetscErrorCode hd_pandas_only_key(hd_pandas_frame df)
{
  H5G_info_t info;
  int        groups = 0;

  PetscFunctionBegin;
  HdCallH5(H5Gget_info(df->fid, &info), "'%s': cannot list its top-level objects", df->path);
  for (hsize_t i = 0; i < info.nlinks; i++) {
    char       name[256];
    H5O_info_t oi;

    if (H5Lget_name_by_idx(df->fid, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof(name), H5P_DEFAULT) < 0) continue;
    if (H5Oget_info_by_name2(df->fid, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0 || oi.type != H5O_TYPE_GROUP) continue;
    if (groups++ == 0) PetscCall(PetscStrncpy(df->key, name, sizeof(df->key)));
  }
  PetscCheck(groups == 1, df->comm, HD_ERR_FILE_READ, "'%s' holds %d top-level groups, not one DataFrame; name it with -key", df->path, groups);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_pandas_open(MPI_Comm comm, const char *path, const char *key, hd_pandas_frame *dfp)
{
  hd_pandas_frame df;
  hid_t           gid = H5I_INVALID_HID;
  PetscErrorCode  ierr;

  PetscFunctionBegin;
  PetscCall(PetscCalloc1(1, &df));
  df->comm  = comm;
  df->fid   = H5I_INVALID_HID;
  df->table = H5I_INVALID_HID;
  PetscCall(PetscStrncpy(df->path, path, sizeof(df->path)));
  if (!key) key = "";
  while (*key == '/') key++;
  PetscCall(PetscStrncpy(df->key, key, sizeof(df->key)));
  ierr = hd_h5_open(comm, path, &df->fid);
  if (!ierr && !df->key[0]) ierr = hd_pandas_only_key(df);
  if (!ierr && !(df->key[0] && H5Lexists(df->fid, df->key, H5P_DEFAULT) > 0)) ierr = PetscError(comm, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_FILE_READ, PETSC_ERROR_INITIAL, "'%s' has no DataFrame under the key '%s' (the key given to to_hdf; -key names another)", path, df->key);
  if (!ierr && (gid = H5Gopen2(df->fid, df->key, H5P_DEFAULT)) < 0) ierr = PetscError(comm, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_FILE_READ, PETSC_ERROR_INITIAL, "'%s': /%s is not a group, so not a pandas DataFrame", path, df->key);
  if (!ierr) {
    if (H5Lexists(gid, "table", H5P_DEFAULT) > 0) ierr = hd_pandas_open_table(df, gid);
    else if (H5Aexists(gid, "nblocks") > 0) ierr = hd_pandas_open_fixed(df, gid);
    else ierr = PetscError(comm, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_FILE_READ, PETSC_ERROR_INITIAL, "'%s': /%s is not a pandas DataFrame in the fixed or table layout (no nblocks attribute, no table)", path, df->key);
  }
  if (gid >= 0) H5Gclose(gid);
  if (ierr) {
    (void)hd_pandas_close(&df);
    PetscCall(ierr);
  }
  *dfp = df;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* What a column of this class holds, for errors. */
static const char *hd_pandas_class_name(H5T_class_t cls)
{
  switch (cls) {
  case H5T_STRING: return "strings";
  case H5T_VLEN: return "Python objects (stored pickled)";
  case H5T_COMPOUND: return "records";
  case H5T_ENUM: return "categories";
  case H5T_BITFIELD: return "booleans";
  default: return "values of an unsupported type";
  }
}

PetscErrorCode hd_pandas_column(MPI_Comm comm, hd_pandas_frame df, const char *name, PetscInt *c)
{
  PetscFunctionBegin;
  for (*c = 0; *c < df->n_cols; (*c)++)
    if (!strcmp(df->names[*c], name)) break;
  PetscCheck(*c < df->n_cols, comm, HD_ERR_FILE_READ, "'%s': the DataFrame '%s' has no column '%s'", df->path, df->key, name);
  {
    H5T_class_t cls = df->source[df->src[*c]].cls;

    PetscCheck(cls == H5T_INTEGER || cls == H5T_FLOAT, comm, HD_ERR_FILE_READ, "'%s': column '%s' of the DataFrame '%s' holds %s, not numbers", df->path, name, df->key, hd_pandas_class_name(cls));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Rows [row0, row0 + count) of source s into buf (count, width) as double. */
static PetscErrorCode hd_pandas_read_source(hd_pandas_frame df, PetscInt s, PetscInt row0, PetscInt count, double *buf)
{
  PetscErrorCode          ierr = PETSC_SUCCESS;
  const hd_pandas_source *src  = &df->source[s];
  hid_t                   did  = df->table >= 0 ? df->table : src->did;
  hid_t                   fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID, dxpl = H5I_INVALID_HID, mtype = H5I_INVALID_HID, atype = H5I_INVALID_HID;
  hsize_t                 start[2] = {(hsize_t)row0, 0}, n[2] = {(hsize_t)count, (hsize_t)src->width}, total = (hsize_t)count * (hsize_t)src->width, one = 1;
  const char             *what = df->table >= 0 ? "table" : "block values";

  PetscFunctionBegin;
  if (df->table >= 0) {
    /* a record type of the one field, converted to double by name */
    HdH5Goto(mtype = H5Tcreate(H5T_COMPOUND, sizeof(double) * (size_t)src->width), HD_ERR_FILE_READ, cleanup, "'%s': cannot make a record type", df->path);
    if (src->is_array) {
      hsize_t w = (hsize_t)src->width;
      HdH5Goto(atype = H5Tarray_create2(H5T_NATIVE_DOUBLE, 1, &w), HD_ERR_FILE_READ, cleanup, "'%s': cannot make an array type", df->path);
      HdH5Goto(H5Tinsert(mtype, src->field, 0, atype), HD_ERR_FILE_READ, cleanup, "'%s': cannot make a record type", df->path);
    } else HdH5Goto(H5Tinsert(mtype, src->field, 0, H5T_NATIVE_DOUBLE), HD_ERR_FILE_READ, cleanup, "'%s': cannot make a record type", df->path);
    total = (hsize_t)count;
  }
  HdH5Goto(fspace = H5Dget_space(did), HD_ERR_FILE_READ, cleanup, "'%s': cannot read the shape of the %s of /%s", df->path, what, df->key);
  HdH5Goto(mspace = H5Screate_simple(1, total ? &total : &one, NULL), HD_ERR_FILE_READ, cleanup, "'%s': cannot make a memory space", df->path);
  if (count > 0) HdH5Goto(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, n, NULL), HD_ERR_FILE_READ, cleanup, "'%s': cannot select rows of /%s", df->path, df->key);
  else {
    HdH5Goto(H5Sselect_none(fspace), HD_ERR_FILE_READ, cleanup, "'%s': cannot select nothing", df->path);
    HdH5Goto(H5Sselect_none(mspace), HD_ERR_FILE_READ, cleanup, "'%s': cannot select nothing", df->path);
  }
  HdCallGoto(hd_h5_collective_dxpl(&dxpl), cleanup);
  HdH5Goto(H5Dread(did, mtype >= 0 ? mtype : H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, buf), HD_ERR_FILE_READ, cleanup, "'%s': cannot read rows [%" PetscInt_FMT ", %" PetscInt_FMT ") of the %s of /%s (file truncated or damaged?)", df->path, row0, row0 + count, what, df->key);
cleanup:
  if (dxpl >= 0) H5Pclose(dxpl);
  if (mspace >= 0) H5Sclose(mspace);
  if (fspace >= 0) H5Sclose(fspace);
  if (atype >= 0) H5Tclose(atype);
  if (mtype >= 0) H5Tclose(mtype);
  PetscFunctionReturn(ierr);
}

PetscErrorCode hd_pandas_read(hd_pandas_frame df, PetscInt n, const PetscInt *cols, PetscInt row0, PetscInt count, double *out)
{
  double *buf = NULL;

  PetscFunctionBegin;
  PetscCheck(row0 >= 0 && count >= 0 && row0 + count <= df->n_rows, PETSC_COMM_SELF, HD_ERR_INTERNAL, "'%s': rows [%" PetscInt_FMT ", %" PetscInt_FMT ") outside the %" PetscInt_FMT " of /%s", df->path, row0, row0 + count, df->n_rows, df->key);
  /* one read per source that holds a wanted column, in source order (the same on every rank) */
  for (PetscInt s = 0; s < df->n_src; s++) {
    PetscBool wanted = PETSC_FALSE;
    PetscInt  w      = df->source[s].width;

    for (PetscInt k = 0; k < n; k++) wanted = wanted || df->src[cols[k]] == s;
    if (!wanted) continue;
    PetscCall(PetscMalloc1((size_t)PetscMax(count, 1) * (size_t)w, &buf));
    PetscCall(hd_pandas_read_source(df, s, row0, count, buf));
    for (PetscInt k = 0; k < n; k++)
      if (df->src[cols[k]] == s)
        for (PetscInt i = 0; i < count; i++) out[(size_t)i * (size_t)n + (size_t)k] = buf[(size_t)i * (size_t)w + (size_t)df->pos[cols[k]]];
    PetscCall(PetscFree(buf));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_pandas_close(hd_pandas_frame *dfp)
{
  hd_pandas_frame df = *dfp;

  PetscFunctionBegin;
  if (!df) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt s = 0; s < df->n_src; s++)
    if (df->source[s].did >= 0) H5Dclose(df->source[s].did);
  if (df->table >= 0) H5Dclose(df->table);
  if (df->fid >= 0) H5Fclose(df->fid);
  PetscCall(PetscFree(df->source));
  PetscCall(PetscFree(df->names));
  PetscCall(PetscFree(df->src));
  PetscCall(PetscFree(df->pos));
  PetscCall(PetscFree(df));
  *dfp = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}
