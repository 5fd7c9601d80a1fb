/* Driver for the DisCo^2 comparison with PyTorch (nn_disco_compare.py). For each case it draws
 * a, b and weights with a known seed, calls hd_nn_disco2 with gradients, and writes CASE.bin into
 * the folder given as argument, little-endian:
 *   int64 n, int64 weighted (0: w all 1, passed as NULL), float64 scale, float64 value,
 *   float32 a[n], b[n], w[n], da[n], db[n]
 * where da, db = scale d value / d a, d b (accumulated onto zeros). */
#include <math.h>
#include <stdio.h>
#include <hadal/nn.h>
#include <hadal/rng.h>

typedef struct {
  const char *name;
  PetscInt    n;
  int         weighted, ties, zero_weights;
  double      scale;
} dcase;

static PetscErrorCode run_case(const char *dir, const dcase *c, uint64_t seed)
{
  float  *a, *b, *w, *da, *db;
  double  value;
  int64_t hdr[2] = {(int64_t)c->n, (int64_t)c->weighted};
  hd_rng  r;
  char    path[PETSC_MAX_PATH_LEN];
  FILE   *f;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(c->n, &a));
  PetscCall(PetscMalloc1(c->n, &b));
  PetscCall(PetscMalloc1(c->n, &w));
  PetscCall(PetscCalloc1(c->n, &da));
  PetscCall(PetscCalloc1(c->n, &db));
  hd_rng_init(&r, seed, HD_STREAM_USER, 99);
  for (PetscInt i = 0; i < c->n; i++) {
    double z = hd_rng_normal(&r);

    /* a dependence that is not linear: b grows with |a| */
    a[i] = (float)(z + 0.5 * hd_rng_normal(&r));
    b[i] = (float)(fabs(z) + 0.7 * hd_rng_normal(&r));
    if (c->ties) { /* a coarse grid: many equal values, where |.| has its kink */
      a[i] = roundf(4.0f * a[i]) / 4.0f;
      b[i] = roundf(2.0f * b[i]) / 2.0f;
    }
    w[i] = c->weighted ? (float)(0.1 + 3.0 * hd_rng_uniform(&r)) : 1.0f;
    if (c->zero_weights && i % 17 == 3) w[i] = 0.0f;
  }
  PetscCall(hd_nn_disco2(&value, da, db, a, b, c->weighted ? w : NULL, c->n, c->scale));
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s.bin", dir, c->name));
  f = fopen(path, "wb");
  PetscCheck(f, PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "cannot write %s", path);
  fwrite(hdr, sizeof(hdr), 1, f);
  fwrite(&c->scale, sizeof(double), 1, f);
  fwrite(&value, sizeof(double), 1, f);
  fwrite(a, sizeof(float), (size_t)c->n, f);
  fwrite(b, sizeof(float), (size_t)c->n, f);
  fwrite(w, sizeof(float), (size_t)c->n, f);
  fwrite(da, sizeof(float), (size_t)c->n, f);
  fwrite(db, sizeof(float), (size_t)c->n, f);
  PetscCheck(!ferror(f) && !fclose(f), PETSC_COMM_SELF, HD_ERR_FILE_WRITE, "error writing %s", path);
  printf("%-22s n %5d weighted %d ties %d: DisCo^2 %.12f\n", c->name, (int)c->n, c->weighted, c->ties, value);
  PetscCall(PetscFree(a));
  PetscCall(PetscFree(b));
  PetscCall(PetscFree(w));
  PetscCall(PetscFree(da));
  PetscCall(PetscFree(db));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  const dcase cases[] = {
    {"plain", 257, 0, 0, 0, 1.0},
    {"weighted", 400, 1, 0, 0, 1.0},
    {"weighted_zeros_scaled", 300, 1, 0, 1, 0.25},
    {"ties", 350, 0, 1, 0, 1.0},
    {"weighted_ties", 500, 1, 1, 1, 2.0},
    {"large_weighted", 2000, 1, 0, 0, 1.0},
  };

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCheck(argc >= 2, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "usage: nn_disco_driver FOLDER");
  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) PetscCall(run_case(argv[1], &cases[k], 100 + k));
  PetscCall(PetscFinalize());
  return 0;
}
