#include "config.h"

#include "cz-store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "cz-error.h"
#include "cz-util.h"

/* PRAGMA application_id of a Causerie database: "Czdb". */
#define CZ_STORE_APPLICATION_ID 0x437a6462

/* Schema migrations: migrations[v] takes a database from user_version v to
 * v + 1.  Append; never edit a step that has shipped. */
static const char * const migrations[] = {
  /* v0 -> v1 */
  "CREATE TABLE users ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT UNIQUE NOT NULL,"
  "  salt BLOB,"
  "  iterations INTEGER,"
  "  stored_key BLOB,"
  "  server_key BLOB,"
  "  created INTEGER);"
  "CREATE TABLE messages ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  ts INTEGER NOT NULL,"
  "  sender INTEGER NOT NULL REFERENCES users(id),"
  "  recipient INTEGER REFERENCES users(id),"   /* NULL = lobby */
  "  text TEXT NOT NULL,"
  "  delivered_ts INTEGER,"
  "  read_ts INTEGER);"
  "CREATE INDEX messages_pending ON messages (recipient, delivered_ts);"
  "CREATE INDEX messages_direct ON messages (sender, recipient, id);"
  "CREATE INDEX messages_recipient ON messages (recipient, id);",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == CZ_STORE_SCHEMA_VERSION);

typedef enum {
  STMT_BEGIN_WRITE,
  STMT_BEGIN_READ,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_SAVEPOINT,
  STMT_RELEASE,
  STMT_ROLLBACK_TO,
  STMT_USER_ID,
  STMT_GET_USER,
  STMT_ADD_USER,
  STMT_SAVE_MESSAGE,
  STMT_MARK_DELIVERED,
  STMT_MARK_READ,
  STMT_PENDING,
  STMT_HISTORY_DIRECT,
  STMT_HISTORY_LOBBY,
  N_STMTS
} StmtId;

#define MSG_COLUMNS \
  "m.id, m.ts, s.name, r.name, m.text, " \
  "m.delivered_ts IS NOT NULL, m.read_ts IS NOT NULL "
#define MSG_FROM \
  "FROM messages m JOIN users s ON s.id = m.sender " \
  "LEFT JOIN users r ON r.id = m.recipient "
/* Same columns as MSG_COLUMNS; ?4 is the reader. */
#define MARK_RETURNING \
  "RETURNING id, ts, (SELECT name FROM users WHERE users.id = sender), ?4, text, " \
  "delivered_ts IS NOT NULL, read_ts IS NOT NULL"

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
    "INSERT INTO messages (ts, sender, recipient, text) VALUES (?1, ?2, ?3, ?4)",
  [STMT_MARK_DELIVERED] =
    "UPDATE messages SET delivered_ts = ?1 "
    "WHERE id = ?2 AND recipient = ?3 AND delivered_ts IS NULL " MARK_RETURNING,
  [STMT_MARK_READ] =
    "UPDATE messages SET read_ts = ?1, delivered_ts = coalesce (delivered_ts, ?1) "
    "WHERE id = ?2 AND recipient = ?3 AND read_ts IS NULL " MARK_RETURNING,
  [STMT_PENDING] =
    "SELECT " MSG_COLUMNS MSG_FROM
    "WHERE m.recipient = ?1 AND m.delivered_ts IS NULL ORDER BY m.id LIMIT ?2",
  /* Each direction walks its own index range newest first. */
  [STMT_HISTORY_DIRECT] =
    "SELECT * FROM ("
    " SELECT * FROM (SELECT " MSG_COLUMNS MSG_FROM
    "  WHERE m.sender = ?1 AND m.recipient = ?2 AND m.id < ?3"
    "  ORDER BY m.id DESC LIMIT ?4)"
    " UNION ALL"
    " SELECT * FROM (SELECT " MSG_COLUMNS MSG_FROM
    "  WHERE m.sender = ?2 AND m.recipient = ?1 AND ?1 <> ?2 AND m.id < ?3"
    "  ORDER BY m.id DESC LIMIT ?4)"
    " ORDER BY 1 DESC LIMIT ?4) ORDER BY 1",
  [STMT_HISTORY_LOBBY] =
    "SELECT * FROM (SELECT " MSG_COLUMNS MSG_FROM
    " WHERE m.recipient IS NULL AND m.id < ?1 ORDER BY m.id DESC LIMIT ?2)"
    " ORDER BY 1",
};

