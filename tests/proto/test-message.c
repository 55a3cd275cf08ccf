/* test-message.c: the (sa{sv}) codec: round trips, exact encoding,
 * rejections and accessors. */

#include "config.h"

#include <string.h>

#include "cz-error.h"
#include "cz-message.h"
#include "message-show.h"
#include "testutil.h"

/* ---- Helpers ----------------------------------------------------------- */

static GVariant *
round_trip (GVariant *message)
{
  g_autoptr(GBytes) bytes = cz_message_encode (message);
  g_autoptr(GByteArray) appended = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  GVariant *decoded;
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  /* encode_append gives the same bytes, after what is already there. */
  g_byte_array_append (appended, (const guint8 *) "xyz", 3);
  cz_message_encode_append (message, appended);
  g_assert_cmpmem (appended->data + 3, appended->len - 3, data, len);

  decoded = cz_message_decode (data, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (decoded);
  g_assert_false (g_variant_is_floating (decoded));
  g_assert_true (g_variant_equal (decoded, message));
  g_assert_cmpstr (cz_message_kind (decoded), ==, cz_message_kind (message));
  return decoded;
}

/* Decoding @data must fail with CZ_ERROR_BAD_FRAME. */
static void
assert_rejected (const guint8 *data, gsize len, const char *expect_in_message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) decoded = cz_message_decode (data, len, &error);

  g_assert_null (decoded);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
  if (expect_in_message != NULL && strstr (error->message, expect_in_message) == NULL)
    g_error ("error message “%s” does not mention “%s”", error->message, expect_in_message);
}

static void
assert_message_rejected (GVariant *message, const char *expect_in_message)
{
  g_autoptr(GBytes) bytes = cz_message_encode (message);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  assert_rejected (data, len, expect_in_message);
}

/* The encoding of @message with the first occurrence of @marker replaced
 * by @replacement (same length). */
static GByteArray *
encode_patched (GVariant *message, const char *marker, const char *replacement)
{
  g_autoptr(GBytes) bytes = cz_message_encode (message);
  GByteArray *out = g_byte_array_new ();
  gsize len, mlen = strlen (marker), i;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  g_assert_cmpuint (strlen (replacement), ==, mlen);
  g_byte_array_append (out, data, len);
  for (i = 0; i + mlen <= len; i++)
    if (memcmp (out->data + i, marker, mlen) == 0)
      {
        memcpy (out->data + i, replacement, mlen);
        return out;
      }
  g_error ("marker “%s” not found", marker);
  return NULL;
}

static GBytes *
hex_bytes (const char *hex)
{
  gsize len = strlen (hex) / 2, i;
  guint8 *data = g_malloc (len);

  for (i = 0; i < len; i++)
    data[i] = g_ascii_xdigit_value (hex[2 * i]) * 16 + g_ascii_xdigit_value (hex[2 * i + 1]);
  return g_bytes_new_take (data, len);
}

static GVariant *
bytes_value (const char *data, gsize len)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1);
}

/* A history entry (the fields of `message`). */
static GVariant *
history_entry (gint64 id, const char *from, const char *text)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "id", "x", id);
  g_variant_dict_insert (&dict, "from", "s", from);
  g_variant_dict_insert (&dict, "ts", "x", G_GINT64_CONSTANT (1700000000000) + id);
  g_variant_dict_insert (&dict, "text", "s", text);
  g_variant_dict_insert (&dict, "offline", "b", FALSE);
  g_variant_dict_insert (&dict, "room", "s", "lobby");
  return g_variant_dict_end (&dict);
}

/* ---- Round trips ------------------------------------------------------- */

