/* Private to src/nn: the op table and the graph-building helpers the builders share
 * (docs/nn.md, "Networks"). */
#ifndef HADAL_NN_GRAPH_H
#define HADAL_NN_GRAPH_H

#include <hadal/nn.h>

/* One entry per hd_nn_op. Every function is not collective.
 * shape:    sets the shapes of the node's output values from its inputs' (checking that they fit)
 *           and, for an op with parameters, the weight's shape (*wndim = 0 for none; the bias is
 *           (units)); `what` names the node in error messages.
 * scratch:  floats of im2col scratch the node needs (NULL: none).
 * forward:  the node's outputs for a batch of B events.
 * backward: given its outputs' gradients (B rows), adds to the parameter gradients and, for every
 *           input i with gin[i] not NULL, adds its contribution to gin[i] (node->acc_[i]) or
 *           writes it there (the first contribution). The outputs' gradients may be overwritten.
 * text:     appends the node's description: the chain spec words for the chain ops, the same
 *           style for the others (model files keep it). */
typedef struct {
  const char *name;
  PetscErrorCode (*shape)(hd_nn *net, hd_nn_node *nd, const char *what, PetscInt *wndim, PetscInt wshape[4]);
  size_t (*scratch)(const hd_nn *net, const hd_nn_node *nd);
  PetscErrorCode (*forward)(hd_nn *net, hd_nn_node *nd, PetscInt B);
  PetscErrorCode (*backward)(hd_nn *net, hd_nn_node *nd, PetscInt B, float *const *gin);
  PetscErrorCode (*text)(const hd_nn_node *nd, char *buf, size_t len);
} hd_nn_op_entry;

extern const hd_nn_op_entry hd_nn_op_table[HD_OP_COUNT];

/* The memory of value v (a flatten output shares its input's). */
static inline float *hd_nn_value_data(const hd_nn *net, PetscInt v) { return net->values[v].data_; }

/* Building a graph: a network is assembled in a hd_nn_graph (values and nodes appended in
 * topological order), then hd_nn_graph_finish infers shapes, lays out the tensors, plans the
 * gradient buffers and allocates everything. Errors leave the graph for hd_nn_destroy. */
PetscErrorCode hd_nn_graph_begin(hd_nn *net, const PetscInt in_shape[3], PetscInt max_batch, PetscInt max_nodes);
/* Appends a node made from `tmpl` (op, name, act, alpha, units and the op's attributes; perm and
 * mask, when set, pass to the network) reading values in[0..n_in) and writing n_out new values
 * named out_names; infers their shapes and adds the node's tensors. Returns the node index (may
 * be NULL) and the new values' indices through out (may be NULL). */
PetscErrorCode hd_nn_graph_node(hd_nn *net, const hd_nn_node *tmpl, PetscInt n_in, const PetscInt *in, PetscInt n_out, const char *const *out_names, PetscInt *node, PetscInt *out);
/* Marks value v as an output (outputs keep the order of these calls). */
PetscErrorCode hd_nn_graph_output(hd_nn *net, PetscInt v);
PetscErrorCode hd_nn_graph_finish(hd_nn *net, const char *what);

#endif
