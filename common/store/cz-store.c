/* cz-store.c: the store's shared machinery, whatever the backend (DESIGN
 * §3): the owner thread and its queue, group commit, each operation's
 * savepoint, the done callbacks after the COMMIT and the batch-done hook,
 * and synchronous runs.  The backend behind it (cz-store-backend.h) does
 * the storing. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cz-store-backend.h"
#include "cz-store-pg.h"
#include "cz-error.h"

struct _CzStore {
  GObject parent_instance;

  char *path;
  char *display_name;
  const CzStoreBackendVTable *vtable;
  CzStoreBackend *backend;     /* store thread only */

  GMutex mutex;
  GCond wake_cond;             /* ops submitted, or closing */
  GCond done_cond;             /* open finished, a synchronous op finished */
  GPtrArray *submitted;        /* CzStoreOp*, FIFO; the store thread swaps
                                  it with its own empty array */
  GThread *thread;
  gboolean closing;
  gboolean waiting;            /* the store thread sleeps on wake_cond */
  gboolean open_done;
  GError *open_error;
  CzStoreBatchDoneFunc batch_done_func;
  gpointer batch_done_data;

  gint batch_count;            /* atomic */
};

G_DEFINE_FINAL_TYPE (CzStore, cz_store, G_TYPE_OBJECT)

/* ---- Batches (store thread) ------------------------------------------ */

static void
run_op (CzStore *self, CzStoreOp *op)
{
  const CzStoreBackendVTable *vtable = self->vtable;
  gboolean savepoint;
  GPtrArray *records;

  cz_store_op_reset_outputs (op);
  if ((guint) op->kind >= CZ_STORE_N_OPS)
    {
      g_set_error (&op->error, CZ_ERROR, CZ_ERROR_INVALID, _("unknown store operation %d"),
                   (int) op->kind);
      return;
    }

  if (vtable->run[op->kind] == NULL)
    {
      /* A backend that has not caught up with an operation yet (PostgreSQL
       * and the end-to-end kinds): a clear refusal, never a crash. */
      g_set_error (&op->error, CZ_ERROR, CZ_ERROR_STORE,
                   _("this database does not support that operation yet"));
      return;
    }

  savepoint = vtable->needs_savepoint (op);
  if (savepoint && !vtable->savepoint (self->backend, op))
    return;

  vtable->run[op->kind] (self->backend, op);

  if (op->error != NULL && (records = cz_store_op_get_records (op)) != NULL)
    g_ptr_array_set_size (records, 0);
  if (!savepoint)
    return;
  if (op->error != NULL)
    vtable->rollback_to_savepoint (self->backend);
  vtable->release_savepoint (self->backend, op);
}

/* One transaction for the whole batch; done callbacks after the COMMIT. */
static void
run_batch (CzStore *self, CzStoreOp **ops, guint n)
{
  const CzStoreBackendVTable *vtable = self->vtable;
  g_autoptr(GError) batch_error = NULL;
  guint first_write = n, fail_from = 0;
  gboolean saving = FALSE;

  for (guint i = 0; i < n; i++)
    {
      if (first_write == n && cz_store_op_kind_writes (ops[i]->kind))
        first_write = i;
      saving = saving || ops[i]->kind == CZ_STORE_OP_SAVE_MESSAGE;
    }

  vtable->begin (self->backend, first_write < n, saving, &batch_error);

  for (guint i = 0; batch_error == NULL && i < n; i++)
    {
      run_op (self, ops[i]);
      /* After a full disk, an I/O error or no memory the database may roll
       * the whole transaction back: nothing of the batch will be
       * committed. */
      if (!vtable->in_transaction (self->backend, saving,
                                   ops[i]->error != NULL ? NULL : &batch_error))
        {
          if (ops[i]->error != NULL)
            batch_error = g_error_copy (ops[i]->error);
          fail_from = MIN (i, first_write);
        }
    }

  if (batch_error == NULL)
    {
      if (vtable->commit (self->backend, saving, &batch_error))
        g_atomic_int_inc (&self->batch_count);
      else
        /* Nothing of this batch was acknowledged: every op that wrote, or
         * read after a write, gets the error. */
        fail_from = first_write;
    }

  if (batch_error != NULL)
    vtable->forget_batch (self->backend);

  for (guint i = fail_from; batch_error != NULL && i < n; i++)
    {
      if (ops[i]->error == NULL)
        {
          cz_store_op_clear_outputs (ops[i]);
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

/* ---- The owner thread ------------------------------------------------ */

static gpointer
store_thread (gpointer data)
{
  CzStore *self = data;
  GError *error = NULL;
  gboolean ok;
  g_autoptr(GPtrArray) taken = g_ptr_array_new ();

  self->backend = self->vtable->open (self->path, &error);
  ok = self->backend != NULL;

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
          run_batch (self, (CzStoreOp **) taken->pdata + i,
                     MIN (taken->len - i, CZ_STORE_BATCH_MAX));
          if (batch_done != NULL)
            batch_done (self, batch_data);
        }
      g_ptr_array_set_size (taken, 0);
    }

  if (self->backend != NULL)
    self->vtable->close (g_steal_pointer (&self->backend));
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
  /* A libpq URI names a PostgreSQL database, anything else a file. */
  if (cz_store_path_is_pg (path))
    {
      self->display_name = g_strdup ("PostgreSQL");
      self->vtable = &cz_store_pg_backend;
    }
  else
    {
      self->display_name = g_path_get_basename (path);
      self->vtable = &cz_store_sqlite_backend;
    }
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
  g_autoptr(CzStoreGetUser) op = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (user != NULL, FALSE);

  op = cz_store_get_user_new (user);
  if (cz_store_run (self, &op->op, &local_error))
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
}

static void
cz_store_init (CzStore *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->wake_cond);
  g_cond_init (&self->done_cond);
  self->submitted = g_ptr_array_new ();
}
