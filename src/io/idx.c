/* MNIST-style idx files, read block-wise on every rank (see include/hadal/idx.h). */
#include <stdint.h>
#include <string.h>
#include <zlib.h>
#include <hadal/idx.h>

struct hd_idx_s {
  MPI_Comm comm;
  gzFile   gz;
  char     path[PETSC_MAX_PATH_LEN];
  char     what[32];
  int      ndim;
  int64_t  dims[HD_IDX_MAX_DIMS];
  int64_t  item_bytes;
  int64_t  header_bytes;
  int64_t  next_row; /* the item the stream stands at */
};

/* What rank 0 found in the header, broadcast so that every rank raises the same error. */
typedef struct {
  int     code; /* 0 or an HD_ERR_* */
  int     ndim;
  int64_t dims[HD_IDX_MAX_DIMS];
  char    message[512];
} hd_idx_header_msg;

/* Read exactly len bytes; returns the bytes read (fewer at end of file) or -1 on a zlib error. */
static int64_t hd_idx_gzread_full(gzFile gz, unsigned char *buf, int64_t len)
{
  int64_t done = 0;

  while (done < len) {
    int64_t  left = len - done;
    unsigned take = left > (1 << 30) ? (1u << 30) : (unsigned)left;
    int      got  = gzread(gz, buf + done, take);

    if (got < 0) return -1;
    if (got == 0) break;
    done += got;
  }
  return done;
}

static const char *hd_idx_type_name(int type)
{
  switch (type) {
  case 0x08: return "unsigned byte";
  case 0x09: return "signed byte";
  case 0x0B: return "short";
  case 0x0C: return "int";
  case 0x0D: return "float";
  case 0x0E: return "double";
  default: return "unknown";
  }
}

