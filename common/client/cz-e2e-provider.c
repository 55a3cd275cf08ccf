/* cz-e2e-provider.c: libomemo-c's crypto callbacks (signal_crypto_provider)
 * from GnuTLS (random) and Nettle (HMAC-SHA256, SHA-512, AES-CBC with
 * PKCS#5 padding, AES-CTR), and the context's recursive lock.
 *
 * libomemo-c does the X3DH and the Double Ratchet; it asks its host for
 * these primitives only.  Each callback answers 0 or a negative SG_ERR_*
 * code as the library expects; buffers it gets are signal_buffers. */
#include "config.h"

#include "cz-e2e-private.h"

#include <string.h>
#include <gnutls/crypto.h>
#include <nettle/aes.h>
#include <nettle/cbc.h>
#include <nettle/ctr.h>
#include <nettle/hmac.h>
#include <nettle/nettle-meta.h>
#include <nettle/sha2.h>

static int
random_cb (uint8_t *data, size_t len, void *user_data)
{
  return gnutls_rnd (GNUTLS_RND_KEY, data, len) == 0 ? SG_SUCCESS : SG_ERR_UNKNOWN;
}

static int
hmac_init_cb (void **context, const uint8_t *key, size_t key_len, void *user_data)
{
  struct hmac_sha256_ctx *ctx = g_new0 (struct hmac_sha256_ctx, 1);

  hmac_sha256_set_key (ctx, key_len, key);
  *context = ctx;
  return SG_SUCCESS;
}

static int
hmac_update_cb (void *context, const uint8_t *data, size_t len, void *user_data)
{
  hmac_sha256_update (context, len, data);
  return SG_SUCCESS;
}

static int
hmac_final_cb (void *context, signal_buffer **output, void *user_data)
{
  signal_buffer *out = signal_buffer_alloc (SHA256_DIGEST_SIZE);

  if (out == NULL)
    return SG_ERR_NOMEM;
  hmac_sha256_digest (context, SHA256_DIGEST_SIZE, signal_buffer_data (out));
  *output = out;
  return SG_SUCCESS;
}

static void
hmac_cleanup_cb (void *context, void *user_data)
{
  if (context == NULL)
    return;
  memset (context, 0, sizeof (struct hmac_sha256_ctx));
  g_free (context);
}

static int
sha512_init_cb (void **context, void *user_data)
{
  struct sha512_ctx *ctx = g_new0 (struct sha512_ctx, 1);

  sha512_init (ctx);
  *context = ctx;
  return SG_SUCCESS;
}

static int
sha512_update_cb (void *context, const uint8_t *data, size_t len, void *user_data)
{
  sha512_update (context, len, data);
  return SG_SUCCESS;
}

static int
sha512_final_cb (void *context, signal_buffer **output, void *user_data)
{
  signal_buffer *out = signal_buffer_alloc (SHA512_DIGEST_SIZE);

  if (out == NULL)
    return SG_ERR_NOMEM;
  /* Nettle's digest also resets the context, as the library expects. */
  sha512_digest (context, SHA512_DIGEST_SIZE, signal_buffer_data (out));
  *output = out;
  return SG_SUCCESS;
}

static void
sha512_cleanup_cb (void *context, void *user_data)
{
  if (context == NULL)
    return;
  memset (context, 0, sizeof (struct sha512_ctx));
  g_free (context);
}

/* AES by key length (16, 24 or 32 bytes). */
static const struct nettle_cipher *
aes_for (size_t key_len)
{
  switch (key_len)
    {
    case 16: return &nettle_aes128;
    case 24: return &nettle_aes192;
    case 32: return &nettle_aes256;
    default: return NULL;
    }
}

typedef union {
  struct aes128_ctx a128;
  struct aes192_ctx a192;
  struct aes256_ctx a256;
} AesCtx;

