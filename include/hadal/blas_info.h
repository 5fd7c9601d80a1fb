/* Which BLAS computes hadal's products. OpenBLAS picks a kernel per CPU (or by OPENBLAS_CORETYPE),
 * and different kernels sum in different orders: the same data and seed then train different
 * networks. Every output that holds trained results records the library, its kernel and its
 * thread count (results.h5, summary.json, checkpoints); -resume warns when the kernel differs. */
#ifndef HADAL_BLAS_INFO_H
#define HADAL_BLAS_INFO_H

typedef struct {
  char config[256]; /* openblas_get_config(): library, version and build options */
  char kernel[64];  /* openblas_get_corename(): the kernel in use on this CPU */
  int  threads;     /* BLAS threads per rank */
} hd_blas_info;

/* Not collective. The BLAS of this process. */
void hd_blas_info_get(hd_blas_info *b);

#endif
