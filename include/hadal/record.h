/* Small result files that one rank writes or reads whole with serial HDF5: named scalars (root
 * attributes) and 1-d arrays (root datasets). CWoLa's per-window files use them; any method that
 * writes a per-unit result for a later merge can. Not collective: the caller decides which rank
 * touches the file (hd_h5_write_by_rank0 for a write that every rank agrees on). */
#ifndef HADAL_RECORD_H
#define HADAL_RECORD_H

#include <stdint.h>
#include <hadal/h5.h>

typedef struct {
  hid_t fid;
  char  path[PETSC_MAX_PATH_LEN]; /* named in errors */
} hd_record;

/* Write into the file fid that the caller opened and closes (an hd_h5_serial_writer's), named
 * `path` in errors; or open `path` read-only (an unreadable or corrupt file is an error naming it)
 * and close it with hd_record_close. */
void           hd_record_attach(hid_t fid, const char *path, hd_record *r);
PetscErrorCode hd_record_open(const char *path, hd_record *r);
PetscErrorCode hd_record_close(hd_record *r);

PetscErrorCode hd_record_put_int(hd_record *r, const char *name, int64_t value);
PetscErrorCode hd_record_put_double(hd_record *r, const char *name, double value);
PetscErrorCode hd_record_put_string(hd_record *r, const char *name, const char *value);
PetscErrorCode hd_record_put_doubles(hd_record *r, const char *name, PetscInt n, const double *values);
PetscErrorCode hd_record_put_floats(hd_record *r, const char *name, PetscInt n, const float *values);
PetscErrorCode hd_record_put_int64s(hd_record *r, const char *name, PetscInt n, const int64_t *values);

/* Reads: a missing name, or an array that does not hold exactly n values, is an error naming the
 * file and the name. */
PetscErrorCode hd_record_get_int(hd_record *r, const char *name, int64_t *value);
PetscErrorCode hd_record_get_double(hd_record *r, const char *name, double *value);
/* *value is PetscMalloc'ed (at most max_len - 1 characters); "" when the attribute is absent. */
PetscErrorCode hd_record_get_string(hd_record *r, const char *name, size_t max_len, char **value);
/* Whether the file has the named scalar (an attribute added after older files were written). */
PetscBool      hd_record_has(hd_record *r, const char *name);
PetscErrorCode hd_record_get_doubles(hd_record *r, const char *name, PetscInt n, double *values);
PetscErrorCode hd_record_get_floats(hd_record *r, const char *name, PetscInt n, float *values);
PetscErrorCode hd_record_get_int64s(hd_record *r, const char *name, PetscInt n, int64_t *values);

#endif
