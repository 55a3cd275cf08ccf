#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "cz-error.h"
#include "cz-scram.h"
#include "cz-store.h"
#include "cz-store-pg.h"
#include "store-helpers.h"
#include "testutil.h"

#define PASSWORD "correct horse battery staple 7f3a"

static CzStorePending *
pending (CzStore *store, const char *user)
{
  CzStorePending *op = cz_store_pending_new (user, 0, 0);

  run_ok (store, op);
  return op;
}

/* Marks message @id, and @id2 too if not 0 (two UPDATEs: a SAVEPOINT). */
static CzStoreMark *
mark (CzStore *store, CzStoreOpKind kind, const char *user, gint64 id, gint64 id2)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  CzStoreMark *op;

  g_array_append_val (ids, id);
  if (id2 != 0)
    g_array_append_val (ids, id2);
  g_assert_true (kind == CZ_STORE_OP_MARK_DELIVERED || kind == CZ_STORE_OP_MARK_READ);
  op = kind == CZ_STORE_OP_MARK_READ ? cz_store_mark_read_new (user, ids)
                                     : cz_store_mark_delivered_new (user, ids);
  run_ok (store, op);
  return op;
}

/* Record @i of what a mark() changed. */
#define MARKED(op, i) ((CzMessageRecord *) g_ptr_array_index ((op)->changed, (i)))

/* How many messages mark() changed. */
static guint
n_marked (CzStore *store, CzStoreOpKind kind, const char *user, gint64 id, gint64 id2)
{
  g_autoptr(CzStoreMark) op = mark (store, kind, user, id, id2);

  return op->changed->len;
}

/* The first column of the first row of @sql, read with a connection of
 * its own. */
static char *
query_text (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *v;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
}

static char *
pragma_text (const char *path, const char *pragma)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA %s", pragma);

  return query_text (path, sql);
}

static gint64
pragma_int (const char *path, const char *pragma)
{
  g_autofree char *text = pragma_text (path, pragma);

  return g_ascii_strtoll (text, NULL, 10);
}

static void
make_db (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
expect_open_error (const char *path, const char *pattern)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzStore) store = cz_store_open (path, &error);

  g_assert_null (store);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_STORE);
  g_test_message ("open error: %s", error->message);
  if (!g_pattern_match_simple (pattern, error->message))
    g_error ("“%s” does not match “%s”", error->message, pattern);
}

static void
test_open_mode (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autofree char *dir = g_path_get_dirname (f->path);
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *mode = NULL;
  struct stat st;

  g_assert_cmpstr (cz_store_get_path (store), ==, f->path);
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  cz_store_close (store);
  cz_store_close (store);     /* idempotent */
  g_assert_cmpint (pragma_int (f->path, "user_version"), ==, CZ_STORE_SCHEMA_VERSION);
  mode = pragma_text (f->path, "journal_mode");
  g_assert_cmpstr (mode, ==, "wal");

  /* A wider mode on an existing file is narrowed. */
  g_assert_cmpint (g_chmod (f->path, 0644), ==, 0);
  g_clear_object (&store);
  store = open_ok (f->path);
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_reopen (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(CzStoreHistory) h = NULL;
  gint64 ids[3];

  add_user (store, "alice", "a");
  add_user (store, "bob", "b");
  ids[0] = save (store, "alice", "bob", "one");
  ids[1] = save (store, "bob", "alice", "two");
  ids[2] = save (store, "alice", NULL, "lobby");
  g_clear_object (&store);   /* finalize closes */

  store = open_ok (f->path);
  g_assert_true (cz_store_user_exists (store, "alice", NULL));
  h = history (store, "bob", "alice", 0, 0);
  g_assert_cmpuint (h->messages->len, ==, 2);
  g_assert_cmpint (REC (h, 0)->id, ==, ids[0]);
  g_assert_cmpstr (REC (h, 0)->text, ==, "one");
  g_assert_cmpstr (REC (h, 0)->from, ==, "alice");
  g_assert_cmpstr (REC (h, 0)->to, ==, "bob");
  g_assert_cmpint (REC (h, 0)->ts, ==, 1700000000000);
  g_assert_cmpint (REC (h, 1)->id, ==, ids[1]);
  g_clear_pointer (&h, cz_store_history_free);
  h = history (store, "bob", NULL, 0, 0);
  g_assert_cmpuint (h->messages->len, ==, 1);
  g_assert_cmpint (REC (h, 0)->id, ==, ids[2]);
  g_assert_null (REC (h, 0)->to);
}

static void
test_migrate_v0 (Fixture *f, gconstpointer data)
{
  g_autofree char *empty = g_build_filename (f->dir, "empty.db", NULL);
  g_autoptr(CzStore) store = NULL;

  /* A valid SQLite file with no schema, user_version 0. */
  make_db (f->path, "CREATE TABLE t (x); DROP TABLE t;");
  g_assert_cmpint (pragma_int (f->path, "user_version"), ==, 0);
  store = open_ok (f->path);
  add_user (store, "alice", "a");
  g_clear_object (&store);
  g_assert_cmpint (pragma_int (f->path, "user_version"), ==, CZ_STORE_SCHEMA_VERSION);
  g_assert_cmpint (pragma_int (f->path, "application_id"), !=, 0);

  /* An empty (0-byte) file is a new database too. */
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  store = open_ok (empty);
  g_clear_object (&store);
  g_assert_cmpint (pragma_int (empty, "user_version"), ==, CZ_STORE_SCHEMA_VERSION);
}

/* A schema-v1 database exactly as Causerie wrote it (the v0 -> v1 step),
 * with users 1 alice, 2 bob, 5 carol and messages whose ids have gaps. */
#define V1_SCHEMA \
  "CREATE TABLE users (" \
  "  id INTEGER PRIMARY KEY," \
  "  name TEXT UNIQUE NOT NULL," \
  "  salt BLOB," \
  "  iterations INTEGER," \
  "  stored_key BLOB," \
  "  server_key BLOB," \
  "  created INTEGER);" \
  "CREATE TABLE messages (" \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT," \
  "  ts INTEGER NOT NULL," \
  "  sender INTEGER NOT NULL REFERENCES users(id)," \
  "  recipient INTEGER REFERENCES users(id)," \
  "  text TEXT NOT NULL," \
  "  delivered_ts INTEGER," \
  "  read_ts INTEGER);" \
  "CREATE INDEX messages_pending ON messages (recipient, delivered_ts);" \
  "CREATE INDEX messages_direct ON messages (sender, recipient, id);" \
  "CREATE INDEX messages_recipient ON messages (recipient, id);" \
  "PRAGMA user_version = 1;" \
  "PRAGMA application_id = 1132094562;"
