/* Reading a pandas DataFrame stored in HDF5 by DataFrame.to_hdf (through PyTables), in C, with the
 * project's parallel HDF5 layer: numeric columns by name, each rank its own rows.
 *
 * Two layouts (docs/formats.md):
 *   fixed (to_hdf's default): group /KEY with attribute nblocks; per block k the column names
 *     /KEY/blockK_items [n_k] and the values /KEY/blockK_values [N, n_k] (one dtype per block);
 *   table (format="table"): one compound dataset /KEY/table [N] with the field "index", a field per
 *     data column (data_columns=...) and array fields values_block_K whose column names are the
 *     attribute values_block_K_kind (a protocol-0 pickle of the list of names).
 * Integer and floating-point columns are read as double; any other type is an error naming the
 * file and the column. */
#ifndef HADAL_PANDAS_H
#define HADAL_PANDAS_H

#include <hdf5.h>
#include <hadal/error.h>
#include <hadal/events.h>

typedef struct hd_pandas_frame_s *hd_pandas_frame;

/* Collective. Open the DataFrame stored under `key` ("df": /df; "" or NULL: the file's only
 * top-level group) of `path`; an absent key, a file that holds no DataFrame there or an unknown
 * layout is an error naming the file and the key. */
PetscErrorCode hd_pandas_open(MPI_Comm comm, const char *path, const char *key, hd_pandas_frame *df);
/* Not collective. Number of rows and columns; the name of column c; the key opened. */
PetscInt    hd_pandas_rows(hd_pandas_frame df);
const char *hd_pandas_key(hd_pandas_frame df);
PetscInt    hd_pandas_columns(hd_pandas_frame df);
const char *hd_pandas_column_name(hd_pandas_frame df, PetscInt c);
/* Not collective. Index of the column `name`; a missing column is an error naming the file, the
 * key and the column, on comm (every rank asks for the same names). A column of a type that is
 * not a number is an error too. */
PetscErrorCode hd_pandas_column(MPI_Comm comm, hd_pandas_frame df, const char *name, PetscInt *c);
/* Collective (every rank calls with its own rows; count may be 0). out (count, n) = the columns
 * cols[0..n) of rows [row0, row0 + count), row-major, as double. */
PetscErrorCode hd_pandas_read(hd_pandas_frame df, PetscInt n, const PetscInt *cols, PetscInt row0, PetscInt count, double *out);
/* Collective. Closes the file and frees; *df = NULL. NULL is fine. */
PetscErrorCode hd_pandas_close(hd_pandas_frame *df);

#endif
