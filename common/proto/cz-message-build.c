/* cz-message-build.c: building (sa{sv}) messages and encoding them in
 * normal form, little-endian on every host (decoding: cz-message.c). */

#include "config.h"

#include <string.h>
#include <glib.h>

#include "cz-message.h"
#include "cz-message-private.h"

/* Most fields a message built by cz_message_new() can have. */
#define MAX_NEW_FIELDS 32

/* The strings most messages carry, as GVariants made once: the field
 * names, the kinds sent most and the lobby's name.  Most of the strings of
 * a relayed message are among them. */
static const char *const common_strings[] = {
  "id", "from", "ts", "text", "offline", "to", "ref", "message", "ack", "msg", "say", "room", "lobby",
  "user", "online", "presence", "code", "ids", "by", "state", "receipt", "delivered", "read",
};

/* GLib 2.74 forgets how a container type is laid out (its entry in a
 * global table, under a lock, and its member tables) as soon as the last
 * value of that type is gone, and works it out again for the next one.
 * Between two relayed messages nothing of type (sa{sv}) need be alive: that
 * cost about 20 k instructions a message.  Empty values of the protocol's
 * container types, made once, keep their descriptions for good. */
static const char *const kept_types[] = { "(sa{sv})", "aa{sv}", "ax", "as", "ay" };
static GVariant *type_keepers[G_N_ELEMENTS (kept_types)];

void
cz_message_keep_types (void)
{
  static gsize kept;

  if (g_once_init_enter (&kept))
    {
      for (gsize i = 0; i < G_N_ELEMENTS (kept_types); i++)
        {
          GVariantBuilder b;

          g_variant_builder_init (&b, G_VARIANT_TYPE (kept_types[i]));
          if (kept_types[i][0] == '(')
            {
              g_variant_builder_add (&b, "s", "");
              g_variant_builder_open (&b, G_VARIANT_TYPE_VARDICT);
              g_variant_builder_close (&b);
            }
          type_keepers[i] = g_variant_ref_sink (g_variant_builder_end (&b));
        }
      g_once_init_leave (&kept, 1);
    }
}

GVariant *
cz_message_intern (const char *string)
{
  static GVariant *cache[G_N_ELEMENTS (common_strings)];
  static gsize cache_ready;

  g_return_val_if_fail (string != NULL, NULL);

  if (g_once_init_enter (&cache_ready))
    {
      for (gsize i = 0; i < G_N_ELEMENTS (common_strings); i++)
        cache[i] = g_variant_ref_sink (g_variant_new_string (common_strings[i]));
      g_once_init_leave (&cache_ready, 1);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (common_strings); i++)
    if (string == common_strings[i] || strcmp (string, common_strings[i]) == 0)
      return g_variant_ref (cache[i]);
  return g_variant_ref_sink (g_variant_new_string (string));
}

GVariant *
cz_message_boolean (gboolean value)
{
  static GVariant *cache[2];
  static gsize cache_ready;

  if (g_once_init_enter (&cache_ready))
    {
      cache[0] = g_variant_ref_sink (g_variant_new_boolean (FALSE));
      cache[1] = g_variant_ref_sink (g_variant_new_boolean (TRUE));
      g_once_init_leave (&cache_ready, 1);
    }
  return g_variant_ref (cache[value ? 1 : 0]);
}

GVariant *
cz_message_fields_newv (const char *const *keys, GVariant *const *values, gsize n)
{
  GVariant *small[16];
  GVariant **entries = n <= G_N_ELEMENTS (small) ? small : g_new (GVariant *, n);
  GVariant *fields;

  g_return_val_if_fail (n == 0 || (keys != NULL && values != NULL), NULL);

  cz_message_keep_types ();
  /* The constructors, not a GVariantBuilder and format strings: this runs
   * for every message relayed, and parsing "{sv}" each time costs more
   * than the values. */
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) key = cz_message_intern (keys[i]);

      entries[i] = g_variant_new_dict_entry (key, g_variant_new_variant (values[i]));
    }
  fields = g_variant_new_array (G_VARIANT_TYPE ("{sv}"), entries, n);
  if (entries != small)
    g_free (entries);
  return fields;
}

GVariant *
cz_message_newv (const char *kind, const char *const *keys, GVariant *const *values, gsize n)
{
  g_return_val_if_fail (kind != NULL, NULL);
  g_return_val_if_fail (n == 0 || (keys != NULL && values != NULL), NULL);

  return cz_message_new_from_fields (kind, cz_message_fields_newv (keys, values, n));
}

GVariant *
cz_message_new (const char *kind, ...)
{
  const char *keys[MAX_NEW_FIELDS];
  GVariant *values[MAX_NEW_FIELDS];
  const char *key;
  gsize n = 0;
  va_list ap;

  g_return_val_if_fail (kind != NULL, NULL);

  va_start (ap, kind);
  while ((key = va_arg (ap, const char *)) != NULL)
    {
      GVariant *value = va_arg (ap, GVariant *);

      if (n == MAX_NEW_FIELDS)
        {
          g_critical ("cz_message_new: more than %d fields", MAX_NEW_FIELDS);
          g_variant_unref (g_variant_ref_sink (value));
          continue;
        }
      keys[n] = key;
      values[n++] = value;
    }
  va_end (ap);

  return cz_message_newv (kind, keys, values, n);
}

GVariant *
cz_message_new_from_fields (const char *kind, GVariant *fields)
{
  GVariant *parts[2], *message;

  g_return_val_if_fail (kind != NULL, NULL);
  g_return_val_if_fail (fields != NULL, NULL);
  g_return_val_if_fail (g_variant_is_of_type (fields, G_VARIANT_TYPE_VARDICT), NULL);

  parts[0] = cz_message_intern (kind);
  parts[1] = fields;
  message = g_variant_ref_sink (g_variant_new_tuple (parts, 2));
  g_variant_unref (parts[0]);
  return message;
}

/* The wire form of @message: normal form, little-endian. */
static GVariant *
wire_form (GVariant *message)
{
  GVariant *normal = g_variant_get_normal_form (message);

#if G_BYTE_ORDER == G_BIG_ENDIAN
  {
    GVariant *swapped = g_variant_byteswap (normal);

    g_variant_unref (normal);
    normal = swapped;
  }
#endif
  return normal;
}

GBytes *
cz_message_encode (GVariant *message)
{
  g_autoptr(GVariant) wire = NULL;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (g_variant_is_of_type (message, CZ_MESSAGE_TYPE), NULL);

  wire = wire_form (message);
  return g_variant_get_data_as_bytes (wire);
}

void
cz_message_encode_append (GVariant *message, GByteArray *out)
{
  g_autoptr(GVariant) wire = NULL;
  gsize size;
  guint start;

  g_return_if_fail (message != NULL);
  g_return_if_fail (g_variant_is_of_type (message, CZ_MESSAGE_TYPE));
  g_return_if_fail (out != NULL);

  wire = wire_form (message);
  size = g_variant_get_size (wire);
  start = out->len;
  g_byte_array_set_size (out, start + size);
  /* Serializes a tree-form value straight into @out. */
  g_variant_store (wire, out->data + start);
}

GVariant *
cz_message_new_error (guint32 ref, const char *code, const char *text)
{
  g_return_val_if_fail (code != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  return cz_message_new ("error",
                         "ref", g_variant_new_uint32 (ref),
                         "code", g_variant_new_string (code),
                         "message", g_variant_new_string (text),
                         NULL);
}