#define V1_USERS \
  "INSERT INTO users VALUES" \
  " (1, 'alice', x'0102', 4096, zeroblob (32), zeroblob (32), 1)," \
  " (2, 'bob', x'0304', 4096, zeroblob (32), zeroblob (32), 2)," \
  " (5, 'carol', x'0506', 4096, zeroblob (32), zeroblob (32), 3);"
/* Pending, delivered, read, lobby; the highest id (40) is the last row. */
#define V1_MESSAGES \
  "INSERT INTO messages VALUES" \
  " (3, 1000, 1, 2, 'alice to bob, pending', NULL, NULL)," \
  " (4, 1001, 2, 1, 'bob to alice, delivered', 1500, NULL)," \
  " (7, 1002, 1, NULL, 'alice in the lobby', NULL, NULL)," \
  " (10, 1003, 1, 2, 'alice to bob, read', 1600, 1700)," \
  " (11, 1004, 5, 2, 'carol to bob, pending', NULL, NULL)," \
  " (25, 1005, 2, 5, 'bob to carol, read', 1800, 1900)," \
  " (40, 1006, 2, NULL, 'bob in the lobby', NULL, NULL);"

/* Every message row, in id order, as text. */
static char *
dump_messages (const char *path)
{
  return query_text (path, "SELECT group_concat (row, '|') FROM"
                     " (SELECT id || ',' || ts || ',' || sender || ',' || quote (recipient)"
                     "  || ',' || text || ',' || quote (delivered_ts) || ',' || quote (read_ts)"
                     "  AS row FROM messages ORDER BY id)");
}

static void
assert_query (const char *path, const char *sql, const char *expected)
{
  g_autofree char *text = store_query (path, sql);

  g_assert_cmpstr (text, ==, expected);
}

/* Ids (oldest first) and texts of @records, as "id text|...". */
#define REC_AT(i) ((CzMessageRecord *) g_ptr_array_index (records, (i)))
static char *
records_text (GPtrArray *records)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < records->len; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT " %s %s->%s%s%s", i > 0 ? "|" : "",
                            REC_AT (i)->id, REC_AT (i)->text, REC_AT (i)->from,
                            REC_AT (i)->to != NULL ? REC_AT (i)->to : "#lobby",
                            REC_AT (i)->delivered ? " delivered" : "",
                            REC_AT (i)->read ? " read" : "");
  return g_string_free (s, FALSE);
}
#undef REC_AT

static void
assert_pending (CzStore *store, const char *user, const char *expected)
{
  g_autoptr(CzStorePending) op = pending (store, user);
  g_autofree char *text = records_text (op->messages);

  g_assert_cmpstr (text, ==, expected);
}

