/* Neural-network layers, losses, initialisation and optimisers (docs/nn.md has the equations).
 *
 * Data are float32, row-major, one event per row: a batch of B events is (B, C, H, W) for images
 * (NCHW, as PyTorch) and (B, F) for feature vectors, which the network treats as (B, F, 1, 1).
 * Weights use PyTorch's layouts: dense W (O, I), conv2d W (O, C, KH, KW), so a model file loads
 * into torch.nn without transposes.
 *
 * Conventions shared by every kernel and by the network:
 * - kernels are plain functions, outputs first, shapes in the comment above each;
 * - backward ACCUMULATES into parameter gradients (+=): zeroing them is its own step
 *   (hd_nn_zero_grad), so gradients of several shards of one batch can be summed;
 * - the dense, conv2d, maxpool and activation kernels WRITE (=) the gradient wrt their input (the
 *   network adds it where a value has several consumers); the flow and set kernels accumulate;
 * - losses ACCUMULATE their gradient (scaled by 1/norm) into the output gradient; the network zeroes
 *   its output-gradient buffer at every forward;
 * - sums over a batch that give a loss or a bias gradient accumulate in double.
 * Nothing here talks to MPI, HDF5 or the file system; nothing is collective. */
#ifndef HADAL_NN_H
#define HADAL_NN_H

#include <stdint.h>
#include <hadal/error.h>

/* ---------------------------------------------------------------------------------------------
 * Activations */

typedef enum {
  HD_ACT_IDENTITY = 0,
  HD_ACT_RELU,
  HD_ACT_ELU,        /* alpha (default 1): x > 0 ? x : alpha (e^x - 1) */
  HD_ACT_LEAKY_RELU, /* alpha = negative slope (default 0.01) */
  HD_ACT_SIGMOID,
  HD_ACT_TANH
} hd_nn_act;

/* Not collective. The name used in specs and model files ("identity", "relu", "elu",
 * "leakyrelu", "sigmoid", "tanh"). */
const char *hd_nn_act_name(hd_nn_act act);
/* Not collective. Parses "relu", "elu", "elu:0.5", "leakyrelu:0.2" ("linear" is "identity",
 * "leaky_relu" is "leakyrelu"). *found is false (and nothing else is set) when `word` names no
 * activation; a malformed or out-of-range parameter is an error. */
PetscErrorCode hd_nn_act_parse(const char *word, hd_nn_act *act, float *alpha, PetscBool *found);

/* Not collective (no kernel below is). y (n) = f(x (n)); y may equal x (in place). */
void hd_nn_act_forward(float *y, const float *x, size_t n, hd_nn_act act, float alpha);
/* Not collective. dx (n) = dy (n) * f'(x), with f' written through the output y = f(x) (every activation here has
 * a derivative that is a function of its output); dx may equal dy. */
void hd_nn_act_backward(float *dx, const float *dy, const float *y, size_t n, hd_nn_act act, float alpha);
/* Not collective. The fused forms the layers use, one pass over the data:
 * y (n) = f(x + b), with b (n) per element when b_stride is 1, one value b[0] when 0, none if NULL;
 * dx (n) = dy f'(y), and when acc is not NULL acc (n) += dx (acc_stride 1) or acc[0] += sum dx
 * (acc_stride 0), in double, in an order fixed by n. */
void hd_nn_bias_act_forward(float *y, const float *x, const float *b, int b_stride, size_t n, hd_nn_act act, float alpha);
void hd_nn_act_backward_sum(float *dx, const float *dy, const float *y, double *acc, int acc_stride, size_t n, hd_nn_act act, float alpha);

/* ---------------------------------------------------------------------------------------------
 * Layer kernels. `act` is fused: forward applies it after the bias in the same pass; backward
 * first turns dout into the gradient wrt the pre-activation, IN PLACE (dout is overwritten). */

/* Not collective. out (B, O) = act(in (B, I) W^T + b),  W (O, I), b (O) */
void hd_nn_dense_forward(float *out, const float *in, const float *w, const float *b, PetscInt B, PetscInt In, PetscInt O, hd_nn_act act, float alpha);
/* Not collective.
 * dout (B, O) <- dout * act'(out)           (in place: gradient wrt the pre-activation)
 * dw (O, I)  += dout^T (O, B) in (B, I)
 * db (O)     += sum_b dout                   (accumulated in double)
 * din (B, I)  = dout (B, O) W (O, I)         (skipped when din is NULL) */
