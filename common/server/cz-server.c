/* cz-server.c: the server engine's loop and life: setup, the epoll loop
 * on its own thread, accepting, each connection's channel and handshake
 * deadline, write coalescing, the store's inbox, and stopping.  What
 * arrives goes to cz-server-dispatch.c. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <glib/gi18n-lib.h>

#include "cz-server-private.h"
#include "cz-crypto.h"
#include "cz-error.h"
#include "cz-message.h"
#include "cz-util.h"

#define MAX_EVENTS 256
#define ACCEPT_BURST 64
#define LISTEN_TAG ((guint64) 0)
#define WAKE_TAG ((guint64) 1)
#define FIRST_CONN_ID ((guint64) 2)
/* Out of descriptors: the listener rests this long, and its warning
 * comes at most once per ACCEPT_LOG_INTERVAL_US (with a count). */
#define ACCEPT_PAUSE_US (250 * 1000)
#define ACCEPT_LOG_INTERVAL_US (10 * G_USEC_PER_SEC)

/* ---- Events ---------------------------------------------------------------- */

CzServerEvent *
cz_server_event_copy (const CzServerEvent *event)
{
  CzServerEvent *copy = g_new0 (CzServerEvent, 1);

  *copy = *event;
  copy->address = g_strdup (event->address);
  copy->user = g_strdup (event->user);
  copy->info = event->info ? cz_session_info_ref (event->info) : NULL;
  copy->from = g_strdup (event->from);
  copy->to = g_strdup (event->to);
  copy->text = g_strdup (event->text);
  return copy;
}

void
cz_server_event_free (CzServerEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->address);
  g_free (event->user);
  g_clear_pointer (&event->info, cz_session_info_unref);
  g_free (event->from);
  g_free (event->to);
  g_free (event->text);
  g_free (event);
}

/* ---- Setup -------------------------------------------------------------------- */

CzServer *
cz_server_new (const CzServerConfig *config, GError **error)
{
  CzServer *self = g_new0 (CzServer, 1);
  guint iterations = config->scram_iterations ? config->scram_iterations
                                              : CZ_SCRAM_DEFAULT_ITERATIONS;

  self->listen_fd = self->epoll_fd = self->wake_fd = -1;
  self->config = *config;
  self->config.bind_address = g_strdup (config->bind_address ? config->bind_address : "0.0.0.0");
  self->config.cert_file = g_strdup (config->cert_file);
  self->config.key_file = g_strdup (config->key_file);
  self->config.client_ca_file = g_strdup (config->client_ca_file);
  self->config.priority = g_strdup (config->priority);
  self->config.db_path = NULL;
  self->config.scram_iterations = iterations;
  if (self->config.max_clients == 0)
    self->config.max_clients = 10000;
  if (self->config.max_per_address == 0)
    self->config.max_per_address = CZ_SERVER_DEFAULT_MAX_PER_ADDRESS;
  if (self->config.handshake_timeout_ms == 0)
    self->config.handshake_timeout_ms = 10000;
  if (self->config.presence_grace_ms == 0)
    self->config.presence_grace_ms = CZ_PRESENCE_GRACE_MS;
  if (config->db_path)
    self->db_path = g_strdup (config->db_path);
  else
    {
      g_autofree char *dir = cz_data_dir ();
      self->db_path = g_build_filename (dir, "server.db", NULL);
    }

  self->inbox = g_async_queue_new ();
  self->conns = g_hash_table_new (g_int64_hash, g_int64_equal);
  self->per_host = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->online = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_ptr_array_unref);
  self->presence_before = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->presence_order = g_ptr_array_new_with_free_func (g_free);
  g_queue_init (&self->pending_deadline);
  self->dirty = g_ptr_array_new ();
  self->graveyard = g_ptr_array_new ();
  self->again = g_ptr_array_new ();
  self->next_id = FIRST_CONN_ID;
  self->throttle = cz_throttle_new ();

  if (iterations < CZ_SCRAM_MIN_ITERATIONS)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID,
                   _("the SCRAM iteration count must be at least %u"), CZ_SCRAM_MIN_ITERATIONS);
      cz_server_free (self);
      return NULL;
    }
  if (config->cert_file == NULL || config->key_file == NULL)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                           _("the server needs a certificate and a key (--cert and --key)"));
      cz_server_free (self);
      return NULL;
    }
  self->tls = cz_tls_server_config_new (config->cert_file, config->key_file,
                                        config->client_ca_file, config->client_cert_mode,
                                        config->priority, error);
  if (self->tls == NULL)
    {
      cz_server_free (self);
      return NULL;
    }
  self->store = cz_store_open (self->db_path, error);
  if (self->store == NULL || !cz_server_accounts_load (self, error))
    {
      cz_server_free (self);
      return NULL;
    }
  return self;
}

