/* test-crypto.c: the base layer: crypto primitives against RFC vectors
 * (SHA-256, HMAC, HKDF, PBKDF2, AES-256-GCM), the small utilities (hex,
 * atomic writes with exact modes, user names, local time) and the error
 * codes. */
#include "config.h"

#include "testutil.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "cz-protocol.h"
#include "cz-crypto.h"
#include "cz-error.h"
#include "cz-util.h"

static void
assert_hex_eq (const guint8 *data, gsize len, const char *expected_hex)
{
  g_autofree char *hex = cz_hex_encode (data, len);

  g_assert_cmpstr (hex, ==, expected_hex);
}

static GBytes *
repeat_byte (guint8 byte, gsize len)
{
  guint8 *buf = g_malloc (len);

  memset (buf, byte, len);
  return g_bytes_new_take (buf, len);
}

static GBytes *
byte_range (guint first, guint last)
{
  g_autoptr(GByteArray) array = g_byte_array_new ();

  for (guint i = first; i <= last; i++)
    {
      guint8 b = (guint8) i;
      g_byte_array_append (array, &b, 1);
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&array));
}

/* --- hashes and MACs ------------------------------------------------------ */

static void
test_sha256 (void)
{
  guint8 out[CZ_SHA256_SIZE];

  /* FIPS 180-2 appendix B.1 and the empty message. */
  cz_sha256 ("abc", 3, out);
  assert_hex_eq (out, sizeof out,
                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  cz_sha256 (NULL, 0, out);
  assert_hex_eq (out, sizeof out,
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_hmac_rfc4231 (void)
{
  g_autoptr(GBytes) key1 = repeat_byte (0x0b, 20);
  g_autoptr(GBytes) key6 = repeat_byte (0xaa, 131);
  const char *data6 = "Test Using Larger Than Block-Size Key - Hash Key First";
  guint8 out[CZ_SHA256_SIZE];

  /* Test case 1 */
  cz_hmac_sha256 (g_bytes_get_data (key1, NULL), g_bytes_get_size (key1),
                  "Hi There", 8, out);
  assert_hex_eq (out, sizeof out,
                 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

  /* Test case 2 */
  cz_hmac_sha256 ("Jefe", 4, "what do ya want for nothing?", 28, out);
  assert_hex_eq (out, sizeof out,
                 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

  /* Test case 6: a key longer than the block size. */
  cz_hmac_sha256 (g_bytes_get_data (key6, NULL), g_bytes_get_size (key6),
                  data6, strlen (data6), out);
  assert_hex_eq (out, sizeof out,
                 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

typedef struct {
  GBytes *ikm;
  GBytes *salt;
  GBytes *info;
  gsize length;
  const char *prk;
  const char *okm;
} HkdfCase;

static void
check_hkdf (const HkdfCase *tc)
{
  guint8 prk[CZ_SHA256_SIZE];
  g_autofree guint8 *okm = g_malloc (tc->length);

  cz_hkdf_sha256_extract (g_bytes_get_data (tc->salt, NULL), g_bytes_get_size (tc->salt),
                          g_bytes_get_data (tc->ikm, NULL), g_bytes_get_size (tc->ikm),
                          prk);
  assert_hex_eq (prk, sizeof prk, tc->prk);

  cz_hkdf_sha256_expand (prk, g_bytes_get_data (tc->info, NULL),
                         g_bytes_get_size (tc->info), okm, tc->length);
  assert_hex_eq (okm, tc->length, tc->okm);
}

static void
test_hkdf_rfc5869 (void)
{
  g_autoptr(GBytes) ikm1 = repeat_byte (0x0b, 22);
  g_autoptr(GBytes) salt1 = byte_range (0x00, 0x0c);
  g_autoptr(GBytes) info1 = byte_range (0xf0, 0xf9);
  g_autoptr(GBytes) ikm2 = byte_range (0x00, 0x4f);
  g_autoptr(GBytes) salt2 = byte_range (0x60, 0xaf);
  g_autoptr(GBytes) info2 = byte_range (0xb0, 0xff);
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  const HkdfCase cases[] = {
    /* A.1 Test Case 1: basic */
    { ikm1, salt1, info1, 42,
      "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
      "34007208d5b887185865" },
    /* A.2 Test Case 2: longer inputs and outputs */
    { ikm2, salt2, info2, 82,
      "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
      "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
      "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
      "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
    /* A.3 Test Case 3: zero-length salt and info */
    { ikm1, empty, empty, 42,
      "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
      "9d201395faa4b61a96c8" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_hkdf (&cases[i]);
}

static void
test_pbkdf2 (void)
{
  guint8 out[64];

  /* RFC 7914 §11 */
  cz_pbkdf2_sha256 ("passwd", 6, "salt", 4, 1, out, sizeof out);
  assert_hex_eq (out, sizeof out,
                 "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                 "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");

  cz_pbkdf2_sha256 ("Password", 8, "NaCl", 4, 80000, out, sizeof out);
  assert_hex_eq (out, sizeof out,
                 "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
                 "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

/* --- AES-256-GCM ---------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *key;
  const char *iv;
  const char *plaintext;
  const char *ad;
  const char *ciphertext;
  const char *tag;
} GcmCase;

#define GCM_K15 "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
#define GCM_IV15 "cafebabefacedbaddecaf888"
#define GCM_P15 \
  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_C15 \
  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" \
  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"

/* McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13-16
 * (256-bit keys). */
static const GcmCase gcm_cases[] = {
  { "13", "0000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000", "", "", "",
    "530f8afbc74536b9a963b4f1c4cb738b" },
  { "14", "0000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000", "00000000000000000000000000000000", "",
    "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
  { "15", GCM_K15, GCM_IV15, GCM_P15 "1aafd255", "", GCM_C15 "898015ad",
    "b094dac5d93471bdec1a502270e3cc6c" },
  { "16", GCM_K15, GCM_IV15, GCM_P15, "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    GCM_C15, "76fc6ece0f4e1768cddf8853bb2d551b" },
};

static void
test_gcm_known_answers (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (gcm_cases); i++)
    {
      const GcmCase *tc = &gcm_cases[i];
      g_autoptr(GBytes) key = cz_test_unhex (tc->key);
      g_autoptr(GBytes) iv = cz_test_unhex (tc->iv);
      g_autoptr(GBytes) pt = cz_test_unhex (tc->plaintext);
      g_autoptr(GBytes) ad = cz_test_unhex (tc->ad);
      g_autofree char *expected = g_strconcat (tc->ciphertext, tc->tag, NULL);
      gsize len = g_bytes_get_size (pt);
      g_autofree guint8 *sealed = g_malloc (len + CZ_AEAD_TAG_SIZE);
      g_autofree guint8 *opened = g_malloc (len + 1);
      g_autofree guint8 *inplace = g_malloc (len + CZ_AEAD_TAG_SIZE);

      g_test_message ("GCM test case %s", tc->name);
      g_assert_cmpuint (g_bytes_get_size (key), ==, CZ_AEAD_KEY_SIZE);
      g_assert_cmpuint (g_bytes_get_size (iv), ==, CZ_AEAD_NONCE_SIZE);

      cz_aes256_gcm_seal (g_bytes_get_data (key, NULL), g_bytes_get_data (iv, NULL),
                          g_bytes_get_data (ad, NULL), g_bytes_get_size (ad),
                          g_bytes_get_data (pt, NULL), len, sealed);
      assert_hex_eq (sealed, len + CZ_AEAD_TAG_SIZE, expected);

      g_assert_true (cz_aes256_gcm_open (g_bytes_get_data (key, NULL),
                                         g_bytes_get_data (iv, NULL),
                                         g_bytes_get_data (ad, NULL),
                                         g_bytes_get_size (ad),
                                         sealed, len + CZ_AEAD_TAG_SIZE, opened));
      g_assert_cmpmem (opened, len, g_bytes_get_data (pt, NULL), len);

      /* In place, both ways (out == in is allowed). */
      if (len > 0)
        memcpy (inplace, g_bytes_get_data (pt, NULL), len);
      cz_aes256_gcm_seal (g_bytes_get_data (key, NULL), g_bytes_get_data (iv, NULL),
                          g_bytes_get_data (ad, NULL), g_bytes_get_size (ad),
                          inplace, len, inplace);
      g_assert_cmpmem (inplace, len + CZ_AEAD_TAG_SIZE, sealed, len + CZ_AEAD_TAG_SIZE);
      g_assert_true (cz_aes256_gcm_open (g_bytes_get_data (key, NULL),
                                         g_bytes_get_data (iv, NULL),
                                         g_bytes_get_data (ad, NULL),
                                         g_bytes_get_size (ad),
                                         inplace, len + CZ_AEAD_TAG_SIZE, inplace));
      g_assert_cmpmem (inplace, len, g_bytes_get_data (pt, NULL), len);
    }
}

static void
test_gcm_tamper (void)
{
  const GcmCase *tc = &gcm_cases[3];   /* the one with additional data */
  g_autoptr(GBytes) key = cz_test_unhex (tc->key);
  g_autoptr(GBytes) iv = cz_test_unhex (tc->iv);
  g_autoptr(GBytes) pt = cz_test_unhex (tc->plaintext);
  g_autoptr(GBytes) ad = cz_test_unhex (tc->ad);
  const guint8 *k = g_bytes_get_data (key, NULL);
  const guint8 *n = g_bytes_get_data (iv, NULL);
  gsize ad_len = g_bytes_get_size (ad);
  gsize len = g_bytes_get_size (pt);
  gsize total = len + CZ_AEAD_TAG_SIZE;
  g_autofree guint8 *sealed = g_malloc (total);
  g_autofree guint8 *copy = g_malloc (total);
  g_autofree guint8 *out = g_malloc (len);
  g_autofree guint8 *zeros = g_malloc0 (len);
  g_autofree guint8 *bad_ad = g_memdup2 (g_bytes_get_data (ad, NULL), ad_len);
  guint8 bad_nonce[CZ_AEAD_NONCE_SIZE];

  cz_aes256_gcm_seal (k, n, g_bytes_get_data (ad, NULL), ad_len,
                      g_bytes_get_data (pt, NULL), len, sealed);

  /* A flipped ciphertext bit: refused, and nothing usable is written. */
  memcpy (copy, sealed, total);
  copy[5] ^= 0x10;
  memset (out, 0xaa, len);
  g_assert_false (cz_aes256_gcm_open (k, n, g_bytes_get_data (ad, NULL), ad_len,
                                      copy, total, out));
  g_assert_cmpmem (out, len, zeros, len);

  /* A flipped tag bit. */
  memcpy (copy, sealed, total);
  copy[total - 1] ^= 0x01;
  g_assert_false (cz_aes256_gcm_open (k, n, g_bytes_get_data (ad, NULL), ad_len,
                                      copy, total, out));

  /* Wrong additional data, and no additional data at all. */
  bad_ad[0] ^= 0x80;
  g_assert_false (cz_aes256_gcm_open (k, n, bad_ad, ad_len, sealed, total, out));
  g_assert_false (cz_aes256_gcm_open (k, n, NULL, 0, sealed, total, out));

  /* Wrong nonce. */
  memcpy (bad_nonce, n, sizeof bad_nonce);
  bad_nonce[11] ^= 0x01;
  g_assert_false (cz_aes256_gcm_open (k, bad_nonce, g_bytes_get_data (ad, NULL),
                                      ad_len, sealed, total, out));

  /* Shorter than a tag, and a truncated tag. */
  g_assert_false (cz_aes256_gcm_open (k, n, NULL, 0, sealed, CZ_AEAD_TAG_SIZE - 1, out));
  g_assert_false (cz_aes256_gcm_open (k, n, g_bytes_get_data (ad, NULL), ad_len,
                                      sealed, total - 1, out));

  /* The untouched message still opens. */
  g_assert_true (cz_aes256_gcm_open (k, n, g_bytes_get_data (ad, NULL), ad_len,
                                     sealed, total, out));
  g_assert_cmpmem (out, len, g_bytes_get_data (pt, NULL), len);
}

static void
test_memeq_base64_random (void)
{
  guint8 a[32], b[32];
  g_autofree char *b64 = NULL;

  cz_random_bytes (a, sizeof a);
  memcpy (b, a, sizeof b);
  g_assert_true (cz_memeq_ct (a, b, sizeof a));
  b[31] ^= 1;
  g_assert_false (cz_memeq_ct (a, b, sizeof a));
  g_assert_true (cz_memeq_ct (a, b, 0));

  /* Two draws of 32 random bytes do not collide. */
  cz_random_bytes (b, sizeof b);
  g_assert_false (cz_memeq_ct (a, b, sizeof a));

  b64 = cz_base64_encode ((const guint8 *) "foobar", 6);
  g_assert_cmpstr (b64, ==, "Zm9vYmFy");
}

/* --- util ----------------------------------------------------------------- */

static void
test_hex (void)
{
  const guint8 known[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
  guint8 random[64];
  g_autofree char *hex = NULL;
  g_autofree char *colons = NULL;
  g_autofree char *empty_colons = NULL;
  g_autoptr(GBytes) back = NULL;
  g_autoptr(GBytes) loose = NULL;
  g_autoptr(GBytes) empty = NULL;
  const char *bad[] = { "abc", "0g", "0x12", "zz", "12 3", "é1", "-1" };

  hex = cz_hex_encode (known, sizeof known);
  g_assert_cmpstr (hex, ==, "00017f80abff");
  colons = cz_hex_encode_colons (known, sizeof known);
  g_assert_cmpstr (colons, ==, "00:01:7F:80:AB:FF");
  empty_colons = cz_hex_encode_colons (known, 0);
  g_assert_cmpstr (empty_colons, ==, "");

  /* Case, ':' and whitespace are accepted. */
  loose = cz_test_unhex (" 00:01:7F\n80 aB:fF\t");
  g_assert_cmpmem (g_bytes_get_data (loose, NULL), g_bytes_get_size (loose),
                   known, sizeof known);
  empty = cz_test_unhex ("");
  g_assert_cmpuint (g_bytes_get_size (empty), ==, 0);

  cz_random_bytes (random, sizeof random);
  g_clear_pointer (&hex, g_free);
  hex = cz_hex_encode (random, sizeof random);
  g_assert_cmpuint (strlen (hex), ==, 2 * sizeof random);
  back = cz_test_unhex (hex);
  g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back),
                   random, sizeof random);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) result = cz_hex_decode (bad[i], &error);

      g_test_message ("bad hex: %s", bad[i]);
      g_assert_null (result);
      g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
    }
}

static void
assert_file (const char *path, const char *contents, guint mode)
{
  g_autofree char *read = NULL;
  gsize len = 0;
  GStatBuf st;

  g_assert_true (g_file_get_contents (path, &read, &len, NULL));
  g_assert_cmpmem (read, len, contents, strlen (contents));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, mode);
}

static void
test_write_file_atomic (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("cz-crypto-XXXXXX", &error);
  g_autofree char *key = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *missing = NULL;
  mode_t old_umask;

  g_assert_no_error (error);
  key = g_build_filename (dir, "key.pem", NULL);
  cert = g_build_filename (dir, "cert.pem", NULL);
  missing = g_build_filename (dir, "no-such-dir", "file", NULL);

  /* umask 0 must not widen the mode, umask 077 must not narrow it. */
  old_umask = umask (0);
  g_assert_true (cz_write_file_atomic (key, "secret", 6, 0600, &error));
  g_assert_no_error (error);
  assert_file (key, "secret", 0600);
  umask (077);
  g_assert_true (cz_write_file_atomic (cert, "public", 6, 0644, &error));
  g_assert_no_error (error);
  assert_file (cert, "public", 0644);
  umask (old_umask);

  /* Replacing an existing file: new contents, the new mode, no leftovers. */
  g_assert_true (cz_write_file_atomic (cert, "key now", 7, 0600, &error));
  g_assert_no_error (error);
  assert_file (cert, "key now", 0600);
  g_assert_true (cz_write_file_atomic (key, "", 0, 0600, &error));
  g_assert_no_error (error);
  assert_file (key, "", 0600);
  g_assert_cmpuint (cz_test_count_dir_entries (dir), ==, 2);

  /* A missing folder: an error naming the path. */
  g_assert_false (cz_write_file_atomic (missing, "x", 1, 0600, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_IO);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  g_assert_cmpuint (cz_test_count_dir_entries (dir), ==, 2);

  g_assert_cmpint (g_unlink (key), ==, 0);
  g_assert_cmpint (g_unlink (cert), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_user_name (void)
{
  const char *good[] = {
    "a", "0", "_", ".", "-", "alice", "bob.smith", "x_y-z.9",
    "abcdefghijklmnopqrstuvwxyz012345",    /* 32 */
  };
  const char *bad[] = {
    "", "abcdefghijklmnopqrstuvwxyz0123456",   /* 33 */
    "Alice", "ALICE", "al ice", " alice", "alice\n", "é", "andré",
    "a/b", "a@b", "a:b", "a\tb",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_test_message ("good: %s", good[i]);
      g_assert_true (cz_user_name_valid (good[i]));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("bad: %s", bad[i]);
      g_assert_false (cz_user_name_valid (bad[i]));
    }
  g_assert_false (cz_user_name_valid (NULL));
}

static void
test_misc_util (void)
{
  char buf[16];
  char *password = g_strdup ("hunter2");
  gint64 before = g_get_real_time () / 1000;
  gint64 now = cz_now_ms ();
  g_autofree char *data_dir = NULL;
  g_autofree char *expected_dir = NULL;
  GStatBuf st;

  memset (buf, 'x', sizeof buf);
  cz_memwipe (buf, sizeof buf);
  for (gsize i = 0; i < sizeof buf; i++)
    g_assert_cmpint (buf[i], ==, 0);
  cz_memwipe (NULL, 0);
  cz_str_wipe_free (password);
  cz_str_wipe_free (NULL);

  g_assert_cmpint (now, >=, before);
  g_assert_cmpint (now, <=, g_get_real_time () / 1000);
  g_assert_cmpint (now, >, G_GINT64_CONSTANT (1600000000000));

  /* main() pointed XDG_DATA_HOME at a temporary folder. */
  data_dir = cz_data_dir ();
  expected_dir = g_build_filename (g_get_user_data_dir (), "causerie", NULL);
  g_assert_cmpstr (data_dir, ==, expected_dir);
  g_assert_cmpint (g_stat (data_dir, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpuint (st.st_mode & 0777, ==, 0700);
}

/* --- errors --------------------------------------------------------------- */

static void
test_error_codes (void)
{
  g_autoptr(GError) cz = g_error_new_literal (CZ_ERROR, CZ_ERROR_THROTTLED, "slow");
  g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "io");
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpstr (g_quark_to_string (CZ_ERROR), ==, "causerie-error-quark");

  for (int code = CZ_ERROR_INTERNAL; code <= CZ_ERROR_PROTOCOL; code++)
    {
      const char *str = cz_error_code_to_string ((CzErrorCode) code);

      g_assert_nonnull (str);
      g_assert_cmpint (cz_error_code_from_string (str), ==, code);
      g_assert_false (g_hash_table_contains (seen, str));
      g_hash_table_add (seen, (gpointer) str);
    }

  g_assert_cmpstr (cz_error_code_to_string (CZ_ERROR_BAD_FRAME), ==, "bad-frame");
  g_assert_cmpstr (cz_error_code_to_string (CZ_ERROR_TOO_LARGE), ==, "too-large");
  g_assert_cmpstr (cz_error_code_to_string (CZ_ERROR_AUTH_FAILED), ==, "auth-failed");
  g_assert_cmpstr (cz_error_code_to_string (CZ_ERROR_NOT_AUTHENTICATED), ==,
                   "not-authenticated");
  g_assert_cmpstr (cz_error_code_to_string (CZ_ERROR_DECRYPT), ==, "decrypt-failed");
  g_assert_cmpstr (cz_error_code_to_string (CZ_ERROR_FULL), ==, "server-full");
  g_assert_cmpstr (cz_error_code_to_string ((CzErrorCode) 9999), ==, "internal");
  g_assert_cmpint (cz_error_code_from_string ("no-such-code"), ==, CZ_ERROR_INTERNAL);
  g_assert_cmpint (cz_error_code_from_string (NULL), ==, CZ_ERROR_INTERNAL);

  g_assert_cmpstr (cz_error_wire_code (cz), ==, "throttled");
  g_assert_cmpstr (cz_error_wire_code (io), ==, "internal");
  g_assert_cmpstr (cz_error_wire_code (NULL), ==, "internal");
}

/* Local time through the cached zone: the same as GLib's _local (). */
static void
test_local_time (void)
{
  const gint64 stamps[] = { 0, 1700000000123, 1782000000000 };

  for (guint i = 0; i < G_N_ELEMENTS (stamps); i++)
    {
      g_autoptr(GDateTime) ours = cz_local_time (stamps[i]);
      g_autoptr(GDateTime) glib = g_date_time_new_from_unix_local (stamps[i] / 1000);
      g_autofree char *a = g_date_time_format (ours, "%F %T %z");
      g_autofree char *b = g_date_time_format (glib, "%F %T %z");

      g_assert_cmpstr (a, ==, b);
    }
  g_assert_null (cz_local_time (G_MAXINT64));
}

int
main (int argc, char **argv)
{
  g_autofree char *data_home = NULL;
  g_autofree char *causerie_dir = NULL;
  int ret;

  /* A private XDG_DATA_HOME, set before GLib reads and caches it.  (Not
   * G_TEST_OPTION_ISOLATE_DIRS: in GLib 2.74 it leaks under LeakSanitizer.) */
  data_home = g_dir_make_tmp ("cz-crypto-data-XXXXXX", NULL);
  g_assert_nonnull (data_home);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/crypto/sha256", test_sha256);
  g_test_add_func ("/crypto/hmac-sha256/rfc4231", test_hmac_rfc4231);
  g_test_add_func ("/crypto/hkdf-sha256/rfc5869", test_hkdf_rfc5869);
  g_test_add_func ("/crypto/pbkdf2-sha256/rfc7914", test_pbkdf2);
  g_test_add_func ("/crypto/aes256-gcm/known-answers", test_gcm_known_answers);
  g_test_add_func ("/crypto/aes256-gcm/tamper", test_gcm_tamper);
  g_test_add_func ("/crypto/memeq-base64-random", test_memeq_base64_random);
  g_test_add_func ("/util/hex", test_hex);
  g_test_add_func ("/util/write-file-atomic", test_write_file_atomic);
  g_test_add_func ("/util/user-name", test_user_name);
  g_test_add_func ("/util/misc", test_misc_util);
  g_test_add_func ("/util/local-time", test_local_time);
  g_test_add_func ("/error/codes", test_error_codes);

  ret = g_test_run ();

  causerie_dir = g_build_filename (data_home, "causerie", NULL);
  g_rmdir (causerie_dir);
  g_rmdir (data_home);

  return ret;
}