void hd_nn_dense_backward(float *din, float *dw, float *db, float *dout, const float *out, const float *in, const float *w, PetscInt B, PetscInt In, PetscInt O, hd_nn_act act, float alpha);

/* 2-d convolution (cross-correlation, as PyTorch), square stride and zero padding:
 * OH = (H + 2 pad - KH) / stride + 1, OW likewise.
 * out (B, O, OH, OW) = act(W (O, C, KH, KW) * in (B, C, H, W) + b (O)); done image by image as
 * out_b (O, OH OW) = W (O, C KH KW) col_b (C KH KW, OH OW) + b, with col_b = im2col(in_b).
 * col is scratch of C KH KW OH OW floats. */
typedef struct {
  PetscInt C, H, W;     /* input channels and size */
  PetscInt O, KH, KW;   /* output channels, kernel */
  PetscInt stride, pad; /* the same in both directions */
  PetscInt OH, OW;      /* output size (set by hd_nn_conv2d_shape) */
} hd_nn_conv2d_geom;

/* Not collective. Checks the geometry and sets OH, OW; `what` names it in error messages. */
PetscErrorCode hd_nn_conv2d_shape(hd_nn_conv2d_geom *g, const char *what);
/* Not collective. The forward product above. */
void           hd_nn_conv2d_forward(float *out, const float *in, const float *w, const float *b, float *col, PetscInt B, const hd_nn_conv2d_geom *g, hd_nn_act act, float alpha);
/* Not collective.
 * dout (B, O, OH, OW) <- dout * act'(out)   (in place)
 * dw (O, C KH KW)      += sum_b dout_b (O, OH OW) col_b^T
 * db (O)               += sum_{b, y, x} dout (accumulated in double)
 * din (B, C, H, W)      = col2im(W^T (C KH KW, O) dout_b)   (skipped when din is NULL) */
void hd_nn_conv2d_backward(float *din, float *dw, float *db, float *dout, const float *out, const float *in, const float *w, float *col, PetscInt B, const hd_nn_conv2d_geom *g, hd_nn_act act, float alpha);

/* Not collective. Max-pooling, no padding, floor mode: OH = (H - K) / stride + 1.
 * out (B, C, OH, OW) = max over each K x K window of in (B, C, H, W); arg (B, C, OH, OW) records
 * where the maximum is within its channel plane (y W + x), the first one in row-major order when
 * several are equal; a NaN counts as the maximum, as in PyTorch. */
void hd_nn_maxpool_forward(float *out, int32_t *arg, const float *in, PetscInt B, PetscInt C, PetscInt H, PetscInt W, PetscInt K, PetscInt stride);
/* Not collective. din (B, C, H, W) = scatter of dout (B, C, OH, OW) to the recorded maxima (zero elsewhere) */
void hd_nn_maxpool_backward(float *din, const float *dout, const int32_t *arg, PetscInt B, PetscInt C, PetscInt H, PetscInt W, PetscInt OH, PetscInt OW);

/* ---------------------------------------------------------------------------------------------
 * Losses. z (B, K) is the network output, one row per event. Every loss returns
 *   *loss = (1 / norm) sum_b w_b l_b                    (accumulated in double)
 * and, when dz is not NULL, ACCUMULATES dz (B, K) += (1 / norm) w_b dl_b/dz_b.
 * norm is explicit so that a rank holding a shard of a global minibatch of N events passes
 * norm = N: the shard losses and gradients then add up to the mean over the global batch. Pass
 * norm = B for a plain batch mean (PyTorch's reduction='mean'); pass the sum of weights for a
 * weighted mean. weight (B) may be NULL (all ones). per_event (B), when not NULL, receives the
 * unweighted l_b. Targets have a leading dimension target_ld: K for one row per event, 0 for one row
 * shared by every event (the Anomaly Awareness uniform target, a Deep SVDD centre).
 * B may be 0 (a rank with an empty shard): loss 0, nothing written. None is collective. */

/* Softmax cross-entropy against soft targets t (rows summing to 1; one-hot is a case):
 *   l_b = -sum_k t_bk log softmax(z_b)_k,  dl_b/dz_bk = softmax(z_b)_k sum_j t_bj - t_bk. */