void
cz_server_set_event_func (CzServer *self, CzServerEventFunc func, gpointer user_data)
{
  self->event_func = func;
  self->event_data = user_data;
}

static char *
format_address (const struct sockaddr *sa, guint16 *port_out)
{
  char host[INET6_ADDRSTRLEN] = "";
  guint16 port = 0;

  if (sa->sa_family == AF_INET)
    {
      const struct sockaddr_in *sin = (const struct sockaddr_in *) sa;
      inet_ntop (AF_INET, &sin->sin_addr, host, sizeof host);
      port = ntohs (sin->sin_port);
    }
  else if (sa->sa_family == AF_INET6)
    {
      const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) sa;
      inet_ntop (AF_INET6, &sin6->sin6_addr, host, sizeof host);
      port = ntohs (sin6->sin6_port);
      if (port_out)
        *port_out = port;
      return g_strdup_printf ("[%s]:%u", host, port);
    }
  if (port_out)
    *port_out = port;
  return g_strdup_printf ("%s:%u", host, port);
}

/* "WHAT: strerror (errno)" as a CZ_ERROR_IO. */
static gboolean
set_errno_error (GError **error, const char *what)
{
  int saved = errno;
  g_set_error (error, CZ_ERROR, CZ_ERROR_IO, "%s: %s", what, g_strerror (saved));
  return FALSE;
}

static gboolean
open_listener (CzServer *self, GError **error)
{
  struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
                            .ai_socktype = SOCK_STREAM };
  struct addrinfo *res = NULL;
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  g_autofree char *port = g_strdup_printf ("%u", self->config.port);
  int one = 1, rc;

  rc = getaddrinfo (self->config.bind_address, port, &hints, &res);
  if (rc != 0)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID,
                   _("cannot listen on “%s”: it is not an IP address"), self->config.bind_address);
      return FALSE;
    }
  self->listen_fd = socket (res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (self->listen_fd < 0)
    {
      g_autofree char *what = g_strdup_printf (_("cannot create a socket for %s"),
                                               self->config.bind_address);
      freeaddrinfo (res);
      return set_errno_error (error, what);
    }
  setsockopt (self->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind (self->listen_fd, res->ai_addr, res->ai_addrlen) < 0)
    {
      g_autofree char *what = g_strdup_printf (_("cannot listen on %s:%u"),
                                               self->config.bind_address, self->config.port);
      freeaddrinfo (res);
      return set_errno_error (error, what);
    }
  freeaddrinfo (res);
  if (listen (self->listen_fd, 1024) < 0)
    {
      g_autofree char *what = g_strdup_printf (_("cannot listen on %s:%u"),
                                               self->config.bind_address, self->config.port);
      return set_errno_error (error, what);
    }
  getsockname (self->listen_fd, (struct sockaddr *) &bound, &bound_len);
  self->address = format_address ((struct sockaddr *) &bound, &self->port);
  return TRUE;
}

