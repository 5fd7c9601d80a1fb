/* Error handling for the whole code base.
 *
 * hadal uses PETSc's error machinery everywhere: a function that can fail returns PetscErrorCode,
 * calls go through PetscCall()/PetscCallMPI(), bad input is rejected with
 * PetscCheck(cond, comm, HD_ERR_..., "message naming the file, dataset, option or value").
 * HDF5 calls go through HdCallH5(), which treats a negative herr_t/hid_t as a failure.
 *
 * The top level (src/app/main.c) installs hd_error_handler_push(): it keeps the first message of a
 * failure and its origin, so the program prints one line ("hadal: error: ...") instead of a
 * traceback (the traceback is printed too with -verbose). When every rank failed (an error raised
 * on a communicator of all ranks, or bad input that each rank checks on its own, hd_error_agree)
 * rank 0 prints the one line and the program exits normally with status 1; MPI_Abort is left for
 * a failure on some ranks only, where the others may wait in a collective. */
#ifndef HADAL_ERROR_H
#define HADAL_ERROR_H

#include <petscsys.h>

/* PETSc before 3.19 returns a plain 0 for success; newer releases name it. */
#ifndef PETSC_SUCCESS
  #define PETSC_SUCCESS 0
#endif

/* Error classes used by hadal (PETSc's codes, named for what they mean here). */
#define HD_ERR_USER_INPUT PETSC_ERR_USER_INPUT /* bad option value, bad command line */
#define HD_ERR_FILE_OPEN  PETSC_ERR_FILE_OPEN  /* missing or unreadable file */
#define HD_ERR_FILE_READ  PETSC_ERR_FILE_READ  /* file exists but its content is wrong */
#define HD_ERR_FILE_WRITE PETSC_ERR_FILE_WRITE /* cannot write an output */
#define HD_ERR_INTERNAL   PETSC_ERR_PLIB       /* a broken invariant: a bug in hadal */
#define HD_ERR_NOT_CONVERGED PETSC_ERR_NOT_CONVERGED /* a fit or solver that did not converge */

/* Check an HDF5 call: negative means failure. The message names the file and the dataset.
 * HdCallH5 for calls that open, query or read (a failure is HD_ERR_FILE_READ), HdCallH5Write for
 * calls that create, write or close an output (HD_ERR_FILE_WRITE). */
#define HdCallH5(expr, ...) \
  do { \
    if (PetscUnlikely((expr) < 0)) SETERRQ(PETSC_COMM_SELF, HD_ERR_FILE_READ, __VA_ARGS__); \
  } while (0)
#define HdCallH5Write(expr, ...) \
  do { \
    if (PetscUnlikely((expr) < 0)) SETERRQ(PETSC_COMM_SELF, HD_ERR_FILE_WRITE, __VA_ARGS__); \
  } while (0)

/* For a function that owns several HDF5 handles or buffers: it declares `PetscErrorCode ierr =
 * PETSC_SUCCESS`, and on a failure these record the error in ierr and jump to the function's one
 * clean-up label, which releases whatever is held and ends with PetscFunctionReturn(ierr). So
 * every handle is closed on every path, the error paths included (as in HDF5's testpar code).
 *   HdH5Goto(expr, code, label, ...)          an HDF5 call, negative is failure (code: HD_ERR_FILE_*)
 *   HdCheckGoto(cond, comm, code, label, ...) like PetscCheck
 *   HdCallGoto(expr, label)                   like PetscCall */
#define HdH5Goto(expr, code, label, ...) \
  do { \
    if (PetscUnlikely((expr) < 0)) { \
      ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, code, PETSC_ERROR_INITIAL, __VA_ARGS__); \
      goto label; \
    } \
  } while (0)
#define HdCheckGoto(cond, comm, code, label, ...) \
  do { \
    if (PetscUnlikely(!(cond))) { \
      ierr = PetscError(comm, __LINE__, PETSC_FUNCTION_NAME, __FILE__, code, PETSC_ERROR_INITIAL, __VA_ARGS__); \
      goto label; \
    } \
  } while (0)
#define HdCallGoto(expr, label) \
  do { \
    ierr = (expr); \
    if (PetscUnlikely(ierr)) { \
      ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, ierr, PETSC_ERROR_REPEAT, " "); \
      goto label; \
    } \
  } while (0)

/* Collective on comm. `ierr` is this rank's result of a call that may fail on some ranks only
 * (a read of a file every rank opened, a check of rank-local data). When it failed on any rank,
 * every rank returns an error with the message and origin of the lowest failing rank, raised on
 * comm, so the program ends with one line and no rank waits in a later collective. Use as
 *   PetscCall(hd_error_agree(comm, hd_something(...)));
 * (with hd_error_handler_push() installed, as the hadal command has). */
PetscErrorCode hd_error_agree(MPI_Comm comm, PetscErrorCode ierr);

/* Not collective. Install the handler that records the first message of a failure. */
PetscErrorCode hd_error_handler_push(void);

/* Not collective. The first message of the last failure ("" when none), where it was raised
 * (file:line) and whether it was raised on a communicator of more than one rank. */
const char *hd_error_message(void);
const char *hd_error_origin(void);
PetscBool   hd_error_is_collective(void);
const char *hd_error_traceback(void);

#endif