PetscErrorCode hd_nn_loss_softmax_ce(double *loss, float *dz, float *per_event, const float *z, const float *target, PetscInt target_ld, const float *weight, PetscInt B, PetscInt K, double norm);
/* Binary cross-entropy with logits, averaged over the K outputs of an event (stable form):
 *   l_b = (1/K) sum_k [max(z,0) - z y + log(1 + e^-|z|)],  dl_b/dz_bk = (sigmoid(z_bk) - y_bk) / K. */
PetscErrorCode hd_nn_loss_bce_logits(double *loss, float *dz, float *per_event, const float *z, const float *target, PetscInt target_ld, const float *weight, PetscInt B, PetscInt K, double norm);
/* Mean squared error, averaged over the K outputs of an event:
 *   l_b = (1/K) sum_k (z_bk - y_bk)^2,  dl_b/dz_bk = 2 (z_bk - y_bk) / K.
 * per_event is the reconstruction error (autoencoder) or squared distance / K (Deep SVDD). */
PetscErrorCode hd_nn_loss_mse(double *loss, float *dz, float *per_event, const float *z, const float *target, PetscInt target_ld, const float *weight, PetscInt B, PetscInt K, double norm);

/* ---------------------------------------------------------------------------------------------
 * Networks: a small graph of operations (docs/nn.md, "Networks"). Values are per-event tensors
 * (shape (C, H, W); a vector of F is (F, 1, 1), a set of P elements of C features is (P, C, 1))
 * held for a whole batch, row-major, one event per row. A node reads named input values and
 * writes named output values through ONE entry of the op table (src/nn/ops.c): shape inference,
 * parameter tensors, forward, backward and its text in model files. Nodes are kept in topological
 * order; the network has one input (value 0) and one or more outputs. Every parameter lives in
 * one contiguous buffer described by the tensor table.
 *
 * Gradients: backward ACCUMULATES into the gradient of every input it reads, so a value read by
 * two nodes receives both contributions. The gradient of a value is zero before its first
 * contribution: the first consumer in backward order writes it instead of adding to zeros (the
 * same result, one pass less), and kernels that can only add get a zeroed buffer. Output
 * gradients are zeroed by hd_nn_forward and seeded by the losses. Parameter gradients accumulate
 * across calls until hd_nn_zero_grad. */

typedef enum {
  HD_OP_DENSE = 0,    /* (F) -> (N): act(x W^T + b), W (N, F) */
  HD_OP_CONV2D,       /* (C, H, W) -> (N, OH, OW) */
  HD_OP_MAXPOOL,      /* (C, H, W) -> (C, OH, OW) */
  HD_OP_FLATTEN,      /* (C, H, W) -> (C H W): the same memory */
  HD_OP_ACTIVATION,   /* elementwise */
  HD_OP_SLICE,        /* (F) -> features [start, start + count), shaped as the node says */
  HD_OP_CONCAT,       /* (F1), (F2), ... -> (F1 + F2 + ...) */
  HD_OP_ADD,          /* x1 + x2 + ..., equal sizes */
  HD_OP_SUM,          /* (F) -> (1): the sum of the features (a flow's log-determinant) */
  HD_OP_PERMUTE,      /* (D) -> (D): y[j] = x[perm[j]] */
  HD_OP_MASKED_DENSE, /* (F) -> (N): act(x (W o M)^T + b), a MADE layer */
  HD_OP_RQS,          /* x (D), theta (D (3K - 1)) -> y (D), logdet (D): rational-quadratic spline */
  HD_OP_SET_POOL,     /* elements (P, C), size (1) -> (C): sum or mean over the valid elements */
  HD_OP_ROW_DENSE,    /* (P, C) -> (P, N): one dense layer applied to every element */
  HD_OP_COUNT
} hd_nn_op;

/* Not collective. "dense", "conv2d", "maxpool", "flatten", "activation", "slice", "concat", "add",
 * "sum", "permute", "masked_dense", "rqs", "set_pool", "row_dense" (names in model files). */
const char *hd_nn_op_name(hd_nn_op op);

#define HD_NN_NAME_LEN 48
#define HD_NN_MAX_IO   8 /* inputs (and outputs) of one node */

