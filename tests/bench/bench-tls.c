/* bench-tls.c: plain TLS 1.3 on the loop: a minimal epoll server with
 * causerie's own TLS settings (the same certificate, priorities and ALPN,
 * from cz_tls_server_session_new), the bare-handshake client and the echo
 * client that measure the ceilings of doc/performance.md.
 *
 * With --forward the server is the transport floor: its clients speak
 * frames as causerie's (u32 big-endian length + body); the first frame of
 * a connection says who it is (u32 index, u32 ack size), every later one
 * names its destination in its first four bytes and is passed to that
 * connection as it is, opaquely, while the sender gets a fixed ack frame of
 * the size it asked for.  Output is coalesced and flushed once per wakeup,
 * as causerie-server does.  It is what relaying a sealed message costs
 * with no decoding, routing table lookup by name, storage or sealing. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <glib/gi18n-lib.h>

#include "bench.h"
#include "cz-error.h"
#include "cz-message.h"

#define CHUNK 16384
#define READ_ROUNDS 64
#define MAX_SHOWN_ERRORS 5

static __thread guint8 read_buf[CHUNK];

/* ---- The stream helper ------------------------------------------------------------- */

int
bench_tls_handshake (BenchTls *t, GError **error)
{
  for (;;)
    {
      int ret;

      if (t->handshaken)
        return 1;
      ret = gnutls_handshake (t->session);
      if (ret == GNUTLS_E_SUCCESS)
        {
          t->handshaken = TRUE;
          return 1;
        }
      if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
        return 0;
      if (!gnutls_error_is_fatal (ret))
        continue;
      cz_tls_set_error (error, ret, t->session, NULL);
      return -1;
    }
}

gboolean
bench_tls_read (BenchTls *t, BenchTlsReadFunc func, gpointer data, GError **error)
{
  for (int round = 0; round < READ_ROUNDS; round++)
    {
      ssize_t n = gnutls_record_recv (t->session, read_buf, sizeof read_buf);

      if (n > 0)
        {
          func (data, read_buf, n);
          continue;
        }
      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
        return TRUE;
      if (n == 0)
        return FALSE;
      if (!gnutls_error_is_fatal ((int) n))
        continue;
      cz_tls_set_error (error, (int) n, t->session, NULL);
      return FALSE;
    }
  return TRUE;
}

void
bench_tls_queue (BenchTls *t, const void *bytes, gsize len)
{
  if (t->out == NULL)
    t->out = g_byte_array_new ();
  g_byte_array_append (t->out, bytes, len);
}

gboolean
bench_tls_flush (BenchTls *t, GError **error)
{
  while (t->out && t->out_off < t->out->len)
    {
      gsize max = t->max_record ? t->max_record : CHUNK;
      gsize chunk = t->inflight ? t->inflight : MIN (t->out->len - t->out_off, max);
      ssize_t ret = gnutls_record_send (t->session, t->out->data + t->out_off, chunk);

      if (ret > 0)
        {
          t->out_off += ret;
          t->inflight = 0;
          continue;
        }
      if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
        {
          t->inflight = chunk;
          return TRUE;
        }
      cz_tls_set_error (error, (int) ret, t->session, NULL);
      return FALSE;
    }
  if (t->out)
    {
      g_byte_array_set_size (t->out, 0);
      t->out_off = 0;
    }
  return TRUE;
}

guint32
bench_tls_mask (BenchTls *t)
{
  if (!t->connected)
    return EPOLLOUT;
  if (!t->handshaken)
    return gnutls_record_get_direction (t->session) ? EPOLLOUT : EPOLLIN;
  return EPOLLIN | ((t->out && t->out_off < t->out->len) ? EPOLLOUT : 0);
}

gboolean
bench_tls_pending (BenchTls *t)
{
  return t->handshaken && gnutls_record_check_pending (t->session) > 0;
}

