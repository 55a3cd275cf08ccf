/* cz-server-e2e.c: the server's side of end-to-end direct messages
 * (DESIGN §2.2, doc/protocol.md "End-to-end direct messages"): a device
 * publishes its bundle and is bound to its connection, bundles are
 * handed out (each one-time prekey once), and an `emsg`'s ciphertexts are
 * stored per device, acknowledged after commit, delivered live to the
 * connections of those devices and otherwise when the device next
 * publishes.  The server handles only ciphertext: nothing here can read
 * a message. */
#include "config.h"

#include <inttypes.h>

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-protocol.h"
#include "cz-server-private.h"
#include "cz-store-e2e.h"
#include "cz-error.h"
#include "cz-message.h"
#include "cz-util.h"

static gboolean
bad_bundle (GError **error, const char *text)
{
  g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_BUNDLE, text);
  return FALSE;
}

static GBytes *
key_bytes (GVariant *ay, gsize want)
{
  gsize n = 0;
  const guint8 *data = g_variant_get_fixed_array (ay, &n, 1);

  return n == want ? g_bytes_new (data, n) : NULL;
}

/* keys-publish {ref, device u, identity ay, signed_prekey (uayay),
 * prekeys a(uay)}: the bundle, checked for shape and sizes. */
static CzStorePublishKeys *
parse_bundle (CzConn *conn, GVariant *msg, GError **error)
{
  CzMessageField fields[] = {
    { "device", G_VARIANT_TYPE_UINT32, NULL },
    { "identity", G_VARIANT_TYPE_BYTESTRING, NULL },
    { "signed_prekey", G_VARIANT_TYPE ("(uayay)"), NULL },
    { "prekeys", G_VARIANT_TYPE ("a(uay)"), NULL },
  };
  g_autoptr(CzDeviceKeys) keys = NULL;
  g_autoptr(GVariant) spk = NULL, spk_sig = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GPtrArray) prekeys = NULL;
  gsize n;
  gboolean ok = FALSE;

  if (!cz_message_require_fields (msg, fields, G_N_ELEMENTS (fields), error))
    {
      /* A missing or mistyped part of a bundle is a malformed bundle. */
      if (error && *error)
        (*error)->code = CZ_ERROR_BAD_BUNDLE;
      goto out;
    }
  keys = g_new0 (CzDeviceKeys, 1);
  keys->user = g_strdup (conn->user);
  keys->device = g_variant_get_uint32 (fields[0].value);
  if (keys->device == 0)
    {
      bad_bundle (error, _("a device id is never 0"));
      goto out;
    }
  if (conn->device != 0 && conn->device != keys->device)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID,
                   _("this connection is device %u already"), conn->device);
      goto out;
    }
  keys->identity = key_bytes (fields[1].value, CZ_E2E_KEY_LEN);
  g_variant_get_child (fields[2].value, 0, "u", &keys->signed_prekey_id);
  spk = g_variant_get_child_value (fields[2].value, 1);
  spk_sig = g_variant_get_child_value (fields[2].value, 2);
  keys->signed_prekey = key_bytes (spk, CZ_E2E_KEY_LEN);
  keys->signature = key_bytes (spk_sig, CZ_E2E_SIGNATURE_LEN);
  if (keys->identity == NULL || keys->signed_prekey == NULL)
    {
      bad_bundle (error, _("an identity or signed prekey is not a 33-byte public key"));
      goto out;
    }
  if (keys->signature == NULL)
    {
      bad_bundle (error, _("the signed prekey's signature is not 64 bytes"));
      goto out;
    }
  n = g_variant_n_children (fields[3].value);
  if (n > CZ_E2E_MAX_PREKEYS)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_BUNDLE,
                   _("a bundle carries at most %d one-time prekeys"), CZ_E2E_MAX_PREKEYS);
      goto out;
    }
  ids = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n);
  prekeys = g_ptr_array_new_full (n, (GDestroyNotify) g_bytes_unref);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (fields[3].value, i);
      g_autoptr(GVariant) key = g_variant_get_child_value (child, 1);
      guint32 id;
      GBytes *bytes = key_bytes (key, CZ_E2E_KEY_LEN);

      g_variant_get_child (child, 0, "u", &id);
      if (bytes == NULL || id == 0)
        {
          g_clear_pointer (&bytes, g_bytes_unref);
          bad_bundle (error, _("a one-time prekey needs an id above 0 and a 33-byte key"));
          goto out;
        }
      g_array_append_val (ids, id);
      g_ptr_array_add (prekeys, bytes);
    }
  ok = TRUE;
