/* Private to src/nn: float vectors through GCC/Clang vector extensions, for the element-wise loops
 * BLAS does not cover. Include once per width in a translation unit, with HD_VW (floats per
 * vector: 4 for SSE2/NEON, 8 for AVX2, 16 for AVX-512) and HD_VSFX (the suffix of the names it
 * defines: hd_vf_SFX, vload_SFX, ...) defined; VF, VI, VD and FN stay defined for the includer
 * until it #undefs them (src/nn/act_vec.h does). Branch-free selects keep data-dependent branches
 * out of the hot loops. Callers keep a scalar path for compilers without these extensions. */
#include <stdint.h>
#include <string.h>

#define HD_CAT_(a, b) a##b
#define HD_CAT(a, b)  HD_CAT_(a, b)
#define VF            HD_CAT(hd_vf_, HD_VSFX)
#define VI            HD_CAT(hd_vi_, HD_VSFX)
#define VD            HD_CAT(hd_vd_, HD_VSFX)
#define FN(name)      HD_CAT(name, HD_VSFX)

typedef float   VF __attribute__((vector_size(4 * HD_VW)));
typedef int32_t VI __attribute__((vector_size(4 * HD_VW)));
typedef double  VD __attribute__((vector_size(8 * HD_VW)));

static inline VF FN(vload_)(const float *p)
{
  VF v;
  memcpy(&v, p, sizeof(v));
  return v;
}
static inline VI FN(vload_i_)(const int32_t *p)
{
  VI v;
  memcpy(&v, p, sizeof(v));
  return v;
}
static inline void FN(vstore_)(float *p, VF v) { memcpy(p, &v, sizeof(v)); }
static inline void FN(vstore_i_)(int32_t *p, VI v) { memcpy(p, &v, sizeof(v)); }
/* m ? a : b lane by lane, for a comparison mask m (all ones or all zeros per lane) */
static inline VF FN(vselect_)(VI m, VF a, VF b) { return (VF)((m & (VI)a) | (~m & (VI)b)); }
static inline VI FN(vselect_i_)(VI m, VI a, VI b) { return (m & a) | (~m & b); }
