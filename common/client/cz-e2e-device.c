/* cz-e2e-device.c: this installation's end-to-end device on libomemo-c
 * (see cz-e2e-device.h).  Key generation, the bundle, sessions built from
 * fetched bundles, and the Double Ratchet's encrypt and decrypt.  Signal's
 * message format (version 3) throughout. */
#include "config.h"

#include "cz-e2e-device.h"
#include "cz-e2e-private.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <key_helper.h>
#include <protocol.h>
#include <session_builder.h>
#include <session_cipher.h>
#include <session_pre_key.h>

#include "cz-crypto.h"
#include "cz-error.h"

#define SIGNAL_VERSION CIPHERTEXT_CURRENT_VERSION
#define SERIALIZED_KEY_LEN 33
#define SIGNATURE_LEN 64

struct _CzE2eDevice {
  GRecMutex lock;
  signal_context *ctx;
  signal_protocol_store_context *store;
  CzDeviceDb *db;
  guint32 id;
  GBytes *identity;
};

CzE2eBundle *
cz_e2e_bundle_new (void)
{
  CzE2eBundle *b = g_new0 (CzE2eBundle, 1);

  b->prekey_ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  b->prekeys = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return b;
}

void
cz_e2e_bundle_free (CzE2eBundle *b)
{
  if (b == NULL)
    return;
  g_clear_pointer (&b->identity, g_bytes_unref);
  g_clear_pointer (&b->signed_prekey, g_bytes_unref);
  g_clear_pointer (&b->signature, g_bytes_unref);
  g_array_unref (b->prekey_ids);
  g_ptr_array_unref (b->prekeys);
  g_free (b);
}

char *
cz_e2e_device_default_path (const char *host, guint16 port, const char *user)
{
  g_autofree char *server = g_strdup_printf ("%s_%u", host, port);
  g_autofree char *file = g_strconcat (user, ".db", NULL);

  /* A host is a name or an address: keep it a single path component. */
  g_strdelimit (server, "/\\", '_');
  return g_build_filename (g_get_user_data_dir (), "causerie", "devices", server, file, NULL);
}

/* The one place a libomemo-c code becomes a GError. */
static void
set_error (GError **error, int rc, CzErrorCode code, const char *what)
{
  const char *why;

  switch (rc)
    {
    case SG_ERR_DUPLICATE_MESSAGE: why = _("it was already received (a replay)"); break;
    case SG_ERR_INVALID_MAC: why = _("its authentication failed (tampered, or not for this device)"); break;
    case SG_ERR_INVALID_MESSAGE:
    case SG_ERR_INVALID_PROTO_BUF: why = _("it is malformed"); break;
    case SG_ERR_NO_SESSION: why = _("there is no session with that device"); break;
    case SG_ERR_INVALID_KEY: why = _("a key in it is invalid"); break;
    case SG_ERR_INVALID_KEY_ID: why = _("it names a prekey this device no longer has"); break;
    case SG_ERR_INVALID_VERSION:
    case SG_ERR_LEGACY_MESSAGE: why = _("its version is not supported"); break;
    case SG_ERR_VRF_SIG_VERIF_FAILED: why = _("its signature does not verify"); break;
    case SG_ERR_STALE_KEY_EXCHANGE: why = _("it is a stale key exchange"); break;
    case SG_ERR_NOMEM: why = _("out of memory"); break;
    default: why = _("the end-to-end library failed"); break;
    }
  g_set_error (error, CZ_ERROR, code, "%s: %s (%d)", what, why, rc);
}

