/* Model files: one network's graph and parameters in HDF5, readable without hadal (the layout is
 * in docs/nn.md, "Model file", with the recipe for rebuilding it in PyTorch). Format version 2:
 *
 *   /             attributes format "hadal-model", format_version, hadal_version, builder
 *                 ("chain", "flow", "deepset", "parallel"), spec, builder_args, (parallel)
 *                 branch_names and branch_specs, input_shape (C, H, W), output_names,
 *                 output_size, n_nodes, n_tensors, n_parameters, the tensor table
 *                 (tensor_names, tensor_offsets, tensor_ndims, tensor_shapes), and, when given,
 *                 name, seed, member
 *   /parameters   float32 [n_parameters]: the network's flat parameter buffer
 *   /graph        attributes value_names, value_shapes, value_producers; one group nodeN per
 *                 node: op, name, text, inputs, outputs, activation and the op's attributes,
 *                 weight_offset, weight_shape, bias_offset, bias_size; datasets perm, mask
 *   /arrays/NAME  float32 [n]: extra arrays the caller stored with the model (input
 *                 standardisation, a Deep SVDD centre, ...)
 * Version 1 (chains: n_layers and /layers/layerL groups) is still read. */
#ifndef HADAL_MODEL_H
#define HADAL_MODEL_H

#include <hdf5.h>
#include <hadal/nn.h>

#define HD_MODEL_FORMAT_VERSION 2

/* An extra float array stored beside the parameters. */
typedef struct {
  const char  *name; /* a plain HDF5 name: no '/' */
  const float *data;
  PetscInt     n;
} hd_model_array;

/* What the file says besides the network; every field may be left zero / NULL. */
typedef struct {
  const char           *name;   /* a label: method and member, "svdd d=34 n=2", ... */
  PetscBool             has_seed;
  uint64_t              seed;
  int64_t               member;
  PetscInt              n_arrays;
  const hd_model_array *arrays;
} hd_model_meta;

/* Not collective: called by ONE rank, which writes `path` under a temporary name in the same folder
 * and renames it when complete (a failed write leaves no file at `path`). meta may be NULL. */
PetscErrorCode hd_model_write(const char *path, const hd_nn *net, const hd_model_meta *meta);
/* Not collective. Writes the same layout into an open file or group `loc` (a checkpoint);
 * `where` names it in error messages. */
PetscErrorCode hd_model_write_h5(hid_t loc, const char *where, const hd_nn *net, const hd_model_meta *meta);

/* Not collective (every rank may read the file on its own). Builds the network the file
 * describes through its builder, with buffers for batches up to max_batch, checks every node
 * against the file and loads its parameters. A file that is
 * missing, not a model, of another format version or inconsistent is an error naming it. */
PetscErrorCode hd_model_read(const char *path, PetscInt max_batch, hd_nn **net);
PetscErrorCode hd_model_read_h5(hid_t loc, const char *where, PetscInt max_batch, hd_nn **net);

/* Not collective. Reads /arrays/NAME: *data (PetscMalloc'ed, caller frees) of *n floats;
 * *found is false (and *data NULL) when the file has no such array. */
PetscErrorCode hd_model_read_array(const char *path, const char *name, float **data, PetscInt *n, PetscBool *found);

#endif
