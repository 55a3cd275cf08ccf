/* test-chat-wire.c: what the real causerie-server --headless answers on
 * the wire (DESIGN §2.1 "Accounts" and "Chat", §2.7, §2.8) to requests the
 * client engine never sends: chat before login, account messages after
 * it, over-long text, malformed requests, receipts for other people's
 * messages.  The client side is a bare CzChannel driven here with poll(). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "wire-peer.h"
#include "cz-protocol.h"
#include "cz-message.h"
#include "cz-scram.h"

#define WAIT_MS 10000

typedef WireFixture Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  wire_fixture_setup (f, NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  wire_fixture_teardown (f);
}

/* ---- Tests ----------------------------------------------------------------- */

/* Every chat request before auth-ok: not-authenticated, ref echoed, and
 * the connection stays up. */
static void
test_not_authenticated (Fixture *f, gconstpointer data)
{
  Wire *w;

  if (!wire_need_server (f))
    return;
  w = wire_connect (f);
  wire_send (w, cz_message_new ("say", "ref", g_variant_new_uint32 (11),
                                "text", g_variant_new_string ("early"), NULL));
  wire_send (w, cz_message_new ("msg", "ref", g_variant_new_uint32 (12),
                                "to", g_variant_new_string ("bob"),
                                "text", g_variant_new_string ("early"), NULL));
  wire_send (w, cz_message_new ("who", "ref", g_variant_new_uint32 (13), NULL));
  wire_send (w, cz_message_new ("history", "ref", g_variant_new_uint32 (14),
                                "with", g_variant_new_string ("#lobby"), NULL));
  wire_send (w, cz_message_new ("received", "ids", wire_ids_of (1), NULL));
  wire_send (w, cz_message_new ("read", "ids", wire_ids_of (1), NULL));
  for (guint32 ref = 11; ref <= 14; ref++)
    wire_expect_error (w, "not-authenticated", ref);
  wire_expect_error (w, "not-authenticated", 0);
  wire_expect_error (w, "not-authenticated", 0);
  wire_register (w, "alice", "Pw.alice-1111");
  wire_login (w, "alice", "Pw.alice-1111");
  wire_assert_alive (w, "alice");
}

/* Account requests on a logged-in connection: already-authenticated; the
 * session goes on as it was. */
static void
test_already_authenticated (Fixture *f, gconstpointer data)
{
  static const char *const kinds[] = { "auth-start", "auth-finish", "register", "register-keys" };
  Wire *w;

  if (!wire_need_server (f))
    return;
  w = wire_join (f, "alice", "Pw.alice-1111");
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      wire_send (w, cz_message_new (kinds[i], "ref", g_variant_new_uint32 (20 + i),
                                    "mechanism", g_variant_new_string (CZ_SCRAM_MECHANISM),
                                    "message", g_variant_new_string ("n,,n=bob,r=abc"),
                                    "user", g_variant_new_string ("bob"), NULL));
      wire_expect_error (w, "already-authenticated", 20 + i);
    }
  wire_assert_alive (w, "alice");
}

/* The server itself holds the limit: 4,096 characters pass, 4,097 get
 * too-large; empty text gets bad-text. */
static void
test_text_limit (Fixture *f, gconstpointer data)
{
  g_autofree char *a4096 = g_strnfill (4096, 'a');
  g_autofree char *a4097 = g_strnfill (4097, 'a');
  g_autoptr(GString) e4097 = g_string_new (NULL);
  g_autoptr(GVariant) ack = NULL;
  g_autoptr(GVariant) m = NULL;
  const char *text = NULL;
  Wire *alice, *bob;

  if (!wire_need_server (f))
    return;
  for (guint i = 0; i < 4097; i++)
    g_string_append (e4097, "é");
  alice = wire_join (f, "alice", "Pw.alice-1111");
  bob = wire_join (f, "bob", "Pw.bob-2222");
  wire_send (alice, cz_message_new ("say", "ref", g_variant_new_uint32 (30),
                                    "text", g_variant_new_string (a4097), NULL));
  wire_expect_error (alice, "too-large", 30);
  wire_send (alice, cz_message_new ("msg", "ref", g_variant_new_uint32 (31),
                                    "to", g_variant_new_string ("bob"),
                                    "text", g_variant_new_string (e4097->str), NULL));
  wire_expect_error (alice, "too-large", 31);
  wire_send (alice, cz_message_new ("say", "ref", g_variant_new_uint32 (32),
                                    "text", g_variant_new_string (""), NULL));
  wire_expect_error (alice, "bad-text", 32);
  wire_send (alice, cz_message_new ("say", "ref", g_variant_new_uint32 (33),
                                    "text", g_variant_new_string (a4096), NULL));
  ack = wire_take (alice, "ack", WAIT_MS);
  g_assert_nonnull (ack);
  g_assert_cmpuint (cz_message_ref (ack), ==, 33);
  /* Bob got the long line, and nothing of the refused ones. */
  m = wire_take (bob, "message", WAIT_MS);
  g_assert_nonnull (m);
  g_assert_true (cz_message_get_string (m, "text", &text, NULL));
  g_assert_cmpstr (text, ==, a4096);
  g_assert_cmpuint (bob->inbox->len, ==, 0);
}

