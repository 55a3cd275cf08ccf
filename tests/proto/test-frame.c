/* test-frame.c: frame reassembly and AES-256-GCM sealing of frames. */

#include "config.h"

#include <string.h>

#include "cz-error.h"
#include "cz-frame.h"
#include "testutil.h"

/* ---- Helpers ----------------------------------------------------------- */

/* A body of @len bytes with a pattern that depends on @seed. */
static GBytes *
make_body (gsize len, guint seed)
{
  guint8 *data = g_malloc (len);
  gsize i;

  for (i = 0; i < len; i++)
    data[i] = (guint8) (seed * 31 + i * 7 + (i >> 8));
  return g_bytes_new_take (data, len);
}

/* Frames of these sizes, in a row, with their bodies in @bodies. */
static GByteArray *
make_stream (const gsize *sizes, gsize n, GPtrArray *bodies)
{
  GByteArray *stream = g_byte_array_new ();
  gsize i;

  for (i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      GBytes *body = make_body (sizes[i], i);
      gsize len;
      const guint8 *data = g_bytes_get_data (body, &len);

      g_assert_true (cz_frame_append (stream, data, len, &error));
      g_assert_no_error (error);
      g_ptr_array_add (bodies, body);
    }
  return stream;
}

/* Drains every complete frame, checking each against @bodies from *next. */
static void
drain (CzFrameReader *r, GPtrArray *bodies, guint *next)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      const guint8 *body = NULL;
      guint8 header[CZ_FRAME_HEADER_SIZE];
      gsize len = 0, want_len;
      const guint8 *want;
      CzFrameResult res;

      res = cz_frame_reader_next (r, &body, &len, header, &error);
      g_assert_no_error (error);
      if (res == CZ_FRAME_NEED_MORE)
        return;
      g_assert_cmpint (res, ==, CZ_FRAME_OK);
      g_assert_cmpuint (*next, <, bodies->len);
      want = g_bytes_get_data (g_ptr_array_index (bodies, *next), &want_len);
      g_assert_cmpmem (body, len, want, want_len);
      g_assert_cmpuint (header[0], ==, (len >> 24) & 0xff);
      g_assert_cmpuint (header[1], ==, (len >> 16) & 0xff);
      g_assert_cmpuint (header[2], ==, (len >> 8) & 0xff);
      g_assert_cmpuint (header[3], ==, len & 0xff);
      (*next)++;
    }
}

static const gsize stream_sizes[] = { 1, 5, 300, 65536, 2, 4096, 17, 65535, 3 };

/* ---- Reassembly -------------------------------------------------------- */

static void
test_reader_byte_by_byte (void)
{
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GByteArray) stream = make_stream (stream_sizes, G_N_ELEMENTS (stream_sizes), bodies);
  CzFrameReader r;
  guint next = 0;
  gsize i;

  cz_frame_reader_init (&r);
  for (i = 0; i < stream->len; i++)
    {
      cz_frame_reader_push (&r, stream->data + i, 1);
      drain (&r, bodies, &next);
      /* Never more than one partial frame held, and only its bytes. */
      if (r.buf != NULL)
        {
          g_assert_cmpuint (r.off, ==, 0);
          g_assert_cmpuint (r.buf->len, ==, cz_frame_reader_pending (&r));
          g_assert_cmpuint (r.buf->len, <=, CZ_FRAME_HEADER_SIZE + CZ_FRAME_MAX);
        }
    }
  g_assert_cmpuint (next, ==, G_N_ELEMENTS (stream_sizes));
  /* Idle: no buffer at all. */
  g_assert_cmpuint (cz_frame_reader_pending (&r), ==, 0);
  g_assert_null (r.buf);
  cz_frame_reader_clear (&r);
}

