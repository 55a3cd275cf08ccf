/* cz-frame.c: length-prefixed frames and their AES-256-GCM sealing.
 *
 * The reader keeps the bytes it has not yet returned in one GByteArray.  It
 * compacts lazily: a push moves the unread bytes to the front only when the
 * consumed prefix is at least as large as what is left, and when the reader
 * runs out of complete frames it drops the consumed prefix (keeping only the
 * bytes of the partial frame) or, if nothing is left, frees the buffer, so an
 * idle connection holds no buffer at all. */

#include "config.h"

#include <string.h>
#include <nettle/gcm.h>
#include <glib/gi18n-lib.h>

#include "cz-frame.h"
#include "cz-crypto.h"
#include "cz-error.h"
#include "cz-util.h"

void
cz_frame_reader_init (CzFrameReader *r)
{
  g_return_if_fail (r != NULL);

  r->buf = NULL;
  r->off = 0;
}

void
cz_frame_reader_clear (CzFrameReader *r)
{
  g_return_if_fail (r != NULL);

  if (r->buf != NULL)
    {
      cz_memwipe (r->buf->data, r->buf->len);
      g_clear_pointer (&r->buf, g_byte_array_unref);
    }
  r->off = 0;
}

gsize
cz_frame_reader_pending (const CzFrameReader *r)
{
  g_return_val_if_fail (r != NULL, 0);

  return r->buf != NULL ? r->buf->len - r->off : 0;
}

void
cz_frame_reader_push (CzFrameReader *r, const guint8 *data, gsize len)
{
  gsize pending;

  g_return_if_fail (r != NULL);
  g_return_if_fail (data != NULL || len == 0);

  if (len == 0)
    return;

  if (r->buf == NULL)
    {
      r->buf = g_byte_array_sized_new (len);
      r->off = 0;
    }
  else if (r->off > 0)
    {
      /* Pointers handed out by next() are invalid from here on, so the
       * consumed prefix may go.  Move only when it is worth it: this keeps
       * the total copying linear in the bytes received. */
      pending = r->buf->len - r->off;
      if (r->off >= pending)
        {
          memmove (r->buf->data, r->buf->data + r->off, pending);
          g_byte_array_set_size (r->buf, pending);
          r->off = 0;
        }
    }

  g_byte_array_append (r->buf, data, len);
}

/* Called when no complete frame is left: keep only the bytes of the partial
 * frame (in a buffer of their size), or nothing at all. */
static void
reader_shrink (CzFrameReader *r)
{
  GByteArray *small;
  gsize pending;

  if (r->buf == NULL)
    return;

  pending = r->buf->len - r->off;
  if (pending == 0)
    {
      g_clear_pointer (&r->buf, g_byte_array_unref);
      r->off = 0;
      return;
    }
  if (r->off == 0)
    return;

  small = g_byte_array_sized_new (pending);
  g_byte_array_append (small, r->buf->data + r->off, pending);
  g_byte_array_unref (r->buf);
  r->buf = small;
  r->off = 0;
}

CzFrameResult
cz_frame_reader_next (CzFrameReader *r, const guint8 **body, gsize *len,
                      guint8 header[CZ_FRAME_HEADER_SIZE], GError **error)
{
  const guint8 *p;
  guint32 frame_len;
  gsize pending;

  g_return_val_if_fail (r != NULL, CZ_FRAME_ERROR);
  g_return_val_if_fail (body != NULL, CZ_FRAME_ERROR);
  g_return_val_if_fail (len != NULL, CZ_FRAME_ERROR);
  g_return_val_if_fail (error == NULL || *error == NULL, CZ_FRAME_ERROR);

  pending = cz_frame_reader_pending (r);
  if (pending < CZ_FRAME_HEADER_SIZE)
    {
      reader_shrink (r);
      return CZ_FRAME_NEED_MORE;
    }

  p = r->buf->data + r->off;
  frame_len = ((guint32) p[0] << 24) | ((guint32) p[1] << 16)
              | ((guint32) p[2] << 8) | (guint32) p[3];
  if (frame_len == 0 || frame_len > CZ_FRAME_MAX)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_TOO_LARGE,
                   _("Frame length %u is out of range (1 to %u bytes)"),
                   frame_len, (guint) CZ_FRAME_MAX);
      return CZ_FRAME_ERROR;
    }

  if (pending - CZ_FRAME_HEADER_SIZE < frame_len)
    {
      reader_shrink (r);
      return CZ_FRAME_NEED_MORE;
    }

  if (header != NULL)
    memcpy (header, p, CZ_FRAME_HEADER_SIZE);
  *body = p + CZ_FRAME_HEADER_SIZE;
  *len = frame_len;
  /* The buffer is released on the next call, not now: *body points into it. */
  r->off += CZ_FRAME_HEADER_SIZE + frame_len;

  return CZ_FRAME_OK;
}