/* Malformed requests get an error and leave the connection up. */
static void
test_bad_requests (Fixture *f, gconstpointer data)
{
  Wire *w;

  if (!wire_need_server (f))
    return;
  w = wire_join (f, "alice", "Pw.alice-1111");
  wire_send (w, cz_message_new ("history", "ref", g_variant_new_uint32 (40),
                                "with", g_variant_new_string ("#lobby"),
                                "limit", g_variant_new_uint32 (0), NULL));
  wire_expect_error (w, "bad-frame", 40);
  wire_send (w, cz_message_new ("history", "ref", g_variant_new_uint32 (41),
                                "with", g_variant_new_string ("#lobby"),
                                "limit", g_variant_new_uint32 (501), NULL));
  wire_expect_error (w, "bad-frame", 41);
  wire_send (w, cz_message_new ("history", "ref", g_variant_new_uint32 (42),
                                "with", g_variant_new_string ("Not A Name"), NULL));
  wire_expect_error (w, "no-such-user", 42);
  wire_send (w, cz_message_new ("msg", "ref", g_variant_new_uint32 (43),
                                "to", g_variant_new_string ("nobody"),
                                "text", g_variant_new_string ("hello?"), NULL));
  wire_expect_error (w, "no-such-user", 43);
  wire_send (w, cz_message_new ("msg", "ref", g_variant_new_uint32 (44),
                                "text", g_variant_new_string ("to whom?"), NULL));
  wire_expect_error (w, "bad-frame", 44);
  wire_send (w, cz_message_new ("read", "ids",
                                g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, NULL, 0,
                                                           sizeof (gint64)), NULL));
  wire_expect_error (w, "bad-frame", 0);
  wire_send (w, cz_message_new ("dance", "ref", g_variant_new_uint32 (45), NULL));
  wire_expect_error (w, "unknown-kind", 45);
  wire_assert_alive (w, "alice");
}

/* Only the recipient's receipts count: another user marking a message
 * changes nothing and tells the sender nothing. */
static void
test_foreign_receipts (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) ack = NULL;
  g_autoptr(GVariant) m = NULL;
  g_autoptr(GVariant) receipt = NULL;
  gint64 id = 0;
  const char *state = NULL, *by = NULL;
  Wire *alice, *bob, *carol;

  if (!wire_need_server (f))
    return;
  alice = wire_join (f, "alice", "Pw.alice-1111");
  bob = wire_join (f, "bob", "Pw.bob-2222");
  carol = wire_join (f, "carol", "Pw.carol-3333");
  wire_send (alice, cz_message_new ("msg", "ref", g_variant_new_uint32 (50),
                                    "to", g_variant_new_string ("bob"),
                                    "text", g_variant_new_string ("for bob only"), NULL));
  ack = wire_take (alice, "ack", WAIT_MS);
  g_assert_nonnull (ack);
  g_assert_true (cz_message_get_int64 (ack, "id", &id, NULL));
  m = wire_take (bob, "message", WAIT_MS);
  g_assert_nonnull (m);

  /* Carol's claims, then a message from her as a marker: store operations
   * finish in order, so a receipt would come before it. */
  wire_send (carol, cz_message_new ("received", "ids", wire_ids_of (id), NULL));
  wire_send (carol, cz_message_new ("read", "ids", wire_ids_of (id), NULL));
  wire_send (carol, cz_message_new ("msg", "ref", g_variant_new_uint32 (51),
                                    "to", g_variant_new_string ("alice"),
                                    "text", g_variant_new_string ("marker"), NULL));
  g_clear_pointer (&m, g_variant_unref);
  m = wire_take (alice, "message", WAIT_MS);
  g_assert_nonnull (m);
  g_assert_null (wire_take (alice, "receipt", 0));

  wire_send (bob, cz_message_new ("read", "ids", wire_ids_of (id), NULL));
  receipt = wire_take (alice, "receipt", WAIT_MS);
  g_assert_nonnull (receipt);
  g_assert_true (cz_message_get_string (receipt, "state", &state, NULL));
  g_assert_true (cz_message_get_string (receipt, "by", &by, NULL));
  g_assert_cmpstr (state, ==, "read");
  g_assert_cmpstr (by, ==, "bob");
}

/* Alice's message to Bob with transaction id 4b1d-0001, as request @ref. */
static void
send_once (Wire *alice, guint32 ref)
{
  wire_send (alice, cz_message_new ("msg", "ref", g_variant_new_uint32 (ref),
                                    "to", g_variant_new_string ("bob"),
                                    "text", g_variant_new_string ("only once"),
                                    "txn", g_variant_new_string ("4b1d-0001"), NULL));
}

/* A message sent again with its txn (its ack was lost with the
 * connection) is stored and delivered once; the second ack repeats the
 * first.  A bad txn is refused. */
