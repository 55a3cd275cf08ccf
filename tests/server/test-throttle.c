/* test-throttle.c: the login throttle on its own (cz-throttle.h), with a
 * made-up clock: free attempts, doubling waits, the cap, the ban,
 * reservations across parallel exchanges, the cap on exchanges under way,
 * independent keys, success (forgetting or giving back one attempt), the
 * account policy that never bans, forgetting, expiry and the address
 * keys (IPv6 by /64). */
#include "config.h"

#include "cz-throttle.h"

#define S(n) ((gint64) (n) * G_USEC_PER_SEC)
#define T0 S (1000000)   /* an arbitrary monotonic time */
#define PAIR (&cz_throttle_pair_policy)
#define ADDR (&cz_throttle_addr_policy)
#define ACCOUNT (&cz_throttle_account_policy)

/* Fails @key @n times under @p, each as soon as it may try again; fills
 * @waits[i] with the wait (s) after attempt i + 1 and returns the time of
 * the last. */
static gint64
fail_times (CzThrottle *t, const char *key, const CzThrottlePolicy *p, guint n, guint *waits,
            gint64 now)
{
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (cz_throttle_check (t, key, p, now), ==, 0);
      cz_throttle_reserve (t, key, now);
      cz_throttle_failure (t, key, now);
      waits[i] = cz_throttle_check (t, key, p, now);
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

  g_assert_cmpuint (cz_throttle_check (t, "user:alice", ACCOUNT, T0), ==, 0);
  g_assert_cmpuint (cz_throttle_size (t), ==, 0);
  cz_throttle_success (t, "user:alice", TRUE);
  cz_throttle_expire (t, T0);
  g_assert_cmpuint (cz_throttle_size (t), ==, 0);
}

/* cz-throttle.h: "the first @free attempts cost nothing". */
static void
test_free_failures (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  guint waits[CZ_THROTTLE_FREE + 1];

  fail_times (t, "pair:alice@192.0.2.1", PAIR, G_N_ELEMENTS (waits), waits, T0);
  g_assert_cmpuint (free_failures (waits, G_N_ELEMENTS (waits)), ==, CZ_THROTTLE_FREE - 1);
  g_assert_cmpuint (waits[CZ_THROTTLE_FREE - 1], ==, 1);
  g_assert_cmpuint (waits[CZ_THROTTLE_FREE], ==, 2);
}

/* After the free attempts each one doubles the wait, up to the cap; at
 * CZ_THROTTLE_BAN_AFTER attempts the pair is banned. */
static void
test_backoff_and_ban (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  const char *key = "pair:bob@192.0.2.1";
  guint waits[CZ_THROTTLE_BAN_AFTER];
  guint first;
  gint64 last;

  last = fail_times (t, key, PAIR, G_N_ELEMENTS (waits), waits, T0);
  first = free_failures (waits, G_N_ELEMENTS (waits));
  g_assert_cmpuint (first, ==, CZ_THROTTLE_FREE - 1);
  g_assert_cmpuint (waits[first], ==, 1);
  for (guint i = first + 1; i < CZ_THROTTLE_BAN_AFTER - 1; i++)
    g_assert_cmpuint (waits[i], ==, MIN (2 * waits[i - 1], CZ_THROTTLE_MAX_BACKOFF));
  g_assert_cmpuint (waits[CZ_THROTTLE_BAN_AFTER - 1], ==, CZ_THROTTLE_BAN);

  /* The wait rounds up and ends exactly on time. */
  g_assert_cmpuint (cz_throttle_check (t, key, PAIR, last + S (CZ_THROTTLE_BAN) - 1), ==, 1);
  g_assert_cmpuint (cz_throttle_check (t, key, PAIR, last + S (CZ_THROTTLE_BAN) - S (1) + 1),
                    ==, 1);
  g_assert_cmpuint (cz_throttle_check (t, key, PAIR, last + S (CZ_THROTTLE_BAN)), ==, 0);
}

/* Item 1 of issue #15: attempts count when they start.  Many exchanges
 * started at once use up the budget before any of them fails, and no more
 * than max_pending are under way at once. */
