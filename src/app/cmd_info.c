/* `hadal info FILE`: what an event file holds. Collective: every rank reads its block, and counts,
 * ranges and moments are reduced (nothing is gathered to one rank). */
#include <float.h>
#include <string.h>
#include <hadal/events.h>
#include <hadal/h5.h>
#include <hadal/log.h>
#include <hadal/options.h>
#include "commands.h"

#define HD_INFO_MAX_LABEL 64

static herr_t hd_info_print_attr(hid_t obj, const char *name, const H5A_info_t *ainfo, void *ctx)
{
  hid_t       attr = H5Aopen(obj, name, H5P_DEFAULT), type = H5Aget_type(attr), space = H5Aget_space(attr);
  H5T_class_t cls  = H5Tget_class(type);
  hssize_t    n    = H5Sget_simple_extent_npoints(space);

  (void)ainfo;
  (void)ctx;
  printf("  %-22s ", name);
  if (cls == H5T_STRING) {
    PetscInt count;
    char    *values;
    if (hd_h5_attr_read_strings(obj, name, 256, &count, &values) == PETSC_SUCCESS) {
      for (PetscInt i = 0; i < count; i++) printf("%s%s", i ? ", " : "", values + (size_t)i * 256);
      PetscFree(values);
    }
  } else if (cls == H5T_INTEGER && n == 1) {
    long long v = 0;
    H5Aread(attr, H5T_NATIVE_LLONG, &v);
    printf("%lld", v);
  } else if (cls == H5T_FLOAT && n == 1) {
    double v = 0;
    H5Aread(attr, H5T_NATIVE_DOUBLE, &v);
    printf("%.6g", v);
  } else {
    printf("(%lld values)", (long long)n);
  }
  printf("\n");
  H5Sclose(space);
  H5Tclose(type);
  H5Aclose(attr);
  return 0;
}

