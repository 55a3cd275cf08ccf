/* test-throttle.c: the login throttle on its own (cz-throttle.h), with a
 * made-up clock: free failures, doubling waits, the cap, the ban,
 * independent keys, success, forgetting and expiry. */
#include "config.h"

#include "cz-throttle.h"

#define S(n) ((gint64) (n) * G_USEC_PER_SEC)
#define T0 S (1000000)   /* an arbitrary monotonic time */

/* Fails @key @n times, each as soon as it may try again; fills @waits[i]
 * with the wait (s) after failure i + 1 and returns the time of the last. */
static gint64
fail_times (CzThrottle *t, const char *key, guint n, guint *waits, gint64 now)
{
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (cz_throttle_check (t, key, now), ==, 0);
      cz_throttle_failure (t, key, now);
      waits[i] = cz_throttle_check (t, key, now);
      if (i + 1 < n)
        now += S (waits[i]);
    }
  return now;
}

static guint
free_failures (const guint *waits, guint n)
{
  guint i = 0;

  while (i < n && waits[i] == 0)
    i++;
  return i;
}

static void
test_fresh (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();

  g_assert_cmpuint (cz_throttle_check (t, "user:alice", T0), ==, 0);
  g_assert_cmpuint (cz_throttle_size (t), ==, 0);
  cz_throttle_success (t, "user:alice");
  cz_throttle_expire (t, T0);
  g_assert_cmpuint (cz_throttle_size (t), ==, 0);
}

/* cz-throttle.h: "The first CZ_THROTTLE_FREE failures cost nothing". */
static void
test_free_failures (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  guint waits[CZ_THROTTLE_FREE + 1];

  fail_times (t, "user:alice", G_N_ELEMENTS (waits), waits, T0);
  g_assert_cmpuint (waits[0], ==, 0);
  g_assert_cmpuint (free_failures (waits, G_N_ELEMENTS (waits)), ==, CZ_THROTTLE_FREE);
  g_assert_cmpuint (waits[CZ_THROTTLE_FREE], ==, 1);
}

/* After the free failures each one doubles the wait, up to the cap; at
 * CZ_THROTTLE_BAN_AFTER failures the key is banned. */
static void
test_backoff_and_ban (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  guint waits[CZ_THROTTLE_BAN_AFTER];
  guint first;
  gint64 last;

  last = fail_times (t, "addr:192.0.2.1", G_N_ELEMENTS (waits), waits, T0);
  first = free_failures (waits, G_N_ELEMENTS (waits));
  g_assert_cmpuint (first, >=, CZ_THROTTLE_FREE - 1);
  g_assert_cmpuint (first, <=, CZ_THROTTLE_FREE);
  g_assert_cmpuint (waits[first], ==, 1);
  for (guint i = first + 1; i < CZ_THROTTLE_BAN_AFTER - 1; i++)
    g_assert_cmpuint (waits[i], ==, MIN (2 * waits[i - 1], CZ_THROTTLE_MAX_BACKOFF));
  g_assert_cmpuint (waits[CZ_THROTTLE_BAN_AFTER - 1], ==, CZ_THROTTLE_BAN);

  /* The wait rounds up and ends exactly on time. */
  g_assert_cmpuint (cz_throttle_check (t, "addr:192.0.2.1", last + S (CZ_THROTTLE_BAN) - 1), ==, 1);
  g_assert_cmpuint (cz_throttle_check (t, "addr:192.0.2.1", last + S (CZ_THROTTLE_BAN) - S (1) + 1),
                    ==, 1);
  g_assert_cmpuint (cz_throttle_check (t, "addr:192.0.2.1", last + S (CZ_THROTTLE_BAN)), ==, 0);
}

static void
test_keys_independent (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  guint waits[CZ_THROTTLE_FREE + 2];
  gint64 last = fail_times (t, "user:alice", G_N_ELEMENTS (waits), waits, T0);

  g_assert_cmpuint (cz_throttle_check (t, "user:alice", last), >, 0);
  g_assert_cmpuint (cz_throttle_check (t, "user:bob", last), ==, 0);
  g_assert_cmpuint (cz_throttle_check (t, "addr:alice", last), ==, 0);
  g_assert_cmpuint (cz_throttle_size (t), ==, 1);
}

/* A success forgets the key at once: the next failure is free again. */
static void
test_success_clears (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  guint waits[CZ_THROTTLE_FREE + 2];
  gint64 last;

  last = fail_times (t, "user:carol", G_N_ELEMENTS (waits), waits, T0);
  g_assert_cmpuint (cz_throttle_check (t, "user:carol", last), >, 0);
  cz_throttle_success (t, "user:carol");
  g_assert_cmpuint (cz_throttle_check (t, "user:carol", last), ==, 0);
  g_assert_cmpuint (cz_throttle_size (t), ==, 0);
  cz_throttle_failure (t, "user:carol", last);
  g_assert_cmpuint (cz_throttle_check (t, "user:carol", last), ==, 0);
}

/* CZ_THROTTLE_FORGET after the last failure, the count starts over and
 * cz_throttle_expire() drops the entry (not earlier). */
static void
test_forget (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  guint waits[CZ_THROTTLE_FREE + 2];
  gint64 last = fail_times (t, "user:dave", G_N_ELEMENTS (waits), waits, T0);
  gint64 later = last + S (CZ_THROTTLE_FORGET) - S (1);

  cz_throttle_expire (t, last + S (CZ_THROTTLE_FORGET) - 1);
  g_assert_cmpuint (cz_throttle_size (t), ==, 1);
  /* Still remembered: one more failure costs more than the last one. */
  cz_throttle_failure (t, "user:dave", later);
  g_assert_cmpuint (cz_throttle_check (t, "user:dave", later), >,
                    waits[G_N_ELEMENTS (waits) - 1]);

  cz_throttle_expire (t, later + S (CZ_THROTTLE_FORGET));
  g_assert_cmpuint (cz_throttle_size (t), ==, 0);
  cz_throttle_failure (t, "user:dave", later + S (CZ_THROTTLE_FORGET));
  g_assert_cmpuint (cz_throttle_check (t, "user:dave", later + S (CZ_THROTTLE_FORGET)), ==, 0);
}

/* A banned key is not forgotten before its ban ends. */
static void
test_ban_not_forgotten_early (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  guint waits[CZ_THROTTLE_BAN_AFTER];
  gint64 last;

  last = fail_times (t, "user:eve", G_N_ELEMENTS (waits), waits, T0);
  g_assert_cmpuint (waits[CZ_THROTTLE_BAN_AFTER - 1], ==, CZ_THROTTLE_BAN);
  cz_throttle_expire (t, last + S (CZ_THROTTLE_BAN) - 1);
  g_assert_cmpuint (cz_throttle_size (t), ==, 1);
  g_assert_cmpuint (cz_throttle_check (t, "user:eve", last + S (CZ_THROTTLE_BAN) - 1), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/throttle/fresh", test_fresh);
  g_test_add_func ("/throttle/free-failures", test_free_failures);
  g_test_add_func ("/throttle/backoff-and-ban", test_backoff_and_ban);
  g_test_add_func ("/throttle/keys-independent", test_keys_independent);
  g_test_add_func ("/throttle/success-clears", test_success_clears);
  g_test_add_func ("/throttle/forget", test_forget);
  g_test_add_func ("/throttle/ban-not-forgotten-early", test_ban_not_forgotten_early);
  return g_test_run ();
}
