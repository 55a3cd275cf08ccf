/* cz-store-op.c: the typed store operations: their constructors, what
 * they own and what they output (cz-store.h), whatever the backend. */
#include "config.h"

#include "cz-store-backend.h"
#include "cz-crypto.h"
#include "cz-util.h"

void
cz_message_record_free (CzMessageRecord *rec)
{
  if (rec == NULL)
    return;

  g_free (rec->from);
  g_free (rec->to);
  g_free (rec->text);
  g_free (rec);
}

static gpointer
op_new (gsize size, CzStoreOpKind kind)
{
  CzStoreOp *op = g_malloc0 (size);

  op->kind = kind;
  return op;
}

CzStoreGetUser *
cz_store_get_user_new (const char *user)
{
  CzStoreGetUser *op = op_new (sizeof *op, CZ_STORE_OP_GET_USER);

  op->user = g_strdup (user);
  return op;
}

CzStoreAddUser *
cz_store_add_user_new (const char *user)
{
  CzStoreAddUser *op = op_new (sizeof *op, CZ_STORE_OP_ADD_USER);

  op->user = g_strdup (user);
  return op;
}

CzStoreSaveMessage *
cz_store_save_message_new (const char *sender, const char *to, const char *text,
                           const char *txn, gint64 ts)
{
  CzStoreSaveMessage *op = op_new (sizeof *op, CZ_STORE_OP_SAVE_MESSAGE);

  op->sender = g_strdup (sender);
  op->to = g_strdup (to);
  op->text = g_strdup (text);
  op->txn = g_strdup (txn);
  op->ts = ts;
  return op;
}

static CzStoreMark *
mark_new (CzStoreOpKind kind, const char *reader, GArray *ids)
{
  CzStoreMark *op = op_new (sizeof *op, kind);

  op->reader = g_strdup (reader);
  op->ids = ids;
  return op;
}

CzStoreMark *
cz_store_mark_delivered_new (const char *reader, GArray *ids)
{
  return mark_new (CZ_STORE_OP_MARK_DELIVERED, reader, ids);
}

CzStoreMark *
cz_store_mark_read_new (const char *reader, GArray *ids)
{
  return mark_new (CZ_STORE_OP_MARK_READ, reader, ids);
}

CzStorePending *
cz_store_pending_new (const char *recipient, gint64 after_id, guint limit)
{
  CzStorePending *op = op_new (sizeof *op, CZ_STORE_OP_PENDING);

  op->recipient = g_strdup (recipient);
  op->after_id = after_id;
  op->limit = limit;
  return op;
}

CzStoreCountPending *
cz_store_count_pending_new (const char *recipient)
{
  CzStoreCountPending *op = op_new (sizeof *op, CZ_STORE_OP_COUNT_PENDING);

  op->recipient = g_strdup (recipient);
  return op;
}

CzStoreHistory *
cz_store_history_new (const char *user, const char *with, gint64 before, guint limit)
{
  CzStoreHistory *op = op_new (sizeof *op, CZ_STORE_OP_HISTORY);

  op->user = g_strdup (user);
  op->with = g_strdup (with);
  op->before = before;
  op->limit = limit;
  return op;
}

CzStoreLoginSecret *
cz_store_login_secret_new (void)
{
  CzStoreLoginSecret *op = op_new (sizeof *op, CZ_STORE_OP_LOGIN_SECRET);

  cz_random_bytes (op->fresh, sizeof op->fresh);
  return op;
}

/* Where @op's kind keeps its records, or NULL. */
static GPtrArray **
records_slot (CzStoreOp *op)
{
  switch (op->kind)
    {
    case CZ_STORE_OP_MARK_DELIVERED:
    case CZ_STORE_OP_MARK_READ:
      return &((CzStoreMark *) op)->changed;
    case CZ_STORE_OP_PENDING:
      return &((CzStorePending *) op)->messages;
    case CZ_STORE_OP_HISTORY:
      return &((CzStoreHistory *) op)->messages;
    default:
      return NULL;
    }
}

GPtrArray *
cz_store_op_get_records (CzStoreOp *op)
{
  GPtrArray **slot = records_slot (op);

  return slot != NULL ? *slot : NULL;
}

void
cz_store_op_clear_outputs (CzStoreOp *op)
{
  GPtrArray **records = records_slot (op);

  g_clear_error (&op->error);
  if (records != NULL)
    g_clear_pointer (records, g_ptr_array_unref);
  switch (op->kind)
    {
    case CZ_STORE_OP_GET_USER:
      cz_scram_credentials_clear (&((CzStoreGetUser *) op)->creds);
      break;
    case CZ_STORE_OP_SAVE_MESSAGE:
      ((CzStoreSaveMessage *) op)->id = 0;
      ((CzStoreSaveMessage *) op)->duplicate = FALSE;
      break;
    case CZ_STORE_OP_LOGIN_SECRET:
      cz_memwipe (((CzStoreLoginSecret *) op)->secret, 32);
      g_clear_pointer (&((CzStoreLoginSecret *) op)->iterations, g_array_unref);
      break;
    case CZ_STORE_OP_COUNT_PENDING:
      ((CzStoreCountPending *) op)->count = 0;
      break;
    default:
      cz_store_e2e_op_clear_outputs (op);
      break;
    }
}

void
cz_store_op_reset_outputs (CzStoreOp *op)
{
  GPtrArray **records = records_slot (op);

  cz_store_op_clear_outputs (op);
  if (records != NULL)
    *records = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_message_record_free);
  cz_store_e2e_op_reset_outputs (op);
}

void
cz_store_op_free (CzStoreOp *op)
{
  if (op == NULL)
    return;

  cz_store_op_clear_outputs (op);
  switch (op->kind)
    {
    case CZ_STORE_OP_GET_USER:
      g_free (((CzStoreGetUser *) op)->user);
      break;
    case CZ_STORE_OP_ADD_USER:
      g_free (((CzStoreAddUser *) op)->user);
      cz_scram_credentials_clear (&((CzStoreAddUser *) op)->creds);
      break;
    case CZ_STORE_OP_SAVE_MESSAGE:
      {
        CzStoreSaveMessage *save = (CzStoreSaveMessage *) op;

        g_free (save->sender);
        g_free (save->to);
        g_free (save->text);
        g_free (save->txn);
      }
      break;
    case CZ_STORE_OP_MARK_DELIVERED:
    case CZ_STORE_OP_MARK_READ:
      g_free (((CzStoreMark *) op)->reader);
      g_clear_pointer (&((CzStoreMark *) op)->ids, g_array_unref);
      break;
    case CZ_STORE_OP_PENDING:
      g_free (((CzStorePending *) op)->recipient);
      break;
    case CZ_STORE_OP_COUNT_PENDING:
      g_free (((CzStoreCountPending *) op)->recipient);
      break;
    case CZ_STORE_OP_HISTORY:
      g_free (((CzStoreHistory *) op)->user);
      g_free (((CzStoreHistory *) op)->with);
      break;
    case CZ_STORE_OP_LOGIN_SECRET:
      cz_memwipe (((CzStoreLoginSecret *) op)->fresh, 32);
      break;
    case CZ_STORE_OP_PUBLISH_KEYS:
    case CZ_STORE_OP_FETCH_KEYS:
    case CZ_STORE_OP_SAVE_EMSG:
    case CZ_STORE_OP_DEVICE_PENDING:
    case CZ_STORE_OP_DEVICE_RECEIVED:
      cz_store_e2e_op_free_inputs (op);
      break;
    default:
      g_critical ("cz_store_op_free: unknown store operation %d", (int) op->kind);
      break;
    }
  g_free (op);
}
