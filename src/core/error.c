/* First-message error handler for the top level (see include/hadal/error.h). */
#include <string.h>
#include <hadal/error.h>

static char      hd_err_message[1024];
static char      hd_err_origin[256];
static char      hd_err_traceback[4096];
static PetscBool hd_err_collective;

static PetscErrorCode hd_error_record(MPI_Comm comm, int line, const char *func, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  size_t used = strlen(hd_err_traceback);

  (void)ctx;
  if (p == PETSC_ERROR_INITIAL) {
    int size = 1;

    if (comm != MPI_COMM_NULL) MPI_Comm_size(comm, &size);
    hd_err_collective = size > 1 ? PETSC_TRUE : PETSC_FALSE;
    if (mess && mess[0] && strcmp(mess, " ") != 0) {
      snprintf(hd_err_message, sizeof(hd_err_message), "%s", mess);
    } else {
      const char *text = NULL;

      PetscErrorMessage(n, &text, NULL);
      snprintf(hd_err_message, sizeof(hd_err_message), "%s", text ? text : "unknown error");
    }
    snprintf(hd_err_origin, sizeof(hd_err_origin), "%s:%d", file ? file : "?", line);
    hd_err_traceback[0] = '\0';
    used = 0;
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