struct _CzStore {
  GObject parent_instance;

  char *path;
  char *display_name;
  sqlite3 *db;                 /* store thread only */
  sqlite3_stmt *stmts[N_STMTS];

  GMutex mutex;
  GCond wake_cond;             /* queue not empty, or closing */
  GCond done_cond;             /* open finished, a synchronous op finished */
  GQueue queue;
  GThread *thread;
  gboolean closing;
  gboolean open_done;
  GError *open_error;

  gint batch_count;            /* atomic */
};

G_DEFINE_FINAL_TYPE (CzStore, cz_store, G_TYPE_OBJECT)

/* ---- Errors ---------------------------------------------------------- */

/* The one place SQLite result codes become GErrors.  @saving_message picks
 * the words for a full disk. */
static void
store_set_error (CzStore *self, GError **error, int rc, gboolean saving_message)
{
  const char *name = self->display_name;
  const char *detail = self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);
  g_autofree char *msg = NULL;

  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      msg = g_strdup (_("the database is locked by another program"));
      break;
    case SQLITE_FULL:
      msg = g_strdup (saving_message ? _("the disk is full: the message was not saved")
                                     : _("the disk is full: the change was not saved"));
      break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      msg = g_strdup_printf (_("%s is not a Causerie database or is corrupt"), name);
      break;
    case SQLITE_READONLY:
      msg = g_strdup_printf (_("%s is read-only: check the permissions of the file and its folder"),
                             name);
      break;
    case SQLITE_CANTOPEN:
      msg = g_strdup_printf (_("%s cannot be opened: check that its folder exists and is writable"),
                             name);
      break;
    case SQLITE_PERM:
    case SQLITE_AUTH:
      msg = g_strdup_printf (_("permission denied on %s"), name);
      break;
    case SQLITE_IOERR:
      msg = g_strdup_printf (_("input/output error on %s (%s)"), name, detail);
      break;
    case SQLITE_NOMEM:
      msg = g_strdup (_("out of memory"));
      break;
    case SQLITE_CONSTRAINT:
      msg = g_strdup_printf (_("the change conflicts with the data in %s (%s)"), name, detail);
      break;
    default:
      msg = g_strdup_printf (_("database error on %s: %s"), name, detail);
      break;
    }

  g_set_error_literal (error, CZ_ERROR, CZ_ERROR_STORE, msg);
}

