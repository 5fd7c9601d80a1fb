/* The BLAS in use (see include/hadal/blas_info.h). */
#include <stdio.h>
#include <cblas.h>
#include <hadal/blas_info.h>

void hd_blas_info_get(hd_blas_info *b)
{
  const char *config = openblas_get_config(), *kernel = openblas_get_corename();

  snprintf(b->config, sizeof(b->config), "%s", config ? config : "unknown");
  snprintf(b->kernel, sizeof(b->kernel), "%s", kernel ? kernel : "unknown");
  b->threads = openblas_get_num_threads();
}
