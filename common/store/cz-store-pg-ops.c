/* cz-store-pg-ops.c: the PostgreSQL backend's prepared statements, its
 * user id cache, its notices and what each kind of operation does inside
 * the batch's transaction.  Store thread only.
 *
 * In PostgreSQL a failed statement aborts the whole transaction, so each
 * operation writes with one statement that cannot fail on the data
 * (ON CONFLICT DO NOTHING, one UPDATE ... RETURNING per receipt): an
 * operation fails alone by writing nothing, and a statement that does
 * fail (the server gone) fails the batch, which then acknowledges
 * nothing. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-protocol.h"
#include "cz-store-pg-private.h"
#include "cz-error.h"
#include "cz-util.h"

#define MSG_COLUMNS \
  "m.id, m.ts, s.name AS sender_name, r.name AS recipient_name, m.text, " \
  "m.delivered_ts IS NOT NULL AS delivered, m.read_ts IS NOT NULL AS read "
#define MSG_FROM \
  "FROM messages m JOIN users s ON s.id = m.sender " \
  "LEFT JOIN users r ON r.id = m.recipient "
/* MARK_*: the rows one UPDATE changed, as records, in the order asked. */
#define MARKED_ROWS(delivered, read) \
  "SELECT u.id, u.ts, s.name, r.name, u.text, " delivered ", " read " " \
  "FROM u JOIN users s ON s.id = u.sender LEFT JOIN users r ON r.id = u.recipient " \
  "ORDER BY array_position ($2::bigint[], u.id)"

/* At most this many ids per NOTIFY (the payload is < 8000 bytes). */
#define NOTIFY_IDS_MAX 300

static const char * const stmt_sql[PG_N_STMTS] = {
  [PG_USER_ID] = "SELECT id FROM users WHERE name = $1",
  [PG_GET_USER] = "SELECT salt, iterations, stored_key, server_key FROM users WHERE name = $1",
  [PG_ADD_USER] =
    "INSERT INTO users (name, salt, iterations, stored_key, server_key, created) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING id",
  /* A resend racing its first copy on another node writes nothing. */
  [PG_SAVE_MESSAGE] =
    "INSERT INTO messages (ts, sender, recipient, text, txn) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (sender, txn) WHERE txn IS NOT NULL DO NOTHING RETURNING id",
  [PG_FIND_TXN] = "SELECT id, ts FROM messages WHERE sender = $1 AND txn = $2",
  [PG_MARK_DELIVERED] =
    "WITH u AS (UPDATE messages SET delivered_ts = $1 "
    " WHERE id = ANY ($2::bigint[]) AND recipient = $3 AND delivered_ts IS NULL "
    " RETURNING id, ts, sender, recipient, text, read_ts) "
    MARKED_ROWS ("true", "u.read_ts IS NOT NULL"),
  [PG_MARK_READ] =
    "WITH u AS (UPDATE messages SET read_ts = $1, delivered_ts = coalesce (delivered_ts, $1) "
    " WHERE id = ANY ($2::bigint[]) AND recipient = $3 AND read_ts IS NULL "
    " RETURNING id, ts, sender, recipient, text) "
    MARKED_ROWS ("true", "true"),
  [PG_PENDING] =
    "SELECT " MSG_COLUMNS MSG_FROM
    "WHERE m.recipient = $1 AND m.delivered_ts IS NULL AND m.id > $3 ORDER BY m.id LIMIT $2",
  /* Counts up to the cap only ($2; NULL = all). */
  [PG_COUNT_PENDING] =
    "SELECT count(*) FROM (SELECT 1 FROM messages "
    " WHERE recipient = $1 AND delivered_ts IS NULL LIMIT $2) p",
  [PG_HISTORY_DIRECT] =
    "SELECT * FROM ("
    " (SELECT " MSG_COLUMNS MSG_FROM
    "  WHERE m.sender = $1 AND m.recipient = $2 AND m.id < $3 ORDER BY m.id DESC LIMIT $4)"
    " UNION ALL"
    " (SELECT " MSG_COLUMNS MSG_FROM
    "  WHERE m.sender = $2 AND m.recipient = $1 AND $1 <> $2 AND m.id < $3"
    "  ORDER BY m.id DESC LIMIT $4)"
    " ORDER BY 1 DESC LIMIT $4) h ORDER BY 1",
  [PG_HISTORY_LOBBY] =
    "SELECT * FROM (SELECT " MSG_COLUMNS MSG_FROM
    " WHERE m.recipient IS NULL AND m.id < $1 ORDER BY m.id DESC LIMIT $2) h ORDER BY 1",
  [PG_SECRET_INSERT] = "INSERT INTO login_secret (id, secret) VALUES (1, $1) ON CONFLICT DO NOTHING",
  [PG_SECRET_GET] = "SELECT secret FROM login_secret WHERE id = 1",
  [PG_ITERATIONS] =
    "SELECT DISTINCT iterations FROM users WHERE iterations IS NOT NULL ORDER BY iterations",
  [PG_NOTIFY] = "SELECT pg_notify ($1, $2)",
};

