/* test-e2e-device.c: the end-to-end device (common/client/cz-e2e-device.c)
 * in process: two devices with their own files build a session from a
 * bundle (X3DH) and talk both ways over the Double Ratchet; tampered,
 * replayed and misaddressed ciphertexts are refused without breaking the
 * session; one-time prekeys are used once and replenished; the file is
 * private and survives a restart. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "cz-e2e-device.h"
#include "cz-error.h"

typedef struct {
  char *dir;
  char *alice_path;
  char *bob_path;
  CzE2eDevice *alice;
  CzE2eDevice *bob;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  GError *error = NULL;

  f->dir = g_dir_make_tmp ("cz-e2e-XXXXXX", &error);
  g_assert_no_error (error);
  f->alice_path = g_build_filename (f->dir, "a", "alice.db", NULL);
  f->bob_path = g_build_filename (f->dir, "b", "bob.db", NULL);
  f->alice = cz_e2e_device_open (f->alice_path, &error);
  g_assert_no_error (error);
  f->bob = cz_e2e_device_open (f->bob_path, &error);
  g_assert_no_error (error);
}

static void
rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      rm_rf (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->alice, cz_e2e_device_free);
  g_clear_pointer (&f->bob, cz_e2e_device_free);
  rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->alice_path);
  g_free (f->bob_path);
}

/* What the server hands out for @bundle's device: everything but the
 * one-time prekeys, of which only the @index-th (or none if < 0). */
static CzE2eBundle *
fetched (const CzE2eBundle *published, int index)
{
  CzE2eBundle *b = cz_e2e_bundle_new ();

  b->device_id = published->device_id;
  b->identity = g_bytes_ref (published->identity);
  b->signed_prekey_id = published->signed_prekey_id;
  b->signed_prekey = g_bytes_ref (published->signed_prekey);
  b->signature = g_bytes_ref (published->signature);
  if (index >= 0)
    {
      g_array_append_val (b->prekey_ids, g_array_index (published->prekey_ids, guint32, index));
      g_ptr_array_add (b->prekeys, g_bytes_ref (g_ptr_array_index (published->prekeys, index)));
    }
  return b;
}

static CzE2eBundle *
bundle_of (CzE2eDevice *d)
{
  GError *error = NULL;
  CzE2eBundle *b = cz_e2e_device_get_bundle (d, &error);

  g_assert_no_error (error);
  return b;
}

static GBytes *
encrypt (CzE2eDevice *from, const char *to_user, CzE2eDevice *to, const char *text,
         gboolean *prekey)
{
  GError *error = NULL;
  GBytes *ct = cz_e2e_device_encrypt (from, to_user, cz_e2e_device_get_id (to),
                                      text, strlen (text), prekey, &error);

  g_assert_no_error (error);
  g_assert_nonnull (ct);
  /* The plaintext does not show in the ciphertext (long enough texts:
   * two bytes may match by chance). */
  if (strlen (text) >= 8)
    g_assert_null (memmem (g_bytes_get_data (ct, NULL), g_bytes_get_size (ct), text, strlen (text)));
  return ct;
}

static void
assert_decrypts (CzE2eDevice *to, const char *from_user, CzE2eDevice *from, gboolean prekey,
                 GBytes *ct, const char *text)
{
  GError *error = NULL;
  g_autoptr(GBytes) plain = cz_e2e_device_decrypt (to, from_user, cz_e2e_device_get_id (from),
                                                   prekey, ct, &error);

  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), text, strlen (text));
}

static void
start_session (Fixture *f)
{
  g_autoptr(CzE2eBundle) pub = bundle_of (f->bob);
  g_autoptr(CzE2eBundle) one = fetched (pub, 0);
  GError *error = NULL;

  g_assert_true (cz_e2e_device_build_session (f->alice, "bob", one, &error));
  g_assert_no_error (error);
}

