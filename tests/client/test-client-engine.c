/* test-client-engine.c: the client engine in-process against the real
 * causerie-server --headless: what each typed signal carries (connected,
 * registered, logged-in, message, ack, presence, who, receipt, history,
 * error, disconnected). */
#include "config.h"

#include <string.h>

#include "testutil.h"
#include "cz-client.h"
#include "cz-client-private.h"
#include "cz-crypto.h"

#define WAIT_MS 10000

/* Everything one client's signals said, copied. */
typedef struct {
  CzClient *client;
  CzSessionInfo *info;
  char *fingerprint;
  guint registered_ref;
  char *registered_user;
  guint logged_in_ref;
  char *logged_in_user;
  char *server_final;
  GPtrArray *messages;        /* CzClientMessage */
  GArray *acks;               /* Ack */
  GPtrArray *presence;        /* "user:online" / "user:offline" */
  guint who_ref;
  GStrv who;
  guint history_ref;
  GPtrArray *history;         /* CzClientMessage */
  GPtrArray *receipts;        /* "id:by:state" */
  GPtrArray *errors;          /* CzClientError */
  gboolean disconnected;
  GError *disconnect_error;
} Peer;

typedef struct {
  guint ref;
  gint64 id, ts;
} Ack;

static void
connected_cb (CzClient *c, CzSessionInfo *info, const char *fingerprint, Peer *p)
{
  p->info = cz_session_info_ref (info);
  p->fingerprint = g_strdup (fingerprint);
}

static void
registered_cb (CzClient *c, guint ref, const char *user, Peer *p)
{
  p->registered_ref = ref;
  p->registered_user = g_strdup (user);
}

static void
logged_in_cb (CzClient *c, guint ref, const char *user, const char *server_final, Peer *p)
{
  p->logged_in_ref = ref;
  p->logged_in_user = g_strdup (user);
  p->server_final = g_strdup (server_final);
}

static void
message_cb (CzClient *c, CzClientMessage *m, Peer *p)
{
  g_ptr_array_add (p->messages, cz_client_message_copy (m));
}

static void
ack_cb (CzClient *c, guint ref, gint64 id, gint64 ts, Peer *p)
{
  Ack a = { ref, id, ts };
  g_array_append_val (p->acks, a);
}

static void
presence_cb (CzClient *c, const char *user, gboolean online, Peer *p)
{
  g_ptr_array_add (p->presence, g_strdup_printf ("%s:%s", user, online ? "online" : "offline"));
}

static void
who_cb (CzClient *c, guint ref, char **users, Peer *p)
{
  p->who_ref = ref;
  g_strfreev (p->who);
  p->who = g_strdupv (users);
}

static void
receipt_cb (CzClient *c, gint64 id, const char *by, CzReceiptState state, Peer *p)
{
  g_ptr_array_add (p->receipts, g_strdup_printf ("%" G_GINT64_FORMAT ":%s:%s", id, by,
                                                 cz_receipt_state_to_string (state)));
}

static void
history_cb (CzClient *c, guint ref, GPtrArray *messages, Peer *p)
{
  p->history_ref = ref;
  g_ptr_array_set_size (p->history, 0);
  for (guint i = 0; i < messages->len; i++)
    g_ptr_array_add (p->history, cz_client_message_copy (messages->pdata[i]));
}

static void
error_cb (CzClient *c, CzClientError *error, Peer *p)
{
  g_ptr_array_add (p->errors, cz_client_error_copy (error));
}

static void
disconnected_cb (CzClient *c, const GError *error, const char *reason, Peer *p)
{
  p->disconnected = TRUE;
  p->disconnect_error = error ? g_error_copy (error) : NULL;
}