void
bench_tls_clear (BenchTls *t)
{
  bench_loop_watch (&t->io, 0);
  g_clear_pointer (&t->session, gnutls_deinit);
  g_clear_pointer (&t->out, g_byte_array_unref);
  if (t->io.fd >= 0)
    bench_close_hard (t->io.fd);
  t->io.fd = -1;
}

/* ---- The echo server ------------------------------------------------------------------ */

static volatile sig_atomic_t server_stop;
static CzTlsServerConfig *server_config;
static gboolean server_forward;

typedef struct {
  BenchTls t;
  GByteArray *in;           /* forward: bytes of an incomplete frame */
  gint64 index;             /* forward: -1 until the first frame */
  guint ack_len;
  gboolean dirty;
} SConn;

static GPtrArray *fwd_by_index;   /* index → SConn* */
static GPtrArray *fwd_dirty;      /* SConn* with output to flush */
static guint8 fwd_ack[4 + 4096];

static void
fwd_mark_dirty (SConn *c)
{
  if (!c->dirty)
    {
      c->dirty = TRUE;
      g_ptr_array_add (fwd_dirty, c);
    }
}

static void
forward_cb (gpointer data, const guint8 *bytes, gsize len)
{
  SConn *c = data;
  gsize off = 0;

  g_byte_array_append (c->in, bytes, len);
  while (c->in->len - off >= 4)
    {
      const guint8 *f = c->in->data + off;
      guint32 flen = GUINT32_FROM_BE (*(const guint32 *) f);

      if (c->in->len - off < 4 + (gsize) flen)
        break;
      if (flen >= 4 && c->index < 0 && flen >= 8)
        {
          c->index = GUINT32_FROM_BE (*(const guint32 *) (f + 4));
          c->ack_len = MIN (GUINT32_FROM_BE (*(const guint32 *) (f + 8)), sizeof fwd_ack - 4);
          if ((guint) c->index >= fwd_by_index->len)
            g_ptr_array_set_size (fwd_by_index, c->index + 1);
          fwd_by_index->pdata[c->index] = c;
        }
      else if (flen >= 4 && c->index >= 0)
        {
          guint32 dest = GUINT32_FROM_BE (*(const guint32 *) (f + 4));
          SConn *peer = dest < fwd_by_index->len ? fwd_by_index->pdata[dest] : NULL;
          guint32 alen = GUINT32_TO_BE (c->ack_len);

          if (peer)
            {
              bench_tls_queue (&peer->t, f, 4 + flen);
              fwd_mark_dirty (peer);
            }
          memcpy (fwd_ack, &alen, 4);
          bench_tls_queue (&c->t, fwd_ack, 4 + c->ack_len);
          fwd_mark_dirty (c);
        }
      off += 4 + flen;
    }
  g_byte_array_remove_range (c->in, 0, off);
}

static void
sconn_free (SConn *c)
{
  if (c->index >= 0 && (guint) c->index < fwd_by_index->len
      && fwd_by_index->pdata[c->index] == c)
    fwd_by_index->pdata[c->index] = NULL;
  if (fwd_dirty)
    while (g_ptr_array_remove_fast (fwd_dirty, c))
      ;
  bench_tls_clear (&c->t);
  g_clear_pointer (&c->in, g_byte_array_unref);
  g_free (c);
}

/* Once per wakeup: every connection that got output is flushed once. */
static void
fwd_flush_all (void)
{
  g_autoptr(GPtrArray) dirty = fwd_dirty;

  fwd_dirty = g_ptr_array_new ();
  for (guint i = 0; i < dirty->len; i++)
    {
      SConn *c = dirty->pdata[i];
      g_autoptr(GError) error = NULL;

      c->dirty = FALSE;
      if (!bench_tls_flush (&c->t, &error))
        {
          sconn_free (c);
          continue;
        }
      bench_loop_watch (&c->t.io, bench_tls_mask (&c->t));
    }
}

static void
stop_handler (int sig)
{
  server_stop = 1;
}