static int
crypt_cb (gboolean encrypt, signal_buffer **output, int cipher,
          const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len,
          const uint8_t *input, size_t input_len)
{
  const struct nettle_cipher *aes = aes_for (key_len);
  AesCtx ctx;
  guint8 ivbuf[AES_BLOCK_SIZE];
  signal_buffer *out;
  int rc = SG_SUCCESS;

  if (aes == NULL || iv_len != AES_BLOCK_SIZE)
    return SG_ERR_INVAL;
  memcpy (ivbuf, iv, AES_BLOCK_SIZE);

  switch (cipher)
    {
    case SG_CIPHER_AES_CTR_NOPADDING:
      aes->set_encrypt_key (&ctx, key);
      out = signal_buffer_alloc (input_len);
      if (out == NULL)
        return SG_ERR_NOMEM;
      ctr_crypt (&ctx, aes->encrypt, AES_BLOCK_SIZE, ivbuf, input_len,
                 signal_buffer_data (out), input);
      break;

    case SG_CIPHER_AES_CBC_PKCS5:
      if (encrypt)
        {
          size_t pad = AES_BLOCK_SIZE - input_len % AES_BLOCK_SIZE;
          size_t total = input_len + pad;
          g_autofree guint8 *padded = g_malloc (total);

          memcpy (padded, input, input_len);
          memset (padded + input_len, (int) pad, pad);
          aes->set_encrypt_key (&ctx, key);
          out = signal_buffer_alloc (total);
          if (out == NULL)
            return SG_ERR_NOMEM;
          cbc_encrypt (&ctx, aes->encrypt, AES_BLOCK_SIZE, ivbuf, total,
                       signal_buffer_data (out), padded);
          memset (padded, 0, total);
        }
      else
        {
          guint8 *plain;
          size_t pad;

          if (input_len == 0 || input_len % AES_BLOCK_SIZE != 0)
            return SG_ERR_INVALID_MESSAGE;
          aes->set_decrypt_key (&ctx, key);
          out = signal_buffer_alloc (input_len);
          if (out == NULL)
            return SG_ERR_NOMEM;
          plain = signal_buffer_data (out);
          cbc_decrypt (&ctx, aes->decrypt, AES_BLOCK_SIZE, ivbuf, input_len, plain, input);
          /* PKCS#5: n bytes of value n, 1 ≤ n ≤ 16.  The MAC was checked
           * before (the ratchet authenticates, then decrypts), so this
           * only catches a sender's fault. */
          pad = plain[input_len - 1];
          for (size_t i = 0; i < pad && pad >= 1 && pad <= AES_BLOCK_SIZE; i++)
            if (plain[input_len - 1 - i] != pad)
              pad = 0;
          if (pad < 1 || pad > AES_BLOCK_SIZE)
            {
              signal_buffer_bzero_free (out);
              rc = SG_ERR_INVALID_MESSAGE;
              break;
            }
          {
            signal_buffer *trimmed = signal_buffer_create (plain, input_len - pad);

            signal_buffer_bzero_free (out);
            out = trimmed;
            if (out == NULL)
              rc = SG_ERR_NOMEM;
          }
        }
      break;

    default:
      return SG_ERR_INVAL;
    }

  memset (&ctx, 0, sizeof ctx);
  if (rc == SG_SUCCESS)
    *output = out;
  return rc;
}

static int
encrypt_cb (signal_buffer **output, int cipher, const uint8_t *key, size_t key_len,
            const uint8_t *iv, size_t iv_len, const uint8_t *plaintext, size_t plaintext_len,
            void *user_data)
{
  return crypt_cb (TRUE, output, cipher, key, key_len, iv, iv_len, plaintext, plaintext_len);
}

static int
decrypt_cb (signal_buffer **output, int cipher, const uint8_t *key, size_t key_len,
            const uint8_t *iv, size_t iv_len, const uint8_t *ciphertext, size_t ciphertext_len,
            void *user_data)
{
  return crypt_cb (FALSE, output, cipher, key, key_len, iv, iv_len, ciphertext, ciphertext_len);
}

static void
lock_cb (void *user_data)
{
  g_rec_mutex_lock (user_data);
}

static void
unlock_cb (void *user_data)
{
  g_rec_mutex_unlock (user_data);
}

static void
log_cb (int level, const char *message, size_t len, void *user_data)
{
  if (level <= SG_LOG_WARNING)
    g_debug ("libomemo-c: %.*s", (int) len, message);
}

static const signal_crypto_provider provider = {
  .random_func = random_cb,
  .hmac_sha256_init_func = hmac_init_cb,
  .hmac_sha256_update_func = hmac_update_cb,
  .hmac_sha256_final_func = hmac_final_cb,
  .hmac_sha256_cleanup_func = hmac_cleanup_cb,
  .sha512_digest_init_func = sha512_init_cb,
  .sha512_digest_update_func = sha512_update_cb,
  .sha512_digest_final_func = sha512_final_cb,
  .sha512_digest_cleanup_func = sha512_cleanup_cb,
  .encrypt_func = encrypt_cb,
  .decrypt_func = decrypt_cb,
};

const signal_crypto_provider *
cz_e2e_crypto_provider (void)
{
  return &provider;
}

signal_context *
cz_e2e_context_new (GRecMutex *lock)
{
  signal_context *ctx = NULL;

  if (signal_context_create (&ctx, lock) != SG_SUCCESS)
    return NULL;
  if (signal_context_set_crypto_provider (ctx, &provider) != SG_SUCCESS ||
      signal_context_set_locking_functions (ctx, lock_cb, unlock_cb) != SG_SUCCESS ||
      signal_context_set_log_function (ctx, log_cb) != SG_SUCCESS)
    {
      signal_context_destroy (ctx);
      return NULL;
    }
  return ctx;
}
