/* test-safety.c: the safety number (DESIGN §2.2) against Signal's
 * published NumericFingerprint test vector (libsignal
 * NumericFingerprintGeneratorTest / libsignal-protocol-c
 * tests/test_fingerprint.c, "testVectors", version 0, 5,200 iterations,
 * one identity key a side), and its properties. */
#include "config.h"

#include <string.h>

#include "cz-safety.h"

/* Signal's vector: serialized identity keys (0x05 ‖ Curve25519 public). */
static const char *alice_identity =
  "0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868";
static const char *bob_identity =
  "05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b";
#define ALICE_ID "+14152222222"
#define BOB_ID "+14153333333"
#define DISPLAYABLE "300354477692869396892869876765458257569162576843440918079131"

static GBytes *
hex_bytes (const char *hex)
{
  gsize len = strlen (hex) / 2;
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]);
  return g_bytes_new_take (data, len);
}

static GPtrArray *
keys_of (const char *first, ...)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  va_list ap;

  va_start (ap, first);
  for (const char *hex = first; hex != NULL; hex = va_arg (ap, const char *))
    g_ptr_array_add (keys, hex_bytes (hex));
  va_end (ap);
  return keys;
}

static void
test_signal_vector (void)
{
  g_autoptr(GPtrArray) alice = keys_of (alice_identity, NULL);
  g_autoptr(GPtrArray) bob = keys_of (bob_identity, NULL);
  g_autofree char *from_alice = cz_safety_number (ALICE_ID, alice, BOB_ID, bob);
  g_autofree char *from_bob = cz_safety_number (BOB_ID, bob, ALICE_ID, alice);

  g_assert_cmpstr (from_alice, ==, DISPLAYABLE);
  g_assert_cmpstr (from_bob, ==, DISPLAYABLE);
}

static void
test_sides (void)
{
  g_autoptr(GBytes) a = hex_bytes (alice_identity);
  char side[CZ_SAFETY_SIDE_DIGITS + 1];
  gsize len;
  const guint8 *data = g_bytes_get_data (a, &len);

  /* Alice's 30 digits are the lower half of the vector. */
  cz_safety_side (ALICE_ID, data, len, CZ_SAFETY_ITERATIONS, side);
  g_assert_cmpuint (strlen (side), ==, 30);
  g_assert_true (strncmp (side, DISPLAYABLE, 30) == 0
                 || strncmp (side, DISPLAYABLE + 30, 30) == 0);
  /* Fewer iterations give another number: the count is part of it. */
  {
    char other[CZ_SAFETY_SIDE_DIGITS + 1];

    cz_safety_side (ALICE_ID, data, len, CZ_SAFETY_ITERATIONS - 1, other);
    g_assert_cmpstr (side, !=, other);
  }
}

static void
test_key_order_and_change (void)
{
  const char *k2 = "05aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  g_autoptr(GPtrArray) alice = keys_of (alice_identity, NULL);
  g_autoptr(GPtrArray) bob12 = keys_of (bob_identity, k2, NULL);
  g_autoptr(GPtrArray) bob21 = keys_of (k2, bob_identity, NULL);
  g_autoptr(GPtrArray) bob1 = keys_of (bob_identity, NULL);
  g_autofree char *n12 = cz_safety_number (ALICE_ID, alice, BOB_ID, bob12);
  g_autofree char *n21 = cz_safety_number (BOB_ID, bob21, ALICE_ID, alice);
  g_autofree char *n1 = cz_safety_number (ALICE_ID, alice, BOB_ID, bob1);

  /* Device order does not matter; a new device changes the number. */
  g_assert_cmpstr (n12, ==, n21);
  g_assert_cmpstr (n12, !=, n1);
  /* The stable id is part of it. */
  {
    g_autofree char *renamed = cz_safety_number ("+14152222223", alice, BOB_ID, bob1);

    g_assert_cmpstr (renamed, !=, n1);
  }
}

static void
test_format (void)
{
  g_autofree char *f = cz_safety_number_format (DISPLAYABLE);

  g_assert_cmpstr (f, ==, "30035 44776 92869 39689 28698 76765 45825 75691 62576 84344 09180 79131");
  g_assert_cmpuint (strlen (f), ==, CZ_SAFETY_FORMATTED_LEN);
  g_assert_null (cz_safety_number_format ("12345"));
  g_assert_null (cz_safety_number_format (NULL));
  g_assert_null (cz_safety_number_format ("30035447769286939689286987676545825756916257684344091807913x"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/safety/signal-vector", test_signal_vector);
  g_test_add_func ("/safety/sides", test_sides);
  g_test_add_func ("/safety/key-order-and-change", test_key_order_and_change);
  g_test_add_func ("/safety/format", test_format);
  return g_test_run ();
}
