/* test-e2e-wire.c: the server's side of end-to-end direct messages
 * (DESIGN §2.2, doc/protocol.md "End-to-end direct messages") on the wire
 * against the real causerie-server --headless: keys-publish, keys-fetch
 * (each one-time prekey handed out once), emsg to several devices live
 * and offline, acknowledgement after commit, txn dedup, what the log
 * shows, and the hostile variants.  The client side is a bare CzChannel
 * driven here with poll().
 *
 * The client engine does not encrypt yet, so the keys and ciphertexts
 * here are opaque bytes: what is tested is that the server checks their
 * shapes, routes each device exactly its own bytes and never shows them. */
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

static const char *const log_messages[] = { "--log-messages", NULL };

static void
setup (Fixture *f, gconstpointer data)
{
  wire_fixture_setup (f, log_messages);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  wire_fixture_teardown (f);
}

/* ---- End-to-end helpers ---------------------------------------------------- */

#define MARKER "MARKER-e2e-ciphertext-7f3a"

/* @n bytes: @seed repeated, or random with @seed 0. */
static GVariant *
bytes_v (gsize n, guint8 seed)
{
  g_autofree guint8 *b = g_malloc (n ? n : 1);

  for (gsize i = 0; i < n; i++)
    b[i] = seed ? seed : (guint8) g_random_int ();
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, b, n, 1);
}

/* Opaque "ciphertext" bytes: random, with MARKER inside. */
static GVariant *
cipher_v (gsize n)
{
  g_autofree guint8 *b = g_malloc (n);

  g_assert_cmpuint (n, >, strlen (MARKER) + 8);
  for (gsize i = 0; i < n; i++)
    b[i] = (guint8) g_random_int ();
  memcpy (b + 4, MARKER, strlen (MARKER));
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, b, n, 1);
}

/* A bundle: identity and keys of 33 bytes filled with @seed, a 64-byte
 * signature, @n_prekeys one-time prekeys with ids from @first_id. */
static GVariant *
bundle_new (guint32 ref, guint32 device, guint8 seed, guint n_prekeys, guint32 first_id)
{
  GVariantBuilder pk;

  g_variant_builder_init (&pk, G_VARIANT_TYPE ("a(uay)"));
  for (guint i = 0; i < n_prekeys; i++)
    g_variant_builder_add (&pk, "(u@ay)", first_id + i, bytes_v (CZ_E2E_KEY_LEN, seed + 1 + i));
  return cz_message_new ("keys-publish",
                         "ref", g_variant_new_uint32 (ref),
                         "device", g_variant_new_uint32 (device),
                         "identity", bytes_v (CZ_E2E_KEY_LEN, seed),
                         "signed_prekey", g_variant_new ("(u@ay@ay)", 7,
                                                         bytes_v (CZ_E2E_KEY_LEN, seed ^ 0x55),
                                                         bytes_v (CZ_E2E_SIGNATURE_LEN, 0x5a)),
                         "prekeys", g_variant_builder_end (&pk),
                         NULL);
}

/* Publishes and takes keys-published; returns the prekeys held. */
static guint32
publish (Wire *w, guint32 device, guint8 seed, guint n_prekeys, guint32 first_id)
{
  g_autoptr(GVariant) ok = NULL;
  guint32 got = 0, held = 0;

  wire_send (w, bundle_new (50, device, seed, n_prekeys, first_id));
  ok = wire_take (w, "keys-published", WAIT_MS);
  g_assert_nonnull (ok);
  g_assert_cmpuint (cz_message_ref (ok), ==, 50);
  g_assert_true (cz_message_get_uint32 (ok, "device", &got, NULL));
  g_assert_cmpuint (got, ==, device);
  g_assert_true (cz_message_get_uint32 (ok, "prekeys", &held, NULL));
  return held;
}

/* keys-fetch @user: the `devices` array. */
static GVariant *
fetch (Wire *w, const char *user, guint32 ref)
{
  g_autoptr(GVariant) keys = NULL;
  const char *got = NULL;

  wire_send (w, cz_message_new ("keys-fetch", "ref", g_variant_new_uint32 (ref),
                                "user", g_variant_new_string (user), NULL));
  keys = wire_take (w, "keys", WAIT_MS);
  g_assert_nonnull (keys);
  g_assert_cmpuint (cz_message_ref (keys), ==, ref);
  g_assert_true (cz_message_get_string (keys, "user", &got, NULL));
  g_assert_cmpstr (got, ==, user);
  return cz_message_lookup (keys, "devices", G_VARIANT_TYPE ("aa{sv}"));
}

