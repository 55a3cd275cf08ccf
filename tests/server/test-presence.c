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

#include "testutil.h"
#include "cz-protocol.h"
#include "cz-message.h"
#include "cz-scram.h"

#define WAIT_MS 20000
#define STORM_N 200

typedef struct {
  int fd;
  char *user;
  CzChannel *channel;
  GPtrArray *inbox;      /* GVariant* received, not taken yet */
  gboolean ready;
  gboolean closed;
} Wire;

typedef struct {
  char *dir;
  CzTestServer *server;
  CzTlsClientConfig *tls;
  GPtrArray *wires;      /* Wire* */
} Fixture;

static void
wire_ready_cb (CzChannel *channel, gpointer user_data)
{
  ((Wire *) user_data)->ready = TRUE;
}

static void
wire_message_cb (CzChannel *channel, GVariant *message, gpointer user_data)
{
  g_ptr_array_add (((Wire *) user_data)->inbox, g_variant_ref (message));
}

static void
wire_closed_cb (CzChannel *channel, const GError *error, gpointer user_data)
{
  ((Wire *) user_data)->closed = TRUE;
}

static const CzChannelCallbacks wire_callbacks = {
  .ready = wire_ready_cb,
  .message = wire_message_cb,
  .closed = wire_closed_cb,
};

static void
wire_free (Wire *w)
{
  g_clear_pointer (&w->channel, cz_channel_free);
  if (w->fd >= 0)
    close (w->fd);
  g_ptr_array_unref (w->inbox);
  g_free (w->user);
  g_free (w);
}

/* Runs the channel once, waiting up to @timeout_ms for the socket. */
static void
wire_pump (Wire *w, int timeout_ms)
{
  struct pollfd p = { .fd = w->fd, .events = POLLIN };

  if (w->closed)
    return;
  if (cz_channel_wants_write (w->channel))
    p.events |= POLLOUT;
  if (!cz_channel_has_buffered_input (w->channel))
    poll (&p, 1, timeout_ms);
  cz_channel_io (w->channel);
}

/* Every open wire once, without waiting. */
static void
pump_all (Fixture *f)
{
  g_autofree struct pollfd *p = g_new0 (struct pollfd, f->wires->len);

  for (guint i = 0; i < f->wires->len; i++)
    {
      Wire *w = f->wires->pdata[i];
      p[i].fd = w->closed ? -1 : w->fd;
      p[i].events = POLLIN;
    }
  poll (p, f->wires->len, 20);
  for (guint i = 0; i < f->wires->len; i++)
    {
      Wire *w = f->wires->pdata[i];
      if (!w->closed && (p[i].revents || cz_channel_has_buffered_input (w->channel)))
        cz_channel_io (w->channel);
    }
}

static Wire *
wire_connect (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  CzChannelOptions options = { .name = "test-presence" };
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (f->server->port),
                              .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;
  Wire *w = g_new0 (Wire, 1);

  w->inbox = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  w->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_ptr_array_add (f->wires, w);
  g_assert_cmpint (w->fd, >=, 0);
  g_assert_cmpint (connect (w->fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (fcntl (w->fd, F_SETFL, fcntl (w->fd, F_GETFL) | O_NONBLOCK), ==, 0);
  w->channel = cz_channel_new_client (f->tls, w->fd, "127.0.0.1", f->server->port, &options,
                                      &wire_callbacks, w, &error);
  g_assert_no_error (error);
  cz_channel_start (w->channel);
  while (!w->ready && !w->closed && g_get_monotonic_time () < end)
    wire_pump (w, 100);
  g_assert_true (w->ready);
  return w;
}

static void
wire_send (Wire *w, GVariant *message)
{
  g_autoptr(GVariant) owned = g_variant_take_ref (message);
  g_autoptr(GError) error = NULL;

  g_assert_true (cz_channel_send (w->channel, owned, &error));
  g_assert_no_error (error);
  cz_channel_flush (w->channel);
}

/* The first message of @kind received (taken from the inbox), or NULL. */
static GVariant *
wire_take (Wire *w, const char *kind, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      for (guint i = 0; i < w->inbox->len; i++)
        if (g_str_equal (cz_message_kind (w->inbox->pdata[i]), kind))
          return g_ptr_array_steal_index (w->inbox, i);
      if (w->closed || g_get_monotonic_time () >= end)
        return NULL;
      wire_pump (w, 50);
    }
}

static void
wire_register (Wire *w, const char *user, const char *password)
{
  g_auto(CzScramCredentials) creds = { 0 };
  g_autoptr(GVariant) params = NULL;
  g_autoptr(GVariant) done = NULL;
  g_autoptr(GBytes) salt = NULL;
  guint32 iterations = 0;

  wire_send (w, cz_message_new ("register", "ref", g_variant_new_uint32 (1),
                                "user", g_variant_new_string (user), NULL));
  params = wire_take (w, "register-params", WAIT_MS);
  g_assert_nonnull (params);
  g_assert_true (cz_message_get_bytes (params, "salt", &salt, NULL));
  g_assert_true (cz_message_get_uint32 (params, "iterations", &iterations, NULL));
  g_assert_true (cz_scram_credentials_from_password (&creds, password, salt, iterations, NULL));
  wire_send (w, cz_message_new ("register-keys", "ref", g_variant_new_uint32 (1),
                                "stored_key", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                         creds.stored_key, 32, 1),
                                "server_key", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                         creds.server_key, 32, 1),
                                NULL));
  done = wire_take (w, "registered", WAIT_MS);
  g_assert_nonnull (done);
}

