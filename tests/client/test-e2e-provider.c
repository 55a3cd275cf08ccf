/* test-e2e-provider.c: libomemo-c's crypto callbacks from Nettle/GnuTLS
 * (common/client/cz-e2e-provider.c) against published known answers:
 * NIST SP 800-38A F.2.5/F.2.6 (AES-256-CBC) and F.5.5/F.5.6 (AES-256-CTR),
 * RFC 4231 test case 2 (HMAC-SHA-256), FIPS 180-2 "abc" (SHA-512); PKCS#5
 * padding added on encryption and checked on decryption. */
#include "config.h"

#include <string.h>

#include "cz-e2e-private.h"

static const char *key256 = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
static const char *plain64 =
  "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
  "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
static const char *cbc_iv = "000102030405060708090a0b0c0d0e0f";
static const char *cbc_ct =
  "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
  "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b";
static const char *ctr_iv = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
static const char *ctr_ct =
  "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
  "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6";

static GBytes *
hex (const char *h)
{
  gsize len = strlen (h) / 2;
  guint8 *d = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    d[i] = (g_ascii_xdigit_value (h[2 * i]) << 4) | g_ascii_xdigit_value (h[2 * i + 1]);
  return g_bytes_new_take (d, len);
}

static void
assert_buffer (signal_buffer *buf, const guint8 *expect, gsize len)
{
  g_assert_nonnull (buf);
  g_assert_cmpmem (signal_buffer_data (buf), signal_buffer_len (buf), expect, len);
}

static int
run_cipher (gboolean enc, int cipher, GBytes *key, GBytes *iv, const guint8 *in, gsize len,
       signal_buffer **out)
{
  const signal_crypto_provider *p = cz_e2e_crypto_provider ();

  *out = NULL;
  return (enc ? p->encrypt_func : p->decrypt_func)
           (out, cipher, g_bytes_get_data (key, NULL), g_bytes_get_size (key),
            g_bytes_get_data (iv, NULL), g_bytes_get_size (iv), in, len, p->user_data);
}

static void
test_aes_cbc (void)
{
  g_autoptr(GBytes) key = hex (key256), iv = hex (cbc_iv);
  g_autoptr(GBytes) pt = hex (plain64), ct = hex (cbc_ct);
  signal_buffer *out = NULL, *back = NULL;

  /* 64 bytes of plaintext gain a whole block of padding: the first four
   * blocks are the vector's. */
  g_assert_cmpint (run_cipher (TRUE, SG_CIPHER_AES_CBC_PKCS5, key, iv, g_bytes_get_data (pt, NULL), 64, &out), ==, 0);
  g_assert_cmpuint (signal_buffer_len (out), ==, 80);
  g_assert_cmpmem (signal_buffer_data (out), 64, g_bytes_get_data (ct, NULL), 64);
  g_assert_cmpint (run_cipher (FALSE, SG_CIPHER_AES_CBC_PKCS5, key, iv, signal_buffer_data (out), 80, &back), ==, 0);
  assert_buffer (back, g_bytes_get_data (pt, NULL), 64);
  signal_buffer_free (out);
  signal_buffer_free (back);

  /* The vector's ciphertext alone decrypts to a last byte 0x10 without
   * sixteen of them: bad padding, refused. */
  g_assert_cmpint (run_cipher (FALSE, SG_CIPHER_AES_CBC_PKCS5, key, iv, g_bytes_get_data (ct, NULL), 64, &back), ==, SG_ERR_INVALID_MESSAGE);
  g_assert_null (back);
  /* Not a whole number of blocks, or nothing. */
  g_assert_cmpint (run_cipher (FALSE, SG_CIPHER_AES_CBC_PKCS5, key, iv, g_bytes_get_data (ct, NULL), 63, &back), ==, SG_ERR_INVALID_MESSAGE);
  g_assert_cmpint (run_cipher (FALSE, SG_CIPHER_AES_CBC_PKCS5, key, iv, g_bytes_get_data (ct, NULL), 0, &back), ==, SG_ERR_INVALID_MESSAGE);

  /* Short messages: 5 bytes → one block with 11 bytes of padding. */
  g_assert_cmpint (run_cipher (TRUE, SG_CIPHER_AES_CBC_PKCS5, key, iv, (const guint8 *) "hello", 5, &out), ==, 0);
  g_assert_cmpuint (signal_buffer_len (out), ==, 16);
  g_assert_cmpint (run_cipher (FALSE, SG_CIPHER_AES_CBC_PKCS5, key, iv, signal_buffer_data (out), 16, &back), ==, 0);
  assert_buffer (back, (const guint8 *) "hello", 5);
  signal_buffer_free (out);
  signal_buffer_free (back);
}

