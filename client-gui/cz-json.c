/* cz-json.c: the --json event writer, on json-glib.
 *
 * json-glib does the escaping: quotes, backslashes and control characters
 * become JSON escapes, other characters stay UTF-8 (with one fix-up for a
 * json-glib 1.6 omission, see cz_json_to_line). */

#include "config.h"

#include <math.h>

#include <string.h>

#include "cz-json.h"
#include "cz-util.h"

JsonBuilder *
cz_json_event_begin (const char *event)
{
  JsonBuilder *builder;

  g_return_val_if_fail (event != NULL, NULL);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, event);
  return builder;
}

char *
cz_json_event_end (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (JSON_IS_BUILDER (builder), NULL);

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  g_return_val_if_fail (root != NULL, NULL);
  return cz_json_to_line (root);
}

char *
cz_json_to_line (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = NULL;
  char *text;

  g_return_val_if_fail (node != NULL, NULL);

  generator = json_generator_new ();
  json_generator_set_pretty (generator, FALSE);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);

  /* json-glib 1.6 escapes U+0001..U+001E but writes U+001F raw, which
   * RFC 8259 forbids (strict parsers refuse the line).  A 0x1f byte can only
   * be that character inside a string (UTF-8 continuation bytes are
   * >= 0x80), so replacing the byte is exact. */
  if (strchr (text, 0x1f) != NULL)
    {
      GString *fixed = g_string_sized_new (strlen (text) + 16);
      const char *p;

      for (p = text; *p != '\0'; p++)
        {
          if (*p == 0x1f)
            g_string_append (fixed, "\\u001f");
          else
            g_string_append_c (fixed, *p);
        }
      g_free (text);
      text = g_string_free (fixed, FALSE);
    }
  return text;
}

/* A dictionary key as a member name: strings as they are, other basic
 * values in GVariant text form. */
static char *
member_name (GVariant *key)
{
  if (g_variant_is_of_type (key, G_VARIANT_TYPE_STRING)
      || g_variant_is_of_type (key, G_VARIANT_TYPE_OBJECT_PATH)
      || g_variant_is_of_type (key, G_VARIANT_TYPE_SIGNATURE))
    return g_variant_dup_string (key, NULL);
  return g_variant_print (key, FALSE);
}

static JsonNode *
int_node (gint64 v)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  json_node_set_int (node, v);
  return node;
}

JsonNode *
cz_json_from_variant (GVariant *value)
{
  const GVariantType *type;
  JsonNode *node;

  g_return_val_if_fail (value != NULL, NULL);

  type = g_variant_get_type (value);
  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      node = json_node_new (JSON_NODE_VALUE);
      json_node_set_boolean (node, g_variant_get_boolean (value));
      return node;
    case G_VARIANT_CLASS_BYTE:
      return int_node (g_variant_get_byte (value));
    case G_VARIANT_CLASS_INT16:
      return int_node (g_variant_get_int16 (value));
    case G_VARIANT_CLASS_UINT16:
      return int_node (g_variant_get_uint16 (value));
    case G_VARIANT_CLASS_INT32:
      return int_node (g_variant_get_int32 (value));
    case G_VARIANT_CLASS_UINT32:
      return int_node (g_variant_get_uint32 (value));
    case G_VARIANT_CLASS_HANDLE:
      return int_node (g_variant_get_handle (value));
    case G_VARIANT_CLASS_INT64:
      return int_node (g_variant_get_int64 (value));
    case G_VARIANT_CLASS_UINT64:
      {
        guint64 u = g_variant_get_uint64 (value);

        if (u <= G_MAXINT64)
          return int_node ((gint64) u);
        /* Beyond json-glib's integers: keep it exact as a decimal string. */
        g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, u);

        node = json_node_new (JSON_NODE_VALUE);
        json_node_set_string (node, text);
        return node;
      }
    case G_VARIANT_CLASS_DOUBLE:
      /* JSON has no NaN or infinity: a peer sending one gets null. */
      if (!isfinite (g_variant_get_double (value)))
        return json_node_new (JSON_NODE_NULL);
      node = json_node_new (JSON_NODE_VALUE);
      json_node_set_double (node, g_variant_get_double (value));
      return node;
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
      node = json_node_new (JSON_NODE_VALUE);
      json_node_set_string (node, g_variant_get_string (value, NULL));
      return node;
    case G_VARIANT_CLASS_VARIANT:
      {
        g_autoptr(GVariant) inner = g_variant_get_variant (value);

        return cz_json_from_variant (inner);
      }
    case G_VARIANT_CLASS_MAYBE:
      {
        g_autoptr(GVariant) inner = g_variant_get_maybe (value);

        if (inner == NULL)
          return json_node_new (JSON_NODE_NULL);
        return cz_json_from_variant (inner);
      }
    case G_VARIANT_CLASS_ARRAY:
      if (g_variant_type_equal (type, G_VARIANT_TYPE_BYTESTRING))
        {
          gsize len;
          const guint8 *data = g_variant_get_fixed_array (value, &len, 1);

          g_autofree char *hex = cz_hex_encode (data, len);

          node = json_node_new (JSON_NODE_VALUE);
          json_node_set_string (node, hex);
          return node;
        }
      if (g_variant_type_is_dict_entry (g_variant_type_element (type)))
        {
          g_autoptr(JsonObject) object = json_object_new ();
          GVariantIter iter;
          GVariant *entry;

          g_variant_iter_init (&iter, value);
          while ((entry = g_variant_iter_next_value (&iter)) != NULL)
            {
              g_autoptr(GVariant) k = g_variant_get_child_value (entry, 0);
              g_autoptr(GVariant) v = g_variant_get_child_value (entry, 1);
              g_autofree char *name = member_name (k);

              json_object_set_member (object, name, cz_json_from_variant (v));
              g_variant_unref (entry);
            }
          node = json_node_new (JSON_NODE_OBJECT);
          json_node_set_object (node, object);
          return node;
        }
      G_GNUC_FALLTHROUGH;
    case G_VARIANT_CLASS_TUPLE:
    case G_VARIANT_CLASS_DICT_ENTRY:
      {
        g_autoptr(JsonArray) array = json_array_new ();
        GVariantIter iter;
        GVariant *child;

        g_variant_iter_init (&iter, value);
        while ((child = g_variant_iter_next_value (&iter)) != NULL)
          {
            json_array_add_element (array, cz_json_from_variant (child));
            g_variant_unref (child);
          }
        node = json_node_new (JSON_NODE_ARRAY);
        json_node_set_array (node, array);
        return node;
      }
    default:
      g_return_val_if_reached (json_node_new (JSON_NODE_NULL));
    }
}

void
cz_json_add_fields (JsonBuilder *builder, GVariant *fields)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_return_if_fail (JSON_IS_BUILDER (builder));
  g_return_if_fail (fields != NULL);
  g_return_if_fail (g_variant_is_of_type (fields, G_VARIANT_TYPE_VARDICT));

  g_variant_iter_init (&iter, fields);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      /* "event" names the event; a field cannot replace it. */
      if (g_strcmp0 (key, "event") != 0)
        {
          json_builder_set_member_name (builder, key);
          json_builder_add_value (builder, cz_json_from_variant (value));
        }
      g_variant_unref (value);
    }
}
