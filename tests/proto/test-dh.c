#include "config.h"

#include "testutil.h"

#include <string.h>

#include <gnutls/gnutls.h>

#include "cz-dh.h"
#include "cz-error.h"
#include "cz-util.h"

static void
assert_bytes_hex (GBytes *bytes, const char *expected_hex)
{
  g_autofree char *hex = NULL;

  g_assert_nonnull (bytes);
  hex = cz_hex_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_assert_cmpstr (hex, ==, expected_hex);
}

static CzDhKey *
key_from_hex (CzDhGroup group, const char *priv_hex)
{
  g_autoptr(GBytes) priv = cz_test_unhex (priv_hex);
  CzDhKey *key = cz_dh_key_new_from_private (group, g_bytes_get_data (priv, NULL),
                                             g_bytes_get_size (priv));

  g_assert_nonnull (key);
  return key;
}

static GBytes *
derive_hex (const CzDhKey *key, const char *peer_hex, GError **error)
{
  g_autoptr(GBytes) peer = cz_test_unhex (peer_hex);

  return cz_dh_key_derive (key, g_bytes_get_data (peer, NULL),
                           g_bytes_get_size (peer), error);
}

/* --- x25519 --------------------------------------------------------------- */

static void
test_x25519_rfc7748_5_2 (void)
{
  static const struct {
    const char *scalar, *u, *out;
  } vectors[] = {
    { "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
      "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
      "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
    { "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
      "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
      "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autoptr(CzDhKey) key = key_from_hex (CZ_DH_X25519, vectors[i].scalar);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) z = derive_hex (key, vectors[i].u, &error);

      g_assert_no_error (error);
      assert_bytes_hex (z, vectors[i].out);
    }
}

static void
test_x25519_rfc7748_6_1 (void)
{
  const char *alice_priv = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
  const char *alice_pub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
  const char *bob_priv = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
  const char *bob_pub = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
  const char *shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  g_autoptr(CzDhKey) alice = key_from_hex (CZ_DH_X25519, alice_priv);
  g_autoptr(CzDhKey) bob = key_from_hex (CZ_DH_X25519, bob_priv);
  g_autoptr(GBytes) a_pub = cz_dh_key_get_public (alice);
  g_autoptr(GBytes) b_pub = cz_dh_key_get_public (bob);
  g_autoptr(GBytes) z_alice = NULL;
  g_autoptr(GBytes) z_bob = NULL;
  g_autoptr(GError) error = NULL;

  assert_bytes_hex (a_pub, alice_pub);
  assert_bytes_hex (b_pub, bob_pub);

  z_alice = derive_hex (alice, bob_pub, &error);
  g_assert_no_error (error);
  assert_bytes_hex (z_alice, shared);

  z_bob = derive_hex (bob, alice_pub, &error);
  g_assert_no_error (error);
  assert_bytes_hex (z_bob, shared);
}

static void
test_x25519_clamping (void)
{
  g_autoptr(CzDhKey) key = key_from_hex (CZ_DH_X25519,
                                         "ffffffffffffffffffffffffffffffff"
                                         "ffffffffffffffffffffffffffffffff");
  g_autoptr(GBytes) priv = cz_dh_key_get_private (key);

  g_autoptr(CzDhKey) zero_key = key_from_hex (CZ_DH_X25519,
                                              "00000000000000000000000000000000"
                                              "00000000000000000000000000000000");
  g_autoptr(GBytes) zero_priv = cz_dh_key_get_private (zero_key);

  /* RFC 7748 §5: clear the three low bits and bit 255, set bit 254. */
  assert_bytes_hex (priv, "f8ffffffffffffffffffffffffffffff"
                          "ffffffffffffffffffffffffffffff7f");
  assert_bytes_hex (zero_priv, "00000000000000000000000000000000"
                               "00000000000000000000000000000040");
  g_assert_cmpint (cz_dh_key_get_group (key), ==, CZ_DH_X25519);
}

static void
test_x25519_small_order (void)
{
  /* Points of order 1, 2, 4 and 8 and their non-canonical encodings: each
   * gives an all-zero shared secret, which must be refused. */
  const char *points[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  };
  g_autoptr(CzDhKey) key = cz_dh_key_new (CZ_DH_X25519);
  guint8 short_value[31] = { 9 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) z = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (points); i++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GBytes) local_z = derive_hex (key, points[i], &local_error);

      g_test_message ("small-order point %s", points[i]);
      g_assert_null (local_z);
      g_assert_error (local_error, CZ_ERROR, CZ_ERROR_BAD_KEY);
    }

  /* Any 32 bytes pass the public check (Z is what tells). */
  g_assert_true (cz_dh_check_public (CZ_DH_X25519, (const guint8 *) "0123456789abcdef0123456789abcdef",
                                     32, &error));
  g_assert_no_error (error);

  /* Wrong lengths. */
  g_assert_false (cz_dh_check_public (CZ_DH_X25519, short_value, sizeof short_value, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_KEY);
  g_clear_error (&error);
  z = cz_dh_key_derive (key, short_value, sizeof short_value, &error);
  g_assert_null (z);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_KEY);
}

