/* Model files (include/hadal/model.h; layout in docs/nn.md, "Model file"). Written by one rank
 * with its own communicator (PETSC_COMM_SELF), so no other rank takes part. Every function that
 * opens an HDF5 handle closes it on every path: the work is done by a helper and the handle is
 * closed before its error code is passed on. */
#include <string.h>
#include <hadal/h5.h>
#include <hadal/model.h>

#define HD_MODEL_FORMAT "hadal-model"
#define HD_MODEL_STRLEN 16384

/* ---- small attribute and dataset helpers (int64 arrays and float datasets) ---- */

static PetscErrorCode attr_write_i64v(hid_t obj, const char *where, const char *name, PetscInt n, const int64_t *v)
{
  hsize_t dim   = (hsize_t)n;
  hid_t   space = H5Screate_simple(1, &dim, NULL), attr = H5I_INVALID_HID;
  herr_t  st    = -1;

  PetscFunctionBegin;
  if (space >= 0) attr = H5Acreate2(obj, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  if (attr >= 0) st = H5Awrite(attr, H5T_NATIVE_INT64, v);
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  PetscCheck(st >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "%s: cannot write attribute '%s'", where, name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reads an attribute of exactly n numbers (a scalar is n = 1) converted to `mtype`. */
static PetscErrorCode attr_read_num(hid_t obj, const char *where, const char *obj_name, const char *name, hid_t mtype, PetscInt n, void *v)
{
  hid_t    attr, space = H5I_INVALID_HID;
  hssize_t np = -1;
  herr_t   st = -1;

  PetscFunctionBegin;
  PetscCheck(H5Aexists(obj, name) > 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: %s has no attribute '%s' (not a hadal model file?)", where, obj_name, name);
  attr = H5Aopen(obj, name, H5P_DEFAULT);
  if (attr >= 0) space = H5Aget_space(attr);
  if (space >= 0) np = H5Sget_simple_extent_npoints(space);
  if (np == (hssize_t)n) st = H5Aread(attr, mtype, v);
  if (space >= 0) H5Sclose(space);
  if (attr >= 0) H5Aclose(attr);
  PetscCheck(np < 0 || np == (hssize_t)n, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: attribute '%s' of %s holds %lld values, expected %" PetscInt_FMT, where, name, obj_name, (long long)np, n);
  PetscCheck(st >= 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: cannot read attribute '%s' of %s", where, name, obj_name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode attr_read_string(hid_t obj, const char *where, const char *obj_name, const char *name, char *value, size_t len)
{
  PetscInt n;
  char    *vals = NULL;

  PetscFunctionBegin;
  PetscCall(hd_h5_attr_read_strings(obj, name, len, &n, &vals));
  PetscCheck(n == 1, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: %s has no string attribute '%s' (not a hadal model file?)", where, obj_name, name);
  PetscCall(PetscStrncpy(value, vals, len));
  PetscCall(PetscFree(vals));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dataset_write_f32(hid_t loc, const char *where, const char *name, PetscInt n, const float *data)
{
  hsize_t dim   = (hsize_t)n;
  hid_t   space = H5Screate_simple(1, &dim, NULL), dset = H5I_INVALID_HID;
  herr_t  st    = -1;

  PetscFunctionBegin;
  if (space >= 0) dset = H5Dcreate2(loc, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (dset >= 0) st = n > 0 ? H5Dwrite(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : 0;
  if (dset >= 0) H5Dclose(dset);
  if (space >= 0) H5Sclose(space);
  PetscCheck(st >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "%s: cannot write dataset '%s'", where, name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Opens a 1-d float dataset and returns its length; *dset must be closed by the caller. */
static PetscErrorCode dataset_open_1d(hid_t loc, const char *where, const char *name, hid_t *dset, PetscInt *n)
{
  hid_t    space;
  hssize_t np = -1;
  int      nd = -1;

  PetscFunctionBegin;
  *dset = H5I_INVALID_HID;
  PetscCheck(H5Lexists(loc, name, H5P_DEFAULT) > 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: no dataset '%s' (not a hadal model file?)", where, name);
  *dset = H5Dopen2(loc, name, H5P_DEFAULT);
  PetscCheck(*dset >= 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: cannot open dataset '%s'", where, name);
  space = H5Dget_space(*dset);
  if (space >= 0) {
    nd = H5Sget_simple_extent_ndims(space);
    np = H5Sget_simple_extent_npoints(space);
    H5Sclose(space);
  }
  if (nd != 1 || np < 0) {
    H5Dclose(*dset);
    *dset = H5I_INVALID_HID;
  }
  PetscCheck(nd == 1 && np >= 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: dataset '%s' is not a 1-d array", where, name);
  *n = (PetscInt)np;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dataset_read_f32(hid_t loc, const char *where, const char *name, PetscInt n_expected, float *data)
{
  hid_t    dset;
  PetscInt n;
  herr_t   st = 0;

  PetscFunctionBegin;
  PetscCall(dataset_open_1d(loc, where, name, &dset, &n));
  if (n == n_expected && n > 0) st = H5Dread(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(dset);
  PetscCheck(n == n_expected, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: dataset '%s' holds %" PetscInt_FMT " values, the network described by the file has %" PetscInt_FMT, where, name, n, n_expected);
  PetscCheck(st >= 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: cannot read dataset '%s'", where, name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- writing (format version 2: the graph) ---- */

static const char *builder_name(hd_nn_builder b)
{
  switch (b) {
  case HD_NN_CHAIN:
    return "chain";
  case HD_NN_FLOW:
    return "flow";
  case HD_NN_DEEPSET:
    return "deepset";
  case HD_NN_PARALLEL:
    return "parallel";
  }
  return "unknown";
}

static PetscErrorCode node_write_attrs(hid_t g, const char *where, const hd_nn *net, PetscInt n)
{
  const hd_nn_node *nd = &net->nodes[n];
  const char       *ins[HD_NN_MAX_IO], *outs[HD_NN_MAX_IO];
  char              text[256] = "";
  int64_t           kernel[2] = {nd->kh, nd->kw}, wshape[4] = {0, 0, 0, 0}, made[3] = {nd->made_degree[0], nd->made_degree[1], nd->made_degree[2]};
  int64_t           woff = -1, boff = -1, bsize = 0;
  PetscInt          wnd  = 1;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < nd->n_in; i++) ins[i] = net->values[nd->in[i]].name;
  for (PetscInt j = 0; j < nd->n_out; j++) outs[j] = net->values[nd->out[j]].name;
  if (nd->weight >= 0) {
    const hd_nn_tensor *W = &net->tensors[nd->weight];

    woff = W->offset;
    wnd  = W->ndim;
    for (PetscInt k = 0; k < W->ndim; k++) wshape[k] = W->shape[k];
    if (nd->bias >= 0) {
      boff  = net->tensors[nd->bias].offset;
      bsize = net->tensors[nd->bias].size;
    }
  }
  PetscCall(hd_nn_node_text(nd, text, sizeof(text)));
  PetscCall(hd_h5_attr_write_int(g, "index", n));
  PetscCall(hd_h5_attr_write_string(g, "op", hd_nn_op_name(nd->op)));
  PetscCall(hd_h5_attr_write_string(g, "name", nd->name));
  PetscCall(hd_h5_attr_write_string(g, "text", text));
  PetscCall(hd_h5_attr_write_strings(g, "inputs", nd->n_in, ins));
  PetscCall(hd_h5_attr_write_strings(g, "outputs", nd->n_out, outs));
  PetscCall(hd_h5_attr_write_string(g, "activation", hd_nn_act_name(nd->act)));
  PetscCall(hd_h5_attr_write_double(g, "alpha", (double)nd->alpha));
  PetscCall(hd_h5_attr_write_int(g, "units", nd->units));
  PetscCall(attr_write_i64v(g, where, "kernel", 2, kernel));
  PetscCall(hd_h5_attr_write_int(g, "stride", nd->stride));
  PetscCall(hd_h5_attr_write_int(g, "padding", nd->pad));
  PetscCall(hd_h5_attr_write_int(g, "start", nd->start));
  PetscCall(hd_h5_attr_write_int(g, "count", nd->count));
  PetscCall(attr_write_i64v(g, where, "made", 3, made));
  PetscCall(hd_h5_attr_write_int(g, "knots", nd->knots));
  PetscCall(hd_h5_attr_write_double(g, "bound", nd->bound));
  PetscCall(hd_h5_attr_write_string(g, "pool", nd->pool ? "mean" : "sum"));
  PetscCall(hd_h5_attr_write_int(g, "weight_offset", woff));
  PetscCall(attr_write_i64v(g, where, "weight_shape", wnd, wshape));
  PetscCall(hd_h5_attr_write_int(g, "bias_offset", boff));
  PetscCall(hd_h5_attr_write_int(g, "bias_size", bsize));
  if (nd->perm) PetscCall(hd_h5_write_1d(g, where, "perm", sizeof(PetscInt) == 8 ? H5T_NATIVE_INT64 : H5T_NATIVE_INT32, H5T_STD_I64LE, nd->count, nd->perm));
  if (nd->mask) PetscCall(dataset_write_f32(g, where, "mask", net->tensors[nd->weight].size, nd->mask));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode graph_write(hid_t graph, const char *where, const hd_nn *net)
{
  const char **names;
  int64_t     *shapes, *producers;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(net->n_values, &names, 3 * net->n_values, &shapes, net->n_values, &producers));
  for (PetscInt v = 0; v < net->n_values; v++) {
    names[v] = net->values[v].name;
    for (int k = 0; k < 3; k++) shapes[3 * v + k] = net->values[v].shape[k];
    producers[v] = net->values[v].producer;
  }
  ierr = hd_h5_attr_write_strings(graph, "value_names", net->n_values, names);
  if (!ierr) ierr = attr_write_i64v(graph, where, "value_shapes", 3 * net->n_values, shapes);
  if (!ierr) ierr = attr_write_i64v(graph, where, "value_producers", net->n_values, producers);
  PetscCall(PetscFree3(names, shapes, producers));
  PetscCall(ierr);
  for (PetscInt n = 0; n < net->n_nodes; n++) {
    char  name[32];
    hid_t g;

    PetscCall(PetscSNPrintf(name, sizeof(name), "node%" PetscInt_FMT, n));
    g = H5Gcreate2(graph, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    PetscCheck(g >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "%s: cannot create group /graph/%s", where, name);
    ierr = node_write_attrs(g, where, net, n);
    H5Gclose(g);
    PetscCall(ierr);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode tensors_write(hid_t loc, const char *where, const hd_nn *net)
{
  const char   **names;
  int64_t       *off, *shape, *ndim;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(PetscMalloc4(net->n_tensors + 1, &names, net->n_tensors + 1, &off, 4 * net->n_tensors + 1, &shape, net->n_tensors + 1, &ndim));
  for (PetscInt t = 0; t < net->n_tensors; t++) {
    names[t] = net->tensors[t].name;
    off[t]   = net->tensors[t].offset;
    ndim[t]  = net->tensors[t].ndim;
    for (int k = 0; k < 4; k++) shape[4 * t + k] = net->tensors[t].shape[k];
  }
  ierr = hd_h5_attr_write_strings(loc, "tensor_names", net->n_tensors, names);
  if (!ierr) ierr = attr_write_i64v(loc, where, "tensor_offsets", net->n_tensors, off);
  if (!ierr) ierr = attr_write_i64v(loc, where, "tensor_ndims", net->n_tensors, ndim);
  if (!ierr) ierr = attr_write_i64v(loc, where, "tensor_shapes", 4 * net->n_tensors, shape);
  PetscCall(PetscFree4(names, off, shape, ndim));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode arrays_write(hid_t arrays, const char *where, const hd_model_meta *meta)
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < meta->n_arrays; i++) {
    const hd_model_array *a = &meta->arrays[i];

    PetscCheck(a->name && a->name[0] && !strchr(a->name, '/'), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: extra array %" PetscInt_FMT " needs a name without '/'", where, i);
    PetscCheck(a->n >= 0 && (a->n == 0 || a->data), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: extra array '%s' has no data", where, a->name);
    PetscCall(dataset_write_f32(arrays, where, a->name, a->n, a->data));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_model_write_h5(hid_t loc, const char *where, const hd_nn *net, const hd_model_meta *meta)
{
  int64_t        in[3] = {net->in_shape[0], net->in_shape[1], net->in_shape[2]};
  int64_t        args[4] = {net->builder_arg[0], net->builder_arg[1], net->builder_arg[2], net->builder_arg[3]};
  const char    *outs[64];
  hid_t          g;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCheck(net->n_outputs <= 64, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: %" PetscInt_FMT " outputs, a model file holds at most 64", where, net->n_outputs);
  for (PetscInt k = 0; k < net->n_outputs; k++) outs[k] = net->values[net->outputs[k]].name;
  PetscCall(hd_h5_attr_write_string(loc, "format", HD_MODEL_FORMAT));
  PetscCall(hd_h5_attr_write_int(loc, "format_version", HD_MODEL_FORMAT_VERSION));
  PetscCall(hd_h5_attr_write_string(loc, "hadal_version", HADAL_VERSION));
  PetscCall(hd_h5_attr_write_string(loc, "builder", builder_name(net->builder)));
  PetscCall(hd_h5_attr_write_string(loc, "spec", net->spec));
  PetscCall(attr_write_i64v(loc, where, "builder_args", 4, args));
  if (net->builder == HD_NN_PARALLEL) {
    PetscCall(hd_h5_attr_write_strings(loc, "branch_names", net->n_branches, (const char *const *)net->branch_name));
    PetscCall(hd_h5_attr_write_strings(loc, "branch_specs", net->n_branches, (const char *const *)net->branch_spec));
  }
  PetscCall(attr_write_i64v(loc, where, "input_shape", 3, in));
  PetscCall(hd_h5_attr_write_strings(loc, "output_names", net->n_outputs, outs));
  PetscCall(hd_h5_attr_write_int(loc, "output_size", net->out_size));
  PetscCall(hd_h5_attr_write_int(loc, "n_nodes", net->n_nodes));
  PetscCall(hd_h5_attr_write_int(loc, "n_tensors", net->n_tensors));
  PetscCall(hd_h5_attr_write_int(loc, "n_parameters", net->n_params));
  if (meta && meta->name) PetscCall(hd_h5_attr_write_string(loc, "name", meta->name));
  if (meta && meta->has_seed) {
    PetscCall(hd_h5_attr_write_int(loc, "seed", (int64_t)meta->seed));
    PetscCall(hd_h5_attr_write_int(loc, "member", meta->member));
  }
  PetscCall(dataset_write_f32(loc, where, "parameters", net->n_params, net->params));
  PetscCall(tensors_write(loc, where, net));

  g = H5Gcreate2(loc, "graph", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(g >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "%s: cannot create group /graph", where);
  ierr = graph_write(g, where, net);
  H5Gclose(g);
  PetscCall(ierr);

  if (meta && meta->n_arrays > 0) {
    g = H5Gcreate2(loc, "arrays", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    PetscCheck(g >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "%s: cannot create group /arrays", where);
    ierr = arrays_write(g, where, meta);
    H5Gclose(g);
    PetscCall(ierr);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  const hd_nn         *net;
  const hd_model_meta *meta;
} hd_model_write_ctx;

/* An hd_h5_serial_writer: the model ctx (an hd_model_write_ctx) into the open file fid. */
static PetscErrorCode hd_model_write_file(hid_t fid, const char *path, const void *ctx)
{
  const hd_model_write_ctx *m = ctx;

  PetscFunctionBegin;
  PetscCall(hd_model_write_h5(fid, path, m->net, m->meta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_model_write(const char *path, const hd_nn *net, const hd_model_meta *meta)
{
  hd_model_write_ctx ctx = {net, meta};

  PetscFunctionBegin;
  PetscCall(hd_h5_write_by_rank0(PETSC_COMM_SELF, path, "model file", hd_model_write_file, &ctx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- reading: the network is rebuilt by its builder from the spec, then checked against the
 * file's description and loaded ---- */

/* Checks that group `gname` (a version-1 layer or a version-2 node) agrees with node n. */
static PetscErrorCode node_check(hid_t g, const char *where, const char *gname, const hd_nn *net, PetscInt n, int64_t version)
{
  const hd_nn_node *nd = &net->nodes[n];
  char              op[64];
  int64_t           woff, boff;

  PetscFunctionBegin;
  PetscCall(attr_read_string(g, where, gname, version == 1 ? "type" : "op", op, sizeof(op)));
  PetscCheck(!strcmp(op, hd_nn_op_name(nd->op)), PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: %s is a '%s' node, but the spec says '%s'", where, gname, op, hd_nn_op_name(nd->op));
  if (version == 1) {
    const hd_nn_value *y = &net->values[nd->out[0]];
    int64_t            out[3];

    PetscCall(attr_read_num(g, where, gname, "output_shape", H5T_NATIVE_INT64, 3, out));
    PetscCheck(out[0] == y->shape[0] && out[1] == y->shape[1] && out[2] == y->shape[2], PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: %s output shape (%lld, %lld, %lld) disagrees with the spec", where, gname, (long long)out[0], (long long)out[1], (long long)out[2]);
  }
  PetscCall(attr_read_num(g, where, gname, "weight_offset", H5T_NATIVE_INT64, 1, &woff));
  PetscCall(attr_read_num(g, where, gname, "bias_offset", H5T_NATIVE_INT64, 1, &boff));
  PetscCheck(woff == (nd->weight >= 0 ? net->tensors[nd->weight].offset : -1) && boff == (nd->bias >= 0 ? net->tensors[nd->bias].offset : -1), PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: %s parameter offsets (%lld, %lld) disagree with the spec", where, gname, (long long)woff, (long long)boff);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode nodes_check(hid_t loc, const char *where, const hd_nn *net, int64_t version)
{
  const char *group = version == 1 ? "layers" : "graph";

  PetscFunctionBegin;
  for (PetscInt n = 0; n < net->n_nodes; n++) {
    char           gname[48];
    hid_t          g;
    PetscErrorCode ierr;

    PetscCall(PetscSNPrintf(gname, sizeof(gname), "%s/%s%" PetscInt_FMT, group, version == 1 ? "layer" : "node", n));
    PetscCheck(H5Lexists(loc, group, H5P_DEFAULT) > 0 && H5Lexists(loc, gname, H5P_DEFAULT) > 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: group /%s is missing", where, gname);
    g = H5Gopen2(loc, gname, H5P_DEFAULT);
    PetscCheck(g >= 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: cannot open group /%s", where, gname);
    ierr = node_check(g, where, gname, net, n, version);
    H5Gclose(g);
    PetscCall(ierr);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode model_load(hid_t loc, const char *where, hd_nn *net, int64_t version)
{
  int64_t n_params, n_nodes;

  PetscFunctionBegin;
  PetscCall(attr_read_num(loc, where, "the file", "n_parameters", H5T_NATIVE_INT64, 1, &n_params));
  PetscCall(attr_read_num(loc, where, "the file", version == 1 ? "n_layers" : "n_nodes", H5T_NATIVE_INT64, 1, &n_nodes));
  PetscCheck(n_params == net->n_params && n_nodes == net->n_nodes, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: %lld nodes and %lld parameters, but its spec '%s' gives %" PetscInt_FMT " and %" PetscInt_FMT, where, (long long)n_nodes, (long long)n_params, net->spec, net->n_nodes, net->n_params);
  PetscCall(nodes_check(loc, where, net, version));
  PetscCall(dataset_read_f32(loc, where, "parameters", net->n_params, net->params));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rebuilds the network a version-2 file describes through its builder. */
static PetscErrorCode model_build(hid_t loc, const char *where, const char *spec, const PetscInt in[3], PetscInt max_batch, hd_nn **net)
{
  char    builder[32];
  int64_t args[4];

  PetscFunctionBegin;
  PetscCall(attr_read_string(loc, where, "the file", "builder", builder, sizeof(builder)));
  PetscCall(attr_read_num(loc, where, "the file", "builder_args", H5T_NATIVE_INT64, 4, args));
  if (!strcmp(builder, "chain")) PetscCall(hd_nn_create(spec, in, max_batch, net));
  else if (!strcmp(builder, "flow")) PetscCall(hd_nn_create_flow(spec, (PetscInt)args[0], max_batch, net));
  else if (!strcmp(builder, "deepset")) PetscCall(hd_nn_create_deepset(spec, (PetscInt)args[0], (PetscInt)args[1], (PetscInt)args[2], max_batch, net));
  else if (!strcmp(builder, "parallel")) {
    PetscInt       nn = 0, ns = 0;
    char          *names = NULL, *specs = NULL;
    const char   **np = NULL, **sp = NULL;
    PetscErrorCode ierr;

    PetscCall(hd_h5_attr_read_strings(loc, "branch_names", HD_NN_NAME_LEN, &nn, &names));
    ierr = hd_h5_attr_read_strings(loc, "branch_specs", HD_MODEL_STRLEN, &ns, &specs);
    if (!ierr && (nn != ns || nn < 1)) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, HD_ERR_FILE_READ, PETSC_ERROR_INITIAL, "%s: %" PetscInt_FMT " branch names but %" PetscInt_FMT " branch specs", where, nn, ns);
    if (!ierr) ierr = PetscMalloc2(nn, &np, nn, &sp);
    if (!ierr) {
      for (PetscInt k = 0; k < nn; k++) {
        np[k] = names + (size_t)k * HD_NN_NAME_LEN;
        sp[k] = specs + (size_t)k * HD_MODEL_STRLEN;
      }
      ierr = hd_nn_create_parallel(sp, np, nn, in, max_batch, net);
    }
    PetscCall(PetscFree2(np, sp));
    PetscCall(PetscFree(names));
    PetscCall(PetscFree(specs));
    PetscCall(ierr);
  } else SETERRQ(PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: unknown network builder '%s'", where, builder);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_model_read_h5(hid_t loc, const char *where, PetscInt max_batch, hd_nn **netp)
{
  char          *spec = NULL;
  char           format[64];
  int64_t        version, in64[3];
  PetscInt       in[3];
  hd_nn         *net = NULL;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  *netp = NULL;
  PetscCheck(H5Aexists(loc, "format") > 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s is not a hadal model file (no 'format' attribute)", where);
  PetscCall(attr_read_string(loc, where, "the file", "format", format, sizeof(format)));
  PetscCheck(!strcmp(format, HD_MODEL_FORMAT), PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s is not a hadal model file (format '%s')", where, format);
  PetscCall(attr_read_num(loc, where, "the file", "format_version", H5T_NATIVE_INT64, 1, &version));
  PetscCheck(version == 1 || version == HD_MODEL_FORMAT_VERSION, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: model format version %lld, but this hadal reads versions 1 to %d", where, (long long)version, HD_MODEL_FORMAT_VERSION);
  PetscCall(attr_read_num(loc, where, "the file", "input_shape", H5T_NATIVE_INT64, 3, in64));
  for (int k = 0; k < 3; k++) {
    PetscCheck(in64[k] > 0 && in64[k] < PETSC_MAX_INT, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: input_shape[%d] = %lld is not a valid size", where, k, (long long)in64[k]);
    in[k] = (PetscInt)in64[k];
  }
  PetscCall(PetscMalloc1(HD_MODEL_STRLEN, &spec));
  ierr = attr_read_string(loc, where, "the file", "spec", spec, HD_MODEL_STRLEN);
  /* version 1 held chains only */
  if (!ierr) ierr = version == 1 ? hd_nn_create(spec, in, max_batch, &net) : model_build(loc, where, spec, in, max_batch, &net);
  PetscCall(PetscFree(spec));
  PetscCall(ierr);
  ierr = model_load(loc, where, net, version);
  if (ierr) {
    PetscCall(hd_nn_destroy(&net));
    PetscCall(ierr);
  }
  *netp = net;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_model_read(const char *path, PetscInt max_batch, hd_nn **net)
{
  hid_t          fid;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(hd_h5_open(PETSC_COMM_SELF, path, &fid));
  ierr = hd_model_read_h5(fid, path, max_batch, net);
  H5Fclose(fid);
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_model_read_array(const char *path, const char *name, float **data, PetscInt *n, PetscBool *found)
{
  hid_t          fid, dset = H5I_INVALID_HID;
  char           dname[256];
  PetscErrorCode ierr = PETSC_SUCCESS;
  herr_t         st   = 0;

  PetscFunctionBegin;
  *data  = NULL;
  *n     = 0;
  *found = PETSC_FALSE;
  PetscCheck(name && name[0] && !strchr(name, '/'), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: array name '%s' must be a plain name", path, name ? name : "");
  PetscCall(PetscSNPrintf(dname, sizeof(dname), "arrays/%s", name));
  PetscCall(hd_h5_open(PETSC_COMM_SELF, path, &fid));
  if (H5Lexists(fid, "arrays", H5P_DEFAULT) > 0 && H5Lexists(fid, dname, H5P_DEFAULT) > 0) {
    ierr = dataset_open_1d(fid, path, dname, &dset, n);
    if (!ierr) ierr = PetscMalloc1((size_t)*n + 1, data);
    if (!ierr && *n > 0) st = H5Dread(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *data);
    if (dset >= 0) H5Dclose(dset);
    *found = PETSC_TRUE;
  }
  H5Fclose(fid);
  PetscCall(ierr);
  if (st < 0) PetscCall(PetscFree(*data));
  PetscCheck(st >= 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "%s: cannot read dataset '/%s'", path, dname);
  PetscFunctionReturn(PETSC_SUCCESS);
}
