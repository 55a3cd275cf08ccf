/* cz-safety.h: the safety number of a direct conversation (DESIGN §2.2).
 *
 * Signal's NumericFingerprint, version 0: for each side,
 *   V_0 = u16 version 0 ‖ keys ‖ stable id,
 *   V_i = SHA-512(V_{i-1} ‖ keys), i = 1 … iterations (5,200),
 * and the first 30 bytes of the last read as six big-endian 40-bit numbers, each
 * modulo 100,000 and written as five digits: 30 digits per side.  The
 * number shown is the two sides concatenated, the lower string first, so
 * both users see the same 60 digits.  A side's keys are its user's device
 * identity keys (serialized, 33 bytes each) sorted bytewise and
 * concatenated; its stable id is the user name.
 *
 * Pure computation on Nettle's SHA-512: no state, no I/O. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CZ_SAFETY_ITERATIONS 5200
#define CZ_SAFETY_SIDE_DIGITS 30
#define CZ_SAFETY_DIGITS 60
/* "12345 67890 …": 12 groups of 5 separated by single spaces. */
#define CZ_SAFETY_FORMATTED_LEN (CZ_SAFETY_DIGITS + 11)

/* One side: @keys is the concatenation of the side's (already sorted)
 * identity keys.  @out receives 30 digits and a NUL. */
void cz_safety_side (const char *stable_id, const guint8 *keys, gsize keys_len,
                     guint iterations, char out[CZ_SAFETY_SIDE_DIGITS + 1]);

/* The 60 digits (no spaces) for a conversation between @local_id with
 * @local_keys and @remote_id with @remote_keys (arrays of GBytes, each a
 * serialized identity key; sorted here, the arrays are not changed).
 * Either side may be given first: the result is the same. */
char *cz_safety_number (const char *local_id, GPtrArray *local_keys,
                        const char *remote_id, GPtrArray *remote_keys);

/* 60 digits → 12 groups of 5 separated by spaces; NULL if @digits is not
 * exactly 60 ASCII digits. */
char *cz_safety_number_format (const char *digits);

G_END_DECLS