out:
  cz_message_fields_clear (fields, G_N_ELEMENTS (fields));
  if (!ok)
    return NULL;
  return cz_store_publish_keys_new (g_steal_pointer (&keys), g_steal_pointer (&ids),
                                    g_steal_pointer (&prekeys));
}

void
cz_server_e2e_publish (CzConn *conn, GVariant *msg, guint32 ref)
{
  g_autoptr(GError) error = NULL;
  CzStorePublishKeys *op = parse_bundle (conn, msg, &error);

  if (op == NULL)
    {
      cz_conn_send_gerror (conn, ref, error);
      return;
    }
  cz_server_submit (conn->server, conn, ref, CZ_OP_PUBLISH_KEYS, &op->op);
}

/* The next page of ciphertexts waiting for @conn's device. */
static void
device_next_page (CzConn *conn)
{
  CzStoreDevicePending *op = cz_store_device_pending_new (conn->user, conn->device,
                                                          conn->e2e_after, CZ_OFFLINE_PAGE);

  conn->e2e_loading = TRUE;
  cz_server_submit (conn->server, conn, 0, CZ_OP_DEVICE_PENDING, &op->op);
}

void
cz_server_e2e_published (CzConn *conn, CzStorePublishKeys *op, guint32 ref)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean first = conn->device == 0;

  if (op->op.error)
    {
      cz_conn_send_gerror (conn, ref, op->op.error);
      return;
    }
  /* Two publishes of different devices in flight: the first one wins. */
  if (conn->device != 0 && conn->device != op->keys->device)
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_INVALID, _("this connection is another device already"));
      return;
    }
  conn->device = op->keys->device;
  reply = cz_message_new ("keys-published",
                          "ref", g_variant_new_uint32 (ref),
                          "device", g_variant_new_uint32 (conn->device),
                          "prekeys", g_variant_new_uint32 (op->held),
                          NULL);
  cz_conn_send (conn, reply);
  if (first)
    {
      conn->e2e_after = 0;
      conn->e2e_live_from = 0;
      conn->e2e_more = TRUE;
      device_next_page (conn);
    }
}

/* keys-fetch {ref, user}. */
void
cz_server_e2e_fetch (CzConn *conn, GVariant *msg, guint32 ref)
{
  g_autoptr(GError) error = NULL;
  const char *user;
  CzStoreFetchKeys *op;

  if (!cz_message_get_string (msg, "user", &user, &error))
    {
      cz_conn_send_gerror (conn, ref, error);
      return;
    }
  if (!cz_user_name_valid (user))
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_NO_SUCH_USER, _("there is no such user"));
      return;
    }
  op = cz_store_fetch_keys_new (conn->user, conn->device, user);
  cz_server_submit (conn->server, conn, ref, CZ_OP_FETCH_KEYS, &op->op);
}

static GVariant *
bytes_value (GBytes *bytes)
{
  gsize n = 0;
  gconstpointer data = bytes ? g_bytes_get_data (bytes, &n) : NULL;

  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, n, 1);
}

void
cz_server_e2e_fetched (CzConn *conn, CzStoreFetchKeys *op, guint32 ref)
{
  GVariantBuilder b;
  g_autoptr(GVariant) reply = NULL;

  if (op->op.error)
    {
      cz_conn_send_gerror (conn, ref, op->op.error);
      return;
    }
  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; op->devices && i < op->devices->len; i++)
    {
      CzDeviceKeys *k = op->devices->pdata[i];

      g_variant_builder_open (&b, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&b, "{sv}", "device", g_variant_new_uint32 (k->device));
      g_variant_builder_add (&b, "{sv}", "identity", bytes_value (k->identity));
      g_variant_builder_add (&b, "{sv}", "signed_prekey",
                             g_variant_new ("(u@ay@ay)", k->signed_prekey_id,
                                            bytes_value (k->signed_prekey),
                                            bytes_value (k->signature)));
      if (k->prekey != NULL)
        g_variant_builder_add (&b, "{sv}", "prekey",
                               g_variant_new ("(u@ay)", k->prekey_id, bytes_value (k->prekey)));
      g_variant_builder_close (&b);
    }
  reply = cz_message_new ("keys",
                          "ref", g_variant_new_uint32 (ref),
                          "user", g_variant_new_string (op->user),
                          "devices", g_variant_builder_end (&b),
                          NULL);
  cz_conn_send (conn, reply);
}

/* emsg {ref, to, txn?, ciphertexts a(subay)}: (user, device, prekey,
 * data) for each device of @to and each other device of the sender. */