static void
test_txn (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) ack1 = NULL;
  g_autoptr(GVariant) ack2 = NULL;
  g_autoptr(GVariant) m = NULL;
  g_autofree char *long_txn = g_strnfill (CZ_TXN_MAX + 1, 'x');
  gint64 id1 = 0, id2 = 0, ts1 = 0, ts2 = 0, id = 0;
  const char *text = NULL;
  Wire *alice, *bob;

  if (!wire_need_server (f))
    return;
  alice = wire_join (f, "alice", "Pw.alice-1111");
  bob = wire_join (f, "bob", "Pw.bob-2222");
  send_once (alice, 60);
  ack1 = wire_take (alice, "ack", WAIT_MS);
  g_assert_nonnull (ack1);

  /* The same again from a new connection, as after a reconnect. */
  alice = wire_connect (f);
  wire_login (alice, "alice", "Pw.alice-1111");
  send_once (alice, 61);
  ack2 = wire_take (alice, "ack", WAIT_MS);
  g_assert_nonnull (ack2);
  g_assert_cmpuint (cz_message_ref (ack2), ==, 61);
  g_assert_true (cz_message_get_int64 (ack1, "id", &id1, NULL));
  g_assert_true (cz_message_get_int64 (ack2, "id", &id2, NULL));
  g_assert_true (cz_message_get_int64 (ack1, "ts", &ts1, NULL));
  g_assert_true (cz_message_get_int64 (ack2, "ts", &ts2, NULL));
  g_assert_cmpint (id2, ==, id1);
  g_assert_cmpint (ts2, ==, ts1);

  /* Bob gets it once, then the next message (no txn). */
  wire_send (alice, cz_message_new ("msg", "ref", g_variant_new_uint32 (62),
                                    "to", g_variant_new_string ("bob"),
                                    "text", g_variant_new_string ("next"), NULL));
  m = wire_take (bob, "message", WAIT_MS);
  g_assert_nonnull (m);
  g_assert_true (cz_message_get_int64 (m, "id", &id, NULL));
  g_assert_cmpint (id, ==, id1);
  g_clear_pointer (&m, g_variant_unref);
  m = wire_take (bob, "message", WAIT_MS);
  g_assert_nonnull (m);
  g_assert_true (cz_message_get_string (m, "text", &text, NULL));
  g_assert_cmpstr (text, ==, "next");

  wire_send (alice, cz_message_new ("say", "ref", g_variant_new_uint32 (63),
                                    "text", g_variant_new_string ("?"),
                                    "txn", g_variant_new_string (""), NULL));
  wire_expect_error (alice, "bad-frame", 63);
  wire_send (alice, cz_message_new ("say", "ref", g_variant_new_uint32 (64),
                                    "text", g_variant_new_string ("?"),
                                    "txn", g_variant_new_string (long_txn), NULL));
  wire_expect_error (alice, "bad-frame", 64);
  wire_send (alice, cz_message_new ("say", "ref", g_variant_new_uint32 (65),
                                    "text", g_variant_new_string ("?"),
                                    "txn", g_variant_new_uint32 (7), NULL));
  wire_expect_error (alice, "bad-frame", 65);
  wire_assert_alive (alice, "alice");
}

/* Out-of-sequence and unsupported login steps. */
static void
test_login_sequence (Fixture *f, gconstpointer data)
{
  static const guint8 key[32] = { 1 };
  Wire *w;

  if (!wire_need_server (f))
    return;
  w = wire_connect (f);
  wire_send (w, cz_message_new ("auth-finish", "ref", g_variant_new_uint32 (60),
                                "message", g_variant_new_string ("c=biws,r=x,p=eA=="), NULL));
  wire_expect_error (w, "protocol", 60);
  wire_send (w, cz_message_new ("register-keys", "ref", g_variant_new_uint32 (61),
                                "stored_key", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                         key, 32, 1),
                                "server_key", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                         key, 32, 1),
                                NULL));
  wire_expect_error (w, "protocol", 61);
  wire_send (w, cz_message_new ("auth-start", "ref", g_variant_new_uint32 (62),
                                "mechanism", g_variant_new_string ("PLAIN"),
                                "message", g_variant_new_string ("alice"), NULL));
  wire_expect_error (w, "auth-failed", 62);
  wire_register (w, "alice", "Pw.alice-1111");
  wire_login (w, "alice", "Pw.alice-1111");
  wire_assert_alive (w, "alice");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/wire/not-authenticated", Fixture, NULL, setup, test_not_authenticated, teardown);
  g_test_add ("/wire/already-authenticated", Fixture, NULL, setup, test_already_authenticated,
              teardown);
  g_test_add ("/wire/text-limit", Fixture, NULL, setup, test_text_limit, teardown);
  g_test_add ("/wire/bad-requests", Fixture, NULL, setup, test_bad_requests, teardown);
  g_test_add ("/wire/foreign-receipts", Fixture, NULL, setup, test_foreign_receipts, teardown);
  g_test_add ("/wire/txn", Fixture, NULL, setup, test_txn, teardown);
  g_test_add ("/wire/login-sequence", Fixture, NULL, setup, test_login_sequence, teardown);
  return g_test_run ();
}