static gboolean
store_identity (CzE2eDevice *self, GError **error)
{
  ratchet_identity_key_pair *pair = NULL;
  signal_buffer *pub = NULL, *priv = NULL;
  session_signed_pre_key *spk = NULL;
  guint32 registration_id = 0;
  guint32 device_id = 0;
  gboolean ok = FALSE;
  int rc;

  if ((rc = signal_protocol_key_helper_generate_identity_key_pair (&pair, self->ctx)) != 0 ||
      (rc = signal_protocol_key_helper_generate_registration_id (&registration_id, 0, self->ctx)) != 0 ||
      (rc = ec_public_key_serialize (&pub, ratchet_identity_key_pair_get_public (pair))) != 0 ||
      (rc = ec_private_key_serialize (&priv, ratchet_identity_key_pair_get_private (pair))) != 0 ||
      (rc = signal_protocol_key_helper_generate_signed_pre_key (&spk, pair, 1,
                                                               g_get_real_time () / 1000,
                                                               self->ctx)) != 0)
    {
      set_error (error, rc, CZ_ERROR_INTERNAL, _("Could not make this device's keys"));
      goto out;
    }
  /* Device ids are random in 1 … 2^31 − 1 (libomemo-c keeps them in an
   * int32). */
  while (device_id == 0)
    {
      cz_random_bytes (&device_id, sizeof device_id);
      device_id &= 0x7fffffff;
    }

  if (!cz_device_db_begin (self->db, error))
    goto out;
  if (!cz_device_db_set_meta (self->db, "identity-public", signal_buffer_data (pub),
                              signal_buffer_len (pub), error) ||
      !cz_device_db_set_meta (self->db, "identity-private", signal_buffer_data (priv),
                              signal_buffer_len (priv), error) ||
      !cz_device_db_set_meta_u32 (self->db, "registration-id", registration_id, error) ||
      !cz_device_db_set_meta_u32 (self->db, "signed-prekey-id", 1, error) ||
      !cz_device_db_set_meta_u32 (self->db, "next-prekey-id", 1, error))
    {
      cz_device_db_rollback (self->db);
      goto out;
    }
  if ((rc = signal_protocol_signed_pre_key_store_key (self->store, spk)) != 0)
    {
      cz_device_db_rollback (self->db);
      set_error (error, rc, CZ_ERROR_STORE, _("Could not save this device's keys"));
      goto out;
    }
  /* The device id last: its presence says the device is complete. */
  if (!cz_device_db_set_meta_u32 (self->db, "device-id", device_id, error) ||
      !cz_device_db_commit (self->db, error))
    {
      cz_device_db_rollback (self->db);
      goto out;
    }
  ok = TRUE;

out:
  if (priv != NULL)
    signal_buffer_bzero_free (priv);
  signal_buffer_free (pub);
  SIGNAL_UNREF (spk);
  SIGNAL_UNREF (pair);
  return ok;
}

CzE2eDevice *
cz_e2e_device_open (const char *path, GError **error)
{
  g_autoptr(CzE2eDevice) self = g_new0 (CzE2eDevice, 1);

  g_return_val_if_fail (path != NULL, NULL);

  g_rec_mutex_init (&self->lock);
  self->ctx = cz_e2e_context_new (&self->lock);
  if (self->ctx == NULL ||
      signal_protocol_store_context_create (&self->store, self->ctx) != 0)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_INTERNAL, _("Could not start the end-to-end library"));
      return NULL;
    }
  self->db = cz_device_db_open (path, error);
  if (self->db == NULL)
    return NULL;
  cz_device_db_install (self->db, self->store);

  if (!cz_device_db_get_meta_u32 (self->db, "device-id", &self->id))
    {
      if (!store_identity (self, error))
        return NULL;
      if (!cz_device_db_get_meta_u32 (self->db, "device-id", &self->id))
        {
          g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("%s lost this device's id"), path);
          return NULL;
        }
    }
  self->identity = cz_device_db_get_meta (self->db, "identity-public");
  if (self->identity == NULL || g_bytes_get_size (self->identity) != SERIALIZED_KEY_LEN)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE,
                   _("%s holds no usable identity key"), path);
      return NULL;
    }
  if (!cz_e2e_device_replenish (self, NULL, error))
    return NULL;

  return g_steal_pointer (&self);
}

