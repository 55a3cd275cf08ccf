/* cz-store-sqlite-ops.c: the SQLite backend's prepared statements, its
 * user id cache and what each kind of operation does inside the batch's
 * transaction.  Store thread only. */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-protocol.h"
#include "cz-store-sqlite-private.h"
#include "cz-error.h"
#include "cz-util.h"

#define MSG_COLUMNS \
  "m.id, m.ts, s.name, r.name, m.text, " \
  "m.delivered_ts IS NOT NULL, m.read_ts IS NOT NULL "
#define MSG_FROM \
  "FROM messages m JOIN users s ON s.id = m.sender " \
  "LEFT JOIN users r ON r.id = m.recipient "

/* The indexes are partial (schema v2, cz-store-sqlite.c): a query can only use
 * one if its WHERE implies the index's, so PENDING keeps "delivered_ts IS
 * NULL" and the lobby history "recipient IS NULL". */
static const char * const stmt_sql[N_STMTS] = {
  [STMT_BEGIN_WRITE] = "BEGIN IMMEDIATE",
  [STMT_BEGIN_READ] = "BEGIN DEFERRED",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_SAVEPOINT] = "SAVEPOINT op",
  [STMT_RELEASE] = "RELEASE op",
  [STMT_ROLLBACK_TO] = "ROLLBACK TO op",
  [STMT_USER_ID] = "SELECT id FROM users WHERE name = ?1",
  [STMT_GET_USER] =
    "SELECT salt, iterations, stored_key, server_key FROM users WHERE name = ?1",
  [STMT_ADD_USER] =
    "INSERT INTO users (name, salt, iterations, stored_key, server_key, created) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_SAVE_MESSAGE] =
    "INSERT INTO messages (ts, sender, recipient, text, txn) VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_FIND_TXN] =
    "SELECT id, ts FROM messages WHERE sender = ?1 AND txn = ?2",
  /* MARK_*: the row as it is, then the change (see do_mark()).  Not one
   * UPDATE ... RETURNING: SQLite fills a temporary table for RETURNING on
   * every run, over a third of a receipt's cost. */
  [STMT_UNDELIVERED] =
    "SELECT " MSG_COLUMNS MSG_FROM
    "WHERE m.id = ?1 AND m.recipient = ?2 AND m.delivered_ts IS NULL",
  [STMT_UNREAD] =
    "SELECT " MSG_COLUMNS MSG_FROM
    "WHERE m.id = ?1 AND m.recipient = ?2 AND m.read_ts IS NULL",
  [STMT_MARK_DELIVERED] =
    "UPDATE messages SET delivered_ts = ?1 "
    "WHERE id = ?2 AND recipient = ?3 AND delivered_ts IS NULL",
  [STMT_MARK_READ] =
    "UPDATE messages SET read_ts = ?1, delivered_ts = coalesce (delivered_ts, ?1) "
    "WHERE id = ?2 AND recipient = ?3 AND read_ts IS NULL",
  [STMT_PENDING] =
    "SELECT " MSG_COLUMNS MSG_FROM
    "WHERE m.recipient = ?1 AND m.delivered_ts IS NULL AND m.e2e IS NULL"
    " AND m.id > ?3 ORDER BY m.id LIMIT ?2",
  /* Counts entries of messages_pending only.  End-to-end messages wait
   * per device (e2e_copies, cz-store-sqlite-e2e.c) and are left out. */
  [STMT_COUNT_PENDING] =
    "SELECT count(*) FROM messages WHERE recipient = ?1 AND delivered_ts IS NULL"
    " AND e2e IS NULL",
  /* Each direction walks its own index range newest first. */
  [STMT_HISTORY_DIRECT] =
    "SELECT * FROM ("
    " SELECT * FROM (SELECT " MSG_COLUMNS MSG_FROM
    "  WHERE m.sender = ?1 AND m.recipient = ?2 AND m.id < ?3 AND m.e2e IS NULL"
    "  ORDER BY m.id DESC LIMIT ?4)"
    " UNION ALL"
    " SELECT * FROM (SELECT " MSG_COLUMNS MSG_FROM
    "  WHERE m.sender = ?2 AND m.recipient = ?1 AND ?1 <> ?2 AND m.id < ?3 AND m.e2e IS NULL"
    "  ORDER BY m.id DESC LIMIT ?4)"
    " ORDER BY 1 DESC LIMIT ?4) ORDER BY 1",
  [STMT_HISTORY_LOBBY] =
    "SELECT * FROM (SELECT " MSG_COLUMNS MSG_FROM
    " WHERE m.recipient IS NULL AND m.id < ?1 ORDER BY m.id DESC LIMIT ?2)"
    " ORDER BY 1",
  [STMT_SECRET_INSERT] = "INSERT OR IGNORE INTO login_secret (id, secret) VALUES (1, ?1)",
  [STMT_SECRET_GET] = "SELECT secret FROM login_secret WHERE id = 1",
  [STMT_ITERATIONS] = "SELECT DISTINCT iterations FROM users ORDER BY iterations",
};

