/* cz-store-sqlite-checkpoint.c: the SQLite backend's WAL checkpoints, on
 * their own thread and connection.
 *
 * By default SQLite checkpoints inside the COMMIT that takes the WAL past
 * 1,000 pages: the writer reads those pages back, writes them into the
 * database file and syncs it, and every acknowledgement of that batch
 * waits.  Under a steady stream of messages that was one commit in five.
 * Here the writer only notices the size (sqlite3_wal_hook) and a second
 * connection, on its own thread, runs PASSIVE checkpoints, which never
 * block the writer: the group commit keeps its rhythm, and pages written
 * in many commits are copied once. */
#include "config.h"

#include "cz-store-sqlite-private.h"

/* WAL size (pages) that wakes the checkpointer: 16 MiB of 4 KiB pages. */
#define CHECKPOINT_PAGES 4096

struct _CzCheckpointer {
  sqlite3 *db;                /* the checkpointer's own connection */
  GThread *thread;
  GMutex mutex;
  GCond cond;
  gboolean wanted;
  gboolean stopping;
  gint threshold;             /* atomic: pages */
  gint count;                 /* atomic: checkpoints run */
};

/* On the writer's thread, after each commit. */
static int
wal_hook (void *data, sqlite3 *db, const char *name, int pages)
{
  CzCheckpointer *self = data;

  if (pages >= g_atomic_int_get (&self->threshold))
    {
      g_mutex_lock (&self->mutex);
      if (!self->wanted)
        {
          self->wanted = TRUE;
          g_cond_signal (&self->cond);
        }
      g_mutex_unlock (&self->mutex);
    }
  return SQLITE_OK;
}

static gpointer
checkpoint_thread (gpointer data)
{
  CzCheckpointer *self = data;

  g_mutex_lock (&self->mutex);
  for (;;)
    {
      int rc, log = 0, done = 0;

      while (!self->wanted && !self->stopping)
        g_cond_wait (&self->cond, &self->mutex);
      if (self->stopping)
        break;
      self->wanted = FALSE;
      g_mutex_unlock (&self->mutex);

      rc = sqlite3_wal_checkpoint_v2 (self->db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        g_debug ("WAL checkpoint: %s", sqlite3_errmsg (self->db));
      g_atomic_int_inc (&self->count);

      g_mutex_lock (&self->mutex);
    }
  g_mutex_unlock (&self->mutex);
  return NULL;
}

CzCheckpointer *
cz_checkpointer_start (const char *path, sqlite3 *writer)
{
  CzCheckpointer *self = g_new0 (CzCheckpointer, 1);
  int rc;

  rc = sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_busy_timeout (self->db, 5000);
      rc = sqlite3_exec (self->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    }
  if (rc != SQLITE_OK)
    {
      /* The writer keeps SQLite's own checkpoints. */
      g_debug ("no checkpoint thread: %s", self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      sqlite3_close (self->db);
      g_free (self);
      return NULL;
    }
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  {
    /* For tests and tuning: CZ_STORE_CHECKPOINT_PAGES. */
    const char *env = g_getenv ("CZ_STORE_CHECKPOINT_PAGES");
    gint64 pages = env ? g_ascii_strtoll (env, NULL, 10) : 0;

    self->threshold = pages > 0 && pages < G_MAXINT ? (gint) pages : CHECKPOINT_PAGES;
  }
  self->thread = g_thread_new ("cz-checkpoint", checkpoint_thread, self);
  /* Replaces SQLite's automatic checkpoints on the writer. */
  sqlite3_wal_hook (writer, wal_hook, self);
  return self;
}

guint
cz_checkpointer_get_count (CzCheckpointer *self)
{
  return (guint) g_atomic_int_get (&self->count);
}

void
cz_checkpointer_stop (CzCheckpointer *self, sqlite3 *writer)
{
  if (self == NULL)
    return;
  sqlite3_wal_hook (writer, NULL, NULL);
  g_mutex_lock (&self->mutex);
  self->stopping = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->mutex);
  g_thread_join (self->thread);
  sqlite3_close (self->db);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  g_free (self);
}
