/* bench-cz.c: causerie clients on the bench's epoll loop.
 *
 * Each client is a CzChannel client side on a non-blocking socket, driven
 * the way common/cz-server.c drives its side: cz_channel_io() on readiness,
 * cz_channel_wants_write() for the mask, a second pass for input buffered
 * inside GnuTLS, and one flush per client per wakeup.  The login is
 * SCRAM-SHA-256-PLUS with the tls-exporter binding exactly as
 * common/cz-client.c does it, with the SaltedPassword cached after the
 * first login (every bench user shares one salt, see bench-setup.c). */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include <glib/gi18n-lib.h>

#include "bench.h"
#include "cz-error.h"
#include "cz-message.h"
#include "cz-protocol.h"
#include "cz-scram.h"
#include "cz-util.h"

#define REF_LOGIN 1
#define REF_BASE 16            /* message refs are seq + REF_BASE */
#define MAX_SHOWN_ERRORS 5

typedef enum {
  ST_CONNECTING,
  ST_SECURING,                 /* TLS and the hellos */
  ST_AUTH,
  ST_LOGGED_IN,
  ST_DEAD,
} State;

typedef struct _Fleet Fleet;

typedef struct {
  BenchIo io;
  Fleet *fleet;
  guint index;                 /* user index */
  guint slot;                  /* in fleet->clients */
  State state;
  CzChannel *channel;
  CzScramClient *scram;
  gboolean dirty;
  gint64 t_start;
  GArray *received;            /* ids to confirm (--receipts) */
} Client;

struct _Fleet {
  const BenchOptions *o;
  CzTlsClientConfig *tls;
  GBytes *salt;                /* the cached SaltedPassword */
  guint iterations;
  guint8 salted[32];
  gboolean have_salted;

  GPtrArray *clients;          /* slot → Client* or NULL */
  GPtrArray *dirty;
  GPtrArray *again;
  GPtrArray *graveyard;
  guint pending;               /* clients not yet logged in (nor dead) */
  guint logged_in;
  guint failures;
  guint shown;
  gboolean setting_up;         /* fleet_login_all: failed set-ups are retried */
  GArray *retry;               /* slots to set up again */
  guint retries;
  gboolean churn;              /* logins test: close at auth-ok, start another */
  guint next_user;
  guint64 logins;
  gboolean counting;
  gint64 count_until;
  BenchLatency login_lat;
  guint64 presence;
  gint64 last_input_us;
  BenchRelay *relay;
  GPtrArray *recipients;       /* pair → recipient name (GVariant string) */
};

static void client_message_cb (CzChannel *channel, GVariant *message, gpointer user_data);
static void client_ready_cb (CzChannel *channel, gpointer user_data);
static void client_closed_cb (CzChannel *channel, const GError *error, gpointer user_data);

static const CzChannelCallbacks callbacks = {
  .trust_prompt = NULL,
  .ready = client_ready_cb,
  .message = client_message_cb,
  .closed = client_closed_cb,
};

/* ---- Clients ------------------------------------------------------------------ */

static void
client_bury (Client *c)
{
  if (c->state == ST_DEAD)
    return;
  if (c->state != ST_LOGGED_IN)
    c->fleet->pending--;
  else
    c->fleet->logged_in--;
  c->state = ST_DEAD;
  bench_loop_watch (&c->io, 0);
  g_ptr_array_add (c->fleet->graveyard, c);
}

static void
client_fail (Client *c, const char *what, const GError *error)
{
  Fleet *f = c->fleet;

  if (c->state == ST_DEAD)
    return;
  if (f->setting_up && c->state != ST_LOGGED_IN)
    {
      /* A set-up that failed (the server's accept queue overflowed...)
       * is tried again; fleet_login_all() gives up after 1 %. */
      g_array_append_val (f->retry, c->slot);
      f->retries++;
    }
  else
    f->failures++;
  if (f->shown++ < MAX_SHOWN_ERRORS)
    bench_note (_("client %u: %s: %s"), c->index, what, error ? error->message : _("closed"));
  client_bury (c);
}

