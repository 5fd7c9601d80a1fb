/* Private to src/nn: 4-float vectors through GCC/Clang vector extensions (SSE2 on x86-64 and NEON
 * on AArch64 without any -march flag), for the element-wise loops BLAS does not cover. Branch-free
 * selects keep data-dependent branches out of the hot loops. Without these extensions
 * (HD_VEC4 undefined) the callers use plain scalar loops. */
#ifndef HADAL_NN_VEC4_H
#define HADAL_NN_VEC4_H

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
  #define HD_VEC4 1

typedef float   hd_v4f __attribute__((vector_size(16)));
typedef int32_t hd_v4i __attribute__((vector_size(16)));

static inline hd_v4f hd_v4_load(const float *p)
{
  hd_v4f v;
  memcpy(&v, p, sizeof(v));
  return v;
}
static inline void hd_v4_store(float *p, hd_v4f v) { memcpy(p, &v, sizeof(v)); }
static inline void hd_v4_store_i(int32_t *p, hd_v4i v) { memcpy(p, &v, sizeof(v)); }
/* m ? a : b lane by lane, for a comparison mask m (all ones or all zeros per lane) */
static inline hd_v4f hd_v4_select(hd_v4i m, hd_v4f a, hd_v4f b) { return (hd_v4f)((m & (hd_v4i)a) | (~m & (hd_v4i)b)); }
static inline hd_v4i hd_v4_select_i(hd_v4i m, hd_v4i a, hd_v4i b) { return (m & a) | (~m & b); }
#endif

#endif
