/* Run outputs (see include/hadal/results.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <hadal/blas_info.h>
#include <hadal/log.h>
#include <hadal/results.h>

PetscErrorCode hd_results_mkdir(MPI_Comm comm, const char *dir)
{
  int  rank, err = 0;
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCheck(dir && dir[0], comm, HD_ERR_USER_INPUT, "no output folder given (-out DIR)");
  PetscCheck(strlen(dir) < sizeof(path), comm, HD_ERR_USER_INPUT, "output folder name '%s' is too long", dir);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; *p && !err; p++) {
      if (*p != '/') continue;
      *p = '\0';
      if (mkdir(path, 0777) != 0 && errno != EEXIST) err = errno;
      *p = '/';
    }
    if (!err && mkdir(path, 0777) != 0 && errno != EEXIST) err = errno;
  }
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, comm));
  PetscCheck(!err, comm, HD_ERR_FILE_WRITE, "cannot create output folder '%s': %s", dir, strerror(err));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. `ierr` is this rank's result of a step of writing results.h5: a failure on any rank
 * (a full disk) fails every rank with the lowest failing rank's message, and the temporary file is
 * closed and removed, so a failed run leaves no results.h5 and no temporary twin whatever the
 * method. Later calls on the discarded file are not made: the caller returns the error. */