static void
assert_history (CzStore *store, const char *user, const char *peer, const char *expected)
{
  g_autoptr(CzStoreHistory) op = history (store, user, peer, 0, 0);
  g_autofree char *text = records_text (op->messages);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_migrate_v1 (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = NULL;
  g_autofree char *before = NULL, *after = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id, id2;

  make_db (f->path, V1_SCHEMA V1_USERS V1_MESSAGES);
  assert_query (f->path, "SELECT seq FROM sqlite_sequence WHERE name = 'messages'", "40");
  before = dump_messages (f->path);

  store = open_ok (f->path);
  g_clear_object (&store);
  g_assert_cmpint (pragma_int (f->path, "user_version"), ==, CZ_STORE_SCHEMA_VERSION);
  g_assert_cmpint (pragma_int (f->path, "application_id"), ==, 1132094562);
  /* Every row, id and state as it was. */
  after = dump_messages (f->path);
  g_assert_cmpstr (after, ==, before);
  assert_query (f->path, "SELECT group_concat (name) FROM"
                " (SELECT name FROM sqlite_schema WHERE tbl_name = 'messages' ORDER BY name)",
                "messages,messages_direct,messages_lobby,messages_pending,messages_txn");
  assert_query (f->path, "SELECT count (*) FROM sqlite_schema WHERE sql LIKE '%AUTOINCREMENT%'",
                "0");
  assert_query (f->path, "SELECT group_concat (name) FROM (SELECT name FROM users ORDER BY id)",
                "alice,bob,carol");
  assert_query (f->path, "PRAGMA integrity_check", "ok");
  assert_query (f->path, "SELECT count (*) FROM pragma_foreign_key_check", "0");

  /* The store reads the same messages and states through the new indexes. */
  store = open_ok (f->path);
  g_assert_true (cz_store_user_exists (store, "carol", &error));
  g_assert_no_error (error);
  assert_pending (store, "bob", "3 alice to bob, pending alice->bob|11 carol to bob, pending carol->bob");
  assert_pending (store, "alice", "");
  assert_pending (store, "carol", "");
  assert_history (store, "alice", "bob",
                  "3 alice to bob, pending alice->bob|"
                  "4 bob to alice, delivered bob->alice delivered|"
                  "10 alice to bob, read alice->bob delivered read");
  assert_history (store, "carol", "bob",
                  "11 carol to bob, pending carol->bob|25 bob to carol, read bob->carol delivered read");
  assert_history (store, "bob", NULL,
                  "7 alice in the lobby alice->#lobby|40 bob in the lobby bob->#lobby");

  /* New ids continue above the old maximum. */
  id = save (store, "alice", "bob", "after the migration");
  id2 = save (store, "carol", NULL, "lobby after the migration");
  g_assert_cmpint (id, >, 40);
  g_assert_cmpint (id2, >, id);
  assert_history (store, "alice", NULL,
                  "7 alice in the lobby alice->#lobby|40 bob in the lobby bob->#lobby|"
                  "42 lobby after the migration carol->#lobby");

  /* Deliveries leave the pending index. */
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_DELIVERED, "bob", 3, 0), ==, 1);
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_READ, "bob", 11, 0), ==, 1);
  assert_pending (store, "bob", "41 after the migration alice->bob");

  /* Migrated once: reopening changes nothing. */
  g_clear_object (&store);
  store = open_ok (f->path);
  assert_pending (store, "bob", "41 after the migration alice->bob");
  g_clear_object (&store);
  g_assert_cmpint (pragma_int (f->path, "user_version"), ==, CZ_STORE_SCHEMA_VERSION);
  assert_query (f->path, "SELECT max (id) FROM messages", "42");
}

/* A schema-v3 database as Causerie wrote it (v1 above, then the v1 -> v2
 * and v2 -> v3 steps), users alice (4096 iterations), bob (4096), carol
 * (5000). */
#define V3_SCHEMA \
  "CREATE TABLE users (" \
  "  id INTEGER PRIMARY KEY," \
  "  name TEXT UNIQUE NOT NULL," \
  "  salt BLOB," \
  "  iterations INTEGER," \
  "  stored_key BLOB," \
  "  server_key BLOB," \
  "  created INTEGER);" \
  "CREATE TABLE messages (" \
  "  id INTEGER PRIMARY KEY," \
  "  ts INTEGER NOT NULL," \
  "  sender INTEGER NOT NULL REFERENCES users(id)," \
  "  recipient INTEGER REFERENCES users(id)," \
  "  text TEXT NOT NULL," \
  "  delivered_ts INTEGER," \
  "  read_ts INTEGER, txn TEXT);" \
  "CREATE INDEX messages_pending ON messages (recipient, id)" \
  "  WHERE delivered_ts IS NULL AND recipient IS NOT NULL;" \
  "CREATE INDEX messages_direct ON messages (sender, recipient, id)" \
  "  WHERE recipient IS NOT NULL;" \
  "CREATE INDEX messages_lobby ON messages (id) WHERE recipient IS NULL;" \
  "CREATE UNIQUE INDEX messages_txn ON messages (sender, txn) WHERE txn IS NOT NULL;" \
  "INSERT INTO users VALUES" \
  " (1, 'alice', x'0102', 4096, zeroblob (32), zeroblob (32), 1)," \
  " (2, 'bob', x'0304', 4096, zeroblob (32), zeroblob (32), 2)," \
  " (5, 'carol', x'0506', 5000, zeroblob (32), zeroblob (32), 3);" \
  "INSERT INTO messages VALUES (3, 1000, 1, 2, 'alice to bob', NULL, NULL, 't1');" \
  "PRAGMA user_version = 3;" \
  "PRAGMA application_id = 1132094562;"