static void
test_round_trip_kinds (void)
{
  static const char pub[32] = "0123456789abcdef0123456789abcdef";
  static const gint64 ids[] = { 1, 2, G_GINT64_CONSTANT (9007199254740993) };
  static const char *users[] = { "alice", "bob", "zoë-not-a-name-but-utf8", NULL };
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariant *entries[2];
  guint i;

  g_ptr_array_add (messages,
                   cz_message_new ("hello",
                                   "version", g_variant_new_uint32 (1),
                                   "group", g_variant_new_string ("x25519"),
                                   "public", bytes_value (pub, sizeof pub),
                                   "server", g_variant_new_string ("Causerie test server"),
                                   NULL));
  g_ptr_array_add (messages,
                   cz_message_new ("hello",
                                   "version", g_variant_new_uint32 (1),
                                   "public", bytes_value (pub, sizeof pub),
                                   "client", g_variant_new_string ("Causerie CLI"),
                                   NULL));
  g_ptr_array_add (messages,
                   cz_message_new ("say",
                                   "ref", g_variant_new_uint32 (7),
                                   "text", g_variant_new_string ("hi there 👋 \"quoted\"\n"),
                                   NULL));
  g_ptr_array_add (messages,
                   cz_message_new ("msg",
                                   "ref", g_variant_new_uint32 (8),
                                   "to", g_variant_new_string ("bob"),
                                   "text", g_variant_new_string ("psst"),
                                   NULL));
  g_ptr_array_add (messages,
                   cz_message_new ("message",
                                   "id", g_variant_new_int64 (42),
                                   "from", g_variant_new_string ("alice"),
                                   "ts", g_variant_new_int64 (G_GINT64_CONSTANT (1700000000123)),
                                   "text", g_variant_new_string ("hello, lobby"),
                                   "offline", g_variant_new_boolean (TRUE),
                                   "room", g_variant_new_string ("lobby"),
                                   NULL));
  entries[0] = history_entry (1, "alice", "first");
  entries[1] = history_entry (2, "bob", "second");
  g_ptr_array_add (messages,
                   cz_message_new ("history",
                                   "ref", g_variant_new_uint32 (9),
                                   "messages", g_variant_new_array (G_VARIANT_TYPE_VARDICT, entries, 2),
                                   NULL));
  g_ptr_array_add (messages,
                   cz_message_new ("history",
                                   "ref", g_variant_new_uint32 (10),
                                   "messages", g_variant_new_array (G_VARIANT_TYPE_VARDICT, NULL, 0),
                                   NULL));
  g_ptr_array_add (messages,
                   cz_message_new ("who",
                                   "ref", g_variant_new_uint32 (11),
                                   "users", g_variant_new_strv (users, -1),
                                   NULL));
  g_ptr_array_add (messages,
                   cz_message_new ("received",
                                   "ids", g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, ids,
                                                                     G_N_ELEMENTS (ids), sizeof (gint64)),
                                   NULL));
  g_ptr_array_add (messages,
                   cz_message_new ("error",
                                   "ref", g_variant_new_uint32 (3),
                                   "code", g_variant_new_string ("throttled"),
                                   "message", g_variant_new_string ("Too many attempts"),
                                   "retry_after", g_variant_new_uint32 (30),
                                   NULL));
  g_ptr_array_add (messages, cz_message_new_error (0, "bad-frame", "Malformed"));
  g_ptr_array_add (messages, cz_message_new ("ping", NULL));

  for (i = 0; i < messages->len; i++)
    {
      g_autoptr(GVariant) decoded = round_trip (g_ptr_array_index (messages, i));

      (void) decoded;
    }
}

static void
test_round_trip_accessors (void)
{
  static const gint64 ids[] = { 5, G_GINT64_CONSTANT (9007199254740993) };
  GVariant *entry = history_entry (77, "carol", "nested text");
  g_autoptr(GVariant) hist = cz_message_new ("history",
                                             "ref", g_variant_new_uint32 (12),
                                             "messages", g_variant_new_array (G_VARIANT_TYPE_VARDICT, &entry, 1),
                                             NULL);
  g_autoptr(GVariant) received = cz_message_new ("received",
                                                 "ids", g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, ids, 2,
                                                                                   sizeof (gint64)),
                                                 NULL);
  g_autoptr(GVariant) dh = round_trip (hist);
  g_autoptr(GVariant) dr = round_trip (received);
  g_autoptr(GVariant) messages = cz_message_lookup (dh, "messages", G_VARIANT_TYPE ("aa{sv}"));
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) id_list = cz_message_lookup (dr, "ids", G_VARIANT_TYPE ("ax"));
  const char *text = NULL;
  const gint64 *got;
  gint64 id = 0;
  gsize n;

  g_assert_cmpuint (cz_message_ref (dh), ==, 12);
  g_assert_nonnull (messages);
  g_assert_cmpuint (g_variant_n_children (messages), ==, 1);
  first = g_variant_get_child_value (messages, 0);
  g_assert_true (g_variant_lookup (first, "id", "x", &id));
  g_assert_cmpint (id, ==, 77);
  g_assert_true (g_variant_lookup (first, "text", "&s", &text));
  g_assert_cmpstr (text, ==, "nested text");

  g_assert_nonnull (id_list);
  got = g_variant_get_fixed_array (id_list, &n, sizeof (gint64));
  g_assert_cmpmem (got, n * sizeof (gint64), ids, sizeof ids);
}

