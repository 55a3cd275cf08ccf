/* cz-store-sqlite-private.h: what the SQLite backend's files share: its
 * connection, schema and transactions (cz-store-sqlite.c), its statements
 * and operations (cz-store-sqlite-ops.c) and its checkpoint thread
 * (cz-store-sqlite-checkpoint.c).  Everything here runs on the store thread
 * unless marked otherwise. */
#pragma once

#include <sqlite3.h>

#include "cz-store-backend.h"

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
  STMT_COUNT_PENDING,
  STMT_HISTORY_DIRECT,
  STMT_HISTORY_LOBBY,
  STMT_SECRET_INSERT,  /* LOGIN_SECRET: the first time only */
  STMT_SECRET_GET,
  STMT_ITERATIONS,     /* LOGIN_SECRET: the counts accounts use */
  N_STMTS
} CzStoreStmt;

/* cz-store-sqlite-checkpoint.c: WAL checkpoints on their own thread and
 * connection, asked for by the writer when the WAL grows. */
typedef struct _CzCheckpointer CzCheckpointer;
/* NULL if the second connection cannot be opened (the writer then keeps
 * SQLite's automatic checkpoints). */
CzCheckpointer *cz_checkpointer_start (const char *path, sqlite3 *writer);
guint cz_checkpointer_get_count (CzCheckpointer *checkpointer);
void cz_checkpointer_stop (CzCheckpointer *checkpointer, sqlite3 *writer);

/* The backend's state (a CzStoreBackend for the shared part). */
typedef struct {
  char *path;
  char *display_name;
  sqlite3 *db;
  CzCheckpointer *checkpointer;  /* NULL without WAL */
  sqlite3_stmt *stmts[N_STMTS];
  /* User name -> CzStoreUserId*.  Holds ids seen by lookups and ADD_USER;
   * emptied when a batch does not commit, so that it never keeps an id
   * across batches that is not on disk. */
  GHashTable *user_ids;
  /* Recipient id -> { id, undelivered direct messages } (gint64[2]), for the mailbox cap without a count per message: counted
   * once, kept up by SAVE_MESSAGE, dropped by MARK_* for the reader and
   * emptied with the user id cache. */
  GHashTable *pending_counts;
} CzStoreSqlite;

/* cz-store-sqlite.c */

/* The one place SQLite result codes become GErrors (CZ_ERROR_STORE).
 * @saving_message picks the words for a full disk. */
void cz_store_sqlite_set_error (CzStoreSqlite *self, GError **error, int rc,
                                gboolean saving_message);

/* cz-store-sqlite-ops.c */

gboolean cz_store_sqlite_prepare_statements (CzStoreSqlite *self, GError **error);
void cz_store_sqlite_finalize_statements (CzStoreSqlite *self);
/* Runs statement @id, which has no parameters nor rows. */
int cz_store_sqlite_step_simple (CzStoreSqlite *self, CzStoreStmt id);
/* Sets op->error from @rc unless it has one; FALSE. */
gboolean cz_store_sqlite_op_fail (CzStoreSqlite *self, CzStoreOp *op, int rc);
/* The user name -> id cache. */
void cz_store_sqlite_user_cache_init (CzStoreSqlite *self);
void cz_store_sqlite_user_cache_clear (CzStoreSqlite *self);
void cz_store_sqlite_user_cache_free (CzStoreSqlite *self);
/* Whether @op writes several statements (and needs a savepoint). */
gboolean cz_store_sqlite_needs_savepoint (const CzStoreOp *op);
/* One function per kind of operation. */
void cz_store_sqlite_get_user (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_sqlite_add_user (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_sqlite_save_message (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_sqlite_mark (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_sqlite_pending (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_sqlite_count_pending (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_sqlite_history (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_sqlite_login_secret (CzStoreBackend *backend, CzStoreOp *op);
/* Looks user @name up; FALSE with CZ_ERROR_NO_SUCH_USER in @op when unknown. */
gboolean cz_store_sqlite_require_user (CzStoreSqlite *self, CzStoreOp *op, const char *name,
                                       gint64 *id);

/* cz-store-sqlite-e2e.c: the end-to-end operations (cz-store-e2e.h). */
void cz_store_sqlite_publish_keys (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_sqlite_fetch_keys (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_sqlite_save_emsg (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_sqlite_device_pending (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_sqlite_device_received (CzStoreBackend *backend, CzStoreOp *op);

G_END_DECLS
