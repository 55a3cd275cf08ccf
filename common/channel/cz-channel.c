/* cz-channel.c: one connection's state machine (TLS → hellos → sealed). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <glib/gi18n-lib.h>

#include "cz-channel-private.h"
#include "cz-crypto.h"
#include "cz-error.h"
#include "cz-message.h"
#include "cz-util.h"

/* GnuTLS hands out at most one record (16 KiB) per recv. */
#define RECV_CHUNK 16384
/* Output above this stays allocated between bursts; below, it is freed so
 * idle connections hold no buffer. */
#define OUT_KEEP 0
/* A peer that stops reading must not make us queue without bound (DESIGN
 * §2.7).  Once more than BACKLOG_SOFT bytes wait, the peer must take some
 * bytes between two flushes, or at most BACKLOG_GROWTH more may pile up
 * before the channel fails.  A burst (offline messages at login) is fine:
 * a reading peer takes some of it at every flush. */
#define BACKLOG_SOFT (256 * 1024)
#define BACKLOG_GROWTH (4 * 1024 * 1024)
/* ... and whatever it takes, never more than this (a slow reader that
 * takes a little at every flush would reset the rule above forever).  Above
 * the largest burst the server makes: a page of offline messages (200 of
 * at most 16 KiB each) and a few history pages. */
#define BACKLOG_MAX (16 * 1024 * 1024)
/* GnuTLS reads a record as its 5-byte header, then its body: for smaller
 * reads the transport asks the socket for up to this much at once, so that
 * the few small records of a login cost one recv() rather than two each. */
#define READ_AHEAD 8192
/* Records produced in one pass are written together, up to this much (a
 * peer that does not read holds at most one batch of records, as GnuTLS
 * alone would hold one record). */
#define WIRE_BATCH RECV_CHUNK
/* The first allocation of the record buffer: a server's whole flight with
 * its hello fits. */
#define WIRE_FIRST 2048
/* Client, during the trust prompt: what the server may send before the
 * person decides (its hello, a few hundred bytes); past this the
 * connection is closed rather than buffered without end (issue #15). */
#define TRUST_INPUT_MAX (64 * 1024)

/* struct _CzChannel: cz-channel-private.h */

static __thread guint8 recv_buf[RECV_CHUNK];
static __thread guint8 plain_buf[CZ_FRAME_MAX];
static __thread guint8 ahead_buf[READ_AHEAD];

/* ---- Transport ------------------------------------------------------------------
 *
 * GnuTLS reads through pull_cb (read-ahead, the rest kept in self->ahead)
 * and writes through push_cb.  While the channel works (cz_channel_io,
 * flush_out) it is corked: records collect in self->wire and wire_write()
 * sends them with one system call, so a server flight and the hello after
 * it, or a client's Finished and its first frames, leave as one segment.
 * Uncorked (the session used directly), records are written at once. */

static ssize_t
transport_read (CzChannel *self, void *data, size_t len)
{
  ssize_t n;

  if (self->user_pull)
    return self->user_pull (self->user_ptr, data, len);
  if (self->drained)
    {
      /* The last read came back short: the socket had nothing more then,
       * and its owner polls it (level-triggered) before the next pass. */
      errno = EAGAIN;
      return -1;
    }
  n = recv (self->fd, data, len, 0);
  self->drained = n >= 0 && (gsize) n < len;
  return n;
}

