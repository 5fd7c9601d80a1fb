/* The data record of a checkpoint covers every event file the process read, not only the last: a
 * method that reads two files (cwola_ee's -data and -reference) must be refused on -resume when
 * either one changed. Two files are read, a checkpoint written and read back; then the first file
 * is changed (same shape, one value) and read again, and the checkpoint must be refused; the same
 * for the second. A file read twice counts once. */
#include <stdlib.h>
#include <sys/stat.h>
#include <hdf5.h>
#include <hadal/checkpoint.h>
#include <hadal/events.h>
#include "check.h"
#include "io/table.h"

static const char *const need[] = {"features", NULL};

/* Collective. Reads `path` shared and frees the table at once: only the record remains. */
static PetscErrorCode read_file(MPI_Comm comm, const char *path)
{
  hd_table t;

  PetscFunctionBegin;
  PetscCall(hd_events_read_shared(comm, path, need, &t));
  PetscCall(hd_table_destroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Adds 0.25 to feature 2 of row 1 of `path` (rank 0 writes, the others wait). */
static PetscErrorCode change_one_value(MPI_Comm comm, const char *path)
{
  int rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    hid_t   fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT), did, space, mem;
    hsize_t start[2] = {1, 2}, count[2] = {1, 1}, one = 1;
    float   x;
    PetscCheck(fid >= 0, PETSC_COMM_SELF, HD_ERR_FILE_OPEN, "cannot open '%s'", path);
    did   = H5Dopen2(fid, "events/features", H5P_DEFAULT);
    space = H5Dget_space(did);
    mem   = H5Screate_simple(1, &one, NULL);
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
    PetscCheck(H5Dread(did, H5T_NATIVE_FLOAT, mem, space, H5P_DEFAULT, &x) >= 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "cannot read '%s'", path);
    x += 0.25f;
    PetscCheck(H5Dwrite(did, H5T_NATIVE_FLOAT, mem, space, H5P_DEFAULT, &x) >= 0, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "cannot write '%s'", path);
    H5Sclose(mem);
    H5Sclose(space);
    H5Dclose(did);
    H5Fclose(fid);
  }
  PetscCallMPI(MPI_Barrier(comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Reads the checkpoint at `path` back into a fresh buffer (3 parameters). */
static PetscErrorCode read_checkpoint(MPI_Comm comm, const char *path, PetscBool *found)
{
  float         params[3], best[3];
  double        losses[4];
  hd_checkpoint ck = {.seed = 7, .member = 0, .n_params = 3, .params = params, .best = best, .n_losses = 4, .losses = losses};

  PetscFunctionBegin;
  PetscCall(hd_checkpoint_read(comm, path, "test", &ck, found));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  MPI_Comm      comm;
  int           rank, size;
  char          dir[64], a[128], b[128], ckp[128], id[HD_EVENTS_IDENTITY_LEN], id2[HD_EVENTS_IDENTITY_LEN], paths[PETSC_MAX_PATH_LEN], want[512];
  float         params[3] = {1, 2, 3};
  double        losses[2] = {0.5, 0.25};
  hd_checkpoint ck        = {.seed = 7, .member = 0, .lr = 1e-3, .n_ranks = 1, .n_params = 3, .params = params, .best = params, .n_losses = 2, .losses = losses};
  PetscBool     found     = PETSC_FALSE;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(hd_error_handler_push());
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  comm = PETSC_COMM_WORLD;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  snprintf(dir, sizeof(dir), "identity_np%d", size);
  snprintf(a, sizeof(a), "%s/a.h5", dir);
  snprintf(b, sizeof(b), "%s/b.h5", dir);
  snprintf(ckp, sizeof(ckp), "%s/ck.h5", dir);
  if (rank == 0) mkdir(dir, 0755);
  PetscCallMPI(MPI_Barrier(comm));
  PetscCall(write_table(comm, a, 7, -1));
  PetscCall(write_table(comm, b, 5, -1));

  /* nothing read yet: an empty record */
  PetscCall(hd_events_data_identity(id, sizeof(id), paths, sizeof(paths)));
  CHECK(!id[0] && !paths[0], "nothing read, yet the record is '%s' ('%s')", id, paths);

  /* both files, in the order read; a file read again counts once */
  PetscCall(read_file(comm, a));
  PetscCall(read_file(comm, b));
  PetscCall(read_file(comm, a));
  PetscCall(hd_events_data_identity(id, sizeof(id), paths, sizeof(paths)));
  snprintf(want, sizeof(want), "%s; %s", a, b);
  CHECK(!strcmp(paths, want), "paths '%s', expected '%s'", paths, want);
  CHECK(!strncmp(id, "7 events x 3 features, sha256 ", 30) && strstr(id, "; 5 events x 3 features, sha256 ") && !strstr(strstr(id, "; ") + 2, "; "), "the record of a then b is '%s'", id);
  printf("record: %s\n", id);

  /* a checkpoint made after both reads resumes on the same files; b is read last, so that the
   * record of the last file alone would miss the change of a below */
  PetscCall(read_file(comm, b));
  PetscCall(hd_checkpoint_write(comm, ckp, "test", &ck));
  PetscCall(read_checkpoint(comm, ckp, &found));
  check(found, "the checkpoint of both files was not found");

  /* the first file changed: refused, though the last file read is unchanged */
  PetscCall(change_one_value(comm, a));
  PetscCall(read_file(comm, a));
  PetscCall(read_file(comm, b));
  PetscCall(hd_events_data_identity(id2, sizeof(id2), paths, sizeof(paths)));
  CHECK(strcmp(id, id2) != 0, "changing the first file left the record as it was: '%s'", id2);
  expect_error(read_checkpoint(comm, ckp, &found), "was made on other data", "resume after the first of two files changed");

  /* a new checkpoint on the changed first file; then the second file changes */
  snprintf(ckp, sizeof(ckp), "%s/ck2.h5", dir);
  PetscCall(hd_checkpoint_write(comm, ckp, "test", &ck));
  PetscCall(read_checkpoint(comm, ckp, &found));
  check(found, "the second checkpoint was not found");
  PetscCall(change_one_value(comm, b));
  PetscCall(read_file(comm, b));
  expect_error(read_checkpoint(comm, ckp, &found), "was made on other data", "resume after the second of two files changed");

  if (rank == 0) printf("%s: %d failures\n", argv[0], failures);
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
