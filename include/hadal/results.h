/* Run outputs: DIR/results.h5 (per-event scores aligned with the input rows, curves, per-member
 * metrics, the run's options) and DIR/summary.json (the headline numbers). Both are written under
 * temporary names and renamed when complete. */
#ifndef HADAL_RESULTS_H
#define HADAL_RESULTS_H

#include <stdint.h>
#include <sys/types.h>
#include <hadal/h5.h>
#include <hadal/model.h>

/* Collective on comm. Creates the folder (and parents) when missing, naming it on failure. */
PetscErrorCode hd_results_mkdir(MPI_Comm comm, const char *dir);

/* An output folder held by one run: checked and created before any work, locked against a second
 * run writing into it at the same time, and removed again when the run fails before writing into
 * it. */
typedef struct {
  MPI_Comm comm;
  int      fd;                                 /* rank 0: the locked file, -1 when none */
  char     dir[PETSC_MAX_PATH_LEN];
  char     lock[PETSC_MAX_PATH_LEN + 32];
  char     created[PETSC_MAX_PATH_LEN];        /* the topmost folder this run created, "" when none */
  PetscInt n_old;                              /* rank 0: outputs of an earlier run found at the start */
  char   (*old)[PETSC_MAX_PATH_LEN];
  ino_t   *old_inode;
} hd_out_claim;

/* Not collective, no MPI or PETSc needed. Takes an exclusive flock on the file `path` (created when
 * missing) without waiting and writes the holder into it ("host H, process P, since DATE"): 0 and
 * *fd the locked file; EWOULDBLOCK when another process holds it (holder: its note, "" when
 * unreadable); another errno when the file cannot be created or locked (e.g. ENOLCK on a file
 * system without flock). A lock counts only on the file the path still names, so that a holder's
 * release racing with two starts leaves one holder. hd_out_lock_release unlinks and unlocks. */
int  hd_out_lock_acquire(const char *path, int *fd, char *holder, size_t holder_len);
void hd_out_lock_release(const char *path, int *fd);
/* Collective on comm. `dir` must be a folder or creatable as one (an existing regular file, a
 * folder that cannot be created, are errors naming -out). Creates it (and its parents), then takes
 * the lock DIR/.hadal-lock (`part` >= 0: DIR/.hadal-lock-part-PART, so that the parts of one scan
 * run side by side; a part run keeps the other parts' files), which names its holder (host, process, start time); a folder another run
 * holds is an error naming that run. The lock is released when the process ends, however it ends. */
PetscErrorCode hd_out_claim_take(MPI_Comm comm, const char *dir, PetscInt part, PetscBool replace_old, hd_out_claim *c);
/* Not collective (rank 0 acts): release the lock; after a failure (`failed`), also remove the
 * folders this run created when they hold nothing (empty subfolders included). After a success of
 * a whole run, the outputs of an earlier run that this one did not replace (checkpoints, member
 * models and window files of a bigger earlier run) are removed: a folder holds one run's files.
 * Only when the claim was taken with replace_old (not for a resumed run, whose earlier outputs are
 * its own). A failed or interrupted run leaves an earlier run's outputs as they were. */
void hd_out_claim_release(hd_out_claim *c, PetscBool failed);

typedef struct {
  hd_h5_output out;
} hd_results;

/* Collective. Starts DIR/results.h5, with `method` as the root attribute "method" and the run's
 * options as "options": `options` when not NULL (a merge passes the scan's), otherwise everything
 * in the options database. */
PetscErrorCode hd_results_create(MPI_Comm comm, const char *dir, const char *method, const char *options, hd_results *res);
/* Collective. A per-event dataset `name` ("/scores/ae") of n_global floats: this rank writes rows
 * [offset, offset + n_local) from `local`. Parent groups are created as needed. */
PetscErrorCode hd_results_write_rows(hd_results *res, const char *name, PetscInt n_global, PetscInt offset, PetscInt n_local, const float *local);
/* Collective. As hd_results_write_rows, int8 values (flags such as /scores/is_test). */
PetscErrorCode hd_results_write_rows_int8(hd_results *res, const char *name, PetscInt n_global, PetscInt offset, PetscInt n_local, const int8_t *local);
/* Collective. A per-event table `name` of n_global rows of `width` floats (float32 [n_global,
 * width]): this rank writes rows [offset, offset + n_local) from `local` (n_local x width). */
PetscErrorCode hd_results_write_table(hd_results *res, const char *name, PetscInt n_global, PetscInt width, PetscInt offset, PetscInt n_local, const float *local);
/* Collective. A small dataset (n values, in double) that every rank holds identically; rank 0's
 * values are written. */
PetscErrorCode hd_results_write_array(hd_results *res, const char *name, PetscInt n, const double *values);
PetscErrorCode hd_results_attr_double(hd_results *res, const char *name, double value);
PetscErrorCode hd_results_close(hd_results *res);
PetscErrorCode hd_results_discard(hd_results *res);

/* Collective on comm. Whether `path` exists, as rank 0 sees it (every rank gets the same answer). */
PetscErrorCode hd_results_exists(MPI_Comm comm, const char *path, PetscBool *found);
/* Collective on comm. Whether paths a and b name one file (also through links), as rank 0 sees it. */
PetscErrorCode hd_results_same_file(MPI_Comm comm, const char *a, const char *b, PetscBool *same);
/* Collective on comm. The `options` attribute of DIR/results.h5 (what the run was computed from),
 * read by rank 0 into text (len bytes) on every rank; *found false when the file is missing or
 * unreadable. */
PetscErrorCode hd_results_read_options(MPI_Comm comm, const char *dir, char *text, size_t len, PetscBool *found);

/* Collective on comm. Rank 0 writes the model file `path` (include/hadal/model.h); a failure is
 * raised on every rank, naming the file. */
PetscErrorCode hd_results_write_model(MPI_Comm comm, const char *path, const hd_nn *net, const hd_model_meta *meta);

/* summary.json: a flat JSON object built in order. Not collective: only the rank that writes needs
 * one, but every rank may build it. */
typedef struct {
  char  *text;
  size_t len, cap;
  int    depth;       /* nesting of open objects and arrays */
  int    need_comma;  /* a value was written at the current depth */
} hd_summary;

PetscErrorCode hd_summary_begin(hd_summary *s);
PetscErrorCode hd_summary_string(hd_summary *s, const char *key, const char *value);
PetscErrorCode hd_summary_int(hd_summary *s, const char *key, int64_t value);
/* NaN and infinities are written as null (JSON has no such numbers). */
PetscErrorCode hd_summary_double(hd_summary *s, const char *key, double value);
/* Nested objects and arrays: key NULL inside arrays. */
PetscErrorCode hd_summary_open(hd_summary *s, const char *key, char bracket);
PetscErrorCode hd_summary_close(hd_summary *s, char bracket);
/* Collective on comm: rank 0 writes DIR/summary.json (temporary name, then rename). Frees s. */
PetscErrorCode hd_summary_write(MPI_Comm comm, const char *dir, hd_summary *s);
/* As hd_summary_write, into DIR/NAME (a sweep's sweep.json). */
PetscErrorCode hd_summary_write_as(MPI_Comm comm, const char *dir, const char *name, hd_summary *s);
/* Collective on comm: rank 0 writes len bytes of text (used on rank 0 only) to DIR/NAME under a
 * temporary name in DIR and renames it over NAME, so a reader never sees a half-written file. */
PetscErrorCode hd_file_replace(MPI_Comm comm, const char *dir, const char *name, const char *text, size_t len);

#endif
