/* fuzz-message.c: the (sa{sv}) message codec (common/cz-message.c).
 *
 * Input: a frame body.  What decodes must be valid: a non-empty UTF-8 kind,
 * every string valid UTF-8, and the input exactly the encoding of the result
 * (normal form is unique, so decode ∘ encode is the identity on what is
 * accepted).  The accessors the server uses are run on every field name it
 * reads, and the log rendering must be one valid UTF-8 line. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "cz-error.h"
#include "cz-message.h"
#include "message-show.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  cz_fuzz_setup ();
  return 0;
}

/* Every field name the engines read. */
static const char *const keys[] = {
  "ref", "user", "text", "to", "room", "message", "mechanism", "salt", "iterations",
  "stored_key", "server_key", "public", "group", "version", "server", "client", "code",
  "retry_after", "ids", "id", "ts", "from", "offline", "with", "before", "limit",
  "messages", "users", "online", "by", "state", "reason", "event", "",
};

static void
check_strings (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
      || g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH)
      || g_variant_is_of_type (value, G_VARIANT_TYPE_SIGNATURE))
    {
      gsize len;
      const char *s = g_variant_get_string (value, &len);
      g_assert_true (g_utf8_validate (s, len, NULL));
      g_assert_cmpuint (strlen (s), ==, len);
    }
  else if (g_variant_is_container (value))
    {
      GVariantIter iter;
      GVariant *child;

      g_variant_iter_init (&iter, value);
      while ((child = g_variant_iter_next_value (&iter)) != NULL)
        {
          check_strings (child);
          g_variant_unref (child);
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) msg = cz_message_decode (data, size, &error);
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GByteArray) appended = NULL;
  g_autoptr(GVariant) again = NULL;
  g_autofree char *text = NULL;
  const char *kind;

  if (msg == NULL)
    {
      g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (msg, CZ_MESSAGE_TYPE));

  kind = cz_message_kind (msg);
  g_assert_nonnull (kind);
  g_assert_cmpuint (strlen (kind), >, 0);
  check_strings (msg);

  /* Canonical: what was accepted is exactly its own encoding. */
  encoded = cz_message_encode (msg);
  g_assert_cmpmem (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), data, size);
  appended = g_byte_array_new ();
  g_byte_array_append (appended, (const guint8 *) "xy", 2);
  cz_message_encode_append (msg, appended);
  g_assert_cmpmem (appended->data + 2, appended->len - 2, data, size);
  again = cz_message_decode (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_equal (again, msg));

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const char *s = NULL;
      guint32 u = 0;
      gint64 x = 0;
      gboolean b = FALSE;
      GBytes *bytes = NULL;
      GError *e = NULL;

      if (cz_message_get_string (msg, keys[i], &s, &e))
        g_assert_true (g_utf8_validate (s, -1, NULL));
      else
        g_assert_error (e, CZ_ERROR, CZ_ERROR_BAD_FRAME);
      g_clear_error (&e);
      if (!cz_message_get_uint32 (msg, keys[i], &u, &e))
        g_assert_error (e, CZ_ERROR, CZ_ERROR_BAD_FRAME);
      g_clear_error (&e);
      if (!cz_message_get_int64 (msg, keys[i], &x, &e))
        g_assert_error (e, CZ_ERROR, CZ_ERROR_BAD_FRAME);
      g_clear_error (&e);
      if (!cz_message_get_boolean (msg, keys[i], &b, &e))
        g_assert_error (e, CZ_ERROR, CZ_ERROR_BAD_FRAME);
      g_clear_error (&e);
      if (cz_message_get_bytes (msg, keys[i], &bytes, &e))
        g_bytes_unref (bytes);
      else
        g_assert_error (e, CZ_ERROR, CZ_ERROR_BAD_FRAME);
      g_clear_error (&e);
      (void) cz_message_opt_uint32 (msg, keys[i], 7);
      g_assert_nonnull (cz_message_opt_string (msg, keys[i], "default"));
      {
        g_autoptr(GVariant) ax = cz_message_lookup (msg, keys[i], G_VARIANT_TYPE ("ax"));
        g_autoptr(GVariant) aa = cz_message_lookup (msg, keys[i], G_VARIANT_TYPE ("aa{sv}"));
        g_autoptr(GVariant) as = cz_message_lookup (msg, keys[i], G_VARIANT_TYPE ("as"));
      }
    }
  (void) cz_message_ref (msg);

  /* One line, whatever the kind and field names hold (a kind "a\nb" once
   * gave two: message.crashes/kind-newline). */
  text = cz_message_to_string (msg);
  g_assert_nonnull (text);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_null (strchr (text, '\n'));
  return 0;
}
