/* Event-file round trip with collective parallel HDF5, at any rank count: every dataset of the
 * layout, uneven blocks, a rank with zero rows (N = 3 at 4 ranks), several write calls per rank,
 * reading back through a different split (a sub-communicator), and the temporary-file contract. */
#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <hdf5.h>
#include <hadal/events.h>
#include "io/table.h"

static PetscErrorCode check_table(MPI_Comm comm, const char *path, PetscInt n, int *bad)
{
  static const char *const need[] = {"features", "mass", "images", "sets", NULL};
  hd_events                ev;

  PetscFunctionBegin;
  PetscCall(hd_events_read(comm, path, need, &ev));
  if (ev.layout.n_events != n || ev.layout.n_features != 3 || strcmp(ev.layout.feature_names[2], "tau21") || ev.layout.image_w != 3 || ev.layout.set_size != 4) (*bad)++;
  for (PetscInt i = 0; i < ev.n_local; i++) {
    PetscInt row = ev.offset + i;
    for (int j = 0; j < 3; j++) *bad += ev.features[i * 3 + j] != value_of(row, j);
    *bad += ev.mass[i] != mass_of(row);
    *bad += ev.weight[i] != weight_of(row);
    *bad += ev.label[i] != label_of(row);
    *bad += ev.set_n[i] != set_n_of(row);
    for (int j = 0; j < 6; j++) *bad += ev.images[i * 6 + j] != value_of(row, 10 + j);
    for (int j = 0; j < 8; j++) *bad += ev.sets[i * 8 + j] != value_of(row, 20 + j);
  }
  PetscCall(hd_events_free(&ev));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static int count_temporaries(const char *dir)
{
  DIR           *d = opendir(dir);
  struct dirent *e;
  int            n = 0;

  if (!d) return -1;
  while ((e = readdir(d)))
    if (strstr(e->d_name, ".tmp-")) n++;
  closedir(d);
  return n;
}

int main(int argc, char **argv)
{
  int      rank, size, bad = 0, allbad = 0;
  char     dir[] = "roundtrip_scratch", path[256];
  MPI_Comm half;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  snprintf(path, sizeof(path), "%s/np%d.h5", dir, size);
  if (rank == 0) mkdir(dir, 0755);
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));

  const PetscInt sizes[] = {1, 3, 7, 101};
  for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
    PetscCall(write_table(PETSC_COMM_WORLD, path, sizes[k], -1));
    PetscCall(check_table(PETSC_COMM_WORLD, path, sizes[k], &bad));
    /* read the same file through another split: the even ranks alone */
    PetscCallMPI(MPI_Comm_split(PETSC_COMM_WORLD, rank % 2, rank, &half));
    if (rank % 2 == 0) PetscCall(check_table(half, path, sizes[k], &bad));
    PetscCallMPI(MPI_Comm_free(&half));
  }
  /* a discarded output leaves nothing behind, and keeps an earlier good file intact */
  {
    hd_events_layout L = {0};
    hd_events_writer w;
    L.n_events = 5;
    PetscCall(hd_events_writer_create(PETSC_COMM_WORLD, path, &L, &w));
    PetscCall(hd_events_writer_discard(&w));
    PetscCall(check_table(PETSC_COMM_WORLD, path, 101, &bad));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  if (rank == 0 && count_temporaries(dir) != 0) {
    printf("FAIL: temporary files left in %s\n", dir);
    bad++;
  }
  PetscCallMPI(MPI_Allreduce(&bad, &allbad, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD));
  if (rank == 0) printf("events round trip at %d ranks: %d mismatches\n", size, allbad);
  PetscCall(PetscFinalize());
  return allbad ? 1 : 0;
}