/* ---- Exact encoding ---------------------------------------------------- */

/* Derived by hand from the GVariant serialization rules:
 *
 * ("ping", {}):  "ping\0" (5) | pad to 8 (3 × 00) | empty a{sv} (0) |
 *                framing offset of the end of the string: 05.
 *
 * ("say", {"ref": <uint32 0x01020304>}):
 *   "say\0"                          73 61 79 00
 *   pad to 8 (a{sv} is 8-aligned)    00 00 00 00
 *   dict entry at 8:
 *     "ref\0"                        72 65 66 00
 *     pad to 8 (v is 8-aligned)      00 00 00 00
 *     v: u32 LE, NUL, "u"            04 03 02 01 00 75
 *     end of key: 4                  04            (entry: 15 bytes)
 *   array framing: end of entry 15   0f            (array: 16 bytes)
 *   tuple framing: end of "say\0" 4  04            (total 25 bytes) */
static void
test_exact_encoding (void)
{
  g_autoptr(GVariant) ping = cz_message_new ("ping", NULL);
  g_autoptr(GVariant) say = cz_message_new ("say", "ref", g_variant_new_uint32 (0x01020304), NULL);
  g_autoptr(GBytes) ping_want = hex_bytes ("70696e670000000005");
  g_autoptr(GBytes) say_want = hex_bytes ("7361790000000000" "7265660000000000" "04030201" "0075" "04" "0f" "04");
  g_autoptr(GBytes) ping_got = cz_message_encode (ping);
  g_autoptr(GBytes) say_got = cz_message_encode (say);
  g_autoptr(GVariant) decoded = NULL;
  g_autoptr(GError) error = NULL;
  guint32 ref = 0;

  g_assert_cmpuint (g_bytes_get_size (say_want), ==, 25);
  g_assert_true (g_bytes_equal (ping_got, ping_want));
  g_assert_true (g_bytes_equal (say_got, say_want));

  /* And the constant decodes to the message on any host. */
  decoded = cz_message_decode (g_bytes_get_data (say_want, NULL), 25, &error);
  g_assert_no_error (error);
  g_assert_true (cz_message_get_uint32 (decoded, "ref", &ref, &error));
  g_assert_cmpuint (ref, ==, 0x01020304);
}

/* ---- Rejections -------------------------------------------------------- */

static void
test_reject_wrong_type (void)
{
  g_autoptr(GVariant) ss = g_variant_ref_sink (g_variant_new ("(ss)", "say", "hello"));
  g_autoptr(GVariant) s = g_variant_ref_sink (g_variant_new_string ("say"));
  g_autoptr(GVariant) sas = g_variant_ref_sink (g_variant_new ("(s^as)", "say", (const char *[]) { "a", NULL }));

  assert_rejected (g_variant_get_data (ss), g_variant_get_size (ss), NULL);
  assert_rejected (g_variant_get_data (s), g_variant_get_size (s), NULL);
  assert_rejected (g_variant_get_data (sas), g_variant_get_size (sas), NULL);
  assert_rejected ((const guint8 *) "", 0, NULL);
  assert_rejected (NULL, 0, NULL);
}

static void
test_reject_truncated (void)
{
  GVariant *entry = history_entry (3, "dave", "truncate me");
  g_autoptr(GVariant) message = cz_message_new ("history",
                                                "ref", g_variant_new_uint32 (1),
                                                "messages", g_variant_new_array (G_VARIANT_TYPE_VARDICT, &entry, 1),
                                                NULL);
  g_autoptr(GBytes) bytes = cz_message_encode (message);
  gsize len, cut;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  for (cut = 0; cut < len; cut++)
    assert_rejected (data, cut, NULL);
  /* One byte too many is not normal form either. */
  {
    g_autoptr(GByteArray) more = g_byte_array_new ();

    g_byte_array_append (more, data, len);
    g_byte_array_append (more, (const guint8 *) "", 1);
    assert_rejected (more->data, more->len, NULL);
  }
}