/* ---- Errors ---------------------------------------------------------- */

gboolean
cz_store_sqlite_op_fail (CzStoreSqlite *self, CzStoreOp *op, int rc)
{
  if (op->error == NULL)
    cz_store_sqlite_set_error (self, &op->error, rc, op->kind == CZ_STORE_OP_SAVE_MESSAGE);
  return FALSE;
}

static gboolean G_GNUC_PRINTF (3, 4)
op_fail (CzStoreOp *op, CzErrorCode code, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  if (op->error == NULL)
    op->error = g_error_new_valist (CZ_ERROR, code, format, args);
  va_end (args);
  return FALSE;
}

/* A single SQL statement is atomic by itself (SQLite undoes a failed one
 * with its statement journal, or the whole transaction, which the batch
 * sees): only an op of several write statements needs its own SAVEPOINT.
 * ADD_USER and SAVE_MESSAGE write once; MARK_* once per id. */
gboolean
cz_store_sqlite_needs_savepoint (const CzStoreOp *op)
{
  const CzStoreMark *mark = (const CzStoreMark *) op;

  if (op->kind == CZ_STORE_OP_PUBLISH_KEYS || op->kind == CZ_STORE_OP_FETCH_KEYS ||
      op->kind == CZ_STORE_OP_SAVE_EMSG || op->kind == CZ_STORE_OP_DEVICE_RECEIVED)
    return TRUE;   /* several statements each (cz-store-sqlite-e2e.c) */
  return (op->kind == CZ_STORE_OP_MARK_DELIVERED || op->kind == CZ_STORE_OP_MARK_READ) &&
         mark->ids != NULL && mark->ids->len > 1;
}

/* ---- Statements (store thread) --------------------------------------- */

/* A statement in use; reset and unbound when it goes out of scope.  Every
 * use goes through g_autoptr(CzStmtInUse), so an idle statement is always
 * reset and unbound already. */
typedef sqlite3_stmt CzStmtInUse;

static void
stmt_release (CzStmtInUse *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzStmtInUse, stmt_release)

static inline CzStmtInUse *
stmt_get (CzStoreSqlite *self, CzStoreStmt id)
{
  return self->stmts[id];
}

int
cz_store_sqlite_step_simple (CzStoreSqlite *self, CzStoreStmt id)
{
  g_autoptr(CzStmtInUse) stmt = stmt_get (self, id);

  return sqlite3_step (stmt);
}

static char *
column_strdup (sqlite3_stmt *stmt, int col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

/* ---- User id cache (store thread) ------------------------------------ */

/* Users are never deleted nor renamed, so a name's id only changes when
 * the transaction that added it does not commit: forget_batch()
 * empties the cache then.  Unknown names are not cached (another process
 * may add accounts: causerie-server --add-user). */
#define USER_CACHE_MAX 65536

typedef struct {
  gint64 id;
  char name[];   /* the key */
} CzStoreUserId;

void
cz_store_sqlite_user_cache_init (CzStoreSqlite *self)
{
  if (self->user_ids == NULL)
    self->user_ids = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  if (self->pending_counts == NULL)
    self->pending_counts = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);  /* key = value */
}

/* (The undelivered counts go with it: they may count rows of a batch
 * that did not commit.) */
void
cz_store_sqlite_user_cache_clear (CzStoreSqlite *self)
{
  g_hash_table_remove_all (self->user_ids);
  g_hash_table_remove_all (self->pending_counts);
}

void
cz_store_sqlite_user_cache_free (CzStoreSqlite *self)
{
  g_clear_pointer (&self->user_ids, g_hash_table_unref);
  g_clear_pointer (&self->pending_counts, g_hash_table_unref);
}