static void
epoll_add (CzServer *self, int fd, guint32 mask, guint64 tag)
{
  struct epoll_event ev = { .events = mask, .data.u64 = tag };
  epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- Connections ------------------------------------------------------------------ */

static void conn_update_mask (CzConn *conn);

/* One connection less from @conn's address. */
static void
host_uncount (CzConn *conn)
{
  GHashTable *per_host = conn->server->per_host;
  guint n;

  if (!conn->host_counted)
    return;
  conn->host_counted = FALSE;
  n = GPOINTER_TO_UINT (g_hash_table_lookup (per_host, conn->host));
  if (n <= 1)
    g_hash_table_remove (per_host, conn->host);
  else
    g_hash_table_insert (per_host, g_strdup (conn->host), GUINT_TO_POINTER (n - 1));
}

static void
conn_free (CzConn *conn)
{
  host_uncount (conn);
  g_clear_pointer (&conn->channel, cz_channel_free);
  if (conn->fd >= 0)
    close (conn->fd);
  g_free (conn->address);
  g_free (conn->host);
  g_clear_pointer (&conn->user_name, g_variant_unref);
  g_clear_pointer (&conn->scram, cz_scram_server_free);
  g_free (conn->auth_user);
  g_free (conn->reg_user);
  g_clear_pointer (&conn->reg_salt, g_bytes_unref);
  g_free (conn);
}

static void
channel_ready_cb (CzChannel *channel, gpointer user_data)
{
  CzConn *conn = user_data;
  CzServerEvent event = { .kind = CZ_SERVER_EVENT_READY, .client_id = conn->id,
                          .address = conn->address, .info = cz_channel_get_info (channel) };

  conn->ready = TRUE;
  cz_server_emit (conn->server, &event);
}

static void
channel_message_cb (CzChannel *channel, GVariant *message, gpointer user_data)
{
  CzConn *conn = user_data;

  cz_server_dispatch_message (conn, message);
  /* Back-pressure: counters only.  The loop resumes it (conn_update_mask). */
  if (!conn->paused && !conn->dead
      && (conn->inflight >= CZ_CONN_MAX_INFLIGHT
          || cz_channel_pending_output (channel) > CZ_CONN_OUTPUT_PAUSE))
    {
      conn->paused = TRUE;
      cz_channel_pause_input (channel, TRUE);
    }
}

static void
channel_closed_cb (CzChannel *channel, const GError *error, gpointer user_data)
{
  CzConn *conn = user_data;
  CzServer *self = conn->server;
  CzServerEvent event = { .kind = CZ_SERVER_EVENT_DISCONNECTED, .client_id = conn->id,
                          .address = conn->address, .user = (char *) conn->user,
                          .text = error ? error->message : NULL };

  if (conn->dead)
    return;
  conn->dead = TRUE;
  epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
  g_hash_table_remove (self->conns, &conn->id);
  g_atomic_int_dec_and_test (&self->client_count);
  host_uncount (conn);
  cz_server_presence_closed (conn);
  cz_server_emit (self, &event);
  g_ptr_array_add (self->graveyard, conn);
}

static const CzChannelCallbacks server_callbacks = {
  .trust_prompt = NULL,
  .ready = channel_ready_cb,
  .message = channel_message_cb,
  .closed = channel_closed_cb,
};

/* A warning about accepting, at most once per ACCEPT_LOG_INTERVAL_US: a
 * flood of connections (or a lack of descriptors) must not become a flood
 * of log lines.  The ones not written are counted in the next. */
static void G_GNUC_PRINTF (2, 3)
accept_warning (CzServer *self, const char *format, ...)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree char *text = NULL;
  va_list args;

  if (self->accept_log_us != 0 && now - self->accept_log_us < ACCEPT_LOG_INTERVAL_US)
    {
      self->accept_unlogged++;
      return;
    }
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  if (self->accept_unlogged > 0)
    cz_server_log (self, G_LOG_LEVEL_WARNING, _("%s (not logged since the last warning: %u)"),
                   text, self->accept_unlogged);
  else
    cz_server_log (self, G_LOG_LEVEL_WARNING, "%s", text);
  self->accept_log_us = now;
  self->accept_unlogged = 0;
}

static void
listener_set (CzServer *self, gboolean on)
{
  struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.u64 = LISTEN_TAG };

  epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, self->listen_fd, &ev);
  self->accept_paused = !on;
}

/* Out of descriptors (or kernel memory): accepting again at once would
 * only fail again, and the listener, level-triggered, would spin.  It
 * rests; the connections wait in the kernel's queue meanwhile. */
static void
accept_pause (CzServer *self, int err)
{
  accept_warning (self, _("cannot accept connections (%s, %u clients): pausing"),
                  g_strerror (err), (guint) g_atomic_int_get (&self->client_count));
  listener_set (self, FALSE);
  self->accept_resume_us = g_get_monotonic_time () + ACCEPT_PAUSE_US;
}

static void
accept_resume_due (CzServer *self)
{
  if (self->accept_paused && g_get_monotonic_time () >= self->accept_resume_us)
    listener_set (self, TRUE);
}

