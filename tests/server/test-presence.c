/* test-presence.c: presence that scales (issue #16, DESIGN §6 "Storms",
 * doc/protocol.md `presence-batch`), against the real causerie-server
 * --headless over loopback TLS.
 *
 * - 200 clients logging in one after another get O(N) presence frames:
 *   at most one `presence-batch` per recipient per batch interval (the
 *   server sends batches at least 100 ms apart, so a recipient online for
 *   E ms gets at most E/100 + 2), where one frame per change would be
 *   N(N-1)/2; each recipient hears of every later user once, and never
 *   of itself.
 * - The latest state wins: a user who leaves and comes back within the
 *   grace period is not announced at all.
 * - A client that did not ask for batches gets `presence` per change.
 * - Connections that leave together are not told about each other, and
 *   those who stay hear each departure once. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "wire-peer.h"
#include "cz-protocol.h"
#include "cz-message.h"
#include "cz-scram.h"

#define WAIT_MS 20000
#define STORM_N 200

typedef WireFixture Fixture;

#define PASSWORD "Pw.presence-1234"

/* Logs in; @batch: asks for `presence-batch`. */
static void
login (Wire *w, const char *user, gboolean batch)
{
  static const char *const features[] = { CZ_FEATURE_PRESENCE_BATCH, NULL };
  static const char *const none[] = { NULL };

  wire_login_with (w, user, PASSWORD, batch ? features : none);
}

static Wire *
join (Fixture *f, const char *user, gboolean batch)
{
  Wire *w = wire_connect (f);

  wire_register (w, user, PASSWORD);
  login (w, user, batch);
  return w;
}

/* What presence @w received so far: each change as "user:on" / "user:off"
 * appended to @changes (if not NULL); returns the number of frames.
 * Batches and single frames are told apart by @batches. */
static guint
take_presence (Wire *w, GPtrArray *changes, guint *batches)
{
  guint frames = 0;

  for (guint i = 0; i < w->inbox->len; )
    {
      GVariant *m = w->inbox->pdata[i];
      const char *kind = cz_message_kind (m);

      if (g_str_equal (kind, "presence-batch"))
        {
          for (guint l = 0; l < 2; l++)
            {
              g_autoptr(GVariant) list = cz_message_lookup (m, l == 0 ? "online" : "offline",
                                                            G_VARIANT_TYPE_STRING_ARRAY);
              g_assert_nonnull (list);
              for (gsize k = 0; k < g_variant_n_children (list); k++)
                {
                  const char *u = NULL;
                  g_variant_get_child (list, k, "&s", &u);
                  if (changes)
                    g_ptr_array_add (changes, g_strdup_printf ("%s:%s", u, l == 0 ? "on" : "off"));
                }
            }
          if (batches)
            (*batches)++;
        }
      else if (g_str_equal (kind, "presence"))
        {
          const char *u = NULL;
          gboolean on = FALSE;

          g_assert_true (cz_message_get_string (m, "user", &u, NULL));
          g_assert_true (cz_message_get_boolean (m, "online", &on, NULL));
          if (changes)
            g_ptr_array_add (changes, g_strdup_printf ("%s:%s", u, on ? "on" : "off"));
        }
      else
        {
          i++;
          continue;
        }
      frames++;
      g_ptr_array_remove_index (w->inbox, i);
    }
  return frames;
}

static guint
count_of (GPtrArray *changes, const char *what)
{
  guint n = 0;

  for (guint i = 0; i < changes->len; i++)
    if (g_str_equal (changes->pdata[i], what))
      n++;
  return n;
}

static void
start_server (Fixture *f, const char *grace_ms)
{
  const char *args[] = { "--max-per-address", "0", "--presence-grace", grace_ms, NULL };

  wire_fixture_start_server (f, args);
}

static void
setup (Fixture *f, gconstpointer data)
{
  wire_fixture_init (f);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  wire_fixture_teardown (f);
}

/* ---- Tests ----------------------------------------------------------------- */

static void
test_storm (Fixture *f, gconstpointer data)
{
  g_autofree guint *frames = g_new0 (guint, STORM_N);
  g_autofree guint *later = g_new0 (guint, STORM_N);
  /* heard[i * N + j]: times client i was told that s<j> came online. */
  g_autofree guint8 *heard = g_new0 (guint8, STORM_N * STORM_N);
  gint64 t0, end, elapsed_ms;
  guint total = 0, expected = 0, total_later = 0, batches = 0;
  gboolean done = FALSE;

  if (!wire_need_server (f))
    return;
  start_server (f, "1");
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < STORM_N; i++)
    {
      g_autofree char *name = g_strdup_printf ("s%03u", i);
      join (f, name, TRUE);
    }
  /* Client i hears of clients i+1 .. N-1 (and may hear of one who logged
   * in just before it, in the batch under way). */
  for (guint i = 0; i < STORM_N; i++)
    expected += STORM_N - 1 - i;
  end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;
  while (!done && g_get_monotonic_time () < end)
    {
      wire_pump_all (f);
      done = TRUE;
      total_later = 0;
      for (guint i = 0; i < STORM_N; i++)
        {
          g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func (g_free);

          frames[i] += take_presence (f->wires->pdata[i], got, &batches);
          for (guint k = 0; k < got->len; k++)
            {
              const char *c = got->pdata[k];
              guint j = (guint) g_ascii_strtoull (c + 1, NULL, 10);

              g_assert_true (c[0] == 's' && g_str_has_suffix (c, ":on"));
              g_assert_cmpuint (j, <, STORM_N);
              g_assert_cmpuint (j, !=, i);   /* never itself */
              g_assert_cmpuint (heard[i * STORM_N + j], ==, 0);   /* each user once */
              heard[i * STORM_N + j] = 1;
              if (j > i)
                later[i]++;
            }
          if (later[i] < STORM_N - 1 - i)
            done = FALSE;
          total_later += later[i];
        }
    }
  elapsed_ms = (g_get_monotonic_time () - t0) / 1000;
  g_assert_true (done);
  g_assert_cmpuint (total_later, ==, expected);
  for (guint i = 0; i < STORM_N; i++)
    {
      total += frames[i];
      /* At most one frame per batch interval (>= 100 ms) of its life. */
      g_assert_cmpuint (frames[i], <=, elapsed_ms / 100 + 2);
    }
  g_test_message ("%u clients: %u presence frames for %u changes in %" G_GINT64_FORMAT " ms",
                  STORM_N, total, expected, elapsed_ms);
  g_assert_cmpuint (total, <=, STORM_N * (elapsed_ms / 100 + 2));
  g_assert_cmpuint (batches, ==, total);   /* all of them `presence-batch` */
}

