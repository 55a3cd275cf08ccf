/* bench-irc.c: IRC over TLS (GnuTLS) for the ngIRCd baseline.
 *
 * Each client registers with NICK/USER, waits for 001, then the pairs
 * exchange PRIVMSG; a message counts as relayed when the recipient has it
 * (IRC acknowledges nothing).  Output is coalesced per wakeup into TLS
 * records of up to 16 KiB, as causerie's channel does. */
#include "config.h"

#include <string.h>
#include <sys/epoll.h>

#include <glib/gi18n-lib.h>

#include "bench.h"
#include "cz-error.h"

#define MAX_SHOWN_ERRORS 5
/* ngIRCd reads 2,048 bytes at a time (READBUFFER_LEN) and does not look at
 * what GnuTLS still holds (gnutls_record_check_pending): the rest of a
 * larger record waits for the next packet.  Records of at most 2 KiB keep
 * it from stalling. */
#define IRC_MAX_RECORD 2048

typedef enum {
  I_CONNECTING,
  I_HANDSHAKE,
  I_REGISTERING,
  I_READY,
  I_DEAD,
} IState;

typedef struct {
  BenchTls t;
  guint index;
  guint slot;
  IState state;
  GByteArray *in;
  gboolean dirty;
} IConn;

typedef struct {
  const BenchOptions *o;
  gnutls_certificate_credentials_t creds;
  gnutls_priority_t priority;
  GPtrArray *conns;
  GPtrArray *again;
  GPtrArray *dirty;
  guint pending;
  guint ready;
  guint failures;
  guint shown;
  gboolean setting_up;      /* failed registrations are retried */
  GArray *retry;
  guint retries;
  GPtrArray *dead;          /* retried connections, freed at the end */
  gint64 last_input_us;
  BenchRelay *relay;
  char **recipients;
  gsize prefix_len;
} IFleet;

static IFleet *fleet;

static void
iconn_fail (IConn *c, const char *what, const char *detail)
{
  if (c->state == I_DEAD)
    return;
  if (fleet->setting_up && c->state != I_READY)
    {
      g_array_append_val (fleet->retry, c->slot);
      fleet->retries++;
    }
  else
    fleet->failures++;
  if (fleet->shown++ < MAX_SHOWN_ERRORS)
    bench_note (_("IRC client %u: %s: %s"), c->index, what, detail ? detail : _("closed"));
  if (c->state == I_READY)
    fleet->ready--;
  else
    fleet->pending--;
  c->state = I_DEAD;
  bench_loop_watch (&c->t.io, 0);
}

static void
iconn_mark_dirty (IConn *c)
{
  if (!c->dirty)
    {
      c->dirty = TRUE;
      g_ptr_array_add (fleet->dirty, c);
    }
}

static void
iconn_queue (IConn *c, const char *line)
{
  bench_tls_queue (&c->t, line, strlen (line));
  iconn_mark_dirty (c);
}

/* ":nick!user@host PRIVMSG target :text" and the few other lines we use. */
static void
handle_line (IConn *c, const char *line, gsize len)
{
  const char *p, *end = line + len, *cmd, *nick_end;

  if (len >= 5 && memcmp (line, "PING ", 5) == 0)
    {
      g_autofree char *pong = g_strdup_printf ("PONG %.*s\r\n", (int) (len - 5), line + 5);
      iconn_queue (c, pong);
      return;
    }
  if (len >= 6 && memcmp (line, "ERROR ", 6) == 0)
    {
      g_autofree char *detail = g_strndup (line, len);
      iconn_fail (c, "server error", detail);
      return;
    }
  if (len == 0 || line[0] != ':')
    return;
  cmd = memchr (line, ' ', len);
  if (cmd == NULL)
    return;
  cmd++;
  if (end - cmd > 8 && memcmp (cmd, "PRIVMSG ", 8) == 0)
    {
      guint32 seq;
      gint64 sent, idx;

      if (fleet->relay == NULL)
        return;
      nick_end = memchr (line, '!', cmd - line);
      p = cmd + 8;
      p = memchr (p, ':', end - p);
      if (nick_end == NULL || p == NULL
          || !bench_text_parse (p + 1, end - p - 1, &seq, &sent)
          || (idx = bench_user_index (fleet->o, line + 1, nick_end - line - 1)) < fleet->o->first_user)
        {
          bench_relay_received (fleet->relay, G_MAXUINT, 0, bench_now_us ());
          return;
        }
      bench_relay_received (fleet->relay, (guint) (idx - fleet->o->first_user) / 2, seq, sent);
      return;
    }
  if (end - cmd >= 4 && memcmp (cmd, "001 ", 4) == 0 && c->state == I_REGISTERING)
    {
      c->state = I_READY;
      fleet->pending--;
      fleet->ready++;
      return;
    }
  /* Numeric errors: 4xx and 5xx. */
  if (end - cmd >= 4 && (cmd[0] == '4' || cmd[0] == '5') && g_ascii_isdigit (cmd[1])
      && g_ascii_isdigit (cmd[2]) && cmd[3] == ' ')
    {
      g_autofree char *detail = g_strndup (line, len);
      iconn_fail (c, "IRC error", detail);
    }
}