typedef struct {
  char     name[HD_NN_NAME_LEN]; /* "input", "layer3", "flow2.y", "ae1.layer4" */
  PetscInt shape[3], size;       /* per event; size = product */
  PetscInt producer;             /* the node writing it; -1 for the network input */
  PetscInt alias;                /* -1, or the value whose memory it shares (flatten) */
  PetscInt n_consumers;          /* nodes reading it */
  /* private: (max_batch, size) buffers, set by the builder (the input's by forward/backward) */
  float    *data_, *grad_;
  PetscBool need_param_, need_input_; /* its gradient reaches a parameter / the input */
  PetscBool seeded_;                  /* an output, or read by nobody: zeroed by forward */
  PetscInt  slot_;                    /* its gradient buffer, net->gslot_[slot_]; -1 for none */
} hd_nn_value;

typedef struct {
  hd_nn_op  op;
  char      name[HD_NN_NAME_LEN];
  PetscInt  n_in, n_out, in[HD_NN_MAX_IO], out[HD_NN_MAX_IO]; /* value indices */
  hd_nn_act act;   /* dense, conv2d, masked and per-element dense (fused), activation */
  float     alpha; /* ELU alpha or LeakyReLU slope */
  PetscInt  units; /* dense, masked dense, per-element dense, conv2d: output width or channels */
  PetscInt  kh, kw, stride, pad; /* conv2d and maxpool (maxpool: kh == kw, pad 0) */
  PetscInt  start, count;        /* slice: features [start, start + count) of its input */
  PetscInt  made_degree[3];      /* masked dense: D, parameters per dimension P, MADE layer */
  PetscInt  made_hidden;         /* masked dense: the MADE's number of hidden layers */
  PetscInt  knots;               /* rqs: bins K */
  double    bound;               /* rqs: the spline acts on [-bound, bound] */
  PetscInt  pool;                /* set_pool: 0 sum, 1 mean */
  PetscInt  weight, bias;        /* indices into the tensor table; -1 for nodes without */
  PetscBool nobias;              /* dense: no bias tensor (the spec word "nobias") */
  PetscInt *perm;                /* permute: (D) */
  float    *mask;                /* masked dense: (units, F), 1 or 0 */
  /* private */
  float    *wm_;                 /* masked dense: W o M of the last forward */
  int32_t  *arg_;                /* maxpool: argmax (max_batch, out size) */
  PetscBool acc_[HD_NN_MAX_IO];  /* backward adds to input i's gradient (else it is the first) */
} hd_nn_node;

/* Not collective. Writes the node's description into buf (len chars): the chain spec words for
 * the chain ops ("dense 64 relu"), the same style for the others ("rqs 35 bins bound 3"). */
PetscErrorCode hd_nn_node_text(const hd_nn_node *nd, char *buf, size_t len);

/* One parameter tensor: params[offset .. offset + size) holds it, row-major with `shape`. */
typedef struct {
  char     name[HD_NN_NAME_LEN]; /* "layer0.weight", "flow3.made7.bias", "ae2.layer0.weight" */
  PetscInt layer, offset, size, ndim, shape[4]; /* layer: the node holding it */
} hd_nn_tensor;

typedef enum { HD_NN_CHAIN = 0, HD_NN_FLOW, HD_NN_DEEPSET, HD_NN_PARALLEL } hd_nn_builder;

typedef struct {
  PetscInt      n_nodes;
  hd_nn_node   *nodes;       /* topological order */
  PetscInt      n_values;
  hd_nn_value  *values;      /* value 0 is the input */
  PetscInt      n_outputs;
  PetscInt     *outputs;     /* (n_outputs) value indices; output k is named values[outputs[k]].name */
  PetscInt      n_tensors;
  hd_nn_tensor *tensors;     /* in node order, weight before bias, packed without gaps */
  PetscInt      n_params;
  float        *params;      /* (n_params) every weight and bias */
  float        *grads;       /* (n_params) same layout */
  PetscInt      in_shape[3]; /* per event */
  PetscInt      in_size, out_size; /* out_size: output 0 */
  PetscInt      max_batch;   /* buffers are sized for it at creation */
  PetscInt      batch;       /* B of the last forward */
  const float  *output;      /* (batch, out_size): output 0, valid after hd_nn_forward */
  float        *dout;        /* (max_batch, out_size): gradient wrt output 0; zeroed by
                              * hd_nn_forward, losses accumulate into it, hd_nn_backward consumes
                              * (and overwrites) it */
  char         *spec;        /* canonical spec of the builder (a chain: one layer per comma) */
  hd_nn_builder builder;     /* which builder made it (model files rebuild through it) */
  PetscInt      builder_arg[4]; /* flow: D; deep set: P, C, n_out */
  PetscInt      n_branches;  /* parallel: the chains' specs and names */
  char        **branch_spec, **branch_name;
  /* private: workspace, allocated once by the builder */
  PetscInt      cap_nodes_;  /* room for nodes while building */
  float       **gslot_;      /* gradient buffers shared by values whose gradients never coexist */
  PetscInt      n_gslots_;
  float        *col_;        /* im2col scratch */
  float        *acc_buf_;    /* input gradients of writing kernels, before they are added */
  float        *din_;        /* the caller's input gradient during hd_nn_backward */
} hd_nn;

