/* message-show.c: a message as one human-readable line, for the tests and
 * fuzzers (message-show.h). */
#include "config.h"

#include "message-show.h"
#include "cz-message.h"

/* Renderings are cut beyond these sizes. */
#define SHOW_MAX_CHARS 64
#define SHOW_MAX_BYTES 32
#define SHOW_MAX_ITEMS 16

static void
show_string (GString *out, const char *str)
{
  const char *p;
  glong count = 0;

  g_string_append_c (out, '"');
  for (p = str; *p != '\0'; p = g_utf8_next_char (p), count++)
    {
      gunichar c = g_utf8_get_char (p);

      if (count == SHOW_MAX_CHARS)
        {
          g_string_append_printf (out, "…\" (%ld characters)",
                                  g_utf8_strlen (str, -1));
          return;
        }
      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (c < 0x20 || c == 0x7f)
            g_string_append_printf (out, "\\x%02x", c);
          else
            g_string_append_len (out, p, g_utf8_next_char (p) - p);
        }
    }
  g_string_append_c (out, '"');
}

static void
show_bytes (GString *out, GVariant *value)
{
  gsize len, i;
  const guint8 *data = g_variant_get_fixed_array (value, &len, 1);

  for (i = 0; i < len && i < SHOW_MAX_BYTES; i++)
    g_string_append_printf (out, "%02x", data[i]);
  if (len > SHOW_MAX_BYTES)
    g_string_append_printf (out, "… (%" G_GSIZE_FORMAT " bytes)", len);
  else if (len == 0)
    g_string_append (out, "(0 bytes)");
}

static void
show_value (GString *out, GVariant *value)
{
  const GVariantType *type = g_variant_get_type (value);

  if (g_variant_type_equal (type, G_VARIANT_TYPE_STRING))
    show_string (out, g_variant_get_string (value, NULL));
  else if (g_variant_type_equal (type, G_VARIANT_TYPE_BYTESTRING))
    show_bytes (out, value);
  else if (g_variant_type_equal (type, G_VARIANT_TYPE_BOOLEAN))
    g_string_append (out, g_variant_get_boolean (value) ? "true" : "false");
  else if (g_variant_type_equal (type, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (value);

      show_value (out, inner);
    }
  else if (g_variant_type_is_array (type))
    {
      gboolean dict = g_variant_type_is_dict_entry (g_variant_type_element (type));
      gsize n = g_variant_n_children (value), i;

      g_string_append_c (out, dict ? '{' : '[');
      for (i = 0; i < n && i < SHOW_MAX_ITEMS; i++)
        {
          g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

          if (i > 0)
            g_string_append (out, ", ");
          if (dict)
            {
              g_autoptr(GVariant) k = g_variant_get_child_value (child, 0);
              g_autoptr(GVariant) v = g_variant_get_child_value (child, 1);

              if (g_variant_is_of_type (k, G_VARIANT_TYPE_STRING))
                {
                  /* Keys come from the peer: escaped, the line stays one line. */
                  g_autofree char *key = g_strescape (g_variant_get_string (k, NULL), NULL);
                  g_string_append (out, key);
                }
              else
                show_value (out, k);
              g_string_append (out, ": ");
              show_value (out, v);
            }
          else
            show_value (out, child);
        }
      if (n > SHOW_MAX_ITEMS)
        g_string_append_printf (out, ", … (%" G_GSIZE_FORMAT " items)", n);
      g_string_append_c (out, dict ? '}' : ']');
    }
  else if (g_variant_type_is_basic (type))
    /* Numbers and the like: GVariant text format without type annotations. */
    g_variant_print_string (value, out, FALSE);
  else
    {
      g_autofree char *text = g_variant_print (value, FALSE);

      if (g_utf8_strlen (text, -1) > SHOW_MAX_CHARS * 2)
        {
          char *cut = g_utf8_offset_to_pointer (text, SHOW_MAX_CHARS * 2);

          g_string_append_len (out, text, cut - text);
          g_string_append (out, "…");
        }
      else
        g_string_append (out, text);
    }
}

char *
cz_message_to_string (GVariant *message)
{
  g_autoptr(GVariant) fields = NULL;
  GString *out;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (g_variant_is_of_type (message, CZ_MESSAGE_TYPE), NULL);

  {
    g_autofree char *kind = g_strescape (cz_message_kind (message), NULL);
    out = g_string_new (kind);
  }
  g_string_append_c (out, ' ');
  fields = g_variant_get_child_value (message, 1);
  show_value (out, fields);
  return g_string_free (out, FALSE);
}