static void
login_secret (CzStore *store, guint8 secret[32], const char *counts)
{
  g_autoptr(CzStoreLoginSecret) op = cz_store_login_secret_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  g_assert_true (cz_store_run (store, &op->op, &error));
  g_assert_no_error (error);
  memcpy (secret, op->secret, 32);
  for (guint i = 0; i < op->iterations->len; i++)
    g_string_append_printf (text, "%s%u", i ? "," : "", g_array_index (op->iterations, guint, i));
  g_assert_cmpstr (text->str, ==, counts);
}

/* v3 -> v4 (issue #15 item 9): the fake-challenge secret is made once,
 * kept across reopenings, and the rows are as they were. */
static void
test_migrate_v3 (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = NULL;
  g_autofree char *before = NULL, *after = NULL;
  guint8 s1[32], s2[32], zero[32] = { 0 };

  make_db (f->path, V3_SCHEMA);
  before = dump_messages (f->path);
  store = open_ok (f->path);
  g_clear_object (&store);
  g_assert_cmpint (pragma_int (f->path, "user_version"), ==, CZ_STORE_SCHEMA_VERSION);
  after = dump_messages (f->path);
  g_assert_cmpstr (after, ==, before);
  assert_query (f->path, "SELECT count (*) FROM login_secret", "0");
  assert_query (f->path, "PRAGMA integrity_check", "ok");

  store = open_ok (f->path);
  login_secret (store, s1, "4096,5000");
  g_assert_true (memcmp (s1, zero, 32) != 0);
  g_clear_object (&store);
  assert_query (f->path, "SELECT count (*) FROM login_secret", "1");
  store = open_ok (f->path);
  add_user (store, "dave", "d");
  login_secret (store, s2, "4096,5000");
  g_assert_cmpmem (s1, 32, s2, 32);
}

static void
test_login_secret_new (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  guint8 s1[32], s2[32];

  login_secret (store, s1, "");
  login_secret (store, s2, "");
  g_assert_cmpmem (s1, 32, s2, 32);
  add_user (store, "alice", "a");
  login_secret (store, s2, "4096");
}

/* A migration that fails leaves the database as it was: here a v1 file
 * with a message from a user who does not exist (written without foreign
 * keys), which the copy refuses. */
static void
test_migrate_v1_fails (Fixture *f, gconstpointer data)
{
  g_autofree char *before = NULL, *after = NULL;

  make_db (f->path, V1_SCHEMA V1_USERS V1_MESSAGES
           "INSERT INTO messages VALUES (41, 1007, 9, 1, 'from nobody', NULL, NULL);");
  before = dump_messages (f->path);

  expect_open_error (f->path, "the change conflicts with the data in server.db*");
  g_assert_cmpint (pragma_int (f->path, "user_version"), ==, 1);
  after = dump_messages (f->path);
  g_assert_cmpstr (after, ==, before);
  assert_query (f->path, "SELECT group_concat (name) FROM"
                " (SELECT name FROM sqlite_schema WHERE tbl_name = 'messages' ORDER BY name)",
                "messages,messages_direct,messages_pending,messages_recipient");
  assert_query (f->path, "SELECT seq FROM sqlite_sequence WHERE name = 'messages'", "41");
}


static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *garbage = g_build_filename (f->dir, "server.db", NULL);
  g_autofree char *big = g_build_filename (f->dir, "big.db", NULL);
  g_autofree char *foreign = g_build_filename (f->dir, "foreign.db", NULL);
  g_autofree char *junk = g_strnfill (5000, 'x');

  make_db (f->path, "PRAGMA user_version = 99;");
  expect_open_error (f->path, "server.db was written by a newer version of Causerie*");
  /* Refused, and left as it was. */
  g_assert_cmpint (pragma_int (f->path, "user_version"), ==, 99);

  g_assert_true (g_file_set_contents (garbage, "this is not a database", -1, NULL));
  expect_open_error (garbage, "server.db is not a Causerie database or is corrupt");
  g_assert_true (g_file_set_contents (big, junk, -1, NULL));
  expect_open_error (big, "big.db is not a Causerie database or is corrupt");

  /* Another program's SQLite database. */
  make_db (foreign, "CREATE TABLE bookmarks (url TEXT);");
  expect_open_error (foreign, "foreign.db is not a Causerie database or is corrupt");
}