/* Not collective. A chain built from a spec, for inputs of per-event shape in_shape (C, H, W):
 * comma-separated layers, each one of
 *   dense N [ACT]                     fully connected, N outputs (input must be flat)
 *   conv N KxK [sS] [pP] [ACT]        2-d convolution, N output channels, kernel KxK (or "K"),
 *                                     stride S (default 1), zero padding P (default 0)
 *   maxpool K [sS]                    K x K max-pooling, stride S (default K)
 *   flatten                           (C, H, W) -> (C H W, 1, 1); costs nothing
 *   ACT                               a stand-alone activation
 * where ACT is identity (default), relu, elu[:alpha], leakyrelu[:slope], sigmoid or tanh.
 * Example: "conv 8 3x3 relu, maxpool 2, flatten, dense 64 relu, dense 2". Node l is layer l and
 * writes value "layerL", except the last, whose value is the one output, "output". Parameters are
 * zeroed; call hd_nn_init. All buffers for batches up to max_batch are allocated here. */
PetscErrorCode hd_nn_create(const char *spec, const PetscInt in_shape[3], PetscInt max_batch, hd_nn **net);
/* Not collective. A masked autoregressive flow (Papamakarios et al. 2017) with rational-quadratic
 * spline transforms (Durkan et al. 2019) on D features (seed 003, eq. 6 and Table 3):
 *   "maf L layers, made H x W, K knots, bound A [, ACT]"   e.g. "maf 11 layers, made 7x200, 35 knots, bound 3"
 * Flow layer l: theta = MADE(x_l), H masked dense layers of W units (ACT, default relu) and a linear
 * masked layer to D (3K - 1); (y_l, ld_l) = RQS(x_l; theta), K bins on [-A, A]; x_{l+1} = y_l with
 * the feature order reversed (none after the last layer). Outputs "z" (D) = y_{L-1} and "logdet"
 * (1) = sum over layers and features of ld. The base density is the objective's business. */
PetscErrorCode hd_nn_create_flow(const char *spec, PetscInt D, PetscInt max_batch, hd_nn **net);
/* Not collective. A deep set / Particle Flow Network (Komiske et al. 2019; seed 004): input row
 * = P C element features (element-major) then the set size (a float integer in [0, P]).
 *   "pfn phi N1,N2,... f M1,M2,... [sum|mean] [ACT]"   e.g. "pfn phi 100,100,128 f 100,100,100"
 * Phi: per-element dense layers N1, N2, ... (ACT, default relu); pooling over the valid elements
 * (sum by default); F: dense layers M1, M2, ... (ACT); a linear dense layer to n_out, output
 * "output". */
PetscErrorCode hd_nn_create_deepset(const char *spec, PetscInt P, PetscInt C, PetscInt n_out, PetscInt max_batch, hd_nn **net);
/* Not collective. n chains (hd_nn_create specs) reading the same input, one model and one
 * parameter buffer: output k is chain k's last value, named names[k]; its nodes, values and
 * tensors are prefixed "names[k]." (the coupled autoencoders of seed 002). */
PetscErrorCode hd_nn_create_parallel(const char *const *specs, const char *const *names, PetscInt n, const PetscInt in_shape[3], PetscInt max_batch, hd_nn **net);
/* Not collective. */
PetscErrorCode hd_nn_destroy(hd_nn **net);