static ssize_t
pull_cb (gnutls_transport_ptr_t ptr, void *data, size_t len)
{
  CzChannel *self = ptr;
  ssize_t n;

  if (self->ahead)
    {
      gsize avail = MIN (len, self->ahead_len - self->ahead_off);

      memcpy (data, self->ahead + self->ahead_off, avail);
      self->ahead_off += avail;
      if (self->ahead_off == self->ahead_len)
        {
          g_clear_pointer (&self->ahead, g_free);
          self->ahead_off = self->ahead_len = 0;
        }
      return (ssize_t) avail;
    }
  if (len >= READ_AHEAD)
    n = transport_read (self, data, len);
  else
    {
      n = transport_read (self, ahead_buf, sizeof ahead_buf);
      if (n > (ssize_t) len)
        {
          self->ahead_len = (gsize) n - len;
          self->ahead = g_memdup2 (ahead_buf + len, self->ahead_len);
          self->ahead_off = 0;
          n = (ssize_t) len;
        }
      if (n > 0)
        memcpy (data, ahead_buf, n);
    }
  if (n < 0 && self->user_pull == NULL)
    gnutls_transport_set_errno (self->session, errno);
  return n;
}

static gsize
wire_pending (CzChannel *self)
{
  return self->wire ? self->wire->len - self->wire_off : 0;
}

static gboolean wire_write (CzChannel *self, GError **error);

static ssize_t
push_cb (gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
  CzChannel *self = ptr;
  gsize total = 0;

  for (int i = 0; i < iovcnt; i++)
    total += iov[i].iov_len;
  if (self->wire == NULL)
    self->wire = g_byte_array_sized_new (MAX (total, WIRE_FIRST));
  for (int i = 0; i < iovcnt; i++)
    g_byte_array_append (self->wire, iov[i].iov_base, iov[i].iov_len);
  if (!self->corked && !wire_write (self, NULL))
    {
      gnutls_transport_set_errno (self->session, EPIPE);
      return -1;
    }
  return (ssize_t) total;
}

/* Writes what the socket takes of self->wire.  FALSE (with @error) when the
 * connection is gone. */
static gboolean
wire_write (CzChannel *self, GError **error)
{
  while (wire_pending (self) > 0)
    {
      const guint8 *data = self->wire->data + self->wire_off;
      gsize len = self->wire->len - self->wire_off;
      ssize_t n;

      errno = 0;
      n = self->user_push ? self->user_push (self->user_ptr, data, len)
                          : send (self->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0)
        {
          self->wire_off += (gsize) n;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return TRUE;
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_CLOSED,
                           _("the connection was closed by the peer"));
      return FALSE;
    }
  /* Drained: idle connections hold no buffer. */
  g_clear_pointer (&self->wire, g_byte_array_unref);
  self->wire_off = 0;
  return TRUE;
}

static void
transport_init (CzChannel *self, int fd)
{
  self->fd = fd;
  gnutls_transport_set_ptr (self->session, self);
  gnutls_transport_set_pull_function (self->session, pull_cb);
  gnutls_transport_set_vec_push_function (self->session, push_cb);
}

/* ---- Creation ------------------------------------------------------------------ */

static CzChannel *
channel_new (gboolean is_server, const CzChannelOptions *options,
             const CzChannelCallbacks *callbacks, gpointer user_data)
{
  CzChannel *self = g_new0 (CzChannel, 1);

  self->is_server = is_server;
  self->state = CZ_CHANNEL_HANDSHAKE;
  self->cb = *callbacks;
  self->user_data = user_data;
  self->group = options ? options->dh_group : CZ_DH_X25519;
  self->name = g_strdup (options && options->name ? options->name : PACKAGE_STRING);
  self->since = cz_now_ms ();
  cz_frame_reader_init (&self->reader);
  return self;
}

CzChannel *
cz_channel_new_server (CzTlsServerConfig *config, int fd, const CzChannelOptions *options,
                       const CzChannelCallbacks *callbacks, gpointer user_data, GError **error)
{
  CzChannel *self = channel_new (TRUE, options, callbacks, user_data);

  /* Early start: the hello leaves with the server's flight, which saves
   * the client a round trip and the server a wakeup. */
  self->session = cz_tls_server_session_new_full (config, TRUE, error);
  if (self->session == NULL)
    {
      cz_channel_free (self);
      return NULL;
    }
  /* The config outlives its channels (the server holds it). */
  self->own_cert = cz_tls_server_config_get_cert_info (config);
  transport_init (self, fd);
  return self;
}

