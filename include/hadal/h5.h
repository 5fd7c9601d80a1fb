/* Small helpers over parallel HDF5 shared by every file hadal reads or writes: opening with clear
 * errors, output under a temporary name renamed when complete, attributes. */
#ifndef HADAL_H5_H
#define HADAL_H5_H

#include <stdint.h>
#include <hdf5.h>
#include <hadal/error.h>

/* Collective. Open an existing file read-only with the MPI-IO driver; a missing, unreadable,
 * truncated or corrupt file is an error naming it. */
PetscErrorCode hd_h5_open(MPI_Comm comm, const char *path, hid_t *fid);

/* An output file being written: created under a temporary name in the destination's folder. */
typedef struct {
  MPI_Comm comm;
  hid_t    fid;
  char     path[PETSC_MAX_PATH_LEN];
  char     tmp[PETSC_MAX_PATH_LEN];
  char     reserve[PETSC_MAX_PATH_LEN + 16]; /* rank 0's spare space for closing on a full disk */
} hd_h5_output;

/* Collective. Before any work: `path` (the value of `option`, e.g. "-o") can become an output file:
 * it is no folder, and its folder exists and is writable. An error names the option and the path. */
PetscErrorCode hd_h5_output_check(MPI_Comm comm, const char *option, const char *path);
/* Collective. Create `path`'s temporary twin (truncating a stale one). */
PetscErrorCode hd_h5_output_create(MPI_Comm comm, const char *path, hd_h5_output *out);
/* Collective. Close the file and rename it to its final name. */
PetscErrorCode hd_h5_output_commit(hd_h5_output *out);
/* Collective. Close (if open) and remove the temporary file; safe to call after a failure, on every
 * rank once the failure is agreed (hd_error_agree), a full disk included. */
PetscErrorCode hd_h5_output_discard(hd_h5_output *out);
/* Not collective for a serial file (collective for one of the MPI-IO driver). After a failed write
 * of the file `tmp` that fid holds open: empty the file (it is about to be removed) so that HDF5's
 * last flush cannot fail, then close every object of it and the file itself. */
PetscErrorCode hd_h5_close_failed(hid_t fid, const char *tmp);

/* Not collective. Space held in reserve beside an output `tmp` while it is written: a file
 * `tmp.reserve` of HD_H5_RESERVE_BYTES, allocated (not written) where the file system allows. On a
 * full disk, removing it (hd_h5_reserve_release) lets HDF5's last metadata flush succeed, so the
 * failed output closes cleanly (a close that fails leaves HDF5 holding a half-closed file, a hang
 * at several ranks and a crash at exit). Best effort: `reserve` is "" when no space was taken. */
#define HD_H5_RESERVE_BYTES (256 * 1024)
void hd_h5_reserve_take(const char *tmp, char *reserve, size_t len);
/* Not collective (the rank that holds an output folder's lock). Run-long reserves: `name`.reserve,
 * taken when an output folder is claimed and dropped when it is released. A failed output's close
 * (hd_h5_output_discard, hd_h5_close_failed) releases them all first, so its last metadata flush
 * has room even where the disk filled before the output's own reserve could be taken. */
void hd_h5_run_reserve_take(const char *name);
void hd_h5_run_reserve_drop(const char *name);
void hd_h5_run_reserves_release(void);
void hd_h5_reserve_release(char *reserve);

/* Collective on the file's communicator (HDF5 metadata operations): every rank passes the same
 * values. `obj` is a file, group or dataset. */
PetscErrorCode hd_h5_attr_write_string(hid_t obj, const char *name, const char *value);
PetscErrorCode hd_h5_attr_write_int(hid_t obj, const char *name, int64_t value);
PetscErrorCode hd_h5_attr_write_double(hid_t obj, const char *name, double value);
PetscErrorCode hd_h5_attr_write_strings(hid_t obj, const char *name, PetscInt n, const char *const *values);

/* Not collective on its own (reads). Read a string-array attribute (fixed or variable length,
 * scalar or 1-d) into n strings of at most len-1 characters each; *values is PetscMalloc'ed
 * [n][len]. *n = 0 when the attribute is absent. */
PetscErrorCode hd_h5_attr_read_strings(hid_t obj, const char *name, size_t len, PetscInt *n, char **values);

/* Collective on the file's communicator when the file was opened with hd_h5_open (its metadata
 * reads are collective): every rank calls them. The names of obj's attributes in name order,
 * *names PetscMalloc'ed [n][len] (names truncated to len - 1 characters). */
PetscErrorCode hd_h5_attr_names(hid_t obj, size_t len, PetscInt *n, char **names);
/* As above. One attribute's value as text: strings joined by ", ", a scalar integer or float,
 * otherwise "(N values)"; truncated to len - 1 characters. */
PetscErrorCode hd_h5_attr_text(hid_t obj, const char *name, char *text, size_t len);

/* Whole small 1-d datasets and scalar attributes of files one rank writes or reads on its own
 * (checkpoints, per-window results): not collective. `where` names the file in errors; a read
 * checks that the dataset holds exactly n values. */
PetscErrorCode hd_h5_write_1d(hid_t loc, const char *where, const char *name, hid_t mem_type, hid_t file_type, PetscInt n, const void *data);
PetscErrorCode hd_h5_read_1d(hid_t loc, const char *where, const char *name, hid_t mem_type, PetscInt n, void *data);
PetscErrorCode hd_h5_attr_read_int(hid_t loc, const char *where, const char *name, int64_t *value);
PetscErrorCode hd_h5_attr_read_double(hid_t loc, const char *where, const char *name, double *value);

/* A small file that rank 0 of comm writes alone with serial HDF5 (checkpoints, per-window results,
 * ensemble members): write(fid, path, ctx) fills the open file fid (`path` names it in errors),
 * which is built in memory and put on disk as the temporary twin `path.tmp-PID`, renamed to `path`
 * when complete and removed when anything failed. The writer leaves fid open. Collective: every
 * rank returns the same result, a failure naming `what` and `path`. */
typedef PetscErrorCode (*hd_h5_serial_writer)(hid_t fid, const char *path, const void *ctx);
PetscErrorCode hd_h5_write_by_rank0(MPI_Comm comm, const char *path, const char *what, hd_h5_serial_writer write, const void *ctx);

/* A transfer property list for collective I/O (caller closes it). */
PetscErrorCode hd_h5_collective_dxpl(hid_t *dxpl);

#endif
