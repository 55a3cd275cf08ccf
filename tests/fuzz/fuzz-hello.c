/* fuzz-hello.c: the application Diffie-Hellman step (common/cz-dh.c) as the
 * hellos drive it: cz_message_decode, the hello's fields, the group name,
 * cz_dh_check_public and cz_dh_key_derive with a fixed private value.
 *
 * Input: a hello frame body.  If it does not decode as a message, the input
 * is taken as a bare public value instead (first byte: the group), so the
 * range checks near 0, 1, p-1 and p get fuzzed directly.
 *
 * Properties: a value the check accepts derives (except an x25519 result
 * of all zeros, refused as bad-key) to value_size bytes; a refused value
 * never derives; both sides of an exchange with our own fixed peer agree. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "cz-dh.h"
#include "cz-error.h"
#include "cz-message.h"

static CzDhKey *keys[3];
static CzDhKey *peers[3];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  guint8 priv[32];

  cz_fuzz_setup ();
  for (guint i = 0; i < 3; i++)
    {
      for (guint j = 0; j < sizeof priv; j++)
        priv[j] = (guint8) (j * 29 + i + 1);
      keys[i] = cz_dh_key_new_from_private ((CzDhGroup) i, priv, sizeof priv);
      priv[0] ^= 0x55;
      peers[i] = cz_dh_key_new_from_private ((CzDhGroup) i, priv, sizeof priv);
    }
  return 0;
}

static gboolean
all_zero (GBytes *bytes)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (bytes, &len);

  for (gsize i = 0; i < len; i++)
    if (p[i] != 0)
      return FALSE;
  return TRUE;
}

static void
exercise (CzDhGroup group, const guint8 *pub, gsize len)
{
  g_autoptr(GError) check_error = NULL;
  g_autoptr(GError) derive_error = NULL;
  g_autoptr(GBytes) z = NULL;
  gboolean ok = cz_dh_check_public (group, pub, len, &check_error);

  z = cz_dh_key_derive (keys[group], pub, len, &derive_error);
  if (!ok)
    {
      g_assert_error (check_error, CZ_ERROR, CZ_ERROR_BAD_KEY);
      g_assert_null (z);
      g_assert_error (derive_error, CZ_ERROR, CZ_ERROR_BAD_KEY);
      return;
    }
  g_assert_no_error (check_error);
  g_assert_cmpuint (len, ==, cz_dh_group_value_size (group));
  if (z == NULL)
    {
      /* Only a small-order x25519 point may pass the check and fail here. */
      g_assert_cmpint (group, ==, CZ_DH_X25519);
      g_assert_error (derive_error, CZ_ERROR, CZ_ERROR_BAD_KEY);
      return;
    }
  g_assert_no_error (derive_error);
  g_assert_cmpuint (g_bytes_get_size (z), ==, cz_dh_group_value_size (group));
  g_assert_false (all_zero (z));
}

/* Our fixed key and peer agree (guards the fixed keys themselves). */
static void
agree (CzDhGroup group)
{
  g_autoptr(GBytes) a = cz_dh_key_get_public (keys[group]);
  g_autoptr(GBytes) b = cz_dh_key_get_public (peers[group]);
  g_autoptr(GBytes) z1 = cz_dh_key_derive (keys[group], g_bytes_get_data (b, NULL),
                                           g_bytes_get_size (b), NULL);
  g_autoptr(GBytes) z2 = cz_dh_key_derive (peers[group], g_bytes_get_data (a, NULL),
                                           g_bytes_get_size (a), NULL);

  g_assert_nonnull (z1);
  g_assert_true (g_bytes_equal (z1, z2));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GVariant) hello = cz_message_decode (data, size, NULL);
  g_autoptr(GBytes) pub = NULL;
  CzDhGroup group = CZ_DH_X25519;
  const char *name;
  guint32 version;

  if (hello == NULL)
    {
      if (size == 0)
        return 0;
      group = (CzDhGroup) (data[0] % 3);
      exercise (group, data + 1, size - 1);
      if (size == 1)
        agree (group);
      return 0;
    }

  /* What CzChannel's handle_hello reads, in the same order. */
  if (!g_str_equal (cz_message_kind (hello), "hello")
      || !cz_message_get_uint32 (hello, "version", &version, NULL)
      || !cz_message_get_bytes (hello, "public", &pub, NULL))
    return 0;
  if (cz_message_get_string (hello, "group", &name, NULL))
    {
      g_autoptr(GError) error = NULL;

      if (!cz_dh_group_from_name (name, &group, &error))
        {
          g_assert_nonnull (error);
          return 0;
        }
      g_assert_cmpstr (cz_dh_group_name (group), ==, name);
    }
  exercise (group, g_bytes_get_data (pub, NULL), g_bytes_get_size (pub));
  return 0;
}
