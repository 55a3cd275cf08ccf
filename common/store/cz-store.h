/* cz-store.h: the server's SQLite store (DESIGN §3).
 *
 * One owner thread makes every SQLite call.  Operations are queued structs
 * processed FIFO; the operations that are waiting when the thread wakes up
 * run in one transaction (group commit, at most CZ_STORE_BATCH_MAX each).
 * One operation's failure undoes only that operation: a single write
 * statement is atomic by itself, and operations of several write
 * statements run inside their own SAVEPOINT.  Completion callbacks run on
 * the store thread after the COMMIT, then the batch-done function (see
 * cz_store_set_batch_done_func()). */
#pragma once

#include <glib-object.h>

#include "cz-scram.h"

G_BEGIN_DECLS

#define CZ_STORE_SCHEMA_VERSION 3
#define CZ_STORE_BATCH_MAX 1024

#define CZ_TYPE_STORE (cz_store_get_type ())
G_DECLARE_FINAL_TYPE (CzStore, cz_store, CZ, STORE, GObject)

typedef enum {
  CZ_STORE_OP_GET_USER,
  CZ_STORE_OP_ADD_USER,
  CZ_STORE_OP_SAVE_MESSAGE,
  CZ_STORE_OP_MARK_DELIVERED,
  CZ_STORE_OP_MARK_READ,
  CZ_STORE_OP_PENDING,
  CZ_STORE_OP_HISTORY,
} CzStoreOpKind;

typedef struct {
  gint64 id;
  gint64 ts;           /* Unix ms */
  char *from;
  char *to;            /* NULL = lobby */
  char *text;
  gboolean delivered;
  gboolean read;
} CzMessageRecord;

void cz_message_record_free (CzMessageRecord *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzMessageRecord, cz_message_record_free)

typedef struct _CzStoreOp CzStoreOp;
typedef void (*CzStoreOpDone) (CzStoreOp *op, gpointer user_data);

struct _CzStoreOp {
  CzStoreOpKind kind;

  /* inputs */
  char *user;       /* GET_USER, ADD_USER: the account; SAVE_MESSAGE: sender;
                       MARK_*: the reader; PENDING: the recipient;
                       HISTORY: who asks (may be NULL for the lobby) */
  char *peer;       /* SAVE_MESSAGE: recipient or NULL = lobby;
                       HISTORY: the other user or NULL = lobby */
  char *text;       /* SAVE_MESSAGE */
  char *txn;        /* SAVE_MESSAGE: the sender's transaction id, or NULL.
                       A message of the same sender and txn saved before is
                       not saved again: @id and @ts become its, and
                       @duplicate is set */
  gint64 ts;        /* SAVE_MESSAGE: the message time; MARK_*: the receipt
                       time (0 = now); Unix ms */
  gint64 before;    /* HISTORY: ids < before (0 = newest) */
  guint limit;      /* HISTORY: at most this many (0 or > 500 = 500);
                       PENDING: at most this many (0 = all) */
  GArray *ids;      /* MARK_*: gint64 message ids */
  CzScramCredentials creds;   /* ADD_USER input; GET_USER output */

  /* outputs */
  GError *error;    /* NULL on success; CZ_ERROR_NO_SUCH_USER,
                       CZ_ERROR_USER_EXISTS, CZ_ERROR_BAD_NAME,
                       CZ_ERROR_INVALID or CZ_ERROR_STORE */
  gint64 id;        /* SAVE_MESSAGE: the new id (ts stays as given) */
  gboolean duplicate;   /* SAVE_MESSAGE: @txn was saved before */
  GPtrArray *messages;  /* PENDING, HISTORY (oldest first): CzMessageRecord*;
                           MARK_*: the records actually changed (from = the
                           original sender) */

  /* completion */
  CzStoreOpDone done;
  gpointer user_data;
};

CzStoreOp *cz_store_op_new (CzStoreOpKind kind);
void cz_store_op_free (CzStoreOp *op);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzStoreOp, cz_store_op_free)

/* Creates the parent folder (0700) and the file (0600) if needed, opens it
 * in WAL mode, migrates the schema forward and starts the owner thread. */
CzStore *cz_store_open (const char *path, GError **error);
/* Runs and commits what is queued, stops the thread and closes the
 * database.  Idempotent; also done at finalize.  Operations submitted
 * afterwards fail with CZ_ERROR_STORE.  Never call it (nor drop the last
 * reference) from a done callback. */
void cz_store_close (CzStore *store);

const char *cz_store_get_path (CzStore *store);

/* Runs on the store thread once per batch (committed or not), after the
 * done callbacks of all the batch's operations have returned.  Same rules
 * as a done callback: quick, and never cz_store_close(). */
typedef void (*CzStoreBatchDoneFunc) (CzStore *store, gpointer user_data);

/* Thread-safe.  @op->done runs on the store thread after the operation's
 * transaction committed (or failed) and takes @op back; it must be quick
 * (post @op to your own loop).  After cz_store_close() it runs at once in
 * the caller's thread, with an error. */
void cz_store_submit (CzStore *store, CzStoreOp *op);
/* Thread-safe.  Sets (or with %NULL, unsets) the function called once per
 * batch after its done callbacks: a consumer whose done callback only
 * queues the operation can wake its own loop once per batch there instead
 * of once per operation.  Every done callback is followed by a call of the
 * function in the same thread, including the done callbacks of operations
 * refused after cz_store_close() (then in the thread that submitted them,
 * for that one operation).  A batch already under way keeps the function
 * it started with: keep @user_data valid until cz_store_close() returns. */
void cz_store_set_batch_done_func (CzStore *store, CzStoreBatchDoneFunc func,
                                   gpointer user_data);
/* Synchronous: submits and waits (tools, startup, tests).  @op stays owned
 * by the caller; its done field is ignored.  Returns FALSE and a copy of
 * op->error on failure.  Not from the store thread. */
gboolean cz_store_run (CzStore *store, CzStoreOp *op, GError **error);

/* Synchronous helper: FALSE without error for an unknown user. */
gboolean cz_store_user_exists (CzStore *store, const char *user,
                               GError **error);

/* Number of transactions committed so far (group commit shows as fewer
 * batches than operations). */
guint cz_store_get_batch_count (CzStore *store);

G_END_DECLS
