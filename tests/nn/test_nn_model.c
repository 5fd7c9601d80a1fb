/* Model files: write, read back (same spec, same parameters bit for bit, same outputs), extra
 * arrays, and the failures a user can cause: a missing file, a file that is not a model, a folder
 * that does not exist (and no half-written file left behind). Argument: a scratch folder. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <hadal/model.h>
#include <hadal/rng.h>
#include "check.h"

static void roundtrip(const char *dir, const char *spec, PetscInt C, PetscInt H, PetscInt W)
{
  PetscInt       shape[3] = {C, H, W}, B = 3;
  hd_nn         *net, *back = NULL;
  char           path[PETSC_MAX_PATH_LEN];
  float          mean[3] = {1.5f, -2.0f, 0.25f}, *x, *data = NULL;
  hd_model_array arr     = {"input_mean", mean, 3};
  hd_model_meta  meta    = {"test model", PETSC_TRUE, 99, 4, 1, &arr};
  PetscInt       n;
  PetscBool      found;
  hd_rng         r;

  snprintf(path, sizeof(path), "%s/model_%d.h5", dir, (int)C);
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_create(spec, shape, B, &net));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_init(net, 99, 4, HD_INIT_AUTO));
  hd_rng_init(&r, 1, HD_STREAM_USER, 0);
  for (PetscInt i = 0; i < net->n_params; i++) net->params[i] += (float)(0.01 * hd_rng_normal(&r)); /* non-zero biases */
  PetscCallAbort(PETSC_COMM_SELF, hd_model_write(path, net, &meta));
  PetscCallAbort(PETSC_COMM_SELF, hd_model_read(path, 7, &back));
  CHECK(!strcmp(back->spec, net->spec), "%s: read spec '%s'", spec, back->spec);
  CHECK(back->n_params == net->n_params && !memcmp(back->params, net->params, (size_t)net->n_params * sizeof(float)), "%s: parameters differ after the round trip", spec);
  CHECK(back->max_batch == 7 && back->in_size == net->in_size && back->out_size == net->out_size, "%s: shapes differ after the round trip", spec);
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1((size_t)(B * net->in_size), &x));
  for (PetscInt i = 0; i < B * net->in_size; i++) x[i] = (float)hd_rng_normal(&r);
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_forward(net, x, B));
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_forward(back, x, B));
  CHECK(!memcmp(net->output, back->output, (size_t)(B * net->out_size) * sizeof(float)), "%s: outputs differ after the round trip", spec);
  PetscCallAbort(PETSC_COMM_SELF, hd_model_read_array(path, "input_mean", &data, &n, &found));
  CHECK(found && n == 3 && data && !memcmp(data, mean, sizeof(mean)), "%s: extra array not read back", spec);
  PetscFree(data);
  PetscCallAbort(PETSC_COMM_SELF, hd_model_read_array(path, "no_such_array", &data, &n, &found));
  CHECK(!found && !data && n == 0, "%s: a missing array was reported found", spec);
  PetscFree(x);
  hd_nn_destroy(&net);
  hd_nn_destroy(&back);
}

static PetscErrorCode quiet_read(const char *path, hd_nn **net)
{
  PetscErrorCode ierr;

  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = hd_model_read(path, 1, net);
  PetscCall(PetscPopErrorHandler());
  return ierr;
}

static void failures_reported(const char *dir)
{
  char           path[PETSC_MAX_PATH_LEN];
  hd_nn         *net = NULL;
  PetscErrorCode ierr;
  PetscInt       shape[3] = {4, 1, 1};
  hid_t          f;

  snprintf(path, sizeof(path), "%s/does_not_exist.h5", dir);
  ierr = quiet_read(path, &net);
  CHECK(ierr == HD_ERR_FILE_OPEN && !net, "a missing model file gave error %d", (int)ierr);

  /* an HDF5 file that is not a model */
  snprintf(path, sizeof(path), "%s/not_a_model.h5", dir);
  f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(f);
  ierr = quiet_read(path, &net);
  CHECK(ierr == HD_ERR_FILE_READ && !net, "an HDF5 file without a model gave error %d", (int)ierr);

  /* a plain text file */
  snprintf(path, sizeof(path), "%s/text.h5", dir);
  {
    FILE *t = fopen(path, "w");
    if (t) {
      fputs("not hdf5\n", t);
      fclose(t);
    }
  }
  ierr = quiet_read(path, &net);
  CHECK(ierr != 0 && !net, "a text file read as a model did not fail");

  /* a folder that does not exist: an error, and nothing left at the path */
  PetscCallAbort(PETSC_COMM_SELF, hd_nn_create("dense 3", shape, 1, &net));
  snprintf(path, sizeof(path), "%s/no/such/folder/model.h5", dir);
  PetscCallAbort(PETSC_COMM_SELF, PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = hd_model_write(path, net, NULL);
  PetscCallAbort(PETSC_COMM_SELF, PetscPopErrorHandler());
  CHECK(ierr != 0 && access(path, F_OK) != 0, "writing into a missing folder: error %d", (int)ierr);
  /* a bad extra-array name fails the write and leaves no file */
  {
    float          v = 1.0f;
    hd_model_array a = {"bad/name", &v, 1};
    hd_model_meta  m = {NULL, PETSC_FALSE, 0, 0, 1, &a};

    snprintf(path, sizeof(path), "%s/bad_array.h5", dir);
    PetscCallAbort(PETSC_COMM_SELF, PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = hd_model_write(path, net, &m);
    PetscCallAbort(PETSC_COMM_SELF, PetscPopErrorHandler());
    CHECK(ierr == HD_ERR_USER_INPUT && access(path, F_OK) != 0, "a bad array name: error %d, file %s", (int)ierr, access(path, F_OK) ? "absent" : "left behind");
  }
  hd_nn_destroy(&net);
}

int main(int argc, char **argv)
{
  const char *dir;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* expected failures below: no HDF5 error stacks */
  dir = argc > 1 ? argv[1] : ".";
  {
    /* mkdir -p */
    char p[PETSC_MAX_PATH_LEN];

    snprintf(p, sizeof(p), "%s", dir);
    for (char *s = p + 1;; s++) {
      if (*s == '/' || *s == '\0') {
        char c = *s;
        *s     = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
          printf("FAIL: cannot create %s\n", p);
          return 1;
        }
        *s = c;
        if (!c) break;
      }
    }
  }
  roundtrip(dir, "dense 16 elu, dense 8 tanh, dense 3", 5, 1, 1);
  roundtrip(dir, "dense 6 relu nobias, dense 5 tanh, dense 3 nobias", 4, 1, 1); /* layers without biases */
  roundtrip(dir, "conv 4 3x3 p1 relu, maxpool 2, conv 2 3x3 s2 leakyrelu:0.2, flatten, dense 3 sigmoid", 2, 10, 9);
  failures_reported(dir);
  printf("%s: %d failure(s)\n", failures ? "FAILED" : "passed", failures);
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
