/* test-json.c: the --json event lines. */

#include "config.h"

#include <string.h>

#include "cz-json.h"
#include "cz-message.h"
#include "testutil.h"

/* Parses @line back (it must be one line of JSON holding an object). */
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

  g_assert_true (json_parser_load_from_data (parser, line, -1, &error));
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_cmpint (JSON_NODE_TYPE (root), ==, JSON_NODE_OBJECT);
  return json_object_ref (json_node_get_object (root));
}

/* An event line for @kind with the fields of @message; checks that "event"
 * comes first and that the line parses back. */
static JsonObject *
event_line (const char *event, GVariant *message, char **line_out)
{
  g_autoptr(JsonBuilder) builder = cz_json_event_begin (event);
  g_autoptr(GVariant) fields = NULL;
  g_autofree char *prefix = g_strdup_printf ("{\"event\":\"%s\"", event);
  g_autofree char *line = NULL;
  JsonObject *object;

  if (message != NULL)
    {
      fields = g_variant_get_child_value (message, 1);
      cz_json_add_fields (builder, fields);
    }
  line = cz_json_event_end (builder);
  g_assert_true (g_str_has_prefix (line, prefix));
  g_assert_true (g_str_has_suffix (line, "}"));
  object = parse_line (line);
  g_assert_cmpstr (json_object_get_string_member (object, "event"), ==, event);
  if (line_out != NULL)
    *line_out = g_steal_pointer (&line);
  return object;
}

static GVariant *
vardict (const char *first_key, ...)
{
  GVariantBuilder b;
  const char *key;
  va_list ap;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  va_start (ap, first_key);
  for (key = first_key; key != NULL; key = va_arg (ap, const char *))
    g_variant_builder_add (&b, "{sv}", key, va_arg (ap, GVariant *));
  va_end (ap);
  return g_variant_builder_end (&b);
}