CzChannel *
cz_channel_new_client (CzTlsClientConfig *config, int fd, const char *host, guint16 port,
                       const CzChannelOptions *options, const CzChannelCallbacks *callbacks,
                       gpointer user_data, GError **error)
{
  CzChannel *self = channel_new (FALSE, options, callbacks, user_data);

  self->session = cz_tls_client_session_new (config, host, port, &self->verify, error);
  if (self->session == NULL)
    {
      cz_channel_free (self);
      return NULL;
    }
  transport_init (self, fd);
  return self;
}

void
cz_channel_set_transport (CzChannel *self, gnutls_push_func push, gnutls_pull_func pull,
                          gpointer transport_ptr)
{
  /* The channel keeps its own buffering in front of them. */
  self->user_push = push;
  self->user_pull = pull;
  self->user_ptr = transport_ptr;
}

void
cz_channel_free (CzChannel *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->session, gnutls_deinit);
  cz_tls_verify_state_clear (&self->verify);
  g_clear_pointer (&self->dh, cz_dh_key_free);
  g_clear_pointer (&self->server_public, g_bytes_unref);
  g_clear_pointer (&self->client_public, g_bytes_unref);
  g_free (self->name);
  cz_aead_clear (&self->tx);
  cz_aead_clear (&self->rx);
  cz_frame_reader_clear (&self->reader);
  if (self->out)
    {
      cz_memwipe (self->out->data, self->out->len);
      g_byte_array_unref (self->out);
    }
  g_clear_pointer (&self->wire, g_byte_array_unref);
  g_free (self->ahead);
  /* Windows may hold the facts longer; the private value dies here. */
  cz_session_info_forget_private (self->info);
  g_clear_pointer (&self->info, cz_session_info_unref);
  g_free (self->peer_address);
  g_clear_error (&self->close_error);
  g_free (self);
}

/* ---- Output -------------------------------------------------------------------------- */

static GByteArray *
out_buffer (CzChannel *self)
{
  if (self->out == NULL)
    self->out = g_byte_array_new ();
  return self->out;
}

static void fail (CzChannel *self, GError *error, gboolean tell_peer);

static gboolean
out_pending (CzChannel *self)
{
  return self->out && self->out_off < self->out->len;
}

/* Seals queued output into records (never more than WIRE_BATCH ahead of
 * the socket) and writes them.  FALSE on a fatal error (the channel is then
 * failed, not yet notified).  Before the handshake is done, only writes the
 * handshake's records. */
static gboolean
flush_out (CzChannel *self)
{
  gboolean corked = self->corked;

  self->corked = TRUE;
  for (;;)
    {
      GError *error = NULL;

      while (self->state != CZ_CHANNEL_HANDSHAKE && out_pending (self)
             && wire_pending (self) < WIRE_BATCH)
        {
          gsize chunk = self->inflight ? self->inflight
                                       : MIN (self->out->len - self->out_off, RECV_CHUNK);
          ssize_t ret = gnutls_record_send (self->session, self->out->data + self->out_off, chunk);

          if (ret > 0)
            {
              self->out_off += ret;
              self->written += (guint64) ret;
              self->inflight = 0;
              continue;
            }
          if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
            {
              self->inflight = chunk;
              break;
            }
          cz_tls_set_error (&error, (int) ret, self->session, NULL);
          self->out_off = self->out->len;   /* nothing more can be sent */
          self->corked = corked;
          fail (self, error, FALSE);
          return FALSE;
        }
      if (!wire_write (self, &error))
        {
          if (self->out)
            self->out_off = self->out->len;
          self->corked = corked;
          fail (self, error, FALSE);
          return FALSE;
        }
      if (wire_pending (self) > 0 || self->inflight || !out_pending (self)
          || self->state == CZ_CHANNEL_HANDSHAKE)
        break;
    }
  self->corked = corked;
  if (self->out && !out_pending (self))
    {
      /* Drained: give the memory back (idle connections hold nothing). */
      g_byte_array_unref (self->out);
      self->out = NULL;
      self->out_off = 0;
    }
  return TRUE;
}