static void
irc_in_cb (gpointer data, const guint8 *bytes, gsize len)
{
  IConn *c = data;
  gsize start = 0;

  g_byte_array_append (c->in, bytes, len);
  for (;;)
    {
      const guint8 *nl = memchr (c->in->data + start, '\n', c->in->len - start);
      gsize llen;

      if (nl == NULL || c->state == I_DEAD)
        break;
      llen = nl - (c->in->data + start);
      if (llen > 0 && c->in->data[start + llen - 1] == '\r')
        llen--;
      handle_line (c, (const char *) c->in->data + start, llen);
      start = nl - c->in->data + 1;
    }
  if (start > 0)
    g_byte_array_remove_range (c->in, 0, MIN (start, c->in->len));
}

static void
iconn_io_cb (BenchIo *io, guint32 events)
{
  IConn *c = (IConn *) io;
  g_autoptr(GError) error = NULL;

  if (c->state == I_DEAD)
    return;
  fleet->last_input_us = bench_now_us ();
  if (c->state == I_CONNECTING)
    {
      int ret;

      if (!bench_connect_done (io->fd, &error))
        {
          iconn_fail (c, "connect", error->message);
          return;
        }
      c->t.connected = TRUE;
      if ((ret = gnutls_init (&c->t.session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL)) < 0
          || (ret = gnutls_priority_set (c->t.session, fleet->priority)) < 0
          || (ret = gnutls_credentials_set (c->t.session, GNUTLS_CRD_CERTIFICATE, fleet->creds)) < 0)
        {
          iconn_fail (c, "TLS", gnutls_strerror (ret));
          return;
        }
      gnutls_session_set_verify_cert (c->t.session, fleet->o->host, 0);
      gnutls_transport_set_int (c->t.session, io->fd);
      c->state = I_HANDSHAKE;
    }
  if (c->state == I_HANDSHAKE)
    {
      int hs = bench_tls_handshake (&c->t, &error);
      if (hs < 0)
        {
          iconn_fail (c, "handshake", error->message);
          return;
        }
      if (hs == 1)
        {
          g_autofree char *nick = bench_user_name (fleet->o, c->index);
          g_autofree char *reg = g_strdup_printf ("NICK %s\r\nUSER %s 0 * :causerie-bench\r\n",
                                                  nick, nick);
          c->state = I_REGISTERING;
          iconn_queue (c, reg);
        }
    }
  if (c->state == I_REGISTERING || c->state == I_READY)
    {
      if (!bench_tls_read (&c->t, irc_in_cb, c, &error))
        {
          iconn_fail (c, "read", error ? error->message : NULL);
          return;
        }
      if (bench_tls_pending (&c->t))
        g_ptr_array_add (fleet->again, c);
    }
  if (c->state != I_DEAD)
    bench_loop_watch (io, bench_tls_mask (&c->t));
}

