/* cz-store-op-e2e.c: the end-to-end store operations (cz-store-e2e.h):
 * constructors, what they own and what they output, whatever the
 * backend. */
#include "config.h"

#include "cz-store-backend.h"
#include "cz-store-e2e.h"

void
cz_device_keys_free (CzDeviceKeys *keys)
{
  if (keys == NULL)
    return;
  g_free (keys->user);
  g_clear_pointer (&keys->identity, g_bytes_unref);
  g_clear_pointer (&keys->signed_prekey, g_bytes_unref);
  g_clear_pointer (&keys->signature, g_bytes_unref);
  g_clear_pointer (&keys->prekey, g_bytes_unref);
  g_free (keys);
}

CzEmsgCopy *
cz_emsg_copy_new (const char *user, guint32 device, gboolean prekey, GBytes *data)
{
  CzEmsgCopy *copy = g_new0 (CzEmsgCopy, 1);

  copy->user = g_strdup (user);
  copy->device = device;
  copy->prekey = prekey;
  copy->data = g_bytes_ref (data);
  return copy;
}

void
cz_emsg_copy_free (CzEmsgCopy *copy)
{
  if (copy == NULL)
    return;
  g_free (copy->user);
  g_clear_pointer (&copy->data, g_bytes_unref);
  g_free (copy);
}

void
cz_emsg_record_free (CzEmsgRecord *rec)
{
  if (rec == NULL)
    return;
  g_free (rec->from);
  g_free (rec->to);
  g_clear_pointer (&rec->data, g_bytes_unref);
  g_free (rec);
}

static gpointer
op_new (gsize size, CzStoreOpKind kind)
{
  CzStoreOp *op = g_malloc0 (size);

  op->kind = kind;
  return op;
}

CzStorePublishKeys *
cz_store_publish_keys_new (CzDeviceKeys *keys, GArray *prekey_ids, GPtrArray *prekeys)
{
  CzStorePublishKeys *op = op_new (sizeof *op, CZ_STORE_OP_PUBLISH_KEYS);

  op->user = g_strdup (keys->user);
  op->keys = keys;
  op->prekey_ids = prekey_ids;
  op->prekeys = prekeys;
  return op;
}

CzStoreFetchKeys *
cz_store_fetch_keys_new (const char *asker, guint32 asker_device, const char *user)
{
  CzStoreFetchKeys *op = op_new (sizeof *op, CZ_STORE_OP_FETCH_KEYS);

  op->asker = g_strdup (asker);
  op->asker_device = asker_device;
  op->user = g_strdup (user);
  return op;
}

CzStoreSaveEmsg *
cz_store_save_emsg_new (const char *sender, guint32 sender_device, const char *to,
                        const char *txn, gint64 ts, GPtrArray *copies)
{
  CzStoreSaveEmsg *op = op_new (sizeof *op, CZ_STORE_OP_SAVE_EMSG);

  op->sender = g_strdup (sender);
  op->sender_device = sender_device;
  op->to = g_strdup (to);
  op->txn = g_strdup (txn);
  op->ts = ts;
  op->copies = copies;
  return op;
}

CzStoreDevicePending *
cz_store_device_pending_new (const char *user, guint32 device, gint64 after_id, guint limit)
{
  CzStoreDevicePending *op = op_new (sizeof *op, CZ_STORE_OP_DEVICE_PENDING);

  op->user = g_strdup (user);
  op->device = device;
  op->after_id = after_id;
  op->limit = limit;
  return op;
}

CzStoreDeviceReceived *
cz_store_device_received_new (const char *user, guint32 device, GArray *ids)
{
  CzStoreDeviceReceived *op = op_new (sizeof *op, CZ_STORE_OP_DEVICE_RECEIVED);

  op->user = g_strdup (user);
  op->device = device;
  op->ids = ids;
  return op;
}

void
cz_store_e2e_op_clear_outputs (CzStoreOp *op)
{
  switch (op->kind)
    {
    case CZ_STORE_OP_PUBLISH_KEYS:
      ((CzStorePublishKeys *) op)->held = 0;
      break;
    case CZ_STORE_OP_FETCH_KEYS:
      g_clear_pointer (&((CzStoreFetchKeys *) op)->devices, g_ptr_array_unref);
      break;
    case CZ_STORE_OP_SAVE_EMSG:
      ((CzStoreSaveEmsg *) op)->id = 0;
      ((CzStoreSaveEmsg *) op)->duplicate = FALSE;
      ((CzStoreSaveEmsg *) op)->size = 0;
      break;
    case CZ_STORE_OP_DEVICE_PENDING:
      g_clear_pointer (&((CzStoreDevicePending *) op)->messages, g_ptr_array_unref);
      break;
    case CZ_STORE_OP_DEVICE_RECEIVED:
      ((CzStoreDeviceReceived *) op)->removed = 0;
      break;
    default:
      break;
    }
}

void
cz_store_e2e_op_reset_outputs (CzStoreOp *op)
{
  if (op->kind == CZ_STORE_OP_FETCH_KEYS)
    ((CzStoreFetchKeys *) op)->devices =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cz_device_keys_free);
  else if (op->kind == CZ_STORE_OP_DEVICE_PENDING)
    ((CzStoreDevicePending *) op)->messages =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cz_emsg_record_free);
}

void
cz_store_e2e_op_free_inputs (CzStoreOp *op)
{
  switch (op->kind)
    {
    case CZ_STORE_OP_PUBLISH_KEYS:
      {
        CzStorePublishKeys *p = (CzStorePublishKeys *) op;

        g_free (p->user);
        cz_device_keys_free (p->keys);
        g_clear_pointer (&p->prekey_ids, g_array_unref);
        g_clear_pointer (&p->prekeys, g_ptr_array_unref);
      }
      break;
    case CZ_STORE_OP_FETCH_KEYS:
      g_free (((CzStoreFetchKeys *) op)->asker);
      g_free (((CzStoreFetchKeys *) op)->user);
      break;
    case CZ_STORE_OP_SAVE_EMSG:
      {
        CzStoreSaveEmsg *s = (CzStoreSaveEmsg *) op;

        g_free (s->sender);
        g_free (s->to);
        g_free (s->txn);
        g_clear_pointer (&s->copies, g_ptr_array_unref);
      }
      break;
    case CZ_STORE_OP_DEVICE_PENDING:
      g_free (((CzStoreDevicePending *) op)->user);
      break;
    case CZ_STORE_OP_DEVICE_RECEIVED:
      g_free (((CzStoreDeviceReceived *) op)->user);
      g_clear_pointer (&((CzStoreDeviceReceived *) op)->ids, g_array_unref);
      break;
    default:
      break;
    }
}