/* The one-time prekey id of a fetched device entry (0 if none). */
static guint32
entry_prekey_id (GVariant *entry)
{
  g_autoptr(GVariant) pk = g_variant_lookup_value (entry, "prekey", G_VARIANT_TYPE ("(uay)"));
  guint32 id = 0;

  if (pk)
    g_variant_get_child (pk, 0, "u", &id);
  return id;
}

static void
ct_add (GVariantBuilder *b, const char *user, guint32 device, GVariant *data)
{
  g_variant_builder_add (b, "(sub@ay)", user, device, TRUE, data);
}

static GVariant *
emsg_new (guint32 ref, const char *to, const char *txn, GVariantBuilder *b)
{
  return cz_message_new ("emsg",
                         "ref", g_variant_new_uint32 (ref),
                         "to", g_variant_new_string (to),
                         "ciphertexts", g_variant_builder_end (b),
                         txn ? "txn" : NULL, txn ? g_variant_new_string (txn) : NULL,
                         NULL);
}

/* Takes the next `message` and checks it is @device's end-to-end copy:
 * its bytes equal @data, it has no text. */
static gint64
take_emsg (Wire *w, const char *from, guint32 from_device, const char *to, guint32 device,
           GVariant *data, gboolean offline)
{
  g_autoptr(GVariant) m = wire_take (w, "message", WAIT_MS);
  g_autoptr(GVariant) e2e = NULL;
  g_autoptr(GVariant) text = NULL;
  const char *s = NULL;
  guint32 u = 0;
  gboolean b = !offline;
  gint64 id = 0;

  g_assert_nonnull (m);
  g_assert_true (cz_message_get_string (m, "from", &s, NULL));
  g_assert_cmpstr (s, ==, from);
  g_assert_true (cz_message_get_string (m, "to", &s, NULL));
  g_assert_cmpstr (s, ==, to);
  g_assert_true (cz_message_get_uint32 (m, "from_device", &u, NULL));
  g_assert_cmpuint (u, ==, from_device);
  g_assert_true (cz_message_get_uint32 (m, "device", &u, NULL));
  g_assert_cmpuint (u, ==, device);
  g_assert_true (cz_message_get_boolean (m, "offline", &b, NULL));
  g_assert_cmpint (b, ==, offline);
  g_assert_true (cz_message_get_int64 (m, "id", &id, NULL));
  text = cz_message_lookup (m, "text", NULL);
  g_assert_null (text);
  e2e = cz_message_lookup (m, "e2e", G_VARIANT_TYPE_BYTESTRING);
  g_assert_nonnull (e2e);
  g_assert_true (g_variant_equal (e2e, data));
  return id;
}

static gint64
take_ack (Wire *w, guint32 ref)
{
  g_autoptr(GVariant) ack = wire_take (w, "ack", WAIT_MS);
  gint64 id = 0;

  g_assert_nonnull (ack);
  g_assert_cmpuint (cz_message_ref (ack), ==, ref);
  g_assert_true (cz_message_get_int64 (ack, "id", &id, NULL));
  g_assert_cmpint (id, >, 0);
  return id;
}

/* The server log, waited for (bounded) until it holds @needle. */
static char *
log_with (Fixture *f, const char *needle)
{
  g_autofree char *path = g_build_filename (f->dir, "server.log", NULL);

  for (guint i = 0; i < 200; i++)
    {
      char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL) && strstr (text, needle))
        return text;
      g_free (text);
      g_usleep (50 * 1000);
    }
  g_assert_not_reached ();
}

/* ---- Tests ----------------------------------------------------------------- */

/* Published bundles come back as published; each one-time prekey is
 * handed out once, and an exhausted device's bundle has none; a device
 * never gets its own bundle. */