static void
client_send (Client *c, GVariant *message)
{
  g_autoptr(GVariant) owned = message;
  g_autoptr(GError) error = NULL;

  if (c->state == ST_DEAD)
    return;
  if (!cz_channel_send (c->channel, owned, &error))
    {
      client_fail (c, "send", error);
      return;
    }
  if (!c->dirty)
    {
      c->dirty = TRUE;
      g_ptr_array_add (c->fleet->dirty, c);
    }
}

static void
client_update (Client *c)
{
  if (c->state == ST_DEAD || c->channel == NULL)
    return;
  if (cz_channel_has_buffered_input (c->channel))
    g_ptr_array_add (c->fleet->again, c);
  bench_loop_watch (&c->io, EPOLLIN | (cz_channel_wants_write (c->channel) ? EPOLLOUT : 0));
}

static void
client_io_cb (BenchIo *io, guint32 events)
{
  Client *c = (Client *) io;
  Fleet *f = c->fleet;
  g_autoptr(GError) error = NULL;

  if (c->state == ST_DEAD)
    return;
  f->last_input_us = bench_now_us ();
  if (c->state == ST_CONNECTING)
    {
      CzChannelOptions options = { .name = "causerie-bench" };

      if (!bench_connect_done (io->fd, &error))
        {
          client_fail (c, "connect", error);
          return;
        }
      c->channel = cz_channel_new_client (f->tls, io->fd, f->o->host, f->o->port, &options,
                                          &callbacks, c, &error);
      if (c->channel == NULL)
        {
          client_fail (c, "TLS", error);
          return;
        }
      c->state = ST_SECURING;
      cz_channel_start (c->channel);
    }
  else
    cz_channel_io (c->channel);
  client_update (c);
}

static Client *
client_new (Fleet *f, guint slot, guint index)
{
  Client *c = g_new0 (Client, 1);
  g_autoptr(GError) error = NULL;

  c->fleet = f;
  c->slot = slot;
  c->index = index;
  c->t_start = bench_now_us ();
  c->io.func = client_io_cb;
  c->io.fd = bench_connect (f->o->host, f->o->port, &error);
  f->pending++;
  if (slot >= f->clients->len)
    g_ptr_array_set_size (f->clients, slot + 1);
  f->clients->pdata[slot] = c;
  if (c->io.fd < 0)
    {
      client_fail (c, "connect", error);
      return c;
    }
  bench_loop_watch (&c->io, EPOLLOUT);
  return c;
}

static void
client_free (Client *c)
{
  g_clear_pointer (&c->channel, cz_channel_free);
  g_clear_pointer (&c->scram, cz_scram_client_free);
  g_clear_pointer (&c->received, g_array_unref);
  if (c->io.fd >= 0)
    bench_close_hard (c->io.fd);
  g_free (c);
}

/* ---- Login (as common/cz-client.c) ------------------------------------------------- */

static void
client_ready_cb (CzChannel *channel, gpointer user_data)
{
  /* As the client engine: presence in batches (an older server ignores it). */
  static const char *const features[] = { CZ_FEATURE_PRESENCE_BATCH, NULL };
  Client *c = user_data;
  Fleet *f = c->fleet;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) cbind = cz_tls_channel_binding (cz_channel_get_session (channel), &error);
  g_autofree char *user = bench_user_name (f->o, c->index);
  g_autofree char *first = NULL;

  if (cbind == NULL)
    {
      client_fail (c, "channel binding", error);
      return;
    }
  c->scram = cz_scram_client_new (user, f->o->password, cbind, NULL);
  if (f->have_salted)
    cz_scram_client_set_salted_password (c->scram, g_bytes_get_data (f->salt, NULL),
                                         g_bytes_get_size (f->salt), f->iterations, f->salted);
  first = cz_scram_client_first (c->scram);
  c->state = ST_AUTH;
  client_send (c, cz_message_new ("auth-start",
                                  "ref", g_variant_new_uint32 (REF_LOGIN),
                                  "mechanism", g_variant_new_string (CZ_SCRAM_MECHANISM),
                                  "message", g_variant_new_string (first),
                                  "features", g_variant_new_strv (features, -1),
                                  NULL));
}

