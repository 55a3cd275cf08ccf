/* fuzz-frame.c: frame reassembly and sealing (common/cz-frame.c).
 *
 * Input: one byte that chooses how the stream is cut into pushes, then the
 * byte stream a peer would send.  The reader's frames are compared with a
 * straightforward parse of the whole stream (same bodies and headers, the
 * error exactly where a length is 0 or > 65536, the rest left pending).
 * Every frame is also sealed and reopened (AES-256-GCM round trip), a
 * tampered copy must not open, and the raw body must not open as a sealed
 * frame. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "cz-error.h"
#include "cz-frame.h"

static const guint8 test_key[CZ_AEAD_KEY_SIZE] = { 0x42, 0x13, 0x37 };

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  cz_fuzz_setup ();
  return 0;
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static void
check_seal_round_trip (const guint8 *body, gsize len, guint64 counter)
{
  g_autoptr(GByteArray) sealed = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *plain = NULL;
  CzAead tx, rx;
  gboolean ok;

  cz_aead_init (&tx, test_key);
  cz_aead_init (&rx, test_key);
  tx.counter = rx.counter = counter;

  ok = cz_aead_seal_frame (&tx, body, len, sealed, &error);
  if (len > CZ_FRAME_MAX_PLAIN)
    {
      g_assert_false (ok);
      g_assert_error (error, CZ_ERROR, CZ_ERROR_TOO_LARGE);
      g_assert_cmpuint (sealed->len, ==, 0);
      g_assert_cmpuint (tx.counter, ==, counter);
      return;
    }
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpuint (tx.counter, ==, counter + 1);
  g_assert_cmpuint (sealed->len, ==, CZ_FRAME_HEADER_SIZE + len + CZ_AEAD_TAG_SIZE);
  g_assert_cmpuint (be32 (sealed->data), ==, len + CZ_AEAD_TAG_SIZE);

  plain = g_malloc (len + 1);
  /* A flipped bit anywhere (header = additional data, body, tag) refuses. */
  {
    gsize pos = (len * 7 + counter) % sealed->len;
    guint8 header[CZ_FRAME_HEADER_SIZE];

    sealed->data[pos] ^= 0x20;
    memcpy (header, sealed->data, CZ_FRAME_HEADER_SIZE);
    g_assert_false (cz_aead_open_frame (&rx, header, sealed->data + CZ_FRAME_HEADER_SIZE,
                                        len + CZ_AEAD_TAG_SIZE, plain, NULL));
    g_assert_cmpuint (rx.counter, ==, counter);
    sealed->data[pos] ^= 0x20;
  }
  ok = cz_aead_open_frame (&rx, sealed->data, sealed->data + CZ_FRAME_HEADER_SIZE,
                           len + CZ_AEAD_TAG_SIZE, plain, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpuint (rx.counter, ==, counter + 1);
  g_assert_cmpmem (plain, len, body, len);
  /* The same frame again (a replay) does not open: the counter moved on. */
  g_assert_false (cz_aead_open_frame (&rx, sealed->data, sealed->data + CZ_FRAME_HEADER_SIZE,
                                      len + CZ_AEAD_TAG_SIZE, plain, NULL));
  cz_aead_clear (&tx);
  cz_aead_clear (&rx);
}

static void
check_raw_body_does_not_open (const guint8 header[CZ_FRAME_HEADER_SIZE], const guint8 *body,
                              gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *plain = g_malloc (len + 1);
  CzAead rx;

  cz_aead_init (&rx, test_key);
  g_assert_false (cz_aead_open_frame (&rx, header, body, len, plain, &error));
  if (len <= CZ_AEAD_TAG_SIZE)
    g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
  else
    g_assert_error (error, CZ_ERROR, CZ_ERROR_DECRYPT);
  g_assert_cmpuint (rx.counter, ==, 0);
  cz_aead_clear (&rx);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  CzFuzzInput in = { data, size };
  guint32 cut_seed = cz_fuzz_u8 (&in) * 2654435761u + 1;
  const guint8 *stream = in.data;
  gsize stream_len = in.size;
  gsize ref_off = 0, pushed = 0;
  gboolean failed = FALSE;
  guint n_frames = 0;
  CzFrameReader reader;

  cz_frame_reader_init (&reader);
  while (pushed < stream_len && !failed)
    {
      /* Pushes of 1 .. 4096 bytes, sizes from a small LCG. */
      gsize chunk;

      cut_seed = cut_seed * 1103515245u + 12345u;
      chunk = 1 + (cut_seed >> 16) % ((cut_seed & 1) ? 7 : 4096);
      chunk = MIN (chunk, stream_len - pushed);
      cz_frame_reader_push (&reader, stream + pushed, chunk);
      pushed += chunk;

      for (;;)
        {
          const guint8 *body = NULL;
          gsize len = 0;
          guint8 header[CZ_FRAME_HEADER_SIZE];
          g_autoptr(GError) error = NULL;
          CzFrameResult r = cz_frame_reader_next (&reader, &body, &len, header, &error);
          gsize avail = pushed - ref_off;
          guint32 ref_len = avail >= 4 ? be32 (stream + ref_off) : 0;

          if (avail < 4)
            {
              g_assert_cmpint (r, ==, CZ_FRAME_NEED_MORE);
              g_assert_no_error (error);
              break;
            }
          if (ref_len == 0 || ref_len > CZ_FRAME_MAX)
            {
              g_assert_cmpint (r, ==, CZ_FRAME_ERROR);
              g_assert_error (error, CZ_ERROR, CZ_ERROR_TOO_LARGE);
              failed = TRUE;
              break;
            }
          if (avail - 4 < ref_len)
            {
              g_assert_cmpint (r, ==, CZ_FRAME_NEED_MORE);
              g_assert_no_error (error);
              break;
            }
          g_assert_cmpint (r, ==, CZ_FRAME_OK);
          g_assert_no_error (error);
          g_assert_cmpmem (header, 4, stream + ref_off, 4);
          g_assert_cmpmem (body, len, stream + ref_off + 4, ref_len);
          /* Only the first frames: sealing every one of a long stream of
           * tiny frames would make the target slow without new coverage. */
          if (n_frames++ < 4)
            {
              check_raw_body_does_not_open (header, body, len);
              check_seal_round_trip (body, len, n_frames == 1 ? 0 : G_MAXUINT32 + (guint64) len);
            }
          ref_off += 4 + ref_len;
        }
      if (!failed)
        g_assert_cmpuint (cz_frame_reader_pending (&reader), ==, pushed - ref_off);
    }
  cz_frame_reader_clear (&reader);
  g_assert_cmpuint (cz_frame_reader_pending (&reader), ==, 0);

  /* Appending an unsealed frame follows the same length rule. */
  {
    g_autoptr(GByteArray) out = g_byte_array_new ();
    gboolean ok = cz_frame_append (out, stream, MIN (stream_len, CZ_FRAME_MAX + 1), NULL);

    g_assert_true (ok == (stream_len >= 1 && stream_len <= CZ_FRAME_MAX));
    if (ok)
      {
        g_assert_cmpuint (out->len, ==, stream_len + 4);
        g_assert_cmpuint (be32 (out->data), ==, stream_len);
      }
  }
  return 0;
}
