/* cz-store.c: the store's owner thread and queue, opening, schema
 * migration and closing, and the mapping of SQLite errors (DESIGN §3).
 * The statements and operations are in cz-store-ops.c. */
#include "config.h"

#include <inttypes.h>

#include "cz-store-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

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

  /* v1 -> v2: cheaper inserts, same rows and ids.
   * - No AUTOINCREMENT (a read and a write of sqlite_sequence per INSERT):
   *   messages are never deleted, so max(id) + 1 still only grows, and the
   *   v1 high-water mark was max(id) (only deleting rows by hand, outside
   *   Causerie, could have left it higher).
   * - Each index holds only the rows its query can reach, so a direct
   *   message goes into two indexes instead of three, a lobby message
   *   into one, and a delivered message leaves messages_pending:
   *   pending: WHERE recipient = ? AND delivered_ts IS NULL, by id;
   *   direct history: WHERE sender = ? AND recipient = ? AND id < ?;
   *   lobby history: WHERE recipient IS NULL AND id < ?. */
  "CREATE TABLE messages_v2 ("
  "  id INTEGER PRIMARY KEY,"
  "  ts INTEGER NOT NULL,"
  "  sender INTEGER NOT NULL REFERENCES users(id),"
  "  recipient INTEGER REFERENCES users(id),"   /* NULL = lobby */
  "  text TEXT NOT NULL,"
  "  delivered_ts INTEGER,"
  "  read_ts INTEGER);"
  "INSERT INTO messages_v2 (id, ts, sender, recipient, text, delivered_ts, read_ts)"
  "  SELECT id, ts, sender, recipient, text, delivered_ts, read_ts FROM messages ORDER BY id;"
  "DROP TABLE messages;"
  "ALTER TABLE messages_v2 RENAME TO messages;"
  "CREATE INDEX messages_pending ON messages (recipient, id)"
  "  WHERE delivered_ts IS NULL AND recipient IS NOT NULL;"
  "CREATE INDEX messages_direct ON messages (sender, recipient, id)"
  "  WHERE recipient IS NOT NULL;"
  "CREATE INDEX messages_lobby ON messages (id) WHERE recipient IS NULL;",

  /* v2 -> v3: the sender's transaction id of a message (say/msg `txn`),
   * unique per sender, so that a resent message is stored once.  Most
   * messages have none and stay out of the index. */
  "ALTER TABLE messages ADD COLUMN txn TEXT;"
  "CREATE UNIQUE INDEX messages_txn ON messages (sender, txn) WHERE txn IS NOT NULL;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == CZ_STORE_SCHEMA_VERSION);

G_DEFINE_FINAL_TYPE (CzStore, cz_store, G_TYPE_OBJECT)

/* ---- Errors ---------------------------------------------------------- */

void
cz_store_set_error (CzStore *self, GError **error, int rc, gboolean saving_message)
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
      cz_store_set_error (self, error, errno == EACCES ? SQLITE_PERM : SQLITE_CANTOPEN, FALSE);
      return FALSE;
    }
  got = read (fd, header, sizeof header);
  close (fd);
  if (got != 0 && (got < (ssize_t) sizeof header ||
                   memcmp (header, "SQLite format 3", 16) != 0))
    {
      cz_store_set_error (self, error, SQLITE_NOTADB, FALSE);
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
        *text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    }
  else
    cz_store_set_error (self, error, rc, FALSE);
  sqlite3_finalize (stmt);

  return rc == SQLITE_ROW;
}

static gboolean
exec_sql (CzStore *self, const char *sql, GError **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      cz_store_set_error (self, error, rc, FALSE);
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
                     PRId64 ", this version knows up to %d): upgrade Causerie"),
                   self->display_name, *version, CZ_STORE_SCHEMA_VERSION);
      return FALSE;
    }
  /* Another program's database, not an empty one waiting for our schema. */
  if ((*version == 0 && n_objects > 0) ||
      (*version > 0 && app_id != CZ_STORE_APPLICATION_ID))
    {
      cz_store_set_error (self, error, SQLITE_NOTADB, FALSE);
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
      cz_store_set_error (self, error, rc, FALSE);
      return FALSE;
    }
  sqlite3_busy_timeout (self->db, 5000);

  if (sqlite3_db_readonly (self->db, "main") != 0)
    {
      cz_store_set_error (self, error, SQLITE_READONLY, FALSE);
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
  else if (exec_sql (self, "PRAGMA journal_size_limit = 67108864", error))
    self->checkpointer = cz_checkpointer_start (self->path, self->db);
  else
    return FALSE;

  for (const char *suffix = "-wal"; suffix != NULL;
       suffix = g_str_equal (suffix, "-wal") ? "-shm" : NULL)
    {
      g_autofree char *aux = g_strconcat (self->path, suffix, NULL);

      if (g_file_test (aux, G_FILE_TEST_EXISTS))
        g_chmod (aux, 0600);
    }

  cz_store_user_cache_init (self);
  return cz_store_prepare_statements (self, error);
}