static void
test_reader_random_cuts (void)
{
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GByteArray) stream = make_stream (stream_sizes, G_N_ELEMENTS (stream_sizes), bodies);
  guint round;

  for (round = 0; round < 200; round++)
    {
      CzFrameReader r;
      guint next = 0;
      gsize pos = 0;

      cz_frame_reader_init (&r);
      while (pos < stream->len)
        {
          /* Mostly small cuts, sometimes huge ones spanning frames. */
          gsize cut = g_test_rand_bit ()
                      ? (gsize) g_test_rand_int_range (1, 64)
                      : (gsize) g_test_rand_int_range (1, 3 * CZ_FRAME_MAX);

          cut = MIN (cut, stream->len - pos);
          cz_frame_reader_push (&r, stream->data + pos, cut);
          pos += cut;
          /* Sometimes push twice before reading. */
          if (g_test_rand_int_range (0, 4) != 0)
            drain (&r, bodies, &next);
        }
      drain (&r, bodies, &next);
      g_assert_cmpuint (next, ==, G_N_ELEMENTS (stream_sizes));
      g_assert_null (r.buf);
      cz_frame_reader_clear (&r);
    }
}

static void
test_reader_partial_keeps_only_its_bytes (void)
{
  static const gsize sizes[] = { 1000, 2000, 3000, 400 };
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GByteArray) stream = make_stream (sizes, G_N_ELEMENTS (sizes), bodies);
  CzFrameReader r;
  guint next = 0;
  gsize partial = CZ_FRAME_HEADER_SIZE + 100;

  cz_frame_reader_init (&r);
  g_assert_cmpuint (cz_frame_reader_pending (&r), ==, 0);
  /* Three whole frames and the first 104 bytes of the fourth. */
  cz_frame_reader_push (&r, stream->data, stream->len - 300);
  g_assert_cmpuint (cz_frame_reader_pending (&r), ==, stream->len - 300);
  drain (&r, bodies, &next);
  g_assert_cmpuint (next, ==, 3);
  g_assert_nonnull (r.buf);
  g_assert_cmpuint (cz_frame_reader_pending (&r), ==, partial);
  g_assert_cmpuint (r.off, ==, 0);
  g_assert_cmpuint (r.buf->len, ==, partial);

  cz_frame_reader_push (&r, stream->data + stream->len - 300, 300);
  drain (&r, bodies, &next);
  g_assert_cmpuint (next, ==, 4);
  g_assert_null (r.buf);

  /* Clearing a reader that holds bytes frees them. */
  cz_frame_reader_push (&r, stream->data, 10);
  g_assert_cmpuint (cz_frame_reader_pending (&r), ==, 10);
  cz_frame_reader_clear (&r);
  g_assert_null (r.buf);
  g_assert_cmpuint (cz_frame_reader_pending (&r), ==, 0);
  /* Pushing nothing allocates nothing. */
  cz_frame_reader_push (&r, NULL, 0);
  g_assert_null (r.buf);
}

static void
check_bad_length (guint32 len)
{
  g_autoptr(GError) error = NULL;
  guint8 header[CZ_FRAME_HEADER_SIZE];
  const guint8 *body = NULL;
  gsize body_len = 0;
  CzFrameReader r;

  cz_frame_put_header (header, len);
  cz_frame_reader_init (&r);
  cz_frame_reader_push (&r, header, sizeof header);
  g_assert_cmpint (cz_frame_reader_next (&r, &body, &body_len, header, &error), ==, CZ_FRAME_ERROR);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_TOO_LARGE);
  cz_frame_reader_clear (&r);
}