/* Sets op->error (unless already set) and returns FALSE. */
static gboolean
op_fail_sqlite (CzStore *self, CzStoreOp *op, int rc)
{
  if (op->error == NULL)
    store_set_error (self, &op->error, rc, op->kind == CZ_STORE_OP_SAVE_MESSAGE);
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

/* ---- Records and ops ------------------------------------------------- */

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

CzStoreOp *
cz_store_op_new (CzStoreOpKind kind)
{
  CzStoreOp *op = g_new0 (CzStoreOp, 1);

  op->kind = kind;
  return op;
}

static void
op_clear_outputs (CzStoreOp *op)
{
  g_clear_error (&op->error);
  op->id = 0;
  g_clear_pointer (&op->messages, g_ptr_array_unref);
  if (op->kind == CZ_STORE_OP_GET_USER)
    cz_scram_credentials_clear (&op->creds);
}

void
cz_store_op_free (CzStoreOp *op)
{
  if (op == NULL)
    return;

  op_clear_outputs (op);
  g_free (op->user);
  g_free (op->peer);
  g_free (op->text);
  g_clear_pointer (&op->ids, g_array_unref);
  cz_scram_credentials_clear (&op->creds);
  g_free (op);
}

static gboolean
op_is_write (const CzStoreOp *op)
{
  return op->kind == CZ_STORE_OP_ADD_USER || op->kind == CZ_STORE_OP_SAVE_MESSAGE ||
         op->kind == CZ_STORE_OP_MARK_DELIVERED || op->kind == CZ_STORE_OP_MARK_READ;
}

/* ---- Statements (store thread) --------------------------------------- */

/* A statement in use; reset and unbound when it goes out of scope. */
typedef sqlite3_stmt CzStmtInUse;

static void
stmt_release (CzStmtInUse *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzStmtInUse, stmt_release)

static CzStmtInUse *
stmt_get (CzStore *self, StmtId id)
{
  stmt_release (self->stmts[id]);
  return self->stmts[id];
}

static int
step_simple (CzStore *self, StmtId id)
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

/* Looks user @name up; FALSE with CZ_ERROR_NO_SUCH_USER when unknown. */
static gboolean
require_user (CzStore *self, CzStoreOp *op, const char *name, gint64 *id)
{
  g_autoptr(CzStmtInUse) stmt = stmt_get (self, STMT_USER_ID);
  int rc;

  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = name != NULL ? sqlite3_step (stmt) : SQLITE_DONE;
  if (rc == SQLITE_DONE)
    return op_fail (op, CZ_ERROR_NO_SUCH_USER, _("no such user: %s"), name ? name : "");
  if (rc != SQLITE_ROW)
    return op_fail_sqlite (self, op, rc);

  *id = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/* Appends the rows of @stmt (MSG_COLUMNS) to op->messages. */
static gboolean
collect_messages (CzStore *self, CzStoreOp *op, sqlite3_stmt *stmt)
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
      g_ptr_array_add (op->messages, rec);
    }

  return rc == SQLITE_DONE || op_fail_sqlite (self, op, rc);
}

/* ---- Operations (store thread) --------------------------------------- */

