/* One finished ensemble member on disk (include/hadal/ensemble.h, hd_ensemble_config.store_dir):
 * what the member added to the ensemble's int64 sums, its per-event column, its metrics and its
 * text, in a small HDF5 file `DIR/member_NNNNNN.h5` written by rank 0 of the member's group under
 * a temporary name and renamed. Layout in docs/parallel.md ("Finished members on disk"). */
#ifndef HADAL_ENSEMBLE_STORE_H
#define HADAL_ENSEMBLE_STORE_H

#include <stdint.h>
#include <hadal/error.h>

#define HD_ENSEMBLE_STORE_VERSION 1

typedef struct {
  PetscInt       member, n_members;
  PetscInt       n_sums;   /* size of the ensemble's accumulator */
  PetscInt       n_nonzero; /* entries the member changed: sum_index[k] gets sum_value[k] added */
  const int64_t *sum_index, *sum_value; /* (n_nonzero) ascending indices, their values */
  PetscInt       n_events;  /* rows of the column (0: none) */
  const float   *column;    /* (n_events) */
  PetscInt       n_metrics;
  const double  *metrics;   /* (n_metrics) */
  PetscInt       text_len;
  const char    *text;      /* (text_len) */
  const char    *identity;  /* what the member was computed from: the options and the data */
} hd_ensemble_record;

/* Not collective: the path of member `member`'s file in dir (len bytes). */
void hd_ensemble_store_path(const char *dir, PetscInt member, char *path, size_t len);
/* Not collective: the path of member `member`'s trainer checkpoint in dir. */
void hd_ensemble_store_checkpoint_path(const char *dir, PetscInt member, char *path, size_t len);

/* Collective on comm (rank 0 writes; every rank returns the same result). Writes rec to `path`
 * atomically. Values only needed on rank 0. */
PetscErrorCode hd_ensemble_store_write(MPI_Comm comm, const char *path, const hd_ensemble_record *rec);

/* Not collective. Whether the member file `path` exists and is of this run: its member, sizes
 * and identity those of `want`. When not, why says what differs ("" when there is no file). */
PetscErrorCode hd_ensemble_store_match(const char *path, const hd_ensemble_record *want, PetscBool *match, char *why, size_t len);
/* Not collective. Reads the member file `path` and checks it against `want` (member, sizes,
 * identity: an error names the file and the difference). Adds the stored sums into sums
 * (n_sums), and fills column (n_events), metrics (n_metrics) and text (text_len). */
PetscErrorCode hd_ensemble_store_read(const char *path, const hd_ensemble_record *want, int64_t *sums, float *column, double *metrics, char *text);

#endif