static void
test_reader_lengths (void)
{
  g_autoptr(GBytes) max_body = make_body (CZ_FRAME_MAX, 9);
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 header[CZ_FRAME_HEADER_SIZE];
  const guint8 *body = NULL;
  gsize len = 0;
  CzFrameReader r;

  check_bad_length (0);
  check_bad_length (CZ_FRAME_MAX + 1);
  check_bad_length (0xffffffff);

  /* The header alone is enough to refuse: no need to wait for the body. */
  cz_frame_put_header (header, 0x01000000);
  g_assert_cmpmem (header, 4, "\x01\x00\x00\x00", 4);

  /* Exactly 65536 is accepted. */
  g_assert_true (cz_frame_append (stream, g_bytes_get_data (max_body, NULL), CZ_FRAME_MAX, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stream->len, ==, CZ_FRAME_HEADER_SIZE + CZ_FRAME_MAX);
  g_assert_cmpmem (stream->data, 4, "\x00\x01\x00\x00", 4);
  cz_frame_reader_init (&r);
  cz_frame_reader_push (&r, stream->data, stream->len - 1);
  g_assert_cmpint (cz_frame_reader_next (&r, &body, &len, header, &error), ==, CZ_FRAME_NEED_MORE);
  cz_frame_reader_push (&r, stream->data + stream->len - 1, 1);
  g_assert_cmpint (cz_frame_reader_next (&r, &body, &len, header, &error), ==, CZ_FRAME_OK);
  g_assert_no_error (error);
  g_assert_cmpmem (body, len, g_bytes_get_data (max_body, NULL), CZ_FRAME_MAX);
  g_assert_cmpmem (header, 4, "\x00\x01\x00\x00", 4);
  cz_frame_reader_clear (&r);

  /* cz_frame_append refuses the same lengths and leaves @out alone. */
  g_byte_array_set_size (stream, 0);
  g_assert_false (cz_frame_append (stream, "", 0, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_TOO_LARGE);
  g_clear_error (&error);
  {
    g_autofree guint8 *big = g_malloc0 (CZ_FRAME_MAX + 1);

    g_assert_false (cz_frame_append (stream, big, CZ_FRAME_MAX + 1, &error));
    g_assert_error (error, CZ_ERROR, CZ_ERROR_TOO_LARGE);
  }
  g_assert_cmpuint (stream->len, ==, 0);
}

/* ---- Sealing ----------------------------------------------------------- */

static void
test_key (guint8 key[CZ_AEAD_KEY_SIZE], guint8 first)
{
  guint i;

  for (i = 0; i < CZ_AEAD_KEY_SIZE; i++)
    key[i] = first + i;
}

static void
test_nonce (void)
{
  guint8 nonce[CZ_AEAD_NONCE_SIZE];

  cz_aead_nonce (0, nonce);
  g_assert_cmpmem (nonce, sizeof nonce, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
  cz_aead_nonce (1, nonce);
  g_assert_cmpmem (nonce, sizeof nonce, "\0\0\0\0\0\0\0\0\0\0\0\1", 12);
  cz_aead_nonce (G_GUINT64_CONSTANT (0x0102030405060708), nonce);
  g_assert_cmpmem (nonce, sizeof nonce, "\0\0\0\0\1\2\3\4\5\6\7\10", 12);
  cz_aead_nonce (G_MAXUINT64 - 1, nonce);
  g_assert_cmpmem (nonce, sizeof nonce, "\0\0\0\0\377\377\377\377\377\377\377\376", 12);
}

/* The worked example: key 00..1f, counter 0, "hello".  The expected frames
 * were computed independently (Python "cryptography", i.e. OpenSSL):
 *   AESGCM(bytes(range(32))).encrypt(nonce, b"hello", b"\0\0\0\x15") */
static void
test_worked_example (void)
{
  static const guint8 frame0[] = {
    0x00, 0x00, 0x00, 0x15,
    0x66, 0xd9, 0xd9, 0xb2, 0xda,
    0xb2, 0xf5, 0x26, 0x2d, 0x8e, 0x43, 0xe1, 0x1b,
    0xff, 0x6a, 0xe2, 0x8d, 0x7d, 0xa1, 0x68, 0x7a,
  };
  static const guint8 frame1[] = {
    0x00, 0x00, 0x00, 0x15,
    0x7d, 0xb3, 0xd3, 0x90, 0x2b,
    0xda, 0x7c, 0xe6, 0x9b, 0x53, 0x35, 0x22, 0x69,
    0xeb, 0x60, 0xf4, 0xfc, 0x61, 0x3b, 0xf4, 0x9b,
  };
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 key[CZ_AEAD_KEY_SIZE];
  guint8 nonce[CZ_AEAD_NONCE_SIZE];
  guint8 plain[5];
  CzAead seal, open;

  test_key (key, 0);
  cz_aead_init (&seal, key);
  cz_aead_init (&open, key);
  g_assert_cmpuint (seal.counter, ==, 0);

  cz_aead_nonce (seal.counter, nonce);
  g_assert_cmpmem (nonce, sizeof nonce, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);

  g_assert_true (cz_aead_seal_frame (&seal, "hello", 5, out, &error));
  g_assert_no_error (error);
  /* L = 5 + 16 = 21. */
  g_assert_cmpmem (out->data, out->len, frame0, sizeof frame0);
  g_assert_cmpuint (seal.counter, ==, 1);

  g_assert_true (cz_aead_seal_frame (&seal, "hello", 5, out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out->data + sizeof frame0, out->len - sizeof frame0, frame1, sizeof frame1);

  /* Opening with the right header works, in order. */
  g_assert_true (cz_aead_open_frame (&open, frame0, frame0 + 4, 21, plain, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (plain, 5, "hello", 5);
  g_assert_cmpuint (open.counter, ==, 1);
  g_assert_true (cz_aead_open_frame (&open, frame1, frame1 + 4, 21, plain, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (plain, 5, "hello", 5);
  g_assert_cmpuint (open.counter, ==, 2);

  cz_aead_clear (&seal);
  cz_aead_clear (&open);
  g_assert_cmpuint (seal.counter, ==, 0);
  g_assert_cmpmem (seal.key, sizeof seal.key, (guint8[CZ_AEAD_KEY_SIZE]) { 0 }, CZ_AEAD_KEY_SIZE);
}

static void
test_round_trip (void)
{
  static const gsize sizes[] = { 1, 16, 17, 1000, CZ_FRAME_MAX_PLAIN };
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *plain = g_malloc (CZ_FRAME_MAX);
  guint8 key[CZ_AEAD_KEY_SIZE];
  CzAead seal, open;
  CzFrameReader r;
  gsize i;
  guint n = 0;

  test_key (key, 0x40);
  cz_aead_init (&seal, key);
  cz_aead_init (&open, key);

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) body = make_body (sizes[i], i);

      g_assert_true (cz_aead_seal_frame (&seal, g_bytes_get_data (body, NULL), sizes[i], out, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (seal.counter, ==, G_N_ELEMENTS (sizes));

  /* Through the reader, in small cuts. */
  cz_frame_reader_init (&r);
  for (i = 0; i < out->len; i += 1000)
    {
      const guint8 *frame;
      guint8 header[CZ_FRAME_HEADER_SIZE];
      gsize len;

      cz_frame_reader_push (&r, out->data + i, MIN (1000, out->len - i));
      while (cz_frame_reader_next (&r, &frame, &len, header, &error) == CZ_FRAME_OK)
        {
          g_autoptr(GBytes) want = make_body (sizes[n], n);

          g_assert_cmpuint (len, ==, sizes[n] + CZ_AEAD_TAG_SIZE);
          g_assert_true (cz_aead_open_frame (&open, header, frame, len, plain, &error));
          g_assert_no_error (error);
          g_assert_cmpmem (plain, len - CZ_AEAD_TAG_SIZE,
                           g_bytes_get_data (want, NULL), sizes[n]);
          n++;
        }
      g_assert_no_error (error);
    }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (sizes));
  g_assert_cmpuint (open.counter, ==, G_N_ELEMENTS (sizes));
  cz_frame_reader_clear (&r);

  /* Sealing a plaintext that lives in @out itself (it may move). */
  g_byte_array_set_size (out, 0);
  g_byte_array_append (out, (const guint8 *) "in place", 8);
  g_assert_true (cz_aead_seal_frame (&seal, out->data, 8, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 8 + 4 + 8 + 16);
  cz_aead_init (&open, key);
  open.counter = seal.counter - 1;
  g_assert_true (cz_aead_open_frame (&open, out->data + 8, out->data + 12, 24, plain, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (plain, 8, "in place", 8);

  cz_aead_clear (&seal);
  cz_aead_clear (&open);
}

static void
test_seal_limits (void)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *big = g_malloc0 (CZ_FRAME_MAX);
  guint8 key[CZ_AEAD_KEY_SIZE];
  CzAead aead;

  test_key (key, 1);
  cz_aead_init (&aead, key);

  g_assert_false (cz_aead_seal_frame (&aead, "", 0, out, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_false (cz_aead_seal_frame (&aead, big, CZ_FRAME_MAX_PLAIN + 1, out, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_cmpuint (out->len, ==, 0);
  g_assert_cmpuint (aead.counter, ==, 0);

  /* The largest plaintext makes a frame of exactly 65536. */
  g_assert_true (cz_aead_seal_frame (&aead, big, CZ_FRAME_MAX_PLAIN, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, CZ_FRAME_HEADER_SIZE + CZ_FRAME_MAX);
  g_assert_cmpmem (out->data, 4, "\x00\x01\x00\x00", 4);
  cz_aead_clear (&aead);
}

static void
test_counter_exhausted (void)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 key[CZ_AEAD_KEY_SIZE];
  guint8 plain[3];
  CzAead seal, open;
  guint len;

  test_key (key, 2);
  cz_aead_init (&seal, key);
  cz_aead_init (&open, key);
  seal.counter = open.counter = G_MAXUINT64 - 1;

  /* The last usable counter works... */
  g_assert_true (cz_aead_seal_frame (&seal, "abc", 3, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seal.counter, ==, G_MAXUINT64);
  g_assert_true (cz_aead_open_frame (&open, out->data, out->data + 4, 19, plain, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (open.counter, ==, G_MAXUINT64);

  /* ...then sealing refuses rather than wrap to 0, and writes nothing. */
  len = out->len;
  g_assert_false (cz_aead_seal_frame (&seal, "abc", 3, out, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == CZ_ERROR);
  g_clear_error (&error);
  g_assert_cmpuint (seal.counter, ==, G_MAXUINT64);
  g_assert_cmpuint (out->len, ==, len);

  /* Opening refuses too. */
  g_assert_false (cz_aead_open_frame (&open, out->data, out->data + 4, 19, plain, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_DECRYPT);
  g_assert_cmpuint (open.counter, ==, G_MAXUINT64);
  cz_aead_clear (&seal);
  cz_aead_clear (&open);
}

/* Two sealed frames "one" and "two" from a fresh state with key @first. */
static GByteArray *
two_frames (guint8 first)
{
  g_autoptr(GError) error = NULL;
  GByteArray *out = g_byte_array_new ();
  guint8 key[CZ_AEAD_KEY_SIZE];
  CzAead aead;

  test_key (key, first);
  cz_aead_init (&aead, key);
  g_assert_true (cz_aead_seal_frame (&aead, "one", 3, out, &error));
  g_assert_true (cz_aead_seal_frame (&aead, "two", 3, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 2 * (4 + 3 + 16));
  cz_aead_clear (&aead);
  return out;
}

#define FRAME(out, i) ((out)->data + (i) * 23)
#define BODY(out, i) ((out)->data + (i) * 23 + 4)

static void
test_open_failures (void)
{
  g_autoptr(GByteArray) out = two_frames (3);
  g_autoptr(GError) error = NULL;
  guint8 key[CZ_AEAD_KEY_SIZE];
  guint8 header[4], plain[CZ_FRAME_MAX];
  CzAead aead;
  gsize i;

  test_key (key, 3);
  cz_aead_init (&aead, key);

  /* Tampered header (the additional data): still 4 bytes, another value. */
  memcpy (header, FRAME (out, 0), 4);
  header[3] ^= 0x01;
  g_assert_false (cz_aead_open_frame (&aead, header, BODY (out, 0), 19, plain, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_DECRYPT);
  g_clear_error (&error);
  g_assert_cmpuint (aead.counter, ==, 0);

  /* Tampered body: any bit of the ciphertext or of the tag. */
  for (i = 0; i < 19; i++)
    {
      BODY (out, 0)[i] ^= 0x80;
      g_assert_false (cz_aead_open_frame (&aead, FRAME (out, 0), BODY (out, 0), 19, plain, &error));
      g_assert_error (error, CZ_ERROR, CZ_ERROR_DECRYPT);
      g_clear_error (&error);
      BODY (out, 0)[i] ^= 0x80;
    }
  g_assert_cmpuint (aead.counter, ==, 0);

  /* Reordered: frame 1 first fails; the counter stays; then in order. */
  g_assert_false (cz_aead_open_frame (&aead, FRAME (out, 1), BODY (out, 1), 19, plain, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_DECRYPT);
  g_clear_error (&error);
  g_assert_cmpuint (aead.counter, ==, 0);

  g_assert_true (cz_aead_open_frame (&aead, FRAME (out, 0), BODY (out, 0), 19, plain, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (plain, 3, "one", 3);
  g_assert_cmpuint (aead.counter, ==, 1);

  /* Replayed: the same frame again fails, the counter has moved on. */
  g_assert_false (cz_aead_open_frame (&aead, FRAME (out, 0), BODY (out, 0), 19, plain, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_DECRYPT);
  g_clear_error (&error);
  g_assert_cmpuint (aead.counter, ==, 1);

  g_assert_true (cz_aead_open_frame (&aead, FRAME (out, 1), BODY (out, 1), 19, plain, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (plain, 3, "two", 3);
  g_assert_cmpuint (aead.counter, ==, 2);

  /* Too short to hold a tag and one byte. */
  for (i = 0; i <= CZ_AEAD_TAG_SIZE; i++)
    {
      cz_frame_put_header (header, i);
      g_assert_false (cz_aead_open_frame (&aead, header, BODY (out, 0), i, plain, &error));
      g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
      g_clear_error (&error);
    }
  g_assert_cmpuint (aead.counter, ==, 2);
  cz_aead_clear (&aead);
}

static void
test_directions (void)
{
  g_autoptr(GByteArray) c2s_wire = g_byte_array_new ();
  g_autoptr(GByteArray) s2c_wire = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 k_c2s[CZ_AEAD_KEY_SIZE], k_s2c[CZ_AEAD_KEY_SIZE], plain[8];
  CzAead client_out, client_in, server_out, server_in;
  guint i;

  test_key (k_c2s, 0x10);
  test_key (k_s2c, 0x90);
  cz_aead_init (&client_out, k_c2s);
  cz_aead_init (&server_in, k_c2s);
  cz_aead_init (&server_out, k_s2c);
  cz_aead_init (&client_in, k_s2c);

  for (i = 0; i < 3; i++)
    g_assert_true (cz_aead_seal_frame (&client_out, "c2s-msg", 7, c2s_wire, &error));
  g_assert_true (cz_aead_seal_frame (&server_out, "s2c-msg", 7, s2c_wire, &error));
  g_assert_no_error (error);
  /* Each direction has its own counter. */
  g_assert_cmpuint (client_out.counter, ==, 3);
  g_assert_cmpuint (server_out.counter, ==, 1);
  g_assert_cmpuint (client_in.counter, ==, 0);
  g_assert_cmpuint (server_in.counter, ==, 0);

  /* A c2s frame does not open with the s2c key, even at the same counter. */
  g_assert_false (cz_aead_open_frame (&client_in, c2s_wire->data, c2s_wire->data + 4, 23, plain, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_DECRYPT);
  g_clear_error (&error);

  g_assert_true (cz_aead_open_frame (&client_in, s2c_wire->data, s2c_wire->data + 4, 23, plain, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (plain, 7, "s2c-msg", 7);
  for (i = 0; i < 3; i++)
    {
      g_assert_true (cz_aead_open_frame (&server_in, c2s_wire->data + 27 * i,
                                         c2s_wire->data + 27 * i + 4, 23, plain, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (plain, 7, "c2s-msg", 7);
    }
  g_assert_cmpuint (server_in.counter, ==, 3);
  g_assert_cmpuint (client_in.counter, ==, 1);
  /* Same plaintext, different counters: different ciphertexts. */
  g_assert_true (memcmp (c2s_wire->data + 4, c2s_wire->data + 27 + 4, 23) != 0);

  cz_aead_clear (&client_out);
  cz_aead_clear (&client_in);
  cz_aead_clear (&server_out);
  cz_aead_clear (&server_in);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/frame/reader/byte-by-byte", test_reader_byte_by_byte);
  g_test_add_func ("/frame/reader/random-cuts", test_reader_random_cuts);
  g_test_add_func ("/frame/reader/partial", test_reader_partial_keeps_only_its_bytes);
  g_test_add_func ("/frame/reader/lengths", test_reader_lengths);
  g_test_add_func ("/frame/aead/nonce", test_nonce);
  g_test_add_func ("/frame/aead/worked-example", test_worked_example);
  g_test_add_func ("/frame/aead/round-trip", test_round_trip);
  g_test_add_func ("/frame/aead/limits", test_seal_limits);
  g_test_add_func ("/frame/aead/counter-exhausted", test_counter_exhausted);
  g_test_add_func ("/frame/aead/open-failures", test_open_failures);
  g_test_add_func ("/frame/aead/directions", test_directions);

  return g_test_run ();
}
