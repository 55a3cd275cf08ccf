/* cz-store.h: the server's storage interface (DESIGN §3): typed operations
 * and the machinery every backend shares.
 *
 * Each kind of operation has its own struct (CzStoreSaveMessage, ...), whose
 * first member is the CzStoreOp every kind shares: its kind, its error and
 * its completion.  One owner thread makes every backend call.  Operations
 * are processed FIFO; the operations that are waiting when the thread wakes
 * up run in one transaction (group commit, at most CZ_STORE_BATCH_MAX
 * each).  One operation's failure undoes only that operation: a single
 * write statement is atomic by itself, and operations of several write
 * statements run inside their own SAVEPOINT.  Completion callbacks run on
 * the store thread after the COMMIT, then the batch-done function (see
 * cz_store_set_batch_done_func()).
 *
 * The backend (SQLite today: cz-store-sqlite.c) sits behind a table of
 * functions, cz-store-backend.h. */
#pragma once

#include <glib-object.h>

#include "cz-scram.h"

G_BEGIN_DECLS

#define CZ_STORE_SCHEMA_VERSION 5
#define CZ_STORE_BATCH_MAX 1024

#define CZ_TYPE_STORE (cz_store_get_type ())
G_DECLARE_FINAL_TYPE (CzStore, cz_store, CZ, STORE, GObject)

typedef enum {
  CZ_STORE_OP_GET_USER,        /* CzStoreGetUser */
  CZ_STORE_OP_ADD_USER,        /* CzStoreAddUser */
  CZ_STORE_OP_SAVE_MESSAGE,    /* CzStoreSaveMessage */
  CZ_STORE_OP_MARK_DELIVERED,  /* CzStoreMark */
  CZ_STORE_OP_MARK_READ,       /* CzStoreMark */
  CZ_STORE_OP_PENDING,         /* CzStorePending */
  CZ_STORE_OP_HISTORY,         /* CzStoreHistory */
  CZ_STORE_OP_LOGIN_SECRET,    /* CzStoreLoginSecret */
  CZ_STORE_OP_COUNT_PENDING,   /* CzStoreCountPending */
  CZ_STORE_OP_PUBLISH_KEYS,    /* CzStorePublishKeys (cz-store-e2e.h) */
  CZ_STORE_OP_FETCH_KEYS,      /* CzStoreFetchKeys */
  CZ_STORE_OP_SAVE_EMSG,       /* CzStoreSaveEmsg */
  CZ_STORE_OP_DEVICE_PENDING,  /* CzStoreDevicePending */
  CZ_STORE_OP_DEVICE_RECEIVED, /* CzStoreDeviceReceived */
  CZ_STORE_N_OPS
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

/* What every operation has.  The fields of each kind below are its inputs
 * (owned, set by its constructor) then its outputs (cleared before it
 * runs). */
struct _CzStoreOp {
  CzStoreOpKind kind;
  GError *error;       /* NULL on success; CZ_ERROR_NO_SUCH_USER,
                          CZ_ERROR_USER_EXISTS, CZ_ERROR_BAD_NAME,
                          CZ_ERROR_MAILBOX_FULL,
                          CZ_ERROR_INVALID or CZ_ERROR_STORE */
  CzStoreOpDone done;
  gpointer user_data;
};

/* An account's SCRAM credentials. */
typedef struct {
  CzStoreOp op;
  char *user;
  CzScramCredentials creds;    /* output */
} CzStoreGetUser;

/* A new account. */
typedef struct {
  CzStoreOp op;
  char *user;
  CzScramCredentials creds;    /* set by the caller after the constructor */
} CzStoreAddUser;

/* A message, to a user or to the lobby.  A message of the same sender and
 * txn saved before is not saved again: @id and @ts become its, and
 * @duplicate is set. */
typedef struct {
  CzStoreOp op;
  char *sender;
  char *to;            /* NULL = lobby */
  char *text;
  char *txn;           /* the sender's transaction id, or NULL */
  gint64 ts;           /* Unix ms (0 = now); a duplicate's once run */
  guint max_pending;   /* a direct message fails with CZ_ERROR_MAILBOX_FULL
                          when this many wait undelivered for @to already
                          (0 = no cap); set after the constructor */
  gint64 id;           /* output */
  gboolean duplicate;  /* output */
} CzStoreSaveMessage;

/* Receipts (MARK_DELIVERED, MARK_READ): messages to @reader it has
 * received or read. */
typedef struct {
  CzStoreOp op;
  char *reader;
  GArray *ids;         /* gint64 message ids */
  gint64 ts;           /* the receipt time, Unix ms (0 = now) */
  GPtrArray *changed;  /* output: CzMessageRecord* actually changed (from =
                          the original sender, in their new state) */
} CzStoreMark;

/* A page of the messages waiting for @recipient (direct messages not yet
 * delivered), oldest first: those after @after_id, at most @limit. */
typedef struct {
  CzStoreOp op;
  char *recipient;
  gint64 after_id;     /* ids > after_id (0 = from the oldest) */
  guint limit;         /* at most this many (0 = all) */
  GPtrArray *messages; /* output: CzMessageRecord* */
} CzStorePending;

/* How many direct messages wait undelivered for @recipient. */
typedef struct {
  CzStoreOp op;
  char *recipient;
  guint64 count;       /* output */
} CzStoreCountPending;

/* A page of history between @user and @with, or of the lobby. */
typedef struct {
  CzStoreOp op;
  char *user;          /* who asks (may be NULL for the lobby) */
  char *with;          /* the other user, or NULL = the lobby */
  gint64 before;       /* ids < before (0 = newest) */
  guint limit;         /* at most this many (0 or > 500 = 500) */
  GPtrArray *messages; /* output: CzMessageRecord*, oldest first */
} CzStoreHistory;

/* What the server needs to answer a login for an unknown user as it would
 * a real one (doc/security.md §5.9): the secret its fake salts derive
 * from, kept in the database so that they do not change at restart
 * (@fresh, made by the constructor, is stored the first time), and the
 * iteration counts real accounts use. */
typedef struct {
  CzStoreOp op;
  guint8 fresh[32];
  guint8 secret[32];   /* output */
  GArray *iterations;  /* output: guint, distinct, ascending */
} CzStoreLoginSecret;

/* Constructors: strings are copied.  Free any of them with
 * cz_store_op_free (&x->op) or its own g_autoptr. */
CzStoreGetUser *cz_store_get_user_new (const char *user);
CzStoreAddUser *cz_store_add_user_new (const char *user);
CzStoreSaveMessage *cz_store_save_message_new (const char *sender, const char *to,
                                               const char *text, const char *txn, gint64 ts);
/* @ids is taken. */
CzStoreMark *cz_store_mark_delivered_new (const char *reader, GArray *ids);
CzStoreMark *cz_store_mark_read_new (const char *reader, GArray *ids);
CzStorePending *cz_store_pending_new (const char *recipient, gint64 after_id, guint limit);
CzStoreCountPending *cz_store_count_pending_new (const char *recipient);
CzStoreHistory *cz_store_history_new (const char *user, const char *with, gint64 before,
                                      guint limit);
CzStoreLoginSecret *cz_store_login_secret_new (void);

void cz_store_op_free (CzStoreOp *op);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzStoreOp, cz_store_op_free)

