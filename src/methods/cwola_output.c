/* CWoLa hunting outputs: one file per window (DIR/windows/window_NNN.h5), and the report built
 * from them (results.h5, summary.json, the table) by the scan itself or by `hadal merge`. */
#include <math.h>
#include <string.h>
#include <hadal/log.h>
#include <hadal/methods.h>
#include <hadal/options.h>
#include <hadal/record.h>
#include <hadal/results.h>
#include <hadal/stats.h>
#include "cwola.h"

/* ---- per-window files (written and read whole by one rank: include/hadal/record.h) ---- */

static void hd_cw_part_path(const char *out, PetscInt index, char *path, size_t len) { snprintf(path, len, "%s/windows/window_%03d.h5", out, (int)index); }

PetscErrorCode hd_cwola_part_free(hd_cwola_part *p)
{
  PetscFunctionBegin;
  PetscCall(PetscFree2(p->rows, p->score));
  PetscCall(PetscFree(p->edges));
  PetscCall(PetscFree2(p->counts, p->fit_mu));
  PetscCall(PetscFree2(p->out_rows, p->out_score));
  PetscCall(PetscFree4(p->sic_eps_b, p->sic_eps_s, p->sic, p->sic_err));
  PetscCall(PetscFree(p->options));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  const hd_cwola_part *part;
  PetscInt             n_events;
} hd_cw_part_write_ctx;

