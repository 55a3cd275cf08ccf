/* fuzz-channel.c: a CzChannel (common/cz-channel.c) fed by a hostile peer,
 * after a real TLS 1.3 handshake in memory (GnuTLS push/pull; about a
 * millisecond per input).
 *
 * Input: a mode byte, then:
 *   mode 0  server channel; the bytes go, unsealed, where the client's hello
 *           belongs (frame reassembly + hello + DH + key schedule);
 *   mode 1  server channel; a proper hello first (raw-peer.c), then records
 *           [op u8][len u16][bytes]: op 0 seals the bytes as the next frame
 *           (any plaintext: the decoder after a valid tag), 1 sends them raw,
 *           2 replays the last sealed frame, 3 seals then flips one bit;
 *   mode 2  client channel; the bytes go where the server's hello belongs.
 *
 * Properties: no crash or leak; everything the server channel sends after
 * the keys opens with the client's key and decodes; while only well-sealed
 * frames arrive, every one that decodes reaches the message callback, in
 * order, and the others get an error answer without closing the channel;
 * a channel that opens reports a verification code. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "raw-peer.h"
#include "cz-channel.h"
#include "cz-cert.h"
#include "cz-error.h"
#include "cz-message.h"

/* ---- Memory transport ----------------------------------------------------------- */

typedef struct _End End;
struct _End {
  gnutls_session_t session;
  GByteArray *in;
  End *peer;
};

static ssize_t
end_push (gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
  End *end = ptr;
  g_byte_array_append (end->peer->in, data, len);
  return (ssize_t) len;
}

static ssize_t
end_pull (gnutls_transport_ptr_t ptr, void *data, size_t len)
{
  End *end = ptr;
  gsize n = MIN (len, end->in->len);

  if (n == 0)
    {
      gnutls_transport_set_errno (end->session, EAGAIN);
      return -1;
    }
  memcpy (data, end->in->data, n);
  g_byte_array_remove_range (end->in, 0, n);
  return (ssize_t) n;
}

/* ---- Fixtures ---------------------------------------------------------------------- */

static CzTlsServerConfig *server_config;
static CzTlsClientConfig *client_config;
static gnutls_certificate_credentials_t raw_client_creds;
static gnutls_certificate_credentials_t raw_server_creds;
static const gnutls_datum_t alpn = { (unsigned char *) CZ_ALPN, sizeof CZ_ALPN - 1 };

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzCertInfo) info = NULL;
  const char *cert, *key;
  CzTlsClientOptions options = { .trust = CZ_TRUST_PIN };

  cz_fuzz_setup ();
  cz_fuzz_pki (NULL, &cert, &key);
  server_config = cz_tls_server_config_new (cert, key, NULL, CZ_CLIENT_CERT_NONE, NULL, &error);
  g_assert_no_error (error);
  info = cz_cert_info_new_from_file (cert, &error);
  g_assert_no_error (error);
  options.pin = info->spki_sha256;
  client_config = cz_tls_client_config_new (&options, &error);
  g_assert_no_error (error);
  gnutls_certificate_allocate_credentials (&raw_client_creds);
  gnutls_certificate_allocate_credentials (&raw_server_creds);
  g_assert_cmpint (gnutls_certificate_set_x509_key_file (raw_server_creds, cert, key,
                                                         GNUTLS_X509_FMT_PEM), >=, 0);
  return 0;
}

typedef struct {
  CzChannel *channel;
  gnutls_session_t raw;         /* the hostile peer's TLS session */
  End channel_end;
  End raw_end;
  gboolean raw_done;            /* raw handshake finished */
  CzRawPeer peer;
  GPtrArray *received;          /* messages the channel delivered */
  gboolean ready;
  gboolean closed;
  guint from_channel;           /* messages the channel sent after the keys */
} Ctx;

static void
ready_cb (CzChannel *channel, gpointer user_data)
{
  Ctx *c = user_data;
  CzSessionInfo *info = cz_channel_get_info (channel);

  c->ready = TRUE;
  g_assert_nonnull (info);
  g_assert_cmpuint (strlen (info->code), ==, 19);
  g_assert_cmpstr (info->alpn, ==, CZ_ALPN);
}

static void
message_cb (CzChannel *channel, GVariant *message, gpointer user_data)
{
  Ctx *c = user_data;
  g_ptr_array_add (c->received, g_variant_ref (message));
}

static void
closed_cb (CzChannel *channel, const GError *error, gpointer user_data)
{
  Ctx *c = user_data;
  g_assert_false (c->closed);
  c->closed = TRUE;
}

static const CzChannelCallbacks callbacks = {
  .ready = ready_cb, .message = message_cb, .closed = closed_cb,
};