static void
test_users (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(CzStoreGetUser) get = cz_store_get_user_new ("alice");
  g_autoptr(CzStoreAddUser) dup = cz_store_add_user_new ("alice");
  g_autoptr(CzStoreAddUser) bad = cz_store_add_user_new ("Not Valid");
  g_autoptr(CzStoreAddUser) valid = cz_store_add_user_new ("valid");
  g_autoptr(CzStoreGetUser) unknown = cz_store_get_user_new ("nobody");
  g_auto(CzScramCredentials) creds = { 0 };
  g_autoptr(GBytes) salt = cz_scram_new_salt ();
  g_autoptr(GError) error = NULL;

  g_assert_false (cz_store_user_exists (store, "alice", &error));
  g_assert_no_error (error);

  g_assert_true (cz_scram_credentials_from_password (&creds, PASSWORD, salt, 5000, NULL));
  dup->creds.salt = g_bytes_ref (salt);
  dup->creds.iterations = 5000;
  memcpy (dup->creds.stored_key, creds.stored_key, 32);
  memcpy (dup->creds.server_key, creds.server_key, 32);
  run_ok (store, dup);
  g_assert_true (cz_store_user_exists (store, "alice", &error));
  g_assert_no_error (error);

  run_ok (store, get);
  g_assert_true (g_bytes_equal (get->creds.salt, salt));
  g_assert_cmpuint (get->creds.iterations, ==, 5000);
  g_assert_cmpmem (get->creds.stored_key, 32, creds.stored_key, 32);
  g_assert_cmpmem (get->creds.server_key, 32, creds.server_key, 32);

  run_fails (store, dup, CZ_ERROR_USER_EXISTS);

  run_fails (store, unknown, CZ_ERROR_NO_SUCH_USER);

  bad->creds.salt = g_bytes_ref (salt);
  bad->creds.iterations = 5000;
  run_fails (store, bad, CZ_ERROR_BAD_NAME);
  valid->creds.salt = g_bytes_ref (salt);
  valid->creds.iterations = 1000;
  run_fails (store, valid, CZ_ERROR_INVALID);
  g_assert_false (cz_store_user_exists (store, "valid", NULL));
}

static void
test_messages (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(CzStorePending) op = NULL;
  g_autoptr(CzStoreHistory) h = NULL;
  g_autoptr(CzStoreMark) m = NULL;
  g_autoptr(CzStoreSaveMessage) s = NULL;
  gint64 ids[3];

  add_user (store, "alice", "a");
  add_user (store, "bob", "b");
  ids[0] = save (store, "alice", "bob", "m1");
  ids[1] = save (store, "alice", "bob", "m2");
  ids[2] = save (store, "alice", "bob", "m3");
  save (store, "bob", "alice", "reply");
  save (store, "alice", NULL, "lobby");

  op = pending (store, "bob");
  g_assert_cmpuint (op->messages->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (REC (op, i)->id, ==, ids[i]);
      g_assert_cmpstr (REC (op, i)->from, ==, "alice");
      g_assert_cmpstr (REC (op, i)->to, ==, "bob");
      g_assert_false (REC (op, i)->delivered);
    }
  g_assert_cmpstr (REC (op, 2)->text, ==, "m3");
  g_clear_pointer (&op, cz_store_pending_free);

  /* Only the recipient can mark. */
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_DELIVERED, "alice", ids[0], 0), ==, 0);
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_READ, "alice", ids[0], 0), ==, 0);

  m = mark (store, CZ_STORE_OP_MARK_DELIVERED, "bob", ids[0], 0);
  g_assert_cmpuint (m->changed->len, ==, 1);
  g_assert_cmpint (MARKED (m, 0)->id, ==, ids[0]);
  g_assert_cmpstr (MARKED (m, 0)->from, ==, "alice");
  g_assert_true (MARKED (m, 0)->delivered);
  g_assert_false (MARKED (m, 0)->read);
  g_clear_pointer (&m, cz_store_mark_free);
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_DELIVERED, "bob", ids[0], 0), ==, 0);

  /* Read implies delivered. */
  m = mark (store, CZ_STORE_OP_MARK_READ, "bob", ids[1], 0);
  g_assert_cmpuint (m->changed->len, ==, 1);
  g_assert_true (MARKED (m, 0)->read);
  g_assert_true (MARKED (m, 0)->delivered);
  g_clear_pointer (&m, cz_store_mark_free);
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_READ, "bob", ids[1], 0), ==, 0);
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_DELIVERED, "bob", ids[1], 0), ==, 0);
  /* Delivered, not read yet. */
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_READ, "bob", ids[0], 0), ==, 1);

  op = pending (store, "bob");
  g_assert_cmpuint (op->messages->len, ==, 1);
  g_assert_cmpint (REC (op, 0)->id, ==, ids[2]);
  g_clear_pointer (&op, cz_store_pending_free);

  h = history (store, "alice", "bob", 0, 0);
  g_assert_cmpuint (h->messages->len, ==, 4);
  g_assert_true (REC (h, 0)->read && REC (h, 1)->read);
  g_assert_false (REC (h, 2)->delivered);
  g_clear_pointer (&h, cz_store_history_free);
  /* Several ids in one op: only the ones that change come back. */
  m = mark (store, CZ_STORE_OP_MARK_DELIVERED, "bob", ids[2], ids[0]);
  g_assert_cmpuint (m->changed->len, ==, 1);
  g_assert_cmpint (MARKED (m, 0)->id, ==, ids[2]);
  g_clear_pointer (&m, cz_store_mark_free);
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_READ, "bob", ids[2], ids[1]), ==, 1);

  /* Unknown sender or recipient. */
  s = save_op ("mallory", NULL, "hi");
  run_fails (store, s, CZ_ERROR_NO_SUCH_USER);
  g_clear_pointer (&s, cz_store_save_message_free);
  s = save_op ("alice", "mallory", "hi");
  run_fails (store, s, CZ_ERROR_NO_SUCH_USER);
  g_assert_cmpint (s->id, ==, 0);
  g_clear_pointer (&s, cz_store_save_message_free);

  op = cz_store_pending_new ("mallory", 0, 0);
  run_fails (store, op, CZ_ERROR_NO_SUCH_USER);
}

