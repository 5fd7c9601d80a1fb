/* The output-folder lock (hd_out_lock_acquire / hd_out_lock_release): a second taker is refused
 * and told the holder; the release removes the file; and with several processes taking and
 * releasing it as fast as they can, never two hold it at once. The last is the race of a release
 * against two starts: a process that opened the released (unlinked) file wins its flock after the
 * holder's close while another creates and locks a new file at the path. Processes are forked
 * before anything else starts; they use the lock functions only (no MPI, no PETSc). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <hadal/results.h>
#include "check.h"

typedef struct {
  atomic_int holders, overlaps, taken, busy, errors;
} shared_counts;

enum { N_PROC = 4, N_ITER = 2000 };

static void contend(const char *path, shared_counts *s)
{
  char holder[256];
  int  fd;

  for (int i = 0; i < N_ITER; i++) {
    int r = hd_out_lock_acquire(path, &fd, holder, sizeof(holder));
    if (r == 0) {
      if (atomic_fetch_add(&s->holders, 1) != 0) atomic_fetch_add(&s->overlaps, 1);
      atomic_fetch_add(&s->taken, 1);
      sched_yield();
      atomic_fetch_sub(&s->holders, 1);
      hd_out_lock_release(path, &fd);
    } else if (r == EWOULDBLOCK) atomic_fetch_add(&s->busy, 1);
    else atomic_fetch_add(&s->errors, 1);
  }
}

int main(void)
{
  const char    *dir = "out_lock", *path = "out_lock/.hadal-lock";
  char           holder[256], want[64];
  int            fd = -1, fd2 = -1, r;
  struct stat    st;
  shared_counts *s;

  mkdir(dir, 0755);
  unlink(path);

  /* one holder: a second taker is refused and told who holds it; the release removes the file */
  r = hd_out_lock_acquire(path, &fd, holder, sizeof(holder));
  CHECK(r == 0 && fd >= 0, "first take: %d", r);
  r = hd_out_lock_acquire(path, &fd2, holder, sizeof(holder));
  snprintf(want, sizeof(want), "process %d, since", (int)getpid());
  CHECK(r == EWOULDBLOCK && fd2 < 0 && strstr(holder, want), "second take: %d, holder '%s' (expected EWOULDBLOCK naming '%s')", r, holder, want);
  hd_out_lock_release(path, &fd);
  CHECK(fd == -1 && stat(path, &st) != 0, "the lock file is left after the release");
  r = hd_out_lock_acquire(path, &fd, holder, sizeof(holder));
  CHECK(r == 0, "take after the release: %d", r);
  hd_out_lock_release(path, &fd);

  /* N_PROC processes take and release as fast as they can */
  /* the counts in a shared file mapping (POSIX; anonymous mappings are not) */
  fd = open("out_lock/counts", O_RDWR | O_CREAT | O_TRUNC, 0644);
  s  = fd >= 0 && ftruncate(fd, sizeof(*s)) == 0 ? mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (s == MAP_FAILED) {
    printf("FAIL: mmap\n");
    return 1;
  }
  memset(s, 0, sizeof(*s));
  for (int p = 0; p < N_PROC; p++) {
    pid_t pid = fork();
    if (pid == 0) {
      contend(path, s);
      _exit(0);
    }
    CHECK(pid > 0, "fork failed");
  }
  for (int p = 0; p < N_PROC; p++) {
    int status = 0;
    wait(&status);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a contending process ended with status %d", status);
  }
  printf("%d processes x %d tries: taken %d, refused busy %d, errors %d, two holders at once %d\n", N_PROC, N_ITER, atomic_load(&s->taken), atomic_load(&s->busy), atomic_load(&s->errors), atomic_load(&s->overlaps));
  CHECK(atomic_load(&s->overlaps) == 0, "the lock had two holders at once %d times", atomic_load(&s->overlaps));
  CHECK(atomic_load(&s->errors) == 0, "%d takes failed with an error", atomic_load(&s->errors));
  CHECK(atomic_load(&s->taken) > 0 && atomic_load(&s->busy) > 0, "no contention: taken %d, busy %d", atomic_load(&s->taken), atomic_load(&s->busy));
  CHECK(stat(path, &st) != 0, "the lock file is left after every process released it");
  printf("test_out_lock: %d failures\n", failures);
  return failures ? 1 : 0;
}