static void
test_events (void)
{
  static const char *users[] = { "alice", "bob", NULL };
  GVariant *entries[2];
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  static const char *events[] = {
    "connected", "registered", "logged-in", "message", "message", "ack",
    "presence", "who", "receipt", "history", "error",
  };
  guint i;

  g_ptr_array_add (messages, cz_message_new ("connected",
                                             "tls", vardict ("protocol", g_variant_new_string ("TLS1.3"),
                                                             "cipher", g_variant_new_string ("AES-256-GCM"),
                                                             NULL),
                                             "dh", vardict ("group", g_variant_new_string ("x25519"),
                                                            "code", g_variant_new_string ("1a2b-3c4d-5e6f-7081"),
                                                            NULL),
                                             NULL));
  g_ptr_array_add (messages, cz_message_new ("registered", "user", g_variant_new_string ("alice"), NULL));
  g_ptr_array_add (messages, cz_message_new ("logged-in", "user", g_variant_new_string ("alice"), NULL));
  g_ptr_array_add (messages, cz_message_new ("message",
                                             "id", g_variant_new_int64 (10),
                                             "from", g_variant_new_string ("bob"),
                                             "room", g_variant_new_string ("lobby"),
                                             "text", g_variant_new_string ("hi all"),
                                             "ts", g_variant_new_int64 (G_GINT64_CONSTANT (1700000000000)),
                                             "offline", g_variant_new_boolean (FALSE),
                                             NULL));
  g_ptr_array_add (messages, cz_message_new ("message",
                                             "id", g_variant_new_int64 (11),
                                             "from", g_variant_new_string ("bob"),
                                             "to", g_variant_new_string ("alice"),
                                             "text", g_variant_new_string ("hi you"),
                                             "ts", g_variant_new_int64 (G_GINT64_CONSTANT (1700000000001)),
                                             "offline", g_variant_new_boolean (TRUE),
                                             NULL));
  g_ptr_array_add (messages, cz_message_new ("ack", "id", g_variant_new_int64 (12), NULL));
  g_ptr_array_add (messages, cz_message_new ("presence",
                                             "user", g_variant_new_string ("bob"),
                                             "online", g_variant_new_boolean (TRUE),
                                             NULL));
  g_ptr_array_add (messages, cz_message_new ("who", "users", g_variant_new_strv (users, -1), NULL));
  g_ptr_array_add (messages, cz_message_new ("receipt",
                                             "id", g_variant_new_int64 (12),
                                             "by", g_variant_new_string ("bob"),
                                             "state", g_variant_new_string ("read"),
                                             NULL));
  entries[0] = vardict ("id", g_variant_new_int64 (1), "text", g_variant_new_string ("one"), NULL);
  entries[1] = vardict ("id", g_variant_new_int64 (2), "text", g_variant_new_string ("two"), NULL);
  g_ptr_array_add (messages, cz_message_new ("history",
                                             "messages", g_variant_new_array (G_VARIANT_TYPE_VARDICT, entries, 2),
                                             NULL));
  g_ptr_array_add (messages, cz_message_new ("error",
                                             "code", g_variant_new_string ("auth-failed"),
                                             "message", g_variant_new_string ("Authentication failed"),
                                             NULL));
  g_assert_cmpuint (messages->len, ==, G_N_ELEMENTS (events));

  for (i = 0; i < messages->len; i++)
    {
      g_autoptr(JsonObject) o = event_line (events[i], g_ptr_array_index (messages, i), NULL);

      switch (i)
        {
        case 0:
          {
            JsonObject *tls = json_object_get_object_member (o, "tls");
            JsonObject *dh = json_object_get_object_member (o, "dh");

            g_assert_nonnull (tls);
            g_assert_nonnull (dh);
            g_assert_cmpstr (json_object_get_string_member (tls, "protocol"), ==, "TLS1.3");
            g_assert_cmpstr (json_object_get_string_member (dh, "group"), ==, "x25519");
            break;
          }
        case 1:
        case 2:
          g_assert_cmpstr (json_object_get_string_member (o, "user"), ==, "alice");
          break;
        case 3:
          g_assert_cmpint (json_object_get_int_member (o, "id"), ==, 10);
          g_assert_cmpstr (json_object_get_string_member (o, "room"), ==, "lobby");
          g_assert_cmpint (json_object_get_int_member (o, "ts"), ==, G_GINT64_CONSTANT (1700000000000));
          g_assert_false (json_object_get_boolean_member (o, "offline"));
          g_assert_false (json_object_has_member (o, "to"));
          break;
        case 4:
          g_assert_cmpstr (json_object_get_string_member (o, "to"), ==, "alice");
          g_assert_true (json_object_get_boolean_member (o, "offline"));
          break;
        case 5:
          g_assert_cmpint (json_object_get_int_member (o, "id"), ==, 12);
          break;
        case 6:
          g_assert_true (json_object_get_boolean_member (o, "online"));
          break;
        case 7:
          {
            JsonArray *a = json_object_get_array_member (o, "users");

            g_assert_cmpuint (json_array_get_length (a), ==, 2);
            g_assert_cmpstr (json_array_get_string_element (a, 1), ==, "bob");
            break;
          }
        case 8:
          g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "read");
          break;
        case 9:
          {
            JsonArray *a = json_object_get_array_member (o, "messages");
            JsonObject *second;

            g_assert_cmpuint (json_array_get_length (a), ==, 2);
            second = json_array_get_object_element (a, 1);
            g_assert_cmpint (json_object_get_int_member (second, "id"), ==, 2);
            g_assert_cmpstr (json_object_get_string_member (second, "text"), ==, "two");
            break;
          }
        case 10:
          g_assert_cmpstr (json_object_get_string_member (o, "code"), ==, "auth-failed");
          break;
        default:
          g_assert_not_reached ();
        }
    }

  /* An event with no fields at all. */
  {
    g_autoptr(JsonObject) o = event_line ("logged-in", NULL, NULL);

    g_assert_cmpuint (json_object_get_size (o), ==, 1);
  }
}

static void
test_event_name_wins (void)
{
  g_autoptr(GVariant) m = cz_message_new ("x", "event", g_variant_new_string ("forged"),
                                          "user", g_variant_new_string ("u"), NULL);
  g_autoptr(JsonObject) o = event_line ("presence", m, NULL);

  g_assert_cmpstr (json_object_get_string_member (o, "event"), ==, "presence");
  g_assert_cmpuint (json_object_get_size (o), ==, 2);
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
      g_autoptr(GVariant) m = cz_message_new ("message", "text", g_variant_new_string (texts[i]), NULL);
      g_autofree char *line = NULL;
      g_autoptr(JsonObject) o = event_line ("message", m, &line);

      g_assert_cmpstr (json_object_get_string_member (o, "text"), ==, texts[i]);
    }

  /* The escapes themselves, as written (U+001F by our fix-up: json-glib 1.6
   * leaves it raw, which strict parsers refuse). */
  {
    g_autoptr(GVariant) m = cz_message_new ("message", "text", g_variant_new_string ("a\"b\\c\nd\x01" "e\x1f" "f"), NULL);
    g_autofree char *line = NULL;
    g_autoptr(JsonObject) o = event_line ("message", m, &line);

    g_assert_cmpstr (line, ==, "{\"event\":\"message\",\"text\":\"a\\\"b\\\\c\\nd\\u0001e\\u001ff\"}");
  }
}