void
cz_e2e_device_free (CzE2eDevice *self)
{
  if (self == NULL)
    return;
  if (self->store != NULL)
    signal_protocol_store_context_destroy (self->store);
  cz_device_db_close (self->db);
  if (self->ctx != NULL)
    signal_context_destroy (self->ctx);
  g_clear_pointer (&self->identity, g_bytes_unref);
  g_rec_mutex_clear (&self->lock);
  g_free (self);
}

guint32
cz_e2e_device_get_id (CzE2eDevice *self)
{
  return self->id;
}

GBytes *
cz_e2e_device_get_identity (CzE2eDevice *self)
{
  return g_bytes_ref (self->identity);
}

guint
cz_e2e_device_count_prekeys (CzE2eDevice *self)
{
  return cz_device_db_count_prekeys (self->db);
}

gboolean
cz_e2e_device_replenish (CzE2eDevice *self, guint *added, GError **error)
{
  signal_protocol_key_helper_pre_key_list_node *head = NULL;
  guint have = cz_device_db_count_prekeys (self->db);
  guint32 next = 1;
  guint count;
  int rc;

  if (added != NULL)
    *added = 0;
  if (have >= CZ_E2E_PREKEYS_MIN)
    return TRUE;
  count = CZ_E2E_PREKEYS_TARGET - have;
  cz_device_db_get_meta_u32 (self->db, "next-prekey-id", &next);
  /* Ids keep increasing (the server hands out the lowest first and never
   * takes back an id it gave out); libomemo-c wraps them below 2^24. */
  rc = signal_protocol_key_helper_generate_pre_keys (&head, next, count, self->ctx);
  if (rc != 0)
    {
      set_error (error, rc, CZ_ERROR_INTERNAL, _("Could not make one-time prekeys"));
      return FALSE;
    }
  if (!cz_device_db_begin (self->db, error))
    {
      signal_protocol_key_helper_key_list_free (head);
      return FALSE;
    }
  for (signal_protocol_key_helper_pre_key_list_node *n = head; n != NULL;
       n = signal_protocol_key_helper_key_list_next (n))
    {
      rc = signal_protocol_pre_key_store_key (self->store,
                                              signal_protocol_key_helper_key_list_element (n));
      if (rc != 0)
        break;
    }
  signal_protocol_key_helper_key_list_free (head);
  if (rc != 0)
    {
      cz_device_db_rollback (self->db);
      set_error (error, rc, CZ_ERROR_STORE, _("Could not save one-time prekeys"));
      return FALSE;
    }
  if (!cz_device_db_set_meta_u32 (self->db, "next-prekey-id", next + count, error) ||
      !cz_device_db_commit (self->db, error))
    {
      cz_device_db_rollback (self->db);
      return FALSE;
    }
  if (added != NULL)
    *added = count;
  return TRUE;
}

static GBytes *
public_of (const ec_key_pair *pair)
{
  signal_buffer *buf = NULL;
  GBytes *out;

  if (ec_public_key_serialize (&buf, ec_key_pair_get_public (pair)) != 0)
    return NULL;
  out = g_bytes_new (signal_buffer_data (buf), signal_buffer_len (buf));
  signal_buffer_free (buf);
  return out;
}

