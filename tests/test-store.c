#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "cz-error.h"
#include "cz-scram.h"
#include "cz-store.h"

#define PASSWORD "correct horse battery staple 7f3a"

typedef struct {
  char *dir;
  char *path;     /* dir/data/server.db: the parent folder does not exist yet */
} Fixture;

static void
rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;

      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          rm_rf (child);
        }
      g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("cz-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "data", "server.db", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static CzStore *
open_ok (const char *path)
{
  g_autoptr(GError) error = NULL;
  CzStore *store = cz_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
run_ok (CzStore *store, CzStoreOp *op)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cz_store_run (store, op, &error));
  g_assert_no_error (error);
  g_assert_null (op->error);
}

static void
add_user (CzStore *store, const char *name, const char *password)
{
  g_autoptr(CzStoreOp) op = cz_store_op_new (CZ_STORE_OP_ADD_USER);
  g_autoptr(GBytes) salt = cz_scram_new_salt ();

  op->user = g_strdup (name);
  cz_scram_credentials_from_password (&op->creds, password, salt, CZ_SCRAM_MIN_ITERATIONS);
  run_ok (store, op);
}

static gint64
save (CzStore *store, const char *from, const char *to, const char *text)
{
  g_autoptr(CzStoreOp) op = cz_store_op_new (CZ_STORE_OP_SAVE_MESSAGE);

  op->user = g_strdup (from);
  op->peer = g_strdup (to);
  op->text = g_strdup (text);
  op->ts = 1700000000000;
  run_ok (store, op);
  g_assert_cmpint (op->id, >, 0);
  g_assert_cmpint (op->ts, ==, 1700000000000);
  return op->id;
}

static CzStoreOp *
history (CzStore *store, const char *user, const char *peer, gint64 before, guint limit)
{
  CzStoreOp *op = cz_store_op_new (CZ_STORE_OP_HISTORY);

  op->user = g_strdup (user);
  op->peer = g_strdup (peer);
  op->before = before;
  op->limit = limit;
  run_ok (store, op);
  g_assert_nonnull (op->messages);
  return op;
}

static CzStoreOp *
pending (CzStore *store, const char *user)
{
  CzStoreOp *op = cz_store_op_new (CZ_STORE_OP_PENDING);

  op->user = g_strdup (user);
  run_ok (store, op);
  return op;
}

static CzStoreOp *
mark (CzStore *store, CzStoreOpKind kind, const char *user, gint64 id)
{
  CzStoreOp *op = cz_store_op_new (kind);

  op->user = g_strdup (user);
  op->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_array_append_val (op->ids, id);
  run_ok (store, op);
  return op;
}

#define REC(op, i) ((CzMessageRecord *) g_ptr_array_index ((op)->messages, (i)))