/* A message resent with the same txn is stored once; its ack's id and
 * ts come back. */
static void
test_txn (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(CzStoreSaveMessage) first = save_op ("alice", "bob", "once");
  g_autoptr(CzStoreSaveMessage) again = save_op ("alice", "bob", "once");
  g_autoptr(CzStoreSaveMessage) other = save_op ("bob", "alice", "mine");
  g_autoptr(CzStorePending) op = NULL;

  add_user (store, "alice", "a");
  add_user (store, "bob", "b");
  first->txn = g_strdup ("c0ffee-1");
  run_ok (store, first);
  g_assert_false (first->duplicate);

  again->txn = g_strdup ("c0ffee-1");
  again->ts = first->ts + 5000;
  run_ok (store, again);
  g_assert_true (again->duplicate);
  g_assert_cmpint (again->id, ==, first->id);
  g_assert_cmpint (again->ts, ==, first->ts);

  /* Another sender's txn is another message. */
  other->txn = g_strdup ("c0ffee-1");
  run_ok (store, other);
  g_assert_false (other->duplicate);
  g_assert_cmpint (other->id, >, first->id);
  /* Without a txn, nothing is deduplicated. */
  g_assert_cmpint (save (store, "alice", "bob", "once"), >, other->id);

  op = pending (store, "bob");
  g_assert_cmpuint (op->messages->len, ==, 2);
  g_assert_cmpint (REC (op, 0)->id, ==, first->id);
  assert_query (f->path, "SELECT count (*) FROM messages WHERE txn = 'c0ffee-1'", "2");
}

static void
test_history (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(CzStoreHistory) op = NULL;
  gint64 direct[30], lobby[5];

  add_user (store, "alice", "a");
  add_user (store, "bob", "b");
  add_user (store, "carol", "c");
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *text = g_strdup_printf ("d%u", i);

      direct[i] = save (store, i % 2 ? "bob" : "alice", i % 2 ? "alice" : "bob", text);
      save (store, "carol", "bob", "noise");
      if (i % 6 == 0)
        lobby[i / 6] = save (store, "carol", NULL, "hello all");
    }

  /* Newest 10, oldest first. */
  op = history (store, "alice", "bob", 0, 10);
  g_assert_cmpuint (op->messages->len, ==, 10);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpint (REC (op, i)->id, ==, direct[20 + i]);
  g_assert_cmpstr (REC (op, 9)->text, ==, "d29");
  g_clear_pointer (&op, cz_store_history_free);

  /* The page before, asked by the other side. */
  op = history (store, "bob", "alice", direct[20], 10);
  g_assert_cmpuint (op->messages->len, ==, 10);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpint (REC (op, i)->id, ==, direct[10 + i]);
  g_clear_pointer (&op, cz_store_history_free);

  op = history (store, "alice", "bob", direct[3], 10);
  g_assert_cmpuint (op->messages->len, ==, 3);
  g_assert_cmpint (REC (op, 0)->id, ==, direct[0]);
  g_clear_pointer (&op, cz_store_history_free);

  op = history (store, "alice", "bob", 0, 0);
  g_assert_cmpuint (op->messages->len, ==, 30);
  g_clear_pointer (&op, cz_store_history_free);

  op = history (store, "alice", "carol", 0, 0);
  g_assert_cmpuint (op->messages->len, ==, 0);
  g_clear_pointer (&op, cz_store_history_free);

  op = history (store, "alice", NULL, 0, 3);
  g_assert_cmpuint (op->messages->len, ==, 3);
  g_assert_cmpint (REC (op, 0)->id, ==, lobby[2]);
  g_assert_cmpint (REC (op, 2)->id, ==, lobby[4]);
  g_assert_null (REC (op, 2)->to);
  g_assert_cmpstr (REC (op, 2)->from, ==, "carol");
  g_clear_pointer (&op, cz_store_history_free);

  op = history (store, "alice", NULL, lobby[1], 0);
  g_assert_cmpuint (op->messages->len, ==, 1);
  g_assert_cmpint (REC (op, 0)->id, ==, lobby[0]);
}

/* ---- Unwritable database --------------------------------------------- */

