/* cz-server-private.h: what the files of the server engine share: the
 * server and connection structs, and who calls whom.  The loop
 * (cz-server.c) calls dispatch (cz-server-dispatch.c), which calls the
 * handlers (cz-server-accounts.c, cz-server-chat.c, cz-server-e2e.c,
 * cz-server-presence.c); all of them call cz-server-conn.c, which calls
 * none of them.  Everything here runs on the engine thread unless marked
 * otherwise. */
#pragma once

#include <glib.h>
#include "cz-server.h"
#include "cz-channel.h"
#include "cz-tls-server.h"
#include "cz-store.h"
#include "cz-store-pg.h"
#include "cz-store-e2e.h"
#include "cz-scram.h"
#include "cz-throttle.h"
#include "cz-error.h"

G_BEGIN_DECLS

typedef struct _CzConn CzConn;
typedef struct _CzCluster CzCluster;

/* Resource bounds (doc/security.md §5.4, §5.5, §5.8). */
/* Store operations in flight per connection: at this many, the server
 * stops reading it until half have completed (back-pressure, and fairness
 * in the store's FIFO queue). */
#define CZ_CONN_MAX_INFLIGHT 64
/* What a `history` request counts for among those 64: its answer can be
 * 500 messages of 4,096 characters (several MB on the heap until it is
 * sealed), so at most two are in flight per connection, where 64 would
 * have held over 100 MB for one slow reader. */
#define CZ_CONN_HISTORY_WEIGHT 32
/* Output queued for a connection above which it is not read either (a
 * slow reader pipelining history requests). */
#define CZ_CONN_OUTPUT_PAUSE (1024 * 1024)
/* Offline messages sent per page; the next page follows the client's
 * `received`. */
#define CZ_OFFLINE_PAGE 200
/* Undelivered direct messages per recipient; more are refused with
 * `mailbox-full`. */
#define CZ_MAILBOX_MAX 5000
/* Descriptors kept for the database, the loop and the log when
 * --max-clients is clamped to RLIMIT_NOFILE. */
#define CZ_FD_RESERVE 32
/* Presence goes out at most once per this interval, as one
 * `presence-batch` per recipient (doc/protocol.md); with many users
 * online, once per CZ_PRESENCE_US_PER_USER × users (10,000 online: 1 s),
 * so that a storm's presence frames stay O(N) in all rather than
 * O(N) per 100 ms. */
#define CZ_PRESENCE_INTERVAL_US (100 * 1000)
#define CZ_PRESENCE_US_PER_USER 100
/* How long a user may be gone before the others are told, by default. */
#define CZ_PRESENCE_GRACE_MS 1000

struct _CzConn {
  CzServer *server;
  guint64 id;
  int fd;
  CzChannel *channel;
  char *address;             /* "ip:port" */
  char *host;                /* "ip" (throttling key) */
  gint64 deadline_us;        /* monotonic; 0 once logged in */
  guint32 epoll_mask;
  gboolean dead;             /* closed; freed at the end of the iteration */
  gboolean dirty;            /* has output queued since the last flush */
  gboolean ready;            /* keys established */
  gboolean paused;           /* input paused (back-pressure) */
  guint inflight;            /* store operations submitted, not completed, by weight */
  gboolean host_counted;     /* counted in server->per_host */
  gboolean presence_batch;   /* asked for `presence-batch` (auth-start `features`) */

  /* offline queue, paged */
  gint64 offline_after;      /* the last offline message sent */
  gint64 live_from;          /* the first direct message sent live (0: none) */
  gboolean offline_more;     /* more pages may wait */
  gboolean offline_loading;  /* a page is being read */

  /* end-to-end (cz-server-e2e.c): the device bound by keys-publish, and
   * its ciphertexts waiting, paged like the offline queue */
  guint32 device;            /* 0: none published on this connection */
  gint64 e2e_after;
  gint64 e2e_live_from;
  gboolean e2e_more;
  gboolean e2e_loading;

  /* accounts */
  GVariant *user_name;       /* set once logged in; sent as `from` */
  const char *user;          /* @user_name's string */
  CzScramServer *scram;      /* during auth-start → auth-finish */
  guint32 auth_ref;
  char *auth_user;
  gboolean auth_busy;        /* a store lookup is under way */
  gboolean auth_reserved;    /* the attempt is counted by the throttle, unsettled */
  char *reg_user;            /* during register → register-keys */
  GBytes *reg_salt;
  guint32 reg_ref;
};

struct _CzServer {
  CzServerConfig config;     /* strings owned (duplicated) */
  char *db_path;
  CzTlsServerConfig *tls;
  CzStore *store;
  CzServerEventFunc event_func;
  gpointer event_data;

  int listen_fd;
  int epoll_fd;
  int wake_fd;               /* eventfd: inbox and stop */
  GThread *thread;
  char *address;
  guint16 port;
  gint stopping;             /* atomic */
  gboolean closing_all;      /* engine thread: shutting every client down */
  gboolean started;

