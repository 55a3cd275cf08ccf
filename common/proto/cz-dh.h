/* cz-dh.h: the application-level Diffie-Hellman exchange (DESIGN §2.3).
 *
 * Groups: x25519 (RFC 7748 via Nettle's curve25519_mul) and the RFC 7919
 * finite-field groups ffdhe2048 / ffdhe3072 (GMP mpz_powm_sec).
 * Encodings (DESIGN §2.1): x25519 public values and Z are 32 bytes,
 * little-endian u-coordinate; ffdhe values are big-endian, left-padded to
 * the prime's byte length. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  CZ_DH_X25519,
  CZ_DH_FFDHE2048,
  CZ_DH_FFDHE3072,
} CzDhGroup;

/* The enum as a GType, for properties (value nicks are the group names). */
#define CZ_TYPE_DH_GROUP (cz_dh_group_get_type ())
GType cz_dh_group_get_type (void);

/* "x25519", "ffdhe2048", "ffdhe3072". */
const char *cz_dh_group_name (CzDhGroup group);
/* Parses a group name; FALSE (and @error) for an unknown name. */
gboolean cz_dh_group_from_name (const char *name, CzDhGroup *group, GError **error);
/* Byte length of public values and of Z: 32, 256 or 384. */
gsize cz_dh_group_value_size (CzDhGroup group);
/* The prime, as a person reads it: "2^255 - 19" for x25519, NULL for ffdhe. */
const char *cz_dh_group_prime_formula (CzDhGroup group);
/* The prime in lower-case hex (x25519: 7fff...ffed); static string. */
const char *cz_dh_group_prime_hex (CzDhGroup group);
/* The generator / base point, as text: "2" for ffdhe, "u = 9" for x25519. */
const char *cz_dh_group_generator (CzDhGroup group);

typedef struct _CzDhKey CzDhKey;

/* A fresh private value and its public value (random from cz_random_bytes).
 * ffdhe private exponents are 2*security-strength bits (RFC 7919 §5.2):
 * 256 bits for ffdhe2048, 320 for ffdhe3072. */
CzDhKey *cz_dh_key_new (CzDhGroup group);
/* Deterministic key from a given private value (tests, known answers).
 * x25519: 32 bytes (clamped as RFC 7748 says); ffdhe: big-endian exponent. */
CzDhKey *cz_dh_key_new_from_private (CzDhGroup group, const guint8 *priv, gsize len);
void cz_dh_key_free (CzDhKey *key);   /* wipes the private value */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzDhKey, cz_dh_key_free)

CzDhGroup cz_dh_key_get_group (const CzDhKey *key);
/* Public value in wire encoding (value_size bytes). */
GBytes *cz_dh_key_get_public (const CzDhKey *key);
/* Private value for display (x25519: the 32 clamped scalar bytes as used;
 * ffdhe: big-endian exponent).  The caller wipes/frees. */
GBytes *cz_dh_key_get_private (const CzDhKey *key);

/* Checks a peer public value: right length; ffdhe in 2..p-2 (which refuses
 * 0, 1 and p-1); x25519: any 32 bytes, the all-zero Z check happens in
 * cz_dh_key_derive.  Sets CZ_ERROR_BAD_KEY. */
gboolean cz_dh_check_public (CzDhGroup group, const guint8 *pub, gsize len, GError **error);

/* Computes Z (value_size bytes) with the peer's public value.  Refuses a bad
 * public value and an all-zero x25519 result (small-order point) with
 * CZ_ERROR_BAD_KEY.  Returns NULL on error. */
GBytes *cz_dh_key_derive (const CzDhKey *key, const guint8 *peer_pub, gsize len,
                          GError **error);

G_END_DECLS