static void
test_publish_fetch (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) d1 = NULL, d2 = NULL, d3 = NULL, own = NULL;
  g_autoptr(GVariant) e1 = NULL;
  g_autoptr(GVariant) identity = NULL, spk = NULL;
  g_autoptr(GVariant) want_identity = g_variant_ref_sink (bytes_v (CZ_E2E_KEY_LEN, 0x10));
  Wire *alice, *bob;

  if (!wire_need_server (f))
    return;
  alice = wire_join (f, "alice", "Pw.alice-1111");
  bob = wire_join (f, "bob", "Pw.bob-2222");
  g_assert_cmpuint (publish (alice, 11, 0x10, 2, 1), ==, 2);
  /* Republishing (replenishing) the same device adds prekeys. */
  g_assert_cmpuint (publish (alice, 11, 0x10, 1, 3), ==, 3);
  publish (bob, 21, 0x20, 1, 1);

  d1 = fetch (bob, "alice", 61);
  g_assert_cmpuint (g_variant_n_children (d1), ==, 1);
  e1 = g_variant_get_child_value (d1, 0);
  identity = g_variant_lookup_value (e1, "identity", G_VARIANT_TYPE_BYTESTRING);
  g_assert_true (g_variant_equal (identity, want_identity));
  spk = g_variant_lookup_value (e1, "signed_prekey", G_VARIANT_TYPE ("(uayay)"));
  g_assert_nonnull (spk);
  g_assert_cmpuint (entry_prekey_id (e1), ==, 1);
  g_clear_pointer (&e1, g_variant_unref);
  g_clear_pointer (&d1, g_variant_unref);
  for (guint32 want = 2; want <= 3; want++)
    {
      d1 = fetch (bob, "alice", 61 + want);
      e1 = g_variant_get_child_value (d1, 0);
      g_assert_cmpuint (entry_prekey_id (e1), ==, want);
      g_clear_pointer (&e1, g_variant_unref);
      g_clear_pointer (&d1, g_variant_unref);
    }
  /* Exhausted: the bundle without a one-time prekey. */
  d2 = fetch (bob, "alice", 65);
  g_assert_cmpuint (g_variant_n_children (d2), ==, 1);
  e1 = g_variant_get_child_value (d2, 0);
  g_assert_cmpuint (entry_prekey_id (e1), ==, 0);
  g_assert_true (g_variant_lookup (e1, "device", "u", &(guint32) { 0 }));
  /* A device does not get its own bundle; a user without devices has
   * none; an unknown user is no-such-user. */
  own = fetch (alice, "alice", 66);
  g_assert_cmpuint (g_variant_n_children (own), ==, 0);
  wire_join (f, "carol", "Pw.carol-3333");
  d3 = fetch (alice, "carol", 67);
  g_assert_cmpuint (g_variant_n_children (d3), ==, 0);
  wire_send (alice, cz_message_new ("keys-fetch", "ref", g_variant_new_uint32 (68),
                                    "user", g_variant_new_string ("nobody"), NULL));
  wire_expect_error (alice, "no-such-user", 68);
  wire_assert_alive (alice, "alice");
}

/* alice's device 11 writes to bob, who has device 21 online and 22
 * offline, and to her own device 12: each online device gets its own
 * ciphertext live, 22 at its next publish; the ack comes after commit;
 * a resend with the same txn is stored and delivered once; the log names
 * sender, recipient and size, never the bytes; history has nothing. */