CzE2eBundle *
cz_e2e_device_get_bundle (CzE2eDevice *self, GError **error)
{
  g_autoptr(CzE2eBundle) b = cz_e2e_bundle_new ();
  session_signed_pre_key *spk = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GPtrArray) records = NULL;
  guint32 spk_id = 1;
  int rc;

  cz_device_db_get_meta_u32 (self->db, "signed-prekey-id", &spk_id);
  rc = signal_protocol_signed_pre_key_load_key (self->store, &spk, spk_id);
  if (rc != 0)
    {
      set_error (error, rc, CZ_ERROR_STORE, _("This device lost its signed prekey"));
      return NULL;
    }
  b->device_id = self->id;
  b->identity = g_bytes_ref (self->identity);
  b->signed_prekey_id = spk_id;
  b->signed_prekey = public_of (session_signed_pre_key_get_key_pair (spk));
  b->signature = g_bytes_new (session_signed_pre_key_get_signature (spk),
                              session_signed_pre_key_get_signature_len (spk));
  SIGNAL_UNREF (spk);

  records = cz_device_db_list_prekeys (self->db, ids);
  for (guint i = 0; i < records->len; i++)
    {
      session_pre_key *pk = NULL;
      gsize len;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (records, i), &len);
      GBytes *pub;

      if (session_pre_key_deserialize (&pk, data, len, self->ctx) != 0)
        continue;   /* a damaged record is skipped, never published */
      pub = public_of (session_pre_key_get_key_pair (pk));
      SIGNAL_UNREF (pk);
      if (pub == NULL)
        continue;
      g_array_append_val (b->prekey_ids, g_array_index (ids, guint32, i));
      g_ptr_array_add (b->prekeys, pub);
    }
  if (b->signed_prekey == NULL)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("This device's signed prekey is damaged"));
      return NULL;
    }
  return g_steal_pointer (&b);
}

static ec_public_key *
decode_key (CzE2eDevice *self, GBytes *bytes)
{
  ec_public_key *key = NULL;
  gsize len;
  const guint8 *data;

  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  if (len != SERIALIZED_KEY_LEN || curve_decode_point (&key, data, len, self->ctx) != 0)
    return NULL;
  return key;
}

gboolean
cz_e2e_device_build_session (CzE2eDevice *self, const char *user, const CzE2eBundle *b,
                             GError **error)
{
  signal_protocol_address address = { user, strlen (user), (int32_t) b->device_id };
  ec_public_key *identity = NULL, *spk = NULL, *pk = NULL;
  session_pre_key_bundle *bundle = NULL;
  session_builder *builder = NULL;
  guint32 pk_id = 0;
  gboolean ok = FALSE;
  int rc;

  if (b->device_id == 0 || b->device_id > G_MAXINT32)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_BUNDLE, _("%s's bundle has a bad device id"), user);
      return FALSE;
    }
  identity = decode_key (self, b->identity);
  spk = decode_key (self, b->signed_prekey);
  if (b->prekeys->len > 0)
    {
      pk = decode_key (self, g_ptr_array_index (b->prekeys, 0));
      pk_id = g_array_index (b->prekey_ids, guint32, 0);
    }
  if (identity == NULL || spk == NULL || (b->prekeys->len > 0 && pk == NULL) ||
      b->signature == NULL || g_bytes_get_size (b->signature) != SIGNATURE_LEN)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_BUNDLE,
                   _("The key bundle of %s's device %u is malformed"), user, b->device_id);
      goto out;
    }
  rc = session_pre_key_bundle_create (&bundle, 0, (int) b->device_id, pk_id, pk,
                                      b->signed_prekey_id, spk,
                                      g_bytes_get_data (b->signature, NULL),
                                      g_bytes_get_size (b->signature), identity);
  if (rc == 0)
    rc = session_builder_create (&builder, self->store, &address, self->ctx);
  if (rc == 0)
    {
      session_builder_set_version (builder, SIGNAL_VERSION);
      rc = session_builder_process_pre_key_bundle (builder, bundle);
    }
  if (rc != 0)
    {
      g_autofree char *what = g_strdup_printf (_("The key bundle of %s's device %u was refused"),
                                               user, b->device_id);

      set_error (error, rc, CZ_ERROR_BAD_BUNDLE, what);
      goto out;
    }
  ok = TRUE;

out:
  if (builder != NULL)
    session_builder_free (builder);
  SIGNAL_UNREF (bundle);
  SIGNAL_UNREF (identity);
  SIGNAL_UNREF (spk);
  SIGNAL_UNREF (pk);
  return ok;
}