typedef enum {
  HD_INIT_AUTO = 0,      /* He-uniform before relu, leakyrelu, elu; Glorot-uniform otherwise */
  HD_INIT_HE_UNIFORM,    /* U(-a, a), a = sqrt(6 / fan_in)           (He et al. 2015) */
  HD_INIT_HE_NORMAL,     /* N(0, 2 / fan_in) */
  HD_INIT_GLOROT_UNIFORM,/* U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010) */
  HD_INIT_GLOROT_NORMAL  /* N(0, 2 / (fan_in + fan_out)) */
} hd_nn_init_scheme;

/* Not collective. Draws every weight of node l (dense, conv2d, masked dense, per-element dense)
 * from hd_rng_init(seed, HD_STREAM_INIT, (member << 16) | l), one draw per weight in row-major
 * order (a masked weight is drawn whole; the mask applies in forward); biases are zero. The same
 * (seed, member, builder spec) gives the same parameters on any rank and machine; a chain's node
 * l is its layer l. */
PetscErrorCode hd_nn_init(hd_nn *net, uint64_t seed, uint64_t member, hd_nn_init_scheme scheme);

/* Not collective. Runs the graph on in (B, in_size), B <= max_batch (B = 0 allowed). `in` must
 * stay unchanged until hd_nn_backward. Sets net->output and zeroes every output's gradient
 * (B rows). */
PetscErrorCode hd_nn_forward(hd_nn *net, const float *in, PetscInt B);
/* Not collective. Back-propagates the output gradients (B, size) of the last forward:
 * ACCUMULATES into net->grads and, when din is not NULL, WRITES din (B, in_size), the gradient
 * wrt the input. Output gradient buffers are consumed (overwritten). */
PetscErrorCode hd_nn_backward(hd_nn *net, float *din);
/* Not collective. Outputs of a network by index (0 .. hd_nn_output_count - 1); output 0 is
 * net->output / net->dout. A chain has one output; a flow has "z" (D) and "logdet" (1); coupled
 * autoencoders have one reconstruction each. The gradient buffer (batch, size) of every output is
 * zeroed by hd_nn_forward and consumed by hd_nn_backward. */
PetscInt       hd_nn_output_count(const hd_nn *net);
PetscInt       hd_nn_output_size(const hd_nn *net, PetscInt k);
const float   *hd_nn_output(const hd_nn *net, PetscInt k);
float         *hd_nn_output_grad(hd_nn *net, PetscInt k);
/* Not collective. The index of the output called `name`; an error naming the network when none is. */
PetscErrorCode hd_nn_output_index(const hd_nn *net, const char *name, PetscInt *k);
/* Not collective. grads = 0. */
PetscErrorCode hd_nn_zero_grad(hd_nn *net);
/* Not collective. The number of float parameters. */
PetscInt hd_nn_parameter_count(const hd_nn *net);

/* ---------------------------------------------------------------------------------------------
 * Optimisers on the flat buffers: one loop over params, grads and state of the same layout. */

typedef enum { HD_OPTIM_SGD = 0, HD_OPTIM_ADAM } hd_nn_optim_kind;

typedef struct {
  hd_nn_optim_kind kind;
  double           lr;
  double           momentum;     /* SGD; 0 = plain SGD */
  PetscBool        nesterov;     /* SGD, needs momentum > 0 */
  double           beta1, beta2; /* Adam */
  double           eps;          /* Adam */
  double           weight_decay; /* SGD: L2, added to the gradient; Adam: decoupled (AdamW) */
} hd_nn_optim_config;

typedef struct {
  hd_nn_optim_config cfg;
  PetscInt           n;
  int64_t            step; /* steps taken (Adam's t after the step) */
  float             *m;    /* (n) SGD momentum buffer or Adam first moment; NULL for plain SGD */
  float             *v;    /* (n) Adam second moment; NULL for SGD */
} hd_nn_optim;

/* Not collective. Defaults: SGD lr 0.01, momentum 0; Adam lr 1e-3, betas (0.9, 0.999), eps 1e-8 (Kingma & Ba). */
hd_nn_optim_config hd_nn_optim_sgd_defaults(void);
hd_nn_optim_config hd_nn_optim_adam_defaults(void);
/* Not collective. Checks the configuration (naming the bad value) and allocates zeroed state. */
PetscErrorCode hd_nn_optim_create(const hd_nn_optim_config *cfg, PetscInt n, hd_nn_optim *opt);
/* Not collective. One step: params (n) updated from grads (n). */
PetscErrorCode hd_nn_optim_step(hd_nn_optim *opt, float *params, const float *grads);
/* Not collective. */
PetscErrorCode hd_nn_optim_destroy(hd_nn_optim *opt);