static void
test_reserved_at_start (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  const char *key = "pair:carol@192.0.2.1";
  guint admitted = 0;

  for (guint i = 0; i < 30; i++)
    if (cz_throttle_check (t, key, PAIR, T0) == 0)
      {
        cz_throttle_reserve (t, key, T0);
        admitted++;
      }
  g_assert_cmpuint (admitted, ==, MIN (CZ_THROTTLE_PAIR_PENDING, CZ_THROTTLE_FREE));
  /* One ends: another may start, within the budget. */
  cz_throttle_failure (t, key, T0);
  g_assert_cmpuint (cz_throttle_check (t, key, PAIR, T0), ==, 0);
  cz_throttle_reserve (t, key, T0);
  g_assert_cmpuint (cz_throttle_check (t, key, PAIR, T0), >=, 1);

  /* Exchanges never finished (their connections died) stop counting as
   * under way after CZ_THROTTLE_PENDING_TTL, but stay counted as attempts. */
  g_assert_cmpuint (cz_throttle_check (t, key, PAIR, T0 + S (CZ_THROTTLE_PENDING_TTL)), ==, 0);
  cz_throttle_reserve (t, key, T0 + S (CZ_THROTTLE_PENDING_TTL));
  g_assert_cmpuint (cz_throttle_check (t, key, PAIR, T0 + S (CZ_THROTTLE_PENDING_TTL)), ==, 2);
}

static void
test_keys_independent (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  guint waits[CZ_THROTTLE_FREE + 2];
  gint64 last = fail_times (t, "user:alice", ACCOUNT, G_N_ELEMENTS (waits), waits, T0);

  g_assert_cmpuint (cz_throttle_check (t, "user:bob", ACCOUNT, last), ==, 0);
  g_assert_cmpuint (cz_throttle_check (t, "addr:alice", ADDR, last), ==, 0);
  g_assert_cmpuint (cz_throttle_size (t), ==, 1);
}

/* A success with @forget clears the key's failures at once; without, it
 * gives back its own attempt only (item 2: the address keeps the failures
 * it made on other accounts). */
static void
test_success (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  guint waits[CZ_THROTTLE_FREE + 2];
  gint64 last;

  last = fail_times (t, "pair:carol@192.0.2.1", PAIR, G_N_ELEMENTS (waits), waits, T0);
  g_assert_cmpuint (cz_throttle_check (t, "pair:carol@192.0.2.1", PAIR, last), >, 0);
  cz_throttle_success (t, "pair:carol@192.0.2.1", TRUE);
  g_assert_cmpuint (cz_throttle_check (t, "pair:carol@192.0.2.1", PAIR, last), ==, 0);
  g_assert_cmpuint (cz_throttle_size (t), ==, 0);

  /* The address: four failures, then a success of its own. */
  last = fail_times (t, "addr:192.0.2.1", ADDR, CZ_THROTTLE_ADDR_FREE - 1, waits, T0);
  g_assert_cmpuint (cz_throttle_check (t, "addr:192.0.2.1", ADDR, last), ==, 0);
  cz_throttle_reserve (t, "addr:192.0.2.1", last);
  cz_throttle_success (t, "addr:192.0.2.1", FALSE);
  g_assert_cmpuint (cz_throttle_check (t, "addr:192.0.2.1", ADDR, last), ==, 0);
  /* ...the next failure still uses up the budget. */
  cz_throttle_reserve (t, "addr:192.0.2.1", last);
  cz_throttle_failure (t, "addr:192.0.2.1", last);
  g_assert_cmpuint (cz_throttle_check (t, "addr:192.0.2.1", ADDR, last), ==, 1);
}

/* Item 3: the account from anywhere slows down, up to
 * CZ_THROTTLE_ACCOUNT_MAX_WAIT, and is never banned. */
static void
test_account_never_banned (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  guint waits[CZ_THROTTLE_ACCOUNT_FREE + 40];

  fail_times (t, "user:dave", ACCOUNT, G_N_ELEMENTS (waits), waits, T0);
  g_assert_cmpuint (free_failures (waits, G_N_ELEMENTS (waits)), ==,
                    CZ_THROTTLE_ACCOUNT_FREE - 1);
  for (guint i = 0; i < G_N_ELEMENTS (waits); i++)
    g_assert_cmpuint (waits[i], <=, CZ_THROTTLE_ACCOUNT_MAX_WAIT);
  g_assert_cmpuint (waits[G_N_ELEMENTS (waits) - 1], ==, CZ_THROTTLE_ACCOUNT_MAX_WAIT);
}