void
cz_frame_put_header (guint8 header[CZ_FRAME_HEADER_SIZE], guint32 len)
{
  header[0] = (len >> 24) & 0xff;
  header[1] = (len >> 16) & 0xff;
  header[2] = (len >> 8) & 0xff;
  header[3] = len & 0xff;
}

static gboolean
check_length (gsize len, gsize max, GError **error)
{
  if (len == 0 || len > max)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_TOO_LARGE,
                   _("Frame body of %zu bytes is out of range "
                     "(1 to %zu bytes)"), len, max);
      return FALSE;
    }
  return TRUE;
}

gboolean
cz_frame_append (GByteArray *out, const void *body, gsize len, GError **error)
{
  guint8 header[CZ_FRAME_HEADER_SIZE];

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (body != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_length (len, CZ_FRAME_MAX, error))
    return FALSE;

  cz_frame_put_header (header, len);
  g_byte_array_append (out, header, sizeof header);
  g_byte_array_append (out, body, len);
  return TRUE;
}

/* ---- The cache of expanded keys ---------------------------------------------
 *
 * Expanding an AES-256-GCM key (round keys, then the GHASH table) costs
 * four times what sealing a chat message does, and the result is 4.4 KiB:
 * too much to keep for each direction of ten thousand idle connections,
 * too slow to redo for every frame.  A direct-mapped cache of expanded
 * keys, indexed by a per-CzAead id, sits in between.  Ids are never
 * reused; a slot is wiped when its CzAead is cleared and when it is taken
 * over.  One lock: the server seals on one thread. */

#define AEAD_CACHE_SLOTS 512

typedef struct {
  guint64 id;
  struct gcm_aes256_ctx ctx;
} AeadSlot;

static GMutex aead_cache_lock;
static AeadSlot *aead_cache;     /* allocated at first use, never freed */
static guint64 aead_last_id;

/* The expanded key of @aead, with the cache locked. */
static struct gcm_aes256_ctx *
aead_lock_ctx (CzAead *aead)
{
  AeadSlot *slot;

  g_mutex_lock (&aead_cache_lock);
  if (G_UNLIKELY (aead_cache == NULL))
    aead_cache = g_new0 (AeadSlot, AEAD_CACHE_SLOTS);
  if (aead->id == 0)
    aead->id = ++aead_last_id;
  slot = &aead_cache[aead->id % AEAD_CACHE_SLOTS];
  if (slot->id != aead->id)
    {
      gcm_aes256_set_key (&slot->ctx, aead->key);
      slot->id = aead->id;
    }
  return &slot->ctx;
}

static void
aead_unlock_ctx (void)
{
  g_mutex_unlock (&aead_cache_lock);
}

void
cz_aead_init (CzAead *aead, const guint8 key[CZ_AEAD_KEY_SIZE])
{
  g_return_if_fail (aead != NULL);
  g_return_if_fail (key != NULL);

  /* A new id: nothing cached yet (clear an aead before re-using it). */
  memset (aead, 0, sizeof *aead);
  memcpy (aead->key, key, CZ_AEAD_KEY_SIZE);
}

void
cz_aead_clear (CzAead *aead)
{
  g_return_if_fail (aead != NULL);

  if (aead->id != 0)
    {
      g_mutex_lock (&aead_cache_lock);
      if (aead_cache != NULL && aead_cache[aead->id % AEAD_CACHE_SLOTS].id == aead->id)
        cz_memwipe (&aead_cache[aead->id % AEAD_CACHE_SLOTS], sizeof (AeadSlot));
      g_mutex_unlock (&aead_cache_lock);
    }
  cz_memwipe (aead, sizeof *aead);
}

void
cz_aead_nonce (guint64 counter, guint8 nonce[CZ_AEAD_NONCE_SIZE])
{
  guint i;

  memset (nonce, 0, 4);
  for (i = 0; i < 8; i++)
    nonce[4 + i] = (counter >> (56 - 8 * i)) & 0xff;
}

/* The counter G_MAXUINT64 is never used: advancing past it would wrap to 0
 * and reuse a nonce.  A connection gets 2^64 - 1 frames per direction. */