/* Rank 0 only: read and check the header. Problems go into h->code / h->message. */
static void hd_idx_read_header(const char *path, int ndim, const char *what, hd_idx_header_msg *h)
{
  unsigned char magic[4], dimbuf[4 * HD_IDX_MAX_DIMS];
  uint32_t      want = ndim == 1 ? HD_IDX_MAGIC_LABELS : (0x00000800u | (uint32_t)ndim);
  uint32_t      got_magic;
  int64_t       got, item = 1;
  gzFile        gz = gzopen(path, "rb");

  memset(h, 0, sizeof(*h));
  if (!gz) {
    h->code = HD_ERR_FILE_OPEN;
    snprintf(h->message, sizeof(h->message), "cannot open %s file '%s' (missing or unreadable)", what, path);
    return;
  }
  got = hd_idx_gzread_full(gz, magic, 4);
  if (got != 4) {
    h->code = HD_ERR_FILE_READ;
    snprintf(h->message, sizeof(h->message), "%s file '%s' is not an idx file: %s", what, path, got < 0 ? "corrupt gzip data in its header" : "too short for an idx header");
    goto done;
  }
  got_magic = (uint32_t)magic[0] << 24 | (uint32_t)magic[1] << 16 | (uint32_t)magic[2] << 8 | magic[3];
  if (magic[0] != 0 || magic[1] != 0) {
    h->code = HD_ERR_FILE_READ;
    snprintf(h->message, sizeof(h->message), "%s file '%s' is not an idx file: magic number 0x%08x (expected 0x%08x for %s)", what, path, got_magic, want, what);
    goto done;
  }
  if (magic[2] != 0x08) {
    h->code = HD_ERR_FILE_READ;
    snprintf(h->message, sizeof(h->message), "%s file '%s' holds %s data (magic number 0x%08x); hadal reads unsigned bytes only (expected 0x%08x)", what, path, hd_idx_type_name(magic[2]), got_magic, want);
    goto done;
  }
  if (magic[3] != ndim) {
    h->code = HD_ERR_FILE_READ;
    snprintf(h->message, sizeof(h->message), "%s file '%s' has %d dimensions (magic number 0x%08x) but %s need %d (expected magic number 0x%08x)", what, path, magic[3], got_magic, what, ndim, want);
    goto done;
  }
  got = hd_idx_gzread_full(gz, dimbuf, 4 * ndim);
  if (got != 4 * ndim) {
    h->code = HD_ERR_FILE_READ;
    snprintf(h->message, sizeof(h->message), "%s file '%s' is truncated inside its header (%s)", what, path, got < 0 ? "corrupt gzip data" : "too short");
    goto done;
  }
  h->ndim = ndim;
  for (int d = 0; d < ndim; d++) {
    const unsigned char *p = dimbuf + 4 * d;

    h->dims[d] = (int64_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
    if (h->dims[d] == 0) {
      h->code = HD_ERR_FILE_READ;
      snprintf(h->message, sizeof(h->message), "%s file '%s' has dimension %d of size 0 (no %s)", what, path, d, what);
      goto done;
    }
    if (d > 0) item *= h->dims[d];
  }
  /* Items are counted in PetscInt and an item is converted in one piece: refuse sizes that do not fit. */
  if (h->dims[0] > PETSC_MAX_INT || item > (1 << 28)) {
    h->code = HD_ERR_FILE_READ;
    snprintf(h->message, sizeof(h->message), "%s file '%s' declares an implausible size (%lld items of %lld bytes)", what, path, (long long)h->dims[0], (long long)item);
    goto done;
  }
done:
  gzclose(gz);
}

PetscErrorCode hd_idx_open(MPI_Comm comm, const char *path, int ndim, const char *what, hd_idx *idx)
{
  hd_idx_header_msg h;
  struct hd_idx_s  *x;
  int               rank, bad_rank, my_bad;

  PetscFunctionBegin;
  *idx = NULL;
  PetscCheck(ndim >= 1 && ndim <= HD_IDX_MAX_DIMS, PETSC_COMM_SELF, HD_ERR_INTERNAL, "idx files with %d dimensions are not supported", ndim);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) hd_idx_read_header(path, ndim, what, &h);
  PetscCallMPI(MPI_Bcast(&h, (int)sizeof(h), MPI_BYTE, 0, comm));
  PetscCheck(h.code == 0, comm, h.code, "%s", h.message);

  PetscCall(PetscCalloc1(1, &x));
  x->comm = comm;
  snprintf(x->path, sizeof(x->path), "%s", path);
  snprintf(x->what, sizeof(x->what), "%s", what);
  x->ndim         = h.ndim;
  x->item_bytes   = 1;
  x->header_bytes = 4 + 4 * (int64_t)h.ndim;
  for (int d = 0; d < h.ndim; d++) {
    x->dims[d] = h.dims[d];
    if (d > 0) x->item_bytes *= h.dims[d];
  }
  /* Every rank reads its own rows through its own handle; one that cannot open the file (a
   * folder not shared with rank 0's node) is reported on every rank. */
  x->gz  = gzopen(path, "rb");
  my_bad = x->gz ? 0 : rank + 1;
  if (x->gz) gzbuffer(x->gz, 1 << 17);
  PetscCallMPI(MPI_Allreduce(&my_bad, &bad_rank, 1, MPI_INT, MPI_MAX, comm));
  if (bad_rank) {
    if (x->gz) gzclose(x->gz);
    PetscCall(PetscFree(x));
    SETERRQ(comm, HD_ERR_FILE_OPEN, "%s file '%s' can be opened on rank 0 but not on rank %d (is its folder shared by all nodes?)", what, path, bad_rank - 1);
  }
  x->next_row = -1; /* positioned after the header, which is not an item boundary we track */
  *idx = x;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscInt    hd_idx_count(hd_idx idx) { return (PetscInt)idx->dims[0]; }
PetscInt    hd_idx_dim(hd_idx idx, int d) { return d >= 0 && d < idx->ndim ? (PetscInt)idx->dims[d] : 0; }
PetscInt    hd_idx_item_bytes(hd_idx idx) { return (PetscInt)idx->item_bytes; }
const char *hd_idx_path(hd_idx idx) { return idx->path; }

/* Failure codes, combined across ranks as (first failing item) * 4 + reason. */
enum { HD_IDX_SHORT = 0, HD_IDX_CORRUPT = 1, HD_IDX_TRAILING = 2 };

PetscErrorCode hd_idx_read(hd_idx idx, PetscInt row0, PetscInt count, unsigned char *buf)
{
  const int64_t n    = idx->dims[0];
  int64_t       fail = INT64_MAX, first_fail, row, reason;

  PetscFunctionBegin;
  PetscCheck(row0 >= 0 && count >= 0 && row0 + (int64_t)count <= n, PETSC_COMM_SELF, HD_ERR_INTERNAL, "read of items [%" PetscInt_FMT ", %" PetscInt_FMT ") outside the %lld %s of '%s'", row0, row0 + count, (long long)n, idx->what, idx->path);
  PetscCheck(count == 0 || row0 >= idx->next_row, PETSC_COMM_SELF, HD_ERR_INTERNAL, "idx reads must go forward ('%s': item %" PetscInt_FMT " after %lld)", idx->path, row0, (long long)idx->next_row);
  if (count > 0) {
    int64_t got;

    /* In a gzip stream gzseek() decompresses up to the offset; in a plain file it seeks. */
    if (row0 != idx->next_row && gzseek(idx->gz, (z_off_t)(idx->header_bytes + (int64_t)row0 * idx->item_bytes), SEEK_SET) < 0) fail = (int64_t)row0 * 4 + HD_IDX_CORRUPT;
    else {
      got = hd_idx_gzread_full(idx->gz, buf, (int64_t)count * idx->item_bytes);
      if (got < 0) fail = (int64_t)row0 * 4 + HD_IDX_CORRUPT;
      else if (got < (int64_t)count * idx->item_bytes) fail = (row0 + got / idx->item_bytes) * 4 + HD_IDX_SHORT;
      else if (row0 + (int64_t)count == n) {
        unsigned char extra;

        /* The read that reaches the end also reaches the gzip trailer, whose CRC zlib checks. */
        got = hd_idx_gzread_full(idx->gz, &extra, 1);
        if (got < 0) fail = n * 4 + HD_IDX_CORRUPT;
        else if (got > 0) fail = n * 4 + HD_IDX_TRAILING;
      }
    }
    idx->next_row = row0 + count;
  }
  PetscCallMPI(MPI_Allreduce(&fail, &first_fail, 1, MPI_INT64_T, MPI_MIN, idx->comm));
  if (first_fail == INT64_MAX) PetscFunctionReturn(PETSC_SUCCESS);
  row    = first_fail / 4;
  reason = first_fail % 4;
  PetscCheck(reason != HD_IDX_SHORT, idx->comm, HD_ERR_FILE_READ, "%s file '%s' is truncated: its header declares %lld %s but the data ends in item %lld", idx->what, idx->path, (long long)n, idx->what, (long long)row);
  PetscCheck(reason != HD_IDX_TRAILING, idx->comm, HD_ERR_FILE_READ, "%s file '%s' has data after the %lld %s its header declares (wrong header or not an idx file)", idx->what, idx->path, (long long)n, idx->what);
  if (row >= n) SETERRQ(idx->comm, HD_ERR_FILE_READ, "%s file '%s' is corrupt: its gzip data fail their integrity check at the end of the file", idx->what, idx->path);
  SETERRQ(idx->comm, HD_ERR_FILE_READ, "%s file '%s' is corrupt: its gzip data cannot be decompressed at item %lld", idx->what, idx->path, (long long)row);
}

PetscErrorCode hd_idx_close(hd_idx *idx)
{
  PetscFunctionBegin;
  if (!idx || !*idx) PetscFunctionReturn(PETSC_SUCCESS);
  if ((*idx)->gz) gzclose((*idx)->gz);
  PetscCall(PetscFree(*idx));
  PetscFunctionReturn(PETSC_SUCCESS);
}
