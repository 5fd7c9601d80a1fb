/* `hadal import idx -images X -labels Y -o F.h5`: MNIST-style idx files into an event file.
 *
 * Every rank opens both idx files and reads only its own block of rows (hd_events_block), so
 * memory per rank scales with its share; the rows go straight into the collective event writer,
 * a bounded chunk at a time. Pixels (unsigned bytes 0..255) become float32 value / 255, in [0, 1];
 * labels become int32. */
#include <string.h>
#include <time.h>
#include <hadal/darkmachines.h>
#include <hadal/events.h>
#include <hadal/generate.h>
#include <hadal/h5.h>
#include <hadal/idx.h>
#include <hadal/log.h>
#include <hadal/options.h>
#include <hadal/pandas.h>
#include <hadal/sha256.h>
#include "commands.h"

#define HD_IMPORT_MAX_CLASSES 256 /* idx labels are bytes: at most 256 distinct values */
#define HD_IMPORT_CHUNK_BYTES (16 << 20)

typedef struct {
  char     images[PETSC_MAX_PATH_LEN], labels[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN];
  char     class_text[4096];
  char    *class_names[HD_IMPORT_MAX_CLASSES];
  PetscInt n_classes;
  PetscInt inverted; /* -inverted_count N: the first N images again as 1 - x, one more class */
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

  /* -inverted_count N: rows n .. n + N - 1 are the first N images as 1 - x, label global_max + 1 (the
   * next class: "inverted"), read through a second handle so each rank's reads stay in order */
  if (o->inverted > 0) {
    hd_idx   inv;
    PetscInt b0, bc;
    int32_t  lab_inv = o->n_classes > 0 ? (int32_t)o->n_classes : (int32_t)global_max + 1;
    hd_events_block(o->inverted, rank, size, &b0, &bc);
    PetscCall(hd_idx_open(comm, o->images, 3, "images", &inv));
    PetscCall(PetscMalloc1(PetscMax(bc, 1) * pixels, &img8));
    PetscCall(PetscMalloc1(PetscMax(bc, 1) * pixels, &img));
    PetscCall(PetscMalloc1(PetscMax(bc, 1), &label));
    PetscCall(hd_idx_read(inv, b0, bc, img8));
    for (PetscInt i = 0; i < bc * pixels; i++) img[i] = 1.0f - (float)img8[i] / 255.0f;
    for (PetscInt i = 0; i < bc; i++) label[i] = lab_inv;
    PetscCall(hd_events_writer_write(w, n + b0, bc, NULL, NULL, label, NULL, bc > 0 ? img : NULL, NULL, NULL));
    PetscCall(hd_idx_close(&inv));
    PetscCall(PetscFree(img8));
    PetscCall(PetscFree(img));
    PetscCall(PetscFree(label));
    PetscCall(hd_events_writer_attr_int(w, "inverted_count", o->inverted));
  }
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
  if (o->n_classes > 0) {
    PetscInt    nc = o->n_classes;
    const char *names[HD_IMPORT_MAX_CLASSES + 1];
    for (PetscInt k = 0; k < nc; k++) names[k] = o->class_names[k];
    if (o->inverted > 0) names[nc++] = "inverted";
    PetscCall(hd_events_writer_attr_strings(w, "classes", nc, names));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* What `hadal import digits` adds to the digits (seed 000 appendix C's anomalies). */
typedef struct {
  char      csv[PETSC_MAX_PATH_LEN], fashion_images[PETSC_MAX_PATH_LEN], fashion_labels[PETSC_MAX_PATH_LEN];
  PetscBool inverted;
  PetscInt  fashion_count;
} hd_import_digits_opts;

/* Not collective. A 28x28 image (bytes 0..255) brought to 8x8 by averaging over the area each
 * output pixel covers (3.5 input pixels a side, fractional overlaps weighted), scaled to [0, 1]. */
static void hd_import_area_8x8(const unsigned char *in, float *out)
{
  const double f = 28.0 / 8.0;
  for (int oi = 0; oi < 8; oi++)
    for (int oj = 0; oj < 8; oj++) {
      double sum = 0;
      for (int i = (int)(oi * f); i < 28 && i < (oi + 1) * f; i++) {
        double wi = PetscMin(i + 1.0, (oi + 1) * f) - PetscMax((double)i, oi * f);
        for (int j = (int)(oj * f); j < 28 && j < (oj + 1) * f; j++) {
          double wj = PetscMin(j + 1.0, (oj + 1) * f) - PetscMax((double)j, oj * f);
          sum += wi * wj * in[i * 28 + j];
        }
      }
      out[oi * 8 + oj] = (float)(sum / (f * f) / 255.0);
    }
}

/* Collective. `hadal import digits`: the digits (pixel / 16, labels 0..9), then with -inverted
 * every digit again as 1 - x (label 10, "inverted"), then with -fashion_count the first items of
 * an idx image file brought to 8x8 (label 11, "fashion"). Every rank builds the small table and
 * writes its block. */
static PetscErrorCode hd_import_digits(MPI_Comm comm, const hd_import_digits_opts *d, const char *out)
{
  static const char *const names[12] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "inverted", "fashion"};
  PetscInt                 n_d, n, row0, count;
  unsigned char           *pix;
  int32_t                 *lab, *label;
  float                   *img;
  hd_events_layout         layout;
  hd_events_writer         w = NULL;
  int                      rank, size;
  char                     sha[HD_SHA256_HEX_LEN];
  PetscErrorCode           ierr;

  PetscFunctionBegin;
  PetscCheck(d->fashion_count >= 0, comm, HD_ERR_USER_INPUT, "-fashion_count must be >= 0 (got %" PetscInt_FMT ")", d->fashion_count);
  PetscCheck(d->fashion_count == 0 || d->fashion_images[0], comm, HD_ERR_USER_INPUT, "-fashion_count %" PetscInt_FMT " needs -fashion_images FILE (an idx file of 28x28 images)", d->fashion_count);
  PetscCall(hd_digits_read(comm, d->csv, &n_d, &pix, &lab));
  n = n_d * (d->inverted ? 2 : 1) + d->fashion_count;
  PetscCall(PetscMalloc2((size_t)n * 64, &img, n, &label));
  for (PetscInt i = 0; i < n_d; i++) {
    for (int k = 0; k < 64; k++) img[i * 64 + k] = (float)pix[i * 64 + k] / 16.0f;
    label[i] = lab[i];
    if (d->inverted) {
      for (int k = 0; k < 64; k++) img[(n_d + i) * 64 + k] = 1.0f - img[i * 64 + k];
      label[n_d + i] = 10;
    }
  }
  PetscCall(PetscFree(pix));
  PetscCall(PetscFree(lab));
  if (d->fashion_count > 0) {
    hd_idx         fi;
    unsigned char *raw;
    PetscInt       first = n_d * (d->inverted ? 2 : 1);
    PetscCall(hd_idx_open(comm, d->fashion_images, 3, "images", &fi));
    PetscCheck(hd_idx_dim(fi, 1) == 28 && hd_idx_dim(fi, 2) == 28, comm, HD_ERR_FILE_READ, "-fashion_images '%s' holds %" PetscInt_FMT "x%" PetscInt_FMT " images; 28x28 are needed", d->fashion_images, hd_idx_dim(fi, 1), hd_idx_dim(fi, 2));
    PetscCheck(d->fashion_count <= hd_idx_count(fi), comm, HD_ERR_USER_INPUT, "-fashion_count %" PetscInt_FMT " is more than the %" PetscInt_FMT " images of '%s'", d->fashion_count, hd_idx_count(fi), d->fashion_images);
    PetscCall(PetscMalloc1((size_t)d->fashion_count * 784, &raw));
    PetscCall(hd_idx_read(fi, 0, d->fashion_count, raw)); /* every rank reads the same first items */
    PetscCall(hd_idx_close(&fi));
    for (PetscInt i = 0; i < d->fashion_count; i++) {
      hd_import_area_8x8(raw + (size_t)i * 784, img + (size_t)(first + i) * 64);
      label[first + i] = 11;
    }
    PetscCall(PetscFree(raw));
  }
  PetscCall(PetscMemzero(&layout, sizeof(layout)));
  layout.n_events = n;
  layout.image_h = layout.image_w = 8;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  hd_events_block(n, rank, size, &row0, &count);
  PetscCall(hd_import_checksum(comm, d->csv, sha));
  PetscCall(hd_events_writer_create(comm, out, &layout, &w));
  ierr = hd_events_writer_write(w, row0, count, NULL, NULL, label + row0, NULL, img + (size_t)row0 * 64, NULL, NULL);
  if (!ierr) ierr = hd_events_writer_attr_string(w, "source", "digits");
  if (!ierr) ierr = hd_events_writer_attr_string(w, "digits_file", d->csv);
  if (!ierr) ierr = hd_events_writer_attr_string(w, "digits_sha256", sha);
  if (!ierr) ierr = hd_events_writer_attr_strings(w, "classes", 12, names);
  if (!ierr && d->fashion_count > 0) ierr = hd_events_writer_attr_string(w, "fashion_images_file", d->fashion_images);
  if (!ierr) ierr = hd_events_writer_attr_string(w, "hadal_version", HADAL_VERSION);
  if (ierr) (void)hd_events_writer_discard(&w);
  PetscCall(PetscFree2(img, label));
  PetscCall(ierr);
  PetscCall(hd_events_writer_close(&w));
  PetscCall(hd_log(comm, "imported %" PetscInt_FMT " digits%s and %" PetscInt_FMT " fashion items as 8x8 images into %s\n", n_d, d->inverted ? " (and their inverses)" : "", d->fashion_count, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* `hadal import darkmachines -i A.csv[,B.csv...] -o F.h5 [-label K[,K2...]]`: Dark Machines CSV
 * files into one event file with both encodings of seed 003 section 5 (include/hadal/generate.h).
 * Every rank parses every file (a malformed line is one error naming the file and line on all ranks,
 * and nothing is written) and writes its block of rows. Slot counts per object type come from the
 * data (the most objects of the type in one event) unless -slots gives them. */
#define HD_IMPORT_DM_MAX_FILES 64
static PetscErrorCode hd_cmd_import_darkmachines(MPI_Comm comm, int nargs, char **args)
{
  static const char *usage = "hadal import darkmachines -i A.csv[,B.csv,...] -o FILE.h5 [-label K[,K2,...]] [-slots j,b,e-,e+,m-,m+,g] [-flow_jets 7] [-flow_leptons 4]";
  char               inputs[8192], out[PETSC_MAX_PATH_LEN], *files[HD_IMPORT_DM_MAX_FILES], *save = NULL, *tok;
  PetscInt           labels[HD_IMPORT_DM_MAX_FILES], n_labels = HD_IMPORT_DM_MAX_FILES, slots[HD_DM_NTYPES], n_slots = HD_DM_NTYPES, n_files = 0, N = 0, W, row0, count, lmax = 0;
  PetscBool          help_only, slots_set;
  hd_dm_csv          csv[HD_IMPORT_DM_MAX_FILES];
  hd_dm_encoding     enc;
  hd_events_layout   layout;
  hd_events_writer   w = NULL;
  char             (*names)[HD_NAME_LEN] = NULL, sig[HD_IMPORT_DM_MAX_FILES][HD_NAME_LEN];
  const char        *sigp[HD_IMPORT_DM_MAX_FILES];
  float             *feat = NULL, *wt = NULL;
  int32_t           *lab = NULL;
  int                rank, size;
  PetscErrorCode     ierr;

  PetscFunctionBegin;
  hd_dm_encoding_defaults(&enc);
  PetscCall(hd_opt_string("-i", "Dark Machines CSV file(s), comma-separated", NULL, inputs, sizeof(inputs), NULL));
  PetscCall(hd_opt_string("-o", "output event file (HDF5)", NULL, out, sizeof(out), NULL));
  PetscCall(hd_opt_int_list("-label", "label of every event of each file (one value for all files, or one per file); label k > 0 is signal k", "0", labels, &n_labels, NULL));
  PetscCall(hd_opt_int_list("-slots", "SVDD slots per type j,b,e-,e+,m-,m+,g (when not given: the most in one event of the data)", "0,0,0,0,0,0,0", slots, &n_slots, &slots_set));
  PetscCall(hd_opt_int("-flow_jets", "jets or b-jets in the flow encoding", enc.flow_jets, &enc.flow_jets, NULL));
  PetscCall(hd_opt_int("-flow_leptons", "leptons in the flow encoding", enc.flow_leptons, &enc.flow_leptons, NULL));
  PetscCall(hd_opt_finish(comm, usage, &help_only));
  if (help_only) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(nargs == 1, comm, HD_ERR_USER_INPUT, "unexpected argument '%s' after 'import darkmachines'; usage: %s", args[1], usage);
  PetscCheck(inputs[0], comm, HD_ERR_USER_INPUT, "-i FILE.csv is required; usage: %s", usage);
  PetscCheck(out[0], comm, HD_ERR_USER_INPUT, "-o FILE.h5 is required; usage: %s", usage);
  PetscCall(hd_h5_output_check(comm, "-o", out));
  PetscCheck(enc.flow_jets >= 0 && enc.flow_leptons >= 0, comm, HD_ERR_USER_INPUT, "-flow_jets and -flow_leptons must be non-negative");
  for (tok = strtok_r(inputs, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    PetscCheck(n_files < HD_IMPORT_DM_MAX_FILES, comm, HD_ERR_USER_INPUT, "-i: at most %d files", HD_IMPORT_DM_MAX_FILES);
    files[n_files++] = tok;
  }
  PetscCheck(n_labels == 1 || n_labels == n_files, comm, HD_ERR_USER_INPUT, "-label gives %" PetscInt_FMT " values for %" PetscInt_FMT " files: give one, or one per file", n_labels, n_files);
  PetscCheck(!slots_set || n_slots == HD_DM_NTYPES, comm, HD_ERR_USER_INPUT, "-slots needs %d values (j,b,e-,e+,m-,m+,g), got %" PetscInt_FMT, HD_DM_NTYPES, n_slots);
  for (PetscInt f = 0; f < n_files; f++) {
    PetscInt lf = labels[n_labels == 1 ? 0 : f];
    PetscCheck(lf >= 0, comm, HD_ERR_USER_INPUT, "-label: labels must be non-negative (got %" PetscInt_FMT ")", lf);
    lmax = PetscMax(lmax, lf);
  }
  PetscCall(PetscMemzero(csv, sizeof(csv)));
  for (PetscInt t = 0; t < HD_DM_NTYPES; t++) enc.slots[t] = slots_set ? slots[t] : 0;
  for (PetscInt f = 0; f < n_files; f++) {
    ierr = hd_dm_csv_read(comm, files[f], &csv[f]);
    if (ierr) {
      for (PetscInt g = 0; g < f; g++) (void)hd_dm_csv_free(&csv[g]);
      PetscCall(ierr);
    }
    N += csv[f].n;
    if (!slots_set)
      for (PetscInt t = 0; t < HD_DM_NTYPES; t++) enc.slots[t] = PetscMax(enc.slots[t], csv[f].max_count[t]);
  }
  /* signal k is named by the process_id of the first file labelled k */
  for (PetscInt k = 0; k < lmax; k++) snprintf(sig[k], HD_NAME_LEN, "signal_%d", (int)k + 1);
  for (PetscInt f = n_files - 1; f >= 0; f--) {
    PetscInt lf = labels[n_labels == 1 ? 0 : f];
    if (lf > 0) snprintf(sig[lf - 1], HD_NAME_LEN, "%s", csv[f].process[0]);
  }
  for (PetscInt k = 0; k < lmax; k++) sigp[k] = sig[k];
  W = hd_dm_svdd_width(&enc) + hd_dm_flow_width(&enc);
  PetscCall(PetscMalloc1(W, &names));
  hd_dm_feature_names(&enc, names);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  hd_events_block(N, rank, size, &row0, &count);
  PetscCall(PetscMalloc3((size_t)PetscMax(count, 1) * W, &feat, PetscMax(count, 1), &wt, PetscMax(count, 1), &lab));
  for (PetscInt f = 0, g = 0; f < n_files; f++)
    for (PetscInt i = 0; i < csv[f].n; i++, g++) {
      if (g < row0 || g >= row0 + count) continue;
      hd_dm_encode(&enc, &csv[f].events[i], feat + (size_t)(g - row0) * W);
      wt[g - row0]  = (float)csv[f].weight[i];
      lab[g - row0] = (int32_t)labels[n_labels == 1 ? 0 : f];
    }
  PetscCall(PetscMemzero(&layout, sizeof(layout)));
  layout.n_events      = N;
  layout.n_features    = W;
  layout.feature_names = names;
  layout.has_weight    = PETSC_TRUE;
  PetscCall(hd_events_writer_create(comm, out, &layout, &w));
  ierr = hd_events_writer_write(w, row0, count, feat, NULL, lab, wt, NULL, NULL, NULL);
  if (!ierr) ierr = hd_events_writer_attr_string(w, "source", "darkmachines");
  if (!ierr && lmax > 0) ierr = hd_events_writer_attr_strings(w, "signals", lmax, sigp);
  if (!ierr) ierr = hd_events_writer_attr_string(w, "hadal_version", HADAL_VERSION);
  if (ierr) (void)hd_events_writer_discard(&w);
  else ierr = hd_events_writer_close(&w);
  for (PetscInt f = 0; f < n_files; f++) PetscCall(hd_dm_csv_free(&csv[f]));
  PetscCall(PetscFree3(feat, wt, lab));
  PetscCall(PetscFree(names));
  PetscCall(ierr);
  PetscCall(hd_log(comm, "imported %" PetscInt_FMT " Dark Machines events from %" PetscInt_FMT " file%s into %s: %" PetscInt_FMT " SVDD columns (slots j %" PetscInt_FMT " b %" PetscInt_FMT " e- %" PetscInt_FMT " e+ %" PetscInt_FMT " m- %" PetscInt_FMT " m+ %" PetscInt_FMT " g %" PetscInt_FMT "), %" PetscInt_FMT " flow columns\n", N, n_files, n_files == 1 ? "" : "s", out, hd_dm_svdd_width(&enc), enc.slots[0], enc.slots[1], enc.slots[2], enc.slots[3], enc.slots[4], enc.slots[5], enc.slots[6], hd_dm_flow_width(&enc)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* `hadal import lhco -i FILE -o F.h5 [-key df]`: the LHC Olympics 2020 R&D high-level-features file
 * (a pandas DataFrame written by to_hdf, GeV) into an event file with the lhco generator's features
 * and mjj (docs/formats.md). Every rank reads its own rows, a bounded chunk at a time; a value that
 * is not finite or a label that is not 0 or 1 is one error naming the file, the column and the row,
 * on every rank, and nothing is written then. */
#define HD_IMPORT_LHCO_CHUNK 65536
static const char *const hd_import_lhco_columns[15] = {"pxj1", "pyj1", "pzj1", "mj1", "tau1j1", "tau2j1", "tau3j1", "pxj2", "pyj2", "pzj2", "mj2", "tau1j2", "tau2j2", "tau3j2", "label"};

/* Collective. Rows and attributes into the open writer; *n_zero: tau ratios set to 1. */
static PetscErrorCode hd_import_lhco_write(MPI_Comm comm, hd_pandas_frame df, const char *in, hd_events_writer w, int64_t *n_zero)
{
  const PetscInt n = hd_pandas_rows(df);
  PetscInt       cols[15], row0, count, max_block, n_chunks;
  int            rank, size;
  double        *raw;
  float         *feat, *mass;
  int32_t       *label;
  int64_t        zero_local = 0;

  PetscFunctionBegin;
  for (int k = 0; k < 15; k++) PetscCall(hd_pandas_column(comm, df, hd_import_lhco_columns[k], &cols[k]));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  hd_events_block(n, rank, size, &row0, &count);
  max_block = n / size + (n % size ? 1 : 0);
  n_chunks  = (max_block + HD_IMPORT_LHCO_CHUNK - 1) / HD_IMPORT_LHCO_CHUNK;
  PetscCall(PetscMalloc4((size_t)HD_IMPORT_LHCO_CHUNK * 15, &raw, (size_t)HD_IMPORT_LHCO_CHUNK * HD_GEN_LHCO_NFEATURES, &feat, HD_IMPORT_LHCO_CHUNK, &mass, HD_IMPORT_LHCO_CHUNK, &label));
  for (PetscInt c = 0; c < n_chunks; c++) {
    PetscInt first = PetscMin(c * HD_IMPORT_LHCO_CHUNK, count), m = PetscMin(HD_IMPORT_LHCO_CHUNK, count - first);
    int64_t  bad = INT64_MAX, bad_all; /* (global row) * 32 + column * 2 + (1: label not 0/1, 0: not finite) */

    PetscCall(hd_pandas_read(df, 15, cols, row0 + first, m, raw));
    for (PetscInt i = 0; i < m && bad == INT64_MAX; i++) {
      const double *r = raw + (size_t)i * 15;
      double        jet[2][7], mjj;

      for (int k = 0; k < 15 && bad == INT64_MAX; k++)
        if (!isfinite(r[k])) bad = (int64_t)(row0 + first + i) * 32 + k * 2;
      if (bad == INT64_MAX && r[14] != 0.0 && r[14] != 1.0) bad = (int64_t)(row0 + first + i) * 32 + 14 * 2 + 1;
      if (bad != INT64_MAX) break;
      for (int j = 0; j < 2; j++)
        for (int k = 0; k < 7; k++) jet[j][k] = r[7 * j + k];
      zero_local += hd_gen_lhco_from_jets(jet, feat + (size_t)i * HD_GEN_LHCO_NFEATURES, &mjj);
      mass[i]  = (float)mjj;
      label[i] = (int32_t)r[14];
    }
    /* a bad value on any rank stops every rank before the next collective write */
    PetscCallMPI(MPI_Allreduce(&bad, &bad_all, 1, MPI_INT64_T, MPI_MIN, comm));
    if (bad_all != INT64_MAX) {
      int64_t row = bad_all / 32, col = (bad_all % 32) / 2;

      PetscCall(PetscFree4(raw, feat, mass, label));
      PetscCheck(bad_all % 2 == 0, comm, HD_ERR_FILE_READ, "'%s': column 'label' of row %" PRId64 " is neither 0 nor 1", in, row);
      SETERRQ(comm, HD_ERR_FILE_READ, "'%s': column '%s' of row %" PRId64 " is not a finite number", in, hd_import_lhco_columns[col], row);
    }
    PetscCall(hd_events_writer_write(w, row0 + first, m, m > 0 ? feat : NULL, m > 0 ? mass : NULL, m > 0 ? label : NULL, NULL, NULL, NULL, NULL));
  }
  PetscCall(PetscFree4(raw, feat, mass, label));
  PetscCallMPI(MPI_Allreduce(&zero_local, n_zero, 1, MPI_INT64_T, MPI_SUM, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_cmd_import_lhco(MPI_Comm comm, int nargs, char **args)
{
  static const char *usage      = "hadal import lhco -i FILE.h5 -o FILE.h5 [-key KEY]";
  const char *const  classes[2] = {"qcd_dijet", "wprime_xy"};
  char               in[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN], key[256], sha[HD_SHA256_HEX_LEN];
  char             (*names)[HD_NAME_LEN] = NULL;
  PetscBool          help_only;
  hd_pandas_frame    df = NULL;
  hd_events_layout   layout;
  hd_events_writer   w = NULL;
  int64_t            n_zero = 0;
  PetscErrorCode     ierr;
  double             t0 = hd_wtime();

  PetscFunctionBegin;
  PetscCall(hd_opt_string("-i", "the R&D high-level-features file: a pandas DataFrame written by to_hdf, columns pxj1 pyj1 pzj1 mj1 tau1j1 tau2j1 tau3j1 (and j2) label, GeV", NULL, in, sizeof(in), NULL));
  PetscCall(hd_opt_string("-o", "output event file (HDF5)", NULL, out, sizeof(out), NULL));
  PetscCall(hd_opt_string("-key", "the DataFrame's key in the input file (to_hdf's key); default: the file's only top-level group", "", key, sizeof(key), NULL));
  PetscCall(hd_opt_finish(comm, usage, &help_only));
  if (help_only) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(nargs == 1, comm, HD_ERR_USER_INPUT, "unexpected argument '%s' after 'import lhco'; usage: %s", args[1], usage);
  PetscCheck(in[0], comm, HD_ERR_USER_INPUT, "-i FILE.h5 is required; usage: %s", usage);
  PetscCheck(out[0], comm, HD_ERR_USER_INPUT, "-o FILE.h5 is required; usage: %s", usage);
  PetscCall(hd_h5_output_check(comm, "-o", out));
  PetscCall(hd_pandas_open(comm, in, key, &df));
  PetscCall(PetscMalloc1(HD_GEN_LHCO_NFEATURES, &names));
  for (int k = 0; k < HD_GEN_LHCO_NFEATURES; k++) PetscCall(PetscStrncpy(names[k], hd_gen_lhco_feature_names[k], HD_NAME_LEN));
  PetscCall(PetscMemzero(&layout, sizeof(layout)));
  layout.n_events      = hd_pandas_rows(df);
  layout.n_features    = HD_GEN_LHCO_NFEATURES;
  layout.feature_names = names;
  layout.has_mass      = PETSC_TRUE;
  ierr                 = hd_import_checksum(comm, in, sha);
  if (!ierr) ierr = hd_events_writer_create(comm, out, &layout, &w);
  if (!ierr) ierr = hd_import_lhco_write(comm, df, in, w, &n_zero);
  if (!ierr) ierr = hd_events_writer_attr_string(w, "source", "lhco_rnd");
  if (!ierr) ierr = hd_events_writer_attr_string(w, "input_file", in);
  if (!ierr) ierr = hd_events_writer_attr_string(w, "input_sha256", sha);
  if (!ierr) ierr = hd_events_writer_attr_string(w, "input_key", hd_pandas_key(df));
  if (!ierr) ierr = hd_events_writer_attr_strings(w, "classes", 2, classes);
  if (!ierr) ierr = hd_events_writer_attr_strings(w, "signals", 1, classes + 1);
  if (!ierr) ierr = hd_events_writer_attr_string(w, "mass_variable", "mjj");
  if (!ierr) ierr = hd_events_writer_attr_int(w, "tau_ratio_zero_denominators", n_zero);
  if (!ierr) ierr = hd_events_writer_attr_string(w, "hadal_version", HADAL_VERSION);
  if (ierr) (void)hd_events_writer_discard(&w);
  else ierr = hd_events_writer_close(&w);
  (void)hd_pandas_close(&df);
  PetscCall(PetscFree(names));
  PetscCall(ierr);
  PetscCall(hd_log(comm, "imported %" PetscInt_FMT " LHC Olympics events from %s into %s (mjj and 6 features; %" PRId64 " tau ratios with a zero denominator set to 1) in %.2f s\n", layout.n_events, in, out, n_zero, hd_wtime() - t0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_cmd_import(MPI_Comm comm, int nargs, char **args)
{
  static const char *usage = "hadal import idx -images FILE -labels FILE -o FILE.h5 [-class_names a,b,...] | hadal import digits -o FILE.h5 [-csv digits.csv.gz] [-inverted] [-fashion_images FILE -fashion_count N] | hadal import lhco -i FILE.h5 -o FILE.h5 [-key KEY] | hadal import darkmachines -i A.csv -o FILE.h5";
  hd_import_digits_opts dig;
  hd_import_opts    *o;
  hd_idx             images = NULL, labels = NULL;
  hd_events_layout   layout;
  hd_events_writer   w = NULL;
  PetscBool          help_only;
  PetscErrorCode     ierr;
  double             t0 = hd_wtime();

  PetscFunctionBegin;
  if (nargs >= 1 && !strcmp(args[0], "darkmachines")) {
    PetscCall(hd_cmd_import_darkmachines(comm, nargs, args));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (nargs >= 1 && !strcmp(args[0], "lhco")) {
    PetscCall(hd_cmd_import_lhco(comm, nargs, args));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscCalloc1(1, &o));
  PetscCall(hd_opt_string("-images", "idx file of images: N x H x W unsigned bytes, gzipped or not (magic 0x00000803)", NULL, o->images, sizeof(o->images), NULL));
  PetscCall(hd_opt_string("-labels", "idx file of labels: N unsigned bytes, gzipped or not (magic 0x00000801)", NULL, o->labels, sizeof(o->labels), NULL));
  PetscCall(hd_opt_string("-o", "output event file (HDF5): /events/images float32 [N,H,W] = pixel/255, /events/label int32 [N]", NULL, o->out, sizeof(o->out), NULL));
  PetscCall(hd_opt_string("-class_names", "comma-separated names of label values 0, 1, ... (stored as the root attribute classes)", NULL, o->class_text, sizeof(o->class_text), NULL));
  PetscCall(hd_opt_int("-inverted_count", "idx: also the first N images inverted, 1 - x, as one more class ('inverted', the label after the last)", 0, &o->inverted, NULL));
  PetscCall(PetscMemzero(&dig, sizeof(dig)));
  PetscCall(hd_opt_string("-csv", "digits: scikit-learn's digits.csv.gz (UCI optdigits, 8x8, pixels 0..16)", "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz", dig.csv, sizeof(dig.csv), NULL));
  PetscCall(hd_opt_bool("-inverted", "digits: also every digit inverted, 1 - x (class 'inverted', label 10)", PETSC_FALSE, &dig.inverted, NULL));
  PetscCall(hd_opt_string("-fashion_images", "digits: idx file of 28x28 images whose first -fashion_count items are added at 8x8 (class 'fashion', label 11)", "", dig.fashion_images, sizeof(dig.fashion_images), NULL));
  PetscCall(hd_opt_int("-fashion_count", "digits: how many of -fashion_images to add", 0, &dig.fashion_count, NULL));
  PetscCall(hd_opt_finish(comm, usage, &help_only));
  if (help_only) {
    PetscCall(PetscFree(o));
    PetscFunctionReturn(PETSC_SUCCESS);
  }

  PetscCheck(nargs >= 1, comm, HD_ERR_USER_INPUT, "import needs the input format: %s", usage);
  if (!strcmp(args[0], "digits")) {
    PetscCheck(nargs == 1, comm, HD_ERR_USER_INPUT, "unexpected argument '%s' after 'import digits'; usage: %s", args[1], usage);
    PetscCheck(o->out[0], comm, HD_ERR_USER_INPUT, "-o FILE.h5 is required; usage: %s", usage);
    PetscCall(hd_h5_output_check(comm, "-o", o->out));
    ierr = hd_import_digits(comm, &dig, o->out);
    PetscCall(PetscFree(o));
    PetscCall(ierr);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCheck(!strcmp(args[0], "idx"), comm, HD_ERR_USER_INPUT, "unknown import format '%s' (known: idx, darkmachines, digits, lhco); usage: %s", args[0], usage);
  PetscCheck(nargs == 1, comm, HD_ERR_USER_INPUT, "unexpected argument '%s' after 'import idx'; usage: %s", args[1], usage);
  PetscCheck(o->images[0], comm, HD_ERR_USER_INPUT, "-images FILE is required; usage: %s", usage);
  PetscCheck(o->labels[0], comm, HD_ERR_USER_INPUT, "-labels FILE is required; usage: %s", usage);
  PetscCheck(o->out[0], comm, HD_ERR_USER_INPUT, "-o FILE.h5 is required; usage: %s", usage);
  PetscCall(hd_h5_output_check(comm, "-o", o->out));
  PetscCall(hd_import_split_names(comm, o));

  PetscCall(hd_idx_open(comm, o->labels, 1, "labels", &labels));
  PetscCall(hd_idx_open(comm, o->images, 3, "images", &images));
  PetscCheck(hd_idx_count(images) == hd_idx_count(labels), comm, HD_ERR_FILE_READ, "images file '%s' holds %" PetscInt_FMT " images but labels file '%s' holds %" PetscInt_FMT " labels; they must agree", o->images, hd_idx_count(images), o->labels, hd_idx_count(labels));

  PetscCall(PetscMemzero(&layout, sizeof(layout)));
  PetscCheck(o->inverted >= 0 && o->inverted <= hd_idx_count(images), comm, HD_ERR_USER_INPUT, "-inverted_count %" PetscInt_FMT " must lie in [0, %" PetscInt_FMT "] (the images of '%s')", o->inverted, hd_idx_count(images), o->images);
  layout.n_events = hd_idx_count(images) + o->inverted;
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