static Peer *
peer_new (const char *dir, guint16 port)
{
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *known = g_build_filename (dir, "known-servers", NULL);
  CzClientConfig config = {
    .host = "127.0.0.1",
    .port = port,
    .tls = { .trust = CZ_TRUST_CA, .ca_file = ca, .known_servers = known },
  };
  g_autoptr(GError) error = NULL;
  Peer *p = g_new0 (Peer, 1);

  p->client = cz_client_new (&config, &error);
  g_assert_no_error (error);
  p->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_client_message_free);
  p->history = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_client_message_free);
  p->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_client_error_free);
  p->acks = g_array_new (FALSE, FALSE, sizeof (Ack));
  p->presence = g_ptr_array_new_with_free_func (g_free);
  p->receipts = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (p->client, "connected", G_CALLBACK (connected_cb), p);
  g_signal_connect (p->client, "registered", G_CALLBACK (registered_cb), p);
  g_signal_connect (p->client, "logged-in", G_CALLBACK (logged_in_cb), p);
  g_signal_connect (p->client, "message", G_CALLBACK (message_cb), p);
  g_signal_connect (p->client, "ack", G_CALLBACK (ack_cb), p);
  g_signal_connect (p->client, "presence", G_CALLBACK (presence_cb), p);
  g_signal_connect (p->client, "who", G_CALLBACK (who_cb), p);
  g_signal_connect (p->client, "receipt", G_CALLBACK (receipt_cb), p);
  g_signal_connect (p->client, "history", G_CALLBACK (history_cb), p);
  g_signal_connect (p->client, "error", G_CALLBACK (error_cb), p);
  g_signal_connect (p->client, "disconnected", G_CALLBACK (disconnected_cb), p);
  return p;
}

