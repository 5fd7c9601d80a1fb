/* Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC'11). Every random draw in hadal comes from here. A stream is addressed by
 * (seed, stream id, index): the same address gives the same numbers on any rank, so results never
 * depend on how work is split. Not collective; no hidden state. */
#ifndef HADAL_RNG_H
#define HADAL_RNG_H

#include <stdint.h>

/* Stream ids: one per purpose, so different uses of one seed never share numbers. */
enum {
  HD_STREAM_GEN_LHCO      = 1,
  HD_STREAM_GEN_JETIMAGES = 2,
  HD_STREAM_GEN_DARKMACHINES = 3,
  HD_STREAM_GEN_ADC2021   = 4,
  HD_STREAM_GEN_EE_ISR    = 5,
  HD_STREAM_GEN_AA_TABULAR = 6,
  HD_STREAM_INIT          = 16, /* weight initialisation: index = (member << 16) | layer */
  HD_STREAM_SHUFFLE       = 17, /* minibatch order: index = (member << 32) | epoch (train.h) */
  HD_STREAM_SPLIT         = 18, /* validation split: index = (member << 32) | event (train.h) */
  HD_STREAM_FOLD          = 19, /* k-fold assignment: index = event */
  HD_STREAM_INJECT        = 20, /* which signal events a signal-injection run keeps: index = event */
  HD_STREAM_DEQUANT       = 21, /* dequantisation noise: index = (member << 48) | (epoch << 32) | event (train.h) */
  HD_STREAM_USER          = 64, /* first id free for methods */
  HD_STREAM_DAE_SPLIT     = 64, /* dae: test rows, index = event */
  HD_STREAM_DAE_PRESCALE  = 65, /* dae trigger mode: control-region prescale, index = event */
  HD_STREAM_RND_SPLIT     = 68, /* rnd/svdd/flow: which background events train: index = event */
  HD_STREAM_AA_TEST       = 72, /* Anomaly Awareness's test split: index = event */
  HD_STREAM_BDT_SEED      = 80, /* a tree model's XGBoost seed: index = member (include/hadal/bdt.h) */
  HD_STREAM_CWOLA_NOISE   = 81, /* cwola's -noise_features: index = event, K normals in order */
  HD_STREAM_PSEUDO        = 88  /* seeds of generated pseudo-experiments: index = experiment (1..N) */
};

/* The bare block function: out = Philox4x32-10(ctr, key). */
void hd_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* A stream of draws at one address. The counter is (block, stream, index low, index high); each
 * block gives four 32-bit words. */
typedef struct {
  uint32_t key[2];
  uint32_t ctr[4];
  uint32_t buf[4];
  int      used; /* words of buf already handed out */
} hd_rng;

void     hd_rng_init(hd_rng *rng, uint64_t seed, uint32_t stream, uint64_t index);
uint32_t hd_rng_u32(hd_rng *rng);
/* Uniform in the open interval (0, 1), 53 bits (two words). */
double hd_rng_uniform(hd_rng *rng);
/* Standard normal (Box-Muller, always two uniforms per call). */
double hd_rng_normal(hd_rng *rng);
/* Exponential with mean 1. */
double hd_rng_exponential(hd_rng *rng);
/* Gamma(shape, 1) by Marsaglia-Tsang; consumes a variable number of draws. */
double hd_rng_gamma(hd_rng *rng, double shape);
/* Uniform integer in [0, n), n > 0 (Lemire's unbiased method). */
uint32_t hd_rng_below(hd_rng *rng, uint32_t n);

#endif