static void
user_cache_add (CzStoreSqlite *self, const char *name, gint64 id)
{
  gsize len = strlen (name);
  CzStoreUserId *entry = g_malloc (sizeof *entry + len + 1);

  if (g_hash_table_size (self->user_ids) >= USER_CACHE_MAX)
    g_hash_table_remove_all (self->user_ids);
  entry->id = id;
  memcpy (entry->name, name, len + 1);
  /* replace, not insert: the key lives in the value. */
  g_hash_table_replace (self->user_ids, entry->name, entry);
}

/* Looks user @name up; FALSE with CZ_ERROR_NO_SUCH_USER when unknown. */
gboolean
cz_store_sqlite_require_user (CzStoreSqlite *self, CzStoreOp *op, const char *name, gint64 *id)
{
  g_autoptr(CzStmtInUse) stmt = NULL;
  CzStoreUserId *cached;
  int rc;

  if (name == NULL)
    return op_fail (op, CZ_ERROR_NO_SUCH_USER, _("no such user: %s"), "");
  cached = g_hash_table_lookup (self->user_ids, name);
  if (cached != NULL)
    {
      *id = cached->id;
      return TRUE;
    }

  stmt = stmt_get (self, STMT_USER_ID);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return op_fail (op, CZ_ERROR_NO_SUCH_USER, _("no such user: %s"), name);
  if (rc != SQLITE_ROW)
    return cz_store_sqlite_op_fail (self, op, rc);

  *id = sqlite3_column_int64 (stmt, 0);
  user_cache_add (self, name, *id);
  return TRUE;
}

/* Appends the rows of @stmt (MSG_COLUMNS) to @records, @op's output. */
static gboolean
collect_messages (CzStoreSqlite *self, CzStoreOp *op, GPtrArray *records, sqlite3_stmt *stmt)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CzMessageRecord *rec = g_new0 (CzMessageRecord, 1);

      rec->id = sqlite3_column_int64 (stmt, 0);
      rec->ts = sqlite3_column_int64 (stmt, 1);
      rec->from = column_strdup (stmt, 2);
      rec->to = column_strdup (stmt, 3);
      rec->text = column_strdup (stmt, 4);
      rec->delivered = sqlite3_column_int (stmt, 5) != 0;
      rec->read = sqlite3_column_int (stmt, 6) != 0;
      g_ptr_array_add (records, rec);
    }

  return rc == SQLITE_DONE || cz_store_sqlite_op_fail (self, op, rc);
}

gboolean
cz_store_sqlite_prepare_statements (CzStoreSqlite *self, GError **error)
{
  for (guint i = 0; i < N_STMTS; i++)
    {
      int rc = sqlite3_prepare_v3 (self->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                   &self->stmts[i], NULL);

      if (rc != SQLITE_OK)
        {
          cz_store_sqlite_set_error (self, error, rc, FALSE);
          return FALSE;
        }
    }

  return TRUE;
}

void
cz_store_sqlite_finalize_statements (CzStoreSqlite *self)
{
  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);
}

/* ---- Operations (store thread) --------------------------------------- */

