/* What the C tests share: a count of failed checks (main returns it), CHECK for a condition with a
 * printf-style message, check() for a condition with a fixed one, and expect_error() for a call
 * that must fail with a message naming what is at fault. Included by test programs only. */
#ifndef HADAL_TESTS_CHECK_H
#define HADAL_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>
#include <hadal/error.h>

static int failures;

#define CHECK(cond, ...) \
  do { \
    if (!(cond)) { \
      printf("FAIL: "); \
      printf(__VA_ARGS__); \
      printf("\n"); \
      failures++; \
    } \
  } while (0)

static inline void check(int ok, const char *what)
{
  CHECK(ok, "%s", what);
}

/* err must be a failure whose message (hd_error_message) contains `want`. */
static inline void expect_error(PetscErrorCode err, const char *want, const char *what)
{
  CHECK(err != 0 && strstr(hd_error_message(), want) != NULL, "%s: expected an error containing '%s', got code %d '%s'", what, want, (int)err, err ? hd_error_message() : "");
  if (err) printf("ok: %s -> %s\n", what, hd_error_message());
}

#endif
