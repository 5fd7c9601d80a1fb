/* `hadal info FILE`: what an event file holds. Collective: every rank reads its block, and counts,
 * ranges and moments are reduced through src/par (nothing is gathered to one rank); the moments
 * are the exact fixed-point ones of hd_stats_moments, so the output is the same at any rank count.
 * The root attributes are read by every rank (collective metadata reads) and printed by rank 0. */
#include <float.h>
#include <string.h>
#include <hadal/events.h>
#include <hadal/h5.h>
#include <hadal/log.h>
#include <hadal/options.h>
#include <hadal/par.h>
#include <hadal/stats.h>
#include "commands.h"

#define HD_INFO_MAX_LABEL 64
#define HD_INFO_TEXT      1024

/* Collective. The datasets and their shapes. */
static PetscErrorCode hd_info_datasets(MPI_Comm comm, const hd_events_layout *L)
{
  PetscFunctionBegin;
  PetscCall(PetscPrintf(comm, "datasets:\n"));
  PetscCall(PetscPrintf(comm, "  /events/label     int32   [%" PetscInt_FMT "]\n", L->n_events));
  if (L->n_features > 0) PetscCall(PetscPrintf(comm, "  /events/features  float32 [%" PetscInt_FMT ", %" PetscInt_FMT "]\n", L->n_events, L->n_features));
  if (L->has_mass) PetscCall(PetscPrintf(comm, "  /events/mass      float32 [%" PetscInt_FMT "]\n", L->n_events));
  if (L->has_weight) PetscCall(PetscPrintf(comm, "  /events/weight    float32 [%" PetscInt_FMT "]\n", L->n_events));
  if (L->image_h > 0) PetscCall(PetscPrintf(comm, "  /events/images    float32 [%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT "]\n", L->n_events, L->image_h, L->image_w));
  if (L->set_size > 0) PetscCall(PetscPrintf(comm, "  /events/sets      float32 [%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT "]\n", L->n_events, L->set_size, L->set_width));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Label counts (labels -1 .. HD_INFO_MAX_LABEL - 2 one by one, others together),
 * named by the file's "classes" attribute when it has one (label = class index), otherwise by
 * DESIGN.md's convention: 0 background, k > 0 signal k, -1 unknown. */
static PetscErrorCode hd_info_labels(MPI_Comm comm, hid_t fid, const hd_events *ev)
{
  int64_t  counts[HD_INFO_MAX_LABEL + 1] = {0};
  PetscInt n_classes                    = 0;
  char    *classes                      = NULL;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < ev->n_local; i++) {
    int32_t l = ev->label[i];
    counts[(l >= -1 && l < HD_INFO_MAX_LABEL - 1) ? l + 1 : HD_INFO_MAX_LABEL]++;
  }
  PetscCall(hd_par_sum_int64(comm, HD_INFO_MAX_LABEL + 1, counts, counts));
  PetscCall(hd_error_agree(comm, hd_h5_attr_read_strings(fid, "classes", HD_NAME_LEN, &n_classes, &classes)));
  PetscCall(PetscPrintf(comm, "labels:\n"));
  for (int k = 0; k < HD_INFO_MAX_LABEL; k++) {
    if (!counts[k]) continue;
    const char *name = k == 0 ? "unknown" : k == 1 ? "background" : "signal";
    if (k >= 1 && k - 1 < n_classes) name = classes + (size_t)(k - 1) * HD_NAME_LEN;
    PetscCall(PetscPrintf(comm, "  %3d: %10lld (%.4f%%) %s\n", k - 1, (long long)counts[k], 100.0 * (double)counts[k] / (double)ev->layout.n_events, name));
  }
  if (counts[HD_INFO_MAX_LABEL]) PetscCall(PetscPrintf(comm, "  other labels: %lld\n", (long long)counts[HD_INFO_MAX_LABEL]));
  PetscCall(PetscFree(classes));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Mean, standard deviation, minimum and maximum of every feature and of the mass. */
static PetscErrorCode hd_info_columns(MPI_Comm comm, const hd_events *ev)
{
  const hd_events_layout *L = &ev->layout;
  PetscInt                F = L->n_features, ncol = F + (L->has_mass ? 1 : 0);
  double                 *mean, *std, *lo, *hi;

  PetscFunctionBegin;
  if (ncol == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc4(ncol, &mean, ncol, &std, ncol, &lo, ncol, &hi));
  if (F > 0) PetscCall(hd_stats_moments(comm, ev->n_local, F, ev->features, L->n_events, mean, std));
  if (L->has_mass) PetscCall(hd_stats_moments(comm, ev->n_local, 1, ev->mass, L->n_events, mean + F, std + F));
  for (PetscInt j = 0; j < ncol; j++) {
    lo[j] = DBL_MAX;
    hi[j] = -DBL_MAX;
  }
  for (PetscInt i = 0; i < ev->n_local; i++) {
    for (PetscInt j = 0; j < ncol; j++) {
      double v = j < F ? ev->features[i * F + j] : ev->mass[i];
      lo[j]    = PetscMin(lo[j], v);
      hi[j]    = PetscMax(hi[j], v);
    }
  }
  PetscCall(hd_par_min_double(comm, ncol, lo, lo));
  PetscCall(hd_par_max_double(comm, ncol, hi, hi));
  PetscCall(PetscPrintf(comm, "columns:                  mean         std         min         max\n"));
  for (PetscInt j = 0; j < ncol; j++) PetscCall(PetscPrintf(comm, "  %-16s %11.5g %11.5g %11.5g %11.5g\n", j < F ? L->feature_names[j] : "mass", mean[j], std[j], lo[j], hi[j]));
  PetscCall(PetscFree4(mean, std, lo, hi));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. The root attributes, one per line. */
static PetscErrorCode hd_info_attributes(MPI_Comm comm, hid_t fid)
{
  PetscInt n = 0;
  char    *names = NULL, text[HD_INFO_TEXT];

  PetscFunctionBegin;
  PetscCall(hd_error_agree(comm, hd_h5_attr_names(fid, HD_NAME_LEN, &n, &names)));
  PetscCall(PetscPrintf(comm, "attributes:\n"));
  for (PetscInt i = 0; i < n; i++) {
    const char *name = names + (size_t)i * HD_NAME_LEN;

    PetscCall(hd_error_agree(comm, hd_h5_attr_text(fid, name, text, sizeof(text))));
    PetscCall(PetscPrintf(comm, "  %-22s %s\n", name, text));
  }
  PetscCall(PetscFree(names));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_cmd_info(MPI_Comm comm, int nargs, char **args)
{
  const char *usage = "hadal info FILE [-require features,mass,...]";
  hd_events   ev;
  PetscBool   help_only;
  int         size;
  char        require[256];
  const char *need[8] = {NULL};
  int         n_need  = 0;
  hid_t       fid     = H5I_INVALID_HID;
  PetscErrorCode ierr = PETSC_SUCCESS;

  PetscFunctionBegin;
  PetscCall(hd_opt_string("-require", "fail unless the file holds these datasets (features, mass, weight, images, sets)", "", require, sizeof(require), NULL));
  PetscCall(hd_opt_finish(comm, usage, &help_only));
  if (help_only) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(nargs == 1, comm, HD_ERR_USER_INPUT, "hadal info takes one event file (usage: %s), got %d arguments", usage, nargs);
  PetscCallMPI(MPI_Comm_size(comm, &size));
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

  HdCallGoto(PetscPrintf(comm, "file: %s\n", args[0]), cleanup);
  HdCallGoto(PetscPrintf(comm, "events: %" PetscInt_FMT " (read in %.3f s on %d ranks)\n", ev.layout.n_events, t_read, size), cleanup);
  HdCallGoto(hd_info_datasets(comm, &ev.layout), cleanup);
  HdCallGoto(hd_h5_open(comm, args[0], &fid), cleanup);
  HdCallGoto(hd_info_labels(comm, fid, &ev), cleanup);
  HdCallGoto(hd_info_columns(comm, &ev), cleanup);
  HdCallGoto(hd_info_attributes(comm, fid), cleanup);
cleanup:
  if (fid >= 0) H5Fclose(fid);
  PetscCall(hd_events_free(&ev));
  PetscFunctionReturn(ierr);
}
