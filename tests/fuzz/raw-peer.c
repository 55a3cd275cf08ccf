/* raw-peer.c: a Causerie client driven by hand (see raw-peer.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "raw-peer.h"
#include "cz-crypto.h"
#include "cz-error.h"
#include "cz-message.h"
#include "cz-tls.h"

void
cz_raw_peer_init (CzRawPeer *peer)
{
  memset (peer, 0, sizeof *peer);
  cz_frame_reader_init (&peer->reader);
}

void
cz_raw_peer_clear (CzRawPeer *peer)
{
  g_clear_pointer (&peer->server_public, g_bytes_unref);
  g_clear_pointer (&peer->client_public, g_bytes_unref);
  cz_aead_clear (&peer->tx);
  cz_aead_clear (&peer->rx);
  cz_frame_reader_clear (&peer->reader);
  peer->open = FALSE;
}

/* DESIGN §2.1 "Keys": E = exporter, PRK = HKDF-Extract (E, Z), two expands. */
static gboolean
derive (CzRawPeer *peer, gnutls_session_t session, GBytes *z, GError **error)
{
  guint8 exporter[32], prk[CZ_SHA256_SIZE], k_c2s[32], k_s2c[32];

  if (!cz_tls_export (session, CZ_EXPORTER_LABEL, exporter, sizeof exporter, error))
    return FALSE;
  cz_hkdf_sha256_extract (exporter, sizeof exporter, g_bytes_get_data (z, NULL),
                          g_bytes_get_size (z), prk);
  cz_hkdf_sha256_expand (prk, "causerie v1 c2s", 15, k_c2s, sizeof k_c2s);
  cz_hkdf_sha256_expand (prk, "causerie v1 s2c", 15, k_s2c, sizeof k_s2c);
  cz_aead_init (&peer->tx, k_c2s);
  cz_aead_init (&peer->rx, k_s2c);
  peer->open = TRUE;
  return TRUE;
}

gboolean
cz_raw_peer_answer_hello (CzRawPeer *peer, gnutls_session_t session, GVariant *hello,
                          GByteArray *out, GError **error)
{
  g_autoptr(CzDhKey) key = NULL;
  g_autoptr(GBytes) z = NULL;
  g_autoptr(GVariant) answer = NULL;
  g_autoptr(GBytes) encoded = NULL;
  const char *group;
  guint32 version;
  GBytes *pub = NULL;

  if (!g_str_equal (cz_message_kind (hello), "hello"))
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_PROTOCOL, "expected a hello, got %s",
                   cz_message_kind (hello));
      return FALSE;
    }
  if (!cz_message_get_uint32 (hello, "version", &version, error)
      || !cz_message_get_string (hello, "group", &group, error)
      || !cz_dh_group_from_name (group, &peer->group, error)
      || !cz_message_get_bytes (hello, "public", &pub, error))
    return FALSE;
  g_clear_pointer (&peer->server_public, g_bytes_unref);
  peer->server_public = pub;

  key = cz_dh_key_new (peer->group);
  g_clear_pointer (&peer->client_public, g_bytes_unref);
  peer->client_public = cz_dh_key_get_public (key);
  z = cz_dh_key_derive (key, g_bytes_get_data (pub, NULL), g_bytes_get_size (pub), error);
  if (z == NULL)
    return FALSE;

  answer = cz_message_new ("hello",
                           "version", g_variant_new_uint32 (1),
                           "public", g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                                               peer->client_public, TRUE),
                           "client", g_variant_new_string ("raw test peer"),
                           NULL);
  encoded = cz_message_encode (answer);
  if (!cz_frame_append (out, g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), error))
    return FALSE;
  return derive (peer, session, z, error);
}

gboolean
cz_raw_peer_seal (CzRawPeer *peer, const void *plain, gsize len, GByteArray *out,
                  GError **error)
{
  g_return_val_if_fail (peer->open, FALSE);
  return cz_aead_seal_frame (&peer->tx, plain, len, out, error);
}

gboolean
cz_raw_peer_seal_message (CzRawPeer *peer, GVariant *message, GByteArray *out, GError **error)
{
  g_autoptr(GBytes) encoded = cz_message_encode (message);
  return cz_raw_peer_seal (peer, g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded),
                           out, error);
}

void
cz_raw_peer_push (CzRawPeer *peer, const guint8 *data, gsize len)
{
  cz_frame_reader_push (&peer->reader, data, len);
}

GVariant *
cz_raw_peer_next (CzRawPeer *peer, GError **error)
{
  const guint8 *body;
  gsize len;
  guint8 header[CZ_FRAME_HEADER_SIZE];
  g_autofree guint8 *plain = NULL;
  CzFrameResult r = cz_frame_reader_next (&peer->reader, &body, &len, header, error);

  if (r != CZ_FRAME_OK)
    return NULL;
  if (!peer->open)
    return cz_message_decode (body, len, error);
  if (len <= CZ_AEAD_TAG_SIZE)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_FRAME, "sealed frame too short");
      return NULL;
    }
  plain = g_malloc (len - CZ_AEAD_TAG_SIZE);
  if (!cz_aead_open_frame (&peer->rx, header, body, len, plain, error))
    return NULL;
  return cz_message_decode (plain, len - CZ_AEAD_TAG_SIZE, error);
}

