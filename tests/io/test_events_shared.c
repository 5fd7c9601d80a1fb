/* The node-shared event table at any rank count: every rank sees every row of every dataset; the
 * fill blocks of a node cover the table; a rank with no rows (N = 3 at 4 ranks); several emulated
 * nodes (HADAL_NODE_SIZE), each with its own copy; HDF5 calls in many small pieces
 * (HADAL_IO_PIECE_BYTES) for reading and writing (two write calls per rank); an array derived by the ranks of a node together
 * is seen whole by each of them (so the memory really is shared); non-finite values are counted
 * once whatever the nodes; bad environment values are errors that name them. */
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <hdf5.h>
#include <hadal/events.h>
#include "check.h"
#include "io/table.h"

/* Reads the table shared and checks it on every rank; node_size 0: the machine's own nodes. */
static PetscErrorCode check_shared(MPI_Comm comm, const char *path, PetscInt n, int node_size, const char *what)
{
  static const char *const need[] = {"features", "mass", "images", "sets", NULL};
  hd_table                 t;
  int                      rank, size, bad = 0, nodes_want;
  float                   *derived;
  PetscInt                 filled, filled_sum, mine[2], all_min, all_max;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(hd_events_read_shared(comm, path, need, &t));
  CHECK(t.layout.n_events == n && t.layout.n_features == 3 && !strcmp(t.layout.feature_names[1], "eta") && t.layout.image_w == 3 && t.layout.set_size == 4, "%s: layout", what);
  for (PetscInt row = 0; row < n; row++) {
    for (int j = 0; j < 3; j++) bad += t.features[row * 3 + j] != value_of(row, j);
    bad += t.mass[row] != mass_of(row);
    bad += t.weight[row] != weight_of(row);
    bad += t.label[row] != label_of(row);
    bad += t.set_n[row] != set_n_of(row);
    for (int j = 0; j < 6; j++) bad += t.images[row * 6 + j] != value_of(row, 10 + j);
    for (int j = 0; j < 8; j++) bad += t.sets[row * 8 + j] != value_of(row, 20 + j);
  }
  CHECK(bad == 0, "%s: rank %d sees %d wrong values in the shared table of %" PetscInt_FMT " rows", what, rank, bad, n);

  /* nodes: emulated ones have node_size ranks (the last may have fewer) */
  nodes_want = node_size > 0 ? (size + node_size - 1) / node_size : t.node.n_nodes;
  CHECK(t.node.n_nodes == nodes_want, "%s: %d nodes, expected %d", what, t.node.n_nodes, nodes_want);
  CHECK(node_size <= 0 || t.node.node_size == PetscMin(node_size, size - (rank / node_size) * node_size), "%s: rank %d on a node of %d ranks", what, rank, t.node.node_size);
  CHECK(t.node.node_index >= 0 && t.node.node_index < t.node.n_nodes, "%s: node index %d", what, t.node.node_index);
  /* the fill blocks of each node cover the table once */
  filled = t.fill_count;
  PetscCallMPI(MPI_Allreduce(&filled, &filled_sum, 1, MPIU_INT, MPI_SUM, t.node.node));
  CHECK(filled_sum == n, "%s: the ranks of a node fill %" PetscInt_FMT " rows of %" PetscInt_FMT, what, filled_sum, n);
  mine[0] = t.n_local;
  PetscCallMPI(MPI_Allreduce(&mine[0], &all_min, 1, MPIU_INT, MPI_MIN, comm));
  PetscCallMPI(MPI_Allreduce(&mine[0], &all_max, 1, MPIU_INT, MPI_MAX, comm));
  CHECK(all_max - all_min <= 1, "%s: blocks of comm differ by more than one row", what);

  /* a derived array: each rank writes its fill rows, then every rank of the node reads all rows;
   * a private copy per rank would miss the other ranks' rows */
  PetscCall(hd_table_alloc1(&t, (size_t)n * 2, &derived));
  for (PetscInt i = t.fill_offset; i < t.fill_offset + t.fill_count; i++) {
    derived[2 * i]     = t.mass[i] * 2.0f;
    derived[2 * i + 1] = (float)t.node.node_rank;
  }
  PetscCall(hd_table_sync(&t));
  bad = 0;
  for (PetscInt i = 0; i < n; i++) {
    PetscInt off, cnt, writer = -1;
    for (int r = 0; r < t.node.node_size && writer < 0; r++) {
      hd_events_block(n, r, t.node.node_size, &off, &cnt);
      if (i >= off && i < off + cnt) writer = r;
    }
    bad += derived[2 * i] != t.mass[i] * 2.0f || derived[2 * i + 1] != (float)writer;
  }
  CHECK(bad == 0, "%s: rank %d sees %d wrong values in the derived node-shared array", what, rank, bad);
  /* in place: the features of the fill rows negated, seen whole after the sync */
  for (PetscInt i = t.fill_offset; i < t.fill_offset + t.fill_count; i++) t.features[i * 3] = -t.features[i * 3];
  PetscCall(hd_table_sync(&t));
  bad = 0;
  for (PetscInt i = 0; i < n; i++) bad += t.features[i * 3] != -value_of(i, 0);
  CHECK(bad == 0, "%s: rank %d sees %d rows not changed in place", what, rank, bad);
  PetscCall(hd_table_destroy(&t));
  CHECK(t.features == NULL && t.n_arrays == 0, "%s: destroy leaves pointers", what);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* hd_events_read (per-rank blocks) of the same file, written or read in pieces. */
static PetscErrorCode check_blocks(MPI_Comm comm, const char *path, PetscInt n, const char *what)
{
  static const char *const need[] = {"features", "images", "sets", NULL};
  hd_events                ev;
  int                      bad = 0;

  PetscFunctionBegin;
  PetscCall(hd_events_read(comm, path, need, &ev));
  CHECK(ev.layout.n_events == n, "%s: %" PetscInt_FMT " events", what, ev.layout.n_events);
  for (PetscInt i = 0; i < ev.n_local; i++) {
    PetscInt row = ev.offset + i;
    for (int j = 0; j < 3; j++) bad += ev.features[i * 3 + j] != value_of(row, j);
    for (int j = 0; j < 6; j++) bad += ev.images[i * 6 + j] != value_of(row, 10 + j);
    for (int j = 0; j < 8; j++) bad += ev.sets[i * 8 + j] != value_of(row, 20 + j);
    bad += ev.set_n[i] != (int32_t)(row % 5);
  }
  CHECK(bad == 0, "%s: %d wrong values in the blocks", what, bad);
  PetscCall(hd_events_free(&ev));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  int      rank, size, all;
  char     dir[] = "shared_scratch", path[256], what[128];
  hd_table t;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(hd_error_handler_push());
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  snprintf(path, sizeof(path), "%s/np%d.h5", dir, size);
  if (rank == 0) mkdir(dir, 0755);
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));

  /* piece sizes: the default (one call), 40 bytes (one row of images or sets, three of
   * features per call) and 1 byte (one row per call whatever its size) */
  const PetscInt    sizes[]  = {1, 3, 7, 101};
  const char *const pieces[] = {NULL, "40", "1"};
  const int         nodes[]  = {0, 1, 2, 3};
  for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
    for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
      if (pieces[p]) setenv("HADAL_IO_PIECE_BYTES", pieces[p], 1);
      else unsetenv("HADAL_IO_PIECE_BYTES");
      PetscCall(write_table(PETSC_COMM_WORLD, path, sizes[k], -1));
      snprintf(what, sizeof(what), "N %d, pieces %s", (int)sizes[k], pieces[p] ? pieces[p] : "default");
      PetscCall(check_blocks(PETSC_COMM_WORLD, path, sizes[k], what));
      for (size_t q = 0; q < sizeof(nodes) / sizeof(nodes[0]); q++) {
        char ns[16];
        snprintf(ns, sizeof(ns), "%d", nodes[q]);
        if (nodes[q]) setenv("HADAL_NODE_SIZE", ns, 1);
        else unsetenv("HADAL_NODE_SIZE");
        snprintf(what, sizeof(what), "N %d, pieces %s, node size %s", (int)sizes[k], pieces[p] ? pieces[p] : "default", nodes[q] ? ns : "machine");
        PetscCall(check_shared(PETSC_COMM_WORLD, path, sizes[k], nodes[q], what));
      }
      unsetenv("HADAL_NODE_SIZE");
    }
  }
  unsetenv("HADAL_IO_PIECE_BYTES");

  /* one NaN, counted once at any number of nodes (each node reads it; one rank checks its row) */
  PetscCall(write_table(PETSC_COMM_WORLD, path, 11, 6));
  setenv("HADAL_NODE_SIZE", "1", 1);
  expect_error(hd_events_read_shared(PETSC_COMM_WORLD, path, NULL, &t), "holds 1 non-finite values (NaN or inf), the first in row 6", "NaN in a shared table");
  PetscCall(hd_table_destroy(&t));
  /* bad environment values name the variable */
  setenv("HADAL_NODE_SIZE", "two", 1);
  expect_error(hd_events_read_shared(PETSC_COMM_WORLD, path, NULL, &t), "HADAL_NODE_SIZE='two'", "HADAL_NODE_SIZE not a number");
  unsetenv("HADAL_NODE_SIZE");
  setenv("HADAL_IO_PIECE_BYTES", "0", 1);
  expect_error(hd_events_read_shared(PETSC_COMM_WORLD, path, NULL, &t), "HADAL_IO_PIECE_BYTES='0'", "HADAL_IO_PIECE_BYTES zero");
  unsetenv("HADAL_IO_PIECE_BYTES");

  PetscCallMPI(MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD));
  if (rank == 0) printf("shared event table at %d ranks: %d failed checks\n", size, all);
  PetscCall(PetscFinalize());
  return all ? 1 : 0;
}