static gboolean
check_counter (const CzAead *aead, GError **error)
{
  if (aead->counter == G_MAXUINT64)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INTERNAL,
                           _("The frame counter is exhausted; the connection must be closed"));
      return FALSE;
    }
  return TRUE;
}

/* AES-256-GCM with the frame header as additional data, with @aead's key
 * from the cache; @out may be @in. */
static void
seal (CzAead *aead, const guint8 nonce[CZ_AEAD_NONCE_SIZE], const guint8 *header,
      const guint8 *in, gsize len, guint8 *out)
{
  cz_aes256_gcm_seal_with (aead_lock_ctx (aead), nonce, header, CZ_FRAME_HEADER_SIZE,
                           in, len, out);
  aead_unlock_ctx ();
  aead->counter++;
}

/* Opens @len bytes (ciphertext and tag) into @plain; nothing usable is
 * left in @plain when the tag does not verify. */
static gboolean
open_body (CzAead *aead, const guint8 nonce[CZ_AEAD_NONCE_SIZE], const guint8 *header,
           const guint8 *body, gsize len, guint8 *plain)
{
  gboolean ok = cz_aes256_gcm_open_with (aead_lock_ctx (aead), nonce, header,
                                         CZ_FRAME_HEADER_SIZE, body, len, plain);

  aead_unlock_ctx ();
  return ok;
}

gboolean
cz_aead_seal_frame (CzAead *aead, const void *plain, gsize len,
                    GByteArray *out, GError **error)
{
  guint8 header[CZ_FRAME_HEADER_SIZE];
  guint8 nonce[CZ_AEAD_NONCE_SIZE];
  guintptr plain_off = 0;
  gboolean plain_in_out = FALSE;
  guint start;

  g_return_val_if_fail (aead != NULL, FALSE);
  g_return_val_if_fail (plain != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_length (len, CZ_FRAME_MAX_PLAIN, error))
    return FALSE;
  if (!check_counter (aead, error))
    return FALSE;

  /* L = plaintext + tag; the header is the additional data. */
  cz_frame_put_header (header, len + CZ_AEAD_TAG_SIZE);
  cz_aead_nonce (aead->counter, nonce);

  /* Growing @out may move it: re-derive @plain if it points into @out. */
  if (len > 0 && out->len > 0 && (guintptr) plain >= (guintptr) out->data
      && (guintptr) plain < (guintptr) out->data + out->len)
    {
      plain_in_out = TRUE;
      plain_off = (guintptr) plain - (guintptr) out->data;
    }

  start = out->len;
  g_byte_array_set_size (out, start + CZ_FRAME_HEADER_SIZE + len + CZ_AEAD_TAG_SIZE);
  if (plain_in_out)
    plain = out->data + plain_off;
  memcpy (out->data + start, header, CZ_FRAME_HEADER_SIZE);
  seal (aead, nonce, out->data + start, plain, len, out->data + start + CZ_FRAME_HEADER_SIZE);

  return TRUE;
}

gboolean
cz_aead_open_frame (CzAead *aead, const guint8 header[CZ_FRAME_HEADER_SIZE],
                    const guint8 *body, gsize len, guint8 *plain, GError **error)
{
  guint8 nonce[CZ_AEAD_NONCE_SIZE];

  g_return_val_if_fail (aead != NULL, FALSE);
  g_return_val_if_fail (header != NULL, FALSE);
  g_return_val_if_fail (body != NULL, FALSE);
  g_return_val_if_fail (plain != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (len <= CZ_AEAD_TAG_SIZE)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
                   _("Sealed frame of %zu bytes is too short "
                     "(at least %d bytes)"), len, CZ_AEAD_TAG_SIZE + 1);
      return FALSE;
    }
  if (len > CZ_FRAME_MAX)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_TOO_LARGE,
                   _("Sealed frame of %zu bytes is too large"), len);
      return FALSE;
    }
  /* The header is not checked against @len here: it is the additional
   * data, so a header that does not match what was sealed fails the tag. */
  if (aead->counter == G_MAXUINT64)
    {
      /* The peer cannot have sealed with this counter either. */
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_DECRYPT,
                           _("The frame counter is exhausted; the connection must be closed"));
      return FALSE;
    }

  cz_aead_nonce (aead->counter, nonce);
  if (!open_body (aead, nonce, header, body, len, plain))
    {
      cz_memwipe (plain, len - CZ_AEAD_TAG_SIZE);
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_DECRYPT,
                           _("A sealed frame failed to open (tampered, replayed or out of order)"));
      return FALSE;
    }
  aead->counter++;

  return TRUE;
}
