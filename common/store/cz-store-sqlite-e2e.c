/* cz-store-sqlite-e2e.c: the SQLite backend's end-to-end operations
 * (cz-store-e2e.h; tables of schema v5, cz-store-sqlite.c).
 *
 * Each operation writes several statements and runs in its own savepoint
 * (cz_store_sqlite_needs_savepoint()), so a refused one leaves nothing
 * behind.  These are not hot: statements are prepared per run. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-error.h"
#include "cz-protocol.h"
#include "cz-store-e2e.h"
#include "cz-store-sqlite-private.h"
#include "cz-util.h"

typedef sqlite3_stmt CzE2eStmt;

static void
stmt_finalize (CzE2eStmt *stmt)
{
  sqlite3_finalize (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzE2eStmt, stmt_finalize)

static gboolean G_GNUC_PRINTF (3, 4)
fail (CzStoreOp *op, CzErrorCode code, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  if (op->error == NULL)
    op->error = g_error_new_valist (CZ_ERROR, code, format, args);
  va_end (args);
  return FALSE;
}

/* Prepares @sql; NULL (and @op failed) if SQLite refuses it. */
static CzE2eStmt *
prepare (CzStoreSqlite *self, CzStoreOp *op, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      cz_store_sqlite_op_fail (self, op, rc);
      return NULL;
    }
  return stmt;
}

static void
bind_bytes (sqlite3_stmt *stmt, int col, GBytes *bytes)
{
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);

  sqlite3_bind_blob (stmt, col, len > 0 ? data : "", (int) len, SQLITE_STATIC);
}

static GBytes *
column_bytes (sqlite3_stmt *stmt, int col)
{
  return g_bytes_new (sqlite3_column_blob (stmt, col), sqlite3_column_bytes (stmt, col));
}

static gboolean
is_key (GBytes *key)
{
  return key != NULL && g_bytes_get_size (key) == CZ_E2E_KEY_LEN;
}

static gboolean
valid_device (guint32 device)
{
  return device >= 1 && device <= G_MAXINT32;
}

/* A statement without result rows, run once. */
static gboolean
run_done (CzStoreSqlite *self, CzStoreOp *op, sqlite3_stmt *stmt)
{
  int rc = sqlite3_step (stmt);

  return rc == SQLITE_DONE || cz_store_sqlite_op_fail (self, op, rc);
}

/* count(*) style queries. */
static gboolean
run_count (CzStoreSqlite *self, CzStoreOp *op, sqlite3_stmt *stmt, gint64 *value)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_ROW)
    return cz_store_sqlite_op_fail (self, op, rc);
  *value = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/* Whether @user_id's @device is published; FALSE with
 * CZ_ERROR_UNKNOWN_DEVICE if not. */
static gboolean
require_device (CzStoreSqlite *self, CzStoreOp *op, gint64 user_id, const char *user,
                guint32 device)
{
  g_autoptr(CzE2eStmt) stmt =
    prepare (self, op, "SELECT 1 FROM e2e_devices WHERE user = ?1 AND device = ?2");
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, user_id);
  sqlite3_bind_int64 (stmt, 2, device);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return fail (op, CZ_ERROR_UNKNOWN_DEVICE, _("%s has no device %u"), user, device);
  return rc == SQLITE_ROW || cz_store_sqlite_op_fail (self, op, rc);
}

