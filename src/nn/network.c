/* Networks: a graph of nodes from the op table (src/nn/ops.c) whose parameters live in one buffer
 * (docs/nn.md, "Networks"). This file holds the chain spec parser, the graph assembly shared by
 * every builder (shapes, tensor table, gradient plan, buffers) and the forward and backward
 * passes. Every buffer a forward or backward needs is allocated when the network is built. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/nn.h>
#include "graph.h"

#define HD_SPEC_MAX_TOKENS 8

/* A positive integer that is the whole token (after `skip` leading characters). */
static PetscErrorCode parse_count(const char *spec, PetscInt li, const char *tok, size_t skip, const char *what, PetscInt min, PetscInt *value)
{
  char *end = NULL;
  long  v;

  PetscFunctionBegin;
  v = strtol(tok + skip, &end, 10);
  PetscCheck(end != tok + skip && *end == '\0' && isdigit((unsigned char)tok[skip]), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": '%s' is not a valid %s", spec, li, tok, what);
  PetscCheck(v >= min && v <= 1000000000L, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": %s %ld must be in [%" PetscInt_FMT ", 1e9]", spec, li, what, v, min);
  *value = (PetscInt)v;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Parses one layer description (already split into tokens) into L; the shapes are set later. */
static PetscErrorCode parse_layer(const char *spec, PetscInt li, char **tok, int nt, hd_nn_node *L)
{
  PetscBool is_act = PETSC_FALSE;
  int       t      = 1;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(L, sizeof(*L)));
    L->act              = HD_ACT_IDENTITY;
  L->stride           = 1;
  if (!strcmp(tok[0], "dense")) {
    L->op = HD_OP_DENSE;
    PetscCheck(nt >= 2, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": 'dense' needs a width, as in 'dense 64 relu'", spec, li);
    PetscCall(parse_count(spec, li, tok[1], 0, "dense width", 1, &L->units));
    t = 2;
  } else if (!strcmp(tok[0], "conv") || !strcmp(tok[0], "conv2d")) {
    char *x;

    L->op = HD_OP_CONV2D;
    PetscCheck(nt >= 3, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": 'conv' needs channels and a kernel, as in 'conv 8 3x3 relu'", spec, li);
    PetscCall(parse_count(spec, li, tok[1], 0, "number of channels", 1, &L->units));
    x = strchr(tok[2], 'x');
    if (x) {
      *x = '\0';
      PetscCall(parse_count(spec, li, tok[2], 0, "kernel height", 1, &L->kh));
      PetscCall(parse_count(spec, li, x + 1, 0, "kernel width", 1, &L->kw));
    } else {
      PetscCall(parse_count(spec, li, tok[2], 0, "kernel size", 1, &L->kh));
      L->kw = L->kh;
    }
    t = 3;
    for (; t < nt; t++) {
      if (tok[t][0] == 's' && isdigit((unsigned char)tok[t][1])) PetscCall(parse_count(spec, li, tok[t], 1, "stride", 1, &L->stride));
      else if (tok[t][0] == 'p' && isdigit((unsigned char)tok[t][1])) PetscCall(parse_count(spec, li, tok[t], 1, "padding", 0, &L->pad));
      else break;
    }
  } else if (!strcmp(tok[0], "maxpool")) {
    L->op = HD_OP_MAXPOOL;
    PetscCheck(nt >= 2, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": 'maxpool' needs a size, as in 'maxpool 2'", spec, li);
    PetscCall(parse_count(spec, li, tok[1], 0, "pool size", 1, &L->kh));
    L->kw     = L->kh;
    L->stride = L->kh;
    t         = 2;
    if (t < nt && tok[t][0] == 's' && isdigit((unsigned char)tok[t][1])) PetscCall(parse_count(spec, li, tok[t++], 1, "stride", 1, &L->stride));
    PetscCheck(t == nt, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": unexpected '%s' after maxpool (only 'sS' may follow the size)", spec, li, tok[t]);
  } else if (!strcmp(tok[0], "flatten")) {
    L->op = HD_OP_FLATTEN;
    PetscCheck(nt == 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": 'flatten' takes no arguments (found '%s')", spec, li, tok[1]);
  } else {
    PetscCall(hd_nn_act_parse(tok[0], &L->act, &L->alpha, &is_act));
    PetscCheck(is_act, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": unknown layer '%s' (expected dense, conv, maxpool, flatten or an activation: identity, relu, elu, leakyrelu, sigmoid, tanh)", spec, li, tok[0]);
    L->op = HD_OP_ACTIVATION;
    PetscCheck(nt == 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": unexpected '%s' after the activation '%s'", spec, li, tok[1], tok[0]);
  }
  if (L->op == HD_OP_DENSE || L->op == HD_OP_CONV2D) {
    if (L->op == HD_OP_DENSE && t < nt && !strcmp(tok[nt - 1], "nobias")) { /* dense W [ACT] nobias */
      L->nobias = PETSC_TRUE;
      nt--;
    }
    if (t < nt) {
      PetscCall(hd_nn_act_parse(tok[t], &L->act, &L->alpha, &is_act));
      PetscCheck(is_act, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": '%s' is not an activation (identity, relu, elu, leakyrelu, sigmoid, tanh)", spec, li, tok[t]);
      t++;
    }
    PetscCheck(t == nt, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": unexpected '%s' after the activation", spec, li, tok[t]);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Splits the spec into layers (layers[] has room for one per comma + 1). */
static PetscErrorCode parse_spec(const char *spec, char *copy, PetscInt nl, hd_nn_node *layers)
{
  char    *save = NULL, *part;
  PetscInt li   = 0;

  PetscFunctionBegin;
  for (part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save), li++) {
    char *tok[HD_SPEC_MAX_TOKENS], *s2 = NULL, *w;
    int   n = 0;

    for (w = strtok_r(part, " \t\n", &s2); w; w = strtok_r(NULL, " \t\n", &s2)) {
      PetscCheck(n < HD_SPEC_MAX_TOKENS, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": too many words", spec, li);
      tok[n++] = w;
    }
    PetscCheck(n > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': layer %" PetscInt_FMT " is empty", spec, li);
    PetscCall(parse_layer(spec, li, tok, n, &layers[li]));
  }
  PetscCheck(li == nl, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': empty layer (two commas in a row, or a comma at an end)", spec);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- graph assembly ---- */

PetscErrorCode hd_nn_graph_begin(hd_nn *net, const PetscInt in_shape[3], PetscInt max_batch, PetscInt max_nodes)
{
  hd_nn_value *x;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < 3; k++) net->in_shape[k] = in_shape[k];
  net->in_size    = in_shape[0] * in_shape[1] * in_shape[2];
  net->max_batch  = max_batch;
  net->cap_nodes_ = max_nodes;
  PetscCall(PetscCalloc1(max_nodes, &net->nodes));
  PetscCall(PetscCalloc1(1 + HD_NN_MAX_IO * max_nodes, &net->values));
  PetscCall(PetscCalloc1(2 * max_nodes, &net->tensors));
  PetscCall(PetscCalloc1(max_nodes + 1, &net->outputs));
  x = &net->values[0];
  PetscCall(PetscStrncpy(x->name, "input", sizeof(x->name)));
  for (PetscInt k = 0; k < 3; k++) x->shape[k] = in_shape[k];
  x->size       = net->in_size;
  x->producer   = -1;
  x->alias      = -1;
  x->slot_      = -1;
  net->n_values = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode add_tensor(hd_nn *net, PetscInt node, const char *kind, PetscInt ndim, const PetscInt *shape, const char *what)
{
  hd_nn_tensor *T   = &net->tensors[net->n_tensors];
  PetscInt64    sz  = 1;
  PetscInt      off = net->n_params;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < ndim; k++) sz *= shape[k];
  PetscCheck(off + sz <= PETSC_MAX_INT, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s takes the parameter count past %d", what, (int)PETSC_MAX_INT);
  PetscCheck(strlen(net->nodes[node].name) + strlen(kind) + 2 <= sizeof(T->name), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: the tensor name '%s.%s' is longer than %d characters", what, net->nodes[node].name, kind, HD_NN_NAME_LEN - 1);
  PetscCall(PetscSNPrintf(T->name, sizeof(T->name), "%s.%s", net->nodes[node].name, kind));
  T->layer  = node;
  T->offset = off;
  T->ndim   = ndim;
  T->size   = (PetscInt)sz;
  for (PetscInt k = 0; k < 4; k++) T->shape[k] = k < ndim ? shape[k] : 1;
  net->n_params += T->size;
  net->n_tensors++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_graph_node(hd_nn *net, const hd_nn_node *tmpl, PetscInt n_in, const PetscInt *in, PetscInt n_out, const char *const *out_names, PetscInt *node, PetscInt *out)
{
  PetscInt    id = net->n_nodes, wndim = 0, ws[4] = {0, 0, 0, 0};
  hd_nn_node *nd;
  char        what[160];

  PetscFunctionBegin;
  PetscCheck(id < net->cap_nodes_ && n_in >= 1 && n_in <= HD_NN_MAX_IO && n_out >= 1 && n_out <= HD_NN_MAX_IO, PETSC_COMM_SELF, PETSC_ERR_PLIB, "network '%s': node %" PetscInt_FMT " does not fit the graph", net->spec ? net->spec : "", id);
  PetscCheck(strlen(tmpl->name) < HD_NN_NAME_LEN, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s': node name '%s' is too long", net->spec, tmpl->name);
  PetscCall(PetscSNPrintf(what, sizeof(what), "network spec '%.60s', %s %" PetscInt_FMT " '%s' (%s)", net->spec, net->builder == HD_NN_CHAIN ? "layer" : "node", id, tmpl->name, hd_nn_op_name(tmpl->op)));
  nd         = &net->nodes[id];
  *nd        = *tmpl;
  nd->n_in   = n_in;
  nd->n_out  = n_out;
  nd->weight = nd->bias = -1;
  nd->wm_               = NULL;
  nd->arg_              = NULL;
  net->n_nodes++; /* from here on destroy owns perm and mask */
  for (PetscInt i = 0; i < n_in; i++) {
    PetscCheck(in[i] >= 0 && in[i] < net->n_values, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: input %" PetscInt_FMT " is not a value", what, in[i]);
    nd->in[i] = in[i];
    net->values[in[i]].n_consumers++;
  }
  for (PetscInt j = 0; j < n_out; j++) {
    hd_nn_value *v = &net->values[net->n_values];

    PetscCheck(strlen(out_names[j]) < HD_NN_NAME_LEN, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: value name '%s' is too long", what, out_names[j]);
    PetscCall(PetscStrncpy(v->name, out_names[j], sizeof(v->name)));
    v->producer = id;
    v->alias    = -1;
    v->slot_    = -1;
    nd->out[j]  = net->n_values++;
    if (out) out[j] = nd->out[j];
  }
  PetscCall(hd_nn_op_table[nd->op].shape(net, nd, what, &wndim, ws));
  for (PetscInt j = 0; j < n_out; j++) {
    hd_nn_value *v = &net->values[nd->out[j]];

    PetscCheck((PetscInt64)v->shape[0] * v->shape[1] * v->shape[2] <= PETSC_MAX_INT / 2, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: output '%s' is too large", what, v->name);
    v->size = v->shape[0] * v->shape[1] * v->shape[2];
  }
  if (wndim > 0) {
    PetscCall(add_tensor(net, id, "weight", wndim, ws, what));
    nd->weight = net->n_tensors - 1;
    if (!nd->nobias) {
      PetscCall(add_tensor(net, id, "bias", 1, ws, what));
      nd->bias = net->n_tensors - 1;
    }
  }
  if (node) *node = id;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_graph_output(hd_nn *net, PetscInt v)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < net->n_outputs; k++) PetscCheck(net->values[net->outputs[k]].name[0] && strcmp(net->values[net->outputs[k]].name, net->values[v].name), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s': two outputs are named '%s'", net->spec, net->values[v].name);
  net->outputs[net->n_outputs++] = v;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscInt root(const hd_nn *net, PetscInt v) { return net->values[v].alias >= 0 ? net->values[v].alias : v; }
/* A flatten whose value shares its input's memory does nothing in either pass. */
static PetscBool is_view(const hd_nn *net, const hd_nn_node *nd) { return nd->op == HD_OP_FLATTEN && net->values[nd->out[0]].alias >= 0 ? PETSC_TRUE : PETSC_FALSE; }

/* The gradient plan: which value gradients are seeded (outputs, and values nobody reads), which
 * consumer writes a gradient first, and gradient buffers shared by values whose gradients are
 * never alive together (for a chain: two buffers, used in turn). */
static PetscErrorCode plan_gradients(hd_nn *net)
{
  PetscInt *free_slots, n_free = 0, *eff, n_slots = 0;
  size_t   *slot_size;
  PetscBool *seen;

  PetscFunctionBegin;
  PetscCall(PetscCalloc1(net->n_values, &eff));
  PetscCall(PetscCalloc1(net->n_values, &seen));
  PetscCall(PetscMalloc1(net->n_values, &free_slots));
  PetscCall(PetscCalloc1(net->n_values, &slot_size));
  /* consumers that contribute gradients, counted on the memory's owner */
  for (PetscInt n = 0; n < net->n_nodes; n++)
    if (!is_view(net, &net->nodes[n]))
      for (PetscInt i = 0; i < net->nodes[n].n_in; i++) eff[root(net, net->nodes[n].in[i])]++;
  for (PetscInt k = 0; k < net->n_outputs; k++) net->values[net->outputs[k]].seeded_ = PETSC_TRUE;
  for (PetscInt v = 1; v < net->n_values; v++)
    if (net->values[v].alias < 0 && eff[v] == 0) net->values[v].seeded_ = PETSC_TRUE;
  /* which gradients reach a parameter or the input (values in topological order) */
  net->values[0].need_input_ = PETSC_TRUE;
  for (PetscInt n = 0; n < net->n_nodes; n++) {
    const hd_nn_node *nd = &net->nodes[n];
    PetscBool         np = nd->weight >= 0 ? PETSC_TRUE : PETSC_FALSE, ni = PETSC_FALSE;

    for (PetscInt i = 0; i < nd->n_in; i++) {
      np = np || net->values[root(net, nd->in[i])].need_param_;
      ni = ni || net->values[root(net, nd->in[i])].need_input_;
    }
    for (PetscInt j = 0; j < nd->n_out; j++) {
      net->values[nd->out[j]].need_param_ = np;
      net->values[nd->out[j]].need_input_ = ni;
    }
  }
  /* seeded gradients first (zeroed by forward, so they must not share), then in backward order:
   * a node's input gradients come alive, its output gradients die */
  for (PetscInt v = 1; v < net->n_values; v++)
    if (net->values[v].seeded_) net->values[v].slot_ = n_slots++;
  for (PetscInt n = net->n_nodes - 1; n >= 0; n--) {
    hd_nn_node *nd = &net->nodes[n];

    if (is_view(net, nd)) continue;
    for (PetscInt i = 0; i < nd->n_in; i++) {
      hd_nn_value *r = &net->values[root(net, nd->in[i])];

      nd->acc_[i] = r->seeded_ || seen[root(net, nd->in[i])] ? PETSC_TRUE : PETSC_FALSE;
      seen[root(net, nd->in[i])] = PETSC_TRUE;
      if (root(net, nd->in[i]) != 0 && r->slot_ < 0) r->slot_ = n_free ? free_slots[--n_free] : n_slots++;
    }
    for (PetscInt j = 0; j < nd->n_out; j++) free_slots[n_free++] = net->values[nd->out[j]].slot_;
  }
  for (PetscInt v = 1; v < net->n_values; v++)
    if (net->values[v].alias < 0 && net->values[v].slot_ >= 0) slot_size[net->values[v].slot_] = PetscMax(slot_size[net->values[v].slot_], (size_t)net->values[v].size);
  net->n_gslots_ = n_slots;
  PetscCall(PetscCalloc1(n_slots + 1, &net->gslot_));
  for (PetscInt s = 0; s < n_slots; s++) PetscCall(PetscCalloc1((size_t)net->max_batch * slot_size[s], &net->gslot_[s]));
  for (PetscInt v = 1; v < net->n_values; v++)
    if (net->values[v].alias < 0) net->values[v].grad_ = net->values[v].slot_ >= 0 ? net->gslot_[net->values[v].slot_] : NULL;
  for (PetscInt v = 1; v < net->n_values; v++)
    if (net->values[v].alias > 0) net->values[v].grad_ = net->values[net->values[v].alias].grad_;
  PetscCall(PetscFree(eff));
  PetscCall(PetscFree(seen));
  PetscCall(PetscFree(free_slots));
  PetscCall(PetscFree(slot_size));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_graph_finish(hd_nn *net, const char *what)
{
  size_t colmax = 0, accmax = 0;

  PetscFunctionBegin;
  PetscCheck(net->n_nodes > 0 && net->n_outputs > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: no nodes or no outputs", what);
  /* a flatten shares its input's memory, unless its value is a network output (the loss seeds
   * that gradient, which must not be the input's) */
  for (PetscInt n = 0; n < net->n_nodes; n++) {
    hd_nn_node *nd  = &net->nodes[n];
    PetscBool   out = PETSC_FALSE;

    if (nd->op != HD_OP_FLATTEN) continue;
    for (PetscInt k = 0; k < net->n_outputs; k++) out = out || net->outputs[k] == nd->out[0];
    if (!out) net->values[nd->out[0]].alias = root(net, nd->in[0]);
  }
  PetscCall(plan_gradients(net));
  for (PetscInt v = 1; v < net->n_values; v++)
    if (net->values[v].alias < 0) PetscCall(PetscMalloc1((size_t)net->max_batch * (size_t)net->values[v].size, &net->values[v].data_));
  for (PetscInt v = 1; v < net->n_values; v++)
    if (net->values[v].alias > 0) net->values[v].data_ = net->values[net->values[v].alias].data_;
  for (PetscInt n = 0; n < net->n_nodes; n++) {
    hd_nn_node *nd = &net->nodes[n];

    if (hd_nn_op_table[nd->op].scratch) colmax = PetscMax(colmax, hd_nn_op_table[nd->op].scratch(net, nd));
    if (nd->op == HD_OP_MAXPOOL) PetscCall(PetscMalloc1((size_t)net->max_batch * (size_t)net->values[nd->out[0]].size, &nd->arg_));
    if (nd->op == HD_OP_MASKED_DENSE) PetscCall(PetscMalloc1((size_t)net->tensors[nd->weight].size, &nd->wm_));
    for (PetscInt i = 0; i < nd->n_in; i++)
      if (nd->acc_[i]) accmax = PetscMax(accmax, (size_t)net->values[nd->in[i]].size);
  }
  if (colmax) PetscCall(PetscMalloc1(colmax, &net->col_));
  if (accmax) PetscCall(PetscMalloc1((size_t)net->max_batch * accmax, &net->acc_buf_));
  PetscCall(PetscCalloc1((size_t)net->n_params + 1, &net->params));
  PetscCall(PetscCalloc1((size_t)net->n_params + 1, &net->grads));
  net->out_size = net->values[net->outputs[0]].size;
  net->dout     = net->values[net->outputs[0]].grad_;
  net->output   = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the chain builder ---- */

static PetscErrorCode chain_nodes(hd_nn *net, const char *spec, const char *prefix, PetscInt from, PetscInt *last)
{
  char       *copy = NULL;
  PetscInt    nl   = 1, prev = from;
  hd_nn_node *tmpl = NULL;

  PetscFunctionBegin;
  for (const char *c = spec; *c; c++) nl += *c == ',';
  PetscCall(PetscCalloc1(nl, &tmpl));
  PetscCall(PetscStrallocpy(spec, &copy));
  {
    PetscErrorCode ierr = parse_spec(spec, copy, nl, tmpl);

    PetscCall(PetscFree(copy));
    if (ierr) PetscCall(PetscFree(tmpl));
    PetscCall(ierr);
  }
  for (PetscInt l = 0; l < nl; l++) {
    char           vname[HD_NN_NAME_LEN + 16];
    const char    *vn = vname;
    PetscErrorCode ierr;

    ierr = PetscSNPrintf(tmpl[l].name, sizeof(tmpl[l].name), "%slayer%" PetscInt_FMT, prefix, l);
    if (!ierr && l == nl - 1) ierr = PetscSNPrintf(vname, sizeof(vname), "%s", prefix[0] ? prefix : "output");
    else if (!ierr) ierr = PetscSNPrintf(vname, sizeof(vname), "%slayer%" PetscInt_FMT, prefix, l);
    if (!ierr && l == nl - 1 && prefix[0]) vname[strlen(vname) - 1] = '\0'; /* "ae1." -> "ae1" */
    if (!ierr) ierr = hd_nn_graph_node(net, &tmpl[l], 1, &prev, 1, &vn, NULL, &prev);
    if (ierr) PetscCall(PetscFree(tmpl));
    PetscCall(ierr);
  }
  PetscCall(PetscFree(tmpl));
  *last = prev;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Appends the canonical text of nodes [first, last) to buf, comma-separated. */
static PetscErrorCode chain_text(const hd_nn *net, PetscInt first, PetscInt last, char *buf, size_t len)
{
  PetscFunctionBegin;
  for (PetscInt n = first; n < last; n++) {
    if (n > first) PetscCall(PetscStrlcat(buf, ", ", len));
    PetscCall(hd_nn_op_table[net->nodes[n].op].text(&net->nodes[n], buf, len));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode check_common(const char *spec, const PetscInt in_shape[3], PetscInt max_batch)
{
  PetscFunctionBegin;
  PetscCheck(spec && spec[0], PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec is empty");
  PetscCheck(in_shape[0] > 0 && in_shape[1] > 0 && in_shape[2] > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': input shape (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ") must be positive", spec, in_shape[0], in_shape[1], in_shape[2]);
  PetscCheck(max_batch > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': maximum batch size %" PetscInt_FMT " must be positive", spec, max_batch);
  PetscCheck((PetscInt64)in_shape[0] * in_shape[1] * in_shape[2] <= PETSC_MAX_INT, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': input shape (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ") is too large", spec, in_shape[0], in_shape[1], in_shape[2]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode chain_build(hd_nn *net, const char *spec, const PetscInt in_shape[3], PetscInt max_batch)
{
  PetscInt nl = 1, last;
  size_t   len;

  PetscFunctionBegin;
  for (const char *c = spec; *c; c++) nl += *c == ',';
  PetscCall(PetscStrallocpy(spec, &net->spec));
  PetscCall(hd_nn_graph_begin(net, in_shape, max_batch, nl));
  PetscCall(chain_nodes(net, spec, "", 0, &last));
  PetscCall(hd_nn_graph_output(net, last));
  PetscCall(hd_nn_graph_finish(net, spec));
  len = 128 * (size_t)nl + 1;
  PetscCall(PetscFree(net->spec));
  PetscCall(PetscCalloc1(len, &net->spec));
  PetscCall(chain_text(net, 0, net->n_nodes, net->spec, len));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_create(const char *spec, const PetscInt in_shape[3], PetscInt max_batch, hd_nn **net_out)
{
  hd_nn         *net;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  *net_out = NULL;
  PetscCall(check_common(spec, in_shape, max_batch));
  PetscCall(PetscNew(&net));
  net->builder = HD_NN_CHAIN;
  ierr         = chain_build(net, spec, in_shape, max_batch);
  if (ierr) {
    PetscCall(hd_nn_destroy(&net));
    PetscCall(ierr);
  }
  *net_out = net;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode parallel_build(hd_nn *net, const char *const *specs, const char *const *names, PetscInt n, const PetscInt in_shape[3], PetscInt max_batch)
{
  PetscInt nl = 0;
  size_t   len;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < n; k++) {
    nl += 1;
    for (const char *c = specs[k]; *c; c++) nl += *c == ',';
  }
  net->n_branches = n;
  PetscCall(PetscCalloc1(n, &net->branch_spec));
  PetscCall(PetscCalloc1(n, &net->branch_name));
  PetscCall(PetscStrallocpy("parallel", &net->spec));
  PetscCall(hd_nn_graph_begin(net, in_shape, max_batch, nl));
  for (PetscInt k = 0; k < n; k++) {
    char     prefix[HD_NN_NAME_LEN + 2];
    PetscInt first = net->n_nodes, last;
    size_t   blen  = 128 * (size_t)nl + 1;

    PetscCheck(names[k] && names[k][0] && !strchr(names[k], '.') && !strchr(names[k], '/') && !strchr(names[k], ';') && strlen(names[k]) < 24, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "parallel network: branch %" PetscInt_FMT " needs a name of 1 to 23 characters without '.', '/' or ';'", k);
    PetscCheck(specs[k] && specs[k][0], PETSC_COMM_SELF, HD_ERR_USER_INPUT, "parallel network: branch '%s' has an empty spec", names[k]);
    PetscCall(PetscStrallocpy(names[k], &net->branch_name[k]));
    PetscCall(PetscSNPrintf(prefix, sizeof(prefix), "%s.", names[k]));
    PetscCall(chain_nodes(net, specs[k], prefix, 0, &last));
    PetscCall(hd_nn_graph_output(net, last));
    PetscCall(PetscCalloc1(blen, &net->branch_spec[k]));
    PetscCall(chain_text(net, first, net->n_nodes, net->branch_spec[k], blen));
  }
  PetscCall(hd_nn_graph_finish(net, "parallel network"));
  len = 16;
  for (PetscInt k = 0; k < n; k++) len += strlen(net->branch_name[k]) + strlen(net->branch_spec[k]) + 4;
  PetscCall(PetscFree(net->spec));
  PetscCall(PetscCalloc1(len, &net->spec));
  /* "ae1: dense 32 relu, dense 57 identity; ae2: ..." */
  for (PetscInt k = 0; k < n; k++) {
    if (k) PetscCall(PetscStrlcat(net->spec, "; ", len));
    PetscCall(PetscStrlcat(net->spec, net->branch_name[k], len));
    PetscCall(PetscStrlcat(net->spec, ": ", len));
    PetscCall(PetscStrlcat(net->spec, net->branch_spec[k], len));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_create_parallel(const char *const *specs, const char *const *names, PetscInt n, const PetscInt in_shape[3], PetscInt max_batch, hd_nn **net_out)
{
  hd_nn         *net;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  *net_out = NULL;
  PetscCheck(n >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "parallel network: needs at least one branch, got %" PetscInt_FMT, n);
  PetscCall(check_common("parallel", in_shape, max_batch));
  PetscCall(PetscNew(&net));
  net->builder = HD_NN_PARALLEL;
  ierr         = parallel_build(net, specs, names, n, in_shape, max_batch);
  if (ierr) {
    PetscCall(hd_nn_destroy(&net));
    PetscCall(ierr);
  }
  *net_out = net;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_destroy(hd_nn **netp)
{
  hd_nn *net = *netp;

  PetscFunctionBegin;
  if (!net) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt n = 0; n < net->n_nodes; n++) {
    PetscCall(PetscFree(net->nodes[n].perm));
    PetscCall(PetscFree(net->nodes[n].mask));
    PetscCall(PetscFree(net->nodes[n].wm_));
    PetscCall(PetscFree(net->nodes[n].arg_));
  }
  for (PetscInt v = 1; v < net->n_values; v++)
    if (net->values[v].alias < 0) PetscCall(PetscFree(net->values[v].data_));
  for (PetscInt s = 0; s < net->n_gslots_; s++) PetscCall(PetscFree(net->gslot_[s]));
  for (PetscInt k = 0; k < net->n_branches; k++) {
    if (net->branch_spec) PetscCall(PetscFree(net->branch_spec[k]));
    if (net->branch_name) PetscCall(PetscFree(net->branch_name[k]));
  }
  PetscCall(PetscFree(net->branch_spec));
  PetscCall(PetscFree(net->branch_name));
  PetscCall(PetscFree(net->gslot_));
  PetscCall(PetscFree(net->col_));
  PetscCall(PetscFree(net->acc_buf_));
  PetscCall(PetscFree(net->params));
  PetscCall(PetscFree(net->grads));
  PetscCall(PetscFree(net->nodes));
  PetscCall(PetscFree(net->values));
  PetscCall(PetscFree(net->tensors));
  PetscCall(PetscFree(net->outputs));
  PetscCall(PetscFree(net->spec));
  PetscCall(PetscFree(*netp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- passes ---- */

PetscErrorCode hd_nn_forward(hd_nn *net, const float *in, PetscInt B)
{
  PetscFunctionBegin;
  PetscCheck(B >= 0 && B <= net->max_batch, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s': batch of %" PetscInt_FMT " events, but it was created for at most %" PetscInt_FMT, net->spec, B, net->max_batch);
  PetscCheck(B == 0 || in, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s': no input", net->spec);
  net->batch           = B;
  net->values[0].data_ = (float *)in; /* read only: no op writes its inputs */
  for (PetscInt v = 1; v < net->n_values; v++)
    if (net->values[v].alias == 0) net->values[v].data_ = (float *)in;
  for (PetscInt n = 0; n < net->n_nodes && B > 0; n++) PetscCall(hd_nn_op_table[net->nodes[n].op].forward(net, &net->nodes[n], B));
  net->output = net->values[net->outputs[0]].data_;
  for (PetscInt v = 1; v < net->n_values; v++)
    if (net->values[v].seeded_) PetscCall(PetscArrayzero(net->values[v].grad_, (size_t)B * (size_t)net->values[v].size));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_backward(hd_nn *net, float *din)
{
  const PetscInt B = net->batch;

  PetscFunctionBegin;
  if (B == 0) PetscFunctionReturn(PETSC_SUCCESS);
  net->values[0].grad_ = din;
  for (PetscInt v = 1; v < net->n_values; v++)
    if (net->values[v].alias == 0) net->values[v].grad_ = din;
  for (PetscInt n = net->n_nodes - 1; n >= 0; n--) {
    hd_nn_node *nd  = &net->nodes[n];
    float      *gin[HD_NN_MAX_IO];
    PetscBool   run = nd->weight >= 0 ? PETSC_TRUE : PETSC_FALSE;

    if (is_view(net, nd)) continue;
    for (PetscInt i = 0; i < nd->n_in; i++) {
      const hd_nn_value *r    = &net->values[root(net, nd->in[i])];
      PetscBool          need = root(net, nd->in[i]) == 0 ? (din ? PETSC_TRUE : PETSC_FALSE) : (r->need_param_ || (din && r->need_input_)) ? PETSC_TRUE : PETSC_FALSE;

      gin[i] = need ? r->grad_ : NULL;
      run    = run || need;
    }
    if (run) PetscCall(hd_nn_op_table[nd->op].backward(net, nd, B, gin));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_zero_grad(hd_nn *net)
{
  PetscFunctionBegin;
  PetscCall(PetscArrayzero(net->grads, (size_t)net->n_params));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscInt hd_nn_parameter_count(const hd_nn *net) { return net->n_params; }

/* ---- outputs by index ---- */

PetscInt hd_nn_output_count(const hd_nn *net) { return net->n_outputs; }
PetscInt hd_nn_output_size(const hd_nn *net, PetscInt k) { return k >= 0 && k < net->n_outputs ? net->values[net->outputs[k]].size : 0; }
const float *hd_nn_output(const hd_nn *net, PetscInt k) { return k >= 0 && k < net->n_outputs && net->output ? net->values[net->outputs[k]].data_ : NULL; }
float       *hd_nn_output_grad(hd_nn *net, PetscInt k) { return k >= 0 && k < net->n_outputs ? net->values[net->outputs[k]].grad_ : NULL; }

PetscErrorCode hd_nn_output_index(const hd_nn *net, const char *name, PetscInt *k)
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < net->n_outputs; i++)
    if (!strcmp(net->values[net->outputs[i]].name, name)) {
      *k = i;
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  SETERRQ(PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s' has no output '%s'", net->spec, name);
}
