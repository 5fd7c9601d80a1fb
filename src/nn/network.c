/* Networks: a spec parsed into a sequence of layers whose parameters live in one buffer
 * (docs/nn.md, "Networks"). Every buffer a forward or backward needs is allocated here, once. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/nn.h>

#define HD_SPEC_MAX_TOKENS 8

const char *hd_nn_layer_type_name(hd_nn_layer_type type)
{
  switch (type) {
  case HD_LAYER_DENSE:
    return "dense";
  case HD_LAYER_CONV2D:
    return "conv2d";
  case HD_LAYER_MAXPOOL:
    return "maxpool";
  case HD_LAYER_FLATTEN:
    return "flatten";
  case HD_LAYER_ACTIVATION:
    return "activation";
  }
  return "unknown";
}

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
static PetscErrorCode parse_layer(const char *spec, PetscInt li, char **tok, int nt, hd_nn_layer *L)
{
  PetscBool is_act = PETSC_FALSE;
  int       t      = 1;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(L, sizeof(*L)));
  L->weight = L->bias = -1;
  L->act              = HD_ACT_IDENTITY;
  L->stride           = 1;
  if (!strcmp(tok[0], "dense")) {
    L->type = HD_LAYER_DENSE;
    PetscCheck(nt >= 2, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": 'dense' needs a width, as in 'dense 64 relu'", spec, li);
    PetscCall(parse_count(spec, li, tok[1], 0, "dense width", 1, &L->out[0]));
    t = 2;
  } else if (!strcmp(tok[0], "conv") || !strcmp(tok[0], "conv2d")) {
    char *x;

    L->type = HD_LAYER_CONV2D;
    PetscCheck(nt >= 3, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": 'conv' needs channels and a kernel, as in 'conv 8 3x3 relu'", spec, li);
    PetscCall(parse_count(spec, li, tok[1], 0, "number of channels", 1, &L->out[0]));
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
    L->type = HD_LAYER_MAXPOOL;
    PetscCheck(nt >= 2, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": 'maxpool' needs a size, as in 'maxpool 2'", spec, li);
    PetscCall(parse_count(spec, li, tok[1], 0, "pool size", 1, &L->kh));
    L->kw     = L->kh;
    L->stride = L->kh;
    t         = 2;
    if (t < nt && tok[t][0] == 's' && isdigit((unsigned char)tok[t][1])) PetscCall(parse_count(spec, li, tok[t++], 1, "stride", 1, &L->stride));
    PetscCheck(t == nt, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": unexpected '%s' after maxpool (only 'sS' may follow the size)", spec, li, tok[t]);
  } else if (!strcmp(tok[0], "flatten")) {
    L->type = HD_LAYER_FLATTEN;
    PetscCheck(nt == 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": 'flatten' takes no arguments (found '%s')", spec, li, tok[1]);
  } else {
    PetscCall(hd_nn_act_parse(tok[0], &L->act, &L->alpha, &is_act));
    PetscCheck(is_act, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": unknown layer '%s' (expected dense, conv, maxpool, flatten or an activation: identity, relu, elu, leakyrelu, sigmoid, tanh)", spec, li, tok[0]);
    L->type = HD_LAYER_ACTIVATION;
    PetscCheck(nt == 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": unexpected '%s' after the activation '%s'", spec, li, tok[1], tok[0]);
  }
  if (L->type == HD_LAYER_DENSE || L->type == HD_LAYER_CONV2D) {
    if (t < nt) {
      PetscCall(hd_nn_act_parse(tok[t], &L->act, &L->alpha, &is_act));
      PetscCheck(is_act, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": '%s' is not an activation (identity, relu, elu, leakyrelu, sigmoid, tanh)", spec, li, tok[t]);
      t++;
    }
    PetscCheck(t == nt, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s', layer %" PetscInt_FMT ": unexpected '%s' after the activation", spec, li, tok[t]);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Output shape of L from its input shape (already in L->in); checks that they fit. */