static void
echo_cb (gpointer data, const guint8 *bytes, gsize len)
{
  bench_tls_queue (data, bytes, len);
}

static void
sconn_io_cb (BenchIo *io, guint32 events)
{
  SConn *c = (SConn *) io;
  BenchTls *t = &c->t;
  g_autoptr(GError) error = NULL;
  gboolean alive = TRUE;
  int hs = bench_tls_handshake (t, &error);

  if (hs == 1)
    {
      if (server_forward)
        {
          do
            alive = bench_tls_read (t, forward_cb, c, &error);
          while (alive && bench_tls_pending (t));
          if (alive && (events & EPOLLOUT))
            fwd_mark_dirty (c);
        }
      else
        {
          do
            alive = bench_tls_read (t, echo_cb, t, &error);
          while (alive && bench_tls_pending (t));
          if (alive)
            alive = bench_tls_flush (t, &error);
        }
    }
  if (hs < 0 || !alive)
    {
      sconn_free (c);
      return;
    }
  bench_loop_watch (io, bench_tls_mask (t));
}

static void
listener_cb (BenchIo *io, guint32 events)
{
  for (int i = 0; i < 64; i++)
    {
      g_autoptr(GError) error = NULL;
      BenchTls *t;
      int one = 1;
      int fd = accept4 (io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (fd < 0)
        return;
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      t = g_malloc0 (sizeof (SConn));
      ((SConn *) t)->index = -1;
      ((SConn *) t)->in = g_byte_array_new ();
      t->io.fd = fd;
      t->io.func = sconn_io_cb;
      t->connected = TRUE;
      t->session = cz_tls_server_session_new (server_config, &error);
      if (t->session == NULL)
        {
          bench_note ("%s", error->message);
          close (fd);
          g_byte_array_unref (((SConn *) t)->in);
          g_free (t);
          continue;
        }
      gnutls_transport_set_int (t->session, fd);
      bench_loop_watch (&t->io, EPOLLIN);
    }
}

int
bench_tls_server (const char *cert, const char *key, const char *bind_addr, int port,
                  gboolean forward)
{
  g_autoptr(GError) error = NULL;
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (port) };
  socklen_t len = sizeof sin;
  struct sigaction sa = { .sa_handler = stop_handler };
  BenchIo listener = { .func = listener_cb };
  int one = 1;

  server_config = cz_tls_server_config_new (cert, key, NULL, CZ_CLIENT_CERT_NONE, NULL, &error);
  if (server_config == NULL)
    {
      bench_note ("%s", error->message);
      return 1;
    }
  if (inet_pton (AF_INET, bind_addr, &sin.sin_addr) != 1)
    {
      bench_note (_("“%s” is not an IPv4 address"), bind_addr);
      return 2;
    }
  listener.fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  setsockopt (listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind (listener.fd, (struct sockaddr *) &sin, sizeof sin) < 0
      || listen (listener.fd, 1024) < 0
      || getsockname (listener.fd, (struct sockaddr *) &sin, &len) < 0)
    {
      bench_note (_("cannot listen on %s:%d: %s"), bind_addr, port, g_strerror (errno));
      return 1;
    }
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
  bench_loop_init ();
  server_forward = forward;
  fwd_by_index = g_ptr_array_new ();
  fwd_dirty = g_ptr_array_new ();
  bench_loop_watch (&listener, EPOLLIN);
  printf ("listening on %s:%u\n", bind_addr, ntohs (sin.sin_port));
  fflush (stdout);
  while (!server_stop)
    {
      bench_loop_iterate (200);
      fwd_flush_all ();
    }
  cz_tls_server_config_unref (server_config);
  return 0;
}

/* ---- Clients: bare handshakes and echo --------------------------------------------------- */

typedef struct {
  BenchTls t;
  CzTlsVerifyState verify;
  guint slot;
  gint64 t_start;
  GByteArray *in;           /* echo: bytes of an incomplete message */
  gboolean dead;
  guint32 acks;             /* forward: acks received (they come in order) */
} TConn;

