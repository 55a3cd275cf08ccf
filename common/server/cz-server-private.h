/* cz-server-private.h: what the server's network loop (cz-server.c) and its
 * chat logic (cz-server-chat.c) share.  Everything here runs on the engine
 * thread unless marked otherwise. */
#pragma once

#include <glib.h>
#include "cz-server.h"
#include "cz-channel.h"
#include "cz-tls-server.h"
#include "cz-store.h"
#include "cz-scram.h"
#include "cz-throttle.h"
#include "cz-error.h"

G_BEGIN_DECLS

typedef struct _CzConn CzConn;

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

  /* accounts */
  GVariant *user_name;       /* set once logged in; sent as `from` */
  const char *user;          /* @user_name's string */
  CzScramServer *scram;      /* during auth-start → auth-finish */
  guint32 auth_ref;
  char *auth_user;
  gboolean auth_busy;        /* a store lookup is under way */
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
  GHashTable *presence_before;  /* user → was online, for changes not yet announced */
  GPtrArray *presence_order;    /* those users (owned strings), in order of change */
  GQueue pending_deadline;   /* conn ids in connection order (deadlines increase) */
  GPtrArray *dirty;          /* CzConn* with output to flush */
  GPtrArray *graveyard;      /* dead CzConn* to free */
  GPtrArray *again;          /* CzConn* with input buffered inside GnuTLS */
  guint64 next_id;
  gint client_count;         /* atomic */

  CzThrottle *throttle;
  guint8 fake_secret[32];    /* SCRAM answers for unknown users */
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

/* cz-server.c */
void cz_server_emit (CzServer *server, CzServerEvent *event);
void cz_server_log (CzServer *server, GLogLevelFlags level, const char *format, ...) G_GNUC_PRINTF (3, 4);
void cz_conn_mark_dirty (CzConn *conn);
/* Sends a message (marks dirty); FALSE if the connection cannot take it. */
gboolean cz_conn_send (CzConn *conn, GVariant *message);
void cz_conn_send_error (CzConn *conn, guint32 ref, CzErrorCode code, const char *text);
/* The same for a GError (its wire code and message). */
void cz_conn_send_gerror (CzConn *conn, guint32 ref, const GError *error);
/* Submits a store op for @conn; its completion comes back, on the engine
 * thread, to cz_server_chat_store_done() with a CzOpCtx in op->user_data. */
CzOpCtx *cz_server_submit (CzServer *server, CzConn *conn, guint32 ref, CzOpPurpose purpose,
                           CzStoreOp *op);

/* cz-server-accounts.c */
/* register, register-keys, auth-start, auth-finish (@kind) before login. */
void cz_server_accounts_message (CzConn *conn, const char *kind, GVariant *message, guint32 ref);
/* Store completions of CZ_OP_REGISTER and CZ_OP_LOGIN_LOOKUP. */
void cz_server_accounts_registered (CzConn *conn, CzStoreOp *op, guint32 ref);
void cz_server_accounts_login_lookup_done (CzConn *conn, CzStoreOp *op, guint32 ref);

/* cz-server-chat.c */
void cz_server_chat_message (CzConn *conn, GVariant *message);
void cz_server_chat_store_done (CzServer *server, CzStoreOp *op);
void cz_server_chat_closed (CzConn *conn);
void cz_server_chat_shutdown (CzServer *server);
/* Announces this iteration's presence changes (end of each loop iteration). */
void cz_server_chat_flush_presence (CzServer *server);

G_END_DECLS
