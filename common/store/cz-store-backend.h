/* cz-store-backend.h: what a storage backend implements for the shared
 * part of the store (cz-store.c: the owner thread, the queue, group commit,
 * per-operation savepoints, the done callbacks), and what the shared part
 * offers backends (cz-store-op.c).  A second backend is a new file that
 * fills in a CzStoreBackendVTable; cz_store_open() picks it.
 *
 * Every function of the table runs on the store thread. */
#pragma once

#include "cz-store.h"

G_BEGIN_DECLS

/* A backend's state, known to its backend only. */
typedef struct _CzStoreBackend CzStoreBackend;

/* The functions that fail say why in @error, or in @op->error (first
 * error wins: an operation keeps the error that failed it).  @saving is
 * TRUE when the batch saves a message: for the words of a full disk. */
typedef struct {
  /* Opens @path (creating and migrating it), ready for operations. */
  CzStoreBackend *(*open) (const char *path, GError **error);
  /* Closes what open() opened; committed data is on disk. */
  void (*close) (CzStoreBackend *backend);

  /* One transaction per batch.  @write: some of its operations write. */
  gboolean (*begin) (CzStoreBackend *backend, gboolean write, gboolean saving,
                     GError **error);
  /* FALSE (and an error) when the transaction ended under the batch (some
   * errors make the database roll all of it back): nothing of the batch
   * will be committed. */
  gboolean (*in_transaction) (CzStoreBackend *backend, gboolean saving, GError **error);
  /* On failure the transaction is rolled back. */
  gboolean (*commit) (CzStoreBackend *backend, gboolean saving, GError **error);
  /* After a batch that did not commit: forget what it may have cached. */
  void (*forget_batch) (CzStoreBackend *backend);

  /* Whether @op writes more than one statement, and so needs its own
   * savepoint to fail alone. */
  gboolean (*needs_savepoint) (const CzStoreOp *op);
  gboolean (*savepoint) (CzStoreBackend *backend, CzStoreOp *op);
  /* Undoes what @op wrote since savepoint(). */
  void (*rollback_to_savepoint) (CzStoreBackend *backend);
  gboolean (*release_savepoint) (CzStoreBackend *backend, CzStoreOp *op);

  /* One function per kind of operation, indexed by CzStoreOpKind; each
   * fills in the outputs of its struct or sets op->error. */
  void (*run[CZ_STORE_N_OPS]) (CzStoreBackend *backend, CzStoreOp *op);
} CzStoreBackendVTable;

/* cz-store-sqlite.c */
extern const CzStoreBackendVTable cz_store_sqlite_backend;
/* cz-store-pg.c: picked for a libpq URI (cz_store_path_is_pg()). */
extern const CzStoreBackendVTable cz_store_pg_backend;

/* cz-store-op.c */

/* Whether an operation of @kind writes. */
static inline gboolean
cz_store_op_kind_writes (CzStoreOpKind kind)
{
  return kind == CZ_STORE_OP_ADD_USER || kind == CZ_STORE_OP_SAVE_MESSAGE ||
         kind == CZ_STORE_OP_LOGIN_SECRET ||
         kind == CZ_STORE_OP_MARK_DELIVERED || kind == CZ_STORE_OP_MARK_READ ||
         kind == CZ_STORE_OP_PUBLISH_KEYS || kind == CZ_STORE_OP_FETCH_KEYS ||
         kind == CZ_STORE_OP_SAVE_EMSG || kind == CZ_STORE_OP_DEVICE_RECEIVED;
}
/* Clears the outputs of @op, and makes the empty result arrays of the
 * kinds that return records (before a run, or when it fails unrun).  Any
 * thread that owns @op. */
void cz_store_op_reset_outputs (CzStoreOp *op);
/* Clears the outputs of @op. */
void cz_store_op_clear_outputs (CzStoreOp *op);
/* The record array of @op's kind (NULL for kinds without one). */
GPtrArray *cz_store_op_get_records (CzStoreOp *op);

/* cz-store-op-e2e.c: the same for the end-to-end kinds (cz-store-e2e.h). */
void cz_store_e2e_op_clear_outputs (CzStoreOp *op);
void cz_store_e2e_op_reset_outputs (CzStoreOp *op);
void cz_store_e2e_op_free_inputs (CzStoreOp *op);

G_END_DECLS