gboolean
cz_channel_queue_plain (CzChannel *self, GVariant *message)
{
  g_autoptr(GBytes) body = cz_message_encode (message);
  return cz_frame_append (out_buffer (self), g_bytes_get_data (body, NULL),
                          g_bytes_get_size (body), NULL);
}

/* The serialized plaintext of the message being sealed: one buffer per
 * thread, reused (GVariant serializes only to aligned memory, so not
 * straight into the output). */
static void
scratch_free (gpointer data)
{
  GByteArray *scratch = data;

  cz_memwipe (scratch->data, scratch->len);
  g_byte_array_unref (scratch);
}

static GPrivate scratch_key = G_PRIVATE_INIT (scratch_free);

static gboolean
queue_sealed (CzChannel *self, GVariant *message, GError **error)
{
  GByteArray *plain = g_private_get (&scratch_key);
  gboolean ok;

  if (plain == NULL)
    {
      plain = g_byte_array_sized_new (1024);
      g_private_set (&scratch_key, plain);
    }
  cz_message_encode_append (message, plain);
  ok = cz_aead_seal_frame (&self->tx, plain->data, plain->len, out_buffer (self), error);
  cz_memwipe (plain->data, plain->len);
  if (plain->len > 65536)
    {
      /* Not kept at the size of the largest history page. */
      g_private_replace (&scratch_key, g_byte_array_sized_new (1024));
      return ok;
    }
  g_byte_array_set_size (plain, 0);
  return ok;
}

gboolean
cz_channel_send (CzChannel *self, GVariant *message, GError **error)
{
  if (self->state != CZ_CHANNEL_OPEN)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_CLOSED,
                           _("the connection is not open"));
      return FALSE;
    }
  return queue_sealed (self, message, error);
}

gsize
cz_channel_pending_output (CzChannel *self)
{
  return (self->out ? self->out->len - self->out_off : 0) + wire_pending (self);
}

gboolean
cz_channel_wants_write (CzChannel *self)
{
  if (self->state == CZ_CHANNEL_HANDSHAKE)
    return wire_pending (self) > 0 || gnutls_record_get_direction (self->session) == 1;
  return cz_channel_pending_output (self) > 0;
}

gboolean
cz_channel_has_buffered_input (CzChannel *self)
{
  switch (self->state)
    {
    case CZ_CHANNEL_OPEN:
      if (self->input_paused)
        return FALSE;
      G_GNUC_FALLTHROUGH;
    case CZ_CHANNEL_HELLO:
      return self->ahead != NULL || gnutls_record_check_pending (self->session) > 0;
    case CZ_CHANNEL_HANDSHAKE:
    case CZ_CHANNEL_TRUST:
      return self->ahead != NULL;
    default:
      return FALSE;
    }
}

CzChannelState
cz_channel_get_state (CzChannel *self)
{
  return self->state;
}

/* ---- Closing ---------------------------------------------------------------------------- */

/* Moves to CLOSING: queue the error (sealed once keys exist, plain before;
 * nothing if TLS itself failed) and bye; the rest happens in finish(). */
static void
fail (CzChannel *self, GError *error, gboolean tell_peer)
{
  if (self->state == CZ_CHANNEL_CLOSED || self->state == CZ_CHANNEL_CLOSING)
    {
      g_clear_error (&error);
      return;
    }
  g_clear_error (&self->close_error);
  self->close_error = error;
  if (tell_peer && error && self->state != CZ_CHANNEL_HANDSHAKE)
    {
      g_autoptr(GVariant) msg = cz_message_new_error (0, cz_error_wire_code (error), error->message);
      if (self->state == CZ_CHANNEL_OPEN)
        queue_sealed (self, msg, NULL);
      else
        cz_channel_queue_plain (self, msg);
    }
  self->state = tell_peer ? CZ_CHANNEL_CLOSING : CZ_CHANNEL_CLOSED;
}