static void
on_challenge (Client *c, GVariant *msg)
{
  Fleet *f = c->fleet;
  const char *server_first;
  g_autoptr(GError) error = NULL;
  g_autofree char *final = NULL;

  if (c->scram == NULL || !cz_message_get_string (msg, "message", &server_first, &error))
    {
      client_fail (c, "auth-challenge", error);
      return;
    }
  final = cz_scram_client_final (c->scram, server_first, &error);
  if (final == NULL)
    {
      client_fail (c, "SCRAM", error);
      return;
    }
  if (!f->have_salted)
    {
      g_clear_pointer (&f->salt, g_bytes_unref);
      f->have_salted = cz_scram_client_get_salted (c->scram, &f->salt, &f->iterations, f->salted);
    }
  client_send (c, cz_message_new ("auth-finish",
                                  "ref", g_variant_new_uint32 (REF_LOGIN),
                                  "message", g_variant_new_string (final),
                                  NULL));
}

static void client_start (Fleet *f, guint slot);

static void
on_auth_ok (Client *c, GVariant *msg)
{
  Fleet *f = c->fleet;
  const char *server_final;
  g_autoptr(GError) error = NULL;

  if (c->scram == NULL
      || !cz_message_get_string (msg, "message", &server_final, &error)
      || !cz_scram_client_verify_server (c->scram, server_final, &error))
    {
      client_fail (c, "auth-ok", error);
      return;
    }
  g_clear_pointer (&c->scram, cz_scram_client_free);
  c->state = ST_LOGGED_IN;
  f->pending--;
  f->logged_in++;
  if (f->counting && bench_now_us () < f->count_until)
    {
      f->logins++;
      bench_latency_add (&f->login_lat, bench_now_us () - c->t_start);
    }
  if (f->churn)
    {
      client_bury (c);
      client_start (f, c->slot);
    }
}

/* ---- Chat ------------------------------------------------------------------------------ */

static void
on_message (Client *c, GVariant *msg)
{
  Fleet *f = c->fleet;
  const char *from, *text;
  guint32 seq;
  gint64 sent, idx;

  if (f->relay == NULL)
    return;
  if (!cz_message_get_string (msg, "from", &from, NULL)
      || !cz_message_get_string (msg, "text", &text, NULL)
      || !bench_text_parse (text, strlen (text), &seq, &sent)
      || (idx = bench_user_index (f->o, from, strlen (from))) < f->o->first_user)
    {
      bench_relay_received (f->relay, G_MAXUINT, 0, bench_now_us ());
      return;
    }
  bench_relay_received (f->relay, (guint) (idx - f->o->first_user) / 2, seq, sent);
  if (f->o->receipts)
    {
      gint64 id;
      if (cz_message_get_int64 (msg, "id", &id, NULL))
        {
          if (c->received == NULL)
            c->received = g_array_new (FALSE, FALSE, sizeof (gint64));
          g_array_append_val (c->received, id);
          if (!c->dirty)
            {
              c->dirty = TRUE;
              g_ptr_array_add (f->dirty, c);
            }
        }
    }
}

static void
client_message_cb (CzChannel *channel, GVariant *msg, gpointer user_data)
{
  Client *c = user_data;
  Fleet *f = c->fleet;
  const char *kind = cz_message_kind (msg);

  if (c->state == ST_DEAD)
    return;
  if (g_str_equal (kind, "message"))
    on_message (c, msg);
  else if (g_str_equal (kind, "ack"))
    {
      if (f->relay)
        bench_relay_acked (f->relay, (c->index - f->o->first_user) / 2,
                           cz_message_ref (msg) - REF_BASE);
    }
  else if (g_str_equal (kind, "presence") || g_str_equal (kind, "presence-batch"))
    f->presence++;   /* frames */
  else if (g_str_equal (kind, "auth-challenge"))
    on_challenge (c, msg);
  else if (g_str_equal (kind, "auth-ok"))
    on_auth_ok (c, msg);
  else if (g_str_equal (kind, "error"))
    {
      g_autoptr(GError) error = g_error_new (CZ_ERROR, CZ_ERROR_PROTOCOL, "%s: %s",
                                             cz_message_opt_string (msg, "code", "?"),
                                             cz_message_opt_string (msg, "message", ""));
      client_fail (c, "error from the server", error);
    }
}

