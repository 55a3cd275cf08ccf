#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
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
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      rm_rf (child);
    }
  if (g_rmdir (path) != 0)
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

/* The op fails with @code (as its error and cz_store_run()'s). */
static void
run_fails (CzStore *store, CzStoreOp *op, int code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (cz_store_run (store, op, &error));
  g_assert_error (error, CZ_ERROR, code);
  g_assert_error (op->error, CZ_ERROR, code);
}

static CzStoreOp *
add_user_op (const char *name, const char *password)
{
  CzStoreOp *op = cz_store_op_new (CZ_STORE_OP_ADD_USER);
  g_autoptr(GBytes) salt = cz_scram_new_salt ();

  op->user = g_strdup (name);
  cz_scram_credentials_from_password (&op->creds, password, salt, CZ_SCRAM_MIN_ITERATIONS);
  return op;
}

static void
add_user (CzStore *store, const char *name, const char *password)
{
  g_autoptr(CzStoreOp) op = add_user_op (name, password);

  run_ok (store, op);
}

static CzStoreOp *
save_op (const char *from, const char *to, const char *text)
{
  CzStoreOp *op = cz_store_op_new (CZ_STORE_OP_SAVE_MESSAGE);

  op->user = g_strdup (from);
  op->peer = g_strdup (to);
  op->text = g_strdup (text);
  op->ts = 1700000000000;
  return op;
}

static gint64
save (CzStore *store, const char *from, const char *to, const char *text)
{
  g_autoptr(CzStoreOp) op = save_op (from, to, text);

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

/* Marks message @id, and @id2 too if not 0 (two UPDATEs: a SAVEPOINT). */
static CzStoreOp *
mark (CzStore *store, CzStoreOpKind kind, const char *user, gint64 id, gint64 id2)
{
  CzStoreOp *op = cz_store_op_new (kind);

  op->user = g_strdup (user);
  op->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_array_append_val (op->ids, id);
  if (id2 != 0)
    g_array_append_val (op->ids, id2);
  run_ok (store, op);
  return op;
}

/* How many messages mark() changed. */
static guint
n_marked (CzStore *store, CzStoreOpKind kind, const char *user, gint64 id, gint64 id2)
{
  g_autoptr(CzStoreOp) op = mark (store, kind, user, id, id2);

  return op->messages->len;
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

  run_fails (store, dup, CZ_ERROR_USER_EXISTS);

  unknown->user = g_strdup ("nobody");
  run_fails (store, unknown, CZ_ERROR_NO_SUCH_USER);

  bad->user = g_strdup ("Not Valid");
  bad->creds.salt = g_bytes_ref (salt);
  bad->creds.iterations = 5000;
  run_fails (store, bad, CZ_ERROR_BAD_NAME);
  g_free (bad->user);
  bad->user = g_strdup ("valid");
  bad->creds.iterations = 1000;
  run_fails (store, bad, CZ_ERROR_INVALID);
  g_assert_false (cz_store_user_exists (store, "valid", NULL));
}

static void
test_messages (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(CzStoreOp) op = NULL;
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
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_DELIVERED, "alice", ids[0], 0), ==, 0);
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_READ, "alice", ids[0], 0), ==, 0);

  op = mark (store, CZ_STORE_OP_MARK_DELIVERED, "bob", ids[0], 0);
  g_assert_cmpuint (op->messages->len, ==, 1);
  g_assert_cmpint (REC (op, 0)->id, ==, ids[0]);
  g_assert_cmpstr (REC (op, 0)->from, ==, "alice");
  g_assert_true (REC (op, 0)->delivered);
  g_assert_false (REC (op, 0)->read);
  g_clear_pointer (&op, cz_store_op_free);
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_DELIVERED, "bob", ids[0], 0), ==, 0);

  /* Read implies delivered. */
  op = mark (store, CZ_STORE_OP_MARK_READ, "bob", ids[1], 0);
  g_assert_cmpuint (op->messages->len, ==, 1);
  g_assert_true (REC (op, 0)->read);
  g_assert_true (REC (op, 0)->delivered);
  g_clear_pointer (&op, cz_store_op_free);
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_READ, "bob", ids[1], 0), ==, 0);
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_DELIVERED, "bob", ids[1], 0), ==, 0);
  /* Delivered, not read yet. */
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_READ, "bob", ids[0], 0), ==, 1);

  op = pending (store, "bob");
  g_assert_cmpuint (op->messages->len, ==, 1);
  g_assert_cmpint (REC (op, 0)->id, ==, ids[2]);
  g_clear_pointer (&op, cz_store_op_free);

  op = history (store, "alice", "bob", 0, 0);
  g_assert_cmpuint (op->messages->len, ==, 4);
  g_assert_true (REC (op, 0)->read && REC (op, 1)->read);
  g_assert_false (REC (op, 2)->delivered);
  g_clear_pointer (&op, cz_store_op_free);
  /* Several ids in one op: only the ones that change come back. */
  op = mark (store, CZ_STORE_OP_MARK_DELIVERED, "bob", ids[2], ids[0]);
  g_assert_cmpuint (op->messages->len, ==, 1);
  g_assert_cmpint (REC (op, 0)->id, ==, ids[2]);
  g_clear_pointer (&op, cz_store_op_free);
  g_assert_cmpuint (n_marked (store, CZ_STORE_OP_MARK_READ, "bob", ids[2], ids[1]), ==, 1);

  /* Unknown sender or recipient. */
  op = save_op ("mallory", NULL, "hi");
  run_fails (store, op, CZ_ERROR_NO_SUCH_USER);
  g_free (op->user);
  op->user = g_strdup ("alice");
  op->peer = g_strdup ("mallory");
  run_fails (store, op, CZ_ERROR_NO_SUCH_USER);
  g_assert_cmpint (op->id, ==, 0);
  g_clear_pointer (&op, cz_store_op_free);

  op = cz_store_op_new (CZ_STORE_OP_PENDING);
  op->user = g_strdup ("mallory");
  run_fails (store, op, CZ_ERROR_NO_SUCH_USER);
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