/* ---------------------------------------------------------------------------------------------
 * Learning-rate halving on a plateau and early stopping on a validation loss. An epoch improves
 * when its loss is below best - min_delta. lr_patience epochs in a row without improvement scale
 * the learning rate by lr_factor (and restart that count); stop_patience epochs in a row without
 * improvement stop training. 0 switches either off. Seed 003: lr_patience 5, lr_factor 0.5,
 * stop_patience 50; seed 002: stop_patience 10. */
typedef struct {
  PetscInt lr_patience, stop_patience;
  double   lr_factor, min_delta;
  double   best;         /* best loss so far (+inf before the first epoch) */
  PetscInt best_epoch;   /* epoch of the best loss, -1 before the first */
  PetscInt epoch;        /* epochs seen */
  PetscInt since_best;   /* epochs since the last improvement */
  PetscInt since_lr;     /* epochs since the last improvement or learning-rate change */
  PetscInt n_reductions; /* learning-rate reductions so far */
} hd_nn_plateau;

/* Not collective. Checks the settings. */
PetscErrorCode hd_nn_plateau_init(hd_nn_plateau *p, PetscInt lr_patience, double lr_factor, PetscInt stop_patience, double min_delta);
/* Not collective. Records one epoch's validation loss. *improved: a new best (save the weights);
 * *lr_scale: the factor to apply to the learning rate now (1 when unchanged); *stop: stop training.
 * A NaN loss never improves. Any output pointer may be NULL. */
PetscErrorCode hd_nn_plateau_update(hd_nn_plateau *p, double loss, PetscBool *improved, double *lr_scale, PetscBool *stop);


/* ---------------------------------------------------------------------------------------------
 * Flow, set and coupling kernels (docs/nn.md, "Flow, set and coupling kernels"): the masked dense
 * layer of MADE, the rational-quadratic spline, feature permutations, set pooling and the DisCo
 * decorrelation term. All are plain functions, not collective, float32 in and out, double inside
 * where sums or the spline's arithmetic need it. Unlike the layer kernels above, backward kernels
 * here ACCUMULATE (+=) into every input gradient and parameter gradient they are given (a NULL
 * gradient pointer is skipped): in a graph an activation may have several consumers. */

/* MADE (Germain et al. 2015): masks from degrees. Inputs have degrees 1..D in order; hidden unit k
 * of every hidden layer has degree 1 + (k mod (D - 1)) (D > 1; all 1 when D == 1); output unit
 * (i, p), i = 0..D-1 the input dimension and p = 0..P-1 its parameter, laid out i * P + p, has
 * degree i + 1. A hidden unit sees inputs/units of degree <= its own; an output unit of degree d
 * sees hidden units of degree < d. So output i depends only on inputs < i.
 * mask (O, I) of layer l (0 = input -> first hidden, ..., n_hidden = last hidden -> output):
 * 1 or 0 as float. widths: hidden widths[0..n_hidden). Not collective. */
PetscErrorCode hd_nn_made_mask(float *mask, PetscInt D, PetscInt P, const PetscInt *widths, PetscInt n_hidden, PetscInt layer);

/* Not collective. out (B, O) = act(in (B, I) (W o M)^T + b): a dense layer whose weight is masked
 * elementwise. wm is scratch of O * I floats (W o M is formed there). */
void hd_nn_masked_dense_forward(float *out, const float *in, const float *w, const float *mask, const float *b, float *wm, PetscInt B, PetscInt In, PetscInt O, hd_nn_act act, float alpha);
/* Not collective. dout <- dout * act'(out) in place; dw += (dout^T in) o M; db += sum dout
 * (double); din += dout (W o M) (skipped when NULL). wm holds W o M from the forward. */
void hd_nn_masked_dense_backward(float *din, float *dw, float *db, float *dout, const float *out, const float *in, const float *wm, const float *mask, PetscInt B, PetscInt In, PetscInt O, hd_nn_act act, float alpha);