static void
test_reject_non_normal (void)
{
  g_autoptr(GBytes) want = hex_bytes ("7361790000000000" "7265660000000000" "04030201" "0075" "04" "0f" "04");
  g_autoptr(GByteArray) copy = g_byte_array_new ();

  g_byte_array_append (copy, g_bytes_get_data (want, NULL), 25);
  /* Non-zero padding after "say\0". */
  copy->data[5] = 0x01;
  assert_rejected (copy->data, copy->len, "normal");
  copy->data[5] = 0x00;
  /* Non-zero padding inside the dict entry. */
  copy->data[13] = 0x01;
  assert_rejected (copy->data, copy->len, NULL);
  copy->data[13] = 0x00;
  /* A framing offset pointing elsewhere. */
  copy->data[24] = 0x03;
  assert_rejected (copy->data, copy->len, NULL);
  copy->data[24] = 0x04;
  /* A variant whose type string is not a type. */
  copy->data[21] = '(';
  assert_rejected (copy->data, copy->len, NULL);
  copy->data[21] = 'u';
  /* The pristine copy still decodes. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) ok = cz_message_decode (copy->data, copy->len, &error);

    g_assert_no_error (error);
    g_assert_nonnull (ok);
  }
}

static void
test_reject_utf8 (void)
{
  GVariant *entry = history_entry (4, "erin", "NESTED");
  static const char *users[] = { "alice", "ELEMT", NULL };
  g_autoptr(GVariant) say = cz_message_new ("KINDX",
                                            "KEYXX", g_variant_new_string ("VALUE"),
                                            NULL);
  g_autoptr(GVariant) hist = cz_message_new ("history",
                                             "messages", g_variant_new_array (G_VARIANT_TYPE_VARDICT, &entry, 1),
                                             NULL);
  g_autoptr(GVariant) who = cz_message_new ("who", "users", g_variant_new_strv (users, -1), NULL);
  g_autoptr(GVariant) inner = cz_message_new ("x", "v", g_variant_new_variant (g_variant_new_string ("DEEPV")),
                                              NULL);
  /* 0xff never occurs in UTF-8; \xc3( is a truncated sequence; \xed\xa0\x80
   * is an encoded surrogate; \xc0\xaf an overlong "/". */
  static const char *bad[] = { "\xff\xfe\xfd\xfc\xfb", "ab\xc3(d", "a\xed\xa0\x80z", "ab\xc0\xafz" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GByteArray) kind = encode_patched (say, "KINDX", bad[i]);
      g_autoptr(GByteArray) key = encode_patched (say, "KEYXX", bad[i]);
      g_autoptr(GByteArray) value = encode_patched (say, "VALUE", bad[i]);
      g_autoptr(GByteArray) nested = encode_patched (hist, "NESTED", "n\xff\xfe\xfd" "d!");
      g_autoptr(GByteArray) element = encode_patched (who, "ELEMT", bad[i]);
      g_autoptr(GByteArray) in_v = encode_patched (inner, "DEEPV", bad[i]);

      assert_rejected (kind->data, kind->len, NULL);
      assert_rejected (key->data, key->len, NULL);
      assert_rejected (value->data, value->len, NULL);
      assert_rejected (nested->data, nested->len, NULL);
      assert_rejected (element->data, element->len, NULL);
      assert_rejected (in_v->data, in_v->len, NULL);
    }

  /* The unpatched messages are fine. */
  g_variant_unref (round_trip (say));
  g_variant_unref (round_trip (hist));
  g_variant_unref (round_trip (who));
  g_variant_unref (round_trip (inner));
}

