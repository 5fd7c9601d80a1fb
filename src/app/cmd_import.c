/* `hadal import idx -images X -labels Y -o F.h5`: MNIST-style idx files into an event file.
 *
 * Every rank opens both idx files and reads only its own block of rows (hd_events_block), so
 * memory per rank scales with its share; the rows go straight into the collective event writer,
 * a bounded chunk at a time. Pixels (unsigned bytes 0..255) become float32 value / 255, in [0, 1];
 * labels become int32. */
#include <string.h>
#include <time.h>
#include <hadal/events.h>
#include <hadal/idx.h>
#include <hadal/log.h>
#include <hadal/options.h>
#include <hadal/sha256.h>
#include "commands.h"

#define HD_IMPORT_MAX_CLASSES 256 /* idx labels are bytes: at most 256 distinct values */
#define HD_IMPORT_CHUNK_BYTES (16 << 20)

typedef struct {
  char     images[PETSC_MAX_PATH_LEN], labels[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN];
  char     class_text[4096];
  char    *class_names[HD_IMPORT_MAX_CLASSES];
  PetscInt n_classes;
} hd_import_opts;

/* Collective in effect: every rank splits the same text, so an error is raised on every rank.
 * Split the comma-separated -class_names in place; empty names are an error. */
static PetscErrorCode hd_import_split_names(MPI_Comm comm, hd_import_opts *o)
{
  char *p = o->class_text;

  PetscFunctionBegin;
  o->n_classes = 0;
  if (!p[0]) PetscFunctionReturn(PETSC_SUCCESS);
  for (;;) {
    char *comma = strchr(p, ',');

    if (comma) *comma = '\0';
    PetscCheck(p[0], comm, HD_ERR_USER_INPUT, "-class_names has an empty name at position %" PetscInt_FMT " ('%s'); give one name per label value, separated by commas", o->n_classes + 1, p);
    PetscCheck(o->n_classes < HD_IMPORT_MAX_CLASSES, comm, HD_ERR_USER_INPUT, "-class_names gives more than %d names, but idx labels are bytes (0..255)", HD_IMPORT_MAX_CLASSES);
    o->class_names[o->n_classes++] = p;
    if (!comma) break;
    p = comma + 1;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Rank 0 computes the checksum of a source file; every rank gets it. */
static PetscErrorCode hd_import_checksum(MPI_Comm comm, const char *path, char hex[HD_SHA256_HEX_LEN])
{
  int rank, failed = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) failed = hd_sha256_file(path, hex) != PETSC_SUCCESS;
  PetscCallMPI(MPI_Bcast(&failed, 1, MPI_INT, 0, comm));
  PetscCheck(!failed, comm, HD_ERR_FILE_READ, "cannot read '%s' to compute its checksum", path);
  PetscCallMPI(MPI_Bcast(hex, HD_SHA256_HEX_LEN, MPI_CHAR, 0, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Everything after the writer exists: rows in chunks, then the root attributes. */
static PetscErrorCode hd_import_write(MPI_Comm comm, const hd_import_opts *o, hd_idx images, hd_idx labels, hd_events_writer w)
{
  const PetscInt n = hd_idx_count(images), pixels = hd_idx_item_bytes(images);
  PetscInt       row0, count, max_block, chunk, n_chunks;
  int            rank, size;
  unsigned char *lab8 = NULL, *img8 = NULL;
  int32_t       *label = NULL;
  float         *img = NULL;
  int            local_max = -1, global_max;
  char           sha_images[HD_SHA256_HEX_LEN], sha_labels[HD_SHA256_HEX_LEN], created[32];
  time_t         now = time(NULL);

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  hd_events_block(n, rank, size, &row0, &count);

  /* Labels: the whole local block at once (one byte per row). */
  PetscCall(PetscMalloc1(count > 0 ? count : 1, &lab8));
  PetscCall(PetscMalloc1(count > 0 ? count : 1, &label));
  PetscCall(hd_idx_read(labels, row0, count, lab8));
  for (PetscInt i = 0; i < count; i++) {
    label[i] = lab8[i];
    if (lab8[i] > local_max) local_max = lab8[i];
  }
  PetscCall(PetscFree(lab8));
  PetscCallMPI(MPI_Allreduce(&local_max, &global_max, 1, MPI_INT, MPI_MAX, comm));
  PetscCheck(o->n_classes == 0 || global_max < o->n_classes, comm, HD_ERR_USER_INPUT, "labels file '%s' has label %d but -class_names names only %" PetscInt_FMT " classes (labels 0..%" PetscInt_FMT ")", o->labels, global_max, o->n_classes, o->n_classes - 1);

  /* Images: bounded chunks. Every rank makes the same number of writer calls (blocks differ by at
   * most one row, so the largest block sets the count; a rank may write 0 rows in its last call). */
  max_block = n / size + (n % size ? 1 : 0);
  chunk     = PetscMax(1, HD_IMPORT_CHUNK_BYTES / (PetscInt)(pixels * (PetscInt)sizeof(float)));
  chunk     = PetscMin(chunk, PetscMax(max_block, 1));
  n_chunks  = (max_block + chunk - 1) / chunk;
  PetscCall(PetscMalloc1(chunk * pixels, &img8));
  PetscCall(PetscMalloc1(chunk * pixels, &img));
  for (PetscInt c = 0; c < n_chunks; c++) {
    PetscInt first = PetscMin(c * chunk, count), m = PetscMin(chunk, count - first);

    PetscCall(hd_idx_read(images, row0 + first, m, img8));
    for (PetscInt i = 0; i < m * pixels; i++) img[i] = (float)img8[i] / 255.0f;
    PetscCall(hd_events_writer_write(w, row0 + first, m, NULL, NULL, label + first, NULL, m > 0 ? img : NULL, NULL, NULL));
  }
  PetscCall(PetscFree(img8));
  PetscCall(PetscFree(img));
  PetscCall(PetscFree(label));

  PetscCall(hd_import_checksum(comm, o->images, sha_images));
  PetscCall(hd_import_checksum(comm, o->labels, sha_labels));
  PetscCall(hd_events_writer_attr_string(w, "source", "idx"));
  PetscCall(hd_events_writer_attr_string(w, "images_file", o->images));
  PetscCall(hd_events_writer_attr_string(w, "labels_file", o->labels));
  PetscCall(hd_events_writer_attr_string(w, "images_sha256", sha_images));
  PetscCall(hd_events_writer_attr_string(w, "labels_sha256", sha_labels));
  PetscCall(hd_events_writer_attr_double(w, "pixel_scale", 1.0 / 255.0));
  PetscCall(hd_events_writer_attr_string(w, "hadal_version", HADAL_VERSION));
  strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now)); /* rank 0's clock is written */
  PetscCall(hd_events_writer_attr_string(w, "created", created));
  if (o->n_classes > 0) PetscCall(hd_events_writer_attr_strings(w, "classes", o->n_classes, (const char *const *)o->class_names));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_cmd_import(MPI_Comm comm, int nargs, char **args)
{
  static const char *usage = "hadal import idx -images FILE -labels FILE -o FILE.h5 [-class_names a,b,...]";
  hd_import_opts    *o;
  hd_idx             images = NULL, labels = NULL;
  hd_events_layout   layout;
  hd_events_writer   w = NULL;
  PetscBool          help_only;
  PetscErrorCode     ierr;
  double             t0 = hd_wtime();

  PetscFunctionBegin;
  PetscCall(PetscCalloc1(1, &o));
  PetscCall(hd_opt_string("-images", "idx file of images: N x H x W unsigned bytes, gzipped or not (magic 0x00000803)", NULL, o->images, sizeof(o->images), NULL));
  PetscCall(hd_opt_string("-labels", "idx file of labels: N unsigned bytes, gzipped or not (magic 0x00000801)", NULL, o->labels, sizeof(o->labels), NULL));
  PetscCall(hd_opt_string("-o", "output event file (HDF5): /events/images float32 [N,H,W] = pixel/255, /events/label int32 [N]", NULL, o->out, sizeof(o->out), NULL));
  PetscCall(hd_opt_string("-class_names", "comma-separated names of label values 0, 1, ... (stored as the root attribute classes)", NULL, o->class_text, sizeof(o->class_text), NULL));
  PetscCall(hd_opt_finish(comm, usage, &help_only));
  if (help_only) {
    PetscCall(PetscFree(o));
    PetscFunctionReturn(PETSC_SUCCESS);
  }

  PetscCheck(nargs >= 1, comm, HD_ERR_USER_INPUT, "import needs the input format: %s", usage);
  PetscCheck(!strcmp(args[0], "idx"), comm, HD_ERR_USER_INPUT, "unknown import format '%s' (known: idx); usage: %s", args[0], usage);
  PetscCheck(nargs == 1, comm, HD_ERR_USER_INPUT, "unexpected argument '%s' after 'import idx'; usage: %s", args[1], usage);
  PetscCheck(o->images[0], comm, HD_ERR_USER_INPUT, "-images FILE is required; usage: %s", usage);
  PetscCheck(o->labels[0], comm, HD_ERR_USER_INPUT, "-labels FILE is required; usage: %s", usage);
  PetscCheck(o->out[0], comm, HD_ERR_USER_INPUT, "-o FILE.h5 is required; usage: %s", usage);
  PetscCall(hd_import_split_names(comm, o));

  PetscCall(hd_idx_open(comm, o->labels, 1, "labels", &labels));
  PetscCall(hd_idx_open(comm, o->images, 3, "images", &images));
  PetscCheck(hd_idx_count(images) == hd_idx_count(labels), comm, HD_ERR_FILE_READ, "images file '%s' holds %" PetscInt_FMT " images but labels file '%s' holds %" PetscInt_FMT " labels; they must agree", o->images, hd_idx_count(images), o->labels, hd_idx_count(labels));

  PetscCall(PetscMemzero(&layout, sizeof(layout)));
  layout.n_events = hd_idx_count(images);
  layout.image_h  = hd_idx_dim(images, 1);
  layout.image_w  = hd_idx_dim(images, 2);
  PetscCall(hd_events_writer_create(comm, o->out, &layout, &w));
  ierr = hd_import_write(comm, o, images, labels, w);
  if (ierr) {
    /* Every failure inside is collective, so every rank discards the half-written file. */
    (void)hd_events_writer_discard(&w);
    (void)hd_idx_close(&images);
    (void)hd_idx_close(&labels);
    (void)PetscFree(o);
    PetscCall(ierr);
  }
  PetscCall(hd_events_writer_close(&w));
  PetscCall(hd_log(comm, "imported %" PetscInt_FMT " images of %" PetscInt_FMT "x%" PetscInt_FMT " and their labels into %s (%.2f s)\n", layout.n_events, layout.image_h, layout.image_w, o->out, hd_wtime() - t0));
  PetscCall(hd_idx_close(&images));
  PetscCall(hd_idx_close(&labels));
  PetscCall(PetscFree(o));
  PetscFunctionReturn(PETSC_SUCCESS);
}