static void
ctx_init (Ctx *c, gboolean channel_is_server)
{
  CzChannelOptions options = { .dh_group = CZ_DH_X25519, .name = "fuzz" };
  g_autoptr(GError) error = NULL;

  memset (c, 0, sizeof *c);
  c->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  c->channel_end.in = g_byte_array_new ();
  c->raw_end.in = g_byte_array_new ();
  c->channel_end.peer = &c->raw_end;
  c->raw_end.peer = &c->channel_end;
  cz_raw_peer_init (&c->peer);

  if (channel_is_server)
    {
      c->channel = cz_channel_new_server (server_config, -1, &options, &callbacks, c, &error);
      gnutls_init (&c->raw, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
      gnutls_credentials_set (c->raw, GNUTLS_CRD_CERTIFICATE, raw_client_creds);
    }
  else
    {
      c->channel = cz_channel_new_client (client_config, -1, "localhost", 7443, &options,
                                          &callbacks, c, &error);
      gnutls_init (&c->raw, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
      gnutls_credentials_set (c->raw, GNUTLS_CRD_CERTIFICATE, raw_server_creds);
    }
  g_assert_no_error (error);
  gnutls_priority_set_direct (c->raw, CZ_TLS_DEFAULT_PRIORITY, NULL);
  gnutls_alpn_set_protocols (c->raw, &alpn, 1, 0);
  c->channel_end.session = cz_channel_get_session (c->channel);
  c->raw_end.session = c->raw;
  cz_channel_set_transport (c->channel, end_push, end_pull, &c->channel_end);
  gnutls_transport_set_ptr (c->raw, &c->raw_end);
  gnutls_transport_set_push_function (c->raw, end_push);
  gnutls_transport_set_pull_function (c->raw, end_pull);
}

static void
ctx_clear (Ctx *c)
{
  cz_channel_free (c->channel);
  gnutls_deinit (c->raw);
  cz_raw_peer_clear (&c->peer);
  g_byte_array_unref (c->channel_end.in);
  g_byte_array_unref (c->raw_end.in);
  g_ptr_array_unref (c->received);
}

/* Reads what the channel sent (into the peer's reader); after the keys,
 * checks every frame opens and decodes. */
static void
drain_raw (Ctx *c)
{
  guint8 buf[16384];

  for (;;)
    {
      ssize_t n = gnutls_record_recv (c->raw, buf, sizeof buf);

      if (n <= 0)
        break;
      cz_raw_peer_push (&c->peer, buf, (gsize) n);
      if (!c->peer.open)
        continue;
      for (;;)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GVariant) msg = cz_raw_peer_next (&c->peer, &error);

          g_assert_no_error (error);
          if (msg == NULL)
            break;
          c->from_channel++;
        }
    }
}

/* Runs both ends until nothing moves. */
static void
pump (Ctx *c)
{
  for (int i = 0; i < 64; i++)
    {
      gsize before = c->channel_end.in->len + c->raw_end.in->len;
      gboolean was_done = c->raw_done;

      if (!c->raw_done)
        {
          int ret = gnutls_handshake (c->raw);
          if (ret == GNUTLS_E_SUCCESS)
            c->raw_done = TRUE;
          else if (gnutls_error_is_fatal (ret))
            return;
        }
      if (!c->closed)
        cz_channel_io (c->channel);
      if (c->raw_done)
        drain_raw (c);
      if (c->channel_end.in->len + c->raw_end.in->len == 0 && before == 0
          && was_done == c->raw_done && i > 1)
        break;
    }
}

static void
send_raw (Ctx *c, const guint8 *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = gnutls_record_send (c->raw, data, MIN (len, 16384));
      if (n <= 0)
        return;
      data += n;
      len -= (gsize) n;
    }
}

/* Mode 1: a proper hello, then the records. */
static void
run_sealed (Ctx *c, CzFuzzInput *in)
{
  g_autoptr(GByteArray) last = NULL;
  g_autoptr(GVariant) hello = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  gboolean only_sealed = TRUE, said_bye = FALSE;
  guint expected = 0, errors_expected = 0;

  pump (c);
  hello = cz_raw_peer_next (&c->peer, &error);
  g_assert_no_error (error);
  g_assert_nonnull (hello);
  g_assert_true (cz_raw_peer_answer_hello (&c->peer, c->raw, hello, out, &error));
  g_assert_no_error (error);
  send_raw (c, out->data, out->len);
  pump (c);
  g_assert_true (c->ready);
  g_assert_cmpint (cz_channel_get_state (c->channel), ==, CZ_CHANNEL_OPEN);

  while (in->size > 0 && !c->closed && !said_bye)
    {
      guint8 op = cz_fuzz_u8 (in) % 4;
      gsize len;
      const guint8 *bytes = cz_fuzz_bytes (in, cz_fuzz_u16 (in), &len);
      g_autoptr(GByteArray) frame = g_byte_array_new ();

      if (op == 0 || op == 3)
        {
          if (!cz_raw_peer_seal (&c->peer, bytes, len, frame, NULL))
            continue;
          if (op == 3)
            frame->data[(len * 13) % frame->len] ^= (guint8) (1u << (len % 8));
        }
      else if (op == 1)
        g_byte_array_append (frame, bytes, len);
      else if (last != NULL)
        g_byte_array_append (frame, last->data, last->len);
      if (op != 0)
        only_sealed = FALSE;
      else
        {
          g_autoptr(GVariant) msg = cz_message_decode (bytes, len, NULL);
          if (msg != NULL)
            {
              expected++;
              said_bye = g_str_equal (cz_message_kind (msg), "bye");
            }
          else
            errors_expected++;
        }
      if (op == 0 || op == 3)
        {
          g_clear_pointer (&last, g_byte_array_unref);
          last = g_byte_array_ref (frame);
        }
      send_raw (c, frame->data, frame->len);
      pump (c);
    }

  if (only_sealed)
    {
      /* Well-sealed frames never close the channel (except a bye), and
       * each one that decodes arrives. */
      g_assert_cmpuint (c->received->len, ==, expected);
      if (!said_bye)
        {
          g_assert_false (c->closed);
          g_assert_cmpuint (c->from_channel, ==, errors_expected);
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  CzFuzzInput in = { data, size };
  guint8 mode = cz_fuzz_u8 (&in) % 3;
  Ctx c;

  ctx_init (&c, mode != 2);
  if (mode == 2)
    cz_channel_start (c.channel);
  if (mode == 1)
    run_sealed (&c, &in);
  else
    {
      pump (&c);
      if (c.raw_done)
        {
          send_raw (&c, in.data, in.size);
          pump (&c);
        }
      if (cz_channel_get_state (c.channel) == CZ_CHANNEL_OPEN)
        g_assert_true (c.ready);
    }
  ctx_clear (&c);
  return 0;
}