static void
test_read_only (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *name = g_strdup_printf ("cz-store-ro-%d", (int) getppid ());
      g_autofree char *dir = g_build_filename (g_get_tmp_dir (), name, NULL);
      g_autofree char *path = g_build_filename (dir, "data", "server.db", NULL);
      g_autofree char *other = g_build_filename (dir, "data", "other.db", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(CzStore) store = NULL;

      /* root writes anyway: become nobody to see what a user sees. */
      if (geteuid () == 0 && (setgid (65534) != 0 || setuid (65534) != 0))
        g_error ("cannot drop privileges");

      store = cz_store_open (path, &error);
      g_assert_null (store);
      g_assert_error (error, CZ_ERROR, CZ_ERROR_STORE);
      g_print ("%s\n", error->message);
      g_clear_error (&error);

      store = cz_store_open (other, &error);
      g_assert_null (store);
      g_assert_error (error, CZ_ERROR, CZ_ERROR_STORE);
      g_print ("%s\n", error->message);
      return;
    }

  {
    g_autofree char *name = g_strdup_printf ("cz-store-ro-%d", (int) getpid ());
    g_autofree char *dir = g_build_filename (g_get_tmp_dir (), name, NULL);
    g_autofree char *data_dir = g_build_filename (dir, "data", NULL);
    g_autofree char *path = g_build_filename (data_dir, "server.db", NULL);
    g_autoptr(CzStore) store = NULL;

    /* The child finds the folder by our pid. */
    cz_test_rmdir (dir);
    store = open_ok (path);
    add_user (store, "alice", "a");
    g_clear_object (&store);

    g_assert_cmpint (g_chmod (path, 0444), ==, 0);
    g_assert_cmpint (g_chmod (data_dir, 0555), ==, 0);
    g_assert_cmpint (g_chmod (dir, 0755), ==, 0);

    g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_chmod (data_dir, 0700);
    g_chmod (path, 0600);
    cz_test_rmdir (dir);

    g_test_trap_assert_passed ();
    g_test_trap_assert_stdout ("server.db is read-only: *\ncannot create */other.db: *\n");
  }
}

/* ---- No password in the file ----------------------------------------- */

static gboolean
file_contains (const char *path, const void *needle, gsize len)
{
  g_autofree char *data = NULL;
  gsize size = 0;

  if (!g_file_get_contents (path, &data, &size, NULL))
    return FALSE;
  for (gsize i = 0; i + len <= size; i++)
    if (memcmp (data + i, needle, len) == 0)
      return TRUE;
  return FALSE;
}

static void
test_no_password (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(CzStoreGetUser) get = cz_store_get_user_new ("alice");
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  gboolean found_key;

  add_user (store, "alice", PASSWORD);
  run_ok (store, get);
  g_clear_object (&store);

  /* The scan works: the stored key is there... */
  found_key = file_contains (f->path, get->creds.stored_key, 32) ||
              file_contains (wal, get->creds.stored_key, 32);
  g_assert_true (found_key);
  /* ...and the password is not. */
  g_assert_false (file_contains (f->path, PASSWORD, strlen (PASSWORD)));
  g_assert_false (file_contains (wal, PASSWORD, strlen (PASSWORD)));
}

/* PostgreSQL: the schema is versioned in causerie_schema, migrated on
 * open, and a newer schema or another program's tables are refused. */
static void
test_pg_schema (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autofree char *version = NULL;

  g_clear_object (&store);
  version = store_query (f->path, "SELECT version FROM causerie_schema");
  g_assert_cmpint (atoi (version), >=, 1);
  store = open_ok (f->path);   /* again: nothing to migrate */
  g_clear_object (&store);
  g_free (store_query (f->path, "UPDATE causerie_schema SET version = 99"));
  expect_open_error (f->path, "*was written by a newer version of Causerie (schema version 99*");

  g_free (store_query (f->path, "DROP TABLE causerie_schema"));
  expect_open_error (f->path, "*is not a Causerie database*");
  expect_open_error ("postgresql://[bad", "not a PostgreSQL connection URI*");
}

/* PostgreSQL goes away: nothing is acknowledged while it is gone (the op
 * fails), the store reconnects by itself once it is back, and what was
 * acknowledged before is there. */
static void
test_pg_outage (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(CzStoreSaveMessage) lost = save_op ("alice", "bob", "while away");
  g_autoptr(CzStoreHistory) h = NULL;
  gint64 before, after;

  add_user (store, "alice", "a");
  add_user (store, "bob", "b");
  before = save (store, "alice", "bob", "before");
  store_pg_stop_server ();
  run_fails (store, lost, CZ_ERROR_UNAVAILABLE);
  g_test_message ("%s", lost->op.error->message);
  g_assert_cmpint (lost->id, ==, 0);
  store_pg_start_server ();
  after = save (store, "alice", "bob", "after");
  g_assert_cmpint (after, >, before);
  h = history (store, "bob", "alice", 0, 0);
  g_assert_cmpuint (h->messages->len, ==, 2);
  g_assert_cmpstr (REC (h, 0)->text, ==, "before");
  g_assert_cmpstr (REC (h, 1)->text, ==, "after");
}

/* --migrate-db: a populated SQLite database copied into PostgreSQL reads
 * the same through the store (accounts, messages, receipts, txn, the
 * login secret); new ids continue after the copied ones; a second copy
 * into the now non-empty database is refused and changes nothing. */