static void
client_closed_cb (CzChannel *channel, const GError *error, gpointer user_data)
{
  client_fail (user_data, "closed by the server", error);
}

/* ---- The fleet ------------------------------------------------------------------------------- */

static Fleet *
fleet_new (const BenchOptions *o, GError **error)
{
  Fleet *f = g_new0 (Fleet, 1);

  f->o = o;
  f->tls = bench_tls_client_config (o, error);
  if (f->tls == NULL)
    {
      g_free (f);
      return NULL;
    }
  f->clients = g_ptr_array_new ();
  f->dirty = g_ptr_array_new ();
  f->again = g_ptr_array_new ();
  f->graveyard = g_ptr_array_new ();
  f->retry = g_array_new (FALSE, FALSE, sizeof (guint));
  bench_latency_init (&f->login_lat);
  bench_loop_init ();
  return f;
}

static void
fleet_free (Fleet *f)
{
  for (guint i = 0; i < f->clients->len; i++)
    if (f->clients->pdata[i])
      client_free (f->clients->pdata[i]);
  for (guint i = 0; i < f->graveyard->len; i++)
    client_free (f->graveyard->pdata[i]);
  g_ptr_array_unref (f->clients);
  g_ptr_array_unref (f->dirty);
  g_ptr_array_unref (f->again);
  g_ptr_array_unref (f->graveyard);
  g_array_unref (f->retry);
  g_clear_pointer (&f->salt, g_bytes_unref);
  cz_memwipe (f->salted, sizeof f->salted);
  cz_tls_client_config_unref (f->tls);
  bench_latency_clear (&f->login_lat);
  g_clear_pointer (&f->recipients, g_ptr_array_unref);
  g_free (f);
}

static void
client_start (Fleet *f, guint slot)
{
  guint index = f->o->first_user + f->next_user;

  f->next_user = (f->next_user + 1) % MAX (f->o->clients, 1);
  client_new (f, slot, index);
}

static void
fleet_flush (gpointer data)
{
  Fleet *f = data;

  for (guint i = 0; i < f->dirty->len; i++)
    {
      Client *c = f->dirty->pdata[i];

      c->dirty = FALSE;
      if (c->state == ST_DEAD)
        continue;
      if (c->received && c->received->len > 0)
        {
          GVariant *ids = g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, c->received->data,
                                                     c->received->len, sizeof (gint64));
          g_array_set_size (c->received, 0);
          c->dirty = TRUE;   /* client_send must not queue it again */
          client_send (c, cz_message_new ("received", "ids", ids, NULL));
          c->dirty = FALSE;
        }
      if (c->state != ST_DEAD)
        cz_channel_flush (c->channel);
      client_update (c);
    }
  g_ptr_array_set_size (f->dirty, 0);
}

static void
fleet_bury (Fleet *f)
{
  for (guint i = 0; i < f->graveyard->len; i++)
    {
      Client *c = f->graveyard->pdata[i];

      if (c->slot < f->clients->len && f->clients->pdata[c->slot] == c)
        f->clients->pdata[c->slot] = NULL;
      /* It may wait for a second read: it must not be found there. */
      while (g_ptr_array_remove_fast (f->again, c))
        ;
      client_free (c);
    }
  g_ptr_array_set_size (f->graveyard, 0);
}

static void
fleet_iterate (gpointer data, int timeout_ms)
{
  Fleet *f = data;
  g_autoptr(GPtrArray) again = f->again;

  f->again = g_ptr_array_new ();
  if (again->len > 0)
    timeout_ms = 0;
  bench_loop_iterate (timeout_ms);
  for (guint i = 0; i < again->len; i++)
    {
      Client *c = again->pdata[i];
      if (c->state != ST_DEAD && c->channel)
        {
          cz_channel_io (c->channel);
          client_update (c);
        }
    }
  fleet_flush (f);
  fleet_bury (f);
}

static guint
fleet_failures (gpointer data)
{
  return ((Fleet *) data)->failures;
}

/* Connects and logs in clients 0..n-1 (slots = user offsets), at most
 * `concurrency` at a time. */