static gboolean
get_user (CzStoreSqlite *self, CzStoreGetUser *op)
{
  g_autoptr(CzStmtInUse) stmt = stmt_get (self, STMT_GET_USER);
  gint64 iterations;
  int rc;

  sqlite3_bind_text (stmt, 1, op->user, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return op_fail (&op->op, CZ_ERROR_NO_SUCH_USER, _("no such user: %s"), op->user);
  if (rc != SQLITE_ROW)
    return cz_store_sqlite_op_fail (self, &op->op, rc);

  iterations = sqlite3_column_int64 (stmt, 1);
  if (sqlite3_column_bytes (stmt, 0) == 0 ||
      sqlite3_column_bytes (stmt, 2) != 32 || sqlite3_column_bytes (stmt, 3) != 32 ||
      iterations < CZ_SCRAM_MIN_ITERATIONS || iterations > CZ_SCRAM_MAX_ITERATIONS)
    return op_fail (&op->op, CZ_ERROR_STORE, _("the account %s is damaged in %s"),
                    op->user, self->display_name);

  op->creds.salt = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
  op->creds.iterations = (guint) iterations;
  memcpy (op->creds.stored_key, sqlite3_column_blob (stmt, 2), 32);
  memcpy (op->creds.server_key, sqlite3_column_blob (stmt, 3), 32);
  return TRUE;
}

static gboolean
add_user (CzStoreSqlite *self, CzStoreAddUser *op)
{
  g_autoptr(CzStmtInUse) stmt = NULL;
  gsize salt_len = 0;
  const guint8 *salt;
  int rc;

  if (op->user == NULL || !cz_user_name_valid (op->user))
    return op_fail (&op->op, CZ_ERROR_BAD_NAME, _("“%s” is not a valid user name"),
                    op->user != NULL ? op->user : "");
  salt = op->creds.salt != NULL ? g_bytes_get_data (op->creds.salt, &salt_len) : NULL;
  if (salt_len == 0 || op->creds.iterations < CZ_SCRAM_MIN_ITERATIONS ||
      op->creds.iterations > CZ_SCRAM_MAX_ITERATIONS)
    return op_fail (&op->op, CZ_ERROR_INVALID, _("the account keys are incomplete"));

  stmt = stmt_get (self, STMT_ADD_USER);
  sqlite3_bind_text (stmt, 1, op->user, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 2, salt, salt_len, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, op->creds.iterations);
  sqlite3_bind_blob (stmt, 4, op->creds.stored_key, 32, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 5, op->creds.server_key, 32, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, cz_now_ms ());
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    return op_fail (&op->op, CZ_ERROR_USER_EXISTS, _("the user %s already exists"), op->user);
  if (rc != SQLITE_DONE)
    return cz_store_sqlite_op_fail (self, &op->op, rc);

  /* Not committed yet: dropped if the batch is not (forget_batch). */
  user_cache_add (self, op->user, sqlite3_last_insert_rowid (self->db));
  return TRUE;
}

/* The number of undelivered direct messages to @recipient: counted on the
 * partial index messages_pending once, then from the cache. */
static gboolean
count_pending (CzStoreSqlite *self, CzStoreOp *op, gint64 recipient, guint64 *count)
{
  g_autoptr(CzStmtInUse) stmt = NULL;
  gint64 *entry = g_hash_table_lookup (self->pending_counts, &recipient);
  int rc;

  if (entry != NULL)
    {
      *count = (guint64) entry[1];
      return TRUE;
    }
  stmt = stmt_get (self, STMT_COUNT_PENDING);
  sqlite3_bind_int64 (stmt, 1, recipient);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return cz_store_sqlite_op_fail (self, op, rc);
  *count = (guint64) sqlite3_column_int64 (stmt, 0);
  if (g_hash_table_size (self->pending_counts) >= USER_CACHE_MAX)
    g_hash_table_remove_all (self->pending_counts);
  /* { recipient id (the key), count }, counted up in place. */
  entry = g_new (gint64, 2);
  entry[0] = recipient;
  entry[1] = (gint64) *count;
  g_hash_table_replace (self->pending_counts, entry, entry);
  return TRUE;
}

static gboolean
save_message (CzStoreSqlite *self, CzStoreSaveMessage *op)
{
  g_autoptr(CzStmtInUse) stmt = NULL;
  gint64 sender, recipient = 0;
  int rc;

  if (op->text == NULL)
    return op_fail (&op->op, CZ_ERROR_INVALID, _("the message has no text"));
  if (!cz_store_sqlite_require_user (self, &op->op, op->sender, &sender) ||
      (op->to != NULL && !cz_store_sqlite_require_user (self, &op->op, op->to, &recipient)))
    return FALSE;
  if (op->ts == 0)
    op->ts = cz_now_ms ();

  if (op->txn != NULL)
    {
      /* A resend (the first one's ack was lost with the connection). */
      g_autoptr(CzStmtInUse) find = stmt_get (self, STMT_FIND_TXN);

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

  if (op->to != NULL && op->max_pending > 0)
    {
      guint64 waiting;

      if (!count_pending (self, &op->op, recipient, &waiting))
        return FALSE;
      if (waiting >= op->max_pending)
        return op_fail (&op->op, CZ_ERROR_MAILBOX_FULL,
                        _("%s has %u messages waiting already: try again once they have read some"),
                        op->to, op->max_pending);
    }

  stmt = stmt_get (self, STMT_SAVE_MESSAGE);
  sqlite3_bind_int64 (stmt, 1, op->ts);
  sqlite3_bind_int64 (stmt, 2, sender);
  if (op->to != NULL)
    sqlite3_bind_int64 (stmt, 3, recipient);
  else
    sqlite3_bind_null (stmt, 3);
  sqlite3_bind_text (stmt, 4, op->text, -1, SQLITE_STATIC);
  if (op->txn != NULL)
    sqlite3_bind_text (stmt, 5, op->txn, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 5);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    return cz_store_sqlite_op_fail (self, &op->op, rc);

  op->id = sqlite3_last_insert_rowid (self->db);
  if (op->to != NULL)
    {
      gint64 *entry = g_hash_table_lookup (self->pending_counts, &recipient);

      if (entry != NULL)
        entry[1]++;
    }
  return TRUE;
}

/* MARK_*: the rows the UPDATE changed, as message records.  Each row is
 * read before it is changed, and only changed if the read found it: an op
 * of one id still writes with a single (atomic) statement. */
static gboolean
mark (CzStoreSqlite *self, CzStoreMark *op)
{
  gboolean read = op->op.kind == CZ_STORE_OP_MARK_READ;
  gint64 ts = op->ts > 0 ? op->ts : cz_now_ms ();
  gint64 reader;

  if (!cz_store_sqlite_require_user (self, &op->op, op->reader, &reader))
    return FALSE;
  /* Counted again when next needed (also right if a savepoint undoes
   * part of this op). */
  g_hash_table_remove (self->pending_counts, &reader);

  for (guint i = 0; op->ids != NULL && i < op->ids->len; i++)
    {
      gint64 id = g_array_index (op->ids, gint64, i);
      g_autoptr(CzStmtInUse) find = stmt_get (self, read ? STMT_UNREAD : STMT_UNDELIVERED);
      g_autoptr(CzStmtInUse) update = NULL;
      guint n = op->changed->len;
      CzMessageRecord *rec;
      int rc;

      sqlite3_bind_int64 (find, 1, id);
      sqlite3_bind_int64 (find, 2, reader);
      if (!collect_messages (self, &op->op, op->changed, find))
        return FALSE;
      if (op->changed->len == n)
        continue;     /* unknown, not to @reader, or marked already */

      update = stmt_get (self, read ? STMT_MARK_READ : STMT_MARK_DELIVERED);
      sqlite3_bind_int64 (update, 1, ts);
      sqlite3_bind_int64 (update, 2, id);
      sqlite3_bind_int64 (update, 3, reader);
      rc = sqlite3_step (update);
      if (rc != SQLITE_DONE)
        return cz_store_sqlite_op_fail (self, &op->op, rc);
      if (sqlite3_changes (self->db) == 0)
        {
          g_ptr_array_set_size (op->changed, n);
          continue;
        }
      /* The state the UPDATE wrote: read implies delivered. */
      rec = g_ptr_array_index (op->changed, n);
      rec->delivered = TRUE;
      rec->read = rec->read || read;
    }

  return TRUE;
}

static gboolean
pending (CzStoreSqlite *self, CzStorePending *op)
{
  g_autoptr(CzStmtInUse) stmt = NULL;
  gint64 recipient;

  if (!cz_store_sqlite_require_user (self, &op->op, op->recipient, &recipient))
    return FALSE;

  stmt = stmt_get (self, STMT_PENDING);
  sqlite3_bind_int64 (stmt, 1, recipient);
  sqlite3_bind_int64 (stmt, 2, op->limit > 0 ? (gint64) op->limit : -1);
  sqlite3_bind_int64 (stmt, 3, MAX (op->after_id, 0));
  return collect_messages (self, &op->op, op->messages, stmt);
}

static gboolean
count_pending_op (CzStoreSqlite *self, CzStoreCountPending *op)
{
  gint64 recipient;

  if (!cz_store_sqlite_require_user (self, &op->op, op->recipient, &recipient))
    return FALSE;
  return count_pending (self, &op->op, recipient, &op->count);
}

static gboolean
history (CzStoreSqlite *self, CzStoreHistory *op)
{
  g_autoptr(CzStmtInUse) stmt = NULL;
  gint64 before = op->before > 0 ? op->before : G_MAXINT64;
  guint limit = op->limit > 0 ? MIN (op->limit, CZ_HISTORY_MAX) : CZ_HISTORY_MAX;
  gint64 me, peer;

  if (op->with == NULL)
    {
      stmt = stmt_get (self, STMT_HISTORY_LOBBY);
      sqlite3_bind_int64 (stmt, 1, before);
      sqlite3_bind_int64 (stmt, 2, limit);
      return collect_messages (self, &op->op, op->messages, stmt);
    }

  if (!cz_store_sqlite_require_user (self, &op->op, op->user, &me) ||
      !cz_store_sqlite_require_user (self, &op->op, op->with, &peer))
    return FALSE;

  stmt = stmt_get (self, STMT_HISTORY_DIRECT);
  sqlite3_bind_int64 (stmt, 1, me);
  sqlite3_bind_int64 (stmt, 2, peer);
  sqlite3_bind_int64 (stmt, 3, before);
  sqlite3_bind_int64 (stmt, 4, limit);
  return collect_messages (self, &op->op, op->messages, stmt);
}

/* One write statement (INSERT OR IGNORE), then reads: no savepoint. */
static gboolean
login_secret (CzStoreSqlite *self, CzStoreLoginSecret *op)
{
  int rc;

  {
    g_autoptr(CzStmtInUse) stmt = stmt_get (self, STMT_SECRET_INSERT);

    sqlite3_bind_blob (stmt, 1, op->fresh, sizeof op->fresh, SQLITE_STATIC);
    rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE)
      return cz_store_sqlite_op_fail (self, &op->op, rc);
  }
  {
    g_autoptr(CzStmtInUse) stmt = stmt_get (self, STMT_SECRET_GET);

    rc = sqlite3_step (stmt);
    if (rc != SQLITE_ROW)
      return cz_store_sqlite_op_fail (self, &op->op, rc);
    if (sqlite3_column_bytes (stmt, 0) != 32)
      return op_fail (&op->op, CZ_ERROR_STORE, _("the login secret is damaged in %s"),
                      self->display_name);
    memcpy (op->secret, sqlite3_column_blob (stmt, 0), 32);
  }
  {
    g_autoptr(CzStmtInUse) stmt = stmt_get (self, STMT_ITERATIONS);

    op->iterations = g_array_new (FALSE, FALSE, sizeof (guint));
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        gint64 n = sqlite3_column_int64 (stmt, 0);
        guint it = (guint) n;

        if (n >= CZ_SCRAM_MIN_ITERATIONS && n <= CZ_SCRAM_MAX_ITERATIONS)
          g_array_append_val (op->iterations, it);
      }
    if (rc != SQLITE_DONE)
      return cz_store_sqlite_op_fail (self, &op->op, rc);
  }
  return TRUE;
}

