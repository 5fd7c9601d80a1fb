/* First-message error handler for the top level (see include/hadal/error.h). */
#include <stdlib.h>
#include <string.h>
#include <hadal/error.h>

static char      hd_err_message[1024];
static char      hd_err_origin[256];
static char      hd_err_traceback[4096];
static PetscBool hd_err_collective;
static PetscBool hd_err_origin_pending; /* an allocation failed inside PETSc: the caller is the origin */

static PetscErrorCode hd_error_record(MPI_Comm comm, int line, const char *func, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  size_t used = strlen(hd_err_traceback);

  (void)ctx;
  if (p == PETSC_ERROR_INITIAL) {
    int size = 1;

    if (comm != MPI_COMM_NULL) MPI_Comm_size(comm, &size);
    hd_err_collective = size > 1 ? PETSC_TRUE : PETSC_FALSE;
    hd_err_origin_pending = PETSC_FALSE;
    if (file && strstr(file, "sys/memory/mal.c")) { /* PETSc's allocator (its code is not always PETSC_ERR_MEM) */
      /* PETSc's allocator names only the variable: say what happened and what helps */
      snprintf(hd_err_message, sizeof(hd_err_message), "out of memory allocating '%s' (a smaller batch, fewer events per rank, or more memory per rank)", mess && mess[0] ? mess : "?");
      hd_err_origin_pending = PETSC_TRUE;
    } else if (mess && mess[0] && strcmp(mess, " ") != 0) {
      snprintf(hd_err_message, sizeof(hd_err_message), "%s", mess);
    } else {
      const char *text = NULL;

      PetscErrorMessage(n, &text, NULL);
      snprintf(hd_err_message, sizeof(hd_err_message), "%s", text ? text : "unknown error");
    }
    snprintf(hd_err_origin, sizeof(hd_err_origin), "%s:%d", file ? file : "?", line);
    hd_err_traceback[0] = '\0';
    used = 0;
  } else if (hd_err_origin_pending && !(file && strstr(file, "sys/memory/"))) {
    snprintf(hd_err_origin, sizeof(hd_err_origin), "%s:%d", file ? file : "?", line);
    hd_err_origin_pending = PETSC_FALSE;
  }
  if (used + 1 < sizeof(hd_err_traceback)) snprintf(hd_err_traceback + used, sizeof(hd_err_traceback) - used, "  at %s() %s:%d\n", func ? func : "?", file ? file : "?", line);
  return n;
}

PetscErrorCode hd_error_handler_push(void)
{
  PetscFunctionBegin;
  PetscCall(PetscPushErrorHandler(hd_error_record, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const char *hd_error_message(void) { return hd_err_message; }
const char *hd_error_origin(void) { return hd_err_origin; }
PetscBool   hd_error_is_collective(void) { return hd_err_collective; }
const char *hd_error_traceback(void) { return hd_err_traceback; }

PetscErrorCode hd_error_agree(MPI_Comm comm, PetscErrorCode ierr)
{
  int  size, rank, mine, first, code = (int)ierr, line = 0;
  char text[sizeof(hd_err_message) + sizeof(hd_err_origin)], *colon;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (size == 1) {
    PetscCall(ierr);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  mine = ierr ? rank : size;
  PetscCallMPI(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == size) PetscFunctionReturn(PETSC_SUCCESS);
  /* the lowest failing rank's message and origin, raised again on every rank of comm */
  if (rank == first) {
    memcpy(text, hd_err_message, sizeof(hd_err_message));
    memcpy(text + sizeof(hd_err_message), hd_err_origin, sizeof(hd_err_origin));
  }
  PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, first, comm));
  PetscCallMPI(MPI_Bcast(text, (int)sizeof(text), MPI_CHAR, first, comm));
  colon = strrchr(text + sizeof(hd_err_message), ':');
  if (colon) {
    *colon = '\0';
    line   = atoi(colon + 1);
  }
  if (!text[0]) snprintf(text, sizeof(hd_err_message), "error on rank %d", first);
  PetscFunctionReturn(PetscError(comm, line, PETSC_FUNCTION_NAME, text + sizeof(hd_err_message), (PetscErrorCode)code, PETSC_ERROR_INITIAL, "%s", text));
}