static gboolean
fleet_login_all (Fleet *f, guint n, double *seconds)
{
  gint64 t0 = bench_now_us ();
  gint64 end = t0 + (gint64) (f->o->timeout * G_USEC_PER_SEC);
  guint started = 0, last_shown = 0;
  guint max_retries = MAX (10, n / 100);

  f->setting_up = TRUE;
  while (f->logged_in < n)
    {
      while (f->pending < (guint) f->o->concurrency && (f->retry->len > 0 || started < n))
        {
          guint slot;

          if (f->retry->len > 0)
            {
              slot = g_array_index (f->retry, guint, f->retry->len - 1);
              g_array_set_size (f->retry, f->retry->len - 1);
            }
          else
            slot = started++;
          client_new (f, slot, f->o->first_user + slot);
        }
      fleet_iterate (f, 50);
      if (f->failures > 0 || f->retries > max_retries || bench_now_us () > end)
        {
          bench_note (_("login: %u of %u logged in, %u failed, %u set-ups retried"),
                      f->logged_in, n, f->failures, f->retries);
          f->setting_up = FALSE;
          return FALSE;
        }
      if (f->logged_in >= last_shown + 2000)
        {
          last_shown = f->logged_in;
          bench_note (_("login: %u of %u (%.1f s)"), f->logged_in, n,
                      (bench_now_us () - t0) / (double) G_USEC_PER_SEC);
        }
    }
  f->setting_up = FALSE;
  *seconds = (bench_now_us () - t0) / (double) G_USEC_PER_SEC;
  return TRUE;
}

/* Runs until nothing arrived for @quiet_ms (presence after logins). */
static void
fleet_settle (Fleet *f, int quiet_ms, double max_s)
{
  gint64 end = bench_now_us () + (gint64) (max_s * G_USEC_PER_SEC);

  f->last_input_us = bench_now_us ();
  while (bench_now_us () - f->last_input_us < quiet_ms * 1000 && bench_now_us () < end)
    fleet_iterate (f, 20);
}

/* ---- Commands ------------------------------------------------------------------------------------ */

static const BenchRelayTarget relay_target;

static gboolean
relay_send (gpointer data, guint pair, guint32 seq, const char *text, gsize len)
{
  Fleet *f = data;
  Client *c = pair * 2 < f->clients->len ? f->clients->pdata[pair * 2] : NULL;

  if (c == NULL || c->state != ST_LOGGED_IN)
    return FALSE;
  client_send (c, cz_message_new ("msg",
                                  "ref", g_variant_new_uint32 (seq + REF_BASE),
                                  "to", f->recipients->pdata[pair],
                                  "text", g_variant_new_string (text),
                                  NULL));
  return c->state == ST_LOGGED_IN;
}

static const BenchRelayTarget relay_target = {
  .send = relay_send,
  .flush = fleet_flush,
  .iterate = fleet_iterate,
  .failures = fleet_failures,
};

int
bench_cz_relay (const BenchOptions *o)
{
  g_autoptr(GError) error = NULL;
  Fleet *f = fleet_new (o, &error);
  guint pairs = o->clients / 2;
  double login_s = 0;
  gboolean ok;

  if (f == NULL)
    {
      bench_note ("%s", error->message);
      return 1;
    }
  if (pairs == 0)
    {
      bench_note (_("relay needs at least 2 clients"));
      fleet_free (f);
      return 2;
    }
  if (!fleet_login_all (f, pairs * 2, &login_s))
    {
      fleet_free (f);
      return 1;
    }
  fleet_settle (f, 300, 60);
  bench_note (_("causerie: %u clients logged in in %.2f s (%" G_GUINT64_FORMAT " presence events)"),
              pairs * 2, login_s, f->presence);
  f->recipients = g_ptr_array_new_full (pairs, (GDestroyNotify) g_variant_unref);
  for (guint p = 0; p < pairs; p++)
    {
      g_autofree char *name = bench_user_name (o, o->first_user + 2 * p + 1);

      g_ptr_array_add (f->recipients, g_variant_ref_sink (g_variant_new_string (name)));
    }
  f->relay = bench_relay_new (o, pairs, TRUE, &relay_target, f);
  ok = bench_relay_run (f->relay, o->label ? o->label
                                           : o->receipts ? "causerie-receipts" : "causerie");
  bench_relay_free (f->relay);
  f->relay = NULL;
  fleet_free (f);
  return ok ? 0 : 1;
}

