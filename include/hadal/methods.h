/* The anomaly-detection methods, one file each under src/methods. A method reads its options
 * (include/hadal/options.h), reads its data through io, trains with nn + par, evaluates with stats
 * and writes DIR/results.h5, DIR/summary.json and its model files. Collective on world. */
#ifndef HADAL_METHODS_H
#define HADAL_METHODS_H

#include <hadal/error.h>

/* Plain autoencoder: reconstruction error as the anomaly score (the baseline of seed 001). */
PetscErrorCode hd_method_ae(MPI_Comm world, const char *usage, PetscBool *help_only);

/* CWoLa hunting: a scan of mass windows, classifiers of SR against SB, bump hunts after selection
 * (seeds 001 and 004). */
PetscErrorCode hd_method_cwola(MPI_Comm world, const char *usage, PetscBool *help_only);
/* `hadal merge`: the report of a CWoLa scan run one window per task (-window INDEX). */
PetscErrorCode hd_cwola_merge(MPI_Comm world, const char *usage, PetscBool *help_only);

#endif