/* Counts a connection from @host; FALSE (not counted) at the cap. */
static gboolean
host_count (CzServer *self, CzConn *conn)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_host, conn->host));

  if (n >= self->config.max_per_address)
    return FALSE;
  g_hash_table_insert (self->per_host, g_strdup (conn->host), GUINT_TO_POINTER (n + 1));
  conn->host_counted = TRUE;
  return TRUE;
}

static void
accept_clients (CzServer *self)
{
  for (int i = 0; i < ACCEPT_BURST && !self->accept_paused; i++)
    {
      struct sockaddr_storage peer;
      socklen_t peer_len = sizeof peer;
      g_autoptr(GError) error = NULL;
      CzChannelOptions options = { .dh_group = self->config.dh_group, .name = PACKAGE_STRING };
      CzConn *conn;
      int one = 1;
      int fd = accept4 (self->listen_fd, (struct sockaddr *) &peer, &peer_len,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (fd < 0)
        {
          int err = errno;

          if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
            accept_pause (self, err);
          else if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR && err != ECONNABORTED)
            accept_warning (self, _("accept failed: %s"), g_strerror (err));
          return;
        }
      if ((guint) g_atomic_int_get (&self->client_count) >= self->config.max_clients)
        {
          accept_warning (self, _("connection refused: the server is full (%u clients)"),
                          self->config.max_clients);
          close (fd);
          continue;
        }
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

      conn = g_new0 (CzConn, 1);
      conn->server = self;
      conn->fd = fd;
      conn->id = self->next_id++;
      conn->address = format_address ((struct sockaddr *) &peer, NULL);
      conn->host = g_strndup (conn->address, strrchr (conn->address, ':') - conn->address);
      if (!host_count (self, conn))
        {
          accept_warning (self, _("connection from %s refused: %u connections from that address already"),
                          conn->address, self->config.max_per_address);
          conn_free (conn);   /* closes fd */
          continue;
        }
      conn->deadline_us = g_get_monotonic_time ()
                          + (gint64) self->config.handshake_timeout_ms * 1000;
      conn->channel = cz_channel_new_server (self->tls, fd, &options, &server_callbacks, conn,
                                             &error);
      if (conn->channel == NULL)
        {
          cz_server_log (self, G_LOG_LEVEL_WARNING, _("cannot start TLS for %s: %s"),
                         conn->address, error->message);
          conn_free (conn);
          continue;
        }
      cz_channel_set_peer_address (conn->channel, conn->address);
      g_hash_table_insert (self->conns, &conn->id, conn);
      g_atomic_int_inc (&self->client_count);
      g_queue_push_tail (&self->pending_deadline, GSIZE_TO_POINTER ((gsize) conn->id));
      conn->epoll_mask = EPOLLIN;
      epoll_add (self, fd, EPOLLIN, conn->id);
      {
        CzServerEvent event = { .kind = CZ_SERVER_EVENT_CONNECTED, .client_id = conn->id,
                                .address = conn->address };
        cz_server_emit (self, &event);
      }
    }
}

static void
conn_update_mask (CzConn *conn)
{
  guint32 mask;

  if (conn->dead)
    return;
  /* Resume a paused connection once half its operations are done
   * (hysteresis: not an epoll_ctl per message) and its output is below
   * the bound. */
  if (conn->paused && conn->inflight <= CZ_CONN_MAX_INFLIGHT / 2
      && cz_channel_pending_output (conn->channel) <= CZ_CONN_OUTPUT_PAUSE)
    {
      conn->paused = FALSE;
      cz_channel_pause_input (conn->channel, FALSE);
      g_ptr_array_add (conn->server->again, conn);   /* frames may be waiting */
    }
  mask = (conn->paused ? 0 : EPOLLIN) | (cz_channel_wants_write (conn->channel) ? EPOLLOUT : 0);
  if (mask != conn->epoll_mask)
    {
      struct epoll_event ev = { .events = mask, .data.u64 = conn->id };
      epoll_ctl (conn->server->epoll_fd, EPOLL_CTL_MOD, conn->fd, &ev);
      conn->epoll_mask = mask;
    }
}

