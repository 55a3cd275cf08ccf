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
  STMT_SAVEPOINT,
  STMT_RELEASE,
  STMT_ROLLBACK_TO,
  STMT_USER_ID,
  STMT_GET_USER,
  STMT_ADD_USER,
  STMT_SAVE_MESSAGE,
  STMT_MARK_DELIVERED,
  STMT_MARK_READ,
  STMT_PENDING,
  STMT_HISTORY_DIRECT,
  STMT_HISTORY_LOBBY,
  N_STMTS
} CzStoreStmt;

struct _CzStore {
  GObject parent_instance;

  char *path;
  char *display_name;
  sqlite3 *db;                 /* store thread only */
  sqlite3_stmt *stmts[N_STMTS];

  GMutex mutex;
  GCond wake_cond;             /* queue not empty, or closing */
  GCond done_cond;             /* open finished, a synchronous op finished */
  GQueue queue;
  GThread *thread;
  gboolean closing;
  gboolean open_done;
  GError *open_error;

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
/* Clears the outputs of @op (before a run, or when it fails unrun).  Any
 * thread that owns @op. */
void cz_store_op_clear_outputs (CzStoreOp *op);

G_END_DECLS
