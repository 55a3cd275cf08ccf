/* cz-device-store.c: the device's local SQLite file (DESIGN §2.2), and
 * libomemo-c's store callbacks on it (session, pre-key, signed pre-key,
 * identity).
 *
 * One file per server and user under $XDG_DATA_HOME/causerie/devices/,
 * mode 0600 in a 0700 folder: it holds the device's private keys.  The
 * file is the client engine's alone (the server's store never sees it),
 * and it is used from the engine's thread only.
 *
 * Trust is decided above libomemo-c: is_trusted_identity accepts every
 * key and the engine compares the identities recorded here with the ones
 * its user verified (a changed device blocks sending to a verified user,
 * DESIGN §2.2), so receiving never silently drops a message. */
#include "config.h"

#include "cz-e2e-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "cz-error.h"

#define DEVICE_DB_VERSION 1

struct _CzDeviceDb {
  sqlite3 *db;
  char *path;
};

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);"
  "CREATE TABLE IF NOT EXISTS prekeys (id INTEGER PRIMARY KEY, record BLOB NOT NULL);"
  "CREATE TABLE IF NOT EXISTS signed_prekeys (id INTEGER PRIMARY KEY, record BLOB NOT NULL);"
  "CREATE TABLE IF NOT EXISTS sessions (name TEXT NOT NULL, device INTEGER NOT NULL,"
  "  record BLOB NOT NULL, user_record BLOB, PRIMARY KEY (name, device));"
  "CREATE TABLE IF NOT EXISTS identities (name TEXT NOT NULL, device INTEGER NOT NULL,"
  "  key BLOB NOT NULL, PRIMARY KEY (name, device));";

/* The one place an SQLite failure becomes a GError. */
static void
set_error (CzDeviceDb *self, GError **error, int rc)
{
  const char *detail = self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);

  g_set_error (error, CZ_ERROR, CZ_ERROR_STORE,
               _("The device keys in %s could not be used: %s"), self->path, detail);
}

static sqlite3_stmt *
prepare (CzDeviceDb *self, const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_warning ("device store: %s: %s", sql, sqlite3_errmsg (self->db));
      return NULL;
    }
  return stmt;
}

static gboolean
exec (CzDeviceDb *self, const char *sql, GError **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_error (self, error, rc);
      return FALSE;
    }
  return TRUE;
}

/* The file and its folder exist with private modes before SQLite opens
 * it, so the keys are never readable by others, not even briefly. */
static gboolean
prepare_file (CzDeviceDb *self, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("Could not create %s: %s"),
                   dir, g_strerror (saved));
      return FALSE;
    }
  fd = g_open (self->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("Could not open %s: %s"),
                   self->path, g_strerror (saved));
      return FALSE;
    }
  if (fchmod (fd, 0600) != 0)
    g_warning ("%s: could not make it private: %s", self->path, g_strerror (errno));
  close (fd);
  return TRUE;
}

CzDeviceDb *
cz_device_db_open (const char *path, GError **error)
{
  CzDeviceDb *self = g_new0 (CzDeviceDb, 1);
  g_autofree char *setup = NULL;
  int rc;

  self->path = g_strdup (path);
  if (!prepare_file (self, error))
    goto fail;
  rc = sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE, NULL);
  if (rc != SQLITE_OK)
    {
      set_error (self, error, rc);
      goto fail;
    }
  sqlite3_busy_timeout (self->db, 5000);
  setup = g_strdup_printf ("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                           " BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
                           schema, DEVICE_DB_VERSION);
  if (!exec (self, setup, error))
    goto fail;
  return self;

fail:
  cz_device_db_close (self);
  return NULL;
}

void
cz_device_db_close (CzDeviceDb *self)
{
  if (self == NULL)
    return;
  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_free (self->path);
  g_free (self);
}

gboolean
cz_device_db_begin (CzDeviceDb *self, GError **error)
{
  return exec (self, "BEGIN IMMEDIATE", error);
}

gboolean
cz_device_db_commit (CzDeviceDb *self, GError **error)
{
  return exec (self, "COMMIT", error);
}