static void
conn_io (CzConn *conn, guint32 events)
{
  if (conn->dead)
    return;
  if (conn->paused && (events & (EPOLLHUP | EPOLLERR)))
    {
      /* Not read while paused: the reset would be reported forever. */
      g_autoptr(GError) error = g_error_new_literal (CZ_ERROR, CZ_ERROR_CLOSED,
                                                     _("the peer closed the connection"));
      cz_channel_abort (conn->channel, error);
      return;
    }
  cz_channel_io (conn->channel);
  if (conn->dead)
    return;
  if (cz_channel_has_buffered_input (conn->channel))
    g_ptr_array_add (conn->server->again, conn);
  conn_update_mask (conn);
}

/* Closes connections still not logged in at their deadline.  Deadlines grow
 * with connection order, so only the head of the queue needs looking at. */
static void
sweep_deadlines (CzServer *self)
{
  gint64 now = g_get_monotonic_time ();

  while (!g_queue_is_empty (&self->pending_deadline))
    {
      guint64 id = GPOINTER_TO_SIZE (g_queue_peek_head (&self->pending_deadline));
      CzConn *conn = g_hash_table_lookup (self->conns, &id);

      if (conn && conn->deadline_us != 0 && conn->deadline_us > now)
        break;
      g_queue_pop_head (&self->pending_deadline);
      if (conn && conn->deadline_us != 0 && !conn->dead)
        {
          g_autoptr(GError) error = g_error_new (CZ_ERROR, CZ_ERROR_TIMEOUT,
                                                 _("the handshake and login did not finish within %u seconds"),
                                                 self->config.handshake_timeout_ms / 1000);
          cz_server_log (self, G_LOG_LEVEL_INFO, _("%s: %s"), conn->address, error->message);
          cz_channel_close (conn->channel, 0, error, "timeout");
          if (cz_channel_get_state (conn->channel) != CZ_CHANNEL_CLOSED)
            cz_channel_flush (conn->channel);
          if (!conn->dead)
            cz_channel_abort (conn->channel, error), cz_channel_flush (conn->channel);
        }
    }
}

static gint64
next_deadline_ms (CzServer *self)
{
  if (g_queue_is_empty (&self->pending_deadline))
    return 1000;
  {
    guint64 id = GPOINTER_TO_SIZE (g_queue_peek_head (&self->pending_deadline));
    CzConn *conn = g_hash_table_lookup (self->conns, &id);
    gint64 wait;

    if (conn == NULL || conn->deadline_us == 0)
      return 0;
    wait = (conn->deadline_us - g_get_monotonic_time ()) / 1000 + 1;
    return CLAMP (wait, 0, 1000);
  }
}

static void flush_dirty (CzServer *self);

/* Completions come a store batch at a time (up to a thousand messages):
 * the first acknowledgements leave before the last are built. */
#define FLUSH_EVERY_COMPLETIONS 64

static void
drain_inbox (CzServer *self)
{
  guint64 value;
  CzStoreOp *op;
  guint done = 0;

  while (read (self->wake_fd, &value, sizeof value) > 0)
    ;
  while ((op = g_async_queue_try_pop (self->inbox)) != NULL)
    {
      cz_server_dispatch_store_done (self, op);
      if (++done % FLUSH_EVERY_COMPLETIONS == 0)
        flush_dirty (self);
    }
}

static void
drop_op (CzStoreOp *op)
{
  cz_op_ctx_free (op->user_data);
  cz_store_op_free (op);
}

/* Writes everything queued in this wakeup: one batch of records per
 * connection (write coalescing). */
static void
flush_dirty (CzServer *self)
{
  for (guint i = 0; i < self->dirty->len; i++)
    {
      CzConn *conn = self->dirty->pdata[i];
      conn->dirty = FALSE;
      if (conn->dead)
        continue;
      cz_channel_flush (conn->channel);
      if (!conn->dead)
        conn_update_mask (conn);
    }
  g_ptr_array_set_size (self->dirty, 0);
}

static void
bury_dead (CzServer *self)
{
  for (guint i = 0; i < self->graveyard->len; i++)
    {
      /* It may still wait for a second read; it must not be found there. */
      while (g_ptr_array_remove_fast (self->again, self->graveyard->pdata[i]))
        ;
      conn_free (self->graveyard->pdata[i]);
    }
  g_ptr_array_set_size (self->graveyard, 0);
}

