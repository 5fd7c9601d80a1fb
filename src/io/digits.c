/* The 8x8 handwritten digits of the UCI optdigits set as scikit-learn ships them (digits.csv.gz:
 * one line per image, 64 pixel values 0..16 row by row, then the digit 0..9, comma-separated). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <hadal/idx.h>

#define HD_DIGITS_LINE 1024

/* Not collective: a small file, read whole by the caller's rank. */
static PetscErrorCode hd_digits_parse(const char *path, PetscInt *n, unsigned char **pix, int32_t **label, char *msg, size_t msg_len)
{
  gzFile   gz = gzopen(path, "rb");
  char     line[HD_DIGITS_LINE];
  PetscInt cap = 0;

  PetscFunctionBegin;
  *n     = 0;
  *pix   = NULL;
  *label = NULL;
  msg[0] = 0;
  if (!gz) {
    snprintf(msg, msg_len, "cannot open digits file '%s'", path);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  while (gzgets(gz, line, sizeof(line))) {
    int   v[HD_DIGITS_PIXELS + 1], k = 0;
    char *p = line, *end;
    if (line[0] == '\n' || line[0] == '\r' || line[0] == 0) continue;
    for (k = 0; k <= HD_DIGITS_PIXELS; k++) {
      long x = strtol(p, &end, 10);
      if (end == p) break;
      v[k] = (int)x;
      p    = end;
      while (*p == ',' || *p == ' ') p++;
    }
    if (k != HD_DIGITS_PIXELS + 1 || (*p && *p != '\n' && *p != '\r')) {
      snprintf(msg, msg_len, "digits file '%s', line %lld: want %d comma-separated integers (64 pixels and the digit)", path, (long long)*n + 1, HD_DIGITS_PIXELS + 1);
      break;
    }
    for (k = 0; k < HD_DIGITS_PIXELS && v[k] >= 0 && v[k] <= 16; k++) {}
    if (k < HD_DIGITS_PIXELS || v[HD_DIGITS_PIXELS] < 0 || v[HD_DIGITS_PIXELS] > 9) {
      snprintf(msg, msg_len, "digits file '%s', line %lld: pixels must lie in 0..16 and the digit in 0..9", path, (long long)*n + 1);
      break;
    }
    if (*n == cap) {
      cap = cap ? 2 * cap : 2048;
      PetscCall(PetscRealloc((size_t)cap * HD_DIGITS_PIXELS, pix));
      PetscCall(PetscRealloc((size_t)cap * sizeof(int32_t), label));
    }
    for (k = 0; k < HD_DIGITS_PIXELS; k++) (*pix)[(size_t)*n * HD_DIGITS_PIXELS + k] = (unsigned char)v[k];
    (*label)[(*n)++] = v[HD_DIGITS_PIXELS];
  }
  if (!msg[0] && !gzeof(gz)) snprintf(msg, msg_len, "digits file '%s': corrupt gzip data after %lld lines", path, (long long)*n);
  if (!msg[0] && *n == 0) snprintf(msg, msg_len, "digits file '%s' holds no images", path);
  gzclose(gz);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_digits_read(MPI_Comm comm, const char *path, PetscInt *n, unsigned char **pix, int32_t **label)
{
  char msg[PETSC_MAX_PATH_LEN + 128];
  int  bad, any;

  PetscFunctionBegin;
  PetscCall(hd_digits_parse(path, n, pix, label, msg, sizeof(msg)));
  bad = msg[0] != 0;
  PetscCallMPI(MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, comm));
  if (any) {
    PetscCall(PetscFree(*pix));
    PetscCall(PetscFree(*label));
  }
  PetscCheck(!any, comm, HD_ERR_FILE_READ, "%s", bad ? msg : "a rank could not read the digits file");
  PetscFunctionReturn(PETSC_SUCCESS);
}
