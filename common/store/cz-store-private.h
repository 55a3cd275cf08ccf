/* cz-store-private.h: what the store's owner thread and queue (cz-store.c)
 * and its prepared statements and operations (cz-store-ops.c) share.
 * Everything here runs on the store thread unless marked otherwise. */
#pragma once

#include <sqlite3.h>

#include "cz-store.h"

G_BEGIN_DECLS

/* The prepared statements, made once when the database opens. */
typedef enum {
  STMT_BEGIN_WRITE,
  STMT_BEGIN_READ,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_SAVEPOINT,      /* only around operations of several write statements */
  STMT_RELEASE,
  STMT_ROLLBACK_TO,
  STMT_USER_ID,
  STMT_GET_USER,
  STMT_ADD_USER,
  STMT_SAVE_MESSAGE,
  STMT_FIND_TXN,       /* SAVE_MESSAGE with a txn: saved before? */
  STMT_MARK_DELIVERED,
  STMT_MARK_READ,
  STMT_UNDELIVERED,    /* MARK_DELIVERED reads the row first */
  STMT_UNREAD,         /* MARK_READ reads the row first */
  STMT_PENDING,
  STMT_HISTORY_DIRECT,
  STMT_HISTORY_LOBBY,
  N_STMTS
} CzStoreStmt;

/* cz-store-checkpoint.c: WAL checkpoints on their own thread and
 * connection, asked for by the writer when the WAL grows. */
typedef struct _CzCheckpointer CzCheckpointer;
/* NULL if the second connection cannot be opened (the writer then keeps
 * SQLite's automatic checkpoints). */
CzCheckpointer *cz_checkpointer_start (const char *path, sqlite3 *writer);
guint cz_checkpointer_get_count (CzCheckpointer *checkpointer);
void cz_checkpointer_stop (CzCheckpointer *checkpointer, sqlite3 *writer);

struct _CzStore {
  GObject parent_instance;

  char *path;
  char *display_name;
  sqlite3 *db;                 /* store thread only */
  CzCheckpointer *checkpointer;  /* store thread only; NULL without WAL */
  sqlite3_stmt *stmts[N_STMTS];
  /* Store thread only: user name -> CzStoreUserId*.  Holds ids seen by
   * lookups and ADD_USER; emptied when a batch does not commit, so that it
   * never keeps an id across batches that is not on disk. */
  GHashTable *user_ids;

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

/* cz-store.c */

/* The one place SQLite result codes become GErrors (CZ_ERROR_STORE).
 * @saving_message picks the words for a full disk. */
void cz_store_set_error (CzStore *store, GError **error, int rc, gboolean saving_message);

/* cz-store-ops.c */

gboolean cz_store_prepare_statements (CzStore *store, GError **error);
void cz_store_finalize_statements (CzStore *store);
/* Runs @n queued operations in one transaction, then their done callbacks. */
void cz_store_run_batch (CzStore *store, CzStoreOp **ops, guint n);
/* The user name -> id cache (store thread). */
void cz_store_user_cache_init (CzStore *store);
void cz_store_user_cache_free (CzStore *store);
/* Clears the outputs of @op (before a run, or when it fails unrun).  Any
 * thread that owns @op. */
void cz_store_op_clear_outputs (CzStoreOp *op);

G_END_DECLS