static void
peer_free (Peer *p)
{
  g_signal_handlers_disconnect_by_data (p->client, p);
  g_clear_object (&p->client);
  g_clear_pointer (&p->info, cz_session_info_unref);
  g_free (p->fingerprint);
  g_free (p->registered_user);
  g_free (p->logged_in_user);
  g_free (p->server_final);
  g_ptr_array_unref (p->messages);
  g_ptr_array_unref (p->history);
  g_ptr_array_unref (p->errors);
  g_ptr_array_unref (p->presence);
  g_ptr_array_unref (p->receipts);
  g_array_unref (p->acks);
  g_strfreev (p->who);
  g_clear_error (&p->disconnect_error);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

/* WAIT_UNTIL: runs the main context until @cond holds, WAIT_MS at most. */
static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

#define WAIT_UNTIL(cond) \
  G_STMT_START { \
    gboolean timed_out_ = FALSE; \
    guint id_ = g_timeout_add (WAIT_MS, timeout_cb, &timed_out_); \
    while (!(cond) && !timed_out_) \
      g_main_context_iteration (NULL, TRUE); \
    if (!timed_out_) \
      g_source_remove (id_); \
    g_assert_true (cond); \
  } G_STMT_END

static gboolean
has_string (GPtrArray *array, const char *s)
{
  for (guint i = 0; i < array->len; i++)
    if (g_str_equal (array->pdata[i], s))
      return TRUE;
  return FALSE;
}

static void
log_in (Peer *p, const char *user, const char *password)
{
  guint32 ref;

  cz_client_connect (p->client);
  WAIT_UNTIL (p->info != NULL);

  ref = cz_client_register (p->client, user, password);
  g_assert_cmpuint (ref, !=, 0);
  WAIT_UNTIL (p->registered_user != NULL);
  g_assert_cmpuint (p->registered_ref, ==, ref);
  g_assert_cmpstr (p->registered_user, ==, user);

  ref = cz_client_login (p->client, user, password);
  g_assert_cmpuint (ref, !=, 0);
  WAIT_UNTIL (p->logged_in_user != NULL);
  g_assert_cmpuint (p->logged_in_ref, ==, ref);
  g_assert_cmpstr (p->logged_in_user, ==, user);
  g_assert_true (g_str_has_prefix (p->server_final, "v="));
  g_assert_true (cz_client_is_logged_in (p->client));
  g_assert_cmpstr (cz_client_get_user (p->client), ==, user);
}

static void
test_signals (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(CzTestServer) server = NULL;
  g_autoptr(Peer) alice = NULL;
  g_autoptr(Peer) bob = NULL;
  CzClientMessage *got;
  CzClientError *err;
  Ack *ack;
  guint32 ref;
  gint64 lobby_id;

  if (cz_test_server_bin () == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN not set");
      return;
    }
  dir = cz_test_make_pki ();
  server = cz_test_server_start (dir, NULL, &error);
  g_assert_no_error (error);

  /* connected: the TLS and Diffie-Hellman facts. */
  alice = peer_new (dir, server->port);
  log_in (alice, "alice", "alice's password");
  g_assert_cmpstr (alice->info->protocol, ==, "TLS1.3");
  g_assert_cmpstr (alice->info->alpn, ==, "causerie/1");
  g_assert_cmpstr (alice->info->trust, ==, "ca");
  g_assert_cmpstr (alice->info->dh_group, ==, "x25519");
  g_assert_cmpuint (strlen (alice->info->code), ==, 19);
  g_assert_nonnull (alice->info->server_cert);
  g_assert_cmpstr (alice->info->server_cert->subject, ==, "CN=localhost");
  g_assert_cmpuint (strlen (alice->fingerprint), ==, 64);
  g_assert_cmpstr (alice->fingerprint, ==, cz_client_get_fingerprint (alice->client));

  /* presence: alice hears bob come. */
  bob = peer_new (dir, server->port);
  log_in (bob, "bob", "bob's password");
  WAIT_UNTIL (has_string (alice->presence, "bob:online"));

  /* A lobby message: bob gets it with the id alice's ack carries. */
  ref = cz_client_say (alice->client, "hello lobby");
  g_assert_cmpuint (ref, !=, 0);
  WAIT_UNTIL (alice->acks->len == 1 && bob->messages->len == 1);
  ack = &g_array_index (alice->acks, Ack, 0);
  g_assert_cmpuint (ack->ref, ==, ref);
  g_assert_cmpint (ack->id, >, 0);
  g_assert_cmpint (ack->ts, >, 0);
  got = bob->messages->pdata[0];
  g_assert_cmpint (got->id, ==, ack->id);
  g_assert_cmpint (got->ts, ==, ack->ts);
  g_assert_cmpstr (got->from, ==, "alice");
  g_assert_cmpstr (got->text, ==, "hello lobby");
  g_assert_cmpstr (got->room, ==, "lobby");
  g_assert_null (got->to);
  g_assert_false (got->offline);
  lobby_id = ack->id;

  /* A direct message, delivered: bob's engine says so by itself. */
  ref = cz_client_msg (alice->client, "bob", "psst");
  WAIT_UNTIL (alice->acks->len == 2 && bob->messages->len == 2);
  ack = &g_array_index (alice->acks, Ack, 1);
  g_assert_cmpuint (ack->ref, ==, ref);
  got = bob->messages->pdata[1];
  g_assert_cmpint (got->id, ==, ack->id);
  g_assert_cmpstr (got->to, ==, "bob");
  g_assert_null (got->room);
  {
    g_autofree char *expected = g_strdup_printf ("%" G_GINT64_FORMAT ":bob:delivered", ack->id);
    WAIT_UNTIL (has_string (alice->receipts, expected));
  }

  /* who */
  ref = cz_client_who (alice->client);
  WAIT_UNTIL (alice->who != NULL);
  g_assert_cmpuint (alice->who_ref, ==, ref);
  g_assert_true (g_strv_contains ((const char *const *) alice->who, "alice"));
  g_assert_true (g_strv_contains ((const char *const *) alice->who, "bob"));

  /* history of the lobby, as bob sees it */
  ref = cz_client_history (bob->client, CZ_LOBBY_NAME, 0, 10);
  WAIT_UNTIL (bob->history_ref != 0);
  g_assert_cmpuint (bob->history_ref, ==, ref);
  g_assert_cmpuint (bob->history->len, ==, 1);
  got = bob->history->pdata[0];
  g_assert_cmpint (got->id, ==, lobby_id);
  g_assert_cmpstr (got->from, ==, "alice");
  g_assert_cmpstr (got->text, ==, "hello lobby");
  g_assert_cmpstr (got->room, ==, "lobby");

  /* An error answers its request, with the server's code. */
  ref = cz_client_msg (alice->client, "nobody", "anyone there?");
  WAIT_UNTIL (alice->errors->len == 1);
  err = alice->errors->pdata[0];
  g_assert_cmpuint (err->ref, ==, ref);
  g_assert_cmpstr (err->code_name, ==, "no-such-user");
  g_assert_cmpint (err->code, ==, CZ_ERROR_NO_SUCH_USER);
  g_assert_nonnull (err->message);
  g_assert_false (err->local);
  g_assert_cmpuint (cz_client_get_pending (alice->client), ==, 0);

  /* One raised on this side says so. */
  g_assert_cmpuint (cz_client_say (alice->client, ""), ==, 0);
  WAIT_UNTIL (alice->errors->len == 2);
  err = alice->errors->pdata[1];
  g_assert_true (err->local);
  g_assert_cmpuint (err->ref, ==, 0);
  g_assert_cmpstr (err->code_name, ==, cz_error_code_to_string (err->code));

  /* disconnected: clean; bob sees alice go. */
  cz_client_disconnect (alice->client);
  WAIT_UNTIL (alice->disconnected);
  g_assert_no_error (alice->disconnect_error);
  g_assert_false (cz_client_is_connected (alice->client));
  WAIT_UNTIL (has_string (bob->presence, "alice:offline"));

  cz_client_disconnect (bob->client);
  WAIT_UNTIL (bob->disconnected);
  g_assert_cmpint (cz_test_server_stop (server), ==, 0);
  cz_test_rmdir (dir);
}

/* A connection refused: disconnected carries the error. */
static void
test_refused (void)
{
  g_autofree char *dir = cz_test_make_pki ();
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(Peer) p = NULL;
  guint16 port;

  /* A port nobody listens on: bound, then closed. */
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);

  p = peer_new (dir, port);
  cz_client_connect (p->client);
  WAIT_UNTIL (p->disconnected);
  g_assert_null (p->info);
  g_assert_nonnull (p->disconnect_error);
  g_assert_true (p->disconnect_error->domain == CZ_ERROR);
  cz_test_rmdir (dir);
}

