#include "config.h"

#include "cz-crypto.h"
#include "cz-util.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/gcm.h>
#include <nettle/hkdf.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/pbkdf2.h>
#include <nettle/sha2.h>

G_STATIC_ASSERT (CZ_SHA256_SIZE == SHA256_DIGEST_SIZE);
G_STATIC_ASSERT (CZ_AEAD_KEY_SIZE == AES256_KEY_SIZE);
G_STATIC_ASSERT (CZ_AEAD_TAG_SIZE == GCM_DIGEST_SIZE);
G_STATIC_ASSERT (CZ_AEAD_NONCE_SIZE == GCM_IV_SIZE);

void
cz_random_bytes (void *buf, gsize len)
{
  int ret;

  if (len == 0)
    return;

  g_return_if_fail (buf != NULL);

  /* Without randomness no key can be made: stop.  The GnuTLS code is
   * printed by number, since the one GnuTLS error mapper lives in tls/,
   * above this layer (and gnutls_rnd fails only if the kernel's source
   * does). */
  ret = gnutls_rnd (GNUTLS_RND_KEY, buf, len);
  if (ret < 0)
    g_error ("The random number generator failed (GnuTLS error %d)", ret);
}

void
cz_sha256 (const void *data, gsize len, guint8 out[CZ_SHA256_SIZE])
{
  struct sha256_ctx ctx;

  g_return_if_fail (data != NULL || len == 0);

  sha256_init (&ctx);
  sha256_update (&ctx, len, len > 0 ? data : (const void *) "");
  sha256_digest (&ctx, CZ_SHA256_SIZE, out);
}

void
cz_hmac_sha256 (const void *key, gsize key_len,
                const void *data, gsize data_len,
                guint8 out[CZ_SHA256_SIZE])
{
  struct hmac_sha256_ctx ctx;

  g_return_if_fail (key != NULL || key_len == 0);
  g_return_if_fail (data != NULL || data_len == 0);

  hmac_sha256_set_key (&ctx, key_len, key_len > 0 ? key : (const void *) "");
  hmac_sha256_update (&ctx, data_len, data_len > 0 ? data : (const void *) "");
  hmac_sha256_digest (&ctx, CZ_SHA256_SIZE, out);
  cz_memwipe (&ctx, sizeof ctx);
}

/* hkdf_extract()/hkdf_expand() take generic MAC callbacks; these adapters
 * have exactly the expected types, so no function pointer cast is needed. */
static void
hmac_update_cb (void *ctx, size_t len, const uint8_t *data)
{
  hmac_sha256_update (ctx, len, data);
}

static void
hmac_digest_cb (void *ctx, size_t len, uint8_t *digest)
{
  hmac_sha256_digest (ctx, len, digest);
}

void
cz_hkdf_sha256_extract (const void *salt, gsize salt_len,
                        const void *ikm, gsize ikm_len,
                        guint8 prk[CZ_SHA256_SIZE])
{
  struct hmac_sha256_ctx ctx;

  static const guint8 zero_salt[SHA256_DIGEST_SIZE] = { 0 };

  g_return_if_fail (salt != NULL || salt_len == 0);
  g_return_if_fail (ikm != NULL || ikm_len == 0);

  /* RFC 5869 §2.2: an absent salt is HashLen zero bytes. */
  if (salt_len == 0)
    hmac_sha256_set_key (&ctx, sizeof zero_salt, zero_salt);
  else
    hmac_sha256_set_key (&ctx, salt_len, salt);
  hkdf_extract (&ctx, hmac_update_cb, hmac_digest_cb, SHA256_DIGEST_SIZE,
                ikm_len, ikm_len > 0 ? ikm : (const void *) "", prk);
  cz_memwipe (&ctx, sizeof ctx);
}

void
cz_hkdf_sha256_expand (const guint8 prk[CZ_SHA256_SIZE],
                       const void *info, gsize info_len,
                       guint8 *out, gsize out_len)
{
  struct hmac_sha256_ctx ctx;

  /* RFC 5869 §2.3: L <= 255 * HashLen. */
  g_return_if_fail (out_len <= 255 * SHA256_DIGEST_SIZE);

  hmac_sha256_set_key (&ctx, CZ_SHA256_SIZE, prk);
  hkdf_expand (&ctx, hmac_update_cb, hmac_digest_cb, SHA256_DIGEST_SIZE,
               info_len, info_len > 0 ? info : (const void *) "", out_len, out);
  cz_memwipe (&ctx, sizeof ctx);
}

