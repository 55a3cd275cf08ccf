/* test-attacks-text.c: terminal escape injection on the wire (issue #15
 * item 7, doc/security.md 5.7).  A hand-driven client (tests/fuzz/
 * raw-client.c) says text carrying terminal controls to the real headless
 * server: each is refused with `bad-text` and reaches nobody, while text
 * with a newline and a tab still goes through to a real CLI client. */
#include "config.h"

#include <string.h>

#include "testutil.h"
#include "fuzz/raw-client.h"
#include "cz-message.h"

static struct {
  char *dir;
  char *ca;
  CzTestServer *server;
  CzTestClient *bob;
} F;

static GVariant *
say (guint32 ref, const char *text)
{
  return cz_message_new ("say", "ref", g_variant_new_uint32 (ref),
                         "text", g_variant_new_string (text), NULL);
}

static void
test_controls_refused (void)
{
  /* What the review sent: clear the screen, set the title, ring, and a
   * carriage return that overwrites the line with a forged notice; then
   * the other C0 controls, DEL and the C1 controls (CSI as U+009B). */
  static const char *const attacks[] = {
    "\x1b[2J\x1b[H",
    "\x1b]0;pwned\x07",
    "ding\x07",
    "hello\r* admin: your session expired, log in again with /login",
    "back\x08space",
    "\x01\x02\x03\x0b\x0c\x0e\x1f",
    "del\x7f",
    "csi \xc2\x9b" "2J",
    "nel \xc2\x85",
    "osc \xc2\x9d" "0;title\xc2\x9c",
  };
  g_autoptr(CzRawClient) r = cz_raw_client_new (F.server->port, F.ca, NULL, TRUE);
  g_autoptr(GVariant) ok = NULL;
  g_autoptr(GVariant) ack = NULL;
  guint32 ref = 100;

  cz_raw_register (r, "mallory", "correct horse");
  ok = cz_raw_login (r, "mallory", "correct horse");
  g_assert_cmpstr (cz_message_kind (ok), ==, "auth-ok");

  for (gsize i = 0; i < G_N_ELEMENTS (attacks); i++, ref++)
    {
      cz_raw_send (r, say (ref, attacks[i]));
      cz_raw_expect_error (r, "bad-text", ref);
    }

  /* Newline and tab stay allowed; the connection is still up, and the
   * message reaches bob as it was sent. */
  cz_raw_send (r, say (ref, "two\tcolumns\nsecond line"));
  ack = cz_raw_reply (r, 10000);
  g_assert_cmpstr (cz_message_kind (ack), ==, "ack");
  g_assert_cmpuint (cz_message_ref (ack), ==, ref);
  g_assert_nonnull (cz_test_client_expect_with (F.bob, "message", "text",
                                                "two\tcolumns\nsecond line", 10000));
  /* None of the refused texts was relayed before it. */
  g_assert_cmpuint (cz_test_client_count (F.bob, "message"), ==, 1);
}

static void
test_skip (void)
{
  g_test_skip ("CZ_SERVER_BIN / CZ_CLIENT_BIN are not set (run through make check)");
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  if (cz_test_server_bin () == NULL || cz_test_client_bin () == NULL)
    {
      g_test_add_func ("/attacks-text/skip", test_skip);
      return g_test_run ();
    }

  F.dir = cz_test_make_pki ();
  F.ca = g_build_filename (F.dir, "ca.pem", NULL);
  F.server = cz_test_server_start (F.dir, NULL, &error);
  g_assert_no_error (error);
  F.bob = cz_test_client_start (F.dir, F.server->port, NULL, &error);
  g_assert_no_error (error);
  cz_test_client_register_login (F.bob, "bob", "bob password");

  g_test_add_func ("/attacks-text/controls-refused", test_controls_refused);
  ret = g_test_run ();

  g_assert_cmpint (cz_test_client_finish (F.bob), ==, 0);
  g_assert_cmpint (cz_test_server_stop (F.server), ==, 0);
  cz_test_client_free (F.bob);
  cz_test_server_free (F.server);
  g_free (F.ca);
  cz_test_rmdir (F.dir);
  g_free (F.dir);
  return ret;
}
