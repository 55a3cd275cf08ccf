/* fuzz-json.c: the --json event lines (client-gui/cz-json.c) fed what a
 * server can put in a message: any (sa{sv}) that the codec accepts, decoded
 * as the client engine decodes a `message` (cz_client_message_new_from_fields),
 * and every string field passed through the writers that take strings.
 *
 * Input: a message body (see fuzz-message.c), or, when it does not decode,
 * bytes up to the first NUL taken as one string (when valid UTF-8).
 *
 * Properties: each event is exactly one line of strict RFC 8259 JSON (no
 * raw control characters, valid UTF-8) that json-glib parses back into an
 * object whose "event" is the event's name; no string can replace it;
 * strings come back unchanged. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "cz-json.h"
#include "cz-message.h"
#include "cz-util.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  cz_fuzz_setup ();
  return 0;
}

/* One line, strict JSON text: parses, and no byte below 0x20 anywhere (a
 * raw control character is legal nowhere in RFC 8259 output we write). */
static JsonNode *
check_line (const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (line);
  g_assert_true (g_utf8_validate (line, -1, NULL));
  for (const char *p = line; *p; p++)
    g_assert_cmpint ((guchar) *p, >=, 0x20);
  /* Numbers must be numbers: "nan" and "inf" are not JSON. */
  json_parser_load_from_data (parser, line, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* Checks @line (taken) is the event @event; returns its object. */
static JsonNode *
check_event (char *line, const char *event)
{
  g_autofree char *owned = line;
  JsonNode *root = check_line (owned);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "event"), ==, event);
  return root;
}

/* Every writer that takes a string, given @s. */
static void
check_string (const char *s)
{
  const char *const users[] = { s, s, NULL };
  CzClientError error = { .ref = 1, .code_name = (char *) s, .message = (char *) s };
  g_autoptr(JsonNode) presence = check_event (cz_json_presence (s, TRUE), "presence");
  g_autoptr(JsonNode) who = check_event (cz_json_who (1, users), "who");
  g_autoptr(JsonNode) err = check_event (cz_json_error (&error), "error");
  g_autoptr(JsonNode) bye = check_event (cz_json_disconnected (s), "disconnected");
  g_autoptr(JsonNode) logged_in = check_event (cz_json_logged_in (1, s, s), "logged-in");
  g_autoptr(JsonNode) receipt = check_event (cz_json_receipt (1, s, CZ_RECEIPT_READ), "receipt");

  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (presence), "user"), ==, s);
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (json_node_get_object (who), "users"), 1), ==, s);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (err), "message"), ==, s);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (err), "code"), ==, s);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (bye), "reason"), ==, s);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (logged_in), "message"), ==, s);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (receipt), "by"), ==, s);
}

static void
check_message (GVariant *msg)
{
  g_autoptr(GVariant) fields = g_variant_get_child_value (msg, 1);
  g_autoptr(CzClientMessage) message = cz_client_message_new_from_fields (fields, NULL);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (message != NULL)
    {
      g_autoptr(JsonNode) live = check_event (cz_json_message (message), "message");
      JsonObject *object = json_node_get_object (live);
      g_autoptr(GPtrArray) page = g_ptr_array_new ();
      g_autoptr(JsonNode) history = NULL;
      JsonObject *entry;

      g_assert_cmpint (json_object_get_int_member (object, "id"), ==, message->id);
      g_assert_cmpint (json_object_get_int_member (object, "ts"), ==, message->ts);
      g_assert_cmpstr (json_object_get_string_member (object, "from"), ==, message->from);
      g_assert_cmpstr (json_object_get_string_member (object, "text"), ==, message->text);
      if (message->to)
        g_assert_cmpstr (json_object_get_string_member (object, "to"), ==, message->to);
      else
        g_assert_cmpstr (json_object_get_string_member (object, "room"), ==, message->room);

      g_ptr_array_add (page, message);
      history = check_event (cz_json_history (1, page), "history");
      entry = json_array_get_object_element (
        json_object_get_array_member (json_node_get_object (history), "messages"), 0);
      g_assert_cmpstr (json_object_get_string_member (entry, "text"), ==, message->text);
    }

  g_variant_iter_init (&iter, fields);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      check_string (key);
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        check_string (g_variant_get_string (value, NULL));
      g_variant_unref (value);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GVariant) msg = cz_message_decode (data, size, NULL);
  const char *nul;
  g_autofree char *string = NULL;

  if (msg != NULL)
    {
      check_message (msg);
      return 0;
    }
  nul = memchr (data, '\0', size);
  string = g_strndup ((const char *) data, nul ? (gsize) (nul - (const char *) data) : size);
  if (g_utf8_validate (string, -1, NULL))
    check_string (string);
  return 0;
}
