/* fuzz-json.c: the --json event writer's escaping (common/cz-json.c), fed
 * what a server can put in a message: any (sa{sv}) that the codec accepts
 * (the client turns the fields of every message into an event line).
 *
 * Input: a message body (see fuzz-message.c), or, when it does not decode,
 * a GVariant type string, a NUL byte and data for a value of that type
 * (cz_json_from_variant on any type, untrusted serialisation).
 *
 * Properties: the event is exactly one line of strict RFC 8259 JSON (no raw
 * control characters, valid UTF-8) that json-glib parses back into an
 * object whose "event" is the event name; a field cannot replace it; string
 * fields come back unchanged, byte strings as lower-case hex. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "cz-json.h"
#include "cz-message.h"
#include "cz-util.h"

/* Doubles a server may send include NaN and infinities; json-glib would
 * write them as `nan` / `inf`, which is not JSON, so cz_json_from_variant
 * turns them into null (json.crashes/double-nan, double-inf). */

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

static void
check_message (GVariant *msg)
{
  const char *kind = cz_message_kind (msg);
  g_autoptr(GVariant) fields = g_variant_get_child_value (msg, 1);
  g_autoptr(JsonBuilder) builder = cz_json_event_begin (kind);
  g_autofree char *line = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  cz_json_add_fields (builder, fields);
  line = cz_json_event_end (builder);
  root = check_line (line);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  object = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (object, "event"), ==, kind);

  g_variant_iter_init (&iter, fields);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      if (!g_str_equal (key, "event"))
        {
          JsonNode *member = json_object_get_member (object, key);

          g_assert_nonnull (member);
          if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
            g_assert_cmpstr (json_node_get_string (member), ==, g_variant_get_string (value, NULL));
          else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
            {
              gsize len;
              const guint8 *bytes = g_variant_get_fixed_array (value, &len, 1);
              g_autofree char *hex = cz_hex_encode (bytes, len);
              g_assert_cmpstr (json_node_get_string (member), ==, hex);
            }
        }
      g_variant_unref (value);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GVariant) msg = cz_message_decode (data, size, NULL);
  const char *nul;
  g_autofree char *type_string = NULL;

  if (msg != NULL)
    {
      check_message (msg);
      return 0;
    }

  nul = memchr (data, '\0', size);
  if (nul == NULL)
    return 0;
  type_string = g_strndup ((const char *) data, (gsize) (nul - (const char *) data));
  if (!g_variant_type_string_is_valid (type_string)
      || !g_variant_type_is_definite (G_VARIANT_TYPE (type_string))
      || strlen (type_string) > 32)
    return 0;
  {
    g_autoptr(GBytes) bytes = g_bytes_new (nul + 1, size - (gsize) (nul + 1 - (const char *) data));
    g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type_string),
                                                                              bytes, FALSE));
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(JsonNode) back = NULL;
    g_autofree char *line = NULL;

    /* What the server can send is normal form (the codec refuses the rest). */
    if (!g_variant_is_normal_form (value))
      return 0;
    node = cz_json_from_variant (value);
    line = cz_json_to_line (node);
    back = check_line (line);
  }
  return 0;
}
