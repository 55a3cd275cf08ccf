/* cz-channel-keys.c: the two hellos, the key schedule (TLS exporter →
 * HKDF → per-direction AES-256-GCM keys, verification code), and the
 * session facts a window shows (DESIGN §2.1). */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-protocol.h"
#include "cz-channel-private.h"
#include "cz-crypto.h"
#include "cz-error.h"
#include "cz-message.h"
#include "cz-util.h"

/* ---- Session info ------------------------------------------------------------ */

static char *
bytes_hex (GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  return cz_hex_encode (data, len);
}

static CzCertInfo *
first_cert (const gnutls_datum_t *list, unsigned int n)
{
  return (list && n > 0) ? cz_cert_info_new_from_datum (&list[0]) : NULL;
}

/* Client side: through the config's cache (parsed once per server, not
 * once per connection). */
static CzCertInfo *
client_cert_info (CzChannel *self, const gnutls_datum_t *list, unsigned int n, gboolean own)
{
  if (list == NULL || n == 0)
    return NULL;
  if (self->verify.config == NULL)
    return first_cert (list, n);
  return cz_tls_client_config_cert_info (self->verify.config, &list[0], own);
}

static char *
verification_sentence (CzChannel *self)
{
  if (self->is_server)
    {
      if (self->info->client_cert)
        return g_strdup (_("client certificate verified against the client CA"));
      return g_strdup (_("no client certificate"));
    }
  switch (self->verify.config ? cz_tls_client_config_get_trust (self->verify.config) : CZ_TRUST_CA)
    {
    case CZ_TRUST_CA:
      return g_strdup_printf (_("signed by the trusted CA and valid for %s"), self->verify.host);
    case CZ_TRUST_PIN:
      return g_strdup (_("the server's key matches the pinned key"));
    case CZ_TRUST_TOFU:
      if (self->verify.result == CZ_VERIFY_FIRST_USE)
        return g_strdup (_("first use: the key was accepted and pinned"));
      return g_strdup (_("the server's key matches the key pinned on first use"));
    }
  return g_strdup ("");
}

static void
build_info (CzChannel *self, const guint8 *code8)
{
  gnutls_session_t s = self->session;
  CzSessionInfo *info = cz_session_info_new ();
  const gnutls_datum_t *ours, *peers;
  unsigned int n_peers = 0;
  gnutls_datum_t alpn = { NULL, 0 };
  g_autoptr(GBytes) priv = cz_dh_key_get_private (self->dh);

  self->info = info;
  info->protocol = g_strdup (gnutls_protocol_get_name (gnutls_protocol_get_version (s)));
  info->cipher = g_strdup (gnutls_cipher_get_name (gnutls_cipher_get (s)));
  info->mac = g_strdup (gnutls_mac_get_name (gnutls_mac_get (s)));
  info->group = g_strdup (gnutls_group_get_name (gnutls_group_get (s)));
  info->signature = g_strdup (gnutls_sign_get_name (gnutls_sign_algorithm_get (s)));
  if (gnutls_alpn_get_selected_protocol (s, &alpn) == 0)
    info->alpn = g_strndup ((const char *) alpn.data, alpn.size);

  ours = gnutls_certificate_get_ours (s);
  peers = gnutls_certificate_get_peers (s, &n_peers);
  if (self->is_server)
    {
      /* The server's own certificate is parsed once, not per client. */
      info->server_cert = self->own_cert ? cz_cert_info_copy (self->own_cert)
                                         : first_cert (ours, ours ? 1 : 0);
      info->client_cert = first_cert (peers, n_peers);
      info->trust = g_strdup (info->client_cert ? "client-certificate" : "none");
    }
  else
    {
      info->server_cert = client_cert_info (self, peers, n_peers, FALSE);
      info->client_cert = client_cert_info (self, ours, ours ? 1 : 0, TRUE);
      info->trust = g_strdup (cz_trust_mode_name (cz_tls_client_config_get_trust (self->verify.config)));
    }
  info->verification = verification_sentence (self);

  info->dh_group = g_strdup (cz_dh_group_name (self->group));
  info->dh_prime_formula = cz_dh_group_prime_formula (self->group);
  info->dh_prime_hex = cz_dh_group_prime_hex (self->group);
  info->dh_generator = cz_dh_group_generator (self->group);
  /* Kept raw, for a window that asks (cz_session_info_reveal_private),
   * never as a string in the facts. */
  cz_session_info_hold_private (info, g_bytes_get_data (priv, NULL), g_bytes_get_size (priv));
  cz_memwipe ((void *) g_bytes_get_data (priv, NULL), g_bytes_get_size (priv));
  info->dh_server_public = bytes_hex (self->server_public);
  info->dh_client_public = bytes_hex (self->client_public);
  info->code = g_strdup_printf ("%02x%02x-%02x%02x-%02x%02x-%02x%02x",
                                code8[0], code8[1], code8[2], code8[3],
                                code8[4], code8[5], code8[6], code8[7]);
  info->peer_address = g_strdup (self->peer_address);
  info->since = self->since;
}

CzSessionInfo *
cz_channel_get_info (CzChannel *self)
{
  return self->info;
}

gnutls_session_t
cz_channel_get_session (CzChannel *self)
{
  return self->session;
}

const CzTlsVerifyState *
cz_channel_get_verify_state (CzChannel *self)
{
  return &self->verify;
}