static IConn *
iconn_new (guint slot, guint index)
{
  IConn *c = g_new0 (IConn, 1);
  g_autoptr(GError) error = NULL;

  c->slot = slot;
  c->index = index;
  c->in = g_byte_array_new ();
  c->t.io.func = iconn_io_cb;
  c->t.max_record = IRC_MAX_RECORD;
  c->t.io.fd = bench_connect (fleet->o->host, fleet->o->port, &error);
  fleet->pending++;
  if (slot >= fleet->conns->len)
    g_ptr_array_set_size (fleet->conns, slot + 1);
  fleet->conns->pdata[slot] = c;
  if (c->t.io.fd < 0)
    iconn_fail (c, "connect", error->message);
  else
    bench_loop_watch (&c->t.io, EPOLLOUT);
  return c;
}

static void
iconn_free (IConn *c)
{
  bench_tls_clear (&c->t);
  g_byte_array_unref (c->in);
  g_free (c);
}

static gboolean
ifleet_start (const BenchOptions *o)
{
  int ret;

  fleet = g_new0 (IFleet, 1);
  fleet->o = o;
  fleet->conns = g_ptr_array_new ();
  fleet->again = g_ptr_array_new ();
  fleet->dirty = g_ptr_array_new ();
  fleet->retry = g_array_new (FALSE, FALSE, sizeof (guint));
  fleet->dead = g_ptr_array_new ();
  if ((ret = gnutls_certificate_allocate_credentials (&fleet->creds)) < 0
      || (ret = gnutls_certificate_set_x509_trust_file (fleet->creds, o->ca_file,
                                                        GNUTLS_X509_FMT_PEM)) < 0
      || (ret = gnutls_priority_init2 (&fleet->priority, CZ_TLS_DEFAULT_PRIORITY, NULL, 0)) < 0)
    {
      bench_note (_("IRC TLS setup: %s"), gnutls_strerror (ret));
      return FALSE;
    }
  bench_loop_init ();
  return TRUE;
}

static void
ifleet_free (void)
{
  for (guint i = 0; i < fleet->conns->len; i++)
    if (fleet->conns->pdata[i])
      iconn_free (fleet->conns->pdata[i]);
  g_ptr_array_unref (fleet->conns);
  g_ptr_array_unref (fleet->again);
  g_ptr_array_unref (fleet->dirty);
  g_array_unref (fleet->retry);
  for (guint i = 0; i < fleet->dead->len; i++)
    iconn_free (fleet->dead->pdata[i]);
  g_ptr_array_unref (fleet->dead);
  if (fleet->priority)
    gnutls_priority_deinit (fleet->priority);
  if (fleet->creds)
    gnutls_certificate_free_credentials (fleet->creds);
  g_strfreev (fleet->recipients);
  g_clear_pointer (&fleet, g_free);
}

static void
ifleet_flush (gpointer data)
{
  for (guint i = 0; i < fleet->dirty->len; i++)
    {
      IConn *c = fleet->dirty->pdata[i];
      g_autoptr(GError) error = NULL;

      c->dirty = FALSE;
      if (c->state == I_DEAD || !c->t.handshaken)
        continue;
      if (!bench_tls_flush (&c->t, &error))
        iconn_fail (c, "send", error->message);
      else
        bench_loop_watch (&c->t.io, bench_tls_mask (&c->t));
    }
  g_ptr_array_set_size (fleet->dirty, 0);
}

static void
ifleet_iterate (gpointer data, int timeout_ms)
{
  g_autoptr(GPtrArray) again = fleet->again;

  fleet->again = g_ptr_array_new ();
  bench_loop_iterate (again->len > 0 ? 0 : timeout_ms);
  for (guint i = 0; i < again->len; i++)
    iconn_io_cb (again->pdata[i], EPOLLIN);
  ifleet_flush (NULL);
}

static guint
ifleet_failures (gpointer data)
{
  return fleet->failures;
}