void
cz_pg_receipt_free (CzPgReceipt *receipt)
{
  if (receipt == NULL)
    return;
  g_free (receipt->reader);
  g_array_unref (receipt->ids);
  g_free (receipt);
}

/* ---- Errors ---------------------------------------------------------- */

static gboolean
op_fail_res (CzStorePg *self, CzStoreOp *op, const PGresult *res)
{
  if (op->error == NULL)
    cz_store_pg_set_error (self, &op->error, res, op->kind == CZ_STORE_OP_SAVE_MESSAGE);
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

gboolean
cz_store_pg_needs_savepoint (const CzStoreOp *op)
{
  return FALSE;   /* every operation writes with one statement */
}

/* ---- Statements ------------------------------------------------------ */

gboolean
cz_store_pg_prepare_statements (CzStorePg *self, GError **error)
{
  for (guint i = 0; i < PG_N_STMTS; i++)
    {
      g_autofree char *name = g_strdup_printf ("cz%u", i);
      PGresult *res = PQprepare (self->conn, name, stmt_sql[i], 0, NULL);
      gboolean ok = PQresultStatus (res) == PGRES_COMMAND_OK;

      if (!ok)
        cz_store_pg_set_error (self, error, res, FALSE);
      PQclear (res);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

PGresult *
cz_store_pg_exec (CzStorePg *self, CzPgStmt id, int n, const char *const *values,
                  const int *lengths, const int *formats)
{
  static const char * const names[] = {
    "cz0", "cz1", "cz2", "cz3", "cz4", "cz5", "cz6", "cz7", "cz8", "cz9", "cz10", "cz11",
    "cz12", "cz13", "cz14",
  };
  G_STATIC_ASSERT (G_N_ELEMENTS (names) == PG_N_STMTS);

  return PQexecPrepared (self->conn, names[id], n, values, lengths, formats, 0);
}

#define INT64_TEXT 24

static const char *
int64_text (char buf[INT64_TEXT], gint64 v)
{
  g_snprintf (buf, INT64_TEXT, "%" G_GINT64_FORMAT, v);
  return buf;
}

static gint64
value_int64 (const PGresult *res, int row, int col)
{
  return g_ascii_strtoll (PQgetvalue (res, row, col), NULL, 10);
}

static gboolean
value_bool (const PGresult *res, int row, int col)
{
  return PQgetvalue (res, row, col)[0] == 't';
}

static char *
value_strdup (const PGresult *res, int row, int col)
{
  return PQgetisnull (res, row, col) ? NULL : g_strdup (PQgetvalue (res, row, col));
}

/* A bytea column (text format: \x hex) as bytes of exactly @want (0 =
 * any, non-empty) length, or NULL. */
static GBytes *
value_bytes (const PGresult *res, int row, int col, gsize want)
{
  size_t len = 0;
  unsigned char *raw;
  GBytes *bytes = NULL;

  if (PQgetisnull (res, row, col))
    return NULL;
  raw = PQunescapeBytea ((const unsigned char *) PQgetvalue (res, row, col), &len);
  if (raw != NULL && len > 0 && (want == 0 || len == want))
    bytes = g_bytes_new (raw, len);
  if (raw != NULL)
    {
      memset (raw, 0, len);
      PQfreemem (raw);
    }
  return bytes;
}

/* Appends the rows of @res (MSG_COLUMNS) to @records. */
static void
collect_messages (const PGresult *res, GPtrArray *records)
{
  for (int i = 0; i < PQntuples (res); i++)
    {
      CzMessageRecord *rec = g_new0 (CzMessageRecord, 1);

      rec->id = value_int64 (res, i, 0);
      rec->ts = value_int64 (res, i, 1);
      rec->from = value_strdup (res, i, 2);
      rec->to = value_strdup (res, i, 3);
      rec->text = value_strdup (res, i, 4);
      rec->delivered = value_bool (res, i, 5);
      rec->read = value_bool (res, i, 6);
      g_ptr_array_add (records, rec);
    }
}

/* Runs a query statement into @records; FALSE with op->error. */
static gboolean
query_messages (CzStorePg *self, CzStoreOp *op, CzPgStmt id, int n, const char *const *values,
                GPtrArray *records)
{
  PGresult *res = cz_store_pg_exec (self, id, n, values, NULL, NULL);
  gboolean ok = PQresultStatus (res) == PGRES_TUPLES_OK;

  if (ok)
    collect_messages (res, records);
  else
    op_fail_res (self, op, res);
  PQclear (res);
  return ok;
}

/* ---- User id cache --------------------------------------------------- */

/* Users are never deleted nor renamed (on any node), so a name's id only
 * changes when the transaction that added it does not commit. */
#define USER_CACHE_MAX 65536

void
cz_store_pg_user_cache_clear (CzStorePg *self)
{
  if (self->user_ids != NULL)
    g_hash_table_remove_all (self->user_ids);
}

static void
user_cache_add (CzStorePg *self, const char *name, gint64 id)
{
  if (g_hash_table_size (self->user_ids) >= USER_CACHE_MAX)
    g_hash_table_remove_all (self->user_ids);
  g_hash_table_replace (self->user_ids, g_strdup (name), GSIZE_TO_POINTER ((gsize) id));
}

static gboolean
require_user (CzStorePg *self, CzStoreOp *op, const char *name, gint64 *id)
{
  gpointer cached;
  PGresult *res;
  gboolean ok;

  if (name == NULL)
    return op_fail (op, CZ_ERROR_NO_SUCH_USER, _("no such user: %s"), "");
  if (g_hash_table_lookup_extended (self->user_ids, name, NULL, &cached))
    {
      *id = (gint64) GPOINTER_TO_SIZE (cached);
      return TRUE;
    }
  res = cz_store_pg_exec (self, PG_USER_ID, 1, &name, NULL, NULL);
  ok = PQresultStatus (res) == PGRES_TUPLES_OK;
  if (!ok)
    op_fail_res (self, op, res);
  else if (PQntuples (res) == 0)
    ok = op_fail (op, CZ_ERROR_NO_SUCH_USER, _("no such user: %s"), name);
  else
    {
      *id = value_int64 (res, 0, 0);
      user_cache_add (self, name, *id);
    }
  PQclear (res);
  return ok;
}

/* ---- Notices --------------------------------------------------------- */

void
cz_store_pg_forget_changes (CzStorePg *self)
{
  g_array_set_size (self->new_ids, 0);
  g_ptr_array_set_size (self->receipts, 0);
}

static gboolean
notify_ids (CzStorePg *self, const char *kind, const char *reader, const GArray *ids,
            GError **error)
{
  for (guint from = 0; from < ids->len; from += NOTIFY_IDS_MAX)
    {
      guint n = MIN (ids->len - from, NOTIFY_IDS_MAX);
      g_autoptr(GVariant) v =
        g_variant_ref_sink (g_variant_new ("(sss@ax)", cz_store_pg_node_id (), kind, reader,
                                           g_variant_new_fixed_array (G_VARIANT_TYPE_INT64,
                                                                      &g_array_index (ids, gint64, from),
                                                                      n, sizeof (gint64))));
      g_autofree char *payload = g_variant_print (v, FALSE);
      const char *values[] = { CZ_STORE_PG_CHANNEL, payload };
      PGresult *res = cz_store_pg_exec (self, PG_NOTIFY, 2, values, NULL, NULL);
      gboolean ok = PQresultStatus (res) == PGRES_TUPLES_OK;

      if (!ok)
        cz_store_pg_set_error (self, error, res, TRUE);
      PQclear (res);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

gboolean
cz_store_pg_notify_batch (CzStorePg *self, GError **error)
{
  gboolean ok = notify_ids (self, "m", "", self->new_ids, error);

  for (guint i = 0; ok && i < self->receipts->len; i++)
    {
      CzPgReceipt *r = self->receipts->pdata[i];

      ok = notify_ids (self, r->read ? "r" : "d", r->reader, r->ids, error);
    }
  return ok;
}

/* ---- Operations ------------------------------------------------------ */

static gboolean
get_user (CzStorePg *self, CzStoreGetUser *op)
{
  const char *values[] = { op->user };
  PGresult *res;
  g_autoptr(GBytes) salt = NULL;
  g_autoptr(GBytes) stored = NULL;
  g_autoptr(GBytes) server = NULL;
  gint64 iterations;

  if (op->user == NULL)
    return op_fail (&op->op, CZ_ERROR_NO_SUCH_USER, _("no such user: %s"), "");
  res = cz_store_pg_exec (self, PG_GET_USER, 1, values, NULL, NULL);
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    {
      op_fail_res (self, &op->op, res);
      PQclear (res);
      return FALSE;
    }
  if (PQntuples (res) == 0)
    {
      PQclear (res);
      return op_fail (&op->op, CZ_ERROR_NO_SUCH_USER, _("no such user: %s"), op->user);
    }
  salt = value_bytes (res, 0, 0, 0);
  stored = value_bytes (res, 0, 2, 32);
  server = value_bytes (res, 0, 3, 32);
  iterations = PQgetisnull (res, 0, 1) ? 0 : value_int64 (res, 0, 1);
  PQclear (res);
  if (salt == NULL || stored == NULL || server == NULL ||
      iterations < CZ_SCRAM_MIN_ITERATIONS || iterations > CZ_SCRAM_MAX_ITERATIONS)
    return op_fail (&op->op, CZ_ERROR_STORE, _("the account %s is damaged in %s"),
                    op->user, self->display_name);

  op->creds.salt = g_steal_pointer (&salt);
  op->creds.iterations = (guint) iterations;
  memcpy (op->creds.stored_key, g_bytes_get_data (stored, NULL), 32);
  memcpy (op->creds.server_key, g_bytes_get_data (server, NULL), 32);
  return TRUE;
}

static gboolean
add_user (CzStorePg *self, CzStoreAddUser *op)
{
  char it[INT64_TEXT], created[INT64_TEXT];
  const char *values[6];
  int lengths[6] = { 0 };
  int formats[6] = { 0, 1, 0, 1, 1, 0 };
  gsize salt_len = 0;
  const guint8 *salt;
  PGresult *res;
  gboolean ok;

  if (op->user == NULL || !cz_user_name_valid (op->user))
    return op_fail (&op->op, CZ_ERROR_BAD_NAME, _("“%s” is not a valid user name"),
                    op->user != NULL ? op->user : "");
  salt = op->creds.salt != NULL ? g_bytes_get_data (op->creds.salt, &salt_len) : NULL;
  if (salt_len == 0 || op->creds.iterations < CZ_SCRAM_MIN_ITERATIONS ||
      op->creds.iterations > CZ_SCRAM_MAX_ITERATIONS)
    return op_fail (&op->op, CZ_ERROR_INVALID, _("the account keys are incomplete"));

  values[0] = op->user;
  values[1] = (const char *) salt, lengths[1] = (int) salt_len;
  values[2] = int64_text (it, op->creds.iterations);
  values[3] = (const char *) op->creds.stored_key, lengths[3] = 32;
  values[4] = (const char *) op->creds.server_key, lengths[4] = 32;
  values[5] = int64_text (created, cz_now_ms ());
  res = cz_store_pg_exec (self, PG_ADD_USER, 6, values, lengths, formats);
  ok = PQresultStatus (res) == PGRES_TUPLES_OK;
  if (!ok)
    op_fail_res (self, &op->op, res);
  else if (PQntuples (res) == 0)
    ok = op_fail (&op->op, CZ_ERROR_USER_EXISTS, _("the user %s already exists"), op->user);
  else
    /* Not committed yet: dropped if the batch is not (forget_batch). */
    user_cache_add (self, op->user, value_int64 (res, 0, 0));
  PQclear (res);
  return ok;
}

static gboolean
count_pending (CzStorePg *self, CzStoreOp *op, gint64 recipient, guint cap, guint64 *count)
{
  char id[INT64_TEXT], limit[INT64_TEXT];
  const char *values[] = { int64_text (id, recipient), cap > 0 ? int64_text (limit, cap) : NULL };
  PGresult *res = cz_store_pg_exec (self, PG_COUNT_PENDING, 2, values, NULL, NULL);
  gboolean ok = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1;

  if (ok)
    *count = (guint64) value_int64 (res, 0, 0);
  else
    op_fail_res (self, op, res);
  PQclear (res);
  return ok;
}

static gboolean
find_txn (CzStorePg *self, CzStoreSaveMessage *op, const char *sender, gboolean *found)
{
  const char *values[] = { sender, op->txn };
  PGresult *res = cz_store_pg_exec (self, PG_FIND_TXN, 2, values, NULL, NULL);
  gboolean ok = PQresultStatus (res) == PGRES_TUPLES_OK;

  *found = ok && PQntuples (res) > 0;
  if (*found)
    {
      op->id = value_int64 (res, 0, 0);
      op->ts = value_int64 (res, 0, 1);
      op->duplicate = TRUE;
    }
  else if (!ok)
    op_fail_res (self, &op->op, res);
  PQclear (res);
  return ok;
}

static gboolean
save_message (CzStorePg *self, CzStoreSaveMessage *op)
{
  char ts[INT64_TEXT], sender_id[INT64_TEXT], recipient_id[INT64_TEXT];
  gint64 sender, recipient = 0;
  const char *values[5];
  gboolean found;
  PGresult *res;
  gboolean ok;

  if (op->text == NULL)
    return op_fail (&op->op, CZ_ERROR_INVALID, _("the message has no text"));
  if (!require_user (self, &op->op, op->sender, &sender) ||
      (op->to != NULL && !require_user (self, &op->op, op->to, &recipient)))
    return FALSE;
  if (op->ts == 0)
    op->ts = cz_now_ms ();
  int64_text (sender_id, sender);

  if (op->txn != NULL)
    {
      /* A resend (the first one's ack was lost with the connection). */
      if (!find_txn (self, op, sender_id, &found))
        return FALSE;
      if (found)
        return TRUE;
    }

  if (op->to != NULL && op->max_pending > 0)
    {
      guint64 waiting;

      if (!count_pending (self, &op->op, recipient, op->max_pending, &waiting))
        return FALSE;
      if (waiting >= op->max_pending)
        return op_fail (&op->op, CZ_ERROR_MAILBOX_FULL,
                        _("%s has %u messages waiting already: try again once they have read some"),
                        op->to, op->max_pending);
    }

  values[0] = int64_text (ts, op->ts);
  values[1] = sender_id;
  values[2] = op->to != NULL ? int64_text (recipient_id, recipient) : NULL;
  values[3] = op->text;
  values[4] = op->txn;
  res = cz_store_pg_exec (self, PG_SAVE_MESSAGE, 5, values, NULL, NULL);
  ok = PQresultStatus (res) == PGRES_TUPLES_OK;
  if (!ok)
    op_fail_res (self, &op->op, res);
  else if (PQntuples (res) == 1)
    {
      op->id = value_int64 (res, 0, 0);
      g_array_append_val (self->new_ids, op->id);
    }
  PQclear (res);
  if (ok && op->id == 0)
    {
      /* Its first copy committed on another node meanwhile. */
      ok = find_txn (self, op, sender_id, &found);
      if (ok && !found)
        ok = op_fail (&op->op, CZ_ERROR_STORE, _("database error on %s: %s"),
                      self->display_name, "txn");
    }
  return ok;
}

static char *
ids_text (const GArray *ids)
{
  GString *s = g_string_new ("{");

  for (guint i = 0; ids != NULL && i < ids->len; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "",
                            g_array_index (ids, gint64, i));
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

static gboolean
mark (CzStorePg *self, CzStoreMark *op)
{
  gboolean read = op->op.kind == CZ_STORE_OP_MARK_READ;
  char ts[INT64_TEXT], reader_id[INT64_TEXT];
  g_autofree char *ids = NULL;
  const char *values[3];
  gint64 reader;

  if (!require_user (self, &op->op, op->reader, &reader))
    return FALSE;
  if (op->ids == NULL || op->ids->len == 0)
    return TRUE;
  ids = ids_text (op->ids);
  values[0] = int64_text (ts, op->ts > 0 ? op->ts : cz_now_ms ());
  values[1] = ids;
  values[2] = int64_text (reader_id, reader);
  if (!query_messages (self, &op->op, read ? PG_MARK_READ : PG_MARK_DELIVERED, 3, values,
                       op->changed))
    return FALSE;
  if (op->changed->len > 0)
    {
      CzPgReceipt *r = g_new0 (CzPgReceipt, 1);

      r->reader = g_strdup (op->reader);
      r->read = read;
      r->ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), op->changed->len);
      for (guint i = 0; i < op->changed->len; i++)
        g_array_append_val (r->ids, ((CzMessageRecord *) op->changed->pdata[i])->id);
      g_ptr_array_add (self->receipts, r);
    }
  return TRUE;
}

static gboolean
pending (CzStorePg *self, CzStorePending *op)
{
  char id[INT64_TEXT], limit[INT64_TEXT], after[INT64_TEXT];
  const char *values[3];
  gint64 recipient;

  if (!require_user (self, &op->op, op->recipient, &recipient))
    return FALSE;
  values[0] = int64_text (id, recipient);
  values[1] = op->limit > 0 ? int64_text (limit, op->limit) : NULL;
  values[2] = int64_text (after, MAX (op->after_id, 0));
  return query_messages (self, &op->op, PG_PENDING, 3, values, op->messages);
}

static gboolean
count_pending_op (CzStorePg *self, CzStoreCountPending *op)
{
  gint64 recipient;

  if (!require_user (self, &op->op, op->recipient, &recipient))
    return FALSE;
  return count_pending (self, &op->op, recipient, 0, &op->count);
}

static gboolean
history (CzStorePg *self, CzStoreHistory *op)
{
  char before[INT64_TEXT], limit[INT64_TEXT], me_id[INT64_TEXT], peer_id[INT64_TEXT];
  guint n = op->limit > 0 ? MIN (op->limit, CZ_HISTORY_MAX) : CZ_HISTORY_MAX;
  gint64 me, peer;

  int64_text (before, op->before > 0 ? op->before : G_MAXINT64);
  int64_text (limit, n);
  if (op->with == NULL)
    {
      const char *values[] = { before, limit };

      return query_messages (self, &op->op, PG_HISTORY_LOBBY, 2, values, op->messages);
    }
  if (!require_user (self, &op->op, op->user, &me) || !require_user (self, &op->op, op->with, &peer))
    return FALSE;
  {
    const char *values[] = { int64_text (me_id, me), int64_text (peer_id, peer), before, limit };

    return query_messages (self, &op->op, PG_HISTORY_DIRECT, 4, values, op->messages);
  }
}

static gboolean
login_secret (CzStorePg *self, CzStoreLoginSecret *op)
{
  const char *values[] = { (const char *) op->fresh };
  int lengths[] = { sizeof op->fresh };
  int formats[] = { 1 };
  g_autoptr(GBytes) secret = NULL;
  PGresult *res;

  res = cz_store_pg_exec (self, PG_SECRET_INSERT, 1, values, lengths, formats);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    goto fail;
  PQclear (res);

  res = cz_store_pg_exec (self, PG_SECRET_GET, 0, NULL, NULL, NULL);
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    goto fail;
  secret = PQntuples (res) == 1 ? value_bytes (res, 0, 0, 32) : NULL;
  PQclear (res);
  if (secret == NULL)
    return op_fail (&op->op, CZ_ERROR_STORE, _("the login secret is damaged in %s"),
                    self->display_name);
  memcpy (op->secret, g_bytes_get_data (secret, NULL), 32);

  res = cz_store_pg_exec (self, PG_ITERATIONS, 0, NULL, NULL, NULL);
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    goto fail;
  op->iterations = g_array_new (FALSE, FALSE, sizeof (guint));
  for (int i = 0; i < PQntuples (res); i++)
    {
      gint64 n = value_int64 (res, i, 0);
      guint it = (guint) n;

      if (n >= CZ_SCRAM_MIN_ITERATIONS && n <= CZ_SCRAM_MAX_ITERATIONS)
        g_array_append_val (op->iterations, it);
    }
  PQclear (res);
  return TRUE;

fail:
  op_fail_res (self, &op->op, res);
  PQclear (res);
  return FALSE;
}

/* ---- The backend's functions ----------------------------------------- */

void
cz_store_pg_get_user (CzStoreBackend *backend, CzStoreOp *op)
{
  get_user ((CzStorePg *) backend, (CzStoreGetUser *) op);
}

void
cz_store_pg_add_user (CzStoreBackend *backend, CzStoreOp *op)
{
  add_user ((CzStorePg *) backend, (CzStoreAddUser *) op);
}

void
cz_store_pg_save_message (CzStoreBackend *backend, CzStoreOp *op)
{
  save_message ((CzStorePg *) backend, (CzStoreSaveMessage *) op);
}

void
cz_store_pg_mark (CzStoreBackend *backend, CzStoreOp *op)
{
  mark ((CzStorePg *) backend, (CzStoreMark *) op);
}

void
cz_store_pg_pending (CzStoreBackend *backend, CzStoreOp *op)
{
  pending ((CzStorePg *) backend, (CzStorePending *) op);
}

void
cz_store_pg_count_pending (CzStoreBackend *backend, CzStoreOp *op)
{
  count_pending_op ((CzStorePg *) backend, (CzStoreCountPending *) op);
}

void
cz_store_pg_history (CzStoreBackend *backend, CzStoreOp *op)
{
  history ((CzStorePg *) backend, (CzStoreHistory *) op);
}

void
cz_store_pg_login_secret (CzStoreBackend *backend, CzStoreOp *op)
{
  login_secret ((CzStorePg *) backend, (CzStoreLoginSecret *) op);
}