static gboolean
do_get_user (CzStore *self, CzStoreOp *op)
{
  g_autoptr(CzStmtInUse) stmt = stmt_get (self, STMT_GET_USER);
  gint64 iterations;
  int rc;

  sqlite3_bind_text (stmt, 1, op->user, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return op_fail (op, CZ_ERROR_NO_SUCH_USER, _("no such user: %s"), op->user);
  if (rc != SQLITE_ROW)
    return op_fail_sqlite (self, op, rc);

  iterations = sqlite3_column_int64 (stmt, 1);
  if (sqlite3_column_bytes (stmt, 0) == 0 ||
      sqlite3_column_bytes (stmt, 2) != 32 || sqlite3_column_bytes (stmt, 3) != 32 ||
      iterations < CZ_SCRAM_MIN_ITERATIONS || iterations > CZ_SCRAM_MAX_ITERATIONS)
    return op_fail (op, CZ_ERROR_STORE, _("the account %s is damaged in %s"),
                    op->user, self->display_name);

  op->creds.salt = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
  op->creds.iterations = (guint) iterations;
  memcpy (op->creds.stored_key, sqlite3_column_blob (stmt, 2), 32);
  memcpy (op->creds.server_key, sqlite3_column_blob (stmt, 3), 32);
  return TRUE;
}

static gboolean
do_add_user (CzStore *self, CzStoreOp *op)
{
  g_autoptr(CzStmtInUse) stmt = NULL;
  gsize salt_len = 0;
  const guint8 *salt;
  int rc;

  if (op->user == NULL || !cz_user_name_valid (op->user))
    return op_fail (op, CZ_ERROR_BAD_NAME, _("“%s” is not a valid user name"),
                    op->user != NULL ? op->user : "");
  salt = op->creds.salt != NULL ? g_bytes_get_data (op->creds.salt, &salt_len) : NULL;
  if (salt_len == 0 || op->creds.iterations < CZ_SCRAM_MIN_ITERATIONS ||
      op->creds.iterations > CZ_SCRAM_MAX_ITERATIONS)
    return op_fail (op, CZ_ERROR_INVALID, _("the account keys are incomplete"));

  stmt = stmt_get (self, STMT_ADD_USER);
  sqlite3_bind_text (stmt, 1, op->user, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 2, salt, salt_len, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, op->creds.iterations);
  sqlite3_bind_blob (stmt, 4, op->creds.stored_key, 32, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 5, op->creds.server_key, 32, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, cz_now_ms ());
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    return op_fail (op, CZ_ERROR_USER_EXISTS, _("the user %s already exists"), op->user);

  return rc == SQLITE_DONE || op_fail_sqlite (self, op, rc);
}

static gboolean
do_save_message (CzStore *self, CzStoreOp *op)
{
  g_autoptr(CzStmtInUse) stmt = NULL;
  gint64 sender, recipient = 0;
  int rc;

  if (op->text == NULL)
    return op_fail (op, CZ_ERROR_INVALID, _("the message has no text"));
  if (!require_user (self, op, op->user, &sender) ||
      (op->peer != NULL && !require_user (self, op, op->peer, &recipient)))
    return FALSE;
  if (op->ts == 0)
    op->ts = cz_now_ms ();

  stmt = stmt_get (self, STMT_SAVE_MESSAGE);
  sqlite3_bind_int64 (stmt, 1, op->ts);
  sqlite3_bind_int64 (stmt, 2, sender);
  if (op->peer != NULL)
    sqlite3_bind_int64 (stmt, 3, recipient);
  sqlite3_bind_text (stmt, 4, op->text, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    return op_fail_sqlite (self, op, rc);

  op->id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

/* MARK_*: the UPDATE returns the rows it changed, as message records. */
static gboolean
do_mark (CzStore *self, CzStoreOp *op)
{
  StmtId which = op->kind == CZ_STORE_OP_MARK_READ ? STMT_MARK_READ : STMT_MARK_DELIVERED;
  gint64 ts = op->ts > 0 ? op->ts : cz_now_ms ();
  gint64 reader;

  if (!require_user (self, op, op->user, &reader))
    return FALSE;

  for (guint i = 0; op->ids != NULL && i < op->ids->len; i++)
    {
      g_autoptr(CzStmtInUse) stmt = stmt_get (self, which);

      sqlite3_bind_int64 (stmt, 1, ts);
      sqlite3_bind_int64 (stmt, 2, g_array_index (op->ids, gint64, i));
      sqlite3_bind_int64 (stmt, 3, reader);
      sqlite3_bind_text (stmt, 4, op->user, -1, SQLITE_STATIC);
      if (!collect_messages (self, op, stmt))
        return FALSE;
    }

  return TRUE;
}

static gboolean
do_pending (CzStore *self, CzStoreOp *op)
{
  g_autoptr(CzStmtInUse) stmt = NULL;
  gint64 recipient;

  if (!require_user (self, op, op->user, &recipient))
    return FALSE;

  stmt = stmt_get (self, STMT_PENDING);
  sqlite3_bind_int64 (stmt, 1, recipient);
  sqlite3_bind_int64 (stmt, 2, op->limit > 0 ? (gint64) op->limit : -1);
  return collect_messages (self, op, stmt);
}

static gboolean
do_history (CzStore *self, CzStoreOp *op)
{
  g_autoptr(CzStmtInUse) stmt = NULL;
  gint64 before = op->before > 0 ? op->before : G_MAXINT64;
  guint limit = op->limit > 0 ? MIN (op->limit, CZ_STORE_HISTORY_MAX) : CZ_STORE_HISTORY_MAX;
  gint64 me, peer;

  if (op->peer == NULL)
    {
      stmt = stmt_get (self, STMT_HISTORY_LOBBY);
      sqlite3_bind_int64 (stmt, 1, before);
      sqlite3_bind_int64 (stmt, 2, limit);
      return collect_messages (self, op, stmt);
    }

  if (!require_user (self, op, op->user, &me) || !require_user (self, op, op->peer, &peer))
    return FALSE;

  stmt = stmt_get (self, STMT_HISTORY_DIRECT);
  sqlite3_bind_int64 (stmt, 1, me);
  sqlite3_bind_int64 (stmt, 2, peer);
  sqlite3_bind_int64 (stmt, 3, before);
  sqlite3_bind_int64 (stmt, 4, limit);
  return collect_messages (self, op, stmt);
}

static void
run_op (CzStore *self, CzStoreOp *op)
{
  gboolean write = op_is_write (op);
  int rc;

  op_clear_outputs (op);
  if (op->kind == CZ_STORE_OP_PENDING || op->kind == CZ_STORE_OP_HISTORY ||
      op->kind == CZ_STORE_OP_MARK_DELIVERED || op->kind == CZ_STORE_OP_MARK_READ)
    op->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_message_record_free);

  if (write && (rc = step_simple (self, STMT_SAVEPOINT)) != SQLITE_DONE)
    {
      op_fail_sqlite (self, op, rc);
      return;
    }

  switch (op->kind)
    {
    case CZ_STORE_OP_GET_USER: do_get_user (self, op); break;
    case CZ_STORE_OP_ADD_USER: do_add_user (self, op); break;
    case CZ_STORE_OP_SAVE_MESSAGE: do_save_message (self, op); break;
    case CZ_STORE_OP_MARK_DELIVERED:
    case CZ_STORE_OP_MARK_READ: do_mark (self, op); break;
    case CZ_STORE_OP_PENDING: do_pending (self, op); break;
    case CZ_STORE_OP_HISTORY: do_history (self, op); break;
    default:
      op_fail (op, CZ_ERROR_INVALID, _("unknown store operation %d"), (int) op->kind);
      break;
    }

  if (op->error != NULL && op->messages != NULL)
    g_ptr_array_set_size (op->messages, 0);
  if (!write)
    return;
  if (op->error != NULL)
    step_simple (self, STMT_ROLLBACK_TO);
  if ((rc = step_simple (self, STMT_RELEASE)) != SQLITE_DONE)
    op_fail_sqlite (self, op, rc);
}

/* One transaction for the whole batch; done callbacks after the COMMIT. */
static void
run_batch (CzStore *self, CzStoreOp **ops, guint n)
{
  g_autoptr(GError) batch_error = NULL;
  guint first_write = n, fail_from = 0;
  gboolean saving = FALSE;
  int rc;

  for (guint i = 0; i < n; i++)
    {
      if (op_is_write (ops[i]) && first_write == n)
        first_write = i;
      saving = saving || ops[i]->kind == CZ_STORE_OP_SAVE_MESSAGE;
    }

  rc = step_simple (self, first_write < n ? STMT_BEGIN_WRITE : STMT_BEGIN_READ);
  if (rc != SQLITE_DONE)
    store_set_error (self, &batch_error, rc, saving);

  for (guint i = 0; batch_error == NULL && i < n; i++)
    {
      run_op (self, ops[i]);
      /* After a full disk, an I/O error or no memory SQLite may roll the
       * whole transaction back: nothing of the batch will be committed. */
      if (sqlite3_get_autocommit (self->db))
        {
          if (ops[i]->error != NULL)
            batch_error = g_error_copy (ops[i]->error);
          else
            store_set_error (self, &batch_error, SQLITE_ABORT, saving);
          fail_from = MIN (i, first_write);
        }
    }

  if (batch_error == NULL)
    {
      rc = step_simple (self, STMT_COMMIT);
      if (rc == SQLITE_DONE)
        {
          g_atomic_int_inc (&self->batch_count);
        }
      else
        {
          /* Nothing of this batch was acknowledged: every op that wrote, or
           * read after a write, gets the error. */
          store_set_error (self, &batch_error, rc, saving);
          if (!sqlite3_get_autocommit (self->db))
            step_simple (self, STMT_ROLLBACK);
          fail_from = first_write;
        }
    }

  for (guint i = fail_from; batch_error != NULL && i < n; i++)
    {
      if (ops[i]->error == NULL)
        {
          op_clear_outputs (ops[i]);
          ops[i]->error = g_error_copy (batch_error);
        }
    }

  for (guint i = 0; i < n; i++)
    {
      if (ops[i]->done != NULL)
        ops[i]->done (ops[i], ops[i]->user_data);
      else
        cz_store_op_free (ops[i]);
    }
}

/* ---- Opening (store thread) ------------------------------------------ */

static gboolean
prepare_file (CzStore *self, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  struct stat st;
  char header[100];
  ssize_t got;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("cannot create the folder %s: %s"),
                   dir, g_strerror (saved_errno));
      return FALSE;
    }

  fd = open (self->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0)
    close (fd);
  else if (errno != EEXIST)
    {
      int saved_errno = errno;

      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("cannot create %s: %s"),
                   self->path, g_strerror (saved_errno));
      return FALSE;
    }

  /* The file holds account keys: nobody else may read it. */
  if (g_stat (self->path, &st) == 0 && (st.st_mode & 077) != 0)
    g_chmod (self->path, st.st_mode & 0700);

  /* Quick header check: an empty file is a new database, anything else
   * must start like an SQLite file. */
  fd = open (self->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      store_set_error (self, error, errno == EACCES ? SQLITE_PERM : SQLITE_CANTOPEN, FALSE);
      return FALSE;
    }
  got = read (fd, header, sizeof header);
  close (fd);
  if (got != 0 && (got < (ssize_t) sizeof header ||
                   memcmp (header, "SQLite format 3", 16) != 0))
    {
      store_set_error (self, error, SQLITE_NOTADB, FALSE);
      return FALSE;
    }

  return TRUE;
}

