/* cz-store-pg.h: what the PostgreSQL backend offers beyond the store
 * interface (DESIGN §3): telling a libpq URI from a file name, this
 * process's node id, and the listener through which a node hears what
 * the other nodes of one database committed (LISTEN/NOTIFY).
 *
 * Every node NOTIFYs on CZ_STORE_PG_CHANNEL inside each batch's
 * transaction, so the notice leaves with the COMMIT and only then: one
 * notice per batch and kind (the new message ids; the receipts of one
 * reader).  A listener has its own connection and thread (a store thread
 * sleeps on its queue, not on a socket), reads the new rows by id and
 * hands them over; after a lost connection it catches up by id.
 *
 * The listener also keeps this node's presence in the database: its row
 * in `nodes` with a heartbeat (every CZ_STORE_PG_HEARTBEAT_MS), and one
 * row in `sessions` (node, user, since) per user with a session here.
 * Whichever node first sees another's heartbeat lapse
 * (CZ_STORE_PG_LAPSE_MS) removes its rows and says so; a node that stops
 * removes its own.
 *
 * Failed logins are counted in `login_failures` and announced, so that
 * guessing on several nodes counts once (cz-throttle.h). */
#pragma once

#include <glib.h>

#include "cz-store.h"

G_BEGIN_DECLS

#define CZ_STORE_PG_CHANNEL "causerie"
#define CZ_STORE_PG_HEARTBEAT_MS 2000
#define CZ_STORE_PG_LAPSE_MS 10000

/* Whether @path is a libpq connection URI (postgresql:// or
 * postgres://) rather than an SQLite file name. */
gboolean cz_store_path_is_pg (const char *path);

/* This process's node id (random, made once): the notices a process
 * sends carry it, and its listener skips them (its own sessions had them
 * from the engine).  One node per process. */
const char *cz_store_pg_node_id (void);

typedef enum {
  CZ_STORE_NOTICE_MESSAGES,    /* @records: messages another node saved */
  CZ_STORE_NOTICE_DELIVERED,   /* @records: messages @reader received (from = sender) */
  CZ_STORE_NOTICE_READ,        /* @records: messages @reader read */
  CZ_STORE_NOTICE_PRESENCE,    /* @users came online (@online) or left, on @node */
  CZ_STORE_NOTICE_NODE_GONE,   /* @node stopped or lapsed: its users left it */
  CZ_STORE_NOTICE_SNAPSHOT,    /* everyone online on other nodes: @users[i] on @nodes[i];
                                  replaces what was known */
  CZ_STORE_NOTICE_LOGIN_FAILED,  /* a login failed on @node: @users are its throttle keys */
  CZ_STORE_NOTICE_LOGIN_OK,    /* a login succeeded on @node: forget @users' failures */
  CZ_STORE_NOTICE_FAILURES,    /* at start: @users[i] failed @counts[i] times, the last
                                  @ages[i] ms ago */
  CZ_STORE_NOTICE_CONNECTED,   /* the listener is (again) connected */
  CZ_STORE_NOTICE_LOST,        /* the listener lost the database */
} CzStoreNoticeKind;

typedef struct {
  CzStoreNoticeKind kind;
  char *node;                  /* the node it came from (NULL: this one) */
  char *reader;
  GPtrArray *records;          /* CzMessageRecord* (never NULL) */
  GPtrArray *users;            /* char* (never NULL) */
  GPtrArray *nodes;            /* char*, SNAPSHOT (never NULL) */
  GArray *counts, *ages;       /* gint64, FAILURES (never NULL) */
  gboolean online;
} CzStoreNotice;

void cz_store_notice_free (CzStoreNotice *notice);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzStoreNotice, cz_store_notice_free)

/* Called on the listener's thread; takes @notice.  Be quick. */
typedef void (*CzStoreNoticeFunc) (CzStoreNotice *notice, gpointer user_data);

typedef struct _CzStoreListener CzStoreListener;

/* Connects (once, synchronously: FALSE if the database cannot be
 * reached), LISTENs and starts the thread.  Later connection losses are
 * retried on the thread with a bounded backoff. */
CzStoreListener *cz_store_listener_start (const char *conninfo, CzStoreNoticeFunc func,
                                          gpointer user_data, GError **error);
/* @user now has (@online) or no longer has a session on this node.
 * Thread-safe; written and announced by the listener's thread, the
 * changes that wait together in one transaction. */
void cz_store_listener_set_presence (CzStoreListener *listener, const char *user,
                                     gboolean online);
/* A login failed (@failed) or succeeded here: the failure counts once
 * more for every node under each of @keys (the throttle keys), or the
 * success forgets them.  Thread-safe; batched like presence. */
void cz_store_listener_login (CzStoreListener *listener, const char *const *keys,
                              gboolean failed);
/* Stops the thread, removes this node's rows (its users leave, for the
 * other nodes) and closes the connection; @func is not called after
 * it returns. */
void cz_store_listener_stop (CzStoreListener *listener);

/* cz-store-pg-migrate.c: causerie-server --migrate-db. */
typedef struct {
  gint64 users, messages, delivered, read;
} CzStoreMigration;

/* Copies the SQLite database @from (migrated forward first) into the
 * PostgreSQL database @to (a libpq URI), which must be empty: users,
 * messages with their receipts and transaction ids, the login secret;
 * in one transaction, which commits only if the counts match.
 * CZ_ERROR_INVALID for wrong arguments or a non-empty target. */
gboolean cz_store_migrate_to_pg (const char *from, const char *to, CzStoreMigration *result,
                                 GError **error);

G_END_DECLS