void
cz_server_e2e_emsg (CzConn *conn, GVariant *msg, guint32 ref)
{
  CzMessageField fields[] = {
    { "to", G_VARIANT_TYPE_STRING, NULL },
    { "ciphertexts", G_VARIANT_TYPE ("a(subay)"), NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) copies = NULL;
  const char *to, *txn = NULL;
  gsize n, txn_len = 0;
  gboolean for_to = FALSE;
  g_autoptr(GVariant) txn_v = cz_message_lookup (msg, "txn", NULL);
  CzStoreSaveEmsg *op;

  if (conn->device == 0)
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_NO_DEVICE,
                          _("publish this device's keys (keys-publish) before sending"));
      return;
    }
  if (txn_v != NULL)
    {
      if (g_variant_is_of_type (txn_v, G_VARIANT_TYPE_STRING))
        txn = g_variant_get_string (txn_v, &txn_len);
      if (txn == NULL || txn_len == 0 || txn_len > CZ_TXN_MAX)
        {
          cz_conn_send_error (conn, ref, CZ_ERROR_BAD_FRAME,
                              _("field “txn” must be a short non-empty string"));
          return;
        }
    }
  if (!cz_message_require_fields (msg, fields, G_N_ELEMENTS (fields), &error))
    {
      cz_conn_send_gerror (conn, ref, error);
      cz_message_fields_clear (fields, G_N_ELEMENTS (fields));
      return;
    }
  to = g_variant_get_string (fields[0].value, NULL);
  n = g_variant_n_children (fields[1].value);
  if (!cz_user_name_valid (to))
    g_set_error_literal (&error, CZ_ERROR, CZ_ERROR_NO_SUCH_USER, _("there is no such user"));
  else if (n == 0 || n > 2 * CZ_E2E_MAX_DEVICES)
    g_set_error (&error, CZ_ERROR, CZ_ERROR_TOO_LARGE,
                 _("an encrypted message carries 1 to %d ciphertexts"), 2 * CZ_E2E_MAX_DEVICES);
  copies = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_emsg_copy_free);
  for (gsize i = 0; error == NULL && i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (fields[1].value, i);
      g_autoptr(GVariant) data_v = g_variant_get_child_value (child, 3);
      g_autoptr(GBytes) data = NULL;
      const char *user;
      guint32 device;
      gboolean prekey;
      gsize size = 0;
      gconstpointer data_p = g_variant_get_fixed_array (data_v, &size, 1);

      g_variant_get_child (child, 0, "&s", &user);
      g_variant_get_child (child, 1, "u", &device);
      g_variant_get_child (child, 2, "b", &prekey);
      if (size == 0 || size > CZ_E2E_CIPHERTEXT_MAX)
        g_set_error (&error, CZ_ERROR, CZ_ERROR_TOO_LARGE,
                     _("a ciphertext must have 1 to %d bytes"), CZ_E2E_CIPHERTEXT_MAX);
      else if (!g_str_equal (user, to) && !g_str_equal (user, conn->user))
        g_set_error (&error, CZ_ERROR, CZ_ERROR_UNKNOWN_DEVICE,
                     _("a ciphertext is for %s, who is not in this conversation"),
                     cz_user_name_valid (user) ? user : "?");
      else
        {
          for_to = for_to || g_str_equal (user, to);
          data = g_bytes_new (data_p, size);
          g_ptr_array_add (copies, cz_emsg_copy_new (user, device, prekey, data));
        }
    }
  if (error == NULL && !for_to)
    g_set_error (&error, CZ_ERROR, CZ_ERROR_NO_DEVICE,
                 _("no ciphertext is for a device of %s"), to);
  if (error != NULL)
    {
      cz_conn_send_gerror (conn, ref, error);
      cz_message_fields_clear (fields, G_N_ELEMENTS (fields));
      return;
    }
  op = cz_store_save_emsg_new (conn->user, conn->device, to, txn, cz_now_ms (),
                               g_steal_pointer (&copies));
  cz_server_submit (conn->server, conn, ref, CZ_OP_EMSG, &op->op);
  cz_message_fields_clear (fields, G_N_ELEMENTS (fields));
}

/* A `message` carrying one device's ciphertext. */
static GVariant *
emsg_message (gint64 id, gint64 ts, const char *from, guint32 from_device, const char *to,
              guint32 device, gboolean prekey, GBytes *data, gboolean offline)
{
  return cz_message_new ("message",
                         "id", g_variant_new_int64 (id),
                         "from", g_variant_new_string (from),
                         "from_device", g_variant_new_uint32 (from_device),
                         "ts", g_variant_new_int64 (ts),
                         "to", g_variant_new_string (to),
                         "device", g_variant_new_uint32 (device),
                         "prekey", g_variant_new_boolean (prekey),
                         "e2e", bytes_value (data),
                         "offline", g_variant_new_boolean (offline),
                         NULL);
}