static gboolean
ifleet_register_all (guint n, double *seconds)
{
  gint64 t0 = bench_now_us ();
  gint64 end = t0 + (gint64) (fleet->o->timeout * G_USEC_PER_SEC);
  guint started = 0;
  guint max_retries = MAX (10, n / 100);

  fleet->setting_up = TRUE;
  while (fleet->ready < n)
    {
      while (fleet->pending < (guint) fleet->o->concurrency
             && (fleet->retry->len > 0 || started < n))
        {
          guint slot;

          if (fleet->retry->len > 0)
            {
              IConn *old;

              slot = g_array_index (fleet->retry, guint, fleet->retry->len - 1);
              g_array_set_size (fleet->retry, fleet->retry->len - 1);
              /* The dead one may still be listed for a second read: it
               * is freed with the fleet. */
              old = fleet->conns->pdata[slot];
              g_ptr_array_add (fleet->dead, old);
            }
          else
            slot = started++;
          iconn_new (slot, fleet->o->first_user + slot);
        }
      ifleet_iterate (NULL, 50);
      if (fleet->failures > 0 || fleet->retries > max_retries || bench_now_us () > end)
        {
          bench_note (_("IRC: %u of %u registered, %u failed, %u set-ups retried"),
                      fleet->ready, n, fleet->failures, fleet->retries);
          fleet->setting_up = FALSE;
          return FALSE;
        }
    }
  fleet->setting_up = FALSE;
  *seconds = (bench_now_us () - t0) / (double) G_USEC_PER_SEC;
  return TRUE;
}

static void
ifleet_settle (int quiet_ms, double max_s)
{
  gint64 end = bench_now_us () + (gint64) (max_s * G_USEC_PER_SEC);

  fleet->last_input_us = bench_now_us ();
  while (bench_now_us () - fleet->last_input_us < quiet_ms * 1000 && bench_now_us () < end)
    ifleet_iterate (NULL, 20);
}

static gboolean
irc_send (gpointer data, guint pair, guint32 seq, const char *text, gsize len)
{
  IConn *c = pair * 2 < fleet->conns->len ? fleet->conns->pdata[pair * 2] : NULL;
  const char *to = fleet->recipients[pair];

  if (c == NULL || c->state != I_READY)
    return FALSE;
  bench_tls_queue (&c->t, "PRIVMSG ", 8);
  bench_tls_queue (&c->t, to, strlen (to));
  bench_tls_queue (&c->t, " :", 2);
  bench_tls_queue (&c->t, text, len);
  bench_tls_queue (&c->t, "\r\n", 2);
  iconn_mark_dirty (c);
  return TRUE;
}

static const BenchRelayTarget irc_target = {
  .send = irc_send,
  .flush = ifleet_flush,
  .iterate = ifleet_iterate,
  .failures = ifleet_failures,
};

int
bench_irc_relay (const BenchOptions *o)
{
  guint pairs = o->clients / 2;
  double secs = 0;
  gboolean ok;

  if (o->size > 400)
    {
      bench_note (_("IRC lines are at most 512 bytes: use --size 400 or less"));
      return 2;
    }
  if (!ifleet_start (o))
    return 1;
  if (pairs == 0 || !ifleet_register_all (pairs * 2, &secs))
    {
      ifleet_free ();
      return 1;
    }
  ifleet_settle (300, 30);
  bench_note (_("ngircd: %u clients registered in %.2f s"), pairs * 2, secs);
  fleet->recipients = g_new0 (char *, pairs + 1);
  for (guint p = 0; p < pairs; p++)
    fleet->recipients[p] = bench_user_name (o, o->first_user + 2 * p + 1);
  fleet->relay = bench_relay_new (o, pairs, FALSE, &irc_target, NULL);
  ok = bench_relay_run (fleet->relay, o->label ? o->label : "ngircd");
  bench_relay_free (fleet->relay);
  ifleet_free ();
  return ok ? 0 : 1;
}

int
bench_irc_idle (const BenchOptions *o)
{
  gint64 rss0, rss1;
  double secs = 0;

  if (!ifleet_start (o))
    return 1;
  rss0 = bench_proc_rss_kib (o->server_pid);
  if (!ifleet_register_all (o->clients, &secs))
    {
      ifleet_free ();
      return 1;
    }
  ifleet_settle (1000, o->timeout);
  rss1 = bench_proc_rss_kib (o->server_pid);
  bench_result ("test=idle target=ngircd clients=%d login_seconds=%.2f retries=%u rss0_kib=%"
                G_GINT64_FORMAT " rss1_kib=%" G_GINT64_FORMAT " per_conn_kib=%.2f ok=1",
                o->clients, secs, fleet->retries, rss0, rss1, (rss1 - rss0) / (double) MAX (o->clients, 1));
  ifleet_free ();
  return 0;
}
