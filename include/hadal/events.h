/* Event tables (DESIGN.md section 3), read and written with collective parallel HDF5.
 *
 * hd_events_read: each rank holds a contiguous block of rows: rank r of size P holds rows
 * [floor(N r / P), floor(N (r+1) / P)), with their global offset. hd_events_read_shared: the
 * whole table once per node, shared by the node's ranks (what methods that train read).
 * Row counts are PetscInt; element counts (N x F can pass 2^31) are size_t / hsize_t. */
#ifndef HADAL_EVENTS_H
#define HADAL_EVENTS_H

#include <stdint.h>
#include <hadal/error.h>
#include <hadal/shared.h>

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

/* The whole table once per node (DESIGN.md section 2): every array holds all N rows, in memory
 * shared by the ranks of a node (hadal/shared.h), so a node holds one copy whatever its rank count.
 * Writing, for a method that transforms the table (standardising in place) or derives a full table
 * of its own (hd_table_alloc1()): each rank writes only its rows [fill_offset, fill_offset +
 * fill_count), which together cover the node's copy, between two hd_table_sync() calls; nobody
 * reads those arrays in between. Work that every rank does once over all rows (moments, scores)
 * splits by [offset, offset + n_local) instead, which covers all rows once over comm. */
#define HD_TABLE_MAX_ARRAYS 16

typedef struct {
  hd_events_layout layout;
  PetscInt         offset, n_local;         /* this rank's block of rows of comm (hd_events_block):
                                             * its share when work over all rows is split by rank */
  PetscInt         fill_offset, fill_count; /* this rank's block of its node's rows: what it
                                             * writes into node-shared arrays */
  float           *features;                /* [N, F] row-major, NULL when not read */
  float           *mass;                    /* [N] or NULL */
  int32_t         *label;                   /* [N] */
  float           *weight;                  /* [N] or NULL */
  float           *images;                  /* [N, H, W] or NULL */
  float           *sets;                    /* [N, P, C] or NULL */
  int32_t         *set_n;                   /* [N] or NULL */
  hd_node          node;
  PetscInt         n_arrays;
  hd_shared        arrays[HD_TABLE_MAX_ARRAYS];
} hd_table;

/* Collective on comm. Reads the whole table into node-shared memory, with collective HDF5 reads:
 * each rank reads its block of its node's copy (fill_offset, fill_count) straight into the shared
 * array, in pieces of at most HADAL_IO_PIECE_BYTES (default 1 GiB) per call; values are checked
 * finite. `need` as for hd_events_read. Nodes: hd_node_create (HADAL_NODE_SIZE emulates several).
 * On return the arrays may be written as above. On failure hd_table_destroy() frees what was made. */
PetscErrorCode hd_events_read_shared(MPI_Comm comm, const char *path, const char *const *need, hd_table *t);

/* Not collective. The identity of every event file this process read (hd_events_read or
 * hd_events_read_shared), in the order first read: per file its shape and the SHA-256 of its
 * bytes, "N events x F features, sha256 HEX", joined by "; " ("" when none was read); `paths` the
 * files' paths, joined the same way. A file read again counts once. Hashes are computed on the
 * first call after a read (a read of the whole file) and kept. Checkpoints record it, so that
 * -resume refuses a run where any of its files (-data, -reference, ...) changed. identity needs
 * HD_EVENTS_IDENTITY_LEN characters; an error when it or paths is too short, or when more than 16
 * files were read. */
#define HD_EVENTS_IDENTITY_LEN 2048
PetscErrorCode hd_events_data_identity(char *identity, size_t len, char *paths, size_t paths_len);
/* The record of the files read is the process's, or one a caller switches to for a part of its
 * work: a run among several in one process (include/hadal/runs.h) keeps its own, so that its
 * identity names its files only, as its single run's would. Not collective. _use makes `log` the
 * record (NULL: the process's) and returns the one before (NULL: the process's). */
typedef struct hd_events_read_log_s *hd_events_read_log;
PetscErrorCode     hd_events_read_log_create(hd_events_read_log *log);
PetscErrorCode     hd_events_read_log_destroy(hd_events_read_log *log);
hd_events_read_log hd_events_read_log_use(hd_events_read_log log);
/* Collective on the comm t was read on. A node-shared array of `bytes` bytes, freed with the table;
 * hd_table_alloc1(t, n, &p) gives p n elements of *p's type. Contents undefined until filled. */
PetscErrorCode hd_table_alloc_bytes(hd_table *t, size_t bytes, void **p);
#define hd_table_alloc1(t, n, p) hd_table_alloc_bytes((t), (size_t)(n) * sizeof(**(p)), (void **)(p))
/* Collective on the comm t was read on. Every rank's writes to the table's arrays before the call
 * are seen by every rank of its node after it. */
PetscErrorCode hd_table_sync(hd_table *t);
/* Collective on the comm t was read on. Frees every array; t may be zero-initialised. */
PetscErrorCode hd_table_destroy(hd_table *t);

/* Not collective. The column of /events/features called `name`, or -1 when there is none. */
PetscInt hd_events_feature_index(const hd_events_layout *layout, const char *name);

/* Collective on comm. A root attribute of the event file holding a list of names ("classes",
 * "signals"): *n names of at most HD_NAME_LEN - 1 characters, *names PetscMalloc'ed (PetscFree);
 * *n = 0 and *names NULL when the file has no such attribute. */
PetscErrorCode hd_events_read_names(MPI_Comm comm, const char *path, const char *attr, PetscInt *n, char (**names)[HD_NAME_LEN]);

/* Bytes per HDF5 read or write call (HADAL_IO_PIECE_BYTES, default 1 GiB; below the 2 GiB that one
 * MPI-IO call can move). Not collective; an invalid value is an error naming it. */
PetscErrorCode hd_events_piece_bytes(size_t *bytes);

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