static void
test_pg_migrate (Fixture *f, gconstpointer data)
{
  g_autofree char *file = g_build_filename (f->dir, "old.db", NULL);
  g_autoptr(CzStore) store = open_ok (file);
  g_autoptr(CzStoreSaveMessage) dup = save_op ("alice", "bob", "once");
  g_autoptr(CzStoreGetUser) before = cz_store_get_user_new ("alice");
  g_autoptr(CzStoreGetUser) after = cz_store_get_user_new ("alice");
  g_autoptr(CzStorePending) p = NULL;
  g_autoptr(CzStoreHistory) h = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *lobby_before = NULL;
  CzStoreMigration done;
  guint8 s1[32], s2[32];
  gint64 ids[6], next;

  add_user (store, "alice", "a");
  add_user (store, "bob", "b");
  add_user (store, "carol", "c");
  ids[0] = save (store, "alice", NULL, "hello all");
  ids[1] = save (store, "alice", "bob", "to bob, read");
  ids[2] = save (store, "alice", "bob", "to bob, delivered");
  ids[3] = save (store, "carol", "bob", "to bob, waiting");
  ids[4] = save (store, "bob", "alice", "to alice, waiting");
  dup->txn = g_strdup ("t-1");
  run_ok (store, dup);
  ids[5] = dup->id;
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_READ, "bob", ids[1], 0), ==, 1);
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_DELIVERED, "bob", ids[2], ids[5]), ==, 2);
  login_secret (store, s1, "4096");
  run_ok (store, before);
  g_clear_object (&store);

  g_assert_true (cz_store_migrate_to_pg (file, f->path, &done, &error));
  g_assert_no_error (error);
  g_assert_cmpint (done.users, ==, 3);
  g_assert_cmpint (done.messages, ==, 6);
  g_assert_cmpint (done.delivered, ==, 3);
  g_assert_cmpint (done.read, ==, 1);

  store = open_ok (f->path);
  run_ok (store, after);
  g_assert_true (g_bytes_equal (before->creds.salt, after->creds.salt));
  g_assert_cmpmem (before->creds.stored_key, 32, after->creds.stored_key, 32);
  g_assert_cmpmem (before->creds.server_key, 32, after->creds.server_key, 32);
  login_secret (store, s2, "4096");
  g_assert_cmpmem (s1, 32, s2, 32);
  p = pending (store, "bob");
  g_assert_cmpuint (p->messages->len, ==, 1);
  g_assert_cmpint (REC (p, 0)->id, ==, ids[3]);
  g_clear_pointer (&p, cz_store_pending_free);
  p = pending (store, "alice");
  g_assert_cmpuint (p->messages->len, ==, 1);
  g_assert_cmpint (REC (p, 0)->id, ==, ids[4]);
  h = history (store, "bob", "alice", 0, 0);
  g_assert_cmpuint (h->messages->len, ==, 4);
  g_assert_cmpint (REC (h, 0)->id, ==, ids[1]);
  g_assert_true (REC (h, 0)->read);
  g_assert_true (REC (h, 1)->delivered);
  g_assert_false (REC (h, 1)->read);
  g_assert_false (REC (h, 2)->delivered);
  g_assert_cmpstr (REC (h, 3)->text, ==, "once");
  g_clear_pointer (&h, cz_store_history_free);
  h = history (store, "carol", NULL, 0, 0);
  g_assert_cmpuint (h->messages->len, ==, 1);
  g_assert_cmpstr (REC (h, 0)->text, ==, "hello all");
  /* The txn came along: a resend is still recognized. */
  g_clear_pointer (&dup, cz_store_save_message_free);
  dup = save_op ("alice", "bob", "once");
  dup->txn = g_strdup ("t-1");
  run_ok (store, dup);
  g_assert_true (dup->duplicate);
  g_assert_cmpint (dup->id, ==, ids[5]);
  /* New rows get new ids. */
  next = save (store, "carol", NULL, "after the move");
  g_assert_cmpint (next, >, ids[5]);
  add_user (store, "dave", "d");
  g_clear_object (&store);

  lobby_before = store_query (f->path, "SELECT count(*) FROM messages");
  g_assert_false (cz_store_migrate_to_pg (file, f->path, &done, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  {
    g_autofree char *lobby_after = store_query (f->path, "SELECT count(*) FROM messages");
    g_assert_cmpstr (lobby_after, ==, lobby_before);
  }
  /* Wrong way round. */
  g_assert_false (cz_store_migrate_to_pg (f->path, file, &done, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/store/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("open-mode", test_open_mode);
  ADD ("migrate-v0", test_migrate_v0);
  ADD ("migrate-v1", test_migrate_v1);
  ADD ("migrate-v1-fails", test_migrate_v1_fails);
  ADD ("migrate-v3", test_migrate_v3);
  ADD ("refused", test_refused);
  ADD ("no-password", test_no_password);
#undef ADD
  g_test_add_func ("/store/read-only", test_read_only);
  /* The store interface, on SQLite and on PostgreSQL alike. */
  store_add_both ("reopen", test_reopen);
  store_add_both ("login-secret", test_login_secret_new);
  store_add_both ("users", test_users);
  store_add_both ("messages", test_messages);
  store_add_both ("txn", test_txn);
  store_add_both ("history", test_history);
  store_add_pg ("schema", test_pg_schema);
  store_add_pg ("outage", test_pg_outage);
  store_add_pg ("migrate", test_pg_migrate);

  return store_test_run ();
}
