/* chat-peer.h: helpers shared by test-chat and test-accounts: a fixture
 * with the real causerie-server --headless, and CLI clients (JSON mode)
 * whose events are taken in order, each wait bounded by CHAT_WAIT_MS. */
#pragma once

#include "testutil.h"

G_BEGIN_DECLS

#define CHAT_WAIT_MS 10000   /* the longest any single event may take */

typedef struct {
  CzTestClient *c;
  GHashTable *taken;   /* JsonObject* already matched by peer_take*() */
} Peer;

typedef struct {
  char *dir;
  CzTestServer *server;
  GPtrArray *peers;    /* Peer*, freed in teardown */
} Fixture;

/* Fixture: @data is the server's extra arguments (NULL-terminated) or NULL. */
void chat_setup (Fixture *f, gconstpointer data);
void chat_teardown (Fixture *f, gconstpointer data);
/* FALSE (and the test skipped) when the programs are not built. */
gboolean chat_need_programs (Fixture *f);
/* Stops the server (SIGTERM, exit 0 expected; SIGKILL if @crash) and starts
 * it again on the same database; the port may change. */
void chat_restart_server (Fixture *f, gboolean crash);

/* Members of an event (NULL / G_MININT64 when missing). */
const char *ev_str (JsonObject *o, const char *key);
gint64 ev_int (JsonObject *o, const char *key);
gboolean ev_bool (JsonObject *o, const char *key);

/* A client connected to the fixture's server (the "connected" event taken). */
Peer *peer_connect (Fixture *f, const char *const *extra);
/* The same, then /login (asserting logged-in). */
Peer *peer_login (Fixture *f, const char *user, const char *password);
/* The same, then /register and /login. */
Peer *peer_join (Fixture *f, const char *user, const char *password);
/* Ends input (= /quit) and asserts a clean exit. */
void peer_quit (Peer *p);
void peer_say (Peer *p, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* The first event, in arrival order, not taken yet, named @event and (if
 * @key) whose member @key equals @str or, with @str NULL, the integer @num.
 * Waits @timeout_ms at most; NULL if none came. */
JsonObject *peer_take_full (Peer *p, const char *event, const char *key, const char *str,
                            gint64 num, guint timeout_ms);
/* The same within CHAT_WAIT_MS, asserting that it came. */
JsonObject *peer_take (Peer *p, const char *event);
JsonObject *peer_take_s (Peer *p, const char *event, const char *key, const char *value);
JsonObject *peer_take_i (Peer *p, const char *event, const char *key, gint64 value);
/* Events already read and not taken that match (no waiting). */
guint peer_count (Peer *p, const char *event, const char *key, const char *str);
/* Sends /who and takes the answer: everything the server sent @p before
 * it has then been read. */
JsonObject *peer_barrier (Peer *p);
/* /history WITH [LIMIT] (0 = default): the messages array. */
JsonArray *peer_history (Peer *p, const char *with, guint limit);
/* Takes the next ack and returns its id (asserting ref and id > 0). */
gint64 peer_ack_id (Peer *p);

/* A who event lists exactly @users, in this order. */
void chat_assert_users (JsonObject *who, const char *const *users);
/* A message or history entry. */
void chat_assert_message (JsonObject *m, gint64 id, const char *from, const char *to,
                          const char *text, gboolean offline);
/* None of @secrets occurs in the bytes of the database (and its -wal,
 * -shm, -journal) nor in the server log. */
void chat_assert_db_lacks (Fixture *f, const char *const *secrets);

G_END_DECLS