static void
test_values (void)
{
  static const gint64 ids[] = { 1, G_GINT64_CONSTANT (9007199254740993), -7 };
  g_autoptr(GVariant) fields = g_variant_ref_sink (
    vardict ("public", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "\x00\xab\xff\x10", 4, 1),
             "empty", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, NULL, 0, 1),
             "id", g_variant_new_int64 (G_GINT64_CONSTANT (9007199254740993)),
             "max", g_variant_new_int64 (G_MAXINT64),
             "min", g_variant_new_int64 (G_MININT64),
             "u32", g_variant_new_uint32 (G_MAXUINT32),
             "huge", g_variant_new_uint64 (G_MAXUINT64),
             "byte", g_variant_new_byte (200),
             "ids", g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, ids, 3, sizeof (gint64)),
             "flag", g_variant_new_boolean (TRUE),
             "boxed", g_variant_new_variant (g_variant_new_string ("inside")),
             "tuple", g_variant_new ("(si)", "t", 3),
             "maybe", g_variant_new_maybe (G_VARIANT_TYPE_STRING, NULL),
             "real", g_variant_new_double (1.5),
             NULL));
  g_autoptr(JsonNode) node = cz_json_from_variant (fields);
  g_autofree char *line = cz_json_to_line (node);
  g_autoptr(JsonObject) o = parse_line (line);
  JsonArray *a;
  JsonNode *member;

  /* ay → lower-case hex. */
  g_assert_cmpstr (json_object_get_string_member (o, "public"), ==, "00abff10");
  g_assert_cmpstr (json_object_get_string_member (o, "empty"), ==, "");

  /* Integers stay integers, exactly, in the text itself. */
  g_assert_nonnull (strstr (line, "\"id\":9007199254740993"));
  g_assert_nonnull (strstr (line, "\"max\":9223372036854775807"));
  g_assert_nonnull (strstr (line, "\"min\":-9223372036854775808"));
  g_assert_nonnull (strstr (line, "\"u32\":4294967295"));
  g_assert_nonnull (strstr (line, "\"byte\":200"));
  member = json_object_get_member (o, "id");
  g_assert_cmpint (json_node_get_value_type (member), ==, G_TYPE_INT64);
  g_assert_cmpint (json_node_get_int (member), ==, G_GINT64_CONSTANT (9007199254740993));
  g_assert_cmpint (json_object_get_int_member (o, "max"), ==, G_MAXINT64);
  g_assert_cmpint (json_object_get_int_member (o, "min"), ==, G_MININT64);
  /* Beyond int64: an exact decimal string. */
  g_assert_cmpstr (json_object_get_string_member (o, "huge"), ==, "18446744073709551615");

  a = json_object_get_array_member (o, "ids");
  g_assert_cmpuint (json_array_get_length (a), ==, 3);
  g_assert_cmpint (json_array_get_int_element (a, 1), ==, G_GINT64_CONSTANT (9007199254740993));
  g_assert_cmpint (json_array_get_int_element (a, 2), ==, -7);
  g_assert_nonnull (strstr (line, "[1,9007199254740993,-7]"));

  g_assert_true (json_object_get_boolean_member (o, "flag"));
  g_assert_cmpstr (json_object_get_string_member (o, "boxed"), ==, "inside");
  a = json_object_get_array_member (o, "tuple");
  g_assert_cmpstr (json_array_get_string_element (a, 0), ==, "t");
  g_assert_cmpint (json_array_get_int_element (a, 1), ==, 3);
  g_assert_true (json_object_get_null_member (o, "maybe"));
  g_assert_cmpfloat (json_object_get_double_member (o, "real"), ==, 1.5);
}

static void
test_nested (void)
{
  GVariant *entries[2];
  g_autoptr(GVariant) list = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *line = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *a;
  JsonObject *o;

  entries[0] = vardict ("id", g_variant_new_int64 (1),
                        "inner", vardict ("k", g_variant_new_string ("v"), NULL),
                        NULL);
  entries[1] = vardict ("id", g_variant_new_int64 (2), NULL);
  list = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_VARDICT, entries, 2));

  node = cz_json_from_variant (list);
  g_assert_cmpint (JSON_NODE_TYPE (node), ==, JSON_NODE_ARRAY);
  line = cz_json_to_line (node);
  g_assert_cmpstr (line, ==, "[{\"id\":1,\"inner\":{\"k\":\"v\"}},{\"id\":2}]");

  g_assert_true (json_parser_load_from_data (parser, line, -1, &error));
  g_assert_no_error (error);
  a = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (a), ==, 2);
  o = json_array_get_object_element (a, 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "inner"), "k"), ==, "v");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/events", test_events);
  g_test_add_func ("/json/event-name-wins", test_event_name_wins);
  g_test_add_func ("/json/escaping", test_escaping);
  g_test_add_func ("/json/values", test_values);
  g_test_add_func ("/json/nested", test_nested);

  return g_test_run ();
}