  GAsyncQueue *inbox;        /* CzStoreOp* completed on the store thread */
  GHashTable *conns;         /* id → CzConn* */
  GHashTable *online;        /* user → GPtrArray of CzConn* */
  GHashTable *presence_before;  /* user → CzPresenceNote*, changes not yet announced */
  GPtrArray *presence_order;    /* those users (owned strings), in order of change */
  gint64 presence_due_us;       /* monotonic: the next presence batch (0: none pending) */
  gint64 presence_last_us;      /* monotonic: the last batch sent */
  GQueue pending_deadline;   /* conn ids in connection order (deadlines increase) */
  GPtrArray *dirty;          /* CzConn* with output to flush */
  GPtrArray *graveyard;      /* dead CzConn* to free */
  GPtrArray *again;          /* CzConn* with input buffered inside GnuTLS */
  guint64 next_id;
  gint client_count;         /* atomic */
  GHashTable *per_host;      /* host → connections from it (GUINT_TO_POINTER) */
  gboolean accept_paused;    /* EMFILE: the listener is out of the epoll set */
  gint64 accept_resume_us;   /* monotonic: when to listen again */
  gint64 accept_log_us;      /* monotonic: the last accept warning */
  guint accept_unlogged;     /* accept failures and refusals since */

  CzCluster *cluster;        /* PostgreSQL: the other nodes (cz-server-cluster.c) */
  CzThrottle *throttle;
  guint8 fake_secret[32];    /* SCRAM answers for unknown users (from the store) */
  GArray *fake_iterations;   /* guint: the counts real accounts use, ascending */
};

/* What a store operation is for; travels in CzStoreOp.user_data. */
typedef enum {
  CZ_OP_REGISTER,
  CZ_OP_LOGIN_LOOKUP,
  CZ_OP_SAY,
  CZ_OP_MSG,
  CZ_OP_PENDING,
  CZ_OP_DELIVERED,
  CZ_OP_READ,
  CZ_OP_HISTORY,
  CZ_OP_CLUSTER,             /* another node's commit (cz-server-cluster.c) */
  CZ_OP_PUBLISH_KEYS,
  CZ_OP_FETCH_KEYS,
  CZ_OP_EMSG,
  CZ_OP_DEVICE_PENDING,
  CZ_OP_DEVICE_RECEIVED,
} CzOpPurpose;

typedef struct {
  CzServer *server;
  guint64 conn_id;
  guint32 ref;
  CzOpPurpose purpose;
  GVariant *text;            /* say/msg: the `text` and `to` received */
  GVariant *peer;
} CzOpCtx;

void cz_op_ctx_free (CzOpCtx *ctx);

/* cz-server-conn.c: the leaf the other files call. */
void cz_server_emit (CzServer *server, CzServerEvent *event);
void cz_server_log (CzServer *server, GLogLevelFlags level, const char *format, ...) G_GNUC_PRINTF (3, 4);
void cz_conn_mark_dirty (CzConn *conn);
/* Sends a message (marks dirty); FALSE if the connection cannot take it. */
gboolean cz_conn_send (CzConn *conn, GVariant *message);
void cz_conn_send_error (CzConn *conn, guint32 ref, CzErrorCode code, const char *text);
/* The same for a GError (its wire code and message). */
void cz_conn_send_gerror (CzConn *conn, guint32 ref, const GError *error);
/* A store operation of @conn for @purpose completed (back-pressure count). */
void cz_conn_op_done (CzConn *conn, CzOpPurpose purpose);
/* The live connection of id @id, or NULL. */
CzConn *cz_server_find_conn (CzServer *server, guint64 id);
/* To every session of @user but @except. */
void cz_server_send_to_user (CzServer *server, const char *user, GVariant *message,
                             CzConn *except);
/* To every connection logged in, except @except and @except_user's. */
void cz_server_send_to_everyone (CzServer *server, GVariant *message, CzConn *except,
                                 const char *except_user);
/* Submits a store op for @conn; its completion comes back, on the engine
 * thread, to cz_server_dispatch_store_done() with a CzOpCtx in
 * op->user_data. */
CzOpCtx *cz_server_submit (CzServer *server, CzConn *conn, guint32 ref, CzOpPurpose purpose,
                           CzStoreOp *op);
/* The store's batch-done function: wakes the loop once per batch. */
void cz_server_store_batch_done_cb (CzStore *store, gpointer user_data);

/* cz-server-dispatch.c: called by the loop (cz-server.c). */
/* A message received on @conn, to its handler by kind. */
void cz_server_dispatch_message (CzConn *conn, GVariant *message);
/* A finished store op, to its completion by purpose; frees it. */
void cz_server_dispatch_store_done (CzServer *server, CzStoreOp *op);

/* Handlers, called by dispatch: each takes the message and its `ref`. */

/* cz-server-accounts.c: before login. */
void cz_server_accounts_register (CzConn *conn, GVariant *message, guint32 ref);
void cz_server_accounts_register_keys (CzConn *conn, GVariant *message, guint32 ref);
void cz_server_accounts_auth_start (CzConn *conn, GVariant *message, guint32 ref);
void cz_server_accounts_auth_finish (CzConn *conn, GVariant *message, guint32 ref);
/* At start (cz_server_new, after the store opened): the fake secret and
 * the iteration counts in use, from the store (synchronous). */