void
cz_pbkdf2_sha256 (const void *password, gsize password_len,
                  const void *salt, gsize salt_len,
                  guint iterations, guint8 *out, gsize out_len)
{
  g_return_if_fail (iterations > 0);
  g_return_if_fail (out != NULL || out_len == 0);

  if (out_len == 0)
    return;

  pbkdf2_hmac_sha256 (password_len,
                      password_len > 0 ? password : (const void *) "",
                      iterations, salt_len,
                      salt_len > 0 ? salt : (const void *) "", out_len, out);
}

void
cz_aes256_gcm_seal_with (struct gcm_aes256_ctx *ctx, const guint8 nonce[CZ_AEAD_NONCE_SIZE],
                         const void *ad, gsize ad_len, const void *in, gsize len, guint8 *out)
{
  g_return_if_fail (out != NULL);

  gcm_aes256_set_iv (ctx, GCM_IV_SIZE, nonce);
  if (ad_len > 0)
    gcm_aes256_update (ctx, ad_len, ad);
  if (len > 0)
    gcm_aes256_encrypt (ctx, len, out, in);
  gcm_aes256_digest (ctx, GCM_DIGEST_SIZE, out + len);
}

gboolean
cz_aes256_gcm_open_with (struct gcm_aes256_ctx *ctx, const guint8 nonce[CZ_AEAD_NONCE_SIZE],
                         const void *ad, gsize ad_len, const void *in, gsize len, guint8 *out)
{
  guint8 tag[GCM_DIGEST_SIZE];
  guint8 expected[GCM_DIGEST_SIZE];
  gsize plain_len;
  gboolean ok;

  g_return_val_if_fail (in != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (len < GCM_DIGEST_SIZE)
    return FALSE;

  plain_len = len - GCM_DIGEST_SIZE;
  /* Copy the tag first: @out may equal @in. */
  memcpy (expected, (const guint8 *) in + plain_len, GCM_DIGEST_SIZE);

  gcm_aes256_set_iv (ctx, GCM_IV_SIZE, nonce);
  if (ad_len > 0)
    gcm_aes256_update (ctx, ad_len, ad);
  if (plain_len > 0)
    gcm_aes256_decrypt (ctx, plain_len, out, in);
  gcm_aes256_digest (ctx, GCM_DIGEST_SIZE, tag);

  ok = memeql_sec (tag, expected, GCM_DIGEST_SIZE) != 0;
  if (!ok)
    cz_memwipe (out, plain_len);   /* never hand out unauthenticated data */

  return ok;
}

void
cz_aes256_gcm_seal (const guint8 key[CZ_AEAD_KEY_SIZE],
                    const guint8 nonce[CZ_AEAD_NONCE_SIZE],
                    const void *ad, gsize ad_len,
                    const void *in, gsize len, guint8 *out)
{
  struct gcm_aes256_ctx ctx;

  gcm_aes256_set_key (&ctx, key);
  cz_aes256_gcm_seal_with (&ctx, nonce, ad, ad_len, in, len, out);
  cz_memwipe (&ctx, sizeof ctx);
}

gboolean
cz_aes256_gcm_open (const guint8 key[CZ_AEAD_KEY_SIZE],
                    const guint8 nonce[CZ_AEAD_NONCE_SIZE],
                    const void *ad, gsize ad_len,
                    const void *in, gsize len, guint8 *out)
{
  struct gcm_aes256_ctx ctx;
  gboolean ok;

  gcm_aes256_set_key (&ctx, key);
  ok = cz_aes256_gcm_open_with (&ctx, nonce, ad, ad_len, in, len, out);
  cz_memwipe (&ctx, sizeof ctx);
  return ok;
}

gboolean
cz_memeq_ct (const void *a, const void *b, gsize len)
{
  if (len == 0)
    return TRUE;

  return memeql_sec (a, b, len) != 0;
}

char *
cz_base64_encode (const guint8 *data, gsize len)
{
  return g_base64_encode (data, len);
}