static void
test_emsg_devices (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) c21 = g_variant_ref_sink (cipher_v (100));
  g_autoptr(GVariant) c22 = g_variant_ref_sink (cipher_v (200));
  g_autoptr(GVariant) c12 = g_variant_ref_sink (cipher_v (300));
  g_autoptr(GVariant) history = NULL;
  g_autoptr(GVariant) messages = NULL;
  g_autofree char *log = NULL;
  GVariantBuilder b;
  Wire *alice, *alice2, *bob1, *bob2;
  gint64 id, id2;

  if (!wire_need_server (f))
    return;
  alice = wire_join (f, "alice", "Pw.alice-1111");
  bob1 = wire_join (f, "bob", "Pw.bob-2222");
  publish (alice, 11, 0x10, 2, 1);
  publish (bob1, 21, 0x20, 2, 1);
  bob2 = wire_connect (f);
  wire_login (bob2, "bob", "Pw.bob-2222");
  publish (bob2, 22, 0x30, 2, 1);
  g_ptr_array_remove (f->wires, bob2);   /* bob's second device goes away */
  alice2 = wire_connect (f);
  wire_login (alice2, "alice", "Pw.alice-1111");
  publish (alice2, 12, 0x40, 2, 1);
  wire_assert_alive (bob1, "bob");

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(subay)"));
  ct_add (&b, "bob", 21, g_variant_ref (c21));
  ct_add (&b, "bob", 22, g_variant_ref (c22));
  ct_add (&b, "alice", 12, g_variant_ref (c12));
  wire_send (alice, emsg_new (70, "bob", "txn-e2e-1", &b));
  id = take_ack (alice, 70);
  g_assert_cmpint (take_emsg (bob1, "alice", 11, "bob", 21, c21, FALSE), ==, id);
  g_assert_cmpint (take_emsg (alice2, "alice", 11, "bob", 12, c12, FALSE), ==, id);

  /* The same txn again: the same id, nothing delivered twice. */
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(subay)"));
  ct_add (&b, "bob", 21, g_variant_ref (c21));
  ct_add (&b, "bob", 22, g_variant_ref (c22));
  ct_add (&b, "alice", 12, g_variant_ref (c12));
  wire_send (alice, emsg_new (71, "bob", "txn-e2e-1", &b));
  g_assert_cmpint (take_ack (alice, 71), ==, id);
  wire_assert_alive (bob1, "bob");
  wire_assert_alive (alice2, "alice");
  g_assert_null (wire_take (bob1, "message", 0));
  g_assert_null (wire_take (alice2, "message", 0));
  g_assert_null (wire_take (alice, "message", 0));

  /* bob's second device comes back: its own ciphertext, once. */
  bob2 = wire_connect (f);
  wire_login (bob2, "bob", "Pw.bob-2222");
  wire_assert_alive (bob2, "bob");
  g_assert_null (wire_take (bob2, "message", 0));   /* nothing before its publish */
  publish (bob2, 22, 0x30, 0, 0);
  g_assert_cmpint (take_emsg (bob2, "alice", 11, "bob", 22, c22, TRUE), ==, id);
  wire_assert_alive (bob2, "bob");
  g_assert_null (wire_take (bob2, "message", 0));
  wire_send (bob2, cz_message_new ("received", "ids", wire_ids_of (id), NULL));
  {
    /* The sender's receipt, as for msg. */
    g_autoptr(GVariant) receipt = wire_take (alice, "receipt", WAIT_MS);
    gint64 rid = 0;
    const char *state = NULL;

    g_assert_nonnull (receipt);
    g_assert_true (cz_message_get_int64 (receipt, "id", &rid, NULL));
    g_assert_cmpint (rid, ==, id);
    g_assert_true (cz_message_get_string (receipt, "state", &state, NULL));
    g_assert_cmpstr (state, ==, "delivered");
  }
  /* bob1 never said received: 21's copy still waits, 22's is gone. */
  wire_assert_alive (bob2, "bob");
  g_ptr_array_remove (f->wires, bob2);
  bob2 = wire_connect (f);
  wire_login (bob2, "bob", "Pw.bob-2222");
  publish (bob2, 22, 0x30, 0, 0);
  wire_assert_alive (bob2, "bob");
  g_assert_null (wire_take (bob2, "message", 0));
  {
    Wire *bob3 = wire_connect (f);

    wire_login (bob3, "bob", "Pw.bob-2222");
    publish (bob3, 21, 0x20, 0, 0);
    g_assert_cmpint (take_emsg (bob3, "alice", 11, "bob", 21, c21, TRUE), ==, id);
  }

  /* A second message while every device is online. */
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(subay)"));
  ct_add (&b, "bob", 22, g_variant_ref (c22));
  wire_send (alice, emsg_new (72, "bob", NULL, &b));
  id2 = take_ack (alice, 72);
  g_assert_cmpint (id2, >, id);
  g_assert_cmpint (take_emsg (bob2, "alice", 11, "bob", 22, c22, FALSE), ==, id2);

  /* The server's history has nothing it cannot read. */
  wire_send (bob1, cz_message_new ("history", "ref", g_variant_new_uint32 (73),
                                   "with", g_variant_new_string ("alice"), NULL));
  history = wire_take (bob1, "history", WAIT_MS);
  g_assert_nonnull (history);
  messages = cz_message_lookup (history, "messages", G_VARIANT_TYPE ("aa{sv}"));
  g_assert_cmpuint (g_variant_n_children (messages), ==, 0);

  /* --log-messages: who, to whom, how many bytes; not the bytes. */
  /* The later message's line: the log is written as events come, so the
   * earlier one is certainly there by then. */
  log = log_with (f, "alice → bob, 200 bytes, end-to-end encrypted");
  g_assert_nonnull (strstr (log, "alice → bob, 600 bytes, end-to-end encrypted"));
  g_assert_null (strstr (log, MARKER));
}