typedef struct {
  const BenchOptions *o;
  CzTlsClientConfig *tls;
  GPtrArray *conns;
  GPtrArray *again;
  gboolean churn;
  gboolean counting;
  gint64 count_until;
  guint64 done;
  guint ready;              /* echo: connections past the handshake */
  guint failures;
  guint shown;
  BenchLatency lat;
  BenchRelay *relay;
  guint msg_size;
  gboolean forward;
  guint frame_len;          /* forward: body of a message frame */
  guint ack_len;            /* forward: body of an ack frame */
  guint8 *frame;            /* forward: a message frame, patched per message */
} TFleet;

static __thread TFleet *tfleet;

static void tconn_io_cb (BenchIo *io, guint32 events);

static void
tconn_free (TConn *c)
{
  bench_tls_clear (&c->t);
  cz_tls_verify_state_clear (&c->verify);
  g_clear_pointer (&c->in, g_byte_array_unref);
  g_free (c);
}

static void
tconn_fail (TConn *c, const char *what, const GError *error)
{
  tfleet->failures++;
  if (tfleet->shown++ < MAX_SHOWN_ERRORS)
    bench_note (_("TLS client %u: %s: %s"), c->slot, what, error ? error->message : _("closed"));
  c->dead = TRUE;
  bench_loop_watch (&c->t.io, 0);
}

static TConn *
tconn_new (guint slot)
{
  TConn *c = g_new0 (TConn, 1);
  g_autoptr(GError) error = NULL;

  c->slot = slot;
  c->t_start = bench_now_us ();
  c->t.io.func = tconn_io_cb;
  c->t.io.fd = bench_connect (tfleet->o->host, tfleet->o->port, &error);
  if (slot >= tfleet->conns->len)
    g_ptr_array_set_size (tfleet->conns, slot + 1);
  tfleet->conns->pdata[slot] = c;
  if (c->t.io.fd < 0)
    {
      tconn_fail (c, "connect", error);
      return c;
    }
  bench_loop_watch (&c->t.io, EPOLLOUT);
  return c;
}

/* Echo: cut the stream back into messages. */
static void
echo_in_cb (gpointer data, const guint8 *bytes, gsize len)
{
  TConn *c = data;
  guint size = tfleet->msg_size;

  g_byte_array_append (c->in, bytes, len);
  while (c->in->len >= size)
    {
      guint32 seq;
      gint64 sent;

      if (bench_text_parse ((const char *) c->in->data, size, &seq, &sent))
        bench_relay_received (tfleet->relay, c->slot, seq, sent);
      else
        bench_relay_received (tfleet->relay, G_MAXUINT, 0, bench_now_us ());
      g_byte_array_remove_range (c->in, 0, size);
    }
}

/* Forward: frames.  A sender's are acks (fixed, in order), a recipient's
 * the forwarded messages. */
static void
forward_in_cb (gpointer data, const guint8 *bytes, gsize len)
{
  TConn *c = data;
  gsize off = 0;

  g_byte_array_append (c->in, bytes, len);
  while (c->in->len - off >= 4)
    {
      const guint8 *f = c->in->data + off;
      guint32 flen = GUINT32_FROM_BE (*(const guint32 *) f);

      if (c->in->len - off < 4 + (gsize) flen)
        break;
      if (c->slot % 2 == 0)
        bench_relay_acked (tfleet->relay, c->slot / 2, c->acks++);
      else if (flen >= 16)
        {
          guint32 seq = GUINT32_FROM_BE (*(const guint32 *) (f + 8));
          gint64 sent;

          memcpy (&sent, f + 12, 8);
          bench_relay_received (tfleet->relay, c->slot / 2, seq, sent);
        }
      off += 4 + flen;
    }
  g_byte_array_remove_range (c->in, 0, off);
}

