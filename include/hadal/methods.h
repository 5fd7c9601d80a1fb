/* The anomaly-detection methods, one file each under src/methods. A method reads its options
 * (include/hadal/options.h), reads its data through io, trains with nn + par, evaluates with stats
 * and writes DIR/results.h5, DIR/summary.json and its model files. Collective on world. */
#ifndef HADAL_METHODS_H
#define HADAL_METHODS_H

#include <hadal/error.h>

/* Plain autoencoder: reconstruction error as the anomaly score (the baseline of seed 001). */
PetscErrorCode hd_method_ae(MPI_Comm world, const char *usage, PetscBool *help_only);

#endif