static void
test_new_device (Fixture *f, gconstpointer data)
{
  g_autoptr(CzE2eBundle) b = bundle_of (f->alice);
  GStatBuf st;

  g_assert_cmpuint (cz_e2e_device_get_id (f->alice), !=, 0);
  g_assert_cmpuint (cz_e2e_device_get_id (f->alice), <=, G_MAXINT32);
  g_assert_cmpuint (cz_e2e_device_get_id (f->alice), !=, cz_e2e_device_get_id (f->bob));
  g_assert_cmpuint (b->device_id, ==, cz_e2e_device_get_id (f->alice));
  g_assert_cmpuint (g_bytes_get_size (b->identity), ==, 33);
  g_assert_cmpuint (g_bytes_get_size (b->signed_prekey), ==, 33);
  g_assert_cmpuint (g_bytes_get_size (b->signature), ==, 64);
  g_assert_cmpuint (b->prekeys->len, ==, CZ_E2E_PREKEYS_TARGET);
  g_assert_cmpuint (b->prekeys->len, >=, CZ_E2E_PREKEYS_MIN);
  g_assert_cmpuint (b->prekey_ids->len, ==, b->prekeys->len);
  for (guint i = 1; i < b->prekey_ids->len; i++)
    g_assert_cmpuint (g_array_index (b->prekey_ids, guint32, i), >,
                      g_array_index (b->prekey_ids, guint32, i - 1));

  /* Private: the file 0600, its folder 0700. */
  g_assert_cmpint (g_stat (f->alice_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  {
    g_autofree char *dir = g_path_get_dirname (f->alice_path);

    g_assert_cmpint (g_stat (dir, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  }
}

static void
test_reopen_keeps_identity (Fixture *f, gconstpointer data)
{
  guint32 id = cz_e2e_device_get_id (f->alice);
  g_autoptr(GBytes) identity = cz_e2e_device_get_identity (f->alice);
  g_autoptr(GBytes) again = NULL;
  GError *error = NULL;

  cz_e2e_device_free (f->alice);
  f->alice = cz_e2e_device_open (f->alice_path, &error);
  g_assert_no_error (error);
  again = cz_e2e_device_get_identity (f->alice);
  g_assert_cmpuint (cz_e2e_device_get_id (f->alice), ==, id);
  g_assert_true (g_bytes_equal (identity, again));
}

static void
test_both_ways (Fixture *f, gconstpointer data)
{
  gboolean prekey = FALSE;

  start_session (f);
  g_assert_true (cz_e2e_device_has_session (f->alice, "bob", cz_e2e_device_get_id (f->bob)));

  /* Alice speaks first: prekey messages until Bob answers. */
  {
    g_autoptr(GBytes) c1 = encrypt (f->alice, "bob", f->bob, "hello bob", &prekey);
    g_autoptr(GBytes) c2 = NULL;

    g_assert_true (prekey);
    c2 = encrypt (f->alice, "bob", f->bob, "are you there?", &prekey);
    g_assert_true (prekey);
    assert_decrypts (f->bob, "alice", f->alice, TRUE, c1, "hello bob");
    assert_decrypts (f->bob, "alice", f->alice, TRUE, c2, "are you there?");
  }
  /* Bob used one of his one-time prekeys. */
  g_assert_cmpuint (cz_e2e_device_count_prekeys (f->bob), ==, CZ_E2E_PREKEYS_TARGET - 1);
  g_assert_true (cz_e2e_device_has_session (f->bob, "alice", cz_e2e_device_get_id (f->alice)));

  /* Bob answers over plain ratchet messages, then Alice's are too. */
  for (int round = 0; round < 3; round++)
    {
      g_autofree char *t1 = g_strdup_printf ("reply %d from bob ✓", round);
      g_autofree char *t2 = g_strdup_printf ("reply %d from alice", round);
      g_autoptr(GBytes) r = encrypt (f->bob, "alice", f->alice, t1, &prekey);
      g_autoptr(GBytes) s = NULL;

      g_assert_false (prekey);
      assert_decrypts (f->alice, "bob", f->bob, FALSE, r, t1);
      s = encrypt (f->alice, "bob", f->bob, t2, &prekey);
      g_assert_false (prekey);
      assert_decrypts (f->bob, "alice", f->alice, FALSE, s, t2);
    }

  /* Out of order within a chain is fine (skipped message keys). */
  {
    g_autoptr(GBytes) a = encrypt (f->alice, "bob", f->bob, "first", &prekey);
    g_autoptr(GBytes) b = encrypt (f->alice, "bob", f->bob, "second", &prekey);

    assert_decrypts (f->bob, "alice", f->alice, FALSE, b, "second");
    assert_decrypts (f->bob, "alice", f->alice, FALSE, a, "first");
  }

  /* The identities each side recorded are the other's. */
  {
    g_autoptr(GHashTable) ids = cz_e2e_device_identities (f->alice, "bob");
    g_autoptr(GBytes) bob_identity = cz_e2e_device_get_identity (f->bob);
    GBytes *seen = g_hash_table_lookup (ids, GUINT_TO_POINTER (cz_e2e_device_get_id (f->bob)));

    g_assert_nonnull (seen);
    g_assert_true (g_bytes_equal (seen, bob_identity));
  }
}

static void
assert_refused (CzE2eDevice *to, const char *from_user, guint32 from_id, gboolean prekey,
                GBytes *ct)
{
  GError *error = NULL;
  g_autoptr(GBytes) plain = cz_e2e_device_decrypt (to, from_user, from_id, prekey, ct, &error);

  g_assert_null (plain);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_E2E_FAILED);
  g_test_message ("refused: %s", error->message);
  g_error_free (error);
}

static GBytes *
flip (GBytes *ct, gsize at)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (ct, &len);
  guint8 *copy = g_memdup2 (data, len);

  copy[at % len] ^= 0x01;
  return g_bytes_new_take (copy, len);
}

static void
test_tampered_and_replayed (Fixture *f, gconstpointer data)
{
  gboolean prekey;
  guint32 alice_id = cz_e2e_device_get_id (f->alice);

  start_session (f);
  {
    g_autoptr(GBytes) c1 = encrypt (f->alice, "bob", f->bob, "hello", &prekey);

    assert_decrypts (f->bob, "alice", f->alice, TRUE, c1, "hello");
    /* A replay of the first message is refused. */
    assert_refused (f->bob, "alice", alice_id, TRUE, c1);
  }
  {
    g_autoptr(GBytes) r = encrypt (f->bob, "alice", f->alice, "hi", &prekey);

    assert_decrypts (f->alice, "bob", f->bob, FALSE, r, "hi");
  }
  {
    g_autoptr(GBytes) c = encrypt (f->alice, "bob", f->bob, "the real one", &prekey);
    gsize len = g_bytes_get_size (c);

    g_assert_false (prekey);
    /* A flipped bit anywhere (header, body, MAC) is refused... */
    for (gsize at = 1; at < len; at += 7)
      {
        g_autoptr(GBytes) bad = flip (c, at);

        assert_refused (f->bob, "alice", alice_id, FALSE, bad);
      }
    /* ...truncated, empty or garbage too... */
    {
      g_autoptr(GBytes) cut = g_bytes_new_from_bytes (c, 0, len - 5);
      g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
      g_autoptr(GBytes) junk = g_bytes_new ("\x33not a message at all", 21);

      assert_refused (f->bob, "alice", alice_id, FALSE, cut);
      assert_refused (f->bob, "alice", alice_id, FALSE, empty);
      assert_refused (f->bob, "alice", alice_id, FALSE, junk);
      assert_refused (f->bob, "alice", alice_id, TRUE, junk);
    }
    /* ...claimed from another device or user it does not decrypt... */
    assert_refused (f->bob, "alice", alice_id + 1, FALSE, c);
    assert_refused (f->bob, "mallory", alice_id, FALSE, c);
    /* ...and the session is intact: the real one still opens, once. */
    assert_decrypts (f->bob, "alice", f->alice, FALSE, c, "the real one");
    assert_refused (f->bob, "alice", alice_id, FALSE, c);
  }
  {
    g_autoptr(GBytes) later = encrypt (f->alice, "bob", f->bob, "later", &prekey);

    assert_decrypts (f->bob, "alice", f->alice, FALSE, later, "later");
  }
}

static void
test_bad_bundles (Fixture *f, gconstpointer data)
{
  g_autoptr(CzE2eBundle) pub = bundle_of (f->bob);
  GError *error = NULL;

  /* A signature that does not verify. */
  {
    g_autoptr(CzE2eBundle) b = fetched (pub, 0);
    g_autoptr(GBytes) sig = flip (b->signature, 10);

    g_bytes_unref (b->signature);
    b->signature = g_steal_pointer (&sig);
    g_assert_false (cz_e2e_device_build_session (f->alice, "bob", b, &error));
    g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_BUNDLE);
    g_clear_error (&error);
  }
  /* A key of the wrong length or type. */
  {
    g_autoptr(CzE2eBundle) b = fetched (pub, 0);

    g_bytes_unref (b->identity);
    b->identity = g_bytes_new ("\x05short", 6);
    g_assert_false (cz_e2e_device_build_session (f->alice, "bob", b, &error));
    g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_BUNDLE);
    g_clear_error (&error);
  }
  {
    g_autoptr(CzE2eBundle) b = fetched (pub, 0);
    guint8 k[33];

    memset (k, 0x42, sizeof k);   /* type byte 0x42 is no key type */
    g_bytes_unref (b->signed_prekey);
    b->signed_prekey = g_bytes_new (k, sizeof k);
    g_assert_false (cz_e2e_device_build_session (f->alice, "bob", b, &error));
    g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_BUNDLE);
    g_clear_error (&error);
  }
  /* A bad device id. */
  {
    g_autoptr(CzE2eBundle) b = fetched (pub, 0);

    b->device_id = 0;
    g_assert_false (cz_e2e_device_build_session (f->alice, "bob", b, &error));
    g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_BUNDLE);
    g_clear_error (&error);
  }
  g_assert_false (cz_e2e_device_has_session (f->alice, "bob", pub->device_id));
  /* Nothing to encrypt to without a session. */
  {
    g_autoptr(GBytes) ct = cz_e2e_device_encrypt (f->alice, "bob", pub->device_id, "x", 1,
                                                  NULL, &error);

    g_assert_null (ct);
    g_assert_error (error, CZ_ERROR, CZ_ERROR_E2E_FAILED);
    g_clear_error (&error);
  }
}