static char *
pragma_text (const char *path, const char *pragma)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autofree char *sql = g_strdup_printf ("PRAGMA %s", pragma);
  char *v;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
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
  g_autoptr(CzStoreOp) h = NULL;
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
  g_clear_pointer (&h, cz_store_op_free);
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
  g_assert_cmpint (pragma_int (f->path, "user_version"), ==, 1);
  g_assert_cmpint (pragma_int (f->path, "application_id"), !=, 0);

  /* An empty (0-byte) file is a new database too. */
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  store = open_ok (empty);
  g_clear_object (&store);
  g_assert_cmpint (pragma_int (empty, "user_version"), ==, 1);
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
  g_autoptr(CzStoreOp) get = cz_store_op_new (CZ_STORE_OP_GET_USER);
  g_autoptr(CzStoreOp) dup = cz_store_op_new (CZ_STORE_OP_ADD_USER);
  g_autoptr(CzStoreOp) bad = cz_store_op_new (CZ_STORE_OP_ADD_USER);
  g_autoptr(CzStoreOp) unknown = cz_store_op_new (CZ_STORE_OP_GET_USER);
  g_auto(CzScramCredentials) creds = { 0 };
  g_autoptr(GBytes) salt = cz_scram_new_salt ();
  g_autoptr(GError) error = NULL;

  g_assert_false (cz_store_user_exists (store, "alice", &error));
  g_assert_no_error (error);

  cz_scram_credentials_from_password (&creds, PASSWORD, salt, 5000);
  dup->user = g_strdup ("alice");
  dup->creds.salt = g_bytes_ref (salt);
  dup->creds.iterations = 5000;
  memcpy (dup->creds.stored_key, creds.stored_key, 32);
  memcpy (dup->creds.server_key, creds.server_key, 32);
  run_ok (store, dup);
  g_assert_true (cz_store_user_exists (store, "alice", &error));
  g_assert_no_error (error);

  get->user = g_strdup ("alice");
  run_ok (store, get);
  g_assert_true (g_bytes_equal (get->creds.salt, salt));
  g_assert_cmpuint (get->creds.iterations, ==, 5000);
  g_assert_cmpmem (get->creds.stored_key, 32, creds.stored_key, 32);
  g_assert_cmpmem (get->creds.server_key, 32, creds.server_key, 32);

  g_assert_false (cz_store_run (store, dup, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_USER_EXISTS);
  g_assert_error (dup->error, CZ_ERROR, CZ_ERROR_USER_EXISTS);
  g_clear_error (&error);

  unknown->user = g_strdup ("nobody");
  g_assert_false (cz_store_run (store, unknown, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_NO_SUCH_USER);
  g_clear_error (&error);

  bad->user = g_strdup ("Not Valid");
  bad->creds.salt = g_bytes_ref (salt);
  bad->creds.iterations = 5000;
  g_assert_false (cz_store_run (store, bad, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_NAME);
  g_clear_error (&error);
  g_free (bad->user);
  bad->user = g_strdup ("valid");
  bad->creds.iterations = 1000;
  g_assert_false (cz_store_run (store, bad, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
  g_assert_false (cz_store_user_exists (store, "valid", NULL));
}

static void
test_messages (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(CzStoreOp) op = NULL;
  g_autoptr(GError) error = NULL;
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
  g_clear_pointer (&op, cz_store_op_free);

  /* Only the recipient can mark. */
  op = mark (store, CZ_STORE_OP_MARK_DELIVERED, "alice", ids[0]);
  g_assert_cmpuint (op->messages->len, ==, 0);
  g_clear_pointer (&op, cz_store_op_free);
  op = mark (store, CZ_STORE_OP_MARK_READ, "alice", ids[0]);
  g_assert_cmpuint (op->messages->len, ==, 0);
  g_clear_pointer (&op, cz_store_op_free);

  op = mark (store, CZ_STORE_OP_MARK_DELIVERED, "bob", ids[0]);
  g_assert_cmpuint (op->messages->len, ==, 1);
  g_assert_cmpint (REC (op, 0)->id, ==, ids[0]);
  g_assert_cmpstr (REC (op, 0)->from, ==, "alice");
  g_assert_true (REC (op, 0)->delivered);
  g_assert_false (REC (op, 0)->read);
  g_clear_pointer (&op, cz_store_op_free);
  op = mark (store, CZ_STORE_OP_MARK_DELIVERED, "bob", ids[0]);     /* twice */
  g_assert_cmpuint (op->messages->len, ==, 0);
  g_clear_pointer (&op, cz_store_op_free);

  /* Read implies delivered. */
  op = mark (store, CZ_STORE_OP_MARK_READ, "bob", ids[1]);
  g_assert_cmpuint (op->messages->len, ==, 1);
  g_assert_true (REC (op, 0)->read);
  g_assert_true (REC (op, 0)->delivered);
  g_clear_pointer (&op, cz_store_op_free);
  op = mark (store, CZ_STORE_OP_MARK_READ, "bob", ids[1]);
  g_assert_cmpuint (op->messages->len, ==, 0);
  g_clear_pointer (&op, cz_store_op_free);
  op = mark (store, CZ_STORE_OP_MARK_DELIVERED, "bob", ids[1]);
  g_assert_cmpuint (op->messages->len, ==, 0);
  g_clear_pointer (&op, cz_store_op_free);
  op = mark (store, CZ_STORE_OP_MARK_READ, "bob", ids[0]);      /* delivered, not read yet */
  g_assert_cmpuint (op->messages->len, ==, 1);
  g_clear_pointer (&op, cz_store_op_free);

  op = pending (store, "bob");
  g_assert_cmpuint (op->messages->len, ==, 1);
  g_assert_cmpint (REC (op, 0)->id, ==, ids[2]);
  g_clear_pointer (&op, cz_store_op_free);

  op = history (store, "alice", "bob", 0, 0);
  g_assert_cmpuint (op->messages->len, ==, 4);
  g_assert_true (REC (op, 0)->read && REC (op, 1)->read);
  g_assert_false (REC (op, 2)->delivered);
  g_clear_pointer (&op, cz_store_op_free);

  /* Unknown sender or recipient. */
  op = cz_store_op_new (CZ_STORE_OP_SAVE_MESSAGE);
  op->user = g_strdup ("mallory");
  op->text = g_strdup ("hi");
  g_assert_false (cz_store_run (store, op, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_NO_SUCH_USER);
  g_clear_error (&error);
  g_free (op->user);
  op->user = g_strdup ("alice");
  op->peer = g_strdup ("mallory");
  g_assert_false (cz_store_run (store, op, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_NO_SUCH_USER);
  g_assert_cmpint (op->id, ==, 0);
  g_clear_error (&error);
  g_clear_pointer (&op, cz_store_op_free);

  op = cz_store_op_new (CZ_STORE_OP_PENDING);
  op->user = g_strdup ("mallory");
  g_assert_false (cz_store_run (store, op, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_NO_SUCH_USER);
}

static void
test_history (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(CzStoreOp) op = NULL;
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
  g_clear_pointer (&op, cz_store_op_free);

  /* The page before, asked by the other side. */
  op = history (store, "bob", "alice", direct[20], 10);
  g_assert_cmpuint (op->messages->len, ==, 10);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpint (REC (op, i)->id, ==, direct[10 + i]);
  g_clear_pointer (&op, cz_store_op_free);

  op = history (store, "alice", "bob", direct[3], 10);
  g_assert_cmpuint (op->messages->len, ==, 3);
  g_assert_cmpint (REC (op, 0)->id, ==, direct[0]);
  g_clear_pointer (&op, cz_store_op_free);

  op = history (store, "alice", "bob", 0, 0);
  g_assert_cmpuint (op->messages->len, ==, 30);
  g_clear_pointer (&op, cz_store_op_free);

  op = history (store, "alice", "carol", 0, 0);
  g_assert_cmpuint (op->messages->len, ==, 0);
  g_clear_pointer (&op, cz_store_op_free);

  op = history (store, "alice", NULL, 0, 3);
  g_assert_cmpuint (op->messages->len, ==, 3);
  g_assert_cmpint (REC (op, 0)->id, ==, lobby[2]);
  g_assert_cmpint (REC (op, 2)->id, ==, lobby[4]);
  g_assert_null (REC (op, 2)->to);
  g_assert_cmpstr (REC (op, 2)->from, ==, "carol");
  g_clear_pointer (&op, cz_store_op_free);

  op = history (store, "alice", NULL, lobby[1], 0);
  g_assert_cmpuint (op->messages->len, ==, 1);
  g_assert_cmpint (REC (op, 0)->id, ==, lobby[0]);
}

/* ---- Group commit ---------------------------------------------------- */

#define N_GROUP 500

static struct {
  GMutex lock;
  GCond cond;
  guint n_done;
  guint n_errors;
  gint64 ids[N_GROUP];
  guint order[N_GROUP];
} group;

static void
group_done_cb (CzStoreOp *op, gpointer user_data)
{
  guint index = GPOINTER_TO_UINT (user_data);

  g_mutex_lock (&group.lock);
  if (op->error != NULL)
    group.n_errors++;
  group.ids[index] = op->id;
  group.order[group.n_done++] = index;
  g_cond_signal (&group.cond);
  g_mutex_unlock (&group.lock);
  cz_store_op_free (op);
}

static gpointer
group_submit_thread (gpointer data)
{
  CzStore *store = data;

  for (guint i = 0; i < N_GROUP; i++)
    {
      CzStoreOp *op = cz_store_op_new (CZ_STORE_OP_SAVE_MESSAGE);

      op->user = g_strdup ("alice");
      op->text = g_strdup_printf ("message %u", i);
      op->done = group_done_cb;
      op->user_data = GUINT_TO_POINTER (i);
      cz_store_submit (store, op);
    }
  return NULL;
}

static void
test_group_commit (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(CzStoreOp) op = NULL;
  GThread *thread;
  guint before, batches;
  gint64 extra = 0;

  add_user (store, "alice", "a");
  before = cz_store_get_batch_count (store);

  thread = g_thread_new ("submitter", group_submit_thread, store);
  g_mutex_lock (&group.lock);
  while (group.n_done < N_GROUP)
    g_cond_wait (&group.cond, &group.lock);
  g_mutex_unlock (&group.lock);
  g_thread_join (thread);

  batches = cz_store_get_batch_count (store) - before;
  g_test_message ("%d messages committed in %u transactions", N_GROUP, batches);
  g_assert_cmpuint (group.n_errors, ==, 0);
  g_assert_cmpuint (batches, >, 0);
  g_assert_cmpuint (batches, <, N_GROUP);
  for (guint i = 0; i < N_GROUP; i++)
    {
      g_assert_cmpuint (group.order[i], ==, i);       /* FIFO */
      g_assert_cmpint (group.ids[i], >, 0);
      if (i > 0)
        g_assert_cmpint (group.ids[i], >, group.ids[i - 1]);
    }

  /* History is capped at 500. */
  for (guint i = 0; i < 10; i++)
    extra = save (store, "alice", NULL, "more");
  op = history (store, "alice", NULL, 0, 0);
  g_assert_cmpuint (op->messages->len, ==, CZ_STORE_HISTORY_MAX);
  g_assert_cmpint (REC (op, 0)->id, ==, group.ids[10]);
  g_assert_cmpint (REC (op, CZ_STORE_HISTORY_MAX - 1)->id, ==, extra);
  g_clear_pointer (&op, cz_store_op_free);
  op = history (store, "alice", NULL, 0, 100000);
  g_assert_cmpuint (op->messages->len, ==, CZ_STORE_HISTORY_MAX);
}

/* One op's failure inside a batch does not undo the others. */
static void
isolation_done_cb (CzStoreOp *op, gpointer user_data)
{
  GAsyncQueue *queue = user_data;

  g_async_queue_push (queue, op);
}

static void
test_isolation (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(GAsyncQueue) queue = g_async_queue_new ();
  g_autoptr(GBytes) salt = cz_scram_new_salt ();
  const char *users[] = { "dave", "dave", "erin" };
  CzStoreOp *op;

  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      op = cz_store_op_new (CZ_STORE_OP_ADD_USER);
      op->user = g_strdup (users[i]);
      op->creds.salt = g_bytes_ref (salt);
      op->creds.iterations = CZ_SCRAM_MIN_ITERATIONS;
      op->done = isolation_done_cb;
      op->user_data = queue;
      cz_store_submit (store, op);
    }
  op = cz_store_op_new (CZ_STORE_OP_SAVE_MESSAGE);
  op->user = g_strdup ("dave");
  op->peer = g_strdup ("zed");    /* unknown: fails */
  op->text = g_strdup ("x");
  op->done = isolation_done_cb;
  op->user_data = queue;
  cz_store_submit (store, op);

  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(CzStoreOp) done = g_async_queue_pop (queue);

      if (i == 1)
        g_assert_error (done->error, CZ_ERROR, CZ_ERROR_USER_EXISTS);
      else if (i == 3)
        g_assert_error (done->error, CZ_ERROR, CZ_ERROR_NO_SUCH_USER);
      else
        g_assert_no_error (done->error);
    }
  g_assert_true (cz_store_user_exists (store, "dave", NULL));
  g_assert_true (cz_store_user_exists (store, "erin", NULL));

  /* After close, ops fail at once instead of hanging. */
  cz_store_close (store);
  op = cz_store_op_new (CZ_STORE_OP_GET_USER);
  op->user = g_strdup ("dave");
  op->done = isolation_done_cb;
  op->user_data = queue;
  cz_store_submit (store, op);
  op = g_async_queue_try_pop (queue);
  g_assert_nonnull (op);
  g_assert_error (op->error, CZ_ERROR, CZ_ERROR_STORE);
  cz_store_op_free (op);
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
    rm_rf (dir);
    store = open_ok (path);
    add_user (store, "alice", "a");
    g_clear_object (&store);

    g_assert_cmpint (g_chmod (path, 0444), ==, 0);
    g_assert_cmpint (g_chmod (data_dir, 0555), ==, 0);
    g_assert_cmpint (g_chmod (dir, 0755), ==, 0);

    g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_chmod (data_dir, 0700);
    g_chmod (path, 0600);
    rm_rf (dir);

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
  g_autoptr(CzStoreOp) get = cz_store_op_new (CZ_STORE_OP_GET_USER);
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  gboolean found_key;

  add_user (store, "alice", PASSWORD);
  get->user = g_strdup ("alice");
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_mutex_init (&group.lock);
  g_cond_init (&group.cond);

#define ADD(name, func) \
  g_test_add ("/store/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("open-mode", test_open_mode);
  ADD ("reopen", test_reopen);
  ADD ("migrate-v0", test_migrate_v0);
  ADD ("refused", test_refused);
  ADD ("users", test_users);
  ADD ("messages", test_messages);
  ADD ("history", test_history);
  ADD ("group-commit", test_group_commit);
  ADD ("isolation", test_isolation);
  ADD ("no-password", test_no_password);
#undef ADD
  g_test_add_func ("/store/read-only", test_read_only);

  return g_test_run ();
}