static PetscErrorCode hd_results_check(hd_results *res, PetscErrorCode ierr)
{
  PetscFunctionBegin;
  ierr = hd_error_agree(res->out.comm, ierr);
  if (ierr) {
    PetscCall(hd_h5_output_discard(&res->out));
    PetscFunctionReturn(ierr);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. The BLAS that computed these results (docs/running.md: identical results need the
 * same BLAS kernel). */
static PetscErrorCode hd_results_attr_blas(hd_results *res)
{
  hd_blas_info b;

  PetscFunctionBegin;
  hd_blas_info_get(&b);
  PetscCall(hd_h5_attr_write_string(res->out.fid, "blas", b.config));
  PetscCall(hd_h5_attr_write_string(res->out.fid, "blas_kernel", b.kernel));
  PetscCall(hd_h5_attr_write_int(res->out.fid, "blas_threads", b.threads));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0: the folders of `dir` that do not exist yet, created top down; the first is kept in
 * `created` so that a failed run removes what it made. Returns 0 or an errno. */
static int hd_out_mkdirs(const char *dir, char *created, size_t len)
{
  char        path[PETSC_MAX_PATH_LEN];
  struct stat st;

  created[0] = '\0';
  snprintf(path, sizeof(path), "%s", dir);
  for (char *p = path + 1;; p++) {
    if (*p && *p != '/') continue;
    char c = *p;
    *p     = '\0';
    if (stat(path, &st) != 0) {
      if (mkdir(path, 0777) != 0 && errno != EEXIST) return errno;
      if (!created[0]) snprintf(created, len, "%s", path);
    } else if (!S_ISDIR(st.st_mode)) return ENOTDIR;
    *p = c;
    if (!c) break;
  }
  return 0;
}

/* Rank 0: whether `name` (in `sub`, "" for the folder itself) is an output hadal writes. */
static PetscBool hd_out_is_output(const char *sub, const char *name)
{
  unsigned u;
  char     tail[8];

  if (!sub[0]) return !strcmp(name, "results.h5") || !strcmp(name, "summary.json") || !strcmp(name, "model.h5") || sscanf(name, "checkpoint_m%u.h%2s", &u, tail) == 2;
  if (!strcmp(sub, "models")) return sscanf(name, "member_%u.h%2s", &u, tail) == 2;
  if (!strcmp(sub, "windows")) return sscanf(name, "window_%u.h%2s", &u, tail) == 2;
  /* the ensemble's finished members and (cwola) their checkpoints: include/hadal/ensemble_store.h */
  if (!strcmp(sub, "members")) return sscanf(name, "member_%u.h%2s", &u, tail) == 2 || sscanf(name, "checkpoint_m%u.h%2s", &u, tail) == 2;
  return PETSC_FALSE;
}

/* Rank 0: the outputs already in the folder, with their inodes (a file this run writes is a new
 * inode: outputs are written under a temporary name and renamed). */
static void hd_out_snapshot(hd_out_claim *c)
{
  static const char *const subs[] = {"", "models", "windows", "members"};

  for (int pass = 0; pass < 2; pass++) { /* count, then fill */
    PetscInt n = 0;

    for (int k = 0; k < 4; k++) {
      char           path[PETSC_MAX_PATH_LEN + 16];
      DIR           *d;
      struct dirent *e;

      snprintf(path, sizeof(path), "%s%s%s", c->dir, subs[k][0] ? "/" : "", subs[k]);
      if (!(d = opendir(path))) continue;
      while ((e = readdir(d))) {
        struct stat st;

        if (!hd_out_is_output(subs[k], e->d_name)) continue;
        if (pass == 1 && n < c->n_old) {
          snprintf(c->old[n], PETSC_MAX_PATH_LEN, "%.*s/%s", (int)(PETSC_MAX_PATH_LEN - 300), path, e->d_name);
          c->old_inode[n] = stat(c->old[n], &st) == 0 ? st.st_ino : 0;
        }
        n++;
      }
      closedir(d);
    }
    if (pass == 0) {
      c->n_old = n;
      if (!n || PetscMalloc1(n, &c->old) || PetscMalloc1(n, &c->old_inode)) {
        c->n_old = 0;
        return;
      }
    }
  }
}

int hd_out_lock_acquire(const char *path, int *fd, char *holder, size_t holder_len)
{
  holder[0] = '\0';
  *fd       = -1;
  /* A holder releases by unlinking the path, then closing. A run that opened the old file before
   * the unlink may win its flock after the close, while a third run creates and locks a new file
   * at the path: two holders. So a lock counts only when the path still names the locked file;
   * otherwise the file is stale and the lock is taken again on what the path names now. */
  for (int attempt = 0; attempt < 100; attempt++) {
    struct stat held, named;
    int         f = open(path, O_RDWR | O_CREAT, 0644);

    if (f < 0) return errno;
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
      int     e = errno == EAGAIN ? EWOULDBLOCK : errno;
      ssize_t n = e == EWOULDBLOCK ? read(f, holder, holder_len - 1) : 0;

      holder[n > 0 ? n : 0]             = '\0';
      holder[strcspn(holder, "\n")] = '\0';
      close(f);
      return e;
    }
    if (fstat(f, &held) == 0 && stat(path, &named) == 0 && held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      char   host[128] = "?", text[256];
      time_t now       = time(NULL);
      int    n;

      gethostname(host, sizeof(host));
      host[sizeof(host) - 1] = '\0';
      n                      = snprintf(text, sizeof(text), "host %s, process %d, since %s", host, (int)getpid(), ctime(&now));
      if (ftruncate(f, 0) != 0 || write(f, text, (size_t)n) != n) { /* the lock holds without its note */ }
      *fd = f;
      return 0;
    }
    close(f); /* a released holder's unlinked file: try the path again */
  }
  return EWOULDBLOCK;
}

void hd_out_lock_release(const char *path, int *fd)
{
  if (*fd < 0) return;
  unlink(path); /* before the close: see hd_out_lock_acquire */
  close(*fd);   /* closing releases the lock */
  *fd = -1;
}

PetscErrorCode hd_out_claim_take(MPI_Comm comm, const char *dir, PetscInt part, PetscBool replace_old, hd_out_claim *c)
{
  int         rank, err[2] = {0, 0};
  char        holder[256] = "";
  struct stat st;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(c, sizeof(*c)));
  c->comm = comm;
  c->fd   = -1;
  PetscCheck(dir && dir[0], comm, HD_ERR_USER_INPUT, "no output folder given (-out DIR)");
  PetscCheck(strlen(dir) + 40 < sizeof(c->dir), comm, HD_ERR_USER_INPUT, "option -out: folder name '%s' is too long", dir);
  snprintf(c->dir, sizeof(c->dir), "%s", dir);
  if (part >= 0) snprintf(c->lock, sizeof(c->lock), "%s/.hadal-lock-part-%" PetscInt_FMT, dir, part);
  else snprintf(c->lock, sizeof(c->lock), "%s/.hadal-lock", dir);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) err[0] = ENOTDIR;
    else err[0] = hd_out_mkdirs(dir, c->created, sizeof(c->created));
    if (!err[0]) {
      int r = hd_out_lock_acquire(c->lock, &c->fd, holder, sizeof(holder));

      if (r == EWOULDBLOCK) err[1] = 1;
      else if (r) err[0] = r;
      else {
        if (part < 0 && replace_old) hd_out_snapshot(c);
        hd_h5_run_reserve_take(c->lock); /* room to close a failed output on a full disk */
      }
    }
  }
  PetscCallMPI(MPI_Bcast(err, 2, MPI_INT, 0, comm));
  PetscCallMPI(MPI_Bcast(holder, (int)sizeof(holder), MPI_CHAR, 0, comm));
  if (err[0] || err[1]) hd_out_claim_release(c, PETSC_TRUE);
  PetscCheck(err[0] != ENOTDIR, comm, HD_ERR_USER_INPUT, "option -out '%s': not a folder (it, or a folder on its path, is a file)", dir);
  PetscCheck(err[0] != ENOLCK && err[0] != ENOSYS && err[0] != EOPNOTSUPP && err[0] != EINVAL, comm, HD_ERR_FILE_WRITE, "option -out '%s': cannot lock '%s': %s (the file system does not support flock: see docs/running.md, \"Output folders on network file systems\")", dir, c->lock, strerror(err[0]));
  PetscCheck(!err[0], comm, HD_ERR_FILE_WRITE, "option -out '%s': cannot create the folder or its lock: %s", dir, strerror(err[0]));
  PetscCheck(!err[1], comm, HD_ERR_USER_INPUT, "option -out '%s': the folder is in use by another hadal run (%s); wait for it to end or choose another -out", dir, holder[0] ? holder : "holder unknown");
  PetscFunctionReturn(PETSC_SUCCESS);
}

