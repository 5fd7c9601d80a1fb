/* Event tables (DESIGN.md section 3), read and written with collective parallel HDF5.
 *
 * Each rank holds a contiguous block of rows: rank r of size P holds rows
 * [floor(N r / P), floor(N (r+1) / P)). A method gets its local rows plus their global offset. */
#ifndef HADAL_EVENTS_H
#define HADAL_EVENTS_H

#include <stdint.h>
#include <hadal/error.h>

#define HD_NAME_LEN 64

/* What an event file holds besides /events/label (always present). */
typedef struct {
  PetscInt  n_events;             /* N, global */
  PetscInt  n_features;           /* F; 0 when the file has no /events/features */
  char    (*feature_names)[HD_NAME_LEN];
  PetscBool has_mass, has_weight;
  PetscInt  image_h, image_w;     /* 0 when no /events/images */
  PetscInt  set_size, set_width;  /* P and C of /events/sets; 0 when absent */
} hd_events_layout;

typedef struct {
  hd_events_layout layout;
  PetscInt         offset;   /* global index of the first local row */
  PetscInt         n_local;  /* local rows */
  float           *features; /* [n_local, F] row-major, NULL when F == 0 */
  float           *mass;     /* [n_local] or NULL */
  int32_t         *label;    /* [n_local] */
  float           *weight;   /* [n_local] or NULL */
  float           *images;   /* [n_local, H, W] or NULL */
  float           *sets;     /* [n_local, P, C] or NULL */
  int32_t         *set_n;    /* [n_local] or NULL */
} hd_events;

/* The block of rows rank `rank` of `size` holds out of n. Not collective. */
void hd_events_block(PetscInt n, int rank, int size, PetscInt *offset, PetscInt *count);

/* Collective on comm. Reads the whole table, each rank its block. `need` names what the caller
 * needs ("features", "mass", "images", ...; NULL-terminated list, may be NULL); a missing needed
 * dataset is an error naming the file and the dataset. */
PetscErrorCode hd_events_read(MPI_Comm comm, const char *path, const char *const *need, hd_events *ev);
/* Not collective. */
PetscErrorCode hd_events_free(hd_events *ev);
/* Collective on comm (the one ev was read on). Methods that train hold the whole table on every
 * rank: this assembles one per-event column from the blocks. `local` holds this rank's n_local
 * rows of `width` values of `type`; `all` receives n_events x width of them in row order. */
PetscErrorCode hd_events_allgather(MPI_Comm comm, const hd_events *ev, PetscInt width, MPI_Datatype type, const void *local, void *all);

/* Writing: collective on comm throughout. The file is created under a temporary name in the same
 * folder and renamed to `path` by hd_events_writer_close(); hd_events_writer_discard() removes it. */
typedef struct hd_events_writer_s *hd_events_writer;

PetscErrorCode hd_events_writer_create(MPI_Comm comm, const char *path, const hd_events_layout *layout, hd_events_writer *w);
/* Write rows [row0, row0 + count) of this rank; any pointer may be NULL when the layout has no such
 * dataset. Every rank must call it the same number of times (count may be 0). */
PetscErrorCode hd_events_writer_write(hd_events_writer w, PetscInt row0, PetscInt count, const float *features, const float *mass, const int32_t *label, const float *weight, const float *images, const float *sets, const int32_t *set_n);
/* Root attributes (written by rank 0's values; every rank calls). */
PetscErrorCode hd_events_writer_attr_string(hd_events_writer w, const char *name, const char *value);
PetscErrorCode hd_events_writer_attr_int(hd_events_writer w, const char *name, int64_t value);
PetscErrorCode hd_events_writer_attr_double(hd_events_writer w, const char *name, double value);
/* A list of strings as one attribute (class or signal names). */
PetscErrorCode hd_events_writer_attr_strings(hd_events_writer w, const char *name, PetscInt n, const char *const *values);
PetscErrorCode hd_events_writer_close(hd_events_writer *w);
PetscErrorCode hd_events_writer_discard(hd_events_writer *w);

#endif
