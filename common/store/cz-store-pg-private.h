/* cz-store-pg-private.h: what the PostgreSQL backend's files share: its
 * connection, schema and transactions (cz-store-pg.c) and its statements
 * and operations (cz-store-pg-ops.c).  Store thread only. */
#pragma once

#include <libpq-fe.h>

#include "cz-store-backend.h"
#include "cz-store-pg.h"

G_BEGIN_DECLS

/* The prepared statements, made when the connection opens (again after a
 * reconnection). */
typedef enum {
  PG_USER_ID,
  PG_GET_USER,
  PG_ADD_USER,
  PG_SAVE_MESSAGE,
  PG_FIND_TXN,
  PG_MARK_DELIVERED,
  PG_MARK_READ,
  PG_PENDING,
  PG_COUNT_PENDING,
  PG_HISTORY_DIRECT,
  PG_HISTORY_LOBBY,
  PG_SECRET_INSERT,
  PG_SECRET_GET,
  PG_ITERATIONS,
  PG_NOTIFY,
  PG_N_STMTS
} CzPgStmt;

typedef struct {
  char *conninfo;
  char *display_name;      /* "PostgreSQL database NAME" */
  PGconn *conn;
  gboolean prepared;       /* the statements exist on @conn */
  /* User name -> id, as in the SQLite backend (emptied when a batch does
   * not commit). */
  GHashTable *user_ids;
  /* What the batch under way changed, announced with its COMMIT. */
  GArray *new_ids;         /* gint64: messages saved */
  GPtrArray *receipts;     /* CzPgReceipt*: receipts given */
} CzStorePg;

typedef struct {
  char *reader;
  gboolean read;
  GArray *ids;             /* gint64 */
} CzPgReceipt;

void cz_pg_receipt_free (CzPgReceipt *receipt);

/* cz-store-pg.c */

/* @res's error (or the connection's) as a GError: CZ_ERROR_UNAVAILABLE
 * when the server cannot be reached, CZ_ERROR_STORE otherwise. */
void cz_store_pg_set_error (CzStorePg *self, GError **error, const PGresult *res,
                            gboolean saving_message);

/* cz-store-pg-ops.c */

gboolean cz_store_pg_prepare_statements (CzStorePg *self, GError **error);
/* Runs statement @id with @n text parameters (NULL = SQL NULL; the
 * lengths of binary ones in @lengths, or NULL when all are text).  Never
 * NULL; check PQresultStatus(). */
PGresult *cz_store_pg_exec (CzStorePg *self, CzPgStmt id, int n, const char *const *values,
                            const int *lengths, const int *formats);
void cz_store_pg_user_cache_clear (CzStorePg *self);
/* The NOTIFYs of the batch under way (inside its transaction, so sent
 * with its COMMIT). */
gboolean cz_store_pg_notify_batch (CzStorePg *self, GError **error);
void cz_store_pg_forget_changes (CzStorePg *self);
/* cz-store-pg-listen.c: this process knows these message ids already
 * (committed them): its listener will not hand them over. */
void cz_store_pg_known_add (const GArray *ids);

gboolean cz_store_pg_needs_savepoint (const CzStoreOp *op);
void cz_store_pg_get_user (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_pg_add_user (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_pg_save_message (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_pg_mark (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_pg_pending (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_pg_count_pending (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_pg_history (CzStoreBackend *backend, CzStoreOp *op);
void cz_store_pg_login_secret (CzStoreBackend *backend, CzStoreOp *op);

G_END_DECLS
