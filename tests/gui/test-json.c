/* test-json.c: the --json event lines, written from the client engine's
 * typed events: each event's exact line (members in the wire's order),
 * escaping, and integers kept exact. */

#include "config.h"

#include <string.h>

#include "cz-json.h"
#include "cz-message.h"
#include "testutil.h"

/* Parses @line back (it must be one line of JSON holding an object whose
 * first member is "event"). */
static JsonObject *
parse_line (const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  const char *p;

  g_assert_nonnull (line);
  for (p = line; *p != '\0'; p++)
    g_assert_cmpuint ((guchar) *p, >=, 0x20);   /* no raw control characters */
  g_assert_true (g_str_has_prefix (line, "{\"event\":\""));

  g_assert_true (json_parser_load_from_data (parser, line, -1, &error));
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_cmpint (JSON_NODE_TYPE (root), ==, JSON_NODE_OBJECT);
  return json_object_ref (json_node_get_object (root));
}

/* Checks @line (taken) against @expected, and that it parses back. */
static void
assert_line (char *line, const char *expected)
{
  g_autofree char *owned = line;
  g_autoptr(JsonObject) object = parse_line (owned);

  g_assert_cmpstr (owned, ==, expected);
}

static CzClientMessage *
message_new (gint64 id, const char *from, const char *to, gint64 ts, const char *text,
             gboolean offline)
{
  CzClientMessage *m = g_new0 (CzClientMessage, 1);

  m->id = id;
  m->from = g_strdup (from);
  if (to)
    m->to = g_strdup (to);
  else
    m->room = g_strdup ("lobby");
  m->ts = ts;
  m->text = g_strdup (text);
  m->offline = offline;
  return m;
}

static void
test_events (void)
{
  static const char *const users[] = { "alice", "bob", NULL };
  static const char *const nobody[] = { NULL };
  g_autoptr(CzClientMessage) lobby = message_new (10, "bob", NULL, G_GINT64_CONSTANT (1700000000000),
                                                  "hi all", FALSE);
  g_autoptr(CzClientMessage) direct = message_new (11, "bob", "alice", G_GINT64_CONSTANT (1700000000001),
                                                   "hi you", TRUE);
  g_autoptr(GPtrArray) page = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_client_message_free);
  CzClientMessage *seen;
  CzClientError server_error = { .ref = 5, .code = CZ_ERROR_NO_SUCH_USER,
                                 .code_name = (char *) "no-such-user",
                                 .message = (char *) "no such user: nobody" };
  CzClientError throttled = { .ref = 6, .code = CZ_ERROR_THROTTLED,
                              .code_name = (char *) "throttled",
                              .message = (char *) "try again in 2 seconds", .retry_after = 2 };
  CzClientError bare = { .code = CZ_ERROR_INTERNAL };
  g_autoptr(GError) local = g_error_new_literal (CZ_ERROR, CZ_ERROR_INVALID, "Unknown command");

  assert_line (cz_json_trust_prompt ("abcd"), "{\"event\":\"trust-prompt\",\"fingerprint\":\"abcd\"}");
  assert_line (cz_json_registered (1, "alice"), "{\"event\":\"registered\",\"ref\":1,\"user\":\"alice\"}");
  assert_line (cz_json_logged_in (2, "alice", "v=abc="),
               "{\"event\":\"logged-in\",\"ref\":2,\"message\":\"v=abc=\",\"user\":\"alice\"}");
  assert_line (cz_json_message (lobby),
               "{\"event\":\"message\",\"id\":10,\"from\":\"bob\",\"ts\":1700000000000,"
               "\"text\":\"hi all\",\"offline\":false,\"room\":\"lobby\"}");
  assert_line (cz_json_message (direct),
               "{\"event\":\"message\",\"id\":11,\"from\":\"bob\",\"ts\":1700000000001,"
               "\"text\":\"hi you\",\"offline\":true,\"to\":\"alice\"}");
  assert_line (cz_json_ack (3, 12, 1700000000002),
               "{\"event\":\"ack\",\"ref\":3,\"id\":12,\"ts\":1700000000002}");
  assert_line (cz_json_presence ("bob", TRUE), "{\"event\":\"presence\",\"user\":\"bob\",\"online\":true}");
  assert_line (cz_json_presence ("bob", FALSE), "{\"event\":\"presence\",\"user\":\"bob\",\"online\":false}");
  assert_line (cz_json_who (4, users), "{\"event\":\"who\",\"ref\":4,\"users\":[\"alice\",\"bob\"]}");
  assert_line (cz_json_who (4, nobody), "{\"event\":\"who\",\"ref\":4,\"users\":[]}");
  assert_line (cz_json_receipt (12, "bob", CZ_RECEIPT_READ),
               "{\"event\":\"receipt\",\"id\":12,\"by\":\"bob\",\"state\":\"read\"}");
  assert_line (cz_json_receipt (12, "bob", CZ_RECEIPT_DELIVERED),
               "{\"event\":\"receipt\",\"id\":12,\"by\":\"bob\",\"state\":\"delivered\"}");

  /* History: a direct entry says how far it got when the server said so. */
  seen = cz_client_message_copy (direct);
  seen->has_receipts = TRUE;
  seen->delivered = TRUE;
  g_ptr_array_add (page, cz_client_message_copy (lobby));
  g_ptr_array_add (page, seen);
  assert_line (cz_json_history (7, page),
               "{\"event\":\"history\",\"ref\":7,\"messages\":["
               "{\"id\":10,\"from\":\"bob\",\"ts\":1700000000000,\"text\":\"hi all\",\"offline\":false,\"room\":\"lobby\"},"
               "{\"id\":11,\"from\":\"bob\",\"ts\":1700000000001,\"text\":\"hi you\",\"offline\":true,\"to\":\"alice\","
               "\"delivered\":true,\"read\":false}]}");
  g_ptr_array_set_size (page, 0);
  assert_line (cz_json_history (8, page), "{\"event\":\"history\",\"ref\":8,\"messages\":[]}");

  assert_line (cz_json_error (&server_error),
               "{\"event\":\"error\",\"ref\":5,\"code\":\"no-such-user\",\"message\":\"no such user: nobody\"}");
  assert_line (cz_json_error (&throttled),
               "{\"event\":\"error\",\"ref\":6,\"code\":\"throttled\",\"message\":\"try again in 2 seconds\","
               "\"retry_after\":2}");
  /* What the server did not send is not made up. */
  assert_line (cz_json_error (&bare), "{\"event\":\"error\",\"ref\":0}");
  assert_line (cz_json_local_error (local),
               "{\"event\":\"error\",\"code\":\"invalid\",\"message\":\"Unknown command\"}");
  assert_line (cz_json_disconnected (NULL), "{\"event\":\"disconnected\"}");
  assert_line (cz_json_disconnected ("server shutting down"),
               "{\"event\":\"disconnected\",\"reason\":\"server shutting down\"}");
}