static void
store_teardown (CzStore *self)
{
  /* Before the writer closes: its close checkpoints what is left. */
  cz_checkpointer_stop (self->checkpointer, self->db);
  self->checkpointer = NULL;
  cz_store_user_cache_free (self);
  cz_store_finalize_statements (self);
  g_clear_pointer (&self->db, sqlite3_close);
}

static gpointer
store_thread (gpointer data)
{
  CzStore *self = data;
  GError *error = NULL;
  gboolean ok = store_setup (self, &error);
  g_autoptr(GPtrArray) taken = g_ptr_array_new ();

  g_mutex_lock (&self->mutex);
  self->open_done = TRUE;
  self->open_error = error;
  if (!ok)
    self->closing = TRUE;
  g_cond_broadcast (&self->done_cond);
  g_mutex_unlock (&self->mutex);

  while (ok)
    {
      CzStoreBatchDoneFunc batch_done;
      gpointer batch_data;
      GPtrArray *swap;

      g_mutex_lock (&self->mutex);
      while (self->submitted->len == 0 && !self->closing)
        {
          self->waiting = TRUE;
          g_cond_wait (&self->wake_cond, &self->mutex);
          self->waiting = FALSE;
        }
      /* Take everything at once: submitters never wait long for the lock. */
      swap = self->submitted;
      self->submitted = taken;
      taken = swap;
      batch_done = self->batch_done_func;
      batch_data = self->batch_done_data;
      g_mutex_unlock (&self->mutex);

      if (taken->len == 0)
        break;     /* closing and drained */
      for (guint i = 0; i < taken->len; i += CZ_STORE_BATCH_MAX)
        {
          cz_store_run_batch (self, (CzStoreOp **) taken->pdata + i,
                              MIN (taken->len - i, CZ_STORE_BATCH_MAX));
          if (batch_done != NULL)
            batch_done (self, batch_data);
        }
      g_ptr_array_set_size (taken, 0);
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
  CzStoreBatchDoneFunc batch_done;
  gpointer batch_data;
  gboolean accepted = FALSE;

  g_return_if_fail (CZ_IS_STORE (self));
  g_return_if_fail (op != NULL);

  g_mutex_lock (&self->mutex);
  if (self->thread != NULL && !self->closing)
    {
      g_ptr_array_add (self->submitted, op);
      /* One wake-up is enough; a busy thread looks at the queue anyway. */
      if (self->waiting)
        {
          self->waiting = FALSE;
          g_cond_signal (&self->wake_cond);
        }
      accepted = TRUE;
    }
  batch_done = self->batch_done_func;
  batch_data = self->batch_done_data;
  g_mutex_unlock (&self->mutex);

  if (accepted)
    return;

  cz_store_op_clear_outputs (op);
  g_set_error (&op->error, CZ_ERROR, CZ_ERROR_STORE, _("%s is closed"), self->display_name);
  if (op->done != NULL)
    op->done (op, op->user_data);
  else
    cz_store_op_free (op);
  if (batch_done != NULL)
    batch_done (self, batch_data);
}

void
cz_store_set_batch_done_func (CzStore *self, CzStoreBatchDoneFunc func, gpointer user_data)
{
  g_return_if_fail (CZ_IS_STORE (self));

  g_mutex_lock (&self->mutex);
  self->batch_done_func = func;
  self->batch_done_data = func != NULL ? user_data : NULL;
  g_mutex_unlock (&self->mutex);
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
  g_clear_pointer (&self->submitted, g_ptr_array_unref);
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

  /* Allocation statistics take a global mutex around every SQLite malloc
   * and free (~10 % of the store thread's time per message); nothing
   * here reads them.  Only possible before SQLite initializes: if another
   * part of the process used SQLite first this fails, harmlessly. */
  sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
}

static void
cz_store_init (CzStore *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->wake_cond);
  g_cond_init (&self->done_cond);
  self->submitted = g_ptr_array_new ();
}