/* After the commit: acknowledge, then each ciphertext to the connections
 * of its device. */
void
cz_server_e2e_saved (CzServer *self, CzConn *sender, CzStoreSaveEmsg *op, CzOpCtx *ctx)
{
  g_autofree char *summary = NULL;
  CzServerEvent event = { .kind = CZ_SERVER_EVENT_MESSAGE, .message_id = op->id, .ts = op->ts,
                          .from = op->sender, .to = op->to };

  if (op->op.error)
    {
      if (sender)
        cz_conn_send_gerror (sender, ctx->ref, op->op.error);
      if (op->op.error->code == CZ_ERROR_STORE)
        cz_server_log (self, G_LOG_LEVEL_WARNING, _("message from %s not saved: %s"),
                       op->sender, op->op.error->message);
      return;
    }
  if (sender)
    {
      g_autoptr(GVariant) ack = cz_message_new ("ack",
                                                "ref", g_variant_new_uint32 (ctx->ref),
                                                "id", g_variant_new_int64 (op->id),
                                                "ts", g_variant_new_int64 (op->ts),
                                                NULL);
      cz_conn_send (sender, ack);
      event.client_id = sender->id;
    }
  if (op->duplicate)
    return;   /* delivered the first time: the ack was what got lost */
  for (guint i = 0; i < op->copies->len; i++)
    {
      CzEmsgCopy *c = op->copies->pdata[i];
      GPtrArray *conns = g_hash_table_lookup (self->online, c->user);
      g_autoptr(GVariant) message = NULL;

      for (guint j = 0; conns && j < conns->len; j++)
        {
          CzConn *to = conns->pdata[j];

          if (to->device != c->device || to == sender)
            continue;
          if (message == NULL)
            message = emsg_message (op->id, op->ts, op->sender, op->sender_device, op->to,
                                    c->device, c->prekey, c->data, FALSE);
          /* Its waiting pages stop below the first message it had live. */
          if (to->e2e_more && to->e2e_live_from == 0)
            to->e2e_live_from = op->id;
          cz_conn_send (to, message);
        }
    }
  /* What the server window and --log-messages show: never a text. */
  summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "%" PRIu64 " byte, end-to-end encrypted",
                                          "%" PRIu64 " bytes, end-to-end encrypted",
                                          (unsigned long) MIN (op->size, G_MAXULONG)),
                             (uint64_t) op->size);
  event.text = summary;
  event.e2e = TRUE;
  cz_server_emit (self, &event);
}

void
cz_server_e2e_pending_done (CzServer *self, CzConn *conn, CzStoreDevicePending *op)
{
  guint sent = 0;

  if (op->op.error)
    cz_server_log (self, G_LOG_LEVEL_WARNING,
                   _("encrypted messages waiting for %s's device %u not loaded: %s"),
                   op->user, op->device, op->op.error->message);
  if (conn == NULL || conn->device != op->device)
    return;
  conn->e2e_loading = FALSE;
  for (guint i = 0; op->messages && i < op->messages->len; i++)
    {
      CzEmsgRecord *r = op->messages->pdata[i];
      g_autoptr(GVariant) message = NULL;

      if (conn->e2e_live_from != 0 && r->id >= conn->e2e_live_from)
        break;
      message = emsg_message (r->id, r->ts, r->from, r->from_device, r->to, op->device,
                              r->prekey, r->data, TRUE);
      cz_conn_send (conn, message);
      conn->e2e_after = r->id;
      sent++;
    }
  conn->e2e_more = op->op.error == NULL && op->limit > 0 && sent == op->limit;
}

/* From `received` {ids} on a connection bound to a device: that device
 * has these ciphertexts, which the server forgets; then the next page. */
void
cz_server_e2e_received (CzConn *conn, GArray *ids)
{
  CzStoreDeviceReceived *op = cz_store_device_received_new (conn->user, conn->device, ids);

  cz_server_submit (conn->server, conn, 0, CZ_OP_DEVICE_RECEIVED, &op->op);
  if (conn->e2e_more && !conn->e2e_loading)
    device_next_page (conn);
}

void
cz_server_e2e_removed (CzServer *self, CzStoreDeviceReceived *op)
{
  if (op->op.error)
    cz_server_log (self, G_LOG_LEVEL_WARNING,
                   _("ciphertexts received by %s's device %u not removed: %s"),
                   op->user, op->device, op->op.error->message);
}