void
cz_channel_close (CzChannel *self, guint32 ref, const GError *error, const char *reason)
{
  if (self->state == CZ_CHANNEL_CLOSED || self->state == CZ_CHANNEL_CLOSING)
    return;
  if (self->state == CZ_CHANNEL_OPEN || self->state == CZ_CHANNEL_HELLO)
    {
      gboolean sealed = self->state == CZ_CHANNEL_OPEN;
      if (error)
        {
          g_autoptr(GVariant) msg = cz_message_new_error (ref, cz_error_wire_code (error),
                                                          error->message);
          sealed ? queue_sealed (self, msg, NULL) : cz_channel_queue_plain (self, msg);
        }
      if (sealed)
        {
          g_autoptr(GVariant) bye = cz_message_new ("bye", "reason",
                                                    g_variant_new_string (reason ? reason : ""),
                                                    NULL);
          queue_sealed (self, bye, NULL);
        }
    }
  g_clear_error (&self->close_error);
  self->close_error = error ? g_error_copy (error) : NULL;
  self->state = CZ_CHANNEL_CLOSING;
}

void
cz_channel_abort (CzChannel *self, const GError *error)
{
  if (self->state == CZ_CHANNEL_CLOSED)
    return;
  g_clear_error (&self->close_error);
  self->close_error = error ? g_error_copy (error) : NULL;
  self->state = CZ_CHANNEL_CLOSED;
}

/* Completes a close once the output is out, then tells the owner (once).
 * Nothing touches @self after the closed callback. */
static CzChannelState
finish (CzChannel *self)
{
  if (self->state == CZ_CHANNEL_CLOSING && cz_channel_pending_output (self) == 0)
    {
      gnutls_bye (self->session, GNUTLS_SHUT_WR);
      self->state = CZ_CHANNEL_CLOSED;
    }
  if (self->state == CZ_CHANNEL_CLOSED && !self->closed_notified)
    {
      /* The close_notify or alert, if the socket takes it now. */
      wire_write (self, NULL);
      self->closed_notified = TRUE;
      if (self->cb.closed)
        self->cb.closed (self, self->close_error, self->user_data);
      return CZ_CHANNEL_CLOSED;
    }
  return self->state;
}

/* ---- Input ------------------------------------------------------------------------------------ */

/* Handles the complete frames held by the reader. */
static void
process_frames (CzChannel *self)
{
  while (self->state == CZ_CHANNEL_HELLO || self->state == CZ_CHANNEL_OPEN)
    {
      if (self->input_paused && self->state == CZ_CHANNEL_OPEN)
        return;   /* the rest waits in the reader */

      const guint8 *body;
      gsize len;
      guint8 header[CZ_FRAME_HEADER_SIZE];
      GError *error = NULL;
      g_autoptr(GVariant) msg = NULL;
      CzFrameResult r = cz_frame_reader_next (&self->reader, &body, &len, header, &error);

      if (r == CZ_FRAME_NEED_MORE)
        return;
      if (r == CZ_FRAME_ERROR)
        {
          fail (self, error, TRUE);
          return;
        }

      if (self->state == CZ_CHANNEL_HELLO)
        {
          msg = cz_message_decode (body, len, &error);
          if (msg == NULL || !cz_channel_handle_hello (self, msg, &error))
            fail (self, error, TRUE);
          if (msg != NULL)
            cz_message_forget (msg);
          continue;
        }

      if (!cz_aead_open_frame (&self->rx, header, body, len, plain_buf, &error))
        {
          fail (self, error, TRUE);
          return;
        }
      msg = cz_message_decode (plain_buf, len - CZ_AEAD_TAG_SIZE, &error);
      cz_memwipe (plain_buf, len - CZ_AEAD_TAG_SIZE);
      if (msg == NULL)
        {
          /* A well-sealed but malformed message: the peer's bug, not an
           * attack on the channel.  Report and go on. */
          g_autoptr(GVariant) err = cz_message_new_error (0, cz_error_wire_code (error),
                                                          error->message);
          queue_sealed (self, err, NULL);
          g_clear_error (&error);
          continue;
        }
      if (g_str_equal (cz_message_kind (msg), "bye"))
        self->peer_bye = TRUE;
      if (self->cb.message)
        self->cb.message (self, msg, self->user_data);
      cz_message_forget (msg);
      if (self->peer_bye && self->state == CZ_CHANNEL_OPEN)
        {
          self->state = CZ_CHANNEL_CLOSING;
          return;
        }
    }
}

