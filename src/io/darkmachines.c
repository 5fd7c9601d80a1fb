/* The Dark Machines challenge's CSV (include/hadal/darkmachines.h) and the signal names of an event
 * file. The CSV is parsed whole by each rank that reads it: every rank finds the same error on the
 * same line. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/darkmachines.h>
#include <hadal/h5.h>

/* A finite number filling the whole field. */
static PetscBool dm_number(const char *s, double *v)
{
  char *end;

  while (*s == ' ' || *s == '\t') s++;
  if (!*s) return PETSC_FALSE;
  errno = 0;
  *v    = strtod(s, &end);
  while (*end == ' ' || *end == '\t' || *end == '\r') end++;
  return *end == '\0' && errno == 0 && isfinite(*v) ? PETSC_TRUE : PETSC_FALSE;
}

/* One line into ev; a message in why on failure. */
static PetscBool dm_parse_line(char *line, hd_dm_event *ev, double *weight, char *process, char *why, size_t why_len)
{
  char  *field[5 + HD_DM_MAX_OBJECTS + 1], *save = NULL, *p;
  int    nf = 0;
  double v[3];
  size_t len = strlen(line);

  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ')) line[--len] = '\0';
  if (len > 0 && line[len - 1] == ';') line[--len] = '\0'; /* a trailing ';' is allowed */
  for (p = line;; p = NULL) {
    char *f = strtok_r(p, ";", &save);
    if (!f) break;
    if (nf == (int)(sizeof(field) / sizeof(field[0]))) {
      snprintf(why, why_len, "more than %d objects", HD_DM_MAX_OBJECTS);
      return PETSC_FALSE;
    }
    field[nf++] = f;
  }
  if (nf < 5) {
    snprintf(why, why_len, "%d fields, at least 5 expected (event_id;process_id;event_weight;MET;METphi)", nf);
    return PETSC_FALSE;
  }
  snprintf(process, HD_NAME_LEN, "%s", field[1]);
  if (!dm_number(field[2], weight) || !dm_number(field[3], &v[0]) || !dm_number(field[4], &v[1])) {
    snprintf(why, why_len, "event_weight, MET and METphi must be finite numbers ('%s', '%s', '%s')", field[2], field[3], field[4]);
    return PETSC_FALSE;
  }
  memset(ev, 0, sizeof(*ev));
  ev->met    = v[0];
  ev->metphi = v[1];
  for (int k = 5; k < nf; k++) {
    char   *q[5], *s2 = NULL, *pp;
    int     nq = 0;
    double  kin[4];
    hd_dm_object *o = &ev->obj[ev->n];

    for (pp = field[k];; pp = NULL) {
      char *t = strtok_r(pp, ",", &s2);
      if (!t) break;
      if (nq == 5) {
        nq++;
        break;
      }
      q[nq++] = t;
    }
    if (nq != 5) {
      snprintf(why, why_len, "object %d has %s fields, 5 expected (type,E,pt,eta,phi)", k - 4, nq > 5 ? "more than 5" : "fewer than 5");
      return PETSC_FALSE;
    }
    while (*q[0] == ' ') q[0]++;
    o->type = hd_dm_type_parse(q[0]);
    if (o->type < 0) {
      snprintf(why, why_len, "object %d has unknown type '%s' (known: j, b, e-, e+, m-, m+, g)", k - 4, q[0]);
      return PETSC_FALSE;
    }
    for (int c = 0; c < 4; c++)
      if (!dm_number(q[c + 1], &kin[c])) {
        snprintf(why, why_len, "object %d: '%s' is not a finite number", k - 4, q[c + 1]);
        return PETSC_FALSE;
      }
    o->E   = kin[0];
    o->pt  = kin[1];
    o->eta = kin[2];
    o->phi = kin[3];
    ev->n++;
  }
  return PETSC_TRUE;
}

PetscErrorCode hd_dm_csv_read(MPI_Comm comm, const char *path, hd_dm_csv *csv)
{
  FILE    *f;
  char    *line = NULL, why[256];
  size_t   cap  = 0;
  ssize_t  got;
  PetscInt lineno = 0, alloc = 0;
  PetscBool ok = PETSC_TRUE;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(csv, sizeof(*csv)));
  f = fopen(path, "r");
  PetscCheck(f, comm, HD_ERR_FILE_OPEN, "cannot open '%s': %s", path, strerror(errno));
  while ((got = getline(&line, &cap, f)) >= 0) {
    int c[HD_DM_NTYPES] = {0};
    lineno++;
    if (got == 0 || strspn(line, " \t\r\n") == (size_t)got) continue; /* blank lines */
    if (csv->n == alloc) {
      PetscInt     na = PetscMax(1024, 2 * alloc);
      hd_dm_event *e;
      double      *w;
      char(*pr)[HD_NAME_LEN];
      PetscCall(PetscMalloc3(na, &e, na, &w, na, &pr));
      if (csv->n) {
        PetscCall(PetscArraycpy(e, csv->events, csv->n));
        PetscCall(PetscArraycpy(w, csv->weight, csv->n));
        PetscCall(PetscArraycpy(pr, csv->process, csv->n));
      }
      PetscCall(PetscFree3(csv->events, csv->weight, csv->process));
      csv->events  = e;
      csv->weight  = w;
      csv->process = pr;
      alloc        = na;
    }
    if (!dm_parse_line(line, &csv->events[csv->n], &csv->weight[csv->n], csv->process[csv->n], why, sizeof(why))) {
      ok = PETSC_FALSE;
      break;
    }
    for (PetscInt k = 0; k < csv->events[csv->n].n; k++) c[csv->events[csv->n].obj[k].type]++;
    for (int t = 0; t < HD_DM_NTYPES; t++) csv->max_count[t] = PetscMax(csv->max_count[t], c[t]);
    csv->n++;
  }
  free(line);
  fclose(f);
  if (!ok) PetscCall(hd_dm_csv_free(csv));
  PetscCheck(ok, comm, HD_ERR_USER_INPUT, "'%s' line %" PetscInt_FMT ": %s", path, lineno, why);
  if (csv->n == 0) PetscCall(hd_dm_csv_free(csv));
  PetscCheck(lineno > 0, comm, HD_ERR_USER_INPUT, "'%s' is empty: no events to import", path);
  PetscCheck(csv->n > 0 || lineno == 0, comm, HD_ERR_USER_INPUT, "'%s' holds only blank lines: no events to import", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_dm_csv_free(hd_dm_csv *csv)
{
  PetscFunctionBegin;
  PetscCall(PetscFree3(csv->events, csv->weight, csv->process));
  csv->n = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_dm_read_signal_names(MPI_Comm comm, const char *path, PetscInt *n, char (**names)[HD_NAME_LEN])
{
  hid_t fid;
  char *v = NULL;

  PetscFunctionBegin;
  PetscCall(hd_h5_open(comm, path, &fid));
  PetscCall(hd_h5_attr_read_strings(fid, "signals", HD_NAME_LEN, n, &v));
  H5Fclose(fid);
  *names = (char(*)[HD_NAME_LEN])v;
  PetscFunctionReturn(PETSC_SUCCESS);
}