static void
shutdown_clients (CzServer *self)
{
  GHashTableIter iter;
  gpointer value;
  g_autoptr(GPtrArray) all = g_ptr_array_new ();

  /* Everyone leaves: no presence news for people who are leaving too. */
  self->closing_all = TRUE;
  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (all, value);
  for (guint i = 0; i < all->len; i++)
    {
      CzConn *conn = all->pdata[i];
      if (conn->dead)
        continue;
      cz_channel_close (conn->channel, 0, NULL, "server shutting down");
      cz_channel_flush (conn->channel);
      if (!conn->dead)
        cz_channel_abort (conn->channel, NULL), cz_channel_flush (conn->channel);
    }
  bury_dead (self);
}

static void
handle_events (CzServer *self, const struct epoll_event *events, int n)
{
  for (int i = 0; i < n; i++)
    {
      guint64 tag = events[i].data.u64;
      CzConn *conn;

      if (tag == LISTEN_TAG)
        accept_clients (self);
      else if (tag == WAKE_TAG)
        drain_inbox (self);
      else if ((conn = g_hash_table_lookup (self->conns, &tag)) != NULL)
        conn_io (conn, events[i].events);
    }
}

static gpointer
loop_thread (gpointer data)
{
  CzServer *self = data;
  struct epoll_event events[MAX_EVENTS];
  gint64 last_expire = g_get_monotonic_time ();

  while (!g_atomic_int_get (&self->stopping))
    {
      int timeout = self->again->len > 0 ? 0 : (int) next_deadline_ms (self);
      if (self->presence_due_us != 0)
        timeout = MIN (timeout, (int) CLAMP ((self->presence_due_us - g_get_monotonic_time ()) / 1000 + 1,
                                             0, 1000));
      if (self->accept_paused)
        timeout = MIN (timeout, (int) CLAMP ((self->accept_resume_us - g_get_monotonic_time ()) / 1000 + 1,
                                             0, ACCEPT_PAUSE_US / 1000));
      int n = epoll_wait (self->epoll_fd, events, MAX_EVENTS, timeout);
      guint rounds = g_hash_table_size (self->conns) / MAX_EVENTS + 1;
      g_autoptr(GPtrArray) again = NULL;

      if (n < 0 && errno != EINTR)
        {
          cz_server_log (self, G_LOG_LEVEL_CRITICAL, "epoll_wait: %s", g_strerror (errno));
          break;
        }
      again = self->again;
      self->again = g_ptr_array_new ();
      for (guint i = 0; i < again->len; i++)
        conn_io (again->pdata[i], 0);
      handle_events (self, events, n);
      /* A full batch may be part of a burst (every client dropped at once,
       * a login storm): read up to one batch per MAX_EVENTS connections
       * more before presence goes out, so that those who leave together
       * are not told about each other (N² frames, mostly to the dead). */
      while (n == MAX_EVENTS && --rounds > 0 && !g_atomic_int_get (&self->stopping))
        {
          n = epoll_wait (self->epoll_fd, events, MAX_EVENTS, 0);
          if (n > 0)
            handle_events (self, events, n);
        }
      sweep_deadlines (self);
      accept_resume_due (self);
      cz_server_cluster_flush (self);
      cz_server_presence_flush (self);
      flush_dirty (self);
      bury_dead (self);

      if (g_get_monotonic_time () - last_expire > 60 * G_USEC_PER_SEC)
        {
          last_expire = g_get_monotonic_time ();
          cz_throttle_expire (self->throttle, last_expire);
        }
    }

  shutdown_clients (self);
  return NULL;
}

/* Every client costs a descriptor: the soft limit goes up to the hard
 * one, and --max-clients down to what it allows (with CZ_FD_RESERVE kept
 * for the database, the loop and the log). */