/* Rational-quadratic spline (Durkan et al. 2019), elementwise per dimension with K bins on
 * [-bound, bound] and identity outside. theta (B, D, 3K - 1) per dimension: K unnormalised widths,
 * K unnormalised heights, K - 1 unnormalised interior derivatives. Widths w = min_bin + (1 - K
 * min_bin) softmax(uw), heights likewise, scaled to 2 bound; interior derivatives
 * d = min_deriv + softplus(ud); the two boundary derivatives are 1 (so the tails join the
 * identity smoothly). y (B, D), logdet (B, D) = log |dy/dx| per dimension (0 in the tails). */
typedef struct {
  PetscInt K;
  double   bound, min_bin_width, min_bin_height, min_derivative;
} hd_nn_rqs_config;
/* defaults: min_bin_width = min_bin_height = min_derivative = 1e-3 */
/* The most bins a spline may have (each element's knots live on the stack). */
#define HD_NN_RQS_MAX_BINS 128
/* Not collective. A configuration the kernels accept: 1 <= K <= HD_NN_RQS_MAX_BINS, bound > 0,
 * 0 < K min_bin_width < 1, 0 < K min_bin_height < 1, min_derivative > 0; `what` names it in the
 * message. The kernels below write NaN (forward, inverse) or nothing (backward) for a
 * configuration that fails this check. */
PetscErrorCode hd_nn_rqs_check(const hd_nn_rqs_config *c, const char *what);
/* Not collective. */
void hd_nn_rqs_forward(float *y, float *logdet, const float *x, const float *theta, PetscInt B, PetscInt D, const hd_nn_rqs_config *c);
/* Not collective. logdet of the inverse = -forward's */
void hd_nn_rqs_inverse(float *x, float *logdet, const float *y, const float *theta, PetscInt B, PetscInt D, const hd_nn_rqs_config *c);
/* Not collective. dx (B, D) += dL/dx, dtheta (B, D, 3K-1) += dL/dtheta, given dy (B, D) and
 * dlogdet (B, D) (either may be NULL = zero) */
void hd_nn_rqs_backward(float *dx, float *dtheta, const float *dy, const float *dlogdet, const float *x, const float *theta, PetscInt B, PetscInt D, const hd_nn_rqs_config *c);

/* Not collective. Permutation of features: y (B, D)[:, j] = x[:, perm[j]];
 * backward dx[:, perm[j]] += dy[:, j]. */
void hd_nn_permute_forward(float *y, const float *x, const PetscInt *perm, PetscInt B, PetscInt D);
void hd_nn_permute_backward(float *dx, const float *dy, const PetscInt *perm, PetscInt B, PetscInt D);

/* Set pooling (deep sets / Particle Flow Networks): in (B, P, C) elements, size (B) the number of
 * valid elements of each event as a float holding an integer in [0, P] (padded elements, beyond
 * size, are ignored). out (B, C) = sum over the valid elements (mode SUM) or their mean (MEAN; an
 * empty set gives 0). Backward: din[b, p, :] += dout[b, :] (/ size for MEAN) for valid p.
 * A size that is not an integer in [0, P] is an error naming the event (hence PetscErrorCode).
 * Not collective. */
typedef enum { HD_NN_POOL_SUM = 0, HD_NN_POOL_MEAN } hd_nn_pool_mode;
PetscErrorCode hd_nn_set_pool_forward(float *out, const float *in, const float *size, PetscInt B, PetscInt P, PetscInt C, hd_nn_pool_mode mode);
void           hd_nn_set_pool_backward(float *din, const float *dout, const float *size, PetscInt B, PetscInt P, PetscInt C, hd_nn_pool_mode mode);

/* DisCo^2 (seed 002 eq. 2; Kasieczka & Shih 2020): the squared distance correlation of a (n) and
 * b (n) with event weights w (n, NULL = all 1; weights are normalised to mean 1 as in the
 * reference), *value = dCov^2(a, b) / sqrt(dVar^2(a) dVar^2(b)). When da/db are not NULL they
 * ACCUMULATE scale * d value / d a (and / d b). Memory O(n) (no n x n matrix), time O(n log n)
 * or O(n^2), double throughout, deterministic (the same bits for the same inputs).
 * Not collective. */
PetscErrorCode hd_nn_disco2(double *value, float *da, float *db, const float *a, const float *b, const float *w, PetscInt n, double scale);

#endif
