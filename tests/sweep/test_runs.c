/* The runner of several method instances (src/methods/runs.c) with a test method:
 *   - each instance reads its own values through hd_opt_*() from its own database, in
 *     read_options and, pushed again by the runner, inside its members and its evaluate;
 *   - the members of all instances run (each exactly once) and each instance's sums are its own;
 *   - a plain instance (no database) reads the process's options;
 *   - an option no step reads is an error naming it, and so is a must_read name the method lacks;
 *   - the process's database is the default again afterwards, after an error too;
 *   - hd_runs_options_from_start copies the start-up options, drops the named ones and counts
 *     those already used as used. */
#include <stdio.h>
#include <string.h>
#include <hadal/options.h>
#include <hadal/runs.h>
#include "check.h"

typedef struct {
  PetscInt  value, members, member_sum_seen;
  PetscBool evaluated, reported;
} test_ctx;

static PetscErrorCode t_read(hd_run *run, void *vctx)
{
  test_ctx *c = vctx;

  PetscFunctionBegin;
  (void)run;
  PetscCall(hd_opt_int("-value", "the instance's value", 0, &c->value, NULL));
  PetscCall(hd_opt_int("-members", "members", 3, &c->members, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode t_setup(hd_run *run, void *vctx, hd_ensemble *ens)
{
  test_ctx          *c  = vctx;
  hd_ensemble_config ec = {.n_members = c->members, .group_size = 1, .n_sums = 1};

  PetscFunctionBegin;
  PetscCall(hd_ensemble_create(run->world, &ec, ens));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reads -value again: the runner must have pushed this instance's database. */
static PetscErrorCode t_member(hd_ensemble_member *m, void *vctx)
{
  test_ctx *c = vctx;
  PetscInt  v;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-value", &v, NULL));
  CHECK(v == c->value, "member %d reads -value %d, its instance has %d", (int)m->member, (int)v, (int)c->value);
  if (m->sums) m->sums[0] += v * (m->member + 1);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode t_evaluate(hd_run *run, void *vctx, const hd_ensemble *ens)
{
  test_ctx *c = vctx;
  PetscInt  v = -1;

  PetscFunctionBegin;
  (void)run;
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-value", &v, NULL));
  CHECK(v == c->value, "evaluate reads -value %d, its instance has %d", (int)v, (int)c->value);
  CHECK(ens->sums[0] == c->value * c->members * (c->members + 1) / 2, "instance with -value %d: sum %lld, want %lld", (int)c->value, (long long)ens->sums[0], (long long)(c->value * c->members * (c->members + 1) / 2));
  c->evaluated = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode t_report(hd_run *run, void *vctx, const hd_ensemble *ens)
{
  PetscFunctionBegin;
  (void)run;
  (void)ens;
  ((test_ctx *)vctx)->reported = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode t_stopped(hd_run *run, void *vctx)
{
  PetscFunctionBegin;
  (void)run;
  (void)vctx;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode t_destroy(void *vctx)
{
  PetscFunctionBegin;
  (void)vctx;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static const hd_method t_method = {"test", "a test method", "test", sizeof(test_ctx), t_read, t_setup, t_member, t_evaluate, t_report, t_stopped, t_destroy};

static PetscErrorCode db_with(const char *text, PetscOptions *db)
{
  PetscFunctionBegin;
  PetscCall(PetscOptionsCreate(db));
  PetscCall(PetscOptionsInsertString(*db, text));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  hd_runs_instance inst[3];
  const char      *must[] = {"-valeu", NULL};
  PetscInt         v      = -1;
  int              rank, size;
  PetscErrorCode   ierr;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  hd_error_handler_push();
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscOptionsSetValue(NULL, "-value", "11")); /* the process's own */

  /* the start-up options: copied, the dropped one left out, the used ones counted as used */
  {
    PetscOptions db;
    const char  *drop[] = {"-dropme", NULL};
    PetscBool    has, used;
    PetscCall(PetscOptionsHasName(NULL, NULL, "-keep", &has)); /* the process uses -keep */
    PetscCall(hd_runs_options_from_start(drop, &db));
    PetscCall(PetscOptionsHasName(db, NULL, "-dropme", &has));
    CHECK(!has, "-dropme was not dropped");
    PetscCall(PetscOptionsUsed(db, "keep", &used));
    CHECK(used, "-keep, used by the process, is not used in the copy");
    PetscCall(PetscOptionsUsed(db, "fresh", &used));
    CHECK(!used, "-fresh, unused by the process, is used in the copy");
    PetscCall(PetscOptionsHasName(db, NULL, "-fresh", &has));
    CHECK(has, "-fresh of the command line is not in the copy");
    PetscCall(PetscOptionsDestroy(&db));
    PetscCall(PetscOptionsHasName(NULL, NULL, "-fresh", &has));
    PetscCall(PetscOptionsHasName(NULL, NULL, "-dropme", &has));
  }

  /* two instances with their own values and one with the process's */
  PetscCall(PetscMemzero(inst, sizeof(inst)));
  for (int k = 0; k < 3; k++) inst[k].method = &t_method;
  PetscCall(db_with("-value 3 -members 4", &inst[0].options));
  PetscCall(db_with("-value 5", &inst[1].options));
  ierr = hd_runs_execute(PETSC_COMM_WORLD, "test", 3, inst);
  CHECK(!ierr, "three instances: %s", ierr ? hd_error_message() : "");
  if (ierr) printf("%s", hd_error_traceback());
  const PetscInt want[3] = {3, 5, 11};
  for (int k = 0; k < 3; k++) {
    test_ctx *c = inst[k].ctx;
    CHECK(c->value == want[k], "instance %d read -value %d, want %d", k, (int)c->value, (int)want[k]);
    CHECK(c->evaluated && c->reported && inst[k].finished, "instance %d was not evaluated and reported", k);
  }
  PetscCall(hd_runs_destroy(3, inst));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-value", &v, NULL));
  CHECK(v == 11, "the process's database is not the default again (-value %d)", (int)v);

  /* an option nothing reads, in the second instance's database */
  PetscCall(PetscMemzero(inst, sizeof(inst)));
  for (int k = 0; k < 2; k++) inst[k].method = &t_method;
  PetscCall(db_with("-value 3", &inst[0].options));
  PetscCall(db_with("-value 5 -vlaue 6", &inst[1].options));
  ierr = hd_runs_execute(PETSC_COMM_WORLD, "test", 2, inst);
  expect_error(ierr, "unknown option -vlaue", "an option no step reads");
  PetscCall(hd_runs_destroy(2, inst));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-value", &v, NULL));
  CHECK(v == 11, "after an error the process's database is not the default again (-value %d)", (int)v);

  /* a name the method must read but does not know */
  PetscCall(PetscMemzero(inst, sizeof(inst)));
  inst[0].method         = &t_method;
  inst[0].must_read      = must;
  inst[0].must_read_what = "option -grid";
  PetscCall(db_with("-value 3 -valeu 4", &inst[0].options));
  ierr = hd_runs_execute(PETSC_COMM_WORLD, "test", 1, inst);
  expect_error(ierr, "option -grid: -valeu is not an option of method test", "a must_read name the method lacks");
  PetscCall(hd_runs_destroy(1, inst));

  int total = 0;
  PetscCallMPI(MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD));
  if (rank == 0) printf("runner at %d ranks: %d failures\n", size, total);
  PetscCall(PetscFinalize());
  return total ? 1 : 0;
}