static void
test_aes_ctr (void)
{
  g_autoptr(GBytes) key = hex (key256), iv = hex (ctr_iv);
  g_autoptr(GBytes) pt = hex (plain64), ct = hex (ctr_ct);
  signal_buffer *out = NULL;

  g_assert_cmpint (run_cipher (TRUE, SG_CIPHER_AES_CTR_NOPADDING, key, iv, g_bytes_get_data (pt, NULL), 64, &out), ==, 0);
  assert_buffer (out, g_bytes_get_data (ct, NULL), 64);
  signal_buffer_free (out);
  g_assert_cmpint (run_cipher (FALSE, SG_CIPHER_AES_CTR_NOPADDING, key, iv, g_bytes_get_data (ct, NULL), 64, &out), ==, 0);
  assert_buffer (out, g_bytes_get_data (pt, NULL), 64);
  signal_buffer_free (out);
  /* No padding: any length. */
  g_assert_cmpint (run_cipher (TRUE, SG_CIPHER_AES_CTR_NOPADDING, key, iv, g_bytes_get_data (pt, NULL), 7, &out), ==, 0);
  assert_buffer (out, g_bytes_get_data (ct, NULL), 7);
  signal_buffer_free (out);
}

static void
test_bad_parameters (void)
{
  g_autoptr(GBytes) key = hex (key256), iv = hex (cbc_iv);
  g_autoptr(GBytes) short_key = hex ("0001020304");
  g_autoptr(GBytes) short_iv = hex ("00010203");
  signal_buffer *out = NULL;

  g_assert_cmpint (run_cipher (TRUE, SG_CIPHER_AES_CBC_PKCS5, short_key, iv, (const guint8 *) "x", 1, &out), ==, SG_ERR_INVAL);
  g_assert_cmpint (run_cipher (TRUE, SG_CIPHER_AES_CBC_PKCS5, key, short_iv, (const guint8 *) "x", 1, &out), ==, SG_ERR_INVAL);
  g_assert_cmpint (run_cipher (TRUE, 99, key, iv, (const guint8 *) "x", 1, &out), ==, SG_ERR_INVAL);
  g_assert_null (out);
}

static void
test_hmac_sha256 (void)
{
  const signal_crypto_provider *p = cz_e2e_crypto_provider ();
  g_autoptr(GBytes) expect = hex ("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const char *data = "what do ya want for nothing?";
  void *ctx = NULL;
  signal_buffer *out = NULL;

  g_assert_cmpint (p->hmac_sha256_init_func (&ctx, (const guint8 *) "Jefe", 4, p->user_data), ==, 0);
  /* In two pieces: the context carries over. */
  g_assert_cmpint (p->hmac_sha256_update_func (ctx, (const guint8 *) data, 10, p->user_data), ==, 0);
  g_assert_cmpint (p->hmac_sha256_update_func (ctx, (const guint8 *) data + 10, strlen (data) - 10, p->user_data), ==, 0);
  g_assert_cmpint (p->hmac_sha256_final_func (ctx, &out, p->user_data), ==, 0);
  p->hmac_sha256_cleanup_func (ctx, p->user_data);
  assert_buffer (out, g_bytes_get_data (expect, NULL), 32);
  signal_buffer_free (out);
}

static void
test_sha512 (void)
{
  const signal_crypto_provider *p = cz_e2e_crypto_provider ();
  g_autoptr(GBytes) expect =
    hex ("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
         "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  void *ctx = NULL;
  signal_buffer *out = NULL;

  g_assert_cmpint (p->sha512_digest_init_func (&ctx, p->user_data), ==, 0);
  g_assert_cmpint (p->sha512_digest_update_func (ctx, (const guint8 *) "a", 1, p->user_data), ==, 0);
  g_assert_cmpint (p->sha512_digest_update_func (ctx, (const guint8 *) "bc", 2, p->user_data), ==, 0);
  g_assert_cmpint (p->sha512_digest_final_func (ctx, &out, p->user_data), ==, 0);
  assert_buffer (out, g_bytes_get_data (expect, NULL), 64);
  signal_buffer_free (out);
  /* The context is fresh again after final (libomemo-c reuses it). */
  g_assert_cmpint (p->sha512_digest_update_func (ctx, (const guint8 *) "abc", 3, p->user_data), ==, 0);
  g_assert_cmpint (p->sha512_digest_final_func (ctx, &out, p->user_data), ==, 0);
  assert_buffer (out, g_bytes_get_data (expect, NULL), 64);
  signal_buffer_free (out);
  p->sha512_digest_cleanup_func (ctx, p->user_data);
}

static void
test_random (void)
{
  const signal_crypto_provider *p = cz_e2e_crypto_provider ();
  guint8 a[32] = { 0 }, b[32] = { 0 }, zero[32] = { 0 };

  g_assert_cmpint (p->random_func (a, sizeof a, p->user_data), ==, 0);
  g_assert_cmpint (p->random_func (b, sizeof b, p->user_data), ==, 0);
  g_assert_true (memcmp (a, zero, 32) != 0);
  g_assert_true (memcmp (a, b, 32) != 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/e2e-provider/aes-256-cbc", test_aes_cbc);
  g_test_add_func ("/e2e-provider/aes-256-ctr", test_aes_ctr);
  g_test_add_func ("/e2e-provider/bad-parameters", test_bad_parameters);
  g_test_add_func ("/e2e-provider/hmac-sha256", test_hmac_sha256);
  g_test_add_func ("/e2e-provider/sha512", test_sha512);
  g_test_add_func ("/e2e-provider/random", test_random);
  return g_test_run ();
}
