/* raw-client.c: a hand-driven Causerie client over a real socket, for the
 * hostile-input and fault tests (see raw-client.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "raw-client.h"
#include "cz-error.h"
#include "cz-message.h"
#include "message-show.h"
#include "cz-scram.h"
#include "cz-tls.h"

/* ---- Sockets ----------------------------------------------------------------------- */

static void
set_timeouts (int fd, guint ms)
{
  struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int
cz_raw_tcp_connect (guint16 port, const char *source)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  if (source)
    {
      struct sockaddr_in local = { .sin_family = AF_INET };
      inet_pton (AF_INET, source, &local.sin_addr);
      g_assert_cmpint (bind (fd, (struct sockaddr *) &local, sizeof local), ==, 0);
    }
  addr.sin_port = htons (port);
  inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  set_timeouts (fd, 10000);
  return fd;
}

gboolean
cz_raw_wait_closed (int fd, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  char buf[4096];

  while (g_get_monotonic_time () < end)
    {
      struct pollfd p = { fd, POLLIN, 0 };
      int left = (int) ((end - g_get_monotonic_time ()) / 1000) + 1;
      ssize_t n;

      if (poll (&p, 1, left) <= 0)
        continue;
      n = recv (fd, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno == ECONNRESET))
        return TRUE;
    }
  return FALSE;
}

/* ---- A hand-driven client ------------------------------------------------------------ */

void
cz_raw_client_free (CzRawClient *r)
{
  if (r->session)
    gnutls_deinit (r->session);
  cz_raw_peer_clear (&r->peer);
  close (r->fd);
  g_free (r);
}

CzRawClient *
cz_raw_client_new (guint16 port, const char *ca, const char *source, gboolean open)
{
  g_autoptr(GError) error = NULL;
  CzRawClient *r = g_new0 (CzRawClient, 1);

  cz_raw_peer_init (&r->peer);
  r->fd = cz_raw_tcp_connect (port, source);
  if (open)
    r->session = cz_raw_connect_open (r->fd, ca, &r->peer, &error);
  else
    r->session = cz_raw_tls_connect (r->fd, ca, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r->session);
  return r;
}

void
cz_raw_send_bytes (CzRawClient *r, const void *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (cz_raw_write_all (r->session, data, len, &error));
  g_assert_no_error (error);
}

void
cz_raw_send (CzRawClient *r, GVariant *msg)
{
  g_autoptr(GVariant) owned = msg;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (cz_raw_peer_seal_message (&r->peer, owned, out, &error));
  g_assert_no_error (error);
  cz_raw_send_bytes (r, out->data, out->len);
}

GVariant *
cz_raw_reply (CzRawClient *r, guint timeout_ms)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      GVariant *msg = cz_raw_read_message (&r->peer, r->session, r->fd, timeout_ms, &error);
      const char *kind;

      if (msg == NULL)
        return NULL;
      kind = cz_message_kind (msg);
      if (!g_str_equal (kind, "presence") && !g_str_equal (kind, "message")
          && !g_str_equal (kind, "receipt"))
        return msg;
      g_variant_unref (msg);
    }
}

void
cz_raw_expect_error (CzRawClient *r, const char *code, guint32 ref)
{
  g_autoptr(GVariant) msg = cz_raw_reply (r, 10000);

  g_assert_nonnull (msg);
  if (!g_str_equal (cz_message_kind (msg), "error"))
    g_error ("expected error %s, got %s", code, cz_message_to_string (msg));
  g_assert_cmpstr (cz_message_opt_string (msg, "code", ""), ==, code);
  if (ref != G_MAXUINT32)
    g_assert_cmpuint (cz_message_ref (msg), ==, ref);
}

void
cz_raw_expect_closed (CzRawClient *r, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) msg = NULL;
      gint64 left = (end - g_get_monotonic_time ()) / 1000;

      g_assert_cmpint (left, >, 0);
      msg = cz_raw_read_message (&r->peer, r->session, r->fd, (guint) left, &error);
      if (msg == NULL)
        {
          g_assert_false (g_error_matches (error, CZ_ERROR, CZ_ERROR_TIMEOUT));
          return;
        }
    }
}

void
cz_raw_register (CzRawClient *r, const char *user, const char *password)
{
  g_autoptr(GVariant) params = NULL;
  g_autoptr(GVariant) done = NULL;
  g_autoptr(GBytes) salt = NULL;
  g_auto(CzScramCredentials) creds = { 0 };
  guint32 iterations = 0;

  cz_raw_send (r, cz_message_new ("register", "ref", g_variant_new_uint32 (++r->ref),
                               "user", g_variant_new_string (user), NULL));
  params = cz_raw_reply (r, 10000);
  g_assert_nonnull (params);
  g_assert_cmpstr (cz_message_kind (params), ==, "register-params");
  g_assert_true (cz_message_get_bytes (params, "salt", &salt, NULL));
  g_assert_true (cz_message_get_uint32 (params, "iterations", &iterations, NULL));
  g_assert_true (cz_scram_credentials_from_password (&creds, password, salt, iterations, NULL));
  cz_raw_send (r, cz_message_new ("register-keys", "ref", g_variant_new_uint32 (r->ref),
                               "stored_key", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                        creds.stored_key, 32, 1),
                               "server_key", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                        creds.server_key, 32, 1),
                               NULL));
  done = cz_raw_reply (r, 10000);
  g_assert_nonnull (done);
  g_assert_cmpstr (cz_message_kind (done), ==, "registered");
}

GVariant *
cz_raw_login (CzRawClient *r, const char *user, const char *password)
{
  g_autoptr(GBytes) cbind = cz_tls_channel_binding (r->session, NULL);
  g_autoptr(CzScramClient) scram = cz_scram_client_new (user, password, cbind, NULL);
  g_autofree char *first = cz_scram_client_first (scram);
  g_autofree char *final = NULL;
  g_autoptr(GVariant) challenge = NULL;
  const char *server_first;

  cz_raw_send (r, cz_message_new ("auth-start", "ref", g_variant_new_uint32 (++r->ref),
                               "mechanism", g_variant_new_string (CZ_SCRAM_MECHANISM),
                               "message", g_variant_new_string (first), NULL));
  challenge = cz_raw_reply (r, 10000);
  g_assert_nonnull (challenge);
  if (!g_str_equal (cz_message_kind (challenge), "auth-challenge"))
    return g_steal_pointer (&challenge);
  g_assert_true (cz_message_get_string (challenge, "message", &server_first, NULL));
  final = cz_scram_client_final (scram, server_first, NULL);
  g_assert_nonnull (final);
  cz_raw_send (r, cz_message_new ("auth-finish", "ref", g_variant_new_uint32 (++r->ref),
                               "message", g_variant_new_string (final), NULL));
  return cz_raw_reply (r, 10000);
}