/* --- random exchanges ----------------------------------------------------- */

static void
test_exchange (gconstpointer data)
{
  CzDhGroup group = GPOINTER_TO_INT (data);
  gsize size = cz_dh_group_value_size (group);
  gsize private_size = group == CZ_DH_FFDHE3072 ? 40 : 32;
  g_autoptr(CzDhKey) server = cz_dh_key_new (group);
  g_autoptr(CzDhKey) client = cz_dh_key_new (group);
  g_autoptr(GBytes) s_pub = cz_dh_key_get_public (server);
  g_autoptr(GBytes) c_pub = cz_dh_key_get_public (client);
  g_autoptr(GBytes) s_priv = cz_dh_key_get_private (server);
  g_autoptr(GBytes) c_priv = cz_dh_key_get_private (client);
  g_autoptr(GBytes) z_server = NULL;
  g_autoptr(GBytes) z_client = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (cz_dh_key_get_group (server), ==, group);
  g_assert_cmpuint (g_bytes_get_size (s_pub), ==, size);
  g_assert_cmpuint (g_bytes_get_size (c_pub), ==, size);
  g_assert_cmpuint (g_bytes_get_size (s_priv), ==, private_size);
  g_assert_false (g_bytes_equal (s_pub, c_pub));
  g_assert_false (g_bytes_equal (s_priv, c_priv));

  g_assert_true (cz_dh_check_public (group, g_bytes_get_data (c_pub, NULL),
                                     g_bytes_get_size (c_pub), &error));
  g_assert_no_error (error);

  z_server = cz_dh_key_derive (server, g_bytes_get_data (c_pub, NULL),
                               g_bytes_get_size (c_pub), &error);
  g_assert_no_error (error);
  z_client = cz_dh_key_derive (client, g_bytes_get_data (s_pub, NULL),
                               g_bytes_get_size (s_pub), &error);
  g_assert_no_error (error);

  g_assert_cmpuint (g_bytes_get_size (z_server), ==, size);
  g_assert_cmpmem (g_bytes_get_data (z_server, NULL), g_bytes_get_size (z_server),
                   g_bytes_get_data (z_client, NULL), g_bytes_get_size (z_client));
  g_assert_false (g_bytes_equal (z_server, s_pub));

  /* A key rebuilt from the private value has the same public value. */
  {
    g_autoptr(CzDhKey) again = cz_dh_key_new_from_private (group,
                                                           g_bytes_get_data (s_priv, NULL),
                                                           g_bytes_get_size (s_priv));
    g_autoptr(GBytes) again_pub = cz_dh_key_get_public (again);

    g_assert_true (g_bytes_equal (again_pub, s_pub));
  }
}

/* --- ffdhe ---------------------------------------------------------------- */

/* The prime of @group as big-endian bytes, plus @delta (-2 … +1). */
static GBytes *
prime_plus (CzDhGroup group, int delta)
{
  g_autoptr(GBytes) p = cz_test_unhex (cz_dh_group_prime_hex (group));
  gsize len = g_bytes_get_size (p);
  guint8 *buf = g_memdup2 (g_bytes_get_data (p, NULL), len);

  /* The RFC 7919 primes end in 64 one bits: subtracting never borrows. */
  g_assert_cmpuint (buf[len - 1], ==, 0xff);
  buf[len - 1] = (guint8) (buf[len - 1] + delta);
  if (delta > 0)
    {
      /* p + 1 carries through the trailing ff bytes. */
      for (gsize i = len - 1; i > 0 && buf[i] == 0; i--)
        buf[i - 1]++;
    }

  return g_bytes_new_take (buf, len);
}

/* @value as a big-endian number of @len bytes. */
static GBytes *
small_value (guint8 value, gsize len)
{
  guint8 *buf = g_malloc0 (len);

  buf[len - 1] = value;
  return g_bytes_new_take (buf, len);
}