/* ---- Blocking sockets ------------------------------------------------------------ */

gnutls_session_t
cz_raw_tls_connect (int fd, const char *ca_file, GError **error)
{
  static const gnutls_datum_t alpn = { (unsigned char *) CZ_ALPN, sizeof CZ_ALPN - 1 };
  gnutls_certificate_credentials_t creds = NULL;
  gnutls_session_t session = NULL;
  int ret;

  /* The credentials must outlive the session: keep one set per CA file,
   * for the process's life (every earlier set stays reachable, so a
   * program whose tests each make a PKI is not a leak to LSan). */
  static gnutls_certificate_credentials_t shared_creds;
  static char *shared_ca;
  static GPtrArray *earlier;

  if (shared_creds == NULL || g_strcmp0 (shared_ca, ca_file) != 0)
    {
      gnutls_certificate_allocate_credentials (&creds);
      if (gnutls_certificate_set_x509_trust_file (creds, ca_file, GNUTLS_X509_FMT_PEM) <= 0)
        {
          g_set_error (error, CZ_ERROR, CZ_ERROR_CERT, "cannot load %s", ca_file);
          gnutls_certificate_free_credentials (creds);
          return NULL;
        }
      /* The previous set may still serve open sessions: keep it. */
      if (shared_creds != NULL)
        {
          if (earlier == NULL)
            earlier = g_ptr_array_new ();
          g_ptr_array_add (earlier, shared_creds);
        }
      shared_creds = creds;
      g_free (shared_ca);
      shared_ca = g_strdup (ca_file);
    }

  gnutls_init (&session, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL);
  gnutls_priority_set_direct (session, CZ_TLS_DEFAULT_PRIORITY, NULL);
  gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, shared_creds);
  gnutls_alpn_set_protocols (session, &alpn, 1, 0);
  gnutls_server_name_set (session, GNUTLS_NAME_DNS, "localhost", strlen ("localhost"));
  gnutls_session_set_verify_cert (session, "localhost", 0);
  gnutls_handshake_set_timeout (session, 10000);
  gnutls_transport_set_int (session, fd);
  do
    ret = gnutls_handshake (session);
  while (ret < 0 && !gnutls_error_is_fatal (ret));
  if (ret < 0)
    {
      cz_tls_set_error (error, ret, session, NULL);
      gnutls_deinit (session);
      return NULL;
    }
  return session;
}

gboolean
cz_raw_write_all (gnutls_session_t session, const guint8 *data, gsize len, GError **error)
{
  while (len > 0)
    {
      ssize_t n = gnutls_record_send (session, data, MIN (len, 16384));

      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
        continue;
      if (n < 0)
        return cz_tls_set_error (error, (int) n, session, NULL);
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

GVariant *
cz_raw_read_message (CzRawPeer *peer, gnutls_session_t session, int fd, guint timeout_ms,
                     GError **error)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint8 buf[16384];

  for (;;)
    {
      GError *local = NULL;
      GVariant *msg = cz_raw_peer_next (peer, &local);
      gint64 left = end - g_get_monotonic_time ();
      struct timeval tv;
      ssize_t n;

      if (msg != NULL || local != NULL)
        {
          if (local)
            g_propagate_error (error, local);
          return msg;
        }
      if (left <= 0)
        {
          g_set_error_literal (error, CZ_ERROR, CZ_ERROR_TIMEOUT, "no message in time");
          return NULL;
        }
      tv.tv_sec = left / G_USEC_PER_SEC;
      tv.tv_usec = MAX (left % G_USEC_PER_SEC, 1000);
      setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      n = gnutls_record_recv (session, buf, sizeof buf);
      if (n > 0)
        cz_raw_peer_push (peer, buf, (gsize) n);
      else if (n == 0)
        {
          g_set_error_literal (error, CZ_ERROR, CZ_ERROR_CLOSED, "the server closed the connection");
          return NULL;
        }
      else if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED)
        {
          cz_tls_set_error (error, (int) n, session, NULL);
          return NULL;
        }
    }
}

gnutls_session_t
cz_raw_connect_open (int fd, const char *ca_file, CzRawPeer *peer, GError **error)
{
  gnutls_session_t session = cz_raw_tls_connect (fd, ca_file, error);
  g_autoptr(GVariant) hello = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();

  if (session == NULL)
    return NULL;
  hello = cz_raw_read_message (peer, session, fd, 10000, error);
  if (hello == NULL)
    goto fail;
  if (!cz_raw_peer_answer_hello (peer, session, hello, out, error)
      || !cz_raw_write_all (session, out->data, out->len, error))
    goto fail;
  return session;

fail:
  gnutls_deinit (session);
  return NULL;
}
