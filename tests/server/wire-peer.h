/* wire-peer.h: a bare wire client for the server's wire tests; see
 * wire-peer.c. */
#pragma once

#include "testutil.h"
#include "cz-channel.h"
#include "cz-tls-client.h"

G_BEGIN_DECLS


typedef struct {
  int fd;
  char *user;            /* once logged in */
  CzChannel *channel;
  GPtrArray *inbox;      /* GVariant* received, not taken yet */
  gboolean ready;
  gboolean closed;
} Wire;

typedef struct {
  char *dir;
  CzTestServer *server;
  CzTlsClientConfig *tls;  /* trusts the fixture's CA; shared by its wires */
  GPtrArray *wires;      /* Wire* */
} WireFixture;

/* A PKI in a new folder (nothing when CZ_SERVER_BIN is not set). */
void wire_fixture_init (WireFixture *f);
/* A server started there with @server_args (NULL: none). */
void wire_fixture_start_server (WireFixture *f, const char *const *server_args);
/* Both. */
void wire_fixture_setup (WireFixture *f, const char *const *server_args);
void wire_fixture_teardown (WireFixture *f);
/* FALSE (and the test skipped) without a server. */
gboolean wire_need_server (WireFixture *f);

void wire_free (Wire *w);
/* Waits for the socket (at most @timeout_ms) and runs the channel once. */
void wire_pump (Wire *w, int timeout_ms);
/* Every open wire of @f once, waiting at most 20 ms in all. */
void wire_pump_all (WireFixture *f);
/* A new connection, TLS and the channel's hello done; owned by @f. */
Wire *wire_connect (WireFixture *f);
/* Sends and takes @message (a full reference, as cz_message_new() gives). */
void wire_send (Wire *w, GVariant *message);
/* The first message of @kind received (taken from the inbox), or NULL
 * after @timeout_ms. */
GVariant *wire_take (Wire *w, const char *kind, guint timeout_ms);
/* Takes the next error and checks its code and ref. */
void wire_expect_error (Wire *w, const char *code, guint32 ref);
void wire_register (Wire *w, const char *user, const char *password);
void wire_login (Wire *w, const char *user, const char *password);
/* The same, asking for @features (auth-start's optional `features`). */
void wire_login_with (Wire *w, const char *user, const char *password,
                      const char *const *features);
/* Connects, registers and logs in. */
Wire *wire_join (WireFixture *f, const char *user, const char *password);
/* The server still answers: `who` lists @user. */
void wire_assert_alive (Wire *w, const char *user);
/* A one-id `ids` array. */
GVariant *wire_ids_of (gint64 id);

G_END_DECLS
