#include "config.h"

#include "cz-dh.h"
#include "cz-crypto.h"
#include "cz-error.h"
#include "cz-util.h"

#include <string.h>

#include <gmp.h>
#include <glib/gi18n-lib.h>
#include <nettle/curve25519.h>

/* RFC 7919 appendix A.1 and A.2, lower-case hex, no separators.  They equal
 * 2^b - 2^(b-64) + ([2^(b-130) e] + X) * 2^64 - 1, and the tests compare them
 * with GnuTLS's own copies. */
static const char ffdhe2048_prime_hex[] =
  "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695"
  "a9e13641146433fbcc939dce249b3ef97d2fe363630c75d8f681b202aec4617a"
  "d3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935"
  "984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797a"
  "bc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4"
  "ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f61"
  "9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005"
  "c58ef1837d1683b2c6f34a26c1b2effa886b423861285c97ffffffffffffffff";

static const char ffdhe3072_prime_hex[] =
  "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695"
  "a9e13641146433fbcc939dce249b3ef97d2fe363630c75d8f681b202aec4617a"
  "d3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935"
  "984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797a"
  "bc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4"
  "ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f61"
  "9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005"
  "c58ef1837d1683b2c6f34a26c1b2effa886b4238611fcfdcde355b3b6519035b"
  "bc34f4def99c023861b46fc9d6e6c9077ad91d2691f7f7ee598cb0fac186d91c"
  "aefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff"
  "5cae82ab9c9df69ee86d2bc522363a0dabc521979b0deada1dbf9a42d5c4484e"
  "0abcd06bfa53ddef3c1b20ee3fd59d7c25e41d2b66c62e37ffffffffffffffff";

/* 2^255 - 19 */
static const char x25519_prime_hex[] =
  "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed";

#define CZ_DH_MAX_SIZE 384

typedef struct {
  const char *name;
  gsize value_size;        /* bytes of public values and of Z */
  gsize private_size;      /* bytes of a fresh private value */
  const char *prime_hex;
  const char *prime_formula;
  const char *generator;
} GroupInfo;

static const GroupInfo groups[] = {
  [CZ_DH_X25519] = { "x25519", CURVE25519_SIZE, CURVE25519_SIZE,
                     x25519_prime_hex, "2^255 - 19", "u = 9" },
  /* RFC 7919 §5.2: exponents of twice the security strength; 256 and 320
   * bits are the conventional choices for these two groups. */
  [CZ_DH_FFDHE2048] = { "ffdhe2048", 256, 256 / 8,
                        ffdhe2048_prime_hex, NULL, "2" },
  [CZ_DH_FFDHE3072] = { "ffdhe3072", 384, 320 / 8,
                        ffdhe3072_prime_hex, NULL, "2" },
};

G_STATIC_ASSERT (sizeof ffdhe2048_prime_hex == 2 * 256 + 1);
G_STATIC_ASSERT (sizeof ffdhe3072_prime_hex == 2 * 384 + 1);
G_STATIC_ASSERT (sizeof x25519_prime_hex == 2 * 32 + 1);

struct _CzDhKey {
  CzDhGroup group;
  gsize private_len;
  /* x25519: the clamped scalar; ffdhe: the big-endian exponent. */
  guint8 private_value[CZ_DH_MAX_SIZE];
  guint8 public_value[CZ_DH_MAX_SIZE];
};

static const GroupInfo *
group_info (CzDhGroup group)
{
  if ((guint) group >= G_N_ELEMENTS (groups))
    return NULL;

  return &groups[group];
}

G_DEFINE_ENUM_TYPE (CzDhGroup, cz_dh_group,
  G_DEFINE_ENUM_VALUE (CZ_DH_X25519, "x25519"),
  G_DEFINE_ENUM_VALUE (CZ_DH_FFDHE2048, "ffdhe2048"),
  G_DEFINE_ENUM_VALUE (CZ_DH_FFDHE3072, "ffdhe3072"))

const char *
cz_dh_group_name (CzDhGroup group)
{
  const GroupInfo *info = group_info (group);

  g_return_val_if_fail (info != NULL, NULL);

  return info->name;
}

gboolean
cz_dh_group_from_name (const char *name, CzDhGroup *group, GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (groups); i++)
    {
      if (g_str_equal (name, groups[i].name))
        {
          if (group != NULL)
            *group = (CzDhGroup) i;
          return TRUE;
        }
    }

  g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID,
               _("Unknown Diffie-Hellman group “%s” (expected x25519, ffdhe2048 or ffdhe3072)"),
               name != NULL ? name : "");
  return FALSE;
}