/* Latest state: bob leaves and comes back within the grace period (30 s
 * here): nobody hears of it.  carol's login then makes a batch that, had
 * bob's departure been announced, would have followed it. */
static void
test_latest_state (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) seen_a = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) seen_l = g_ptr_array_new_with_free_func (g_free);
  Wire *alice, *legacy, *bob, *bob2;
  guint batches = 0;
  gint64 end;

  if (!wire_need_server (f))
    return;
  start_server (f, "30000");
  alice = join (f, "alice", TRUE);
  legacy = join (f, "lena", FALSE);
  bob = join (f, "bob", TRUE);
  end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;
  while ((count_of (seen_a, "bob:on") == 0 || count_of (seen_l, "bob:on") == 0)
         && g_get_monotonic_time () < end)
    {
      wire_pump_all (f);
      take_presence (alice, seen_a, &batches);
      take_presence (legacy, seen_l, NULL);
    }
  g_assert_cmpuint (count_of (seen_a, "bob:on"), ==, 1);
  g_assert_cmpuint (count_of (seen_l, "bob:on"), ==, 1);
  g_assert_cmpuint (batches, >=, 1);   /* alice asked for batches and got them */

  /* bob goes and comes back. */
  wire_send (bob, cz_message_new ("bye", "reason", g_variant_new_string ("brb"), NULL));
  /* Each wait its own bound: the logins between them are slow under
   * sanitizers, and a deadline shared across phases ran out. */
  end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;
  while (!bob->closed && g_get_monotonic_time () < end)
    wire_pump (bob, 50);
  bob2 = wire_connect (f);
  login (bob2, "bob", TRUE);

  join (f, "carol", TRUE);
  end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;
  while ((count_of (seen_a, "carol:on") == 0 || count_of (seen_l, "carol:on") == 0)
         && g_get_monotonic_time () < end)
    {
      wire_pump_all (f);
      take_presence (alice, seen_a, NULL);
      take_presence (legacy, seen_l, NULL);
    }
  g_assert_cmpuint (count_of (seen_a, "carol:on"), ==, 1);
  g_assert_cmpuint (count_of (seen_l, "carol:on"), ==, 1);
  g_assert_cmpuint (count_of (seen_a, "bob:off"), ==, 0);
  g_assert_cmpuint (count_of (seen_a, "bob:on"), ==, 1);
  g_assert_cmpuint (count_of (seen_l, "bob:off"), ==, 0);
  g_assert_cmpuint (count_of (seen_l, "bob:on"), ==, 1);
}

/* Five clients leave together: none of them is told about the others
 * (their departures wait out the grace period, 2 s, by which time they
 * are gone), while alice hears each departure once. */
static void
test_departing (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  Wire *alice, *leaving[5];
  gint64 end;

  if (!wire_need_server (f))
    return;
  start_server (f, "2000");
  alice = join (f, "alice", TRUE);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("d%u", i);
      leaving[i] = join (f, name, TRUE);
    }
  end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;
  while (count_of (seen, "d4:on") == 0 && g_get_monotonic_time () < end)
    {
      wire_pump_all (f);
      take_presence (alice, seen, NULL);
    }
  g_assert_cmpuint (count_of (seen, "d4:on"), ==, 1);
  /* Let the leavers take what they were sent so far. */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(GVariant) who = NULL;

      wire_send (leaving[i], cz_message_new ("who", "ref", g_variant_new_uint32 (5), NULL));
      who = wire_take (leaving[i], "who", WAIT_MS);
      g_assert_nonnull (who);
      take_presence (leaving[i], NULL, NULL);
    }
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (shutdown (leaving[i]->fd, SHUT_WR), ==, 0);
  end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func (g_free);

      while (!leaving[i]->closed && g_get_monotonic_time () < end)
        wire_pump (leaving[i], 50);
      g_assert_true (leaving[i]->closed);
      take_presence (leaving[i], got, NULL);
      for (guint k = 0; k < got->len; k++)
        g_test_message ("d%u was told %s", i, (char *) got->pdata[k]);
      g_assert_cmpuint (got->len, ==, 0);
    }
  while (seen->len < 10 && g_get_monotonic_time () < end)
    {
      wire_pump_all (f);
      take_presence (alice, seen, NULL);
    }
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *off = g_strdup_printf ("d%u:off", i);
      g_assert_cmpuint (count_of (seen, off), ==, 1);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/presence/storm-batched", Fixture, NULL, setup, test_storm, teardown);
  g_test_add ("/presence/latest-state", Fixture, NULL, setup, test_latest_state, teardown);
  g_test_add ("/presence/departing", Fixture, NULL, setup, test_departing, teardown);
  return g_test_run ();
}
