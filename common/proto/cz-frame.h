/* cz-frame.h: length-prefixed frames and their AES-256-GCM sealing
 * (DESIGN §2.2, §2.4, §2.1 "Sealing").
 *
 * A frame is a u32 big-endian length L (1 ≤ L ≤ 65536) and L bytes.  After
 * the hellos, a frame body is ciphertext ‖ 16-byte tag; the nonce is four
 * zero bytes ‖ a per-direction u64 big-endian counter starting at 0; the
 * additional data is the frame's own 4-byte header. */
#pragma once

#include <glib.h>
#include "cz-crypto.h"

G_BEGIN_DECLS

#define CZ_FRAME_HEADER_SIZE 4
#define CZ_FRAME_MAX 65536
/* Largest plaintext a sealed frame can carry. */
#define CZ_FRAME_MAX_PLAIN (CZ_FRAME_MAX - CZ_AEAD_TAG_SIZE)

/* Reassembles frames from a byte stream (TLS records arrive in any cut). */
typedef struct {
  GByteArray *buf;   /* unread bytes start at buf->data + off */
  gsize off;
} CzFrameReader;

void cz_frame_reader_init (CzFrameReader *r);
void cz_frame_reader_clear (CzFrameReader *r);   /* wipes and frees */
void cz_frame_reader_push (CzFrameReader *r, const guint8 *data, gsize len);
/* Bytes held and not yet returned as frames. */
gsize cz_frame_reader_pending (const CzFrameReader *r);

typedef enum {
  CZ_FRAME_NEED_MORE = 0,
  CZ_FRAME_OK = 1,
  CZ_FRAME_ERROR = -1,
} CzFrameResult;

/* Next complete frame.  On CZ_FRAME_OK, *body points into the reader's
 * buffer (valid until the next push or next call), *len is L and header[]
 * receives the 4 header bytes.  A length of 0 or > CZ_FRAME_MAX gives
 * CZ_FRAME_ERROR with CZ_ERROR_TOO_LARGE. */
CzFrameResult cz_frame_reader_next (CzFrameReader *r, const guint8 **body, gsize *len,
                                    guint8 header[CZ_FRAME_HEADER_SIZE], GError **error);

void cz_frame_put_header (guint8 header[CZ_FRAME_HEADER_SIZE], guint32 len);
/* Appends an unsealed frame (header + body) to @out.  FALSE with
 * CZ_ERROR_TOO_LARGE if len is 0 or > CZ_FRAME_MAX. */
gboolean cz_frame_append (GByteArray *out, const void *body, gsize len, GError **error);

/* One direction's AEAD state.  The expanded key (AES round keys and the
 * GHASH table, 4.4 KiB) is not kept here but in a small shared cache
 * (cz-frame.c): busy connections find theirs there, idle ones cost no
 * memory. */
typedef struct {
  guint8 key[CZ_AEAD_KEY_SIZE];
  guint64 counter;      /* next nonce counter */
  guint64 id;           /* its slot in the cache of expanded keys; 0: none */
} CzAead;

void cz_aead_init (CzAead *aead, const guint8 key[CZ_AEAD_KEY_SIZE]);
void cz_aead_clear (CzAead *aead);   /* wipes the key */
void cz_aead_nonce (guint64 counter, guint8 nonce[CZ_AEAD_NONCE_SIZE]);

/* Seals @plain into a new frame appended to @out and advances the counter.
 * FALSE with CZ_ERROR_TOO_LARGE if len is 0 or > CZ_FRAME_MAX_PLAIN. */
gboolean cz_aead_seal_frame (CzAead *aead, const void *plain, gsize len,
                             GByteArray *out, GError **error);
/* Opens a sealed frame body (L bytes, header as read).  Writes L - 16 bytes
 * into @plain (caller-provided, at least L - 16 bytes) and advances the
 * counter.  FALSE with CZ_ERROR_DECRYPT if the tag fails (the counter is not
 * advanced) or with CZ_ERROR_BAD_FRAME if L < 17. */
gboolean cz_aead_open_frame (CzAead *aead, const guint8 header[CZ_FRAME_HEADER_SIZE],
                             const guint8 *body, gsize len, guint8 *plain, GError **error);

G_END_DECLS