/* ---- Batches ------------------------------------------------------- */

static struct {
  GMutex lock;              /* held by a test while it queues one batch */
  gint n_done;              /* queue_done_cb calls */
  guint n_batches;          /* batch_done_cb calls */
  guint done_at[8];         /* n_done at each batch_done_cb call */
  GThread *done_thread, *batch_thread;
} gate;

static void
queue_done_cb (CzStoreOp *op, gpointer user_data)
{
  gate.done_thread = g_thread_self ();
  g_atomic_int_inc (&gate.n_done);
  g_async_queue_push (user_data, op);
}

/* The store thread calls it before it takes the next batch: while a test
 * holds gate.lock, all the ops it submits wait for the same batch. */
static void
batch_done_cb (CzStore *store, gpointer user_data)
{
  g_assert_true (user_data == &gate);
  g_mutex_lock (&gate.lock);
  if (gate.n_batches < G_N_ELEMENTS (gate.done_at))
    gate.done_at[gate.n_batches] = (guint) g_atomic_int_get (&gate.n_done);
  gate.n_batches++;
  gate.batch_thread = g_thread_self ();
  g_mutex_unlock (&gate.lock);
}

/* ---- Group commit ---------------------------------------------------- */

#define N_GROUP 500

static gpointer
group_submit_thread (gpointer data)
{
  gpointer *args = data;    /* the store, the queue */

  for (guint i = 0; i < N_GROUP; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);
      CzStoreOp *op = save_op ("alice", NULL, text);

      op->done = queue_done_cb;
      op->user_data = args[1];
      cz_store_submit (args[0], op);
    }
  return NULL;
}

static void
test_group_commit (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(GAsyncQueue) queue = g_async_queue_new ();
  g_autoptr(CzStoreOp) op = NULL;
  gpointer args[2] = { store, queue };
  gint64 ids[N_GROUP], extra = 0;
  GThread *thread;
  guint before, batches;

  add_user (store, "alice", "a");
  before = cz_store_get_batch_count (store);

  thread = g_thread_new ("submitter", group_submit_thread, args);
  for (guint i = 0; i < N_GROUP; i++)
    {
      g_autoptr(CzStoreOp) done = g_async_queue_pop (queue);
      g_autofree char *text = g_strdup_printf ("message %u", i);

      g_assert_no_error (done->error);
      g_assert_cmpstr (done->text, ==, text);    /* FIFO */
      g_assert_cmpint (done->id, >, i > 0 ? ids[i - 1] : 0);
      ids[i] = done->id;
    }
  g_thread_join (thread);

  batches = cz_store_get_batch_count (store) - before;
  g_test_message ("%d messages committed in %u transactions", N_GROUP, batches);
  g_assert_cmpuint (batches, >, 0);
  g_assert_cmpuint (batches, <, N_GROUP);

  /* History is capped at 500. */
  for (guint i = 0; i < 10; i++)
    extra = save (store, "alice", NULL, "more");
  op = history (store, "alice", NULL, 0, 0);
  g_assert_cmpuint (op->messages->len, ==, CZ_STORE_HISTORY_MAX);
  g_assert_cmpint (REC (op, 0)->id, ==, ids[10]);
  g_assert_cmpint (REC (op, CZ_STORE_HISTORY_MAX - 1)->id, ==, extra);
  g_clear_pointer (&op, cz_store_op_free);
  op = history (store, "alice", NULL, 0, 100000);
  g_assert_cmpuint (op->messages->len, ==, CZ_STORE_HISTORY_MAX);
}

/* One batch (one transaction) of ops that write one statement each, so
 * without savepoints: the ones that fail do not undo the others.  The
 * batch-done function runs once per batch, after its done callbacks. */