static void
tconn_io_cb (BenchIo *io, guint32 events)
{
  TConn *c = (TConn *) io;
  g_autoptr(GError) error = NULL;
  int hs;

  if (c->dead)
    return;
  if (!c->t.connected)
    {
      if (!bench_connect_done (io->fd, &error))
        {
          tconn_fail (c, "connect", error);
          return;
        }
      c->t.connected = TRUE;
      c->t.session = cz_tls_client_session_new (tfleet->tls, tfleet->o->host, tfleet->o->port,
                                                &c->verify, &error);
      if (c->t.session == NULL)
        {
          tconn_fail (c, "TLS", error);
          return;
        }
      gnutls_transport_set_int (c->t.session, io->fd);
    }
  if (!c->t.handshaken)
    {
      hs = bench_tls_handshake (&c->t, &error);
      if (hs < 0)
        {
          tconn_fail (c, "handshake", error);
          return;
        }
      if (hs == 1)
        tfleet->ready++;
    }
  else
    hs = 1;
  if (hs == 1 && tfleet->churn)
    {
      if (tfleet->counting && bench_now_us () < tfleet->count_until)
        {
          tfleet->done++;
          bench_latency_add (&tfleet->lat, bench_now_us () - c->t_start);
        }
      tfleet->conns->pdata[c->slot] = NULL;
      tconn_new (c->slot);
      tconn_free (c);
      return;
    }
  if (hs == 1)
    {
      if (!bench_tls_read (&c->t, tfleet->forward ? forward_in_cb : echo_in_cb, c, &error)
          || !bench_tls_flush (&c->t, &error))
        {
          tconn_fail (c, "echo", error);
          return;
        }
      if (bench_tls_pending (&c->t))
        g_ptr_array_add (tfleet->again, c);
    }
  bench_loop_watch (io, bench_tls_mask (&c->t));
}

static gboolean
tfleet_start (const BenchOptions *o)
{
  g_autoptr(GError) error = NULL;

  tfleet = g_new0 (TFleet, 1);
  tfleet->o = o;
  tfleet->tls = bench_tls_client_config (o, &error);
  if (tfleet->tls == NULL)
    {
      bench_note ("%s", error->message);
      return FALSE;
    }
  tfleet->conns = g_ptr_array_new ();
  tfleet->again = g_ptr_array_new ();
  bench_latency_init (&tfleet->lat);
  bench_loop_init ();
  return TRUE;
}

static void
tfleet_free (void)
{
  for (guint i = 0; i < tfleet->conns->len; i++)
    if (tfleet->conns->pdata[i])
      tconn_free (tfleet->conns->pdata[i]);
  g_ptr_array_unref (tfleet->conns);
  g_ptr_array_unref (tfleet->again);
  g_clear_pointer (&tfleet->tls, cz_tls_client_config_unref);
  g_clear_pointer (&tfleet->frame, g_free);
  bench_latency_clear (&tfleet->lat);
  g_clear_pointer (&tfleet, g_free);
}

static void
tfleet_iterate (gpointer data, int timeout_ms)
{
  g_autoptr(GPtrArray) again = tfleet->again;

  tfleet->again = g_ptr_array_new ();
  bench_loop_iterate (again->len > 0 ? 0 : timeout_ms);
  for (guint i = 0; i < again->len; i++)
    {
      TConn *c = again->pdata[i];
      if (!c->dead)
        tconn_io_cb (&c->t.io, EPOLLIN);
    }
}

static void
handshakes_worker (BenchChurn *w)
{
  if (!tfleet_start (w->o))
    {
      w->failures++;
      return;
    }
  tfleet->churn = TRUE;
  tfleet->count_until = w->t_end;
  for (int i = 0; i < w->concurrency; i++)
    tconn_new (i);
  while (bench_now_us () < w->t_end && tfleet->failures == 0)
    {
      if (!tfleet->counting && bench_now_us () >= w->t_warm)
        tfleet->counting = TRUE;
      tfleet_iterate (NULL, 20);
    }
  w->count = tfleet->done;
  w->failures = tfleet->failures;
  g_array_append_vals (w->lat.us, tfleet->lat.us->data, tfleet->lat.us->len);
  tfleet_free ();
}

