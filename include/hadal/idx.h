/* MNIST-style idx files (the format of MNIST and Fashion-MNIST): a big-endian header of two zero
 * bytes, a type byte, a dimension-count byte and one uint32 per dimension, then the items
 * row-major. hadal reads unsigned-byte files (type 0x08): images (magic 0x00000803, N x H x W) and
 * labels (magic 0x00000801, N). Files may be gzip-compressed (zlib reads plain files too).
 *
 * Every rank opens the file and reads only its own rows, in increasing order, so memory per rank
 * scales with its block. Checks are collective: a truncated or corrupt file, or one rank that
 * cannot read it, is the same error on every rank (no rank is left waiting in a collective). */
#ifndef HADAL_IDX_H
#define HADAL_IDX_H

#include <stdint.h>
#include <hadal/error.h>

#define HD_IDX_MAX_DIMS   4
#define HD_IDX_MAGIC_LABELS 0x00000801u
#define HD_IDX_MAGIC_IMAGES 0x00000803u

typedef struct hd_idx_s *hd_idx;

/* Collective on comm. Open `path`, check its header: unsigned bytes with `ndim` dimensions (1 for
 * labels, 3 for images), no zero dimension. `what` names the items in messages ("images").
 * Errors name the file and what is wrong (not an idx file, wrong magic, wrong dimensions). */
PetscErrorCode hd_idx_open(MPI_Comm comm, const char *path, int ndim, const char *what, hd_idx *idx);

/* Not collective. The header: number of items (dims[0]), dimensions, bytes per item (the product
 * of dims[1..]), and the path as opened. */
PetscInt    hd_idx_count(hd_idx idx);
PetscInt    hd_idx_dim(hd_idx idx, int d);
PetscInt    hd_idx_item_bytes(hd_idx idx);
const char *hd_idx_path(hd_idx idx);

/* Collective on the comm of hd_idx_open: every rank calls it the same number of times (count may be
 * 0). Reads items [row0, row0 + count) of this rank into buf (count x item_bytes bytes); row0 must
 * not go back before the end of this rank's previous read. A short or corrupt file is an error on
 * every rank naming the file and the first item that could not be read; the read that reaches the
 * last item also checks that nothing follows it. */
PetscErrorCode hd_idx_read(hd_idx idx, PetscInt row0, PetscInt count, unsigned char *buf);

/* Not collective. Close the file and free the handle (safe on NULL). */
PetscErrorCode hd_idx_close(hd_idx *idx);

/* The 8x8 handwritten digits (UCI optdigits) as scikit-learn ships them in digits.csv.gz: one
 * line per image, 64 pixel values 0..16 row by row, then the digit. Collective on comm: every rank
 * reads the whole (small) file; *pix (n x 64 bytes) and *label (n) are PetscMalloc'ed. A missing,
 * corrupt or malformed file is the same error on every rank, naming the file and line. */
#define HD_DIGITS_PIXELS 64
PetscErrorCode hd_digits_read(MPI_Comm comm, const char *path, PetscInt *n, unsigned char **pix, int32_t **label);

#endif
