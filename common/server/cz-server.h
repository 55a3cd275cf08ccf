/* cz-server.h: the server engine (DESIGN §2, §6).
 *
 * An epoll loop on its own thread accepts connections and drives every
 * channel without blocking; the SQLite store runs on a second thread and
 * hands committed results back through the loop's inbox.  The engine knows
 * nothing of widgets: it reports through one event callback, called on the
 * engine thread, which the window, the headless logger and tests consume
 * alike (copy what you keep; never block in it). */
#pragma once

#include <glib.h>
#include "cz-dh.h"
#include "cz-session-info.h"
#include "cz-tls-options.h"

G_BEGIN_DECLS

#define CZ_SERVER_NO_LIMIT G_MAXUINT
#define CZ_SERVER_DEFAULT_MAX_PER_ADDRESS 64

typedef struct {
  const char *bind_address;     /* NULL = "0.0.0.0" */
  guint16 port;                 /* 0 = the kernel picks */
  const char *cert_file;
  const char *key_file;
  const char *client_ca_file;   /* NULL = none */
  CzClientCertMode client_cert_mode;
  const char *priority;         /* NULL = TLS 1.3 only */
  CzDhGroup dh_group;
  const char *db_path;          /* NULL = $XDG_DATA_HOME/causerie/server.db */
  gboolean no_registration;
  guint scram_iterations;       /* 0 = 600,000; minimum 4,096 */
  guint max_clients;            /* 0 = 10,000; at most what RLIMIT_NOFILE allows */
  guint max_per_address;        /* connections from one IP address; 0 = 64,
                                   CZ_SERVER_NO_LIMIT = no cap */
  guint handshake_timeout_ms;   /* 0 = 10,000 (TLS + DH + login) */
  guint presence_grace_ms;      /* 0 = 1,000: how long a user may be gone before
                                   others are told (a reconnect within it is silent) */
} CzServerConfig;

typedef enum {
  CZ_SERVER_EVENT_CONNECTED,    /* client_id, address */
  CZ_SERVER_EVENT_READY,        /* client_id, info: TLS + DH established */
  CZ_SERVER_EVENT_LOGGED_IN,    /* client_id, user */
  CZ_SERVER_EVENT_MESSAGE,      /* client_id (sender), message_id, ts, from, to (NULL = lobby), text, e2e */
  CZ_SERVER_EVENT_DISCONNECTED, /* client_id, user (may be NULL), text = reason (NULL = clean) */
  CZ_SERVER_EVENT_LOG,          /* level, text */
} CzServerEventKind;

typedef struct {
  CzServerEventKind kind;
  guint64 client_id;
  char *address;
  char *user;
  CzSessionInfo *info;
  gint64 message_id;
  gint64 ts;                    /* Unix ms */
  char *from;
  char *to;
  char *text;                   /* an end-to-end message: its size, never a text */
  gboolean e2e;                 /* MESSAGE: end-to-end encrypted */
  GLogLevelFlags level;
} CzServerEvent;

CzServerEvent *cz_server_event_copy (const CzServerEvent *event);
void cz_server_event_free (CzServerEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzServerEvent, cz_server_event_free)

typedef void (*CzServerEventFunc) (const CzServerEvent *event, gpointer user_data);

typedef struct _CzServer CzServer;

/* Loads the certificate and key, opens the database.  Nothing listens yet. */
CzServer *cz_server_new (const CzServerConfig *config, GError **error);
/* Events go to @func on the engine thread.  Set before cz_server_start(). */
void cz_server_set_event_func (CzServer *server, CzServerEventFunc func, gpointer user_data);
/* Binds, listens and starts the engine thread. */
gboolean cz_server_start (CzServer *server, GError **error);
/* "127.0.0.1:4433" or "[::1]:4433" once started. */
const char *cz_server_get_address (CzServer *server);
guint16 cz_server_get_port (CzServer *server);
/* Says bye to every client, stops the thread and commits what is pending.
 * Idempotent; safe from any thread but the engine's own. */
void cz_server_stop (CzServer *server);
void cz_server_free (CzServer *server);   /* stops first */

/* Live counters (approximate, any thread). */
guint cz_server_get_client_count (CzServer *server);

G_END_DECLS