static void
test_reject_duplicates (void)
{
  GVariantBuilder fields, nested;
  g_autoptr(GVariant) dup = NULL;
  g_autoptr(GVariant) dup_nested = NULL;
  GVariant *entry;

  g_variant_builder_init (&fields, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&fields, "{sv}", "ref", g_variant_new_uint32 (1));
  g_variant_builder_add (&fields, "{sv}", "text", g_variant_new_string ("a"));
  g_variant_builder_add (&fields, "{sv}", "ref", g_variant_new_uint32 (2));
  dup = cz_message_new_from_fields ("say", g_variant_builder_end (&fields));
  assert_message_rejected (dup, "ref");

  /* Inside a nested a{sv} too. */
  g_variant_builder_init (&nested, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&nested, "{sv}", "id", g_variant_new_int64 (1));
  g_variant_builder_add (&nested, "{sv}", "id", g_variant_new_int64 (1));
  entry = g_variant_builder_end (&nested);
  dup_nested = cz_message_new ("history",
                               "messages", g_variant_new_array (G_VARIANT_TYPE_VARDICT, &entry, 1),
                               NULL);
  assert_message_rejected (dup_nested, "id");

  /* Many fields (the hash-table path), one duplicate at the end. */
  {
    g_autoptr(GVariant) many = NULL;
    guint i;

    g_variant_builder_init (&fields, G_VARIANT_TYPE_VARDICT);
    for (i = 0; i < 40; i++)
      {
        g_autofree char *key = g_strdup_printf ("k%u", i);

        g_variant_builder_add (&fields, "{sv}", key, g_variant_new_uint32 (i));
      }
    g_variant_builder_add (&fields, "{sv}", "k17", g_variant_new_uint32 (0));
    many = cz_message_new_from_fields ("many", g_variant_builder_end (&fields));
    assert_message_rejected (many, "k17");
  }
}

static void
test_reject_empty_kind (void)
{
  g_autoptr(GVariant) empty = cz_message_new ("", "ref", g_variant_new_uint32 (1), NULL);

  assert_message_rejected (empty, "kind");
}

static GVariant *
wrap_variants (guint levels)
{
  GVariant *value = g_variant_new_uint32 (5);
  guint i;

  for (i = 0; i < levels; i++)
    value = g_variant_new_variant (value);
  return value;
}

static GVariant *
wrap_arrays (guint levels)
{
  GVariant *value = g_variant_new_uint32 (5);
  guint i;

  for (i = 0; i < levels; i++)
    value = g_variant_new_array (NULL, &value, 1);
  return value;
}

static void
test_reject_too_deep (void)
{
  /* The field's own v is free; 7 more levels are fine, 8 are not. */
  g_autoptr(GVariant) ok_v = cz_message_new ("deep", "d", wrap_variants (7), NULL);
  g_autoptr(GVariant) bad_v = cz_message_new ("deep", "d", wrap_variants (8), NULL);
  g_autoptr(GVariant) way_too_deep = cz_message_new ("deep", "d", wrap_variants (100), NULL);
  g_autoptr(GVariant) ok_a = cz_message_new ("deep", "d", wrap_arrays (7), NULL);
  g_autoptr(GVariant) bad_a = cz_message_new ("deep", "d", wrap_arrays (8), NULL);
  g_autoptr(GVariant) decoded = NULL;

  decoded = round_trip (ok_v);
  g_clear_pointer (&decoded, g_variant_unref);
  decoded = round_trip (ok_a);
  assert_message_rejected (bad_v, "deep");
  assert_message_rejected (bad_a, "deep");
  assert_message_rejected (way_too_deep, NULL);
}

/* ---- Accessors --------------------------------------------------------- */