/* CZ_THROTTLE_FORGET after the last attempt, the count starts over and
 * cz_throttle_expire() drops the entry (not earlier). */
static void
test_forget (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  const char *key = "pair:dave@192.0.2.1";
  guint waits[CZ_THROTTLE_FREE + 2];
  gint64 last = fail_times (t, key, PAIR, G_N_ELEMENTS (waits), waits, T0);
  gint64 later = last + S (CZ_THROTTLE_FORGET) - S (1);

  cz_throttle_expire (t, last + S (CZ_THROTTLE_FORGET) - 1);
  g_assert_cmpuint (cz_throttle_size (t), ==, 1);
  /* Still remembered: one more failure costs more than the last one. */
  cz_throttle_reserve (t, key, later);
  cz_throttle_failure (t, key, later);
  g_assert_cmpuint (cz_throttle_check (t, key, PAIR, later), >, waits[G_N_ELEMENTS (waits) - 1]);

  cz_throttle_expire (t, later + S (CZ_THROTTLE_FORGET));
  g_assert_cmpuint (cz_throttle_size (t), ==, 0);
  cz_throttle_reserve (t, key, later + S (CZ_THROTTLE_FORGET));
  cz_throttle_failure (t, key, later + S (CZ_THROTTLE_FORGET));
  g_assert_cmpuint (cz_throttle_check (t, key, PAIR, later + S (CZ_THROTTLE_FORGET)), ==, 0);
}

/* A banned key is not forgotten before its ban ends. */
static void
test_ban_not_forgotten_early (void)
{
  g_autoptr(CzThrottle) t = cz_throttle_new ();
  guint waits[CZ_THROTTLE_BAN_AFTER];
  gint64 last;

  last = fail_times (t, "pair:eve@192.0.2.1", PAIR, G_N_ELEMENTS (waits), waits, T0);
  g_assert_cmpuint (waits[CZ_THROTTLE_BAN_AFTER - 1], ==, CZ_THROTTLE_BAN);
  cz_throttle_expire (t, last + S (CZ_THROTTLE_BAN) - 1);
  g_assert_cmpuint (cz_throttle_size (t), ==, 1);
  g_assert_cmpuint (cz_throttle_check (t, "pair:eve@192.0.2.1", PAIR,
                                       last + S (CZ_THROTTLE_BAN) - 1), ==, 1);
}

/* Item 2: an IPv6 host is keyed by its /64. */
static void
test_address_keys (void)
{
  struct { const char *host, *key; } cases[] = {
    { "192.0.2.7", "addr:192.0.2.7" },
    { "[2001:db8:1:2:aaaa:bbbb:cccc:dddd]", "addr:2001:db8:1:2::/64" },
    { "2001:db8:1:2::1", "addr:2001:db8:1:2::/64" },
    { "[::1]", "addr:::/64" },
    { "[::ffff:192.0.2.9]", "addr:192.0.2.9" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *key = cz_throttle_address_key (cases[i].host);
      g_assert_cmpstr (key, ==, cases[i].key);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/throttle/fresh", test_fresh);
  g_test_add_func ("/throttle/free-failures", test_free_failures);
  g_test_add_func ("/throttle/backoff-and-ban", test_backoff_and_ban);
  g_test_add_func ("/throttle/reserved-at-start", test_reserved_at_start);
  g_test_add_func ("/throttle/keys-independent", test_keys_independent);
  g_test_add_func ("/throttle/success", test_success);
  g_test_add_func ("/throttle/account-never-banned", test_account_never_banned);
  g_test_add_func ("/throttle/forget", test_forget);
  g_test_add_func ("/throttle/ban-not-forgotten-early", test_ban_not_forgotten_early);
  g_test_add_func ("/throttle/address-keys", test_address_keys);
  return g_test_run ();
}
