/* cz-crypto.h: the primitives Causerie uses, all from Nettle (and the
 * GnuTLS random generator).  Thin, tested against RFC vectors. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CZ_SHA256_SIZE 32
#define CZ_AEAD_KEY_SIZE 32
#define CZ_AEAD_TAG_SIZE 16
#define CZ_AEAD_NONCE_SIZE 12

/* Fills @buf with @len bytes from a cryptographic generator
 * (gnutls_rnd GNUTLS_RND_KEY).  Aborts if the generator fails. */
void cz_random_bytes (void *buf, gsize len);

void cz_sha256 (const void *data, gsize len, guint8 out[CZ_SHA256_SIZE]);
void cz_hmac_sha256 (const void *key, gsize key_len,
                     const void *data, gsize data_len,
                     guint8 out[CZ_SHA256_SIZE]);

/* RFC 5869 HKDF with SHA-256. */
void cz_hkdf_sha256_extract (const void *salt, gsize salt_len,
                             const void *ikm, gsize ikm_len,
                             guint8 prk[CZ_SHA256_SIZE]);
void cz_hkdf_sha256_expand (const guint8 prk[CZ_SHA256_SIZE],
                            const void *info, gsize info_len,
                            guint8 *out, gsize out_len);

/* PBKDF2-HMAC-SHA-256 (RFC 8018). */
void cz_pbkdf2_sha256 (const void *password, gsize password_len,
                       const void *salt, gsize salt_len,
                       guint iterations, guint8 *out, gsize out_len);

/* AES-256-GCM.  Seal writes @len bytes of ciphertext followed by the 16-byte
 * tag into @out (which must hold len + 16 bytes; it may equal @in).  Open
 * takes @len = ciphertext + tag, writes len - 16 bytes of plaintext, and
 * returns FALSE (writing nothing usable) when the tag does not verify. */
void cz_aes256_gcm_seal (const guint8 key[CZ_AEAD_KEY_SIZE],
                         const guint8 nonce[CZ_AEAD_NONCE_SIZE],
                         const void *ad, gsize ad_len,
                         const void *in, gsize len, guint8 *out);
gboolean cz_aes256_gcm_open (const guint8 key[CZ_AEAD_KEY_SIZE],
                             const guint8 nonce[CZ_AEAD_NONCE_SIZE],
                             const void *ad, gsize ad_len,
                             const void *in, gsize len, guint8 *out);

/* The same with a key already expanded (gcm_aes256_set_key), for callers
 * that seal many frames with one key. */
struct gcm_aes256_ctx;
void cz_aes256_gcm_seal_with (struct gcm_aes256_ctx *ctx,
                              const guint8 nonce[CZ_AEAD_NONCE_SIZE],
                              const void *ad, gsize ad_len,
                              const void *in, gsize len, guint8 *out);
gboolean cz_aes256_gcm_open_with (struct gcm_aes256_ctx *ctx,
                                  const guint8 nonce[CZ_AEAD_NONCE_SIZE],
                                  const void *ad, gsize ad_len,
                                  const void *in, gsize len, guint8 *out);

/* Constant-time comparison. */
gboolean cz_memeq_ct (const void *a, const void *b, gsize len);

/* Base64 helpers (GLib's, wrapped for GBytes). */
char *cz_base64_encode (const guint8 *data, gsize len);

G_END_DECLS
