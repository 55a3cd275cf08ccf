#include "config.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "cz-protocol.h"
#include "cz-error.h"
#include "cz-store.h"
#include "store-helpers.h"

/* The store thread's batches: group commit, per-op isolation within one
 * transaction, the user-id cache after a failed COMMIT, the batch-done hook;
 * and the checkpoint thread. */

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
      CzStoreSaveMessage *op = save_op ("alice", NULL, text);

      op->op.done = queue_done_cb;
      op->op.user_data = args[1];
      cz_store_submit (args[0], &op->op);
    }
  return NULL;
}

static void
test_group_commit (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(GAsyncQueue) queue = g_async_queue_new ();
  g_autoptr(CzStoreHistory) op = NULL;
  gpointer args[2] = { store, queue };
  gint64 ids[N_GROUP], extra = 0;
  GThread *thread;
  guint before, batches;

  add_user (store, "alice", "a");
  before = cz_store_get_batch_count (store);

  thread = g_thread_new ("submitter", group_submit_thread, args);
  for (guint i = 0; i < N_GROUP; i++)
    {
      g_autoptr(CzStoreOp) op_done = g_async_queue_pop (queue);
      CzStoreSaveMessage *done = cz_store_op_as_save_message (op_done);
      g_autofree char *text = g_strdup_printf ("message %u", i);

      g_assert_no_error (op_done->error);
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
  g_assert_cmpuint (op->messages->len, ==, CZ_HISTORY_MAX);
  g_assert_cmpint (REC (op, 0)->id, ==, ids[10]);
  g_assert_cmpint (REC (op, CZ_HISTORY_MAX - 1)->id, ==, extra);
  g_clear_pointer (&op, cz_store_history_free);
  op = history (store, "alice", NULL, 0, 100000);
  g_assert_cmpuint (op->messages->len, ==, CZ_HISTORY_MAX);
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
  g_autoptr(CzStoreHistory) h = NULL;
  CzStoreOp *ops[G_N_ELEMENTS (expect)], *op;
  gint64 ids[G_N_ELEMENTS (expect)];
  guint batches;

  add_user (store, "alice", "a");
  gate.n_done = 0;
  gate.n_batches = 0;   /* (run once per backend) */
  cz_store_set_batch_done_func (store, batch_done_cb, &gate);
  g_mutex_lock (&gate.lock);
  /* This op's batch ends in batch_done_cb(), which waits for the lock. */
  g_assert_true (cz_store_user_exists (store, "alice", NULL));
  batches = cz_store_get_batch_count (store);
  ops[0] = &add_user_op ("carol", "c")->op;
  ops[1] = &save_op ("carol", "alice", "first")->op;   /* carol's id is from this batch */
  ops[2] = &add_user_op ("carol", "c")->op;            /* a failing INSERT */
  ops[3] = &save_op ("carol", "zed", "x")->op;         /* unknown recipient */
  ops[4] = &save_op ("alice", NULL, NULL)->op;         /* no text */
  ops[5] = &save_op ("alice", "carol", "second")->op;
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
      ids[i] = done->kind == CZ_STORE_OP_SAVE_MESSAGE
               ? cz_store_op_as_save_message (done)->id : 0;
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
  op = &cz_store_get_user_new (NULL)->op;
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
  g_autoptr(CzStoreAddUser) ghost = add_user_op ("ghost", "g");
  g_autoptr(CzStoreSaveMessage) op = save_op ("ghost", "alice", "boo");
  g_autoptr(CzStoreHistory) h = NULL;
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
  g_test_message ("%s", ghost->op.error->message);
  g_assert_false (cz_store_user_exists (store, "ghost", NULL));

  add_user (store, "bob", "b");
  run_fails (store, op, CZ_ERROR_NO_SUCH_USER);
  save (store, "alice", "bob", "hi");
  h = history (store, "bob", "alice", 0, 0);
  g_assert_cmpuint (h->messages->len, ==, 1);
  g_assert_cmpstr (REC (h, 0)->from, ==, "alice");
  g_assert_cmpstr (REC (h, 0)->to, ==, "bob");
}

/* The WAL is checkpointed by the store's second thread, not at a commit:
 * with a threshold of 8 pages, 100 commits (about 500 pages of WAL, short
 * of SQLite's own 1,000-page autocheckpoint) reach the database file while
 * the store is open, and nothing is lost. */
static void
test_checkpoints (Fixture *f, gconstpointer data)
{
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autoptr(CzStoreHistory) h = NULL;
  CzStore *store;
  struct stat st;
  goffset before;
  gboolean grew = FALSE;

  g_setenv ("CZ_STORE_CHECKPOINT_PAGES", "8", TRUE);
  store = open_ok (f->path);
  g_unsetenv ("CZ_STORE_CHECKPOINT_PAGES");
  add_user (store, "alice", "a");
  add_user (store, "bob", "b");
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  before = st.st_size;
  for (int i = 0; i < 100; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %d %0100d", i, i);
      save (store, "alice", i % 2 ? "bob" : NULL, text);
    }
  /* Bounded wait: the checkpoint thread runs on its own time. */
  for (int i = 0; i < 500 && !grew; i++)
    {
      g_assert_cmpint (g_stat (f->path, &st), ==, 0);
      grew = st.st_size > before;
      if (!grew)
        g_usleep (10 * 1000);
    }
  g_assert_true (grew);
  g_test_message ("database %" G_GOFFSET_FORMAT " -> %" G_GOFFSET_FORMAT " bytes while open",
                  before, (goffset) st.st_size);
  g_object_unref (store);

  /* Closed: the writer checkpointed the rest and removed the WAL. */
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  store = open_ok (f->path);
  h = history (store, "alice", NULL, 0, 500);
  g_assert_cmpuint (h->messages->len, ==, 50);
  {
    g_autofree char *last = g_strdup_printf ("message 98 %0100d", 98);
    g_assert_cmpstr (REC (h, 49)->text, ==, last);
  }
  g_clear_pointer (&h, cz_store_history_free);
  h = history (store, "bob", "alice", 0, 500);
  g_assert_cmpuint (h->messages->len, ==, 50);
  g_object_unref (store);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_mutex_init (&gate.lock);

#define ADD(name, func) \
  g_test_add ("/store/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("cache-rollback", test_cache_rollback);
  ADD ("checkpoints", test_checkpoints);
#undef ADD
  store_add_both ("group-commit", test_group_commit);
  store_add_both ("isolation", test_isolation);

  return store_test_run ();
}