/* ---- The backend's functions ----------------------------------------- */

void
cz_store_sqlite_get_user (CzStoreBackend *backend, CzStoreOp *op)
{
  get_user ((CzStoreSqlite *) backend, (CzStoreGetUser *) op);
}

void
cz_store_sqlite_add_user (CzStoreBackend *backend, CzStoreOp *op)
{
  add_user ((CzStoreSqlite *) backend, (CzStoreAddUser *) op);
}

void
cz_store_sqlite_save_message (CzStoreBackend *backend, CzStoreOp *op)
{
  save_message ((CzStoreSqlite *) backend, (CzStoreSaveMessage *) op);
}

void
cz_store_sqlite_mark (CzStoreBackend *backend, CzStoreOp *op)
{
  mark ((CzStoreSqlite *) backend, (CzStoreMark *) op);
}

void
cz_store_sqlite_pending (CzStoreBackend *backend, CzStoreOp *op)
{
  pending ((CzStoreSqlite *) backend, (CzStorePending *) op);
}

void
cz_store_sqlite_count_pending (CzStoreBackend *backend, CzStoreOp *op)
{
  count_pending_op ((CzStoreSqlite *) backend, (CzStoreCountPending *) op);
}

void
cz_store_sqlite_history (CzStoreBackend *backend, CzStoreOp *op)
{
  history ((CzStoreSqlite *) backend, (CzStoreHistory *) op);
}

void
cz_store_sqlite_login_secret (CzStoreBackend *backend, CzStoreOp *op)
{
  login_secret ((CzStoreSqlite *) backend, (CzStoreLoginSecret *) op);
}