static void
test_isolation (Fixture *f, gconstpointer data)
{
  static const int expect[] = { -1, -1, CZ_ERROR_USER_EXISTS, CZ_ERROR_NO_SUCH_USER,
                                CZ_ERROR_INVALID, -1 };
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(GAsyncQueue) queue = g_async_queue_new ();
  g_autoptr(CzStoreOp) h = NULL;
  CzStoreOp *ops[G_N_ELEMENTS (expect)], *op;
  gint64 ids[G_N_ELEMENTS (expect)];
  guint batches;

  add_user (store, "alice", "a");
  gate.n_done = 0;
  cz_store_set_batch_done_func (store, batch_done_cb, &gate);
  g_mutex_lock (&gate.lock);
  /* This op's batch ends in batch_done_cb(), which waits for the lock. */
  g_assert_true (cz_store_user_exists (store, "alice", NULL));
  batches = cz_store_get_batch_count (store);
  ops[0] = add_user_op ("carol", "c");
  ops[1] = save_op ("carol", "alice", "first");   /* carol's id is from this batch */
  ops[2] = add_user_op ("carol", "c");            /* a failing INSERT */
  ops[3] = save_op ("carol", "zed", "x");         /* unknown recipient */
  ops[4] = save_op ("alice", NULL, NULL);         /* no text */
  ops[5] = save_op ("alice", "carol", "second");
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      ops[i]->done = queue_done_cb;
      ops[i]->user_data = queue;
      cz_store_submit (store, ops[i]);
    }
  g_mutex_unlock (&gate.lock);

  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      g_autoptr(CzStoreOp) done = g_async_queue_pop (queue);

      g_assert_true (done == ops[i]);    /* FIFO */
      ids[i] = done->id;
      if (expect[i] >= 0)
        g_assert_error (done->error, CZ_ERROR, expect[i]);
      else
        g_assert_no_error (done->error);
    }
  /* A synchronous op: its batch comes after the one above. */
  h = history (store, "alice", "carol", 0, 0);
  g_assert_cmpuint (cz_store_get_batch_count (store) - batches, ==, 2);
  g_assert_cmpuint (h->messages->len, ==, 2);
  g_assert_cmpint (REC (h, 0)->id, ==, ids[1]);
  g_assert_cmpstr (REC (h, 0)->from, ==, "carol");
  g_assert_cmpstr (REC (h, 0)->text, ==, "first");
  g_assert_cmpint (REC (h, 1)->id, ==, ids[5]);
  g_assert_cmpstr (REC (h, 1)->to, ==, "carol");

  /* Once the thread is gone: calls for the user_exists' batch, the one
   * above and the history's. */
  cz_store_close (store);
  g_assert_cmpuint (gate.n_batches, ==, 3);
  g_assert_cmpuint (gate.done_at[0], ==, 0);
  g_assert_cmpuint (gate.done_at[1], ==, G_N_ELEMENTS (ops));
  g_assert_true (gate.batch_thread == gate.done_thread);
  g_assert_true (gate.batch_thread != g_thread_self ());

  /* After close, ops fail at once instead of hanging; the batch-done
   * function still follows their done callback, in this thread. */
  op = cz_store_op_new (CZ_STORE_OP_GET_USER);
  op->done = queue_done_cb;
  op->user_data = queue;
  cz_store_submit (store, op);
  g_assert_cmpuint (gate.n_batches, ==, 4);
  g_assert_cmpuint (gate.done_at[3], ==, G_N_ELEMENTS (ops) + 1);
  g_assert_true (gate.batch_thread == g_thread_self ());
  op = g_async_queue_try_pop (queue);
  g_assert_nonnull (op);
  g_assert_error (op->error, CZ_ERROR, CZ_ERROR_STORE);
  cz_store_op_free (op);
}

/* A batch that does not commit (a file size limit) takes the user ids it
 * saw with it: the id the failed ADD_USER got goes to the next user, and
 * the lost name must not find it. */
static void
test_cache_rollback (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autoptr(CzStoreOp) ghost = add_user_op ("ghost", "g");
  g_autoptr(CzStoreOp) op = save_op ("ghost", "alice", "boo");
  g_autoptr(CzStoreOp) h = NULL;
  struct rlimit saved, full;
  struct stat st;

  add_user (store, "alice", "a");
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  full = saved;
  full.rlim_cur = (rlim_t) st.st_size + 100;   /* the next WAL frame does not fit */
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &full), ==, 0);
  run_fails (store, ghost, CZ_ERROR_STORE);    /* at COMMIT */
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  g_test_message ("%s", ghost->error->message);
  g_assert_false (cz_store_user_exists (store, "ghost", NULL));

  add_user (store, "bob", "b");
  run_fails (store, op, CZ_ERROR_NO_SUCH_USER);
  save (store, "alice", "bob", "hi");
  h = history (store, "bob", "alice", 0, 0);
  g_assert_cmpuint (h->messages->len, ==, 1);
  g_assert_cmpstr (REC (h, 0)->from, ==, "alice");
  g_assert_cmpstr (REC (h, 0)->to, ==, "bob");
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

  g_mutex_init (&gate.lock);

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
  ADD ("cache-rollback", test_cache_rollback);
  ADD ("no-password", test_no_password);
#undef ADD
  g_test_add_func ("/store/read-only", test_read_only);

  return g_test_run ();
}