/* The kind of each struct, checked (a critical and NULL on another kind),
 * and its g_autoptr. */
#define CZ_STORE_DEFINE_OP_TYPE(Type, name, is_kind)                           \
  static inline Type *                                                         \
  cz_store_op_as_##name (CzStoreOp *op)                                        \
  {                                                                            \
    g_return_val_if_fail (op != NULL && (is_kind), NULL);                     \
    return (Type *) op;                                                        \
  }                                                                            \
  static inline void                                                           \
  cz_store_##name##_free (Type *op)                                            \
  {                                                                            \
    cz_store_op_free ((CzStoreOp *) op);                                       \
  }                                                                            \
  G_DEFINE_AUTOPTR_CLEANUP_FUNC (Type, cz_store_##name##_free)

CZ_STORE_DEFINE_OP_TYPE (CzStoreGetUser, get_user, op->kind == CZ_STORE_OP_GET_USER)
CZ_STORE_DEFINE_OP_TYPE (CzStoreAddUser, add_user, op->kind == CZ_STORE_OP_ADD_USER)
CZ_STORE_DEFINE_OP_TYPE (CzStoreSaveMessage, save_message, op->kind == CZ_STORE_OP_SAVE_MESSAGE)
CZ_STORE_DEFINE_OP_TYPE (CzStoreMark, mark, op->kind == CZ_STORE_OP_MARK_DELIVERED ||
                                            op->kind == CZ_STORE_OP_MARK_READ)
CZ_STORE_DEFINE_OP_TYPE (CzStorePending, pending, op->kind == CZ_STORE_OP_PENDING)
CZ_STORE_DEFINE_OP_TYPE (CzStoreHistory, history, op->kind == CZ_STORE_OP_HISTORY)
CZ_STORE_DEFINE_OP_TYPE (CzStoreLoginSecret, login_secret, op->kind == CZ_STORE_OP_LOGIN_SECRET)
CZ_STORE_DEFINE_OP_TYPE (CzStoreCountPending, count_pending, op->kind == CZ_STORE_OP_COUNT_PENDING)

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
 * (post @op to your own loop).  Without a done function the store frees
 * @op.  After cz_store_close() it runs at once in the caller's thread,
 * with an error. */
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