static void
test_accessors (void)
{
  static const char key_bytes[] = "\x01\x02\xff";
  g_autoptr(GVariant) built = cz_message_new ("message",
                                              "id", g_variant_new_int64 (G_GINT64_CONSTANT (-5)),
                                              "from", g_variant_new_string ("alice"),
                                              "offline", g_variant_new_boolean (TRUE),
                                              "public", bytes_value (key_bytes, 3),
                                              "ref", g_variant_new_uint32 (99),
                                              "big", g_variant_new_int64 (G_MAXINT64),
                                              NULL);
  g_autoptr(GVariant) m = round_trip (built);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) looked = NULL;
  const char *str = NULL;
  guint32 u = 0;
  gint64 x = 0;
  gboolean b = FALSE;

  g_assert_cmpstr (cz_message_kind (m), ==, "message");

  g_assert_true (cz_message_get_string (m, "from", &str, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (str, ==, "alice");
  g_assert_true (cz_message_get_int64 (m, "id", &x, &error));
  g_assert_cmpint (x, ==, -5);
  g_assert_true (cz_message_get_int64 (m, "big", &x, &error));
  g_assert_cmpint (x, ==, G_MAXINT64);
  g_assert_true (cz_message_get_boolean (m, "offline", &b, &error));
  g_assert_true (b);
  g_assert_true (cz_message_get_uint32 (m, "ref", &u, &error));
  g_assert_cmpuint (u, ==, 99);
  g_assert_true (cz_message_get_bytes (m, "public", &bytes, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), key_bytes, 3);
  g_assert_cmpuint (cz_message_ref (m), ==, 99);

  /* Missing field. */
  g_assert_false (cz_message_get_string (m, "text", &str, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
  g_assert_nonnull (strstr (error->message, "text"));
  g_clear_error (&error);
  /* Wrong types, each way round. */
  g_assert_false (cz_message_get_string (m, "id", &str, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
  g_assert_nonnull (strstr (error->message, "id"));
  g_clear_error (&error);
  g_assert_false (cz_message_get_uint32 (m, "id", &u, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
  g_clear_error (&error);
  g_assert_false (cz_message_get_int64 (m, "ref", &x, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
  g_clear_error (&error);
  g_assert_false (cz_message_get_boolean (m, "from", &b, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
  g_clear_error (&error);
  g_assert_false (cz_message_get_bytes (m, "from", &bytes, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
  g_clear_error (&error);

  /* Lookup by type. */
  looked = cz_message_lookup (m, "from", G_VARIANT_TYPE_STRING);
  g_assert_nonnull (looked);
  g_clear_pointer (&looked, g_variant_unref);
  g_assert_null (cz_message_lookup (m, "from", G_VARIANT_TYPE_INT64));
  g_assert_null (cz_message_lookup (m, "nothing", NULL));
  looked = cz_message_lookup (m, "id", NULL);
  g_assert_true (g_variant_is_of_type (looked, G_VARIANT_TYPE_INT64));

  /* Optional fields: defaults when absent or wrongly typed. */
  g_assert_cmpuint (cz_message_opt_uint32 (m, "ref", 1), ==, 99);
  g_assert_cmpuint (cz_message_opt_uint32 (m, "limit", 50), ==, 50);
  g_assert_cmpuint (cz_message_opt_uint32 (m, "id", 50), ==, 50);
  g_assert_cmpstr (cz_message_opt_string (m, "from", "x"), ==, "alice");
  g_assert_cmpstr (cz_message_opt_string (m, "room", "lobby"), ==, "lobby");
  g_assert_cmpstr (cz_message_opt_string (m, "id", "def"), ==, "def");
  g_assert_null (cz_message_opt_string (m, "room", NULL));

  /* No ref: 0. */
  {
    g_autoptr(GVariant) noref = cz_message_new ("bye", "reason", g_variant_new_string ("done"), NULL);

    g_assert_cmpuint (cz_message_ref (noref), ==, 0);
  }
}

static void
test_new_error (void)
{
  g_autoptr(GVariant) e = cz_message_new_error (4, "no-such-user", "No user “zed”");
  const char *code = NULL, *text = NULL;

  g_assert_cmpstr (cz_message_kind (e), ==, "error");
  g_assert_cmpuint (cz_message_ref (e), ==, 4);
  g_assert_true (cz_message_get_string (e, "code", &code, NULL));
  g_assert_cmpstr (code, ==, "no-such-user");
  g_assert_true (cz_message_get_string (e, "message", &text, NULL));
  g_assert_cmpstr (text, ==, "No user “zed”");
}

static void
test_new_from_fields (void)
{
  GVariantDict dict;
  g_autoptr(GVariant) fields = NULL;
  g_autoptr(GVariant) a = NULL;
  g_autoptr(GVariant) b = NULL;

  /* A floating a{sv} is sunk... */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "ref", "u", 5);
  a = cz_message_new_from_fields ("who", g_variant_dict_end (&dict));
  g_assert_cmpuint (cz_message_ref (a), ==, 5);

  /* ...a caller's reference stays the caller's. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "ref", "u", 6);
  fields = g_variant_ref_sink (g_variant_dict_end (&dict));
  b = cz_message_new_from_fields ("who", fields);
  g_assert_cmpuint (cz_message_ref (b), ==, 6);
  g_assert_true (g_variant_is_of_type (fields, G_VARIANT_TYPE_VARDICT));
}

/* Shared values (interned strings, the two booleans, a value in two
 * messages) encode exactly as fresh ones, and stay their holder's. */
static void
test_shared_values (void)
{
  g_autoptr(GVariant) lobby1 = cz_message_intern ("lobby");
  g_autoptr(GVariant) lobby2 = cz_message_intern ("lobby");
  g_autoptr(GVariant) other1 = cz_message_intern ("not-common");
  g_autoptr(GVariant) other2 = cz_message_intern ("not-common");
  g_autoptr(GVariant) yes = cz_message_boolean (TRUE);
  g_autoptr(GVariant) no = cz_message_boolean (FALSE);
  g_autoptr(GVariant) id = g_variant_ref_sink (g_variant_new_int64 (42));
  g_autoptr(GVariant) shared = NULL;
  g_autoptr(GVariant) fresh = NULL;
  g_autoptr(GVariant) ack = NULL;
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;

  g_assert_true (lobby1 == lobby2);
  g_assert_false (other1 == other2);
  g_assert_cmpstr (g_variant_get_string (other2, NULL), ==, "not-common");
  g_assert_true (g_variant_get_boolean (yes));
  g_assert_false (g_variant_get_boolean (no));

  shared = cz_message_new ("message", "id", id, "room", lobby1, "offline", yes, NULL);
  ack = cz_message_new ("ack", "id", id, NULL);
  fresh = cz_message_new ("message",
                          "id", g_variant_new_int64 (42),
                          "room", g_variant_new_string ("lobby"),
                          "offline", g_variant_new_boolean (TRUE),
                          NULL);
  a = cz_message_encode (shared);
  b = cz_message_encode (fresh);
  g_assert_true (g_bytes_equal (a, b));
  g_assert_false (g_variant_is_floating (id));   /* ours after serving two messages */
  g_assert_cmpint (g_variant_get_int64 (id), ==, 42);
  g_assert_cmpstr (cz_message_kind (ack), ==, "ack");
}

static void
test_to_string (void)
{
  g_autoptr(GVariant) say = cz_message_new ("say",
                                            "ref", g_variant_new_uint32 (7),
                                            "text", g_variant_new_string ("hi"),
                                            NULL);
  g_autoptr(GVariant) hello = cz_message_new ("hello",
                                              "public", bytes_value ("\x00\xab\x10", 3),
                                              "ok", g_variant_new_boolean (TRUE),
                                              NULL);
  g_autofree char *long_text = g_strnfill (1000, 'a');
  g_autofree char *long_key = g_malloc0 (100);
  g_autoptr(GVariant) big = NULL;
  g_autoptr(GVariant) ping = cz_message_new ("ping", NULL);
  g_autoptr(GVariant) who = NULL;
  g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL, *s5 = NULL;
  static const char *users[] = { "a", "b", NULL };

  memset (long_key, 0x5a, 99);
  big = cz_message_new ("big",
                        "text", g_variant_new_string (long_text),
                        "key", bytes_value (long_key, 99),
                        "quote", g_variant_new_string ("say \"x\"\n"),
                        NULL);
  who = cz_message_new ("who", "users", g_variant_new_strv (users, -1), "n", g_variant_new_int64 (-3), NULL);

  s1 = cz_message_to_string (say);
  g_assert_cmpstr (s1, ==, "say {ref: 7, text: \"hi\"}");
  s2 = cz_message_to_string (hello);
  g_assert_cmpstr (s2, ==, "hello {public: 00ab10, ok: true}");
  s3 = cz_message_to_string (ping);
  g_assert_cmpstr (s3, ==, "ping {}");
  s4 = cz_message_to_string (who);
  g_assert_cmpstr (s4, ==, "who {users: [\"a\", \"b\"], n: -3}");

  s5 = cz_message_to_string (big);
  /* Shortened, on one line, with the sizes. */
  g_assert_cmpuint (strlen (s5), <, 400);
  g_assert_null (strchr (s5, '\n'));
  g_assert_nonnull (strstr (s5, "(1000 characters)"));
  g_assert_nonnull (strstr (s5, "(99 bytes)"));
  g_assert_nonnull (strstr (s5, "5a5a5a"));
  g_assert_nonnull (strstr (s5, "quote: \"say \\\"x\\\"\\n\""));
}

/* Several fields in one pass, on a message as built (tree form), on the
 * same message decoded (this thread's table of its last decode) and on it
 * once another message was decoded since (the serialized path): the same
 * answers each time. */
static void
check_fields (GVariant *m)
{
  CzMessageField f[] = {
    { "text", G_VARIANT_TYPE_STRING, NULL },
    { "ref", G_VARIANT_TYPE_UINT32, NULL },
    { "to", G_VARIANT_TYPE_STRING, NULL },      /* absent */
    { "id", G_VARIANT_TYPE_STRING, NULL },      /* of another type */
    { "id", NULL, NULL },                        /* any type */
  };
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (cz_message_kind (m), ==, "say");
  cz_message_lookup_fields (m, f, G_N_ELEMENTS (f));
  g_assert_cmpstr (g_variant_get_string (f[0].value, NULL), ==, "hé");
  g_assert_cmpuint (g_variant_get_uint32 (f[1].value), ==, 7);
  g_assert_null (f[2].value);
  g_assert_null (f[3].value);
  g_assert_cmpint (g_variant_get_int64 (f[4].value), ==, -5);
  cz_message_fields_clear (f, G_N_ELEMENTS (f));
  g_assert_null (f[0].value);

  /* Required: all there, or the first missing one's error and no values. */
  g_assert_true (cz_message_require_fields (m, f, 2, &error));
  g_assert_no_error (error);
  g_assert_nonnull (f[1].value);
  cz_message_fields_clear (f, 2);
  g_assert_false (cz_message_require_fields (m, f, 4, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
  g_assert_nonnull (strstr (error->message, "“to”"));
  for (guint i = 0; i < 4; i++)
    g_assert_null (f[i].value);
}

static void
test_lookup_fields (void)
{
  const char *keys[] = { "ref", "text", "id" };
  GVariant *values[] = { g_variant_new_uint32 (7), g_variant_new_string ("hé"),
                         g_variant_new_int64 (-5) };
  g_autoptr(GVariant) built = cz_message_newv ("say", keys, values, 3);
  g_autoptr(GVariant) same = cz_message_new ("say", "ref", g_variant_new_uint32 (7),
                                             "text", g_variant_new_string ("hé"),
                                             "id", g_variant_new_int64 (-5), NULL);
  g_autoptr(GBytes) wire = cz_message_encode (built);
  g_autoptr(GBytes) wire2 = cz_message_encode (same);
  g_autoptr(GVariant) decoded = NULL;
  g_autoptr(GVariant) other = NULL;
  g_autoptr(GError) error = NULL;

  /* newv and the varargs constructor build the same bytes. */
  g_assert_true (g_bytes_equal (wire, wire2));
  check_fields (built);
  decoded = cz_message_decode (g_bytes_get_data (wire, NULL), g_bytes_get_size (wire), &error);
  g_assert_no_error (error);
  check_fields (decoded);
  other = cz_message_decode (g_bytes_get_data (wire2, NULL), g_bytes_get_size (wire2), &error);
  g_assert_no_error (error);
  check_fields (decoded);
  cz_message_forget (decoded);   /* not the last decoded: changes nothing */
  check_fields (other);
  cz_message_forget (other);     /* now the slow path answers */
  check_fields (other);

  /* An entry of a list: the fields alone. */
  {
    g_autoptr(GVariant) entry = g_variant_ref_sink (cz_message_fields_newv (keys, values, 0));

    g_assert_true (g_variant_is_of_type (entry, G_VARIANT_TYPE_VARDICT));
    g_assert_cmpuint (g_variant_n_children (entry), ==, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/message/round-trip/kinds", test_round_trip_kinds);
  g_test_add_func ("/message/round-trip/accessors", test_round_trip_accessors);
  g_test_add_func ("/message/encoding/exact", test_exact_encoding);
  g_test_add_func ("/message/reject/wrong-type", test_reject_wrong_type);
  g_test_add_func ("/message/reject/truncated", test_reject_truncated);
  g_test_add_func ("/message/reject/non-normal", test_reject_non_normal);
  g_test_add_func ("/message/reject/utf8", test_reject_utf8);
  g_test_add_func ("/message/reject/duplicates", test_reject_duplicates);
  g_test_add_func ("/message/reject/empty-kind", test_reject_empty_kind);
  g_test_add_func ("/message/reject/too-deep", test_reject_too_deep);
  g_test_add_func ("/message/accessors", test_accessors);
  g_test_add_func ("/message/lookup-fields", test_lookup_fields);
  g_test_add_func ("/message/new-error", test_new_error);
  g_test_add_func ("/message/new-from-fields", test_new_from_fields);
  g_test_add_func ("/message/shared-values", test_shared_values);
  g_test_add_func ("/message/to-string", test_to_string);

  return g_test_run ();
}
