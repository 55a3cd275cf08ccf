/* cz-store-sqlite.c: the SQLite backend of the store (DESIGN §3): the
 * file and its modes, the schema and its migrations, the PRAGMAs, the
 * transactions and savepoints of the shared machinery's batches, and the
 * mapping of SQLite errors.  The statements and what each operation does
 * are in cz-store-sqlite-ops.c, the WAL checkpoints in
 * cz-store-sqlite-checkpoint.c. */
#include "config.h"

#include <inttypes.h>

#include "cz-store-sqlite-private.h"

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

  /* v3 -> v4: the secret the fake SCRAM challenges for unknown users
   * derive from (issue #15 item 9), so that they stay the same across
   * restarts.  One row, written the first time the server asks. */
  "CREATE TABLE login_secret ("
  " id INTEGER PRIMARY KEY CHECK (id = 1),"
  " secret BLOB NOT NULL CHECK (length (secret) = 32));",

  /* v4 -> v5: end-to-end direct messages (DESIGN §2.2, issue 17).  An
   * encrypted message is a `messages` row with e2e = 1 and an empty text
   * (id, time, sender, recipient, receipts) plus one ciphertext per
   * recipient device in e2e_copies, deleted once that device has it.
   * Devices publish their bundles into e2e_devices and e2e_prekeys; a
   * one-time prekey is deleted when handed out, and prekey_floor (the
   * highest id handed out) keeps a republished one from coming back. */
  "ALTER TABLE messages ADD COLUMN e2e INTEGER;"
  "ALTER TABLE messages ADD COLUMN sender_device INTEGER;"
  "CREATE TABLE e2e_devices ("
  " user INTEGER NOT NULL REFERENCES users(id),"
  " device INTEGER NOT NULL CHECK (device BETWEEN 1 AND 2147483647),"
  " identity BLOB NOT NULL,"
  " spk_id INTEGER NOT NULL,"
  " spk BLOB NOT NULL,"
  " spk_sig BLOB NOT NULL,"
  " prekey_floor INTEGER NOT NULL DEFAULT 0,"
  " updated INTEGER NOT NULL,"
  " PRIMARY KEY (user, device)) WITHOUT ROWID;"
  "CREATE TABLE e2e_prekeys ("
  " user INTEGER NOT NULL,"
  " device INTEGER NOT NULL,"
  " id INTEGER NOT NULL,"
  " key BLOB NOT NULL,"
  " PRIMARY KEY (user, device, id),"
  " FOREIGN KEY (user, device) REFERENCES e2e_devices (user, device)) WITHOUT ROWID;"
  "CREATE TABLE e2e_copies ("
  " user INTEGER NOT NULL,"
  " device INTEGER NOT NULL,"
  " message INTEGER NOT NULL REFERENCES messages(id),"
  " prekey INTEGER NOT NULL,"
  " data BLOB NOT NULL,"
  " PRIMARY KEY (user, device, message),"
  " FOREIGN KEY (user, device) REFERENCES e2e_devices (user, device)) WITHOUT ROWID;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == CZ_STORE_SCHEMA_VERSION);

/* ---- Errors ---------------------------------------------------------- */

void
cz_store_sqlite_set_error (CzStoreSqlite *self, GError **error, int rc,
                           gboolean saving_message)
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

/* ---- Opening --------------------------------------------------------- */

static gboolean
prepare_file (CzStoreSqlite *self, GError **error)
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
      cz_store_sqlite_set_error (self, error, errno == EACCES ? SQLITE_PERM : SQLITE_CANTOPEN, FALSE);
      return FALSE;
    }
  got = read (fd, header, sizeof header);
  close (fd);
  if (got != 0 && (got < (ssize_t) sizeof header ||
                   memcmp (header, "SQLite format 3", 16) != 0))
    {
      cz_store_sqlite_set_error (self, error, SQLITE_NOTADB, FALSE);
      return FALSE;
    }

  return TRUE;
}

/* One-row query: the first column as a number (and as text if asked). */
static gboolean
query_value (CzStoreSqlite *self, const char *sql, gint64 *num, char **text, GError **error)
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
    cz_store_sqlite_set_error (self, error, rc, FALSE);
  sqlite3_finalize (stmt);

  return rc == SQLITE_ROW;
}

static gboolean
exec_sql (CzStoreSqlite *self, const char *sql, GError **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      cz_store_sqlite_set_error (self, error, rc, FALSE);
      if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }

  return TRUE;
}

/* Refuses a newer schema or another program's database, before anything
 * is written to the file; returns the current schema version. */
static gboolean
check_schema (CzStoreSqlite *self, gint64 *version, GError **error)
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
      cz_store_sqlite_set_error (self, error, SQLITE_NOTADB, FALSE);
      return FALSE;
    }

  return TRUE;
}

/* Runs migrations[version..], each step in its own transaction. */
static gboolean
migrate (CzStoreSqlite *self, gint64 version, GError **error)
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

static void sqlite_close (CzStoreBackend *backend);

static gboolean
store_setup (CzStoreSqlite *self, GError **error)
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
      cz_store_sqlite_set_error (self, error, rc, FALSE);
      return FALSE;
    }
  sqlite3_busy_timeout (self->db, 5000);

  if (sqlite3_db_readonly (self->db, "main") != 0)
    {
      cz_store_sqlite_set_error (self, error, SQLITE_READONLY, FALSE);
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

  cz_store_sqlite_user_cache_init (self);
  return cz_store_sqlite_prepare_statements (self, error);
}

static void
store_teardown (CzStoreSqlite *self)
{
  /* Before the writer closes: its close checkpoints what is left. */
  cz_checkpointer_stop (self->checkpointer, self->db);
  self->checkpointer = NULL;
  cz_store_sqlite_user_cache_free (self);
  cz_store_sqlite_finalize_statements (self);
  g_clear_pointer (&self->db, sqlite3_close);
}