static void
assert_public_refused (CzDhGroup group, const CzDhKey *key, GBytes *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) z = NULL;

  g_assert_false (cz_dh_check_public (group, g_bytes_get_data (value, NULL),
                                      g_bytes_get_size (value), &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_KEY);
  g_clear_error (&error);

  z = cz_dh_key_derive (key, g_bytes_get_data (value, NULL),
                        g_bytes_get_size (value), &error);
  g_assert_null (z);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_KEY);
}

static void
test_ffdhe_public_checks (gconstpointer data)
{
  CzDhGroup group = GPOINTER_TO_INT (data);
  gsize size = cz_dh_group_value_size (group);
  g_autoptr(CzDhKey) key = cz_dh_key_new (group);
  g_autoptr(GBytes) zero = small_value (0, size);
  g_autoptr(GBytes) one = small_value (1, size);
  g_autoptr(GBytes) two = small_value (2, size);
  g_autoptr(GBytes) two_short = small_value (2, size - 1);
  g_autoptr(GBytes) two_long = small_value (2, size + 1);
  g_autoptr(GBytes) p_minus_2 = prime_plus (group, -2);
  g_autoptr(GBytes) p_minus_1 = prime_plus (group, -1);
  g_autoptr(GBytes) p = prime_plus (group, 0);
  g_autoptr(GBytes) p_plus_1 = prime_plus (group, 1);
  g_autoptr(GError) error = NULL;

  assert_public_refused (group, key, zero);
  assert_public_refused (group, key, one);
  assert_public_refused (group, key, p_minus_1);
  assert_public_refused (group, key, p);
  assert_public_refused (group, key, p_plus_1);
  assert_public_refused (group, key, two_short);
  assert_public_refused (group, key, two_long);

  g_assert_true (cz_dh_check_public (group, g_bytes_get_data (two, NULL), size, &error));
  g_assert_no_error (error);
  g_assert_true (cz_dh_check_public (group, g_bytes_get_data (p_minus_2, NULL), size, &error));
  g_assert_no_error (error);
}

static void
test_ffdhe_known_values (void)
{
  /* Exponent 256: the public value is 2^256 (smaller than p, so no
   * reduction), big-endian and left-padded to 256 bytes. */
  g_autoptr(CzDhKey) key = key_from_hex (CZ_DH_FFDHE2048, "0100");
  g_autoptr(GBytes) pub = cz_dh_key_get_public (key);
  g_autoptr(GBytes) priv = cz_dh_key_get_private (key);
  g_autoptr(GBytes) two = small_value (2, 256);
  g_autoptr(GBytes) z = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *data;

  assert_bytes_hex (priv, "0100");
  g_assert_cmpuint (g_bytes_get_size (pub), ==, 256);
  data = g_bytes_get_data (pub, NULL);
  for (gsize i = 0; i < 256; i++)
    g_assert_cmpuint (data[i], ==, i == 256 - 33 ? 1 : 0);

  /* With the generator itself as the peer value, Z equals our public value. */
  z = cz_dh_key_derive (key, g_bytes_get_data (two, NULL), 256, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (z, pub));
}

static void
assert_prime_matches_gnutls (CzDhGroup group, const gnutls_datum_t *datum)
{
  g_autofree char *gnutls_hex = cz_hex_encode (datum->data, datum->size);

  g_assert_cmpstr (cz_dh_group_prime_hex (group), ==, gnutls_hex);
}

static void
test_primes (void)
{
  const char *p2048 = cz_dh_group_prime_hex (CZ_DH_FFDHE2048);
  const char *p3072 = cz_dh_group_prime_hex (CZ_DH_FFDHE3072);
  const char *rfc7919_head = "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1";

  g_assert_cmpuint (strlen (p2048), ==, 512);
  g_assert_true (g_str_has_prefix (p2048, rfc7919_head));
  g_assert_cmpstr (p2048 + 512 - 16, ==, "ffffffffffffffff");
  g_assert_true (g_str_has_suffix (p2048, "886b423861285c97ffffffffffffffff"));

  g_assert_cmpuint (strlen (p3072), ==, 768);
  g_assert_true (g_str_has_prefix (p3072, rfc7919_head));
  g_assert_true (g_str_has_suffix (p3072, "25e41d2b66c62e37ffffffffffffffff"));

  /* GnuTLS carries its own copy of the RFC 7919 primes. */
  assert_prime_matches_gnutls (CZ_DH_FFDHE2048, &gnutls_ffdhe_2048_group_prime);
  assert_prime_matches_gnutls (CZ_DH_FFDHE3072, &gnutls_ffdhe_3072_group_prime);

  g_assert_cmpstr (cz_dh_group_prime_hex (CZ_DH_X25519), ==,
                   "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed");
  g_assert_cmpstr (cz_dh_group_prime_formula (CZ_DH_X25519), ==, "2^255 - 19");
  g_assert_null (cz_dh_group_prime_formula (CZ_DH_FFDHE2048));
  g_assert_cmpstr (cz_dh_group_generator (CZ_DH_X25519), ==, "u = 9");
  g_assert_cmpstr (cz_dh_group_generator (CZ_DH_FFDHE2048), ==, "2");
  g_assert_cmpstr (cz_dh_group_generator (CZ_DH_FFDHE3072), ==, "2");
}