static void
test_connected (void)
{
  CzCertInfo cert = {
    .subject = (char *) "CN=localhost", .issuer = (char *) "CN=Test CA",
    .not_before = (char *) "2025-01-01T00:00:00Z", .not_after = (char *) "2026-01-01T00:00:00Z",
    .fingerprint = (char *) "AB:CD", .key_type = (char *) "ECDSA P-256",
  };
  CzSessionInfo info = {
    .protocol = (char *) "TLS1.3", .cipher = (char *) "AES-256-GCM", .group = (char *) "X25519",
    .signature = (char *) "ECDSA-SECP256R1-SHA256", .alpn = (char *) "causerie/1",
    .server_cert = &cert, .verification = (char *) "signed by the trusted CA",
    .trust = (char *) "ca", .dh_group = (char *) "x25519",
    .dh_prime_formula = "2^255 - 19", .dh_prime_hex = "7fed", .dh_generator = "u = 9",
    .dh_server_public = (char *) "aa", .dh_client_public = (char *) "bb",
    .code = (char *) "1a2b-3c4d-5e6f-7081",
  };
  g_autofree char *line = cz_json_connected (&info, "f00d");
  g_autoptr(JsonObject) o = parse_line (line);

  g_assert_cmpstr (line, ==,
                   "{\"event\":\"connected\",\"tls\":{\"protocol\":\"TLS1.3\",\"cipher\":\"AES-256-GCM\","
                   "\"group\":\"X25519\",\"signature\":\"ECDSA-SECP256R1-SHA256\",\"alpn\":\"causerie/1\","
                   "\"trust\":\"ca\",\"verification\":\"signed by the trusted CA\",\"fingerprint\":\"f00d\","
                   "\"server_cert\":{\"subject\":\"CN=localhost\",\"issuer\":\"CN=Test CA\","
                   "\"not_before\":\"2025-01-01T00:00:00Z\",\"not_after\":\"2026-01-01T00:00:00Z\","
                   "\"fingerprint\":\"AB:CD\",\"key_type\":\"ECDSA P-256\"}},"
                   "\"dh\":{\"group\":\"x25519\",\"prime\":\"7fed\",\"prime_formula\":\"2^255 - 19\","
                   "\"generator\":\"u = 9\",\"public\":\"bb\",\"server_public\":\"aa\","
                   "\"code\":\"1a2b-3c4d-5e6f-7081\"}}");

  /* Facts not known are null (a finite-field group has no formula). */
  {
    g_autofree char *l2 = NULL;
    g_autoptr(JsonObject) o2 = NULL;

    info.dh_prime_formula = NULL;
    info.server_cert = NULL;
    l2 = cz_json_connected (&info, NULL);
    o2 = parse_line (l2);
    g_assert_true (json_object_get_null_member (json_object_get_object_member (o2, "dh"),
                                                "prime_formula"));
    g_assert_true (json_object_get_null_member (json_object_get_object_member (o2, "tls"),
                                                "fingerprint"));
    g_assert_false (json_object_has_member (json_object_get_object_member (o2, "tls"),
                                            "server_cert"));
  }
}