void hd_out_claim_release(hd_out_claim *c, PetscBool failed)
{
  int rank = 0;

  if (!c->dir[0]) return;
  MPI_Comm_rank(c->comm, &rank);
  if (rank != 0) return;
  hd_h5_run_reserve_drop(c->lock);
  hd_out_lock_release(c->lock, &c->fd);
  if (!failed) {
    struct stat st;

    for (PetscInt i = 0; i < c->n_old; i++)
      if (stat(c->old[i], &st) == 0 && st.st_ino == c->old_inode[i]) unlink(c->old[i]); /* not replaced: stale */
  }
  c->n_old = 0;
  (void)PetscFree(c->old);
  (void)PetscFree(c->old_inode);
  if (failed && c->created[0]) {
    /* what a failed start made: the empty subfolders a method creates, then the folders up to the
     * topmost one created (rmdir removes only empty folders: nothing written is lost) */
    static const char *const sub[] = {"models", "windows", "members"};
    char                      path[PETSC_MAX_PATH_LEN + 16];

    for (int i = 0; i < 3; i++) {
      snprintf(path, sizeof(path), "%s/%s", c->dir, sub[i]);
      rmdir(path);
    }
    snprintf(path, sizeof(path), "%s", c->dir);
    for (;;) {
      if (rmdir(path) != 0 || !strcmp(path, c->created)) break;
      char *slash = strrchr(path, '/');
      if (!slash) break;
      *slash = '\0';
    }
  }
  c->dir[0] = '\0';
}