static void
test_group_names (void)
{
  const CzDhGroup all[] = { CZ_DH_X25519, CZ_DH_FFDHE2048, CZ_DH_FFDHE3072 };
  const char *unknown[] = { "ffdhe4096", "X25519", "", "x448" };
  CzDhGroup group = CZ_DH_X25519;

  g_assert_cmpstr (cz_dh_group_name (CZ_DH_X25519), ==, "x25519");
  g_assert_cmpstr (cz_dh_group_name (CZ_DH_FFDHE2048), ==, "ffdhe2048");
  g_assert_cmpstr (cz_dh_group_name (CZ_DH_FFDHE3072), ==, "ffdhe3072");
  g_assert_cmpuint (cz_dh_group_value_size (CZ_DH_X25519), ==, 32);
  g_assert_cmpuint (cz_dh_group_value_size (CZ_DH_FFDHE2048), ==, 256);
  g_assert_cmpuint (cz_dh_group_value_size (CZ_DH_FFDHE3072), ==, 384);

  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (cz_dh_group_from_name (cz_dh_group_name (all[i]), &group, &error));
      g_assert_no_error (error);
      g_assert_cmpint (group, ==, all[i]);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      g_autoptr(GError) error = NULL;

      group = CZ_DH_FFDHE2048;
      g_assert_false (cz_dh_group_from_name (unknown[i], &group, &error));
      g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
      g_assert_cmpint (group, ==, CZ_DH_FFDHE2048);   /* untouched */
    }
}

/* The enum's GType names each group as cz_dh_group_name () does. */
static void
test_group_enum_type (void)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (CZ_TYPE_DH_GROUP);
  CzDhGroup groups[] = { CZ_DH_X25519, CZ_DH_FFDHE2048, CZ_DH_FFDHE3072 };

  g_assert_cmpuint (klass->n_values, ==, G_N_ELEMENTS (groups));
  for (gsize i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      GEnumValue *value = g_enum_get_value_by_nick (klass, cz_dh_group_name (groups[i]));

      g_assert_nonnull (value);
      g_assert_cmpint (value->value, ==, groups[i]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dh/group/enum-type", test_group_enum_type);
  g_test_add_func ("/dh/x25519/rfc7748-5.2", test_x25519_rfc7748_5_2);
  g_test_add_func ("/dh/x25519/rfc7748-6.1", test_x25519_rfc7748_6_1);
  g_test_add_func ("/dh/x25519/clamping", test_x25519_clamping);
  g_test_add_func ("/dh/x25519/small-order", test_x25519_small_order);
  g_test_add_data_func ("/dh/exchange/x25519", GINT_TO_POINTER (CZ_DH_X25519), test_exchange);
  g_test_add_data_func ("/dh/exchange/ffdhe2048", GINT_TO_POINTER (CZ_DH_FFDHE2048), test_exchange);
  g_test_add_data_func ("/dh/exchange/ffdhe3072", GINT_TO_POINTER (CZ_DH_FFDHE3072), test_exchange);
  g_test_add_data_func ("/dh/ffdhe2048/public-checks", GINT_TO_POINTER (CZ_DH_FFDHE2048),
                        test_ffdhe_public_checks);
  g_test_add_data_func ("/dh/ffdhe3072/public-checks", GINT_TO_POINTER (CZ_DH_FFDHE3072),
                        test_ffdhe_public_checks);
  g_test_add_func ("/dh/ffdhe2048/known-values", test_ffdhe_known_values);
  g_test_add_func ("/dh/primes", test_primes);
  g_test_add_func ("/dh/group-names", test_group_names);

  return g_test_run ();
}
