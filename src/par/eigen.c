/* Eigenvalues of a small symmetric matrix with ScaLAPACK on a block-cyclic distribution over a
 * BLACS process grid (include/hadal/par.h). The BLACS and ScaLAPACK entry points are declared
 * here: the Debian package ships no C header for them. */
#include <math.h>
#include <hadal/par.h>

extern int  Csys2blacs_handle(MPI_Comm comm);
extern void Cfree_blacs_system_handle(int handle);
extern void Cblacs_gridinit(int *ctxt, const char *order, int nprow, int npcol);
extern void Cblacs_gridinfo(int ctxt, int *nprow, int *npcol, int *myrow, int *mycol);
extern void Cblacs_gridexit(int ctxt);
extern int  numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
extern void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc, const int *icsrc, const int *ictxt, const int *lld, int *info);
extern void pdsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia, const int *ja, const int *desca, double *w, double *z, const int *iz, const int *jz, const int *descz, double *work, const int *lwork, int *info);

void hd_par_grid_shape(int size, int *nprow, int *npcol)
{
  int r = 1;

  for (int d = 1; d * d <= size; d++)
    if (size % d == 0) r = d;
  *nprow = r;
  *npcol = size / r;
}

PetscErrorCode hd_par_eigenvalues_sym(hd_comm comm, PetscInt n, PetscInt block, const double *a, double *w)
{
  int     rank, size, nprow, npcol, myrow, mycol, handle, ctxt, bn, nb, mloc, nloc, lld, info = 0, zero = 0, one = 1, lwork = -1;
  int     desc[9];
  double *aloc, *work, lwork_q;

  PetscFunctionBegin;
  PetscCheck(n >= 1 && n <= 1000000, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "eigenvalues of a %" PetscInt_FMT "x%" PetscInt_FMT " matrix: the order must be in [1, 10^6]", n, n);
  PetscCall(hd_par_rank_size(comm, &rank, &size));
  hd_par_grid_shape(size, &nprow, &npcol);
  bn = (int)n;
  /* default block: about two blocks per process along the longer grid side, at most 64 */
  nb = block > 0 ? (int)PetscMin(block, n) : (int)PetscMax(1, PetscMin(64, n / (2 * PetscMax(nprow, npcol))));
  handle = Csys2blacs_handle(comm);
  ctxt   = handle;
  Cblacs_gridinit(&ctxt, "R", nprow, npcol);
  Cblacs_gridinfo(ctxt, &nprow, &npcol, &myrow, &mycol);
  PetscCheck(myrow >= 0 && mycol >= 0, PETSC_COMM_SELF, HD_ERR_INTERNAL, "rank %d is not on the %dx%d BLACS grid", rank, nprow, npcol);
  mloc = numroc_(&bn, &nb, &myrow, &zero, &nprow);
  nloc = numroc_(&bn, &nb, &mycol, &zero, &npcol);
  lld  = PetscMax(1, mloc);
  descinit_(desc, &bn, &bn, &nb, &nb, &zero, &zero, &ctxt, &lld, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, HD_ERR_INTERNAL, "ScaLAPACK descinit failed (info %d)", info);
  /* local (li, lj) of the block-cyclic layout is global (i, j) = ((li / nb) nprow + myrow) nb +
   * li mod nb, likewise for columns; local storage is column-major with leading dimension lld */
  PetscCall(PetscMalloc1((size_t)lld * PetscMax(nloc, 1), &aloc));
  for (int lj = 0; lj < nloc; lj++) {
    PetscInt j = ((PetscInt)(lj / nb) * npcol + mycol) * nb + lj % nb;
    for (int li = 0; li < mloc; li++) {
      PetscInt i = ((PetscInt)(li / nb) * nprow + myrow) * nb + li % nb;
      aloc[li + (size_t)lj * lld] = a[i * n + j];
    }
  }
  pdsyev_("N", "U", &bn, aloc, &one, &one, desc, w, NULL, &one, &one, desc, &lwork_q, &lwork, &info); /* workspace query */
  PetscCheck(info == 0, PETSC_COMM_SELF, HD_ERR_INTERNAL, "ScaLAPACK pdsyev workspace query failed (info %d)", info);
  lwork = (int)lwork_q + 1;
  PetscCall(PetscMalloc1(lwork, &work));
  pdsyev_("N", "U", &bn, aloc, &one, &one, desc, w, NULL, &one, &one, desc, work, &lwork, &info);
  /* every process of the grid returns the same eigenvalues (pdsyev checks this itself) */
  PetscCheck(info == 0, PETSC_COMM_SELF, HD_ERR_INTERNAL, "ScaLAPACK pdsyev failed on the %" PetscInt_FMT "x%" PetscInt_FMT " matrix (info %d)", n, n, info);
  PetscCall(PetscFree(work));
  PetscCall(PetscFree(aloc));
  Cblacs_gridexit(ctxt);
  Cfree_blacs_system_handle(handle);
  PetscFunctionReturn(PETSC_SUCCESS);
}
