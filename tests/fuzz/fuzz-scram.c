/* fuzz-scram.c: SCRAM-SHA-256(-PLUS) message parsing, both sides
 * (common/cz-scram.c).
 *
 * Input: a mode byte, then two messages separated by a NUL byte.
 *   mode & 1 == 0: server side: client-first then client-final;
 *   mode & 1 == 1: client side: server-first then server-final.
 *   mode & 2: with the tls-exporter channel binding (-PLUS), else "n,,"
 *   (the RFC 7677 test vector setting: user "user", password "pencil", its
 *   nonces and salt, 4096 iterations — the seeds hold that exchange).
 *
 * Properties: errors are BAD_FRAME / AUTH_FAILED / PROTOCOL only; a server
 * that accepts a client-final returns "v=" and knows the user; the client
 * accepts a server-final only when it carries the right signature.
 *
 * PBKDF2 at up to 10^7 iterations would make the fuzzer crawl: inputs that
 * would run it with another salt or count than the cached ones are skipped
 * (the parsing in front of PBKDF2 is still reached by the others). */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "cz-error.h"
#include "cz-scram.h"

#define USER "user"
#define PASSWORD "pencil"
#define CLIENT_NONCE "rOprNGfwEbeRWgbNEkqO"
#define SERVER_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define SALT_B64 "W22ZaJ0SNY7soEsUEjb6gQ=="
#define ITERATIONS 4096

static CzScramCredentials creds;
static guint8 salted[32];
static GBytes *salt;
static GBytes *cbind;
static guint8 fake_secret[32] = { 1, 2, 3 };

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gsize len;
  guchar *raw = g_base64_decode (SALT_B64, &len);
  guint8 cb[CZ_SCRAM_CB_EXPORTER_SIZE];

  cz_fuzz_setup ();
  salt = g_bytes_new_take (raw, len);
  g_assert_true (cz_scram_credentials_from_password (&creds, PASSWORD, salt, ITERATIONS, NULL));
  cz_scram_salted_password (PASSWORD, g_bytes_get_data (salt, NULL), len, ITERATIONS, salted);
  for (guint i = 0; i < sizeof cb; i++)
    cb[i] = (guint8) (0xc0 + i);
  cbind = g_bytes_new (cb, sizeof cb);
  return 0;
}

static void
assert_scram_error (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == CZ_ERROR);
  g_assert_true (error->code == CZ_ERROR_BAD_FRAME || error->code == CZ_ERROR_AUTH_FAILED
                 || error->code == CZ_ERROR_PROTOCOL);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* TRUE if cz_scram_client_final would run PBKDF2 for parameters other than
 * the cached ones (see above). */
static gboolean
would_run_pbkdf2 (const char *server_first)
{
  g_auto(GStrv) parts = g_strsplit (server_first, ",", 0);
  const char *s = NULL, *i = NULL;

  for (guint k = 0; parts[k]; k++)
    {
      if (g_str_has_prefix (parts[k], "s="))
        s = parts[k] + 2;
      else if (g_str_has_prefix (parts[k], "i="))
        i = parts[k] + 2;
    }
  return s != NULL && i != NULL && (strcmp (s, SALT_B64) != 0 || strcmp (i, "4096") != 0);
}

static void
server_side (gboolean plus, const char *first, const char *final)
{
  g_autoptr(CzScramServer) s = cz_scram_server_new (plus ? cbind : NULL, SERVER_NONCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;
  g_autofree char *server_first = NULL;
  g_autofree char *server_final = NULL;

  if (!cz_scram_server_parse_first (s, first, &user, &error))
    {
      assert_scram_error (error);
      g_assert_null (user);
      return;
    }
  g_assert_no_error (error);
  g_assert_nonnull (user);
  g_assert_true (g_utf8_validate (user, -1, NULL));
  /* Unknown users get a fake challenge and must fail at the end. */
  server_first = cz_scram_server_first (s, g_str_equal (user, USER) ? &creds : NULL,
                                        fake_secret, ITERATIONS);
  g_assert_true (g_str_has_prefix (server_first, "r="));
  server_final = cz_scram_server_final (s, final, &error);
  if (server_final == NULL)
    {
      assert_scram_error (error);
      g_assert_null (cz_scram_server_get_user (s));
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpstr (user, ==, USER);
  g_assert_true (g_str_has_prefix (server_final, "v="));
  g_assert_cmpstr (cz_scram_server_get_user (s), ==, USER);
  /* A second final is out of sequence. */
  g_assert_null (cz_scram_server_final (s, final, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_PROTOCOL);
}

static void
client_side (gboolean plus, const char *first, const char *final)
{
  g_autoptr(CzScramClient) c = cz_scram_client_new (USER, PASSWORD, plus ? cbind : NULL,
                                                    CLIENT_NONCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *client_first = NULL;
  g_autofree char *client_final = NULL;

  if (would_run_pbkdf2 (first))
    return;
  cz_scram_client_set_salted_password (c, g_bytes_get_data (salt, NULL), g_bytes_get_size (salt),
                                       ITERATIONS, salted);
  client_first = cz_scram_client_first (c);
  g_assert_true (g_str_has_suffix (client_first, "n=" USER ",r=" CLIENT_NONCE));
  client_final = cz_scram_client_final (c, first, &error);
  if (client_final == NULL)
    {
      assert_scram_error (error);
      return;
    }
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (client_final, "c="));
  if (!cz_scram_client_verify_server (c, final, &error))
    {
      assert_scram_error (error);
      return;
    }
  g_assert_no_error (error);
  /* The only server-final that passes is the real signature, which only a
   * server holding ServerKey can compute: check it. */
  {
    g_autoptr(CzScramServer) s = cz_scram_server_new (plus ? cbind : NULL, SERVER_NONCE);
    g_autofree char *user = NULL;
    g_autofree char *sf = NULL;
    g_autofree char *expected = NULL;
    g_autofree char *cfirst = g_strdup (client_first);

    /* Only meaningful when the server nonce was ours (the seeds). */
    if (!g_str_has_prefix (first, "r=" CLIENT_NONCE SERVER_NONCE ","))
      return;
    g_assert_true (cz_scram_server_parse_first (s, cfirst, &user, NULL));
    sf = cz_scram_server_first (s, &creds, fake_secret, ITERATIONS);
    if (!g_str_equal (sf, first))
      return;
    expected = cz_scram_server_final (s, client_final, &error);
    g_assert_no_error (error);
    /* RFC 5802 §7: server-final-message = verifier ["," extensions];
     * extensions the client does not know are ignored, so the verifier
     * must be the real one and anything after it an extension
     * (scram.crashes/: "v=<signature>,g=c"). */
    g_assert_true (g_str_has_prefix (final, expected));
    g_assert_true (final[strlen (expected)] == '\0' || final[strlen (expected)] == ',');
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  CzFuzzInput in = { data, size };
  guint8 mode = cz_fuzz_u8 (&in);
  g_autofree char *text = g_strndup ((const char *) in.data, in.size);
  const char *first = text;
  const guint8 *nul = memchr (in.data, '\0', in.size);
  g_autofree char *final = g_strndup (nul ? (const char *) nul + 1 : "",
                                      nul ? in.size - (gsize) (nul + 1 - in.data) : 0);

  if (mode & 1)
    client_side ((mode & 2) != 0, first, final);
  else
    server_side ((mode & 2) != 0, first, final);
  return 0;
}
