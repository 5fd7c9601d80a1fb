/* The event table the io tests write and check: every dataset of the layout, with values that
 * name their row and column. Included by test programs only. */
#ifndef HADAL_TESTS_IO_TABLE_H
#define HADAL_TESTS_IO_TABLE_H

#include <math.h>
#include <hadal/events.h>

static inline float value_of(PetscInt row, PetscInt col) { return (float)row * 0.5f + (float)col * 0.001f; }
static inline float mass_of(PetscInt row) { return 1000.0f + (float)row; }
static inline float weight_of(PetscInt row) { return 1.0f / (float)(row + 1); }
static inline int32_t label_of(PetscInt row) { return (int32_t)(row % 3) - 1; }
static inline int32_t set_n_of(PetscInt row) { return (int32_t)(row % 5); }

/* Collective on comm. n rows, each rank its block in two write calls (the first half of the block,
 * then the rest; either may be empty); feature 1 of row nan_row is NaN (none when nan_row < 0).
 * Columns: features 0-2, images 10-15 (2 x 3), sets 20-27 (4 x 2). */
static PetscErrorCode write_table(MPI_Comm comm, const char *path, PetscInt n, PetscInt nan_row)
{
  hd_events_layout L = {0};
  char             names[3][HD_NAME_LEN] = {"pt", "eta", "tau21"};
  hd_events_writer w;
  int              rank, size;
  PetscInt         off, cnt;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  L.n_events      = n;
  L.n_features    = 3;
  L.feature_names = names;
  L.has_mass      = PETSC_TRUE;
  L.has_weight    = PETSC_TRUE;
  L.image_h       = 2;
  L.image_w       = 3;
  L.set_size      = 4;
  L.set_width     = 2;
  PetscCall(hd_events_writer_create(comm, path, &L, &w));
  hd_events_block(n, rank, size, &off, &cnt);
  for (int part = 0; part < 2; part++) {
    PetscInt r0 = off + (part ? cnt / 2 : 0), c = part ? cnt - cnt / 2 : cnt / 2;
    float    f[64 * 3], m[64], wt[64], im[64 * 6], st[64 * 8];
    int32_t  lab[64], sn[64];
    PetscCheck(c <= 64, comm, HD_ERR_INTERNAL, "test block too large");
    for (PetscInt i = 0; i < c; i++) {
      PetscInt row = r0 + i;
      for (int j = 0; j < 3; j++) f[i * 3 + j] = row == nan_row && j == 1 ? NAN : value_of(row, j);
      m[i]   = mass_of(row);
      wt[i]  = weight_of(row);
      lab[i] = label_of(row);
      sn[i]  = set_n_of(row);
      for (int j = 0; j < 6; j++) im[i * 6 + j] = value_of(row, 10 + j);
      for (int j = 0; j < 8; j++) st[i * 8 + j] = value_of(row, 20 + j);
    }
    PetscCall(hd_events_writer_write(w, r0, c, f, m, lab, wt, im, st, sn));
  }
  PetscCall(hd_events_writer_attr_string(w, "generator", "io-test"));
  PetscCall(hd_events_writer_attr_int(w, "seed", 12345));
  PetscCall(hd_events_writer_close(&w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

#endif