/* An hd_h5_serial_writer: the window ctx (an hd_cw_part_write_ctx) into the open file fid. */
static PetscErrorCode hd_cw_part_write_file(hid_t fid, const char *path, const void *ctx)
{
  const hd_cwola_part *p        = ((const hd_cw_part_write_ctx *)ctx)->part;
  PetscInt             n_events = ((const hd_cw_part_write_ctx *)ctx)->n_events;
  PetscInt             ne       = p->n_eps + 1;
  hd_record            f;
  int64_t             *rows;

  PetscFunctionBegin;
  hd_record_attach(fid, path, &f);
  PetscCall(hd_record_put_string(&f, "method", "cwola"));
  PetscCall(hd_record_put_string(&f, "data", p->data));
  PetscCall(hd_record_put_string(&f, "options", p->options));
  PetscCall(hd_record_put_string(&f, "data_identity", p->data_identity));
  PetscCall(hd_record_put_int(&f, "index", p->index));
  PetscCall(hd_record_put_int(&f, "n_windows", p->n_windows));
  PetscCall(hd_record_put_int(&f, "n_events", n_events));
  PetscCall(hd_record_put_double(&f, "sr_lo", p->window.sr_lo));
  PetscCall(hd_record_put_double(&f, "sr_hi", p->window.sr_hi));
  PetscCall(hd_record_put_double(&f, "sb_lo", p->window.sb_lo));
  PetscCall(hd_record_put_double(&f, "sb_hi", p->window.sb_hi));
  PetscCall(hd_record_put_int(&f, "n_win", p->n_win));
  PetscCall(hd_record_put_int(&f, "n_sr", p->n_sr));
  PetscCall(hd_record_put_int(&f, "n_sb", p->n_sb));
  PetscCall(hd_record_put_int(&f, "n_sig_sr", p->n_sig_sr));
  PetscCall(hd_record_put_int(&f, "n_eps", p->n_eps));
  PetscCall(hd_record_put_int(&f, "n_bins", p->n_bins));
  PetscCall(hd_record_put_int(&f, "best_e", p->best_e));
  PetscCall(hd_record_put_int(&f, "n_sic", p->n_sic));
  PetscCall(hd_record_put_int(&f, "n_out", p->n_out));
  PetscCall(hd_record_put_int(&f, "sic_min_bkg", p->sic_min_bkg));
  PetscCall(hd_record_put_int(&f, "models_trained", p->models_trained));
  PetscCall(hd_record_put_double(&f, "s_over_sqrt_b", p->s_over_sqrt_b));
  PetscCall(hd_record_put_double(&f, "auc", p->auc));
  PetscCall(hd_record_put_double(&f, "sic_max", p->sic_max));
  PetscCall(hd_record_put_double(&f, "auc_sr_sb", p->auc_sr_sb));
  PetscCall(hd_record_put_double(&f, "wall_s", p->wall_s));
  PetscCall(hd_record_put_double(&f, "sic_max_err", p->sic_max_err));
  PetscCall(hd_record_put_double(&f, "sic_max_eps_b", p->sic_max_eps_b));
  {
    double range[4] = {p->fit_lo, p->fit_hi, p->gap_lo, p->gap_hi};
    PetscCall(hd_record_put_doubles(&f, "fit_range", 4, range));
  }
  PetscCall(PetscMalloc1(PetscMax(p->n_win, 1), &rows));
  for (PetscInt k = 0; k < p->n_win; k++) rows[k] = p->rows[k];
  PetscCall(hd_record_put_int64s(&f, "rows", p->n_win, rows));
  PetscCall(PetscFree(rows));
  PetscCall(hd_record_put_floats(&f, "score", p->n_win, p->score));
  PetscCall(PetscMalloc1(PetscMax(p->n_out, 1), &rows));
  for (PetscInt k = 0; k < p->n_out; k++) rows[k] = p->out_rows[k];
  PetscCall(hd_record_put_int64s(&f, "out_rows", p->n_out, rows));
  PetscCall(PetscFree(rows));
  PetscCall(hd_record_put_floats(&f, "out_score", p->n_out, p->out_score));
  PetscCall(hd_record_put_doubles(&f, "eps", p->n_eps, p->eps));
  PetscCall(hd_record_put_doubles(&f, "edges", p->n_bins + 1, p->edges));
  PetscCall(hd_record_put_doubles(&f, "counts", ne * p->n_bins, p->counts));
  PetscCall(hd_record_put_doubles(&f, "fit_mu", ne * p->n_bins, p->fit_mu));
  PetscCall(hd_record_put_doubles(&f, "params", 4 * ne, p->params));
  PetscCall(hd_record_put_doubles(&f, "n_sr_sel", ne, p->n_sr_sel));
  PetscCall(hd_record_put_doubles(&f, "b_sr", ne, p->b_sr));
  PetscCall(hd_record_put_doubles(&f, "sigma_b", ne, p->sigma_b));
  PetscCall(hd_record_put_doubles(&f, "z", ne, p->z));
  PetscCall(hd_record_put_doubles(&f, "chi2_ndf", ne, p->chi2_ndf));
  PetscCall(hd_record_put_doubles(&f, "eff_s", ne, p->eff_s));
  PetscCall(hd_record_put_doubles(&f, "bkg_sr_true", ne, p->bkg_sr_true));
  PetscCall(hd_record_put_doubles(&f, "sig_s", ne, p->sig_s));
  PetscCall(hd_record_put_doubles(&f, "sig_sigma_s", ne, p->sig_sigma_s));
  PetscCall(hd_record_put_doubles(&f, "sig_s_sr", ne, p->sig_s_sr));
  PetscCall(hd_record_put_doubles(&f, "sig_z", ne, p->sig_z));
  PetscCall(hd_record_put_doubles(&f, "sig_b_sr", ne, p->sig_b_sr));
  PetscCall(hd_record_put_doubles(&f, "sig_sigma_b_sr", ne, p->sig_sigma_b_sr));
  PetscCall(hd_record_put_doubles(&f, "sic_eps_b", p->n_sic, p->sic_eps_b));
  PetscCall(hd_record_put_doubles(&f, "sic_eps_s", p->n_sic, p->sic_eps_s));
  PetscCall(hd_record_put_doubles(&f, "sic", p->n_sic, p->sic));
  PetscCall(hd_record_put_doubles(&f, "sic_err", p->n_sic, p->sic_err));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_cwola_part_write(hd_comm world, const char *out, const hd_cwola_part *p, PetscInt n_events)
{
  char                 path[PETSC_MAX_PATH_LEN], dir[PETSC_MAX_PATH_LEN];
  hd_cw_part_write_ctx ctx = {p, n_events};

  PetscFunctionBegin;
  snprintf(dir, sizeof(dir), "%s/windows", out);
  PetscCall(hd_results_mkdir(world, dir));
  hd_cw_part_path(out, p->index, path, sizeof(path));
  PetscCall(hd_h5_write_by_rank0(world, path, "window file", hd_cw_part_write_file, &ctx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_cwola_part_read(hd_comm world, const char *path, hd_cwola_part *p, PetscInt *n_events, PetscBool *found)
{
  hd_record f;
  int64_t   v, *rows;
  PetscInt  ne;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(p, sizeof(*p)));
  PetscCall(hd_results_exists(world, path, found));
  if (!*found) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(hd_record_open(path, &f));
#define HD_CW_INT(name, field) \
  do { \
    PetscCall(hd_record_get_int(&f, name, &v)); \
    field = (PetscInt)v; \
  } while (0)
  HD_CW_INT("index", p->index);
  HD_CW_INT("n_windows", p->n_windows);
  HD_CW_INT("n_events", *n_events);
  HD_CW_INT("n_win", p->n_win);
  HD_CW_INT("n_sr", p->n_sr);
  HD_CW_INT("n_sb", p->n_sb);
  HD_CW_INT("n_sig_sr", p->n_sig_sr);
  HD_CW_INT("n_eps", p->n_eps);
  HD_CW_INT("n_bins", p->n_bins);
  HD_CW_INT("best_e", p->best_e);
  HD_CW_INT("n_sic", p->n_sic);
  HD_CW_INT("n_out", p->n_out);
  HD_CW_INT("sic_min_bkg", p->sic_min_bkg);
  HD_CW_INT("models_trained", p->models_trained);
#undef HD_CW_INT
  PetscCheck(p->n_eps >= 1 && p->n_eps <= HD_CWOLA_EPS_MAX && p->n_win > 0 && p->n_bins > 0, PETSC_COMM_SELF, HD_ERR_FILE_READ, "'%s' is not a CWoLa window file", path);
  PetscCall(hd_record_get_double(&f, "sr_lo", &p->window.sr_lo));
  PetscCall(hd_record_get_double(&f, "sr_hi", &p->window.sr_hi));
  PetscCall(hd_record_get_double(&f, "sb_lo", &p->window.sb_lo));
  PetscCall(hd_record_get_double(&f, "sb_hi", &p->window.sb_hi));
  PetscCall(hd_record_get_double(&f, "s_over_sqrt_b", &p->s_over_sqrt_b));
  PetscCall(hd_record_get_double(&f, "auc", &p->auc));
  PetscCall(hd_record_get_double(&f, "sic_max", &p->sic_max));
  PetscCall(hd_record_get_double(&f, "auc_sr_sb", &p->auc_sr_sb));
  PetscCall(hd_record_get_double(&f, "wall_s", &p->wall_s));
  PetscCall(hd_record_get_double(&f, "sic_max_err", &p->sic_max_err));
  PetscCall(hd_record_get_double(&f, "sic_max_eps_b", &p->sic_max_eps_b));
  {
    double range[4];
    PetscCall(hd_record_get_doubles(&f, "fit_range", 4, range));
    p->fit_lo = range[0];
    p->fit_hi = range[1];
    p->gap_lo = range[2];
    p->gap_hi = range[3];
  }
  {
    char *data;
    PetscCall(hd_record_get_string(&f, "data", PETSC_MAX_PATH_LEN, &data));
    snprintf(p->data, sizeof(p->data), "%s", data);
    PetscCall(PetscFree(data));
  }
  PetscCall(hd_record_get_string(&f, "options", 65536, &p->options));
  if (hd_record_has(&f, "data_identity")) { /* parts written before it was recorded have none */
    char *id;
    PetscCall(hd_record_get_string(&f, "data_identity", sizeof(p->data_identity), &id));
    snprintf(p->data_identity, sizeof(p->data_identity), "%s", id);
    PetscCall(PetscFree(id));
  }
  ne = p->n_eps + 1;
  PetscCall(PetscMalloc2(p->n_win, &p->rows, p->n_win, &p->score));
  PetscCall(PetscMalloc1(p->n_win, &rows));
  PetscCall(hd_record_get_int64s(&f, "rows", p->n_win, rows));
  for (PetscInt k = 0; k < p->n_win; k++) p->rows[k] = (PetscInt)rows[k];
  PetscCall(PetscFree(rows));
  PetscCall(hd_record_get_floats(&f, "score", p->n_win, p->score));
  PetscCall(PetscMalloc2(PetscMax(p->n_out, 1), &p->out_rows, PetscMax(p->n_out, 1), &p->out_score));
  PetscCall(PetscMalloc1(PetscMax(p->n_out, 1), &rows));
  PetscCall(hd_record_get_int64s(&f, "out_rows", p->n_out, rows));
  for (PetscInt k = 0; k < p->n_out; k++) p->out_rows[k] = (PetscInt)rows[k];
  PetscCall(PetscFree(rows));
  PetscCall(hd_record_get_floats(&f, "out_score", p->n_out, p->out_score));
  PetscCall(hd_record_get_doubles(&f, "eps", p->n_eps, p->eps));
  PetscCall(PetscMalloc1(p->n_bins + 1, &p->edges));
  PetscCall(PetscMalloc2(ne * p->n_bins, &p->counts, ne * p->n_bins, &p->fit_mu));
  PetscCall(hd_record_get_doubles(&f, "edges", p->n_bins + 1, p->edges));
  PetscCall(hd_record_get_doubles(&f, "counts", ne * p->n_bins, p->counts));
  PetscCall(hd_record_get_doubles(&f, "fit_mu", ne * p->n_bins, p->fit_mu));
  PetscCall(hd_record_get_doubles(&f, "params", 4 * ne, p->params));
  PetscCall(hd_record_get_doubles(&f, "n_sr_sel", ne, p->n_sr_sel));
  PetscCall(hd_record_get_doubles(&f, "b_sr", ne, p->b_sr));
  PetscCall(hd_record_get_doubles(&f, "sigma_b", ne, p->sigma_b));
  PetscCall(hd_record_get_doubles(&f, "z", ne, p->z));
  PetscCall(hd_record_get_doubles(&f, "chi2_ndf", ne, p->chi2_ndf));
  PetscCall(hd_record_get_doubles(&f, "eff_s", ne, p->eff_s));
  PetscCall(hd_record_get_doubles(&f, "bkg_sr_true", ne, p->bkg_sr_true));
  PetscCall(hd_record_get_doubles(&f, "sig_s", ne, p->sig_s));
  PetscCall(hd_record_get_doubles(&f, "sig_sigma_s", ne, p->sig_sigma_s));
  PetscCall(hd_record_get_doubles(&f, "sig_s_sr", ne, p->sig_s_sr));
  PetscCall(hd_record_get_doubles(&f, "sig_z", ne, p->sig_z));
  PetscCall(hd_record_get_doubles(&f, "sig_b_sr", ne, p->sig_b_sr));
  PetscCall(hd_record_get_doubles(&f, "sig_sigma_b_sr", ne, p->sig_sigma_b_sr));
  PetscCall(PetscMalloc4(PetscMax(p->n_sic, 1), &p->sic_eps_b, PetscMax(p->n_sic, 1), &p->sic_eps_s, PetscMax(p->n_sic, 1), &p->sic, PetscMax(p->n_sic, 1), &p->sic_err));
  PetscCall(hd_record_get_doubles(&f, "sic_eps_b", p->n_sic, p->sic_eps_b));
  PetscCall(hd_record_get_doubles(&f, "sic_eps_s", p->n_sic, p->sic_eps_s));
  PetscCall(hd_record_get_doubles(&f, "sic", p->n_sic, p->sic));
  PetscCall(hd_record_get_doubles(&f, "sic_err", p->n_sic, p->sic_err));
  PetscCall(hd_record_close(&f));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the report ---- */

/* "name": [v[0] - sub, ..., v[n - 1] - sub] (null for NaN) */
static PetscErrorCode hd_cw_summary_array(hd_summary *s, const char *name, PetscInt n, const double *v, double sub)
{
  PetscFunctionBegin;
  PetscCall(hd_summary_open(s, name, '['));
  for (PetscInt e = 0; e < n; e++) PetscCall(hd_summary_double(s, NULL, v[e] - sub));
  PetscCall(hd_summary_close(s, ']'));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_cwola_write_report(hd_comm world, const char *out, PetscInt n_win, const hd_cwola_part *parts, PetscInt n_events, double wall_s)
{
  int        rank, size;
  PetscInt   off, cnt, models = 0, n_eps = parts[0].n_eps, best_w = 0;
  float     *block;
  hd_results res;
  char       name[128];

  PetscFunctionBegin;
  PetscCall(hd_par_rank_size(world, &rank, &size));
  hd_par_block(n_events, rank, size, &off, &cnt);
  for (PetscInt k = 0; k < n_win; k++) {
    models += parts[k].models_trained;
    if (isnan(parts[best_w].z[parts[best_w].best_e]) || parts[k].z[parts[k].best_e] > parts[best_w].z[parts[best_w].best_e]) best_w = k;
  }

  /* results.h5: per-event scores aligned with the input rows (NaN outside the window), and per
   * window the spectra, fits and significances */
  PetscCall(hd_results_create(world, out, "cwola", parts[0].options, &res));
  PetscCall(PetscMalloc1(PetscMax(cnt, 1), &block));
  for (PetscInt k = 0; k < n_win; k++) {
    const hd_cwola_part *p = &parts[k];
    for (PetscInt i = 0; i < cnt; i++) block[i] = NAN;
    for (PetscInt j = 0; j < p->n_win; j++)
      if (p->rows[j] >= off && p->rows[j] < off + cnt) block[p->rows[j] - off] = p->score[j];
    for (PetscInt j = 0; j < p->n_out; j++)
      if (p->out_rows[j] >= off && p->out_rows[j] < off + cnt) block[p->out_rows[j] - off] = p->out_score[j];
    snprintf(name, sizeof(name), "/scores/cwola/window_%03d", (int)k);
    PetscCall(hd_results_write_rows(&res, name, n_events, off, cnt, block));
#define HD_CW_ARRAY(leaf, n, data) \
  do { \
    snprintf(name, sizeof(name), "/windows/window_%03d/" leaf, (int)k); \
    PetscCall(hd_results_write_array(&res, name, n, data)); \
  } while (0)
    double bounds[4] = {p->window.sr_lo, p->window.sr_hi, p->window.sb_lo, p->window.sb_hi};
    HD_CW_ARRAY("sr_sb", 4, bounds);
    HD_CW_ARRAY("edges", p->n_bins + 1, p->edges);
    HD_CW_ARRAY("counts", (n_eps + 1) * p->n_bins, p->counts);
    HD_CW_ARRAY("fit", (n_eps + 1) * p->n_bins, p->fit_mu);
    HD_CW_ARRAY("fit_params", 4 * (n_eps + 1), p->params);
    HD_CW_ARRAY("z", n_eps + 1, p->z);
    HD_CW_ARRAY("n_sr", n_eps + 1, p->n_sr_sel);
    HD_CW_ARRAY("b_sr", n_eps + 1, p->b_sr);
    HD_CW_ARRAY("sigma_b", n_eps + 1, p->sigma_b);
    HD_CW_ARRAY("chi2_ndf", n_eps + 1, p->chi2_ndf);
    HD_CW_ARRAY("eff_s", n_eps + 1, p->eff_s);
    double range[4] = {p->fit_lo, p->fit_hi, p->gap_lo, p->gap_hi};
    HD_CW_ARRAY("fit_range", 4, range);
    HD_CW_ARRAY("b_sr_true", n_eps + 1, p->bkg_sr_true);
    HD_CW_ARRAY("signal_fit_s", n_eps + 1, p->sig_s);
    HD_CW_ARRAY("signal_fit_sigma_s", n_eps + 1, p->sig_sigma_s);
    HD_CW_ARRAY("signal_fit_z", n_eps + 1, p->sig_z);
    HD_CW_ARRAY("signal_fit_b_sr", n_eps + 1, p->sig_b_sr);
    HD_CW_ARRAY("signal_fit_sigma_b", n_eps + 1, p->sig_sigma_b_sr);
    if (p->n_sic > 0) {
      HD_CW_ARRAY("sic_eps_b", p->n_sic, p->sic_eps_b);
      HD_CW_ARRAY("sic_eps_s", p->n_sic, p->sic_eps_s);
      HD_CW_ARRAY("sic", p->n_sic, p->sic);
      HD_CW_ARRAY("sic_err", p->n_sic, p->sic_err);
    }
#undef HD_CW_ARRAY
  }
  PetscCall(hd_results_write_array(&res, "/eps", n_eps, parts[0].eps));
  PetscCall(hd_results_close(&res));
  PetscCall(PetscFree(block));

  /* summary.json */
  hd_summary s;
  PetscCall(hd_summary_begin(&s));
  PetscCall(hd_summary_string(&s, "method", "cwola"));
  PetscCall(hd_summary_string(&s, "data", parts[0].data));
  PetscCall(hd_summary_int(&s, "events", n_events));
  PetscCall(hd_summary_int(&s, "ranks", size));
  PetscCall(hd_summary_double(&s, "wall_s", wall_s));
  PetscCall(hd_summary_int(&s, "models_trained", models));
  PetscCall(hd_summary_open(&s, "eps", '['));
  for (PetscInt e = 0; e < n_eps; e++) PetscCall(hd_summary_double(&s, NULL, parts[0].eps[e]));
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_int(&s, "best_window", best_w));
  PetscCall(hd_summary_open(&s, "windows", '['));
  for (PetscInt k = 0; k < n_win; k++) {
    const hd_cwola_part *p = &parts[k];
    PetscCall(hd_summary_open(&s, NULL, '{'));
    PetscCall(hd_summary_int(&s, "index", k));
    PetscCall(hd_summary_double(&s, "sr_lo", p->window.sr_lo));
    PetscCall(hd_summary_double(&s, "sr_hi", p->window.sr_hi));
    PetscCall(hd_summary_double(&s, "sb_lo", p->window.sb_lo));
    PetscCall(hd_summary_double(&s, "sb_hi", p->window.sb_hi));
    PetscCall(hd_summary_int(&s, "n_sr", p->n_sr));
    PetscCall(hd_summary_int(&s, "n_sb", p->n_sb));
    PetscCall(hd_summary_double(&s, "significance_before", p->z[0]));
    PetscCall(hd_summary_double(&s, "s_over_sqrt_b_before", p->s_over_sqrt_b));
    PetscCall(hd_summary_double(&s, "best_significance", p->z[p->best_e]));
    PetscCall(hd_summary_double(&s, "best_eps", p->eps[p->best_e - 1]));
    PetscCall(hd_summary_double(&s, "auc", p->auc));
    PetscCall(hd_summary_double(&s, "sic_max", p->sic_max));
    PetscCall(hd_summary_double(&s, "sic_max_error", p->sic_max_err));
    PetscCall(hd_summary_double(&s, "sic_max_eps_b", p->sic_max_eps_b));
    PetscCall(hd_summary_int(&s, "sic_min_background", p->sic_min_bkg));
    PetscCall(hd_summary_double(&s, "fit_lo", p->fit_lo));
    PetscCall(hd_summary_double(&s, "fit_hi", p->fit_hi));
    PetscCall(hd_summary_double(&s, "auc_sr_vs_sb", p->auc_sr_sb));
    PetscCall(hd_summary_double(&s, "auc_sr_vs_sb_error", hd_stats_auc_null_sigma(p->n_sr, p->n_sb)));
    PetscCall(hd_summary_int(&s, "n_signal_sr", p->n_sig_sr));
    PetscCall(hd_summary_open(&s, "significance_after", '['));
    for (PetscInt e = 1; e <= n_eps; e++) PetscCall(hd_summary_double(&s, NULL, p->z[e]));
    PetscCall(hd_summary_close(&s, ']'));
    PetscCall(hd_summary_open(&s, "signal_efficiency", '['));
    for (PetscInt e = 1; e <= n_eps; e++) PetscCall(hd_summary_double(&s, NULL, p->eff_s[e]));
    PetscCall(hd_summary_close(&s, ']'));
    /* a ratio only where its denominator is at least 1 sigma (a Z before near 0 gave -52) */
    PetscCall(hd_summary_open(&s, "significance_gain", '['));
    for (PetscInt e = 1; e <= n_eps; e++) PetscCall(hd_summary_double(&s, NULL, p->z[0] >= 1 ? p->z[e] / p->z[0] : NAN));
    PetscCall(hd_summary_close(&s, ']'));
    PetscCall(hd_cw_summary_array(&s, "significance_difference", n_eps, p->z + 1, p->z[0]));
    /* rows 0 (before selection) .. n_eps: observed, predicted and (truth) background SR counts */
    PetscCall(hd_cw_summary_array(&s, "observed_sr", n_eps + 1, p->n_sr_sel, 0));
    PetscCall(hd_cw_summary_array(&s, "predicted_sr", n_eps + 1, p->b_sr, 0));
    PetscCall(hd_cw_summary_array(&s, "predicted_sr_error", n_eps + 1, p->sigma_b, 0));
    PetscCall(hd_cw_summary_array(&s, "true_background_sr", n_eps + 1, p->bkg_sr_true, 0));
    PetscCall(hd_cw_summary_array(&s, "signal_fit_yield", n_eps + 1, p->sig_s, 0));
    PetscCall(hd_cw_summary_array(&s, "signal_fit_yield_error", n_eps + 1, p->sig_sigma_s, 0));
    PetscCall(hd_cw_summary_array(&s, "signal_fit_significance", n_eps + 1, p->sig_z, 0));
    PetscCall(hd_cw_summary_array(&s, "signal_fit_predicted_sr", n_eps + 1, p->sig_b_sr, 0));
    PetscCall(hd_cw_summary_array(&s, "signal_fit_predicted_sr_error", n_eps + 1, p->sig_sigma_b_sr, 0));
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_write(world, out, &s));

  /* the table */
  PetscCall(hd_log(world, "\n window   SR [GeV]        n_SR     n_SB   Z before  S/sqrtB   Z after (best eps)  AUC(truth) AUC(SR/SB) signal in SR\n"));
  for (PetscInt k = 0; k < n_win; k++) {
    const hd_cwola_part *p = &parts[k];
    PetscCall(hd_log(world, " %4" PetscInt_FMT "  [%5.0f, %5.0f)  %8" PetscInt_FMT " %8" PetscInt_FMT "   %+6.2f   %+6.2f    %+6.2f (%-6g)   %6.3f     %6.3f    %6" PetscInt_FMT "%s\n", k, p->window.sr_lo, p->window.sr_hi, p->n_sr, p->n_sb, p->z[0], p->s_over_sqrt_b, p->z[p->best_e], p->eps[p->best_e - 1], p->auc, p->auc_sr_sb, p->n_sig_sr, k == best_w ? "  <- best" : ""));
  }
  PetscCall(hd_log(world, "\ncwola: %" PetscInt_FMT " classifiers, %.1f s; outputs in %s (results.h5, summary.json, windows/)\n", models, wall_s, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* `hadal merge -out DIR`: the report of a scan run one window per task. */
/* The options of a part that decide its result: all but those that differ between the parts of
 * one scan (-window) or change nothing computed (-out, -verbose, -log_view, -resume). The options
 * text is PETSc's "-name value -name value ..." in name order; *key is PetscMalloc'ed. */
static PetscErrorCode hd_cw_options_key(const char *options, char **key)
{
  static const char *const skip[] = {"-window", "-out", "-verbose", "-log_view", "-resume"};
  char                    *copy, *save = NULL, *tok, *used;
  PetscBool                skipping = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(PetscStrallocpy(options ? options : "", &copy));
  PetscCall(PetscCalloc1(strlen(copy) + 2, key));
  used = *key;
  for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
    char     *end;
    PetscBool name = tok[0] == '-' && tok[1] && (strtod(tok, &end), *end != '\0');

    if (name) {
      skipping = PETSC_FALSE;
      for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (!strcmp(tok, skip[i])) skipping = PETSC_TRUE;
    }
    if (skipping) continue;
    used += sprintf(used, "%s%s", used == *key ? "" : " ", tok);
  }
  PetscCall(PetscFree(copy));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective (every rank read the same parts). A part run with options other than the first
 * part's (but -window) is of another scan: merging it would mix results silently. */
static PetscErrorCode hd_cw_options_same(hd_comm world, const char *path, const char *options, const char *first)
{
  char     *a, *b;
  PetscBool same;

  PetscFunctionBegin;
  PetscCall(hd_cw_options_key(options, &a));
  PetscCall(hd_cw_options_key(first, &b));
  same = strcmp(a, b) == 0 ? PETSC_TRUE : PETSC_FALSE;
  if (!same) {
    char msg[1024];

    PetscCall(PetscSNPrintf(msg, sizeof(msg), "cannot merge: '%s' was run with other options than window 0 (%s; window 0: %s)", path, a, b));
    PetscCall(PetscFree(a));
    PetscCall(PetscFree(b));
    SETERRQ(world, HD_ERR_FILE_READ, "%s", msg);
  }
  PetscCall(PetscFree(a));
  PetscCall(PetscFree(b));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_cwola_merge(hd_comm world, const char *usage, PetscBool *help_only)
{
  char           out[PETSC_MAX_PATH_LEN - 64], path[PETSC_MAX_PATH_LEN];
  hd_cwola_part  first, *parts;
  PetscInt       n_events, n_ev;
  PetscBool      found;
  double         wall = 0;

  PetscFunctionBegin;
  PetscCall(hd_opt_string("-out", "the scan's output folder, holding windows/window_NNN.h5", NULL, out, sizeof(out), NULL));
  PetscCall(hd_opt_finish(world, usage, help_only));
  if (*help_only) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(out[0], world, HD_ERR_USER_INPUT, "option -out is required: the folder the window runs wrote to");
  hd_cw_part_path(out, 0, path, sizeof(path));
  PetscCall(hd_cwola_part_read(world, path, &first, &n_events, &found));
  PetscCheck(found, world, HD_ERR_FILE_OPEN, "cannot merge: '%s' does not exist (run the windows with -window INDEX -out %s first)", path, out);
  PetscCall(PetscCalloc1(first.n_windows, &parts));
  parts[0] = first;
  for (PetscInt k = 1; k < first.n_windows; k++) {
    hd_cw_part_path(out, k, path, sizeof(path));
    PetscCall(hd_cwola_part_read(world, path, &parts[k], &n_ev, &found));
    PetscCheck(found, world, HD_ERR_FILE_OPEN, "cannot merge: window %" PetscInt_FMT " of %" PetscInt_FMT " is missing ('%s')", k, first.n_windows, path);
    PetscCheck(n_ev == n_events && parts[k].n_eps == first.n_eps && parts[k].index == k, world, HD_ERR_FILE_READ, "cannot merge: '%s' comes from another scan (events, selections or index differ)", path);
    PetscCall(hd_cw_options_same(world, path, parts[k].options, first.options));
    PetscCheck(!parts[k].data_identity[0] || !first.data_identity[0] || !strcmp(parts[k].data_identity, first.data_identity), world, HD_ERR_FILE_READ, "cannot merge: '%s' was run on other data than window 0 (%s; window 0: %s)", path, parts[k].data_identity, first.data_identity);
  }
  for (PetscInt k = 0; k < first.n_windows; k++) wall += parts[k].wall_s;
  PetscCall(hd_log(world, "merge: %" PetscInt_FMT " windows from %s/windows\n", first.n_windows, out));
  PetscCall(hd_cwola_write_report(world, out, first.n_windows, parts, n_events, wall));
  for (PetscInt k = 0; k < first.n_windows; k++) PetscCall(hd_cwola_part_free(&parts[k]));
  PetscCall(PetscFree(parts));
  PetscFunctionReturn(PETSC_SUCCESS);
}