static PetscErrorCode layer_shape(const char *spec, PetscInt li, hd_nn_layer *L)
{
  char what[96];

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(what, sizeof(what), "network spec '%.40s', layer %" PetscInt_FMT " (%s)", spec, li, hd_nn_layer_type_name(L->type)));
  switch (L->type) {
  case HD_LAYER_DENSE:
    PetscCheck(L->in[1] == 1 && L->in[2] == 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: input (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ") is not flat; put 'flatten' before it", what, L->in[0], L->in[1], L->in[2]);
    L->out[1] = L->out[2] = 1;
    break;
  case HD_LAYER_CONV2D: {
    hd_nn_conv2d_geom g = {L->in[0], L->in[1], L->in[2], L->out[0], L->kh, L->kw, L->stride, L->pad, 0, 0};

    PetscCall(hd_nn_conv2d_shape(&g, what));
    L->out[1] = g.OH;
    L->out[2] = g.OW;
  } break;
  case HD_LAYER_MAXPOOL:
    PetscCheck(L->in[1] >= L->kh && L->in[2] >= L->kw, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%s: pool size %" PetscInt_FMT " is larger than the input %" PetscInt_FMT "x%" PetscInt_FMT, what, L->kh, L->in[1], L->in[2]);
    L->out[0] = L->in[0];
    L->out[1] = (L->in[1] - L->kh) / L->stride + 1;
    L->out[2] = (L->in[2] - L->kw) / L->stride + 1;
    break;
  case HD_LAYER_FLATTEN:
    L->out[0] = L->in[0] * L->in[1] * L->in[2];
    L->out[1] = L->out[2] = 1;
    break;
  case HD_LAYER_ACTIVATION:
    for (int k = 0; k < 3; k++) L->out[k] = L->in[k];
    break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Appends the canonical text of L to buf. */
static PetscErrorCode layer_text(const hd_nn_layer *L, char *buf, size_t len)
{
  char   act[48] = "";
  size_t used    = strlen(buf);

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(act, sizeof(act), "%s", hd_nn_act_name(L->act)));
  if ((L->act == HD_ACT_ELU && L->alpha != 1.0f) || (L->act == HD_ACT_LEAKY_RELU && L->alpha != 0.01f)) {
    /* the shortest decimal that reads back as the same float */
    for (int digits = 6; digits <= 9; digits++) {
      PetscCall(PetscSNPrintf(act, sizeof(act), "%s:%.*g", hd_nn_act_name(L->act), digits, (double)L->alpha));
      if ((float)strtod(strchr(act, ':') + 1, NULL) == L->alpha) break;
    }
  }
  switch (L->type) {
  case HD_LAYER_DENSE:
    PetscCall(PetscSNPrintf(buf + used, len - used, "dense %" PetscInt_FMT " %s", L->out[0], act));
    break;
  case HD_LAYER_CONV2D:
    PetscCall(PetscSNPrintf(buf + used, len - used, "conv %" PetscInt_FMT " %" PetscInt_FMT "x%" PetscInt_FMT " s%" PetscInt_FMT " p%" PetscInt_FMT " %s", L->out[0], L->kh, L->kw, L->stride, L->pad, act));
    break;
  case HD_LAYER_MAXPOOL:
    PetscCall(PetscSNPrintf(buf + used, len - used, "maxpool %" PetscInt_FMT " s%" PetscInt_FMT, L->kh, L->stride));
    break;
  case HD_LAYER_FLATTEN:
    PetscCall(PetscSNPrintf(buf + used, len - used, "flatten"));
    break;
  case HD_LAYER_ACTIVATION:
    PetscCall(PetscSNPrintf(buf + used, len - used, "%s", act));
    break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void tensor_set(hd_nn_tensor *T, PetscInt layer, const char *kind, PetscInt offset, PetscInt ndim, const PetscInt *shape)
{
  snprintf(T->name, sizeof(T->name), "layer%d.%s", (int)layer, kind);
  T->layer  = layer;
  T->offset = offset;
  T->ndim   = ndim;
  T->size   = 1;
  for (PetscInt k = 0; k < 4; k++) T->shape[k] = k < ndim ? shape[k] : 1;
  for (PetscInt k = 0; k < ndim; k++) T->size *= shape[k];
}

static size_t layer_out_size(const hd_nn_layer *L) { return (size_t)L->out[0] * (size_t)L->out[1] * (size_t)L->out[2]; }

/* Splits the spec into layers (layers[] has room for one per comma + 1). */
static PetscErrorCode parse_spec(const char *spec, char *copy, PetscInt nl, hd_nn_layer *layers)
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

/* Builds into net (zeroed, with layers[] and tensors[] allocated); on failure the caller frees. */
static PetscErrorCode create_inner(hd_nn *net, const char *spec, const PetscInt in_shape[3], PetscInt max_batch, PetscInt nl)
{
  char    *copy = NULL;
  PetscInt nt = 0, off = 0;
  size_t   gmax = 0, colmax = 0, speclen;

  PetscFunctionBegin;
  PetscCall(PetscStrallocpy(spec, &copy));
  {
    PetscErrorCode ierr = parse_spec(spec, copy, nl, net->layers);

    PetscCall(PetscFree(copy));
    PetscCall(ierr);
  }
  net->n_layers = nl;
  for (PetscInt k = 0; k < 3; k++) net->in_shape[k] = in_shape[k];
  net->in_size   = in_shape[0] * in_shape[1] * in_shape[2];
  net->max_batch = max_batch;

  /* shapes, tensor table (packed, in layer order), buffer sizes */
  for (PetscInt l = 0; l < nl; l++) {
    hd_nn_layer *L = &net->layers[l];

    for (PetscInt k = 0; k < 3; k++) L->in[k] = l ? net->layers[l - 1].out[k] : in_shape[k];
    PetscCall(layer_shape(spec, l, L));
    if (L->type == HD_LAYER_DENSE || L->type == HD_LAYER_CONV2D) {
      /* dense W (O, I), conv W (O, C, KH, KW); bias (O) */
      PetscInt   ws[4] = {L->out[0], L->in[0], L->kh, L->kw};
      PetscInt   nd    = L->type == HD_LAYER_DENSE ? 2 : 4;
      PetscInt64 wsize = (PetscInt64)L->out[0] * L->in[0] * (nd == 4 ? (PetscInt64)L->kh * L->kw : 1);

      PetscCheck(off + wsize + L->out[0] <= PETSC_MAX_INT, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': layer %" PetscInt_FMT " takes the parameter count past %d", spec, l, (int)PETSC_MAX_INT);
      tensor_set(&net->tensors[nt], l, "weight", off, nd, ws);
      off += net->tensors[nt].size;
      L->weight = nt++;
      tensor_set(&net->tensors[nt], l, "bias", off, 1, ws);
      off += net->tensors[nt].size;
      L->bias = nt++;
    }
    if (L->type == HD_LAYER_CONV2D && !(L->kh == 1 && L->kw == 1 && L->stride == 1 && L->pad == 0)) {
      size_t c = (size_t)L->in[0] * (size_t)(L->kh * L->kw) * (size_t)(L->out[1] * L->out[2]);

      colmax = c > colmax ? c : colmax;
    }
    gmax = layer_out_size(L) > gmax ? layer_out_size(L) : gmax;
  }
  net->n_tensors = nt;
  net->n_params  = off;
  net->out_size  = (PetscInt)layer_out_size(&net->layers[nl - 1]);

  PetscCall(PetscCalloc1((size_t)off + 1, &net->params));
  PetscCall(PetscCalloc1((size_t)off + 1, &net->grads));
  PetscCall(PetscCalloc1(nl, &net->act_));
  PetscCall(PetscCalloc1(nl, &net->arg_));
  for (PetscInt l = 0; l < nl; l++) {
    const hd_nn_layer *L = &net->layers[l];
    size_t             n = (size_t)max_batch * layer_out_size(L);

    if (L->type != HD_LAYER_FLATTEN) PetscCall(PetscMalloc1(n, &net->act_[l]));
    if (L->type == HD_LAYER_MAXPOOL) PetscCall(PetscMalloc1(n, &net->arg_[l]));
  }
  for (int k = 0; k < 2; k++) PetscCall(PetscCalloc1((size_t)max_batch * gmax, &net->gbuf_[k]));
  if (colmax) PetscCall(PetscMalloc1(colmax, &net->col_));
  net->dout   = net->gbuf_[0];
  net->output = NULL;

  speclen = 128 * (size_t)nl + 1;
  PetscCall(PetscCalloc1(speclen, &net->spec));
  for (PetscInt l = 0; l < nl; l++) {
    if (l) PetscCall(PetscStrlcat(net->spec, ", ", speclen));
    PetscCall(layer_text(&net->layers[l], net->spec, speclen));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_create(const char *spec, const PetscInt in_shape[3], PetscInt max_batch, hd_nn **net_out)
{
  hd_nn         *net;
  PetscInt       nl = 1;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  *net_out = NULL;
  PetscCheck(spec && spec[0], PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec is empty");
  PetscCheck(in_shape[0] > 0 && in_shape[1] > 0 && in_shape[2] > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': input shape (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ") must be positive", spec, in_shape[0], in_shape[1], in_shape[2]);
  PetscCheck(max_batch > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': maximum batch size %" PetscInt_FMT " must be positive", spec, max_batch);
  PetscCheck((PetscInt64)in_shape[0] * in_shape[1] * in_shape[2] <= PETSC_MAX_INT, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network spec '%s': input shape (%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ") is too large", spec, in_shape[0], in_shape[1], in_shape[2]);
  for (const char *c = spec; *c; c++) nl += *c == ',';
  PetscCall(PetscNew(&net));
  PetscCall(PetscCalloc1(nl, &net->layers));
  PetscCall(PetscCalloc1(2 * nl, &net->tensors));
  ierr = create_inner(net, spec, in_shape, max_batch, nl);
  if (ierr) {
    /* n_layers is set only once every layer parsed; destroy copes with a partial network */
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
  for (PetscInt l = 0; l < net->n_layers; l++) {
    if (net->act_ && net->layers[l].type != HD_LAYER_FLATTEN) PetscCall(PetscFree(net->act_[l]));
    if (net->arg_) PetscCall(PetscFree(net->arg_[l]));
  }
  PetscCall(PetscFree(net->act_));
  PetscCall(PetscFree(net->arg_));
  PetscCall(PetscFree(net->gbuf_[0]));
  PetscCall(PetscFree(net->gbuf_[1]));
  PetscCall(PetscFree(net->col_));
  PetscCall(PetscFree(net->params));
  PetscCall(PetscFree(net->grads));
  PetscCall(PetscFree(net->layers));
  PetscCall(PetscFree(net->tensors));
  PetscCall(PetscFree(net->spec));
  PetscCall(PetscFree(*netp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The output of layer l (flatten passes its input through). l = -1 is the network input. */
static const float *layer_output(const hd_nn *net, PetscInt l)
{
  while (l >= 0 && net->layers[l].type == HD_LAYER_FLATTEN) l--;
  return l < 0 ? net->input_ : net->act_[l];
}

static void layer_geom(const hd_nn_layer *L, hd_nn_conv2d_geom *g)
{
  g->C      = L->in[0];
  g->H      = L->in[1];
  g->W      = L->in[2];
  g->O      = L->out[0];
  g->KH     = L->kh;
  g->KW     = L->kw;
  g->stride = L->stride;
  g->pad    = L->pad;
  g->OH     = L->out[1];
  g->OW     = L->out[2];
}

PetscErrorCode hd_nn_forward(hd_nn *net, const float *in, PetscInt B)
{
  PetscFunctionBegin;
  PetscCheck(B >= 0 && B <= net->max_batch, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s': batch of %" PetscInt_FMT " events, but it was created for at most %" PetscInt_FMT, net->spec, B, net->max_batch);
  PetscCheck(B == 0 || in, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s': no input", net->spec);
  net->input_ = in;
  net->batch  = B;
  for (PetscInt l = 0; l < net->n_layers && B > 0; l++) {
    const hd_nn_layer *L = &net->layers[l];
    const float       *x = layer_output(net, l - 1);
    float             *y = net->act_[l];

    switch (L->type) {
    case HD_LAYER_DENSE:
      hd_nn_dense_forward(y, x, net->params + net->tensors[L->weight].offset, net->params + net->tensors[L->bias].offset, B, L->in[0], L->out[0], L->act, L->alpha);
      break;
    case HD_LAYER_CONV2D: {
      hd_nn_conv2d_geom g;

      layer_geom(L, &g);
      hd_nn_conv2d_forward(y, x, net->params + net->tensors[L->weight].offset, net->params + net->tensors[L->bias].offset, net->col_, B, &g, L->act, L->alpha);
    } break;
    case HD_LAYER_MAXPOOL:
      hd_nn_maxpool_forward(y, net->arg_[l], x, B, L->in[0], L->in[1], L->in[2], L->kh, L->stride);
      break;
    case HD_LAYER_FLATTEN:
      break;
    case HD_LAYER_ACTIVATION:
      hd_nn_act_forward(y, x, (size_t)B * layer_out_size(L), L->act, L->alpha);
      break;
    }
  }
  net->output = layer_output(net, net->n_layers - 1);
  PetscCall(PetscArrayzero(net->dout, (size_t)B * (size_t)net->out_size));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_nn_backward(hd_nn *net, float *din)
{
  const PetscInt B     = net->batch;
  float         *g     = net->dout; /* gradient wrt the output of the current layer */
  PetscInt       first = net->n_layers; /* the first layer with parameters */

  PetscFunctionBegin;
  if (B == 0) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt l = 0; l < net->n_layers; l++)
    if (net->layers[l].weight >= 0) {
      first = l;
      break;
    }
  for (PetscInt l = net->n_layers - 1; l >= 0; l--) {
    const hd_nn_layer *L = &net->layers[l];
    const float       *x = layer_output(net, l - 1), *y = layer_output(net, l);
    /* the input gradient is needed by an earlier layer with parameters, or by the caller */
    PetscBool need_in = (l > first || din) ? PETSC_TRUE : PETSC_FALSE;
    float    *gin     = !need_in ? NULL : l == 0 ? din : (g == net->gbuf_[0] ? net->gbuf_[1] : net->gbuf_[0]);
    size_t    n_in    = (size_t)B * (size_t)(L->in[0] * L->in[1] * L->in[2]);

    if (!need_in && L->weight < 0) break;
    switch (L->type) {
    case HD_LAYER_DENSE:
      hd_nn_dense_backward(gin, net->grads + net->tensors[L->weight].offset, net->grads + net->tensors[L->bias].offset, g, y, x, net->params + net->tensors[L->weight].offset, B, L->in[0], L->out[0], L->act, L->alpha);
      break;
    case HD_LAYER_CONV2D: {
      hd_nn_conv2d_geom geo;

      layer_geom(L, &geo);
      hd_nn_conv2d_backward(gin, net->grads + net->tensors[L->weight].offset, net->grads + net->tensors[L->bias].offset, g, y, x, net->params + net->tensors[L->weight].offset, net->col_, B, &geo, L->act, L->alpha);
    } break;
    case HD_LAYER_MAXPOOL:
      hd_nn_maxpool_backward(gin, g, net->arg_[l], B, L->in[0], L->in[1], L->in[2], L->out[1], L->out[2]);
      break;
    case HD_LAYER_FLATTEN:
      /* same memory, same gradient: only the caller's buffer needs a copy */
      if (l == 0) PetscCall(PetscArraycpy(din, g, n_in));
      gin = g;
      break;
    case HD_LAYER_ACTIVATION:
      hd_nn_act_backward(gin, g, y, n_in, L->act, L->alpha);
      break;
    }
    g = gin;
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

/* A chain has one output, "output". */
PetscInt     hd_nn_output_count(const hd_nn *net) { (void)net; return 1; }
PetscInt     hd_nn_output_size(const hd_nn *net, PetscInt k) { return k == 0 ? net->out_size : 0; }
const float *hd_nn_output(const hd_nn *net, PetscInt k) { return k == 0 ? net->output : NULL; }
float       *hd_nn_output_grad(hd_nn *net, PetscInt k) { return k == 0 ? net->dout : NULL; }

PetscErrorCode hd_nn_output_index(const hd_nn *net, const char *name, PetscInt *k)
{
  PetscFunctionBegin;
  PetscCheck(!strcmp(name, "output"), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s' has no output '%s'", net->spec, name);
  *k = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}
