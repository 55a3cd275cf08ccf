/* cz-safety.c: Signal's NumericFingerprint v0 as the safety number of a
 * direct conversation (see cz-safety.h, DESIGN §2.2). */
#include "config.h"

#include "cz-safety.h"

#include <string.h>
#include <nettle/sha2.h>

#define FINGERPRINT_VERSION 0

void
cz_safety_side (const char *stable_id, const guint8 *keys, gsize keys_len,
                guint iterations, char out[CZ_SAFETY_SIDE_DIGITS + 1])
{
  struct sha512_ctx ctx;
  guint8 hash[SHA512_DIGEST_SIZE];
  const guint8 version[2] = { FINGERPRINT_VERSION >> 8, FINGERPRINT_VERSION & 0xff };

  g_return_if_fail (stable_id != NULL);
  g_return_if_fail (keys != NULL || keys_len == 0);

  /* Signal's generator: the running value starts as version ‖ keys ‖ id
   * and each of the @iterations rounds replaces it by SHA-512(value ‖
   * keys); the first round is written out. */
  sha512_init (&ctx);
  sha512_update (&ctx, sizeof version, version);
  sha512_update (&ctx, keys_len, keys);
  sha512_update (&ctx, strlen (stable_id), (const guint8 *) stable_id);
  sha512_update (&ctx, keys_len, keys);
  sha512_digest (&ctx, sizeof hash, hash);
  for (guint i = 1; i < iterations; i++)
    {
      sha512_update (&ctx, sizeof hash, hash);
      sha512_update (&ctx, keys_len, keys);
      sha512_digest (&ctx, sizeof hash, hash);
    }

  for (guint chunk = 0; chunk < 6; chunk++)
    {
      guint64 v = 0;

      for (guint b = 0; b < 5; b++)
        v = (v << 8) | hash[chunk * 5 + b];
      g_snprintf (out + chunk * 5, 6, "%05u", (guint) (v % 100000));
    }
  out[CZ_SAFETY_SIDE_DIGITS] = '\0';
  memset (hash, 0, sizeof hash);
}

static gint
compare_keys (gconstpointer a, gconstpointer b)
{
  GBytes *ka = *(GBytes * const *) a;
  GBytes *kb = *(GBytes * const *) b;

  return g_bytes_compare (ka, kb);
}

static void
side_for (const char *id, GPtrArray *keys, char out[CZ_SAFETY_SIDE_DIGITS + 1])
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr(GByteArray) all = g_byte_array_new ();

  for (guint i = 0; i < keys->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (keys, i));
  g_ptr_array_sort (sorted, compare_keys);
  for (guint i = 0; i < sorted->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (sorted, i), &len);

      g_byte_array_append (all, data, len);
    }
  cz_safety_side (id, all->data, all->len, CZ_SAFETY_ITERATIONS, out);
}

char *
cz_safety_number (const char *local_id, GPtrArray *local_keys,
                  const char *remote_id, GPtrArray *remote_keys)
{
  char local[CZ_SAFETY_SIDE_DIGITS + 1];
  char remote[CZ_SAFETY_SIDE_DIGITS + 1];

  g_return_val_if_fail (local_id != NULL && local_keys != NULL, NULL);
  g_return_val_if_fail (remote_id != NULL && remote_keys != NULL, NULL);

  side_for (local_id, local_keys, local);
  side_for (remote_id, remote_keys, remote);
  if (strcmp (local, remote) <= 0)
    return g_strconcat (local, remote, NULL);
  return g_strconcat (remote, local, NULL);
}

char *
cz_safety_number_format (const char *digits)
{
  GString *out;

  if (digits == NULL || strlen (digits) != CZ_SAFETY_DIGITS)
    return NULL;
  for (guint i = 0; i < CZ_SAFETY_DIGITS; i++)
    if (!g_ascii_isdigit (digits[i]))
      return NULL;

  out = g_string_sized_new (CZ_SAFETY_FORMATTED_LEN + 1);
  for (guint i = 0; i < CZ_SAFETY_DIGITS; i += 5)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append_len (out, digits + i, 5);
    }
  return g_string_free (out, FALSE);
}