static void
test_escaping (void)
{
  GString *controls = g_string_new (NULL);
  g_autofree char *controls_str = NULL;
  const char *texts[] = {
    "plain",
    "quote \" inside",
    "back\\slash and \\\\ two",
    "new\nline and \r\n crlf and \t tab",
    NULL,   /* U+0001..U+001F, filled below */
    "emoji 😀👍🏽 and é à ü 中文",
    "looks escaped: \\u0041 \\n \\\" \\x00 \\ud83d",
    "</script><!-- \u2028 \u2029 \x7f",
    "{\"event\":\"fake\"}",
    "",
  };
  guint i;

  for (i = 1; i < 0x20; i++)
    g_string_append_c (controls, (char) i);
  controls_str = g_string_free (controls, FALSE);
  texts[4] = controls_str;

  for (i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(CzClientMessage) m = message_new (1, texts[i], texts[i], 0, texts[i], FALSE);
      const char *const strv[] = { texts[i], NULL };
      g_autofree char *line = cz_json_message (m);
      g_autofree char *who = cz_json_who (1, strv);
      g_autoptr(JsonObject) o = parse_line (line);
      g_autoptr(JsonObject) w = parse_line (who);

      /* The text cannot forge the event name. */
      g_assert_cmpstr (json_object_get_string_member (o, "event"), ==, "message");
      g_assert_cmpstr (json_object_get_string_member (o, "text"), ==, texts[i]);
      g_assert_cmpstr (json_object_get_string_member (o, "from"), ==, texts[i]);
      g_assert_cmpstr (json_object_get_string_member (o, "to"), ==, texts[i]);
      g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (w, "users"), 0),
                       ==, texts[i]);
    }

  /* The escapes themselves, as written (U+001F by our fix-up: json-glib 1.6
   * leaves it raw, which strict parsers refuse). */
  {
    g_autoptr(CzClientMessage) m = message_new (1, "bob", NULL, 0, "a\"b\\c\nd\x01" "e\x1f" "f", FALSE);

    assert_line (cz_json_message (m),
                 "{\"event\":\"message\",\"id\":1,\"from\":\"bob\",\"ts\":0,"
                 "\"text\":\"a\\\"b\\\\c\\nd\\u0001e\\u001ff\",\"offline\":false,\"room\":\"lobby\"}");
  }
}

static void
test_integers (void)
{
  /* Integers stay integers, exactly, in the text itself. */
  g_autofree char *ack = cz_json_ack (G_MAXUINT32, G_GINT64_CONSTANT (9007199254740993), G_MAXINT64);
  g_autofree char *receipt = cz_json_receipt (G_MININT64, "bob", CZ_RECEIPT_READ);
  g_autoptr(JsonObject) o = parse_line (ack);
  JsonNode *member;

  g_assert_cmpstr (ack, ==, "{\"event\":\"ack\",\"ref\":4294967295,\"id\":9007199254740993,"
                            "\"ts\":9223372036854775807}");
  member = json_object_get_member (o, "id");
  g_assert_cmpint (json_node_get_value_type (member), ==, G_TYPE_INT64);
  g_assert_cmpint (json_node_get_int (member), ==, G_GINT64_CONSTANT (9007199254740993));
  g_assert_cmpint (json_object_get_int_member (o, "ts"), ==, G_MAXINT64);
  g_assert_nonnull (strstr (receipt, "\"id\":-9223372036854775808"));
}

/* What the engine decodes is what the line shows: a wire `message` through
 * cz_client_message_new_from_fields and back out. */
static void
test_decoded (void)
{
  g_autoptr(GVariant) msg = cz_message_new ("message",
                                            "id", g_variant_new_int64 (2),
                                            "from", g_variant_new_string ("alice"),
                                            "ts", g_variant_new_int64 (5),
                                            "text", g_variant_new_string ("hi bob"),
                                            "offline", g_variant_new_boolean (FALSE),
                                            "to", g_variant_new_string ("bob"),
                                            "delivered", g_variant_new_boolean (TRUE),
                                            "read", g_variant_new_boolean (FALSE),
                                            NULL);
  g_autoptr(GVariant) fields = g_variant_get_child_value (msg, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(CzClientMessage) m = cz_client_message_new_from_fields (fields, &error);
  g_autoptr(GPtrArray) page = g_ptr_array_new ();

  g_assert_no_error (error);
  g_assert_true (m->has_receipts);
  /* A live message shows no receipts; a history entry does. */
  assert_line (cz_json_message (m),
               "{\"event\":\"message\",\"id\":2,\"from\":\"alice\",\"ts\":5,\"text\":\"hi bob\","
               "\"offline\":false,\"to\":\"bob\"}");
  g_ptr_array_add (page, m);
  assert_line (cz_json_history (1, page),
               "{\"event\":\"history\",\"ref\":1,\"messages\":[{\"id\":2,\"from\":\"alice\",\"ts\":5,"
               "\"text\":\"hi bob\",\"offline\":false,\"to\":\"bob\",\"delivered\":true,\"read\":false}]}");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/events", test_events);
  g_test_add_func ("/json/connected", test_connected);
  g_test_add_func ("/json/escaping", test_escaping);
  g_test_add_func ("/json/integers", test_integers);
  g_test_add_func ("/json/decoded", test_decoded);

  return g_test_run ();
}