gsize
cz_dh_group_value_size (CzDhGroup group)
{
  const GroupInfo *info = group_info (group);

  g_return_val_if_fail (info != NULL, 0);

  return info->value_size;
}

const char *
cz_dh_group_prime_formula (CzDhGroup group)
{
  const GroupInfo *info = group_info (group);

  g_return_val_if_fail (info != NULL, NULL);

  return info->prime_formula;
}

const char *
cz_dh_group_prime_hex (CzDhGroup group)
{
  const GroupInfo *info = group_info (group);

  g_return_val_if_fail (info != NULL, NULL);

  return info->prime_hex;
}

const char *
cz_dh_group_generator (CzDhGroup group)
{
  const GroupInfo *info = group_info (group);

  g_return_val_if_fail (info != NULL, NULL);

  return info->generator;
}

/* --- secrets in GBytes: wiped when the last reference goes --------------- */

typedef struct {
  gsize len;
  guint8 data[];
} SecretBuf;

static void
secret_buf_free (gpointer data)
{
  SecretBuf *buf = data;

  cz_memwipe (buf->data, buf->len);
  g_free (buf);
}

static GBytes *
secret_bytes_new (const guint8 *data, gsize len)
{
  SecretBuf *buf = g_malloc (sizeof *buf + len);

  buf->len = len;
  memcpy (buf->data, data, len);

  return g_bytes_new_with_free_func (buf->data, len, secret_buf_free, buf);
}

/* --- GMP helpers ---------------------------------------------------------- */

/* Overwrites the limbs of @x before releasing them.  (GMP's internal
 * temporaries cannot be reached; this is what is practical.) */
static void
z_wipe_clear (mpz_t x)
{
  size_t n = mpz_size (x);

  if (n > 0)
    cz_memwipe (mpz_limbs_modify (x, (mp_size_t) n), n * sizeof (mp_limb_t));
  mpz_clear (x);
}

static void
z_from_be (mpz_t x, const guint8 *data, gsize len)
{
  mpz_import (x, len, 1, 1, 1, 0, data);
}

/* Big-endian, left-padded to @size bytes; @x must fit. */
static void
z_to_be (guint8 *out, gsize size, const mpz_t x)
{
  gsize needed = (mpz_sizeinbase (x, 2) + 7) / 8;

  g_assert (needed <= size);

  memset (out, 0, size);
  mpz_export (out + size - needed, NULL, 1, 1, 1, 0, x);
}

/* out = base^exponent mod p, with the exponent given as big-endian bytes.
 * The exponent must be non-zero (mpz_powm_sec requires exp > 0). */
static void
ffdhe_powm (const GroupInfo *info,
            const mpz_t      base,
            const guint8    *exponent,
            gsize            exponent_len,
            guint8          *out)
{
  mpz_t p, x, r;

  mpz_init_set_str (p, info->prime_hex, 16);
  mpz_init2 (x, exponent_len * 8 + GMP_NUMB_BITS);
  mpz_init2 (r, info->value_size * 8 + GMP_NUMB_BITS);

  z_from_be (x, exponent, exponent_len);
  g_assert (mpz_sgn (x) > 0);

  mpz_powm_sec (r, base, x, p);
  z_to_be (out, info->value_size, r);

  z_wipe_clear (r);
  z_wipe_clear (x);
  mpz_clear (p);
}

static gboolean
is_all_zero (const guint8 *data, gsize len)
{
  guint8 acc = 0;

  for (gsize i = 0; i < len; i++)
    acc |= data[i];

  return acc == 0;
}

/* True when the big-endian value is 0 or 1. */
static gboolean
be_is_zero_or_one (const guint8 *data, gsize len)
{
  return len == 0 || (is_all_zero (data, len - 1) && data[len - 1] <= 1);
}

static void
x25519_clamp (guint8 k[CURVE25519_SIZE])
{
  /* RFC 7748 §5 decodeScalar25519. */
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
}

/* --- keys ----------------------------------------------------------------- */

static void
compute_public (CzDhKey *key)
{
  const GroupInfo *info = group_info (key->group);

  if (key->group == CZ_DH_X25519)
    {
      curve25519_mul_g (key->public_value, key->private_value);
    }
  else
    {
      mpz_t g;

      mpz_init_set_ui (g, 2);
      ffdhe_powm (info, g, key->private_value, key->private_len,
                  key->public_value);
      mpz_clear (g);
    }
}