int
bench_tls_handshakes (const BenchOptions *o)
{
  return bench_churn_run (o, "handshakes", "tls", handshakes_worker);
}

static gboolean
echo_send (gpointer data, guint pair, guint32 seq, const char *text, gsize len)
{
  TConn *c = pair < tfleet->conns->len ? tfleet->conns->pdata[pair] : NULL;

  if (c == NULL || c->dead)
    return FALSE;
  bench_tls_queue (&c->t, text, len);
  return TRUE;
}

static void
echo_flush (gpointer data)
{
  for (guint i = 0; i < tfleet->conns->len; i++)
    {
      TConn *c = tfleet->conns->pdata[i];
      g_autoptr(GError) error = NULL;

      if (c == NULL || c->dead || c->t.out == NULL || c->t.out_off >= c->t.out->len)
        continue;
      if (!bench_tls_flush (&c->t, &error))
        tconn_fail (c, "send", error);
      else
        bench_loop_watch (&c->t.io, bench_tls_mask (&c->t));
    }
}

static guint
echo_failures (gpointer data)
{
  return tfleet->failures;
}

static const BenchRelayTarget echo_target = {
  .send = echo_send,
  .flush = echo_flush,
  .iterate = tfleet_iterate,
  .failures = echo_failures,
};

int
bench_tls_echo (const BenchOptions *o)
{
  BenchOptions eo = *o;
  gint64 end;
  guint ready = 0;
  gboolean ok;

  if (!tfleet_start (o))
    return 1;
  /* N connections, each its own sender and recipient, with half the
   * window: as many TLS sessions and messages in flight as the relay's
   * N/2 pairs with the full window. */
  eo.window = MAX (1, (o->window + 1) / 2);
  tfleet->msg_size = MAX (o->size, BENCH_TEXT_MIN);
  end = bench_now_us () + (gint64) (o->timeout * G_USEC_PER_SEC);
  for (int i = 0; i < o->clients && tfleet->failures == 0 && bench_now_us () < end; )
    {
      /* At most `concurrency` handshakes in flight. */
      while (i < o->clients && i - (int) tfleet->ready < o->concurrency)
        {
          TConn *c = tconn_new (i++);
          c->in = g_byte_array_new ();
        }
      tfleet_iterate (NULL, 50);
    }
  while (tfleet->ready < (guint) o->clients && tfleet->failures == 0 && bench_now_us () < end)
    tfleet_iterate (NULL, 50);
  ready = tfleet->ready;
  if (ready < (guint) o->clients)
    {
      bench_note (_("echo: only %u of %d connections ready"), ready, o->clients);
      tfleet_free ();
      return 1;
    }
  tfleet->relay = bench_relay_new (&eo, o->clients, FALSE, &echo_target, NULL);
  ok = bench_relay_run (tfleet->relay, o->label ? o->label : "echo");
  bench_relay_free (tfleet->relay);
  tfleet_free ();
  return ok ? 0 : 1;
}

/* ---- The transport floor's clients ------------------------------------------------------ */

static gboolean
forward_send (gpointer data, guint pair, guint32 seq, const char *text, gsize len)
{
  guint slot = pair * 2;
  TConn *c = slot < tfleet->conns->len ? tfleet->conns->pdata[slot] : NULL;
  guint32 be;
  gint64 now = bench_now_us ();

  if (c == NULL || c->dead)
    return FALSE;
  /* The pre-built frame; only the destination, sequence and time change. */
  be = GUINT32_TO_BE (slot + 1);
  memcpy (tfleet->frame + 4, &be, 4);
  be = GUINT32_TO_BE (seq);
  memcpy (tfleet->frame + 8, &be, 4);
  memcpy (tfleet->frame + 12, &now, 8);
  bench_tls_queue (&c->t, tfleet->frame, 4 + tfleet->frame_len);
  return TRUE;
}