void
cz_device_db_rollback (CzDeviceDb *self)
{
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

GBytes *
cz_device_db_get_meta (CzDeviceDb *self, const char *key)
{
  sqlite3_stmt *stmt = prepare (self, "SELECT value FROM meta WHERE key = ?1");
  GBytes *value = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

gboolean
cz_device_db_set_meta (CzDeviceDb *self, const char *key, const void *data, gsize len,
                       GError **error)
{
  sqlite3_stmt *stmt = prepare (self, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
  int rc;

  if (stmt == NULL)
    {
      set_error (self, error, SQLITE_ERROR);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 2, len > 0 ? data : "", (int) len, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      set_error (self, error, rc);
      return FALSE;
    }
  return TRUE;
}

gboolean
cz_device_db_get_meta_u32 (CzDeviceDb *self, const char *key, guint32 *value)
{
  g_autoptr(GBytes) b = cz_device_db_get_meta (self, key);
  const guint8 *d;
  gsize len;

  if (b == NULL)
    return FALSE;
  d = g_bytes_get_data (b, &len);
  if (len != 4)
    return FALSE;
  *value = ((guint32) d[0] << 24) | ((guint32) d[1] << 16) | ((guint32) d[2] << 8) | d[3];
  return TRUE;
}

gboolean
cz_device_db_set_meta_u32 (CzDeviceDb *self, const char *key, guint32 value, GError **error)
{
  guint8 d[4] = { value >> 24, value >> 16, value >> 8, value };

  return cz_device_db_set_meta (self, key, d, sizeof d, error);
}

guint
cz_device_db_count_prekeys (CzDeviceDb *self)
{
  sqlite3_stmt *stmt = prepare (self, "SELECT count(*) FROM prekeys");
  guint n = 0;

  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    n = (guint) sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

GPtrArray *
cz_device_db_list_prekeys (CzDeviceDb *self, GArray *ids)
{
  sqlite3_stmt *stmt = prepare (self, "SELECT id, record FROM prekeys ORDER BY id");
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  while (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    {
      guint32 id = (guint32) sqlite3_column_int64 (stmt, 0);

      g_array_append_val (ids, id);
      g_ptr_array_add (records, g_bytes_new (sqlite3_column_blob (stmt, 1),
                                             sqlite3_column_bytes (stmt, 1)));
    }
  sqlite3_finalize (stmt);
  return records;
}

GHashTable *
cz_device_db_identities (CzDeviceDb *self, const char *name)
{
  sqlite3_stmt *stmt = prepare (self, "SELECT device, key FROM identities WHERE name = ?1");
  GHashTable *map = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                           (GDestroyNotify) g_bytes_unref);

  if (stmt == NULL)
    return map;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_insert (map, GUINT_TO_POINTER ((guint32) sqlite3_column_int64 (stmt, 0)),
                         g_bytes_new (sqlite3_column_blob (stmt, 1), sqlite3_column_bytes (stmt, 1)));
  sqlite3_finalize (stmt);
  return map;
}

gboolean
cz_device_db_forget (CzDeviceDb *self, const char *name, guint32 device)
{
  static const char *const sql[] = {
    "DELETE FROM sessions WHERE name = ?1 AND device = ?2",
    "DELETE FROM identities WHERE name = ?1 AND device = ?2",
  };
  gboolean ok = TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (sql); i++)
    {
      sqlite3_stmt *stmt = prepare (self, sql[i]);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, device);
      ok = sqlite3_step (stmt) == SQLITE_DONE && ok;
      sqlite3_finalize (stmt);
    }
  return ok;
}

/* ---- libomemo-c's store callbacks ---- */

static void
bind_address (sqlite3_stmt *stmt, const signal_protocol_address *address)
{
  sqlite3_bind_text (stmt, 1, address->name, (int) address->name_len, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, address->device_id);
}

/* Runs a statement with no result rows; SG_SUCCESS or SG_ERR_UNKNOWN. */
static int
step_done (sqlite3_stmt *stmt)
{
  int rc = stmt != NULL ? sqlite3_step (stmt) : SQLITE_ERROR;

  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE ? SG_SUCCESS : SG_ERR_UNKNOWN;
}

static int
load_session_cb (signal_buffer **record, signal_buffer **user_record,
                 const signal_protocol_address *address, void *user_data)
{
  sqlite3_stmt *stmt = prepare (user_data,
                                "SELECT record, user_record FROM sessions"
                                " WHERE name = ?1 AND device = ?2");
  int found = 0;

  if (stmt == NULL)
    return SG_ERR_UNKNOWN;
  bind_address (stmt, address);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *record = signal_buffer_create (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
      if (sqlite3_column_type (stmt, 1) == SQLITE_BLOB && user_record != NULL)
        *user_record = signal_buffer_create (sqlite3_column_blob (stmt, 1),
                                             sqlite3_column_bytes (stmt, 1));
      found = 1;
    }
  sqlite3_finalize (stmt);
  return found;
}

static int
sub_device_sessions_cb (signal_int_list **sessions, const char *name, size_t name_len,
                        void *user_data)
{
  sqlite3_stmt *stmt = prepare (user_data, "SELECT device FROM sessions WHERE name = ?1");
  signal_int_list *list;
  int n = 0;

  if (stmt == NULL)
    return SG_ERR_UNKNOWN;
  list = signal_int_list_alloc ();
  sqlite3_bind_text (stmt, 1, name, (int) name_len, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      signal_int_list_push_back (list, (int) sqlite3_column_int64 (stmt, 0));
      n++;
    }
  sqlite3_finalize (stmt);
  *sessions = list;
  return n;
}

static int
store_session_cb (const signal_protocol_address *address, uint8_t *record, size_t record_len,
                  uint8_t *user_record, size_t user_record_len, void *user_data)
{
  sqlite3_stmt *stmt = prepare (user_data,
                                "INSERT OR REPLACE INTO sessions (name, device, record, user_record)"
                                " VALUES (?1, ?2, ?3, ?4)");

  if (stmt == NULL)
    return SG_ERR_UNKNOWN;
  bind_address (stmt, address);
  sqlite3_bind_blob (stmt, 3, record, (int) record_len, SQLITE_STATIC);
  if (user_record != NULL)
    sqlite3_bind_blob (stmt, 4, user_record, (int) user_record_len, SQLITE_STATIC);
  return step_done (stmt);
}

static int
contains_session_cb (const signal_protocol_address *address, void *user_data)
{
  sqlite3_stmt *stmt = prepare (user_data,
                                "SELECT 1 FROM sessions WHERE name = ?1 AND device = ?2");
  int found;

  if (stmt == NULL)
    return SG_ERR_UNKNOWN;
  bind_address (stmt, address);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  return found;
}

static int
delete_session_cb (const signal_protocol_address *address, void *user_data)
{
  CzDeviceDb *self = user_data;
  sqlite3_stmt *stmt = prepare (self, "DELETE FROM sessions WHERE name = ?1 AND device = ?2");

  if (stmt == NULL)
    return SG_ERR_UNKNOWN;
  bind_address (stmt, address);
  if (step_done (stmt) != SG_SUCCESS)
    return SG_ERR_UNKNOWN;
  return sqlite3_changes (self->db) > 0;
}

static int
delete_all_sessions_cb (const char *name, size_t name_len, void *user_data)
{
  CzDeviceDb *self = user_data;
  sqlite3_stmt *stmt = prepare (self, "DELETE FROM sessions WHERE name = ?1");

  if (stmt == NULL)
    return SG_ERR_UNKNOWN;
  sqlite3_bind_text (stmt, 1, name, (int) name_len, SQLITE_STATIC);
  if (step_done (stmt) != SG_SUCCESS)
    return SG_ERR_UNKNOWN;
  return sqlite3_changes (self->db);
}

/* Pre-keys and signed pre-keys: the same four operations on two tables. */
static int
load_key (CzDeviceDb *self, const char *sql, signal_buffer **record, uint32_t id)
{
  sqlite3_stmt *stmt = prepare (self, sql);
  int rc = SG_ERR_INVALID_KEY_ID;

  if (stmt == NULL)
    return SG_ERR_UNKNOWN;
  sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *record = signal_buffer_create (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
      rc = SG_SUCCESS;
    }
  sqlite3_finalize (stmt);
  return rc;
}

static int
store_key (CzDeviceDb *self, const char *sql, uint32_t id, uint8_t *record, size_t len)
{
  sqlite3_stmt *stmt = prepare (self, sql);

  if (stmt == NULL)
    return SG_ERR_UNKNOWN;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_blob (stmt, 2, record, (int) len, SQLITE_STATIC);
  return step_done (stmt);
}

static int
contains_key (CzDeviceDb *self, const char *sql, uint32_t id)
{
  sqlite3_stmt *stmt = prepare (self, sql);
  int found;

  if (stmt == NULL)
    return SG_ERR_UNKNOWN;
  sqlite3_bind_int64 (stmt, 1, id);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  return found;
}

static int
remove_key (CzDeviceDb *self, const char *sql, uint32_t id)
{
  sqlite3_stmt *stmt = prepare (self, sql);

  if (stmt == NULL)
    return SG_ERR_UNKNOWN;
  sqlite3_bind_int64 (stmt, 1, id);
  return step_done (stmt);
}

static int
load_pre_key_cb (signal_buffer **record, uint32_t id, void *user_data)
{
  return load_key (user_data, "SELECT record FROM prekeys WHERE id = ?1", record, id);
}

static int
store_pre_key_cb (uint32_t id, uint8_t *record, size_t len, void *user_data)
{
  return store_key (user_data, "INSERT OR REPLACE INTO prekeys (id, record) VALUES (?1, ?2)",
                    id, record, len);
}

static int
contains_pre_key_cb (uint32_t id, void *user_data)
{
  return contains_key (user_data, "SELECT 1 FROM prekeys WHERE id = ?1", id);
}

static int
remove_pre_key_cb (uint32_t id, void *user_data)
{
  return remove_key (user_data, "DELETE FROM prekeys WHERE id = ?1", id);
}

static int
load_signed_pre_key_cb (signal_buffer **record, uint32_t id, void *user_data)
{
  return load_key (user_data, "SELECT record FROM signed_prekeys WHERE id = ?1", record, id);
}

static int
store_signed_pre_key_cb (uint32_t id, uint8_t *record, size_t len, void *user_data)
{
  return store_key (user_data,
                    "INSERT OR REPLACE INTO signed_prekeys (id, record) VALUES (?1, ?2)",
                    id, record, len);
}

static int
contains_signed_pre_key_cb (uint32_t id, void *user_data)
{
  return contains_key (user_data, "SELECT 1 FROM signed_prekeys WHERE id = ?1", id);
}

static int
remove_signed_pre_key_cb (uint32_t id, void *user_data)
{
  return remove_key (user_data, "DELETE FROM signed_prekeys WHERE id = ?1", id);
}

static int
get_identity_key_pair_cb (signal_buffer **public_data, signal_buffer **private_data,
                          void *user_data)
{
  g_autoptr(GBytes) pub = cz_device_db_get_meta (user_data, "identity-public");
  g_autoptr(GBytes) priv = cz_device_db_get_meta (user_data, "identity-private");
  gsize pub_len, priv_len;
  const guint8 *p, *q;

  if (pub == NULL || priv == NULL)
    return SG_ERR_INVALID_KEY;
  p = g_bytes_get_data (pub, &pub_len);
  q = g_bytes_get_data (priv, &priv_len);
  *public_data = signal_buffer_create (p, pub_len);
  *private_data = signal_buffer_create (q, priv_len);
  return SG_SUCCESS;
}

static int
get_local_registration_id_cb (void *user_data, uint32_t *registration_id)
{
  return cz_device_db_get_meta_u32 (user_data, "registration-id", registration_id)
         ? SG_SUCCESS : SG_ERR_UNKNOWN;
}

static int
save_identity_cb (const signal_protocol_address *address, uint8_t *key_data, size_t key_len,
                  void *user_data)
{
  sqlite3_stmt *stmt;

  if (key_data == NULL)
    {
      stmt = prepare (user_data, "DELETE FROM identities WHERE name = ?1 AND device = ?2");
      if (stmt == NULL)
        return SG_ERR_UNKNOWN;
      bind_address (stmt, address);
      return step_done (stmt);
    }
  stmt = prepare (user_data,
                  "INSERT OR REPLACE INTO identities (name, device, key) VALUES (?1, ?2, ?3)");
  if (stmt == NULL)
    return SG_ERR_UNKNOWN;
  bind_address (stmt, address);
  sqlite3_bind_blob (stmt, 3, key_data, (int) key_len, SQLITE_STATIC);
  return step_done (stmt);
}

static int
is_trusted_identity_cb (const signal_protocol_address *address, uint8_t *key_data,
                        size_t key_len, void *user_data)
{
  /* See the head of the file: the engine decides, per user. */
  return 1;
}

void
cz_device_db_install (CzDeviceDb *self, signal_protocol_store_context *store)
{
  const signal_protocol_session_store sessions = {
    .load_session_func = load_session_cb,
    .get_sub_device_sessions_func = sub_device_sessions_cb,
    .store_session_func = store_session_cb,
    .contains_session_func = contains_session_cb,
    .delete_session_func = delete_session_cb,
    .delete_all_sessions_func = delete_all_sessions_cb,
    .user_data = self,
  };
  const signal_protocol_pre_key_store pre_keys = {
    .load_pre_key = load_pre_key_cb,
    .store_pre_key = store_pre_key_cb,
    .contains_pre_key = contains_pre_key_cb,
    .remove_pre_key = remove_pre_key_cb,
    .user_data = self,
  };
  const signal_protocol_signed_pre_key_store signed_pre_keys = {
    .load_signed_pre_key = load_signed_pre_key_cb,
    .store_signed_pre_key = store_signed_pre_key_cb,
    .contains_signed_pre_key = contains_signed_pre_key_cb,
    .remove_signed_pre_key = remove_signed_pre_key_cb,
    .user_data = self,
  };
  const signal_protocol_identity_key_store identities = {
    .get_identity_key_pair = get_identity_key_pair_cb,
    .get_local_registration_id = get_local_registration_id_cb,
    .save_identity = save_identity_cb,
    .is_trusted_identity = is_trusted_identity_cb,
    .user_data = self,
  };

  signal_protocol_store_context_set_session_store (store, &sessions);
  signal_protocol_store_context_set_pre_key_store (store, &pre_keys);
  signal_protocol_store_context_set_signed_pre_key_store (store, &signed_pre_keys);
  signal_protocol_store_context_set_identity_key_store (store, &identities);
}