static void
raise_fd_limit (CzServer *self)
{
  struct rlimit rl;
  rlim_t usable;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return;
  if (rl.rlim_cur < rl.rlim_max)
    {
      rlim_t was = rl.rlim_cur;

      rl.rlim_cur = rl.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
        rl.rlim_cur = was;
    }
  if (rl.rlim_cur == RLIM_INFINITY)
    return;
  usable = rl.rlim_cur > 2 * CZ_FD_RESERVE ? rl.rlim_cur - CZ_FD_RESERVE : rl.rlim_cur / 2;
  if (self->config.max_clients > usable)
    {
      cz_server_log (self, G_LOG_LEVEL_WARNING,
                     _("at most %u clients instead of %u: the process may open only %lu files"
                       " (RLIMIT_NOFILE)"),
                     (guint) usable, self->config.max_clients, (unsigned long) rl.rlim_cur);
      self->config.max_clients = (guint) usable;
    }
}

gboolean
cz_server_start (CzServer *self, GError **error)
{
  g_return_val_if_fail (!self->started, FALSE);

  raise_fd_limit (self);
  if (!open_listener (self, error))
    return FALSE;
  self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  self->wake_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (self->epoll_fd < 0 || self->wake_fd < 0)
    return set_errno_error (error, _("cannot create the event loop"));
  epoll_add (self, self->listen_fd, EPOLLIN, LISTEN_TAG);
  epoll_add (self, self->wake_fd, EPOLLIN, WAKE_TAG);
  cz_store_set_batch_done_func (self->store, cz_server_store_batch_done_cb, self);
  if (!cz_server_cluster_start (self, error))
    return FALSE;
  self->started = TRUE;
  self->thread = g_thread_new ("causerie-net", loop_thread, self);
  return TRUE;
}

const char *
cz_server_get_address (CzServer *self)
{
  return self->address;
}

guint16
cz_server_get_port (CzServer *self)
{
  return self->port;
}

guint
cz_server_get_client_count (CzServer *self)
{
  return (guint) g_atomic_int_get (&self->client_count);
}

void
cz_server_stop (CzServer *self)
{
  guint64 one = 1;

  if (!self->started || g_atomic_int_get (&self->stopping))
    return;
  g_atomic_int_set (&self->stopping, 1);
  if (write (self->wake_fd, &one, sizeof one) < 0)
    g_warning ("cannot wake the server loop: %s", g_strerror (errno));
  g_thread_join (self->thread);
  self->thread = NULL;
  cz_server_cluster_stop (self);
  /* Commits what is queued; completions land in the inbox unanswered. */
  if (self->store)
    cz_store_close (self->store);
  {
    CzStoreOp *op;
    while ((op = g_async_queue_try_pop (self->inbox)) != NULL)
      drop_op (op);
  }
  cz_server_presence_shutdown (self);
}

void
cz_server_free (CzServer *self)
{
  if (self == NULL)
    return;
  cz_server_stop (self);
  if (self->store)
    cz_store_close (self->store);
  g_clear_object (&self->store);
  g_clear_pointer (&self->tls, cz_tls_server_config_unref);
  if (self->listen_fd >= 0)
    close (self->listen_fd);
  if (self->epoll_fd >= 0)
    close (self->epoll_fd);
  if (self->wake_fd >= 0)
    close (self->wake_fd);
  g_free ((char *) self->config.bind_address);
  g_free ((char *) self->config.cert_file);
  g_free ((char *) self->config.key_file);
  g_free ((char *) self->config.client_ca_file);
  g_free ((char *) self->config.priority);
  g_free (self->db_path);
  g_free (self->address);
  if (self->inbox)
    {
      CzStoreOp *op;
      while ((op = g_async_queue_try_pop (self->inbox)) != NULL)
        drop_op (op);
      g_async_queue_unref (self->inbox);
    }
  g_clear_pointer (&self->conns, g_hash_table_unref);
  g_clear_pointer (&self->per_host, g_hash_table_unref);
  g_clear_pointer (&self->online, g_hash_table_unref);
  g_clear_pointer (&self->presence_before, g_hash_table_unref);
  g_clear_pointer (&self->presence_order, g_ptr_array_unref);
  g_queue_clear (&self->pending_deadline);
  g_clear_pointer (&self->dirty, g_ptr_array_unref);
  g_clear_pointer (&self->graveyard, g_ptr_array_unref);
  g_clear_pointer (&self->again, g_ptr_array_unref);
  g_clear_pointer (&self->throttle, cz_throttle_free);
  cz_memwipe (self->fake_secret, sizeof self->fake_secret);
  g_clear_pointer (&self->fake_iterations, g_array_unref);
  g_free (self);
}