static void
test_no_one_time_prekey (Fixture *f, gconstpointer data)
{
  /* The server ran out of Bob's one-time prekeys: X3DH without one still
   * works (signed prekey only), and Bob's store is untouched. */
  g_autoptr(CzE2eBundle) pub = bundle_of (f->bob);
  g_autoptr(CzE2eBundle) none = fetched (pub, -1);
  GError *error = NULL;
  gboolean prekey;

  g_assert_true (cz_e2e_device_build_session (f->alice, "bob", none, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GBytes) c = encrypt (f->alice, "bob", f->bob, "no otk", &prekey);

    g_assert_true (prekey);
    assert_decrypts (f->bob, "alice", f->alice, TRUE, c, "no otk");
  }
  g_assert_cmpuint (cz_e2e_device_count_prekeys (f->bob), ==, CZ_E2E_PREKEYS_TARGET);
}

static void
test_prekey_used_once_and_replenished (Fixture *f, gconstpointer data)
{
  g_autoptr(CzE2eBundle) pub = bundle_of (f->bob);
  GError *error = NULL;
  guint added = 0;
  guint used = CZ_E2E_PREKEYS_TARGET - CZ_E2E_PREKEYS_MIN + 1;

  /* Many senders (fresh devices) each take one of Bob's one-time prekeys. */
  for (guint i = 0; i < used; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/s/%u.db", f->dir, i);
      g_autoptr(CzE2eDevice) s = cz_e2e_device_open (path, &error);
      g_autoptr(CzE2eBundle) one = fetched (pub, (int) i);
      g_autoptr(GBytes) c = NULL;
      g_autofree char *who = g_strdup_printf ("sender%u", i);
      gboolean prekey;

      g_assert_no_error (error);
      g_assert_true (cz_e2e_device_build_session (s, "bob", one, &error));
      g_assert_no_error (error);
      c = encrypt (s, "bob", f->bob, "hi", &prekey);
      assert_decrypts (f->bob, who, s, TRUE, c, "hi");
      if (i == 0)
        {
          /* The same one-time prekey a second time (a server that hands
           * it out twice) does not open a new session. */
          g_autofree char *path2 = g_strdup_printf ("%s/s/dup.db", f->dir);
          g_autoptr(CzE2eDevice) dup = cz_e2e_device_open (path2, &error);
          g_autoptr(GBytes) c2 = NULL;

          g_assert_no_error (error);
          g_assert_true (cz_e2e_device_build_session (dup, "bob", one, &error));
          c2 = encrypt (dup, "bob", f->bob, "again", &prekey);
          assert_refused (f->bob, "dup", cz_e2e_device_get_id (dup), TRUE, c2);
        }
    }
  g_assert_cmpuint (cz_e2e_device_count_prekeys (f->bob), ==, CZ_E2E_PREKEYS_MIN - 1);
  g_assert_true (cz_e2e_device_replenish (f->bob, &added, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, CZ_E2E_PREKEYS_TARGET - CZ_E2E_PREKEYS_MIN + 1);
  g_assert_cmpuint (cz_e2e_device_count_prekeys (f->bob), ==, CZ_E2E_PREKEYS_TARGET);
  /* New ids are above every id handed out before. */
  {
    g_autoptr(CzE2eBundle) now = bundle_of (f->bob);
    guint32 old_max = g_array_index (pub->prekey_ids, guint32, pub->prekey_ids->len - 1);
    guint32 new_max = g_array_index (now->prekey_ids, guint32, now->prekey_ids->len - 1);

    g_assert_cmpuint (new_max, >, old_max);
  }
  /* Nothing to do when enough are left. */
  g_assert_true (cz_e2e_device_replenish (f->bob, &added, &error));
  g_assert_cmpuint (added, ==, 0);
}

static void
test_not_a_device_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cz-e2e-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "junk.db", NULL);
  GError *error = NULL;
  CzE2eDevice *d;

  g_assert_true (g_file_set_contents (path, "this is not a database, not at all......", -1, NULL));
  d = cz_e2e_device_open (path, &error);
  g_assert_null (d);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_STORE);
  g_test_message ("%s", error->message);
  g_error_free (error);
  rm_rf (dir);
}

static void
test_default_path (void)
{
  g_autofree char *p = cz_e2e_device_default_path ("chat.example/x", 7443, "alice");
  g_autofree char *expect = g_build_filename (g_get_user_data_dir (), "causerie", "devices",
                                              "chat.example_x_7443", "alice.db", NULL);

  g_assert_cmpstr (p, ==, expect);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/e2e-device/new-device", test_new_device);
  ADD ("/e2e-device/reopen-keeps-identity", test_reopen_keeps_identity);
  ADD ("/e2e-device/both-ways", test_both_ways);
  ADD ("/e2e-device/tampered-and-replayed", test_tampered_and_replayed);
  ADD ("/e2e-device/bad-bundles", test_bad_bundles);
  ADD ("/e2e-device/no-one-time-prekey", test_no_one_time_prekey);
  ADD ("/e2e-device/prekey-used-once-and-replenished", test_prekey_used_once_and_replenished);
#undef ADD
  g_test_add_func ("/e2e-device/not-a-device-file", test_not_a_device_file);
  g_test_add_func ("/e2e-device/default-path", test_default_path);
  return g_test_run ();
}