static void
after_handshake (CzChannel *self)
{
  gnutls_datum_t alpn = { NULL, 0 };

  if (gnutls_alpn_get_selected_protocol (self->session, &alpn) != 0
      || alpn.size != strlen (CZ_ALPN) || memcmp (alpn.data, CZ_ALPN, alpn.size) != 0)
    {
      GError *error = g_error_new (CZ_ERROR, CZ_ERROR_TLS,
                                   _("the peer does not speak the %s protocol"), CZ_ALPN);
      fail (self, error, FALSE);
      gnutls_alert_send (self->session, GNUTLS_AL_FATAL, GNUTLS_A_NO_APPLICATION_PROTOCOL);
      return;
    }

  if (self->is_server)
    {
      self->dh = cz_dh_key_new (self->group);
      self->server_public = cz_dh_key_get_public (self->dh);
      cz_channel_send_hello (self);
      self->state = CZ_CHANNEL_HELLO;
      return;
    }

  if (self->verify.result == CZ_VERIFY_FIRST_USE)
    {
      if (self->cb.trust_prompt == NULL)
        {
          fail (self, g_error_new (CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED,
                                   _("the server's key %s is not known and nobody was asked to accept it"),
                                   self->verify.fingerprint), FALSE);
          return;
        }
      self->state = CZ_CHANNEL_TRUST;
      self->cb.trust_prompt (self, self->verify.fingerprint, self->user_data);
      return;
    }
  self->state = CZ_CHANNEL_HELLO;
}

void
cz_channel_trust_decided (CzChannel *self, gboolean accept)
{
  if (self->state != CZ_CHANNEL_TRUST)
    return;
  if (!accept)
    {
      fail (self, g_error_new (CZ_ERROR, CZ_ERROR_CERT_UNTRUSTED,
                               _("the server's key %s was refused"), self->verify.fingerprint),
            FALSE);
      gnutls_bye (self->session, GNUTLS_SHUT_WR);
      return;
    }
  self->state = CZ_CHANNEL_HELLO;
  /* A hello may already be waiting in the reader. */
  process_frames (self);
}

static void
do_handshake (CzChannel *self)
{
  for (;;)
    {
      int ret = gnutls_handshake (self->session);

      if (ret == GNUTLS_E_SUCCESS)
        {
          after_handshake (self);
          return;
        }
      if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
        return;
      if (!gnutls_error_is_fatal (ret))
        continue;
      {
        GError *error = NULL;
        cz_tls_set_error (&error, ret, self->session, self->is_server ? NULL : &self->verify);
        /* Tell the peer why (bad_certificate, protocol_version...). */
        if (ret != GNUTLS_E_FATAL_ALERT_RECEIVED && ret != GNUTLS_E_PREMATURE_TERMINATION
            && ret != GNUTLS_E_PUSH_ERROR && ret != GNUTLS_E_PULL_ERROR)
          gnutls_alert_send_appropriate (self->session, ret);
        fail (self, error, FALSE);
        return;
      }
    }
}