static gboolean
publish_keys (CzStoreSqlite *self, CzStorePublishKeys *op)
{
  CzDeviceKeys *k = op->keys;
  g_autoptr(CzE2eStmt) find = NULL;
  gint64 user, floor = 0, held = 0;
  int rc;

  if (k == NULL || !valid_device (k->device) || !is_key (k->identity) ||
      !is_key (k->signed_prekey) || k->signature == NULL ||
      g_bytes_get_size (k->signature) != CZ_E2E_SIGNATURE_LEN)
    return fail (&op->op, CZ_ERROR_BAD_BUNDLE,
                 _("the bundle needs a device id, a 33-byte identity key and signed prekey,"
                   " and a 64-byte signature"));
  if (op->prekey_ids == NULL || op->prekeys == NULL ||
      op->prekey_ids->len != op->prekeys->len || op->prekeys->len > CZ_E2E_MAX_PREKEYS)
    return fail (&op->op, CZ_ERROR_BAD_BUNDLE,
                 _("the bundle's one-time prekeys are malformed (at most %d)"),
                 CZ_E2E_MAX_PREKEYS);
  for (guint i = 0; i < op->prekeys->len; i++)
    if (g_array_index (op->prekey_ids, guint32, i) == 0 ||
        !is_key (g_ptr_array_index (op->prekeys, i)))
      return fail (&op->op, CZ_ERROR_BAD_BUNDLE,
                   _("one-time prekey %u of the bundle is malformed"), i);
  if (!cz_store_sqlite_require_user (self, &op->op, op->user, &user))
    return FALSE;

  find = prepare (self, &op->op,
                  "SELECT identity, prekey_floor FROM e2e_devices WHERE user = ?1 AND device = ?2");
  if (find == NULL)
    return FALSE;
  sqlite3_bind_int64 (find, 1, user);
  sqlite3_bind_int64 (find, 2, k->device);
  rc = sqlite3_step (find);
  if (rc == SQLITE_ROW)
    {
      g_autoptr(GBytes) identity = column_bytes (find, 0);
      g_autoptr(CzE2eStmt) update = NULL;

      if (!g_bytes_equal (identity, k->identity))
        return fail (&op->op, CZ_ERROR_BAD_BUNDLE,
                     _("device %u of %s already has another identity key"), k->device, op->user);
      floor = sqlite3_column_int64 (find, 1);
      sqlite3_reset (find);
      update = prepare (self, &op->op,
                        "UPDATE e2e_devices SET spk_id = ?3, spk = ?4, spk_sig = ?5, updated = ?6"
                        " WHERE user = ?1 AND device = ?2");
      if (update == NULL)
        return FALSE;
      sqlite3_bind_int64 (update, 1, user);
      sqlite3_bind_int64 (update, 2, k->device);
      sqlite3_bind_int64 (update, 3, k->signed_prekey_id);
      bind_bytes (update, 4, k->signed_prekey);
      bind_bytes (update, 5, k->signature);
      sqlite3_bind_int64 (update, 6, cz_now_ms ());
      if (!run_done (self, &op->op, update))
        return FALSE;
    }
  else if (rc == SQLITE_DONE)
    {
      g_autoptr(CzE2eStmt) count =
        prepare (self, &op->op, "SELECT count(*) FROM e2e_devices WHERE user = ?1");
      g_autoptr(CzE2eStmt) insert = NULL;
      gint64 devices = 0;

      if (count == NULL)
        return FALSE;
      sqlite3_bind_int64 (count, 1, user);
      if (!run_count (self, &op->op, count, &devices))
        return FALSE;
      if (devices >= CZ_E2E_MAX_DEVICES)
        return fail (&op->op, CZ_ERROR_INVALID,
                     _("%s has %d devices already"), op->user, CZ_E2E_MAX_DEVICES);
      insert = prepare (self, &op->op,
                        "INSERT INTO e2e_devices (user, device, identity, spk_id, spk, spk_sig,"
                        " updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
      if (insert == NULL)
        return FALSE;
      sqlite3_bind_int64 (insert, 1, user);
      sqlite3_bind_int64 (insert, 2, k->device);
      bind_bytes (insert, 3, k->identity);
      sqlite3_bind_int64 (insert, 4, k->signed_prekey_id);
      bind_bytes (insert, 5, k->signed_prekey);
      bind_bytes (insert, 6, k->signature);
      sqlite3_bind_int64 (insert, 7, cz_now_ms ());
      if (!run_done (self, &op->op, insert))
        return FALSE;
    }
  else
    return cz_store_sqlite_op_fail (self, &op->op, rc);

  {
    g_autoptr(CzE2eStmt) count =
      prepare (self, &op->op, "SELECT count(*) FROM e2e_prekeys WHERE user = ?1 AND device = ?2");
    g_autoptr(CzE2eStmt) insert =
      prepare (self, &op->op,
               "INSERT OR IGNORE INTO e2e_prekeys (user, device, id, key) VALUES (?1, ?2, ?3, ?4)");

    if (count == NULL || insert == NULL)
      return FALSE;
    sqlite3_bind_int64 (count, 1, user);
    sqlite3_bind_int64 (count, 2, k->device);
    if (!run_count (self, &op->op, count, &held))
      return FALSE;
    for (guint i = 0; i < op->prekeys->len && held < CZ_E2E_MAX_PREKEYS; i++)
      {
        guint32 id = g_array_index (op->prekey_ids, guint32, i);

        /* Handed out once: never above the floor again. */
        if (id <= floor)
          continue;
        sqlite3_reset (insert);
        sqlite3_bind_int64 (insert, 1, user);
        sqlite3_bind_int64 (insert, 2, k->device);
        sqlite3_bind_int64 (insert, 3, id);
        bind_bytes (insert, 4, g_ptr_array_index (op->prekeys, i));
        if (!run_done (self, &op->op, insert))
          return FALSE;
        held += sqlite3_changes (self->db);
      }
  }
  op->held = (guint) held;
  return TRUE;
}

static gboolean
fetch_keys (CzStoreSqlite *self, CzStoreFetchKeys *op)
{
  g_autoptr(CzE2eStmt) devices = NULL;
  g_autoptr(CzE2eStmt) first = NULL;
  g_autoptr(CzE2eStmt) take = NULL;
  g_autoptr(CzE2eStmt) raise = NULL;
  gint64 asker, user;
  int rc;

  if (!cz_store_sqlite_require_user (self, &op->op, op->asker, &asker) ||
      !cz_store_sqlite_require_user (self, &op->op, op->user, &user))
    return FALSE;

  devices = prepare (self, &op->op,
                     "SELECT device, identity, spk_id, spk, spk_sig FROM e2e_devices"
                     " WHERE user = ?1 ORDER BY device");
  if (devices == NULL)
    return FALSE;
  sqlite3_bind_int64 (devices, 1, user);
  while ((rc = sqlite3_step (devices)) == SQLITE_ROW)
    {
      CzDeviceKeys *k = g_new0 (CzDeviceKeys, 1);

      k->user = g_strdup (op->user);
      k->device = (guint32) sqlite3_column_int64 (devices, 0);
      k->identity = column_bytes (devices, 1);
      k->signed_prekey_id = (guint32) sqlite3_column_int64 (devices, 2);
      k->signed_prekey = column_bytes (devices, 3);
      k->signature = column_bytes (devices, 4);
      if (asker == user && k->device == op->asker_device)
        cz_device_keys_free (k);
      else
        g_ptr_array_add (op->devices, k);
    }
  if (rc != SQLITE_DONE)
    return cz_store_sqlite_op_fail (self, &op->op, rc);

  /* Each device's lowest one-time prekey, handed out once. */
  first = prepare (self, &op->op,
                   "SELECT id, key FROM e2e_prekeys WHERE user = ?1 AND device = ?2"
                   " ORDER BY id LIMIT 1");
  take = prepare (self, &op->op,
                  "DELETE FROM e2e_prekeys WHERE user = ?1 AND device = ?2 AND id = ?3");
  raise = prepare (self, &op->op,
                   "UPDATE e2e_devices SET prekey_floor = max (prekey_floor, ?3)"
                   " WHERE user = ?1 AND device = ?2");
  if (first == NULL || take == NULL || raise == NULL)
    return FALSE;
  for (guint i = 0; i < op->devices->len; i++)
    {
      CzDeviceKeys *k = g_ptr_array_index (op->devices, i);

      sqlite3_reset (first);
      sqlite3_bind_int64 (first, 1, user);
      sqlite3_bind_int64 (first, 2, k->device);
      rc = sqlite3_step (first);
      if (rc == SQLITE_DONE)
        continue;   /* none left: the bundle goes without (X3DH allows it) */
      if (rc != SQLITE_ROW)
        return cz_store_sqlite_op_fail (self, &op->op, rc);
      k->prekey_id = (guint32) sqlite3_column_int64 (first, 0);
      k->prekey = column_bytes (first, 1);
      sqlite3_reset (first);
      for (int s = 0; s < 2; s++)
        {
          sqlite3_stmt *w = s == 0 ? take : raise;

          sqlite3_reset (w);
          sqlite3_bind_int64 (w, 1, user);
          sqlite3_bind_int64 (w, 2, k->device);
          sqlite3_bind_int64 (w, 3, k->prekey_id);
          if (!run_done (self, &op->op, w))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
save_emsg (CzStoreSqlite *self, CzStoreSaveEmsg *op)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(CzE2eStmt) insert = NULL;
  g_autoptr(CzE2eStmt) copy = NULL;
  g_autoptr(CzE2eStmt) waiting = NULL;
  gint64 sender, recipient;

  if (op->copies == NULL || op->copies->len == 0)
    return fail (&op->op, CZ_ERROR_INVALID, _("the message has no ciphertext"));
  if (op->copies->len > 2 * CZ_E2E_MAX_DEVICES)
    return fail (&op->op, CZ_ERROR_INVALID, _("the message names too many devices"));
  if (!valid_device (op->sender_device))
    return fail (&op->op, CZ_ERROR_UNKNOWN_DEVICE, _("the sending device is not published"));
  if (!cz_store_sqlite_require_user (self, &op->op, op->sender, &sender) ||
      !cz_store_sqlite_require_user (self, &op->op, op->to, &recipient))
    return FALSE;
  for (guint i = 0; i < op->copies->len; i++)
    {
      CzEmsgCopy *c = g_ptr_array_index (op->copies, i);
      gsize size = c->data != NULL ? g_bytes_get_size (c->data) : 0;
      char *key;

      if (c->user == NULL || (strcmp (c->user, op->to) != 0 && strcmp (c->user, op->sender) != 0))
        return fail (&op->op, CZ_ERROR_INVALID,
                     _("a ciphertext is for %s, who is not in this conversation"),
                     c->user != NULL ? c->user : "");
      if (strcmp (c->user, op->sender) == 0 && c->device == op->sender_device)
        return fail (&op->op, CZ_ERROR_INVALID, _("a device does not send to itself"));
      if (size == 0 || size > CZ_E2E_CIPHERTEXT_MAX)
        return fail (&op->op, CZ_ERROR_TOO_LARGE,
                     _("a ciphertext must have 1 to %d bytes"), CZ_E2E_CIPHERTEXT_MAX);
      key = g_strdup_printf ("%s/%u", c->user, c->device);
      if (!g_hash_table_add (seen, key))
        return fail (&op->op, CZ_ERROR_INVALID,
                     _("device %u of %s is named twice"), c->device, c->user);
    }

  if (op->ts == 0)
    op->ts = cz_now_ms ();
  if (op->txn != NULL)
    {
      g_autoptr(CzE2eStmt) find =
        prepare (self, &op->op, "SELECT id, ts FROM messages WHERE sender = ?1 AND txn = ?2");
      int rc;

      if (find == NULL)
        return FALSE;
      sqlite3_bind_int64 (find, 1, sender);
      sqlite3_bind_text (find, 2, op->txn, -1, SQLITE_STATIC);
      rc = sqlite3_step (find);
      if (rc == SQLITE_ROW)
        {
          op->id = sqlite3_column_int64 (find, 0);
          op->ts = sqlite3_column_int64 (find, 1);
          op->duplicate = TRUE;
          return TRUE;
        }
      if (rc != SQLITE_DONE)
        return cz_store_sqlite_op_fail (self, &op->op, rc);
    }

  if (!require_device (self, &op->op, sender, op->sender, op->sender_device))
    return FALSE;
  waiting = prepare (self, &op->op,
                     "SELECT count(*) FROM e2e_copies WHERE user = ?1 AND device = ?2");
  if (waiting == NULL)
    return FALSE;
  for (guint i = 0; i < op->copies->len; i++)
    {
      CzEmsgCopy *c = g_ptr_array_index (op->copies, i);
      gint64 uid = strcmp (c->user, op->to) == 0 ? recipient : sender;
      gint64 n = 0;

      if (!require_device (self, &op->op, uid, c->user, c->device))
        return FALSE;
      sqlite3_reset (waiting);
      sqlite3_bind_int64 (waiting, 1, uid);
      sqlite3_bind_int64 (waiting, 2, c->device);
      if (!run_count (self, &op->op, waiting, &n))
        return FALSE;
      if (n >= CZ_E2E_MAX_WAITING)
        return fail (&op->op, CZ_ERROR_MAILBOX_FULL,
                     _("device %u of %s has %d messages waiting already"),
                     c->device, c->user, CZ_E2E_MAX_WAITING);
    }

  insert = prepare (self, &op->op,
                    "INSERT INTO messages (ts, sender, recipient, text, txn, e2e, sender_device)"
                    " VALUES (?1, ?2, ?3, '', ?4, 1, ?5)");
  copy = prepare (self, &op->op,
                  "INSERT INTO e2e_copies (user, device, message, prekey, data)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)");
  if (insert == NULL || copy == NULL)
    return FALSE;
  sqlite3_bind_int64 (insert, 1, op->ts);
  sqlite3_bind_int64 (insert, 2, sender);
  sqlite3_bind_int64 (insert, 3, recipient);
  if (op->txn != NULL)
    sqlite3_bind_text (insert, 4, op->txn, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (insert, 5, op->sender_device);
  if (!run_done (self, &op->op, insert))
    return FALSE;
  op->id = sqlite3_last_insert_rowid (self->db);

  for (guint i = 0; i < op->copies->len; i++)
    {
      CzEmsgCopy *c = g_ptr_array_index (op->copies, i);

      sqlite3_reset (copy);
      sqlite3_bind_int64 (copy, 1, strcmp (c->user, op->to) == 0 ? recipient : sender);
      sqlite3_bind_int64 (copy, 2, c->device);
      sqlite3_bind_int64 (copy, 3, op->id);
      sqlite3_bind_int (copy, 4, c->prekey ? 1 : 0);
      bind_bytes (copy, 5, c->data);
      if (!run_done (self, &op->op, copy))
        return FALSE;
      op->size += g_bytes_get_size (c->data);
    }
  return TRUE;
}

static gboolean
device_pending (CzStoreSqlite *self, CzStoreDevicePending *op)
{
  g_autoptr(CzE2eStmt) stmt = NULL;
  gint64 user;
  int rc;

  if (!cz_store_sqlite_require_user (self, &op->op, op->user, &user))
    return FALSE;
  stmt = prepare (self, &op->op,
                  "SELECT m.id, m.ts, s.name, m.sender_device, r.name, c.prekey, c.data"
                  " FROM e2e_copies c JOIN messages m ON m.id = c.message"
                  " JOIN users s ON s.id = m.sender JOIN users r ON r.id = m.recipient"
                  " WHERE c.user = ?1 AND c.device = ?2 AND c.message > ?3"
                  " ORDER BY c.message LIMIT ?4");
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, user);
  sqlite3_bind_int64 (stmt, 2, op->device);
  sqlite3_bind_int64 (stmt, 3, op->after_id);
  sqlite3_bind_int64 (stmt, 4, op->limit > 0 ? (gint64) op->limit : -1);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CzEmsgRecord *rec = g_new0 (CzEmsgRecord, 1);

      rec->id = sqlite3_column_int64 (stmt, 0);
      rec->ts = sqlite3_column_int64 (stmt, 1);
      rec->from = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      rec->from_device = (guint32) sqlite3_column_int64 (stmt, 3);
      rec->to = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      rec->prekey = sqlite3_column_int (stmt, 5) != 0;
      rec->data = column_bytes (stmt, 6);
      g_ptr_array_add (op->messages, rec);
    }
  return rc == SQLITE_DONE || cz_store_sqlite_op_fail (self, &op->op, rc);
}

static gboolean
device_received (CzStoreSqlite *self, CzStoreDeviceReceived *op)
{
  g_autoptr(CzE2eStmt) del = NULL;
  gint64 user;

  if (!cz_store_sqlite_require_user (self, &op->op, op->user, &user))
    return FALSE;
  if (op->ids == NULL)
    return TRUE;
  del = prepare (self, &op->op,
                 "DELETE FROM e2e_copies WHERE user = ?1 AND device = ?2 AND message = ?3");
  if (del == NULL)
    return FALSE;
  for (guint i = 0; i < op->ids->len; i++)
    {
      sqlite3_reset (del);
      sqlite3_bind_int64 (del, 1, user);
      sqlite3_bind_int64 (del, 2, op->device);
      sqlite3_bind_int64 (del, 3, g_array_index (op->ids, gint64, i));
      if (!run_done (self, &op->op, del))
        return FALSE;
      op->removed += sqlite3_changes (self->db);
    }
  return TRUE;
}

void
cz_store_sqlite_publish_keys (CzStoreBackend *backend, CzStoreOp *op)
{
  publish_keys ((CzStoreSqlite *) backend, (CzStorePublishKeys *) op);
}

void
cz_store_sqlite_fetch_keys (CzStoreBackend *backend, CzStoreOp *op)
{
  fetch_keys ((CzStoreSqlite *) backend, (CzStoreFetchKeys *) op);
}

void
cz_store_sqlite_save_emsg (CzStoreBackend *backend, CzStoreOp *op)
{
  save_emsg ((CzStoreSqlite *) backend, (CzStoreSaveEmsg *) op);
}

void
cz_store_sqlite_device_pending (CzStoreBackend *backend, CzStoreOp *op)
{
  device_pending ((CzStoreSqlite *) backend, (CzStoreDevicePending *) op);
}

void
cz_store_sqlite_device_received (CzStoreBackend *backend, CzStoreOp *op)
{
  device_received ((CzStoreSqlite *) backend, (CzStoreDeviceReceived *) op);
}