void
cz_channel_set_peer_address (CzChannel *self, const char *address)
{
  g_free (self->peer_address);
  self->peer_address = g_strdup (address);
}

/* ---- Hellos and keys ----------------------------------------------------------------------- */

void
cz_channel_send_hello (CzChannel *self)
{
  g_autoptr(GBytes) pub = cz_dh_key_get_public (self->dh);
  g_autoptr(GVariant) hello = NULL;

  if (self->is_server)
    hello = cz_message_new ("hello",
                            "version", g_variant_new_uint32 (CZ_PROTOCOL_VERSION),
                            "group", g_variant_new_string (cz_dh_group_name (self->group)),
                            "public", g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, pub, TRUE),
                            "server", g_variant_new_string (self->name),
                            NULL);
  else
    hello = cz_message_new ("hello",
                            "version", g_variant_new_uint32 (CZ_PROTOCOL_VERSION),
                            "public", g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, pub, TRUE),
                            "client", g_variant_new_string (self->name),
                            NULL);
  cz_channel_queue_plain (self, hello);
}

/* Z → E-salted HKDF → the two direction keys and the verification code. */
static gboolean
derive_keys (CzChannel *self, GBytes *peer_public, GError **error)
{
  guint8 exporter[32], prk[CZ_SHA256_SIZE], k_c2s[32], k_s2c[32], code[CZ_SHA256_SIZE];
  g_autoptr(GBytes) z = NULL;
  g_autoptr(GChecksum) sum = NULL;
  gsize code_len = sizeof code;

  z = cz_dh_key_derive (self->dh, g_bytes_get_data (peer_public, NULL),
                        g_bytes_get_size (peer_public), error);
  if (z == NULL)
    return FALSE;
  if (!cz_tls_export (self->session, CZ_EXPORTER_LABEL, exporter, sizeof exporter, error))
    {
      cz_memwipe ((void *) g_bytes_get_data (z, NULL), g_bytes_get_size (z));
      return FALSE;
    }

  cz_hkdf_sha256_extract (exporter, sizeof exporter, g_bytes_get_data (z, NULL),
                          g_bytes_get_size (z), prk);
  cz_memwipe ((void *) g_bytes_get_data (z, NULL), g_bytes_get_size (z));
  cz_hkdf_sha256_expand (prk, "causerie v1 c2s", 15, k_c2s, sizeof k_c2s);
  cz_hkdf_sha256_expand (prk, "causerie v1 s2c", 15, k_s2c, sizeof k_s2c);
  cz_aead_init (&self->tx, self->is_server ? k_s2c : k_c2s);
  cz_aead_init (&self->rx, self->is_server ? k_c2s : k_s2c);

  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, exporter, sizeof exporter);
  g_checksum_update (sum, g_bytes_get_data (self->server_public, NULL),
                     g_bytes_get_size (self->server_public));
  g_checksum_update (sum, g_bytes_get_data (self->client_public, NULL),
                     g_bytes_get_size (self->client_public));
  g_checksum_get_digest (sum, code, &code_len);
  build_info (self, code);

  cz_memwipe (exporter, sizeof exporter);
  cz_memwipe (prk, sizeof prk);
  cz_memwipe (k_c2s, sizeof k_c2s);
  cz_memwipe (k_s2c, sizeof k_s2c);
  /* The private value has done its work. */
  g_clear_pointer (&self->dh, cz_dh_key_free);
  return TRUE;
}

gboolean
cz_channel_handle_hello (CzChannel *self, GVariant *msg, GError **error)
{
  guint32 version;
  GBytes *pub = NULL;

  if (g_str_equal (cz_message_kind (msg), "error"))
    {
      const char *code = cz_message_opt_string (msg, "code", "internal");
      const char *text = cz_message_opt_string (msg, "message", "");
      g_set_error (error, CZ_ERROR, cz_error_code_from_string (code),
                   _("the peer refused the connection: %s"), text);
      return FALSE;
    }
  if (!g_str_equal (cz_message_kind (msg), "hello"))
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_PROTOCOL,
                   _("expected a hello, got “%s”"), cz_message_kind (msg));
      return FALSE;
    }
  if (!cz_message_get_uint32 (msg, "version", &version, error))
    return FALSE;
  if (version != CZ_PROTOCOL_VERSION)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_VERSION,
                   _("protocol version %u is not supported (this side speaks %u)"),
                   version, CZ_PROTOCOL_VERSION);
      return FALSE;
    }
  if (!cz_message_get_bytes (msg, "public", &pub, error))
    return FALSE;

  if (self->is_server)
    {
      self->client_public = pub;
    }
  else
    {
      const char *group_name;
      if (!cz_message_get_string (msg, "group", &group_name, error)
          || !cz_dh_group_from_name (group_name, &self->group, error))
        {
          g_bytes_unref (pub);
          return FALSE;
        }
      self->server_public = pub;
      self->dh = cz_dh_key_new (self->group);
      self->client_public = cz_dh_key_get_public (self->dh);
    }

  if (!cz_dh_check_public (self->group, g_bytes_get_data (pub, NULL), g_bytes_get_size (pub),
                           error))
    return FALSE;
  if (!self->is_server)
    cz_channel_send_hello (self);
  if (!derive_keys (self, pub, error))
    return FALSE;
  self->state = CZ_CHANNEL_OPEN;
  if (self->cb.ready)
    self->cb.ready (self, self->user_data);
  return TRUE;
}