static void
do_read (CzChannel *self)
{
  /* Frames left in the reader when input was paused. */
  if (self->state == CZ_CHANNEL_OPEN && !self->input_paused)
    process_frames (self);
  /* Bounded so one busy peer cannot starve the others on the same loop. */
  for (int rounds = 0; rounds < 64; rounds++)
    {
      ssize_t n;

      if (self->input_paused && self->state == CZ_CHANNEL_OPEN)
        return;

      if (self->state != CZ_CHANNEL_HELLO && self->state != CZ_CHANNEL_OPEN
          && self->state != CZ_CHANNEL_TRUST)
        return;
      n = gnutls_record_recv (self->session, recv_buf, sizeof recv_buf);
      if (n > 0)
        {
          cz_frame_reader_push (&self->reader, recv_buf, n);
          if (self->state != CZ_CHANNEL_TRUST)
            process_frames (self);
          else if (cz_frame_reader_pending (&self->reader) > TRUST_INPUT_MAX)
            {
              fail (self, g_error_new (CZ_ERROR, CZ_ERROR_PROTOCOL,
                                       _("the server sent more than %d KiB before the client's "
                                         "hello, while its key was waiting for a decision"),
                                       TRUST_INPUT_MAX / 1024), FALSE);
              return;
            }
          continue;
        }
      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
        return;
      if (n == 0)
        {
          if (self->peer_bye)
            self->state = CZ_CHANNEL_CLOSED;
          else
            fail (self, g_error_new_literal (CZ_ERROR, CZ_ERROR_CLOSED,
                                             _("the peer closed the connection")), FALSE);
          return;
        }
      if (!gnutls_error_is_fatal ((int) n))
        continue;   /* warning alerts, ignored post-handshake messages */
      {
        GError *error = NULL;
        cz_tls_set_error (&error, (int) n, self->session, NULL);
        if (self->peer_bye)
          g_clear_error (&error);
        fail (self, error, FALSE);
        return;
      }
    }
}

CzChannelState
cz_channel_io (CzChannel *self)
{
  gboolean corked = self->corked;

  self->corked = TRUE;
  self->drained = FALSE;
  if (self->state == CZ_CHANNEL_HANDSHAKE)
    do_handshake (self);
  if (self->state == CZ_CHANNEL_HELLO || self->state == CZ_CHANNEL_OPEN
      || self->state == CZ_CHANNEL_TRUST)
    do_read (self);
  if (self->state != CZ_CHANNEL_CLOSED)
    flush_out (self);
  self->corked = corked;
  return finish (self);
}

CzChannelState
cz_channel_start (CzChannel *self)
{
  return cz_channel_io (self);
}

/* The backlog rule (see BACKLOG_SOFT), after a flush. */
static void
check_backlog (CzChannel *self)
{
  gsize pending = cz_channel_pending_output (self);

  if (pending > BACKLOG_MAX)
    {
      fail (self, g_error_new (CZ_ERROR, CZ_ERROR_IO,
                               _("the peer does not read what is sent to it (%zu"
                                 " bytes waiting)"), pending),
            FALSE);
      return;
    }
  if (pending <= BACKLOG_SOFT || self->written != self->stall_written)
    {
      /* Keeping up, or took something since the last check. */
      self->stall_written = self->written;
      self->stall_pending = pending;
      return;
    }
  if (pending > self->stall_pending + BACKLOG_GROWTH)
    fail (self, g_error_new (CZ_ERROR, CZ_ERROR_IO,
                             _("the peer does not read what is sent to it (%zu"
                               " bytes waiting)"), pending),
          FALSE);
}

void
cz_channel_pause_input (CzChannel *self, gboolean paused)
{
  self->input_paused = paused;
}

gboolean
cz_channel_flush (CzChannel *self)
{
  if (self->state != CZ_CHANNEL_CLOSED)
    {
      flush_out (self);
      if (self->state == CZ_CHANNEL_OPEN)
        check_backlog (self);
    }
  return finish (self) != CZ_CHANNEL_CLOSED;
}