PetscErrorCode hd_results_create(MPI_Comm comm, const char *dir, const char *method, const char *options, hd_results *res)
{
  char           path[PETSC_MAX_PATH_LEN], *all = NULL;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  snprintf(path, sizeof(path), "%s/results.h5", dir);
  PetscCall(hd_h5_output_create(comm, path, &res->out));
  if (!options) PetscCall(PetscOptionsGetAll(NULL, &all));
  ierr = hd_h5_attr_write_string(res->out.fid, "method", method);
  if (!ierr) ierr = hd_h5_attr_write_string(res->out.fid, "hadal_version", HADAL_VERSION);
  if (!ierr) ierr = hd_h5_attr_write_string(res->out.fid, "options", options ? options : all ? all : "");
  if (!ierr) ierr = hd_results_attr_blas(res);
  PetscCall(PetscFree(all));
  PetscCall(hd_results_check(res, ierr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Create the groups on the way to `name` ("/scores/ae" needs "/scores"). */
static PetscErrorCode hd_results_parents(hid_t fid, const char *name)
{
  char path[256];

  PetscFunctionBegin;
  snprintf(path, sizeof(path), "%s", name);
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (H5Lexists(fid, path, H5P_DEFAULT) <= 0) {
      hid_t g;
      HdCallH5Write(g = H5Gcreate2(fid, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "results: cannot create group %s", path);
      H5Gclose(g);
    }
    *p = '/';
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Dataset `name` of n_global rows (of `width` values when width > 0, a plain 1-d
 * dataset when width == 0); this rank writes rows [offset, offset + n_local). */
static PetscErrorCode hd_results_write(hd_results *res, const char *name, hid_t ftype, hid_t mtype, hsize_t n_global, hsize_t width, hsize_t offset, hsize_t n_local, const void *local)
{
  PetscErrorCode ierr  = PETSC_SUCCESS;
  hid_t          space = H5I_INVALID_HID, did = H5I_INVALID_HID, mspace = H5I_INVALID_HID, dxpl = H5I_INVALID_HID;
  int            rank2 = width > 0;
  hsize_t        dims[2] = {n_global, width}, start[2] = {offset, 0}, count[2] = {n_local, width}, one[2] = {1, width > 0 ? width : 1};

  PetscFunctionBegin;
  PetscCall(PetscLogStagePush(HD_STAGE_WRITE));
  HdCallGoto(hd_results_parents(res->out.fid, name), cleanup);
  HdH5Goto(space = H5Screate_simple(1 + rank2, dims, NULL), HD_ERR_FILE_WRITE, cleanup, "results: cannot create a space for %s", name);
  HdH5Goto(did = H5Dcreate2(res->out.fid, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot create %s", res->out.path, name);
  HdH5Goto(mspace = H5Screate_simple(1 + rank2, n_local ? count : one, NULL), HD_ERR_FILE_WRITE, cleanup, "results: cannot create a space");
  if (n_local) HdH5Goto(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL), HD_ERR_FILE_WRITE, cleanup, "results: cannot select rows of %s", name);
  else {
    H5Sselect_none(space);
    H5Sselect_none(mspace);
  }
  HdCallGoto(hd_h5_collective_dxpl(&dxpl), cleanup);
  HdH5Goto(H5Dwrite(did, mtype, mspace, space, dxpl, local), HD_ERR_FILE_WRITE, cleanup, "'%s': cannot write %s", res->out.path, name);
cleanup:
  if (dxpl >= 0) H5Pclose(dxpl);
  if (mspace >= 0) H5Sclose(mspace);
  if (did >= 0) H5Dclose(did);
  if (space >= 0) H5Sclose(space);
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(ierr);
}

PetscErrorCode hd_results_write_rows(hd_results *res, const char *name, PetscInt n_global, PetscInt offset, PetscInt n_local, const float *local)
{
  PetscFunctionBegin;
  PetscCall(hd_results_check(res, hd_results_write(res, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (hsize_t)n_global, 0, (hsize_t)offset, (hsize_t)n_local, local)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_results_write_rows_int8(hd_results *res, const char *name, PetscInt n_global, PetscInt offset, PetscInt n_local, const int8_t *local)
{
  PetscFunctionBegin;
  PetscCall(hd_results_write(res, name, H5T_STD_I8LE, H5T_NATIVE_INT8, (hsize_t)n_global, 0, (hsize_t)offset, (hsize_t)n_local, local));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_results_write_table(hd_results *res, const char *name, PetscInt n_global, PetscInt width, PetscInt offset, PetscInt n_local, const float *local)
{
  PetscFunctionBegin;
  PetscCheck(width >= 1, res->out.comm, HD_ERR_INTERNAL, "results: %s needs at least one column", name);
  PetscCall(hd_results_check(res, hd_results_write(res, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (hsize_t)n_global, (hsize_t)width, (hsize_t)offset, (hsize_t)n_local, local)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_results_write_array(hd_results *res, const char *name, PetscInt n, const double *values)
{
  int rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(res->out.comm, &rank));
  PetscCall(hd_results_check(res, hd_results_write(res, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)PetscMax(n, 0), 0, 0, rank == 0 ? (hsize_t)n : 0, values)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_results_attr_double(hd_results *res, const char *name, double value)
{
  PetscFunctionBegin;
  PetscCall(hd_results_check(res, hd_h5_attr_write_double(res->out.fid, name, value)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_results_close(hd_results *res)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_output_commit(&res->out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_results_discard(hd_results *res)
{
  PetscFunctionBegin;
  PetscCall(hd_h5_output_discard(&res->out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_results_exists(MPI_Comm comm, const char *path, PetscBool *found)
{
  int rank, yes = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) yes = access(path, F_OK) == 0;
  PetscCallMPI(MPI_Bcast(&yes, 1, MPI_INT, 0, comm));
  *found = yes ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_results_same_file(MPI_Comm comm, const char *a, const char *b, PetscBool *same)
{
  int         rank, yes = 0;
  struct stat sa, sb;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) yes = stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  PetscCallMPI(MPI_Bcast(&yes, 1, MPI_INT, 0, comm));
  *same = yes ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_results_read_options(MPI_Comm comm, const char *dir, char *text, size_t len, PetscBool *found)
{
  int rank, ok = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  text[0] = '\0';
  if (rank == 0) {
    char  path[PETSC_MAX_PATH_LEN + 16];
    hid_t fid;

    snprintf(path, sizeof(path), "%s/results.h5", dir);
    H5E_BEGIN_TRY { fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }
    H5E_END_TRY;
    if (fid >= 0) {
      ok = hd_h5_attr_text(fid, "options", text, len) == PETSC_SUCCESS;
      H5Fclose(fid);
    }
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  PetscCallMPI(MPI_Bcast(text, (int)len, MPI_CHAR, 0, comm));
  *found = ok ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_results_write_model(MPI_Comm comm, const char *path, const hd_nn *net, const hd_model_meta *meta)
{
  int            rank;
  PetscErrorCode ierr = PETSC_SUCCESS;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) ierr = hd_model_write(path, net, meta);
  /* rank 0's failure on every rank, so that no rank waits on another */
  PetscCall(hd_error_agree(comm, ierr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- summary.json ---- */

static PetscErrorCode hd_summary_append(hd_summary *s, const char *fmt, ...)
{
  va_list ap;
  int     n;

  PetscFunctionBegin;
  for (;;) {
    va_start(ap, fmt);
    n = vsnprintf(s->text + s->len, s->cap - s->len, fmt, ap);
    va_end(ap);
    if ((size_t)n < s->cap - s->len) break;
    char *bigger;
    PetscCall(PetscMalloc1(2 * s->cap + (size_t)n, &bigger));
    memcpy(bigger, s->text, s->len + 1);
    PetscCall(PetscFree(s->text));
    s->text = bigger;
    s->cap  = 2 * s->cap + (size_t)n;
  }
  s->len += (size_t)n;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* separator, indentation and "key": before a value */
static PetscErrorCode hd_summary_key(hd_summary *s, const char *key)
{
  PetscFunctionBegin;
  PetscCall(hd_summary_append(s, "%s\n%*s", s->need_comma ? "," : "", 2 * s->depth, ""));
  if (key) {
    PetscCall(hd_summary_append(s, "\""));
    for (const char *p = key; *p; p++) PetscCall(hd_summary_append(s, (*p == '"' || *p == '\\') ? "\\%c" : "%c", *p));
    PetscCall(hd_summary_append(s, "\": "));
  }
  s->need_comma = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_summary_begin(hd_summary *s)
{
  PetscFunctionBegin;
  s->cap = 4096;
  s->len = 0;
  PetscCall(PetscMalloc1(s->cap, &s->text));
  s->text[0]    = '\0';
  s->depth      = 1;
  s->need_comma = 0;
  PetscCall(hd_summary_append(s, "{"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_summary_string(hd_summary *s, const char *key, const char *value)
{
  PetscFunctionBegin;
  PetscCall(hd_summary_key(s, key));
  PetscCall(hd_summary_append(s, "\""));
  for (const char *p = value; *p; p++) {
    if (*p == '"' || *p == '\\') PetscCall(hd_summary_append(s, "\\%c", *p));
    else if ((unsigned char)*p < 0x20) PetscCall(hd_summary_append(s, "\\u%04x", (unsigned)*p));
    else PetscCall(hd_summary_append(s, "%c", *p));
  }
  PetscCall(hd_summary_append(s, "\""));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_summary_int(hd_summary *s, const char *key, int64_t value)
{
  PetscFunctionBegin;
  PetscCall(hd_summary_key(s, key));
  PetscCall(hd_summary_append(s, "%lld", (long long)value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_summary_double(hd_summary *s, const char *key, double value)
{
  PetscFunctionBegin;
  PetscCall(hd_summary_key(s, key));
  if (isfinite(value)) PetscCall(hd_summary_append(s, "%.10g", value));
  else PetscCall(hd_summary_append(s, "null"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_summary_open(hd_summary *s, const char *key, char bracket)
{
  PetscFunctionBegin;
  PetscCall(hd_summary_key(s, key));
  PetscCall(hd_summary_append(s, "%c", bracket));
  s->depth++;
  s->need_comma = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_summary_close(hd_summary *s, char bracket)
{
  PetscFunctionBegin;
  s->depth--;
  PetscCall(hd_summary_append(s, "\n%*s%c", 2 * s->depth, "", bracket));
  s->need_comma = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_summary_write(MPI_Comm comm, const char *dir, hd_summary *s)
{
  PetscFunctionBegin;
  PetscCall(hd_summary_write_as(comm, dir, "summary.json", s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_summary_write_as(MPI_Comm comm, const char *dir, const char *name, hd_summary *s)
{
  hd_blas_info b;

  PetscFunctionBegin;
  /* every method's summary says which BLAS kernel produced it (docs/running.md) */
  hd_blas_info_get(&b);
  PetscCall(hd_summary_open(s, "blas", '{'));
  PetscCall(hd_summary_string(s, "library", b.config));
  PetscCall(hd_summary_string(s, "kernel", b.kernel));
  PetscCall(hd_summary_int(s, "threads", b.threads));
  PetscCall(hd_summary_close(s, '}'));
  PetscCall(hd_summary_append(s, "\n}\n"));
  PetscCall(hd_file_replace(comm, dir, name, s->text, s->len));
  PetscCall(PetscFree(s->text));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_file_replace(MPI_Comm comm, const char *dir, const char *name, const char *text, size_t len)
{
  int  rank, err = 0;
  char path[PETSC_MAX_PATH_LEN], tmp[PETSC_MAX_PATH_LEN + 32];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  if (rank == 0) {
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-%d", dir, name, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) err = errno;
    else {
      if (fwrite(text, 1, len, f) != len) err = EIO;
      if (fclose(f) != 0 && !err) err = errno;
      if (!err && rename(tmp, path) != 0) err = errno;
      if (err) unlink(tmp);
    }
  }
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, comm));
  PetscCheck(!err, comm, HD_ERR_FILE_WRITE, "cannot write '%s': %s", path, strerror(err));
  PetscFunctionReturn(PETSC_SUCCESS);
}