/* Issue #15 item 10: the reconnect cache recognises the password typed
 * by a check value.  Unkeyed (HMAC(password, fixed label)) it was a
 * password-equivalent oracle, the same in every process and guessable
 * offline; keyed with a random per-process key it is not, and forgetting
 * the cache changes the key. */
static void
test_password_check_keyed (void)
{
  static const char label[] = "causerie client key cache";
  guint8 a[32], b[32], c[32], unkeyed[32];

  cz_client_password_check ("correct horse", a);
  cz_client_password_check ("correct horse", b);
  g_assert_true (memcmp (a, b, 32) == 0);            /* recognises the same password */
  cz_client_password_check ("wrong horse", c);
  g_assert_false (memcmp (a, c, 32) == 0);
  cz_hmac_sha256 ("correct horse", strlen ("correct horse"), label, strlen (label), unkeyed);
  g_assert_false (memcmp (a, unkeyed, 32) == 0);     /* not computable without the key */
  cz_client_forget_cached_keys ();
  cz_client_password_check ("correct horse", b);
  g_assert_false (memcmp (a, b, 32) == 0);           /* a new key after forgetting */
}

/* The keyed check still recognises the password across clients of one
 * process: a reconnect skips PBKDF2.  Timed at 1,000,000 iterations. */
static void
test_reconnect_cached (void)
{
  const char *const args[] = { "--scram-iterations", "1000000", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(CzTestServer) server = NULL;
  g_autoptr(Peer) first = NULL;
  g_autoptr(Peer) again = NULL;
  gint64 t0, cold, warm;
  guint32 ref;

  if (cz_test_server_bin () == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN not set");
      return;
    }
  cz_client_forget_cached_keys ();
  dir = cz_test_make_pki ();
  server = cz_test_server_start (dir, args, &error);
  g_assert_no_error (error);

  first = peer_new (dir, server->port);
  cz_client_connect (first->client);
  WAIT_UNTIL (first->info != NULL);
  cz_client_register (first->client, "carol", "carol's password");
  WAIT_UNTIL (first->registered_user != NULL);
  t0 = g_get_monotonic_time ();
  ref = cz_client_login (first->client, "carol", "carol's password");
  g_assert_cmpuint (ref, !=, 0);
  WAIT_UNTIL (first->logged_in_user != NULL);
  cold = g_get_monotonic_time () - t0;

  again = peer_new (dir, server->port);
  cz_client_connect (again->client);
  WAIT_UNTIL (again->info != NULL);
  t0 = g_get_monotonic_time ();
  ref = cz_client_login (again->client, "carol", "carol's password");
  g_assert_cmpuint (ref, !=, 0);
  WAIT_UNTIL (again->logged_in_user != NULL);
  warm = g_get_monotonic_time () - t0;

  g_test_message ("login: %" G_GINT64_FORMAT " ms cold, %" G_GINT64_FORMAT " ms from the cache",
                  cold / 1000, warm / 1000);
  g_assert_cmpint (warm, <, cold);
  cz_client_disconnect (first->client);
  cz_client_disconnect (again->client);
  g_assert_cmpint (cz_test_server_stop (server), ==, 0);
  cz_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client-engine/signals", test_signals);
  g_test_add_func ("/client-engine/password-check-keyed", test_password_check_keyed);
  g_test_add_func ("/client-engine/reconnect-cached", test_reconnect_cached);
  g_test_add_func ("/client-engine/refused", test_refused);

  return g_test_run ();
}
