/* CWoLa hunting's results per window and the files made from them (cwola_output.c), used by the
 * scan (cwola.c) and by `hadal merge`. Internal to src/methods; cwola_output.c needs nothing from
 * cwola.c. */
#ifndef HADAL_METHODS_CWOLA_H
#define HADAL_METHODS_CWOLA_H

#include <stdint.h>
#include <hadal/events.h>
#include <hadal/par.h>

#define HD_CWOLA_EPS_MAX 16

typedef struct {
  double sr_lo, sr_hi, sb_lo, sb_hi; /* GeV */
} hd_cwola_window;

/* Everything one window produced: what a -window run writes to DIR/windows/window_NNN.h5 and
 * what `hadal merge` reads back. Row e of the per-selection arrays: e = 0 all events (before
 * selection), e = 1.. the selection eps[e - 1]. */
typedef struct {
  PetscInt        index;
  hd_cwola_window window;
  PetscInt        n_win, n_sr, n_sb, n_sig_sr;
  PetscInt       *rows;     /* (n_win) global rows of the window's events, ascending */
  float          *score;    /* (n_win) ensemble score, uniform in (0, 1) */
  PetscInt        n_eps, n_bins, best_e;
  double         *edges;    /* (n_bins + 1) */
  double         *counts;   /* (n_eps + 1, n_bins) spectra */
  double         *fit_mu;   /* (n_eps + 1, n_bins) fitted background */
  double          params[4 * (HD_CWOLA_EPS_MAX + 1)];
  double          n_sr_sel[HD_CWOLA_EPS_MAX + 1], b_sr[HD_CWOLA_EPS_MAX + 1], sigma_b[HD_CWOLA_EPS_MAX + 1];
  double          z[HD_CWOLA_EPS_MAX + 1], chi2_ndf[HD_CWOLA_EPS_MAX + 1], eff_s[HD_CWOLA_EPS_MAX + 1];
  double          s_over_sqrt_b, auc, sic_max;
  double          auc_sr_sb;  /* the ensemble score as a classifier of SR against SB (0.5: no sculpting) */
  /* the spectrum outside the window that the window's classifiers score as well (background fit
   * over the whole spectrum; none with -bkg_fit sidebands) */
  PetscInt        n_out;
  PetscInt       *out_rows;  /* (n_out) global rows, ascending */
  float          *out_score; /* (n_out) */
  double          fit_lo, fit_hi, gap_lo, gap_hi; /* GeV: the binned range and the bins left out around the SR */
  /* truth: background events in the SR per row e (NaN without labels) */
  double          bkg_sr_true[HD_CWOLA_EPS_MAX + 1];
  /* the signal-plus-background cross-check per row e: yield, its error, in the SR, significance */
  double          sig_s[HD_CWOLA_EPS_MAX + 1], sig_sigma_s[HD_CWOLA_EPS_MAX + 1], sig_s_sr[HD_CWOLA_EPS_MAX + 1], sig_z[HD_CWOLA_EPS_MAX + 1];
  double          sig_b_sr[HD_CWOLA_EPS_MAX + 1], sig_sigma_b_sr[HD_CWOLA_EPS_MAX + 1]; /* the cross-check's SR background */
  /* SIC = eps_S / sqrt(eps_B) on the SR events where at least sic_min_bkg background events pass;
   * the curve (thinned, the maximum always kept) and its statistical band */
  PetscInt        sic_min_bkg, n_sic;
  double          sic_max_err, sic_max_eps_b;
  double         *sic_eps_b, *sic_eps_s, *sic, *sic_err;
  PetscInt        models_trained;
  double          wall_s;
  PetscInt        n_windows;  /* windows of the whole scan */
  double          eps[HD_CWOLA_EPS_MAX];
  char            data[PETSC_MAX_PATH_LEN];
  char            data_identity[HD_EVENTS_IDENTITY_LEN]; /* the event files' sizes and SHA-256 (rank 0
                                                          * of the writing run; "" in older parts) */
  char           *options;    /* the scan's options (PetscMalloc'ed), written with the results */
} hd_cwola_part;

/* Not collective. */
PetscErrorCode hd_cwola_part_free(hd_cwola_part *p);
/* Collective: rank 0 writes DIR/windows/window_NNN.h5. */
PetscErrorCode hd_cwola_part_write(hd_comm world, const char *out, const hd_cwola_part *p, PetscInt n_events);
/* Collective: every rank reads a part file (*found false when absent). */
PetscErrorCode hd_cwola_part_read(hd_comm world, const char *path, hd_cwola_part *p, PetscInt *n_events, PetscBool *found);
/* Collective: DIR/results.h5, DIR/summary.json and the table on stdout from all windows' parts
 * (the scan and `hadal merge` both end here, so they write the same outputs). */
PetscErrorCode hd_cwola_write_report(hd_comm world, const char *out, PetscInt n_win, const hd_cwola_part *parts, PetscInt n_events, double wall_s);

#endif
