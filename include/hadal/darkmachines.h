/* Dark Machines event files (seed 003 section 5): the challenge's CSV, and the signal names a
 * darkmachines event file carries. The encodings are in include/hadal/generate.h. */
#ifndef HADAL_DARKMACHINES_H
#define HADAL_DARKMACHINES_H

#include <hadal/generate.h>

/* A parsed CSV file: n events, each with its process id and weight. */
typedef struct {
  PetscInt     n;
  hd_dm_event *events;                 /* (n) */
  double      *weight;                 /* (n) event_weight */
  char       (*process)[HD_NAME_LEN];  /* (n) process_id */
  PetscInt     max_count[HD_DM_NTYPES]; /* most objects of each type in one event */
} hd_dm_csv;

/* Not collective (every rank that calls it reads the same file and raises the same error; call it
 * on every rank of a communicator for a collective error). One event a line:
 *   event_id;process_id;event_weight;MET;METphi;type,E,pt,eta,phi;...
 * with types j, b, e-, e+, m-, m+, g and an optional trailing ';'. A malformed line is an error
 * naming the file and the line number; an empty file (no events) is an error. */
PetscErrorCode hd_dm_csv_read(MPI_Comm comm, const char *path, hd_dm_csv *csv);
PetscErrorCode hd_dm_csv_free(hd_dm_csv *csv);

/* Collective on comm. The root attribute "signals" of an event file (label k > 0 is signal
 * k - 1); *n = 0 when the file has none. *names is PetscMalloc'ed. */
PetscErrorCode hd_dm_read_signal_names(MPI_Comm comm, const char *path, PetscInt *n, char (**names)[HD_NAME_LEN]);

#endif