gboolean
cz_e2e_device_has_session (CzE2eDevice *self, const char *user, guint32 device_id)
{
  signal_protocol_address address = { user, strlen (user), (int32_t) device_id };

  return signal_protocol_session_contains_session (self->store, &address) == 1;
}

void
cz_e2e_device_forget (CzE2eDevice *self, const char *user, guint32 device_id)
{
  cz_device_db_forget (self->db, user, device_id);
}

GHashTable *
cz_e2e_device_identities (CzE2eDevice *self, const char *user)
{
  return cz_device_db_identities (self->db, user);
}

GBytes *
cz_e2e_device_encrypt (CzE2eDevice *self, const char *user, guint32 device_id,
                       const void *plain, gsize len, gboolean *prekey, GError **error)
{
  signal_protocol_address address = { user, strlen (user), (int32_t) device_id };
  session_cipher *cipher = NULL;
  ciphertext_message *message = NULL;
  GBytes *out = NULL;
  int rc;

  if (!cz_e2e_device_has_session (self, user, device_id))
    {
      set_error (error, SG_ERR_NO_SESSION, CZ_ERROR_E2E_FAILED, _("Could not encrypt"));
      return NULL;
    }
  rc = session_cipher_create (&cipher, self->store, &address, self->ctx);
  if (rc == 0)
    {
      session_cipher_set_version (cipher, SIGNAL_VERSION);
      rc = session_cipher_encrypt (cipher, plain, len, &message);
    }
  if (rc != 0)
    set_error (error, rc, CZ_ERROR_E2E_FAILED, _("Could not encrypt"));
  else
    {
      signal_buffer *ser = ciphertext_message_get_serialized (message);

      out = g_bytes_new (signal_buffer_data (ser), signal_buffer_len (ser));
      if (prekey != NULL)
        *prekey = ciphertext_message_get_type (message) == CIPHERTEXT_PREKEY_TYPE;
    }
  SIGNAL_UNREF (message);
  if (cipher != NULL)
    session_cipher_free (cipher);
  return out;
}

GBytes *
cz_e2e_device_decrypt (CzE2eDevice *self, const char *user, guint32 device_id,
                       gboolean prekey, GBytes *ciphertext, GError **error)
{
  signal_protocol_address address = { user, strlen (user), (int32_t) device_id };
  session_cipher *cipher = NULL;
  signal_buffer *plain = NULL;
  GBytes *out = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (ciphertext, &len);
  g_autofree char *what = g_strdup_printf (_("A message from %s's device %u could not be decrypted"),
                                           user, device_id);
  int rc;

  if (device_id == 0 || device_id > G_MAXINT32 || len == 0)
    {
      set_error (error, SG_ERR_INVALID_MESSAGE, CZ_ERROR_E2E_FAILED, what);
      return NULL;
    }
  rc = session_cipher_create (&cipher, self->store, &address, self->ctx);
  if (rc == 0)
    session_cipher_set_version (cipher, SIGNAL_VERSION);
  if (rc == 0 && prekey)
    {
      pre_key_signal_message *m = NULL;

      rc = pre_key_signal_message_deserialize (&m, data, len, self->ctx);
      if (rc == 0)
        rc = session_cipher_decrypt_pre_key_signal_message (cipher, m, NULL, &plain);
      SIGNAL_UNREF (m);
    }
  else if (rc == 0)
    {
      signal_message *m = NULL;

      rc = signal_message_deserialize (&m, data, len, self->ctx);
      if (rc == 0)
        rc = session_cipher_decrypt_signal_message (cipher, m, NULL, &plain);
      SIGNAL_UNREF (m);
    }
  if (cipher != NULL)
    session_cipher_free (cipher);
  if (rc != 0)
    {
      set_error (error, rc, CZ_ERROR_E2E_FAILED, what);
      return NULL;
    }
  out = g_bytes_new (signal_buffer_data (plain), signal_buffer_len (plain));
  signal_buffer_bzero_free (plain);
  return out;
}