/* Logs in; @batch: asks for `presence-batch`. */
static void
wire_login (Wire *w, const char *user, const char *password, gboolean batch)
{
  static const char *const features[] = { CZ_FEATURE_PRESENCE_BATCH, NULL };
  static const char *const none[] = { NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) cbind = cz_tls_channel_binding (cz_channel_get_session (w->channel), &error);
  g_autoptr(CzScramClient) scram = NULL;
  g_autoptr(GVariant) challenge = NULL;
  g_autoptr(GVariant) ok = NULL;
  g_autofree char *first = NULL;
  g_autofree char *final = NULL;
  const char *server_first = NULL;

  g_assert_no_error (error);
  scram = cz_scram_client_new (user, password, cbind, NULL);
  first = cz_scram_client_first (scram);
  wire_send (w, cz_message_new ("auth-start", "ref", g_variant_new_uint32 (2),
                                "mechanism", g_variant_new_string (CZ_SCRAM_MECHANISM),
                                "message", g_variant_new_string (first),
                                "features", g_variant_new_strv (batch ? features : none, -1),
                                NULL));
  challenge = wire_take (w, "auth-challenge", WAIT_MS);
  g_assert_nonnull (challenge);
  g_assert_true (cz_message_get_string (challenge, "message", &server_first, NULL));
  final = cz_scram_client_final (scram, server_first, &error);
  g_assert_no_error (error);
  wire_send (w, cz_message_new ("auth-finish", "ref", g_variant_new_uint32 (2),
                                "message", g_variant_new_string (final), NULL));
  ok = wire_take (w, "auth-ok", WAIT_MS);
  g_assert_nonnull (ok);
  g_free (w->user);
  w->user = g_strdup (user);
}

static Wire *
wire_join (Fixture *f, const char *user, gboolean batch)
{
  Wire *w = wire_connect (f);

  wire_register (w, user, "Pw.presence-1234");
  wire_login (w, user, "Pw.presence-1234", batch);
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
  g_autoptr(GError) error = NULL;
  g_autofree char *ca = g_build_filename (f->dir, "ca.pem", NULL);
  CzTlsClientOptions tls = { .trust = CZ_TRUST_CA, .ca_file = ca };
  const char *args[] = { "--max-per-address", "0", "--presence-grace", grace_ms, NULL };

  f->server = cz_test_server_start (f->dir, args, &error);
  g_assert_no_error (error);
  if (f->tls == NULL)
    {
      f->tls = cz_tls_client_config_new (&tls, &error);
      g_assert_no_error (error);
    }
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->wires = g_ptr_array_new_with_free_func ((GDestroyNotify) wire_free);
  if (cz_test_server_bin () == NULL)
    return;
  f->dir = cz_test_make_pki ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->wires, g_ptr_array_unref);
  if (f->server)
    g_assert_cmpint (cz_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, cz_test_server_free);
  g_clear_pointer (&f->tls, cz_tls_client_config_unref);
  if (f->dir)
    cz_test_rmdir (f->dir);
  g_free (f->dir);
}

static gboolean
need_server (Fixture *f)
{
  if (f->dir == NULL)
    g_test_skip ("CZ_SERVER_BIN not set");
  return f->dir != NULL;
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

  if (!need_server (f))
    return;
  start_server (f, "1");
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < STORM_N; i++)
    {
      g_autofree char *name = g_strdup_printf ("s%03u", i);
      wire_join (f, name, TRUE);
    }
  /* Client i hears of clients i+1 .. N-1 (and may hear of one who logged
   * in just before it, in the batch under way). */
  for (guint i = 0; i < STORM_N; i++)
    expected += STORM_N - 1 - i;
  end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;
  while (!done && g_get_monotonic_time () < end)
    {
      pump_all (f);
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

  if (!need_server (f))
    return;
  start_server (f, "30000");
  alice = wire_join (f, "alice", TRUE);
  legacy = wire_join (f, "lena", FALSE);
  bob = wire_join (f, "bob", TRUE);
  end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;
  while ((count_of (seen_a, "bob:on") == 0 || count_of (seen_l, "bob:on") == 0)
         && g_get_monotonic_time () < end)
    {
      pump_all (f);
      take_presence (alice, seen_a, &batches);
      take_presence (legacy, seen_l, NULL);
    }
  g_assert_cmpuint (count_of (seen_a, "bob:on"), ==, 1);
  g_assert_cmpuint (count_of (seen_l, "bob:on"), ==, 1);
  g_assert_cmpuint (batches, >=, 1);   /* alice asked for batches and got them */

  /* bob goes and comes back. */
  wire_send (bob, cz_message_new ("bye", "reason", g_variant_new_string ("brb"), NULL));
  while (!bob->closed && g_get_monotonic_time () < end)
    wire_pump (bob, 50);
  bob2 = wire_connect (f);
  wire_login (bob2, "bob", "Pw.presence-1234", TRUE);

  wire_join (f, "carol", TRUE);
  while ((count_of (seen_a, "carol:on") == 0 || count_of (seen_l, "carol:on") == 0)
         && g_get_monotonic_time () < end)
    {
      pump_all (f);
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

  if (!need_server (f))
    return;
  start_server (f, "2000");
  alice = wire_join (f, "alice", TRUE);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("d%u", i);
      leaving[i] = wire_join (f, name, TRUE);
    }
  end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;
  while (count_of (seen, "d4:on") == 0 && g_get_monotonic_time () < end)
    {
      pump_all (f);
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
      pump_all (f);
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