CzDhKey *
cz_dh_key_new (CzDhGroup group)
{
  const GroupInfo *info = group_info (group);
  CzDhKey *key;

  g_return_val_if_fail (info != NULL, NULL);

  key = g_new0 (CzDhKey, 1);
  key->group = group;
  key->private_len = info->private_size;

  do
    cz_random_bytes (key->private_value, key->private_len);
  while (group != CZ_DH_X25519 &&
         be_is_zero_or_one (key->private_value, key->private_len));

  if (group == CZ_DH_X25519)
    x25519_clamp (key->private_value);

  compute_public (key);

  return key;
}

CzDhKey *
cz_dh_key_new_from_private (CzDhGroup group, const guint8 *priv, gsize len)
{
  const GroupInfo *info = group_info (group);
  CzDhKey *key;

  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (priv != NULL, NULL);
  if (group == CZ_DH_X25519)
    g_return_val_if_fail (len == CURVE25519_SIZE, NULL);
  else
    g_return_val_if_fail (len >= 1 && len <= info->value_size &&
                          !is_all_zero (priv, len), NULL);

  key = g_new0 (CzDhKey, 1);
  key->group = group;
  key->private_len = len;
  memcpy (key->private_value, priv, len);

  if (group == CZ_DH_X25519)
    x25519_clamp (key->private_value);

  compute_public (key);

  return key;
}

void
cz_dh_key_free (CzDhKey *key)
{
  if (key == NULL)
    return;

  cz_memwipe (key, sizeof *key);
  g_free (key);
}

CzDhGroup
cz_dh_key_get_group (const CzDhKey *key)
{
  g_return_val_if_fail (key != NULL, CZ_DH_X25519);

  return key->group;
}

GBytes *
cz_dh_key_get_public (const CzDhKey *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  return g_bytes_new (key->public_value, groups[key->group].value_size);
}

GBytes *
cz_dh_key_get_private (const CzDhKey *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  return secret_bytes_new (key->private_value, key->private_len);
}

gboolean
cz_dh_check_public (CzDhGroup group, const guint8 *pub, gsize len, GError **error)
{
  const GroupInfo *info = group_info (group);
  mpz_t p, y;
  gboolean in_range;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (info == NULL)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                           _("Unknown Diffie-Hellman group"));
      return FALSE;
    }

  if (pub == NULL || len != info->value_size)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_KEY,
                   _("The peer's Diffie-Hellman public value has the wrong length (%u bytes instead of %u)"),
                   (guint) (pub != NULL ? len : 0), (guint) info->value_size);
      return FALSE;
    }

  /* x25519: every 32-byte string is a valid u-coordinate (RFC 7748 §5);
   * small-order points are caught by the all-zero Z check in derive. */
  if (group == CZ_DH_X25519)
    return TRUE;

  /* RFC 7919 §5.1: 1 < y < p - 1. */
  mpz_init_set_str (p, info->prime_hex, 16);
  mpz_sub_ui (p, p, 2);
  mpz_init (y);
  z_from_be (y, pub, len);
  in_range = mpz_cmp_ui (y, 2) >= 0 && mpz_cmp (y, p) <= 0;
  mpz_clear (y);
  mpz_clear (p);

  if (!in_range)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_KEY,
                           _("The peer's Diffie-Hellman public value is out of range (must be 2 … p−2)"));
      return FALSE;
    }

  return TRUE;
}

GBytes *
cz_dh_key_derive (const CzDhKey *key, const guint8 *peer_pub, gsize len,
                  GError **error)
{
  const GroupInfo *info;
  guint8 z[CZ_DH_MAX_SIZE];
  GBytes *result;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  info = group_info (key->group);

  if (!cz_dh_check_public (key->group, peer_pub, len, error))
    return NULL;

  if (key->group == CZ_DH_X25519)
    {
      curve25519_mul (z, key->private_value, peer_pub);

      /* RFC 7748 §6.1: an all-zero output means a small-order point. */
      if (is_all_zero (z, CURVE25519_SIZE))
        {
          g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_KEY,
                               _("The peer's Diffie-Hellman public value is a small-order point (the shared secret would be zero)"));
          return NULL;
        }
    }
  else
    {
      mpz_t y;

      mpz_init (y);
      z_from_be (y, peer_pub, len);
      ffdhe_powm (info, y, key->private_value, key->private_len, z);
      mpz_clear (y);

      /* Unreachable for 2 <= y <= p-2 with a short exponent, but refuse a
       * degenerate secret rather than trust that reasoning. */
      if (be_is_zero_or_one (z, info->value_size))
        {
          cz_memwipe (z, sizeof z);
          g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_KEY,
                               _("The Diffie-Hellman shared secret is degenerate"));
          return NULL;
        }
    }

  result = secret_bytes_new (z, info->value_size);
  cz_memwipe (z, sizeof z);

  return result;
}