static void
logins_worker (BenchChurn *w)
{
  g_autoptr(GError) error = NULL;
  Fleet *f = fleet_new (w->o, &error);

  if (f == NULL)
    {
      bench_note ("%s", error->message);
      w->failures++;
      return;
    }
  f->churn = TRUE;
  f->count_until = w->t_end;
  /* Workers start on different users (several sessions of one user are
   * allowed anyway). */
  f->next_user = (w->worker * (guint) w->o->clients) / w->n_workers;
  for (int i = 0; i < w->concurrency; i++)
    client_start (f, i);
  while (bench_now_us () < w->t_end && f->failures == 0)
    {
      if (!f->counting && bench_now_us () >= w->t_warm)
        f->counting = TRUE;
      fleet_iterate (f, 20);
    }
  w->count = f->logins;
  w->failures = f->failures;
  g_array_append_vals (w->lat.us, f->login_lat.us->data, f->login_lat.us->len);
  fleet_free (f);
}

int
bench_cz_logins (const BenchOptions *o)
{
  return bench_churn_run (o, "logins", "causerie", logins_worker);
}

/* Waits until the server's CPU time stops growing (less than 5 ms in
 * 500 ms), at most @max_s; returns the last reading. */
static double
server_quiet_cpu (int pid, double max_s)
{
  gint64 end = bench_now_us () + (gint64) (max_s * G_USEC_PER_SEC);
  double last = bench_proc_cpu_s (pid);

  while (bench_now_us () < end)
    {
      double now;

      g_usleep (500000);
      now = bench_proc_cpu_s (pid);
      if (now - last < 0.005)
        return now;
      last = now;
    }
  return last;
}

/* The storm and idle memory: N clients log in (`concurrency` in flight),
 * their traffic drains, the RSS is read; then they all leave at once and
 * the server's CPU from the first login to quiet after the last logout is
 * the storm's cost. */
int
bench_cz_idle (const BenchOptions *o)
{
  g_autoptr(GError) error = NULL;
  Fleet *f = fleet_new (o, &error);
  gint64 rss0, rss1, t0;
  double login_s = 0, cpu0, cpu_in, cpu1;
  guint64 presence;
  guint failures, retries;

  if (f == NULL)
    {
      bench_note ("%s", error->message);
      return 1;
    }
  rss0 = bench_proc_rss_kib (o->server_pid);
  cpu0 = bench_proc_cpu_s (o->server_pid);
  t0 = bench_now_us ();
  if (!fleet_login_all (f, o->clients, &login_s))
    {
      fleet_free (f);
      return 1;
    }
  /* Presence of every login reaches every client logged in before it:
   * let it drain, so that no output buffer counts as idle memory. */
  fleet_settle (f, 1000, o->timeout);
  cpu_in = server_quiet_cpu (o->server_pid, o->timeout);
  rss1 = bench_proc_rss_kib (o->server_pid);
  presence = f->presence;
  failures = f->failures;
  retries = f->retries;
  fleet_free (f);   /* every client leaves at once */
  cpu1 = server_quiet_cpu (o->server_pid, o->timeout);
  bench_result ("test=idle target=causerie clients=%d login_seconds=%.2f presence=%" G_GUINT64_FORMAT
                " retries=%u rss0_kib=%" G_GINT64_FORMAT " rss1_kib=%" G_GINT64_FORMAT
                " per_conn_kib=%.2f ok=%d",
                o->clients, login_s, presence, retries, rss0, rss1,
                (rss1 - rss0) / (double) MAX (o->clients, 1), failures == 0);
  bench_result ("test=storm target=causerie clients=%d concurrency=%d seconds=%.2f"
                " login_cpu_s=%.3f leave_cpu_s=%.3f server_cpu_s=%.3f presence=%" G_GUINT64_FORMAT
                " presence_per_client=%.1f ok=%d",
                o->clients, o->concurrency, (bench_now_us () - t0) / (double) G_USEC_PER_SEC,
                cpu_in - cpu0, cpu1 - cpu_in, cpu1 - cpu0, presence,
                presence / (double) MAX (o->clients, 1), failures == 0 && cpu0 >= 0);
  return 0;
}