PetscErrorCode hd_cmd_info(MPI_Comm comm, int nargs, char **args)
{
  const char *usage = "hadal info FILE [-require features,mass,...]";
  hd_events   ev;
  PetscBool   help_only;
  int         rank;
  char        require[256];
  const char *need[8] = {NULL};
  int         n_need  = 0;

  PetscFunctionBegin;
  PetscCall(hd_opt_string("-require", "fail unless the file holds these datasets (features, mass, weight, images, sets)", "", require, sizeof(require), NULL));
  PetscCall(hd_opt_finish(comm, usage, &help_only));
  if (help_only) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(nargs == 1, comm, HD_ERR_USER_INPUT, "hadal info takes one event file (usage: %s), got %d arguments", usage, nargs);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  double t0 = hd_wtime();
  for (char *tok = strtok(require, ","); tok; tok = strtok(NULL, ",")) {
    static const char *const known[] = {"features", "mass", "weight", "images", "sets"};
    PetscBool ok = PETSC_FALSE;
    for (int k = 0; k < 5; k++) ok = ok || !strcmp(tok, known[k]);
    PetscCheck(ok && n_need < 7, comm, HD_ERR_USER_INPUT, "option -require: unknown dataset '%s' (known: features, mass, weight, images, sets)", tok);
    need[n_need++] = tok;
  }
  PetscCall(hd_events_read(comm, args[0], need, &ev));
  double t_read = hd_wtime() - t0;

  const hd_events_layout *L = &ev.layout;
  PetscInt                F = L->n_features;
  /* label counts: labels -1 .. HD_INFO_MAX_LABEL-2 are counted, others flagged */
  int64_t counts[HD_INFO_MAX_LABEL + 1] = {0}, gcounts[HD_INFO_MAX_LABEL + 1];
  for (PetscInt i = 0; i < ev.n_local; i++) {
    int32_t l = ev.label[i];
    counts[(l >= -1 && l < HD_INFO_MAX_LABEL - 1) ? l + 1 : HD_INFO_MAX_LABEL]++;
  }
  PetscCallMPI(MPI_Allreduce(counts, gcounts, HD_INFO_MAX_LABEL + 1, MPI_INT64_T, MPI_SUM, comm));

  /* per-column sums in double (F columns plus the mass) so means and widths do not lose digits */
  PetscInt ncol = F + (L->has_mass ? 1 : 0);
  double  *mom, *gmom, *lo, *hi, *glo, *ghi;
  PetscCall(PetscCalloc1(2 * (ncol + 1), &mom));
  PetscCall(PetscCalloc1(2 * (ncol + 1), &gmom));
  PetscCall(PetscMalloc4(ncol + 1, &lo, ncol + 1, &hi, ncol + 1, &glo, ncol + 1, &ghi));
  for (PetscInt j = 0; j < ncol; j++) {
    lo[j] = DBL_MAX;
    hi[j] = -DBL_MAX;
  }
  for (PetscInt i = 0; i < ev.n_local; i++) {
    for (PetscInt j = 0; j < ncol; j++) {
      double v = j < F ? ev.features[i * F + j] : ev.mass[i];
      mom[2 * j] += v;
      mom[2 * j + 1] += v * v;
      lo[j] = PetscMin(lo[j], v);
      hi[j] = PetscMax(hi[j], v);
    }
  }
  PetscCallMPI(MPI_Allreduce(mom, gmom, (int)(2 * ncol), MPI_DOUBLE, MPI_SUM, comm));
  PetscCallMPI(MPI_Allreduce(lo, glo, (int)ncol, MPI_DOUBLE, MPI_MIN, comm));
  PetscCallMPI(MPI_Allreduce(hi, ghi, (int)ncol, MPI_DOUBLE, MPI_MAX, comm));

  if (rank == 0) {
    double N = (double)L->n_events;
    int    size;
    MPI_Comm_size(comm, &size);
    printf("file: %s\n", args[0]);
    printf("events: %" PetscInt_FMT " (read in %.3f s on %d ranks)\n", L->n_events, t_read, size);
    printf("datasets:\n");
    printf("  /events/label     int32   [%" PetscInt_FMT "]\n", L->n_events);
    if (F > 0) printf("  /events/features  float32 [%" PetscInt_FMT ", %" PetscInt_FMT "]\n", L->n_events, F);
    if (L->has_mass) printf("  /events/mass      float32 [%" PetscInt_FMT "]\n", L->n_events);
    if (L->has_weight) printf("  /events/weight    float32 [%" PetscInt_FMT "]\n", L->n_events);
    if (L->image_h > 0) printf("  /events/images    float32 [%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT "]\n", L->n_events, L->image_h, L->image_w);
    if (L->set_size > 0) printf("  /events/sets      float32 [%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT "]\n", L->n_events, L->set_size, L->set_width);
    /* label names: the file's "classes" attribute when it has one (label = class index),
     * otherwise the convention of DESIGN.md: 0 background, k > 0 signal k, -1 unknown */
    PetscInt n_classes = 0;
    char    *classes   = NULL;
    hid_t    cfid      = H5Fopen(args[0], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (cfid >= 0) {
      if (hd_h5_attr_read_strings(cfid, "classes", HD_NAME_LEN, &n_classes, &classes) != PETSC_SUCCESS) n_classes = 0;
      H5Fclose(cfid);
    }
    printf("labels:\n");
    for (int k = 0; k < HD_INFO_MAX_LABEL; k++) {
      if (!gcounts[k]) continue;
      const char *name = k == 0 ? "unknown" : k == 1 ? "background" : "signal";
      if (k >= 1 && k - 1 < n_classes) name = classes + (size_t)(k - 1) * HD_NAME_LEN;
      printf("  %3d: %10lld (%.4f%%) %s\n", k - 1, (long long)gcounts[k], 100.0 * gcounts[k] / N, name);
    }
    PetscFree(classes);
    if (gcounts[HD_INFO_MAX_LABEL]) printf("  other labels: %lld\n", (long long)gcounts[HD_INFO_MAX_LABEL]);
    if (ncol > 0) printf("columns:                  mean         std         min         max\n");
    for (PetscInt j = 0; j < ncol; j++) {
      double mean = gmom[2 * j] / N, var = PetscMax(gmom[2 * j + 1] / N - mean * mean, 0.0);
      printf("  %-16s %11.5g %11.5g %11.5g %11.5g\n", j < F ? L->feature_names[j] : "mass", mean, PetscSqrtReal(var), glo[j], ghi[j]);
    }
    hid_t fid = H5Fopen(args[0], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fid >= 0) {
      printf("attributes:\n");
      H5Aiterate2(fid, H5_INDEX_NAME, H5_ITER_INC, NULL, hd_info_print_attr, NULL);
      H5Fclose(fid);
    }
    fflush(stdout);
  }
  PetscCall(PetscFree4(lo, hi, glo, ghi));
  PetscCall(PetscFree(mom));
  PetscCall(PetscFree(gmom));
  PetscCall(hd_events_free(&ev));
  PetscFunctionReturn(PETSC_SUCCESS);
}