/* One-row query: the first column as a number (and as text if asked). */
static gboolean
query_value (CzStore *self, const char *sql, gint64 *num, char **text, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      if (num != NULL)
        *num = sqlite3_column_int64 (stmt, 0);
      if (text != NULL)
        *text = column_strdup (stmt, 0);
    }
  else
    store_set_error (self, error, rc, FALSE);
  sqlite3_finalize (stmt);

  return rc == SQLITE_ROW;
}

static gboolean
exec_sql (CzStore *self, const char *sql, GError **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      store_set_error (self, error, rc, FALSE);
      if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }

  return TRUE;
}

/* Refuses a newer schema or another program's database, before anything
 * is written to the file; returns the current schema version. */
static gboolean
check_schema (CzStore *self, gint64 *version, GError **error)
{
  gint64 app_id = 0, n_objects = 0;

  if (!query_value (self, "PRAGMA user_version", version, NULL, error) ||
      !query_value (self, "PRAGMA application_id", &app_id, NULL, error) ||
      !query_value (self, "SELECT count(*) FROM sqlite_schema", &n_objects, NULL, error))
    return FALSE;

  if (*version > CZ_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE,
                   _("%s was written by a newer version of Causerie (schema version %"
                     G_GINT64_FORMAT ", this version knows up to %d): upgrade Causerie"),
                   self->display_name, *version, CZ_STORE_SCHEMA_VERSION);
      return FALSE;
    }
  /* Another program's database, not an empty one waiting for our schema. */
  if ((*version == 0 && n_objects > 0) ||
      (*version > 0 && app_id != CZ_STORE_APPLICATION_ID))
    {
      store_set_error (self, error, SQLITE_NOTADB, FALSE);
      return FALSE;
    }

  return TRUE;
}

