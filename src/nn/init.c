/* Weight initialisation (docs/nn.md, "Initialisation"). Uniform schemes are the default: one
 * bounded draw per weight, and the Keras default (Glorot-uniform) that the seed papers' networks
 * were trained with; He scaling replaces it before rectifiers, whose variance it preserves. */
#include <math.h>
#include <hadal/nn.h>
#include <hadal/rng.h>

static PetscBool act_is_rectifier(hd_nn_act act) { return act == HD_ACT_RELU || act == HD_ACT_LEAKY_RELU || act == HD_ACT_ELU ? PETSC_TRUE : PETSC_FALSE; }

PetscErrorCode hd_nn_init(hd_nn *net, uint64_t seed, uint64_t member, hd_nn_init_scheme scheme)
{
  PetscFunctionBegin;
  PetscCheck(scheme >= HD_INIT_AUTO && scheme <= HD_INIT_GLOROT_NORMAL, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s': unknown initialisation scheme %d", net->spec, (int)scheme);
  PetscCheck(member < ((uint64_t)1 << 48), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s': member %llu does not fit the 48 bits of the initialisation stream index", net->spec, (unsigned long long)member);
  PetscCheck(net->n_nodes <= 0xFFFF, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "network '%s': %" PetscInt_FMT " nodes do not fit the 16 bits of the initialisation stream index", net->spec, net->n_nodes);
  for (PetscInt l = 0; l < net->n_nodes; l++) {
    const hd_nn_node   *L = &net->nodes[l];
    const hd_nn_tensor *W, *Bt;
    hd_nn_init_scheme   s = scheme;
    double              fan_in, fan_out, a;
    float              *w;
    hd_rng              r;

    if (L->weight < 0) continue;
    W  = &net->tensors[L->weight];
    Bt = L->bias >= 0 ? &net->tensors[L->bias] : NULL;
    /* fans as PyTorch and Keras count them: dense (O, I) -> I, O; conv (O, C, KH, KW) -> C KH KW,
     * O KH KW; a masked dense layer counts its whole (O, I) like a dense one (MADE, nflows) */
    fan_in  = (double)(W->size / W->shape[0]);
    fan_out = (double)(W->size / W->shape[1]);
    if (s == HD_INIT_AUTO) s = act_is_rectifier(L->act) ? HD_INIT_HE_UNIFORM : HD_INIT_GLOROT_UNIFORM;
    switch (s) {
    case HD_INIT_HE_UNIFORM:
    case HD_INIT_HE_NORMAL:
      a = 2.0 / fan_in; /* variance */
      break;
    default:
      a = 2.0 / (fan_in + fan_out);
      break;
    }
    hd_rng_init(&r, seed, HD_STREAM_INIT, (member << 16) | (uint64_t)l);
    w = net->params + W->offset;
    if (s == HD_INIT_HE_UNIFORM || s == HD_INIT_GLOROT_UNIFORM) {
      double bound = sqrt(3.0 * a); /* U(-b, b) has variance b^2 / 3 */

      for (PetscInt i = 0; i < W->size; i++) w[i] = (float)(bound * (2.0 * hd_rng_uniform(&r) - 1.0));
    } else {
      double sd = sqrt(a);

      for (PetscInt i = 0; i < W->size; i++) w[i] = (float)(sd * hd_rng_normal(&r));
    }
    if (Bt) PetscCall(PetscArrayzero(net->params + Bt->offset, (size_t)Bt->size));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