gboolean cz_server_accounts_load (CzServer *server, GError **error);
/* Store completions of CZ_OP_REGISTER and CZ_OP_LOGIN_LOOKUP. */
void cz_server_accounts_registered (CzConn *conn, CzStoreAddUser *op, guint32 ref);
void cz_server_accounts_login_lookup_done (CzConn *conn, CzStoreGetUser *op, guint32 ref);

/* cz-server-chat.c: once logged in. */
/* Starts sending @conn's offline queue, a page at a time (after auth-ok). */
void cz_server_chat_offline_start (CzConn *conn);
void cz_server_chat_say (CzConn *conn, GVariant *message, guint32 ref);
void cz_server_chat_msg (CzConn *conn, GVariant *message, guint32 ref);
void cz_server_chat_received (CzConn *conn, GVariant *message, guint32 ref);
void cz_server_chat_read (CzConn *conn, GVariant *message, guint32 ref);
void cz_server_chat_history (CzConn *conn, GVariant *message, guint32 ref);
/* Store completions (@sender, @conn: NULL once gone). */
void cz_server_chat_saved (CzServer *server, CzConn *sender, CzStoreSaveMessage *op,
                           CzOpCtx *ctx);
void cz_server_chat_pending_done (CzServer *server, CzConn *conn, CzStorePending *op);
void cz_server_chat_marked (CzServer *server, CzStoreMark *op);
void cz_server_chat_history_done (CzConn *conn, CzStoreHistory *op, guint32 ref);

/* cz-server-e2e.c: end-to-end direct messages, once logged in. */
void cz_server_e2e_publish (CzConn *conn, GVariant *message, guint32 ref);
void cz_server_e2e_fetch (CzConn *conn, GVariant *message, guint32 ref);
void cz_server_e2e_emsg (CzConn *conn, GVariant *message, guint32 ref);
/* `received` on a connection with a device: @ids (taken) are forgotten
 * for that device. */
void cz_server_e2e_received (CzConn *conn, GArray *ids);
/* Store completions (@sender: NULL once gone). */
void cz_server_e2e_published (CzConn *conn, CzStorePublishKeys *op, guint32 ref);
void cz_server_e2e_fetched (CzConn *conn, CzStoreFetchKeys *op, guint32 ref);
void cz_server_e2e_saved (CzServer *server, CzConn *sender, CzStoreSaveEmsg *op, CzOpCtx *ctx);
void cz_server_e2e_pending_done (CzServer *server, CzConn *conn, CzStoreDevicePending *op);
void cz_server_e2e_removed (CzServer *server, CzStoreDeviceReceived *op);

/* cz-server-presence.c */
void cz_server_presence_who (CzConn *conn, GVariant *message, guint32 ref);
/* @conn's user is online (after its offline queue). */
void cz_server_presence_online (CzServer *server, CzConn *conn);
/* @conn closed (the loop). */
void cz_server_presence_closed (CzConn *conn);
/* Announces this iteration's presence changes (the loop, at the end of
 * each iteration). */
void cz_server_presence_flush (CzServer *server);
/* TRUE if @auth_start's optional `features` (as) lists "presence-batch". */
gboolean cz_server_presence_wants_batch (GVariant *auth_start);
/* @user's state on the other nodes changed (cz-server-cluster.c);
 * @was_online: on any node before. */
void cz_server_presence_remote (CzServer *server, const char *user, gboolean was_online);
/* Forgets everyone (the server stopping). */
void cz_server_presence_shutdown (CzServer *server);

/* cz-server-cluster.c: several nodes on one PostgreSQL database. */
/* Starts hearing the other nodes (nothing with SQLite). */
gboolean cz_server_cluster_start (CzServer *server, GError **error);
void cz_server_cluster_stop (CzServer *server);
/* Completion of CZ_OP_CLUSTER: delivers another node's commit here. */
void cz_server_cluster_done (CzServer *server, CzStoreOp *op, CzOpCtx *ctx);
/* Once per loop iteration, before cz_server_presence_flush(): the other
 * nodes' presence news in, this node's changes out. */
void cz_server_cluster_flush (CzServer *server);
/* Whether @user is online on another node. */
gboolean cz_server_cluster_online (CzServer *server, const char *user);
/* Adds to @users (borrowed strings) those online on other nodes only,
 * but @except. */
void cz_server_cluster_add_users (CzServer *server, GPtrArray *users, const char *except);
/* `error {code: "unavailable", retry_after}` for an operation the shared
 * database could not take: try again in a few seconds, here or on
 * another node. */
void cz_server_cluster_send_unavailable (CzConn *conn, guint32 ref, const GError *error);
/* A login attempt with these throttle keys ended here (@ok: succeeded):
 * the other nodes count it too. */
void cz_server_cluster_login (CzServer *server, const char *pair_key, const char *addr_key,
                              const char *user_key, gboolean ok);

G_END_DECLS