/* Runs migrations[version..], each step in its own transaction. */
static gboolean
migrate (CzStore *self, gint64 version, GError **error)
{
  for (gint64 v = version; v < CZ_STORE_SCHEMA_VERSION; v++)
    {
      g_autofree char *sql =
        g_strdup_printf ("BEGIN IMMEDIATE; %s PRAGMA user_version = %" G_GINT64_FORMAT ";"
                         " PRAGMA application_id = %d; COMMIT;",
                         migrations[v], v + 1, CZ_STORE_APPLICATION_ID);

      if (!exec_sql (self, sql, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
store_setup (CzStore *self, GError **error)
{
  g_autofree char *mode = NULL;
  gint64 version = 0;
  int rc;

  if (!prepare_file (self, error))
    return FALSE;

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                        NULL);
  if (rc != SQLITE_OK)
    {
      store_set_error (self, error, rc, FALSE);
      return FALSE;
    }
  sqlite3_busy_timeout (self->db, 5000);

  if (sqlite3_db_readonly (self->db, "main") != 0)
    {
      store_set_error (self, error, SQLITE_READONLY, FALSE);
      return FALSE;
    }

  if (!check_schema (self, &version, error) ||
      !exec_sql (self, "PRAGMA foreign_keys = ON", error) ||
      !query_value (self, "PRAGMA journal_mode = WAL", NULL, &mode, error) ||
      !exec_sql (self, "PRAGMA synchronous = FULL", error) ||
      !migrate (self, version, error))
    return FALSE;
  if (g_ascii_strcasecmp (mode, "wal") != 0)
    g_warning ("%s: the file system does not allow WAL mode; using a rollback journal",
               self->path);

  for (const char *suffix = "-wal"; suffix != NULL;
       suffix = g_str_equal (suffix, "-wal") ? "-shm" : NULL)
    {
      g_autofree char *aux = g_strconcat (self->path, suffix, NULL);

      if (g_file_test (aux, G_FILE_TEST_EXISTS))
        g_chmod (aux, 0600);
    }

  for (guint i = 0; i < N_STMTS; i++)
    {
      rc = sqlite3_prepare_v3 (self->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                               &self->stmts[i], NULL);
      if (rc != SQLITE_OK)
        {
          store_set_error (self, error, rc, FALSE);
          return FALSE;
        }
    }

  return TRUE;
}

static void
store_teardown (CzStore *self)
{
  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
}

static gpointer
store_thread (gpointer data)
{
  CzStore *self = data;
  GError *error = NULL;
  gboolean ok = store_setup (self, &error);

  g_mutex_lock (&self->mutex);
  self->open_done = TRUE;
  self->open_error = error;
  if (!ok)
    self->closing = TRUE;
  g_cond_broadcast (&self->done_cond);
  g_mutex_unlock (&self->mutex);

  while (ok)
    {
      CzStoreOp *batch[CZ_STORE_BATCH_MAX];
      CzStoreOp *op;
      guint n = 0;

      g_mutex_lock (&self->mutex);
      while (g_queue_is_empty (&self->queue) && !self->closing)
        g_cond_wait (&self->wake_cond, &self->mutex);
      while (n < CZ_STORE_BATCH_MAX && (op = g_queue_pop_head (&self->queue)) != NULL)
        batch[n++] = op;
      g_mutex_unlock (&self->mutex);

      if (n == 0)
        break;     /* closing and drained */
      run_batch (self, batch, n);
    }

  store_teardown (self);
  return NULL;
}

/* ---- Public API ------------------------------------------------------ */

CzStore *
cz_store_open (const char *path, GError **error)
{
  g_autoptr(CzStore) self = NULL;
  g_autoptr(GError) thread_error = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (CZ_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  self->display_name = g_path_get_basename (path);
  self->thread = g_thread_try_new ("cz-store", store_thread, self, &thread_error);
  if (self->thread == NULL)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("cannot start the database thread: %s"),
                   thread_error->message);
      return NULL;
    }

  g_mutex_lock (&self->mutex);
  while (!self->open_done)
    g_cond_wait (&self->done_cond, &self->mutex);
  g_mutex_unlock (&self->mutex);

  if (self->open_error != NULL)
    {
      g_thread_join (g_steal_pointer (&self->thread));
      g_propagate_error (error, g_steal_pointer (&self->open_error));
      return NULL;
    }

  return g_steal_pointer (&self);
}

void
cz_store_close (CzStore *self)
{
  GThread *thread;

  g_return_if_fail (CZ_IS_STORE (self));

  g_mutex_lock (&self->mutex);
  thread = self->thread;
  if (thread == g_thread_self ())
    {
      g_mutex_unlock (&self->mutex);
      g_critical ("cz_store_close() called from the store thread");
      return;
    }
  self->thread = NULL;
  self->closing = TRUE;
  g_cond_broadcast (&self->wake_cond);
  g_mutex_unlock (&self->mutex);

  if (thread != NULL)
    g_thread_join (thread);
}

const char *
cz_store_get_path (CzStore *self)
{
  g_return_val_if_fail (CZ_IS_STORE (self), NULL);

  return self->path;
}

void
cz_store_submit (CzStore *self, CzStoreOp *op)
{
  gboolean accepted = FALSE;

  g_return_if_fail (CZ_IS_STORE (self));
  g_return_if_fail (op != NULL);

  g_mutex_lock (&self->mutex);
  if (self->thread != NULL && !self->closing)
    {
      g_queue_push_tail (&self->queue, op);
      g_cond_signal (&self->wake_cond);
      accepted = TRUE;
    }
  g_mutex_unlock (&self->mutex);

  if (accepted)
    return;

  op_clear_outputs (op);
  g_set_error (&op->error, CZ_ERROR, CZ_ERROR_STORE, _("%s is closed"), self->display_name);
  if (op->done != NULL)
    op->done (op, op->user_data);
  else
    cz_store_op_free (op);
}

typedef struct {
  CzStore *store;
  gboolean done;
} SyncWait;

static void
sync_done_cb (CzStoreOp *op, gpointer user_data)
{
  SyncWait *wait = user_data;

  g_mutex_lock (&wait->store->mutex);
  wait->done = TRUE;
  g_cond_broadcast (&wait->store->done_cond);
  g_mutex_unlock (&wait->store->mutex);
}

gboolean
cz_store_run (CzStore *self, CzStoreOp *op, GError **error)
{
  SyncWait wait = { self, FALSE };
  CzStoreOpDone saved_done;
  gpointer saved_data;

  g_return_val_if_fail (CZ_IS_STORE (self), FALSE);
  g_return_val_if_fail (op != NULL, FALSE);
  g_return_val_if_fail (g_thread_self () != self->thread, FALSE);

  saved_done = op->done;
  saved_data = op->user_data;
  op->done = sync_done_cb;
  op->user_data = &wait;
  cz_store_submit (self, op);

  g_mutex_lock (&self->mutex);
  while (!wait.done)
    g_cond_wait (&self->done_cond, &self->mutex);
  g_mutex_unlock (&self->mutex);

  op->done = saved_done;
  op->user_data = saved_data;
  if (op->error != NULL)
    {
      g_propagate_error (error, g_error_copy (op->error));
      return FALSE;
    }

  return TRUE;
}

gboolean
cz_store_user_exists (CzStore *self, const char *user, GError **error)
{
  g_autoptr(CzStoreOp) op = cz_store_op_new (CZ_STORE_OP_GET_USER);
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (user != NULL, FALSE);

  op->user = g_strdup (user);
  if (cz_store_run (self, op, &local_error))
    return TRUE;
  if (!g_error_matches (local_error, CZ_ERROR, CZ_ERROR_NO_SUCH_USER))
    g_propagate_error (error, g_steal_pointer (&local_error));

  return FALSE;
}

guint
cz_store_get_batch_count (CzStore *self)
{
  g_return_val_if_fail (CZ_IS_STORE (self), 0);

  return (guint) g_atomic_int_get (&self->batch_count);
}

/* ---- GObject --------------------------------------------------------- */

static void
cz_store_finalize (GObject *object)
{
  CzStore *self = CZ_STORE (object);

  cz_store_close (self);
  g_clear_error (&self->open_error);
  g_free (self->path);
  g_free (self->display_name);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->wake_cond);
  g_cond_clear (&self->done_cond);

  G_OBJECT_CLASS (cz_store_parent_class)->finalize (object);
}

static void
cz_store_class_init (CzStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cz_store_finalize;
}

static void
cz_store_init (CzStore *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->wake_cond);
  g_cond_init (&self->done_cond);
  g_queue_init (&self->queue);
}