/* Hostile input: each refused with its code, the connection and the
 * server stay up, and nothing is stored or delivered. */
static void
test_hostile (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) devices = NULL;
  g_autoptr(GVariant) entry = NULL;
  g_autoptr(GVariant) identity = NULL;
  g_autoptr(GVariant) bob_identity = g_variant_ref_sink (bytes_v (CZ_E2E_KEY_LEN, 0x20));
  GVariantBuilder b;
  Wire *alice, *bob, *mallory;
  GVariant *m;

  if (!wire_need_server (f))
    return;
  alice = wire_join (f, "alice", "Pw.alice-1111");
  bob = wire_join (f, "bob", "Pw.bob-2222");
  mallory = wire_join (f, "mallory", "Pw.mallory-4444");

  /* No device yet: emsg is no-device. */
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(subay)"));
  ct_add (&b, "bob", 21, cipher_v (64));
  wire_send (alice, emsg_new (80, "bob", NULL, &b));
  wire_expect_error (alice, "no-device", 80);

  /* Malformed bundles. */
  m = cz_message_new ("keys-publish", "ref", g_variant_new_uint32 (81),
                      "device", g_variant_new_uint32 (11),
                      "identity", bytes_v (32, 1),
                      "signed_prekey", g_variant_new ("(u@ay@ay)", 1, bytes_v (33, 2),
                                                      bytes_v (64, 3)),
                      "prekeys", g_variant_new_array (G_VARIANT_TYPE ("(uay)"), NULL, 0), NULL);
  wire_send (alice, m);
  wire_expect_error (alice, "bad-bundle", 81);
  m = cz_message_new ("keys-publish", "ref", g_variant_new_uint32 (82),
                      "device", g_variant_new_uint32 (11),
                      "identity", bytes_v (33, 1),
                      "prekeys", g_variant_new_array (G_VARIANT_TYPE ("(uay)"), NULL, 0), NULL);
  wire_send (alice, m);
  wire_expect_error (alice, "bad-bundle", 82);
  m = cz_message_new ("keys-publish", "ref", g_variant_new_uint32 (83),
                      "device", g_variant_new_uint32 (11),
                      "identity", bytes_v (33, 1),
                      "signed_prekey", g_variant_new ("(u@ay@ay)", 1, bytes_v (33, 2),
                                                      bytes_v (10, 3)),
                      "prekeys", g_variant_new_array (G_VARIANT_TYPE ("(uay)"), NULL, 0), NULL);
  wire_send (alice, m);
  wire_expect_error (alice, "bad-bundle", 83);
  wire_send (alice, bundle_new (84, 0, 0x10, 1, 1));
  wire_expect_error (alice, "bad-bundle", 84);
  wire_send (alice, bundle_new (85, 11, 0x10, CZ_E2E_MAX_PREKEYS + 1, 1));
  wire_expect_error (alice, "bad-bundle", 85);
  m = cz_message_new ("keys-publish", "ref", g_variant_new_uint32 (86),
                      "device", g_variant_new_uint32 (11),
                      "identity", bytes_v (33, 1),
                      "signed_prekey", g_variant_new ("(u@ay@ay)", 1, bytes_v (33, 2),
                                                      bytes_v (64, 3)),
                      "prekeys", g_variant_new_parsed ("[(@u 5, @ay [1, 2])]"), NULL);
  wire_send (alice, m);
  wire_expect_error (alice, "bad-bundle", 86);

  publish (alice, 11, 0x10, 1, 1);
  publish (bob, 21, 0x20, 1, 1);
  /* One device per connection. */
  wire_send (alice, bundle_new (87, 12, 0x10, 1, 10));
  wire_expect_error (alice, "invalid", 87);

  /* Publishing for another user: a `user` field is ignored, the bundle
   * is mallory's own, and bob's device 21 keeps bob's identity. */
  m = bundle_new (88, 21, 0x66, 1, 1);
  {
    g_autoptr(GVariant) fields = g_variant_get_child_value (m, 1);
    GVariantBuilder fb;
    GVariantIter iter;
    const char *key;
    GVariant *value;

    g_variant_builder_init (&fb, G_VARIANT_TYPE ("a{sv}"));
    g_variant_iter_init (&iter, fields);
    while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
      {
        g_variant_builder_add (&fb, "{sv}", key, value);
        g_variant_unref (value);
      }
    g_variant_builder_add (&fb, "{sv}", "user", g_variant_new_string ("bob"));
    g_variant_unref (g_variant_ref_sink (m));
    m = cz_message_new_from_fields ("keys-publish", g_variant_builder_end (&fb));
  }
  wire_send (mallory, m);
  g_assert_nonnull (wire_take (mallory, "keys-published", WAIT_MS));
  devices = fetch (alice, "bob", 89);
  g_assert_cmpuint (g_variant_n_children (devices), ==, 1);
  entry = g_variant_get_child_value (devices, 0);
  identity = g_variant_lookup_value (entry, "identity", G_VARIANT_TYPE_BYTESTRING);
  g_assert_true (g_variant_equal (identity, bob_identity));
  /* A device's identity never changes. */
  wire_send (bob, bundle_new (90, 21, 0x77, 0, 0));
  wire_expect_error (bob, "bad-bundle", 90);

  /* Unknown devices, and ciphertexts for someone outside the conversation. */
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(subay)"));
  ct_add (&b, "bob", 99, cipher_v (64));
  wire_send (alice, emsg_new (91, "bob", NULL, &b));
  wire_expect_error (alice, "unknown-device", 91);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(subay)"));
  ct_add (&b, "bob", 21, cipher_v (64));
  ct_add (&b, "mallory", 21, cipher_v (64));
  wire_send (alice, emsg_new (92, "bob", NULL, &b));
  wire_expect_error (alice, "unknown-device", 92);
  /* Only her own other devices: no ciphertext for bob. */
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(subay)"));
  ct_add (&b, "alice", 12, cipher_v (64));
  wire_send (alice, emsg_new (93, "bob", NULL, &b));
  wire_expect_error (alice, "no-device", 93);

  /* Oversized: one ciphertext too long, too many, none, an empty one. */
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(subay)"));
  ct_add (&b, "bob", 21, cipher_v (CZ_E2E_CIPHERTEXT_MAX + 1));
  wire_send (alice, emsg_new (94, "bob", NULL, &b));
  wire_expect_error (alice, "too-large", 94);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(subay)"));
  for (guint i = 0; i < 2 * CZ_E2E_MAX_DEVICES + 1; i++)
    ct_add (&b, "bob", 21 + i, bytes_v (16, 0));
  wire_send (alice, emsg_new (95, "bob", NULL, &b));
  wire_expect_error (alice, "too-large", 95);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(subay)"));
  wire_send (alice, emsg_new (96, "bob", NULL, &b));
  wire_expect_error (alice, "too-large", 96);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(subay)"));
  ct_add (&b, "bob", 21, bytes_v (0, 0));
  wire_send (alice, emsg_new (97, "bob", NULL, &b));
  wire_expect_error (alice, "too-large", 97);
  /* A map of the wrong shape. */
  wire_send (alice, cz_message_new ("emsg", "ref", g_variant_new_uint32 (98),
                                    "to", g_variant_new_string ("bob"),
                                    "ciphertexts", g_variant_new_parsed ("{@u 21: @ay [1]}"),
                                    NULL));
  wire_expect_error (alice, "bad-frame", 98);

  /* Nothing reached bob, and everyone is still served. */
  wire_assert_alive (bob, "bob");
  g_assert_null (wire_take (bob, "message", 0));
  wire_assert_alive (alice, "alice");
  wire_assert_alive (mallory, "mallory");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/e2e-wire/publish-fetch", Fixture, NULL, setup, test_publish_fetch, teardown);
  g_test_add ("/e2e-wire/emsg-devices", Fixture, NULL, setup, test_emsg_devices, teardown);
  g_test_add ("/e2e-wire/hostile", Fixture, NULL, setup, test_hostile, teardown);
  return g_test_run ();
}