static CzStoreBackend *
sqlite_open (const char *path, GError **error)
{
  static gsize configured = 0;
  CzStoreSqlite *self;

  if (g_once_init_enter (&configured))
    {
      /* Allocation statistics take a global mutex around every SQLite
       * malloc and free (~10 % of the store thread's time per message);
       * nothing here reads them.  Only possible before SQLite initializes:
       * if another part of the process used SQLite first this fails,
       * harmlessly. */
      sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
      g_once_init_leave (&configured, 1);
    }

  self = g_new0 (CzStoreSqlite, 1);
  self->path = g_strdup (path);
  self->display_name = g_path_get_basename (path);
  if (!store_setup (self, error))
    {
      sqlite_close ((CzStoreBackend *) self);
      return NULL;
    }

  return (CzStoreBackend *) self;
}

static void
sqlite_close (CzStoreBackend *backend)
{
  CzStoreSqlite *self = (CzStoreSqlite *) backend;

  store_teardown (self);
  g_free (self->path);
  g_free (self->display_name);
  g_free (self);
}

/* ---- Transactions ---------------------------------------------------- */

static gboolean
sqlite_begin (CzStoreBackend *backend, gboolean write, gboolean saving, GError **error)
{
  CzStoreSqlite *self = (CzStoreSqlite *) backend;
  int rc = cz_store_sqlite_step_simple (self, write ? STMT_BEGIN_WRITE : STMT_BEGIN_READ);

  if (rc != SQLITE_DONE)
    {
      cz_store_sqlite_set_error (self, error, rc, saving);
      return FALSE;
    }

  return TRUE;
}

static gboolean
sqlite_in_transaction (CzStoreBackend *backend, gboolean saving, GError **error)
{
  CzStoreSqlite *self = (CzStoreSqlite *) backend;

  if (!sqlite3_get_autocommit (self->db))
    return TRUE;

  cz_store_sqlite_set_error (self, error, SQLITE_ABORT, saving);
  return FALSE;
}

static gboolean
sqlite_commit (CzStoreBackend *backend, gboolean saving, GError **error)
{
  CzStoreSqlite *self = (CzStoreSqlite *) backend;
  int rc = cz_store_sqlite_step_simple (self, STMT_COMMIT);

  if (rc == SQLITE_DONE)
    return TRUE;

  cz_store_sqlite_set_error (self, error, rc, saving);
  if (!sqlite3_get_autocommit (self->db))
    cz_store_sqlite_step_simple (self, STMT_ROLLBACK);
  return FALSE;
}

/* Ids added or looked up during a batch that did not commit may not be on
 * disk (and may be given to another user next). */
static void
sqlite_forget_batch (CzStoreBackend *backend)
{
  cz_store_sqlite_user_cache_clear ((CzStoreSqlite *) backend);
}

static gboolean
sqlite_savepoint (CzStoreBackend *backend, CzStoreOp *op)
{
  CzStoreSqlite *self = (CzStoreSqlite *) backend;
  int rc = cz_store_sqlite_step_simple (self, STMT_SAVEPOINT);

  return rc == SQLITE_DONE || cz_store_sqlite_op_fail (self, op, rc);
}

static void
sqlite_rollback_to_savepoint (CzStoreBackend *backend)
{
  cz_store_sqlite_step_simple ((CzStoreSqlite *) backend, STMT_ROLLBACK_TO);
}

static gboolean
sqlite_release_savepoint (CzStoreBackend *backend, CzStoreOp *op)
{
  CzStoreSqlite *self = (CzStoreSqlite *) backend;
  int rc = cz_store_sqlite_step_simple (self, STMT_RELEASE);

  return rc == SQLITE_DONE || cz_store_sqlite_op_fail (self, op, rc);
}

const CzStoreBackendVTable cz_store_sqlite_backend = {
  .open = sqlite_open,
  .close = sqlite_close,
  .begin = sqlite_begin,
  .in_transaction = sqlite_in_transaction,
  .commit = sqlite_commit,
  .forget_batch = sqlite_forget_batch,
  .needs_savepoint = cz_store_sqlite_needs_savepoint,
  .savepoint = sqlite_savepoint,
  .rollback_to_savepoint = sqlite_rollback_to_savepoint,
  .release_savepoint = sqlite_release_savepoint,
  .run = {
    [CZ_STORE_OP_GET_USER] = cz_store_sqlite_get_user,
    [CZ_STORE_OP_ADD_USER] = cz_store_sqlite_add_user,
    [CZ_STORE_OP_SAVE_MESSAGE] = cz_store_sqlite_save_message,
    [CZ_STORE_OP_MARK_DELIVERED] = cz_store_sqlite_mark,
    [CZ_STORE_OP_MARK_READ] = cz_store_sqlite_mark,
    [CZ_STORE_OP_PENDING] = cz_store_sqlite_pending,
    [CZ_STORE_OP_HISTORY] = cz_store_sqlite_history,
    [CZ_STORE_OP_LOGIN_SECRET] = cz_store_sqlite_login_secret,
    [CZ_STORE_OP_COUNT_PENDING] = cz_store_sqlite_count_pending,
    [CZ_STORE_OP_PUBLISH_KEYS] = cz_store_sqlite_publish_keys,
    [CZ_STORE_OP_FETCH_KEYS] = cz_store_sqlite_fetch_keys,
    [CZ_STORE_OP_SAVE_EMSG] = cz_store_sqlite_save_emsg,
    [CZ_STORE_OP_DEVICE_PENDING] = cz_store_sqlite_device_pending,
    [CZ_STORE_OP_DEVICE_RECEIVED] = cz_store_sqlite_device_received,
  },
};