static const BenchRelayTarget forward_target = {
  .send = forward_send,
  .flush = echo_flush,
  .iterate = tfleet_iterate,
  .failures = echo_failures,
};

/* The sizes of causerie's sealed `msg` and `ack` bodies for this text
 * size, so that the floor moves as many bytes as the relay. */
static void
causerie_sizes (const BenchOptions *o, guint *msg, guint *ack)
{
  g_autofree char *text = g_malloc (MAX (o->size, BENCH_TEXT_MIN) + 1);
  g_autofree char *to = bench_user_name (o, o->first_user + 1);
  g_autoptr(GVariant) m = NULL;
  g_autoptr(GVariant) a = NULL;

  bench_text_fill (text, MAX (o->size, BENCH_TEXT_MIN), 0, 0);
  m = g_variant_ref_sink (cz_message_new ("msg", "ref", g_variant_new_uint32 (100000),
                                          "to", g_variant_new_string (to),
                                          "text", g_variant_new_string (text), NULL));
  a = g_variant_ref_sink (cz_message_new ("ack", "ref", g_variant_new_uint32 (100000),
                                          "id", g_variant_new_int64 (1000000),
                                          "ts", g_variant_new_int64 (g_get_real_time () / 1000),
                                          NULL));
  *msg = g_variant_get_size (m) + 16;
  *ack = g_variant_get_size (a) + 16;
}

int
bench_tls_forward (const BenchOptions *o)
{
  gint64 end;
  guint pairs = o->clients / 2;
  gboolean ok;

  if (pairs == 0)
    {
      bench_note (_("relay needs at least 2 clients"));
      return 2;
    }
  if (!tfleet_start (o))
    return 1;
  tfleet->forward = TRUE;
  causerie_sizes (o, &tfleet->frame_len, &tfleet->ack_len);
  tfleet->frame = g_malloc0 (4 + tfleet->frame_len);
  {
    guint32 be = GUINT32_TO_BE (tfleet->frame_len);
    memcpy (tfleet->frame, &be, 4);
    memset (tfleet->frame + 20, 'x', tfleet->frame_len - 16);
  }
  end = bench_now_us () + (gint64) (o->timeout * G_USEC_PER_SEC);
  for (guint i = 0; i < pairs * 2 && tfleet->failures == 0 && bench_now_us () < end; )
    {
      while (i < pairs * 2 && i - tfleet->ready < (guint) o->concurrency)
        {
          TConn *c = tconn_new (i++);
          c->in = g_byte_array_new ();
        }
      tfleet_iterate (NULL, 50);
    }
  while (tfleet->ready < pairs * 2 && tfleet->failures == 0 && bench_now_us () < end)
    tfleet_iterate (NULL, 50);
  if (tfleet->ready < pairs * 2)
    {
      bench_note (_("forward: only %u of %u connections ready"), tfleet->ready, pairs * 2);
      tfleet_free ();
      return 1;
    }
  /* Who is who, then a moment for the server to read it. */
  for (guint i = 0; i < pairs * 2; i++)
    {
      TConn *c = tfleet->conns->pdata[i];
      guint32 hello[3] = { GUINT32_TO_BE (8), GUINT32_TO_BE (i), GUINT32_TO_BE (tfleet->ack_len) };

      bench_tls_queue (&c->t, hello, sizeof hello);
    }
  echo_flush (NULL);
  for (gint64 settle = bench_now_us () + 300000; bench_now_us () < settle; )
    tfleet_iterate (NULL, 20);
  tfleet->relay = bench_relay_new (o, pairs, TRUE, &forward_target, NULL);
  ok = bench_relay_run (tfleet->relay, o->label ? o->label : "forward");
  bench_relay_free (tfleet->relay);
  tfleet_free ();
  return ok ? 0 : 1;
}
