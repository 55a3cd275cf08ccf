#include "config.h"

#include <string.h>

#include "cz-crypto.h"
#include "cz-error.h"
#include "cz-scram.h"

/* RFC 7677 §3. */
#define RFC_USER "user"
#define RFC_PASSWORD "pencil"
#define RFC_CLIENT_NONCE "rOprNGfwEbeRWgbNEkqO"
#define RFC_SERVER_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_SALT "W22ZaJ0SNY7soEsUEjb6gQ=="
#define RFC_CLIENT_FIRST "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define RFC_SERVER_FIRST \
  "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define RFC_CLIENT_FINAL \
  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," \
  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

#define ITER CZ_SCRAM_MIN_ITERATIONS

static guint8 fake_secret[32];

static GBytes *
rfc_salt (void)
{
  gsize len;
  guchar *data = g_base64_decode (RFC_SALT, &len);

  return g_bytes_new_take (data, len);
}

static GBytes *
make_cbind (guint8 fill)
{
  guint8 buf[CZ_SCRAM_CB_EXPORTER_SIZE];

  memset (buf, fill, sizeof buf);
  buf[0] = 0x42;
  return g_bytes_new (buf, sizeof buf);
}

static void
make_creds (CzScramCredentials *creds, const char *password)
{
  g_autoptr(GBytes) salt = cz_scram_new_salt ();

  g_assert_true (cz_scram_credentials_from_password (creds, password, salt, ITER, NULL));
}

/* Runs a whole exchange; returns the server's error (NULL on success) and
 * checks that the client accepts the server-final when the server did. */
static GError *
run_exchange (const char *password, GBytes *client_cb, GBytes *server_cb,
              const CzScramCredentials *creds)
{
  g_autoptr(CzScramClient) c = cz_scram_client_new ("alice", password, client_cb, NULL);
  g_autoptr(CzScramServer) s = cz_scram_server_new (server_cb, NULL);
  g_autofree char *first = cz_scram_client_first (c);
  g_autofree char *user = NULL;
  g_autofree char *sfirst = NULL;
  g_autofree char *cfinal = NULL;
  g_autofree char *sfinal = NULL;
  GError *error = NULL;

  if (!cz_scram_server_parse_first (s, first, &user, &error))
    return error;
  g_assert_cmpstr (user, ==, "alice");
  sfirst = cz_scram_server_first (s, creds, fake_secret, ITER);
  cfinal = cz_scram_client_final (c, sfirst, &error);
  g_assert_no_error (error);
  sfinal = cz_scram_server_final (s, cfinal, &error);
  if (sfinal == NULL)
    {
      g_assert_null (cz_scram_server_get_user (s));
      return error;
    }
  g_assert_cmpstr (cz_scram_server_get_user (s), ==, "alice");
  g_assert_true (cz_scram_client_verify_server (c, sfinal, &error));
  g_assert_no_error (error);
  return NULL;
}

static void
test_rfc7677 (void)
{
  g_autoptr(CzScramClient) c = cz_scram_client_new (RFC_USER, RFC_PASSWORD, NULL, RFC_CLIENT_NONCE);
  g_autoptr(CzScramServer) s = cz_scram_server_new (NULL, RFC_SERVER_NONCE);
  g_auto(CzScramCredentials) creds = { 0 };
  g_autoptr(GBytes) salt = rfc_salt ();
  g_autoptr(GBytes) used_salt = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL, *user = NULL, *sfirst = NULL;
  g_autofree char *cfinal = NULL, *sfinal = NULL;
  guint iterations = 0;
  guint8 salted[32], salted2[32];

  g_assert_true (cz_scram_credentials_from_password (&creds, RFC_PASSWORD, salt, 4096, NULL));

  first = cz_scram_client_first (c);
  g_assert_cmpstr (first, ==, RFC_CLIENT_FIRST);
  g_assert_true (cz_scram_server_parse_first (s, first, &user, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (user, ==, RFC_USER);

  sfirst = cz_scram_server_first (s, &creds, fake_secret, ITER);
  g_assert_cmpstr (sfirst, ==, RFC_SERVER_FIRST);

  cfinal = cz_scram_client_final (c, sfirst, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cfinal, ==, RFC_CLIENT_FINAL);

  sfinal = cz_scram_server_final (s, cfinal, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sfinal, ==, RFC_SERVER_FINAL);
  g_assert_cmpstr (cz_scram_server_get_user (s), ==, RFC_USER);

  g_assert_true (cz_scram_client_verify_server (c, sfinal, &error));
  g_assert_no_error (error);

  /* What the client hands to its cache is the RFC's SaltedPassword. */
  g_assert_true (cz_scram_client_get_salted (c, &used_salt, &iterations, salted));
  g_assert_true (g_bytes_equal (used_salt, salt));
  g_assert_cmpuint (iterations, ==, 4096);
  cz_scram_salted_password (RFC_PASSWORD, g_bytes_get_data (salt, NULL),
                            g_bytes_get_size (salt), 4096, salted2);
  g_assert_cmpmem (salted, 32, salted2, 32);
}

static void
test_plus (void)
{
  g_autoptr(GBytes) cb = make_cbind (7);
  g_autoptr(CzScramClient) c = cz_scram_client_new ("alice", "secret", cb, NULL);
  g_autofree char *first = cz_scram_client_first (c);
  g_auto(CzScramCredentials) creds = { 0 };
  GError *error;

  g_assert_true (g_str_has_prefix (first, "p=tls-exporter,,n=alice,r="));
  /* 24 random bytes in base64 = 32 characters. */
  g_assert_cmpuint (strlen (first), ==, strlen ("p=tls-exporter,,n=alice,r=") + 32);

  make_creds (&creds, "secret");
  error = run_exchange ("secret", cb, cb, &creds);
  g_assert_no_error (error);
}

static void
test_wrong_password (void)
{
  g_autoptr(GBytes) cb = make_cbind (1);
  g_auto(CzScramCredentials) creds = { 0 };
  g_autoptr(GError) error = NULL;

  make_creds (&creds, "secret");
  error = run_exchange ("Secret", cb, cb, &creds);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED);
  g_assert_cmpstr (error->message, ==, "authentication failed");
}

static void
test_wrong_channel_binding (void)
{
  g_autoptr(GBytes) cb1 = make_cbind (1);
  g_autoptr(GBytes) cb2 = make_cbind (2);
  g_auto(CzScramCredentials) creds = { 0 };
  g_autoptr(GError) error = NULL;

  make_creds (&creds, "secret");
  error = run_exchange ("secret", cb1, cb2, &creds);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED);
}

static void
test_downgrade (void)
{
  const char *firsts[] = {
    "n,,n=alice,r=abcdef",
    "y,,n=alice,r=abcdef",
    "p=tls-unique,,n=alice,r=abcdef",
    "p=tls-server-end-point,,n=alice,r=abcdef",
  };
  g_autoptr(GBytes) cb = make_cbind (3);
  g_autoptr(CzScramClient) c = cz_scram_client_new ("alice", "secret", NULL, NULL);
  g_autoptr(CzScramServer) s = cz_scram_server_new (cb, NULL);
  g_autofree char *first = cz_scram_client_first (c);
  g_autoptr(GError) error = NULL;
  char *user = NULL;

  /* A real client without channel binding. */
  g_assert_false (cz_scram_server_parse_first (s, first, &user, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED);
  g_assert_null (user);

  for (guint i = 0; i < G_N_ELEMENTS (firsts); i++)
    {
      g_autoptr(CzScramServer) s2 = cz_scram_server_new (cb, NULL);

      g_clear_error (&error);
      g_assert_false (cz_scram_server_parse_first (s2, firsts[i], NULL, &error));
      g_assert_error (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED);
    }

  /* And the other way: the test-only server without binding refuses "p=". */
  {
    g_autoptr(CzScramServer) s3 = cz_scram_server_new (NULL, NULL);

    g_clear_error (&error);
    g_assert_false (cz_scram_server_parse_first (s3, "p=tls-exporter,,n=a,r=abc", NULL, &error));
    g_assert_error (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED);
  }
}

static void
test_tampered_nonce (void)
{
  g_autoptr(GBytes) cb = make_cbind (4);
  g_auto(CzScramCredentials) creds = { 0 };
  g_autoptr(GError) error = NULL;

  make_creds (&creds, "secret");

  /* The server's nonce must extend the client's. */
  {
    g_autoptr(CzScramClient) c = cz_scram_client_new ("alice", "secret", cb, "clientnonce");
    g_autofree char *first = cz_scram_client_first (c);
    g_autofree char *cfinal = NULL;

    cfinal = cz_scram_client_final (c, "r=Xlientnonce123,s=" RFC_SALT ",i=4096", &error);
    g_assert_null (cfinal);
    g_assert_error (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED);
    g_clear_error (&error);
  }
  {
    g_autoptr(CzScramClient) c = cz_scram_client_new ("alice", "secret", cb, "clientnonce");
    g_autofree char *first = cz_scram_client_first (c);
    g_autofree char *cfinal = NULL;

    /* No server part at all. */
    cfinal = cz_scram_client_final (c, "r=clientnonce,s=" RFC_SALT ",i=4096", &error);
    g_assert_null (cfinal);
    g_assert_error (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED);
    g_clear_error (&error);
  }

  /* The client-final must echo the combined nonce. */
  {
    g_autoptr(CzScramClient) c = cz_scram_client_new ("alice", "secret", cb, NULL);
    g_autoptr(CzScramServer) s = cz_scram_server_new (cb, NULL);
    g_autofree char *first = cz_scram_client_first (c);
    g_autofree char *sfirst = NULL, *cfinal = NULL, *sfinal = NULL;
    char *r;

    g_assert_true (cz_scram_server_parse_first (s, first, NULL, &error));
    sfirst = cz_scram_server_first (s, &creds, fake_secret, ITER);
    cfinal = cz_scram_client_final (c, sfirst, &error);
    g_assert_no_error (error);
    r = strstr (cfinal, ",r=");
    g_assert_nonnull (r);
    r[4] = r[4] == 'A' ? 'B' : 'A';
    sfinal = cz_scram_server_final (s, cfinal, &error);
    g_assert_null (sfinal);
    g_assert_error (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED);
    g_assert_null (cz_scram_server_get_user (s));
  }
}

static void
test_tampered_server_signature (void)
{
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(CzScramClient) c = cz_scram_client_new (RFC_USER, RFC_PASSWORD, NULL, RFC_CLIENT_NONCE);
    g_autofree char *first = cz_scram_client_first (c);
    g_autofree char *cfinal = cz_scram_client_final (c, RFC_SERVER_FIRST, &error);

    g_assert_no_error (error);
    g_assert_false (cz_scram_client_verify_server (c, "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", &error));
    g_assert_error (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED);
    g_clear_error (&error);
    /* One try only: the right answer afterwards does not help. */
    g_assert_false (cz_scram_client_verify_server (c, RFC_SERVER_FINAL, &error));
    g_assert_error (error, CZ_ERROR, CZ_ERROR_PROTOCOL);
    g_clear_error (&error);
  }
  {
    g_autoptr(CzScramClient) c = cz_scram_client_new (RFC_USER, RFC_PASSWORD, NULL, RFC_CLIENT_NONCE);
    g_autofree char *first = cz_scram_client_first (c);
    g_autofree char *cfinal = cz_scram_client_final (c, RFC_SERVER_FIRST, &error);

    g_assert_false (cz_scram_client_verify_server (c, "e=invalid-proof", &error));
    g_assert_error (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED);
    g_assert_nonnull (strstr (error->message, "invalid-proof"));
    g_clear_error (&error);
  }
  {
    /* A truncated signature is malformed. */
    g_autoptr(CzScramClient) c = cz_scram_client_new (RFC_USER, RFC_PASSWORD, NULL, RFC_CLIENT_NONCE);
    g_autofree char *first = cz_scram_client_first (c);
    g_autofree char *cfinal = cz_scram_client_final (c, RFC_SERVER_FIRST, &error);

    g_assert_false (cz_scram_client_verify_server (c, "v=6rriTRBi23WpRR/wtup+mMhU", &error));
    g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
  }
}

static GBytes *
salt_of (const char *server_first, guint *iterations)
{
  g_auto(GStrv) parts = g_strsplit (server_first, ",", -1);
  gsize len;
  guchar *salt;

  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  g_assert_true (g_str_has_prefix (parts[1], "s="));
  g_assert_true (g_str_has_prefix (parts[2], "i="));
  salt = g_base64_decode (parts[1] + 2, &len);
  *iterations = (guint) g_ascii_strtoull (parts[2] + 2, NULL, 10);
  return g_bytes_new_take (salt, len);
}

static char *
server_first_for (GBytes *cb, const char *name, const CzScramCredentials *creds)
{
  g_autoptr(CzScramClient) c = cz_scram_client_new (name, "x", cb, NULL);
  g_autoptr(CzScramServer) s = cz_scram_server_new (cb, NULL);
  g_autofree char *first = cz_scram_client_first (c);
  g_autoptr(GError) error = NULL;

  g_assert_true (cz_scram_server_parse_first (s, first, NULL, &error));
  g_assert_no_error (error);
  return cz_scram_server_first (s, creds, fake_secret, ITER);
}

static void
test_unknown_user (void)
{
  g_autoptr(GBytes) cb = make_cbind (5);
  g_auto(CzScramCredentials) creds = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *real = NULL, *fake1 = NULL, *fake2 = NULL, *other = NULL;
  g_autoptr(GBytes) real_salt = NULL, salt1 = NULL, salt2 = NULL, salt3 = NULL;
  guint real_iter, iter1, iter2, iter3;

  make_creds (&creds, "secret");
  real = server_first_for (cb, "alice", &creds);
  fake1 = server_first_for (cb, "mallory", NULL);
  fake2 = server_first_for (cb, "mallory", NULL);
  other = server_first_for (cb, "trudy", NULL);

  real_salt = salt_of (real, &real_iter);
  salt1 = salt_of (fake1, &iter1);
  salt2 = salt_of (fake2, &iter2);
  salt3 = salt_of (other, &iter3);
  g_assert_cmpuint (g_bytes_get_size (real_salt), ==, CZ_SCRAM_SALT_SIZE);
  g_assert_cmpuint (g_bytes_get_size (salt1), ==, CZ_SCRAM_SALT_SIZE);
  g_assert_cmpuint (real_iter, ==, iter1);
  g_assert_cmpuint (iter1, ==, ITER);
  /* Stable per name (asking twice gives the same salt), different per name. */
  g_assert_true (g_bytes_equal (salt1, salt2));
  g_assert_false (g_bytes_equal (salt1, salt3));

  /* The exchange goes on normally and fails at the end only. */
  {
    g_autoptr(CzScramClient) c = cz_scram_client_new ("mallory", "secret", cb, NULL);
    g_autoptr(CzScramServer) s = cz_scram_server_new (cb, NULL);
    g_autofree char *first = cz_scram_client_first (c);
    g_autofree char *sfirst = NULL, *cfinal = NULL, *sfinal = NULL;

    g_assert_true (cz_scram_server_parse_first (s, first, NULL, &error));
    sfirst = cz_scram_server_first (s, NULL, fake_secret, ITER);
    cfinal = cz_scram_client_final (c, sfirst, &error);
    g_assert_no_error (error);
    g_assert_nonnull (cfinal);
    sfinal = cz_scram_server_final (s, cfinal, &error);
    g_assert_null (sfinal);
    g_assert_error (error, CZ_ERROR, CZ_ERROR_AUTH_FAILED);
    g_assert_cmpstr (error->message, ==, "authentication failed");
  }
}

static void
expect_client_first_refused (const char *msg, int code)
{
  g_autoptr(CzScramServer) s = cz_scram_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  char *user = NULL;

  g_autofree char *shown = g_strescape (msg, NULL);

  g_test_message ("client-first: %s", shown);
  g_assert_false (cz_scram_server_parse_first (s, msg, &user, &error));
  g_assert_error (error, CZ_ERROR, code);
  g_assert_null (user);
}

static void
expect_server_first_refused (const char *msg, int code)
{
  g_autoptr(CzScramClient) c = cz_scram_client_new ("user", "pencil", NULL, "abc");
  g_autofree char *first = cz_scram_client_first (c);
  g_autofree char *cfinal = NULL;
  g_autoptr(GError) error = NULL;

  g_autofree char *shown = g_strescape (msg, NULL);

  g_test_message ("server-first: %s", shown);
  cfinal = cz_scram_client_final (c, msg, &error);
  g_assert_null (cfinal);
  g_assert_error (error, CZ_ERROR, code);
}

static void
expect_client_final_refused (const char *msg, int code)
{
  g_autoptr(CzScramServer) s = cz_scram_server_new (NULL, "XYZ");
  g_auto(CzScramCredentials) creds = { 0 };
  g_autofree char *sfirst = NULL, *sfinal = NULL;
  g_autoptr(GError) error = NULL;

  g_autofree char *shown = g_strescape (msg, NULL);

  g_test_message ("client-final: %s", shown);
  make_creds (&creds, "pencil");
  g_assert_true (cz_scram_server_parse_first (s, "n,,n=user,r=abc", NULL, &error));
  sfirst = cz_scram_server_first (s, &creds, fake_secret, ITER);
  sfinal = cz_scram_server_final (s, msg, &error);
  g_assert_null (sfinal);
  g_assert_error (error, CZ_ERROR, code);
}

static void
test_malformed (void)
{
  int bad = CZ_ERROR_BAD_FRAME;
  char long_nonce[300];

  expect_client_first_refused ("n,,n=user", bad);                 /* no r= */
  expect_client_first_refused ("n,,r=abc", bad);                  /* no n= */
  expect_client_first_refused ("n,,r=abc,n=user", bad);           /* order */
  expect_client_first_refused ("n,,n=user,r=abc,r=abc", bad);     /* duplicate */
  expect_client_first_refused ("n,,n=user,n=bob,r=abc", bad);
  expect_client_first_refused ("n,,m=ext,n=user,r=abc", bad);     /* mandatory ext */
  expect_client_first_refused ("n,,n=user,r=abc,s=c2FsdA==", bad);  /* RFC attr misplaced */
  expect_client_first_refused ("n,,n=us=2Xer,r=abc", bad);        /* bad saslname */
  expect_client_first_refused ("n,,n=user,r=a b", bad);           /* nonce not printable */
  expect_client_first_refused ("n,,n=user,r=", bad);
  expect_client_first_refused ("n,,n=user,,r=abc", bad);
  expect_client_first_refused ("x,,n=user,r=abc", bad);           /* GS2 flag */
  expect_client_first_refused ("n,n=user,r=abc", bad);
  expect_client_first_refused ("", bad);
  expect_client_first_refused ("n,,n=\xff\xfe,r=abc", bad);       /* UTF-8 */
  expect_client_first_refused ("n,a=admin,n=user,r=abc", CZ_ERROR_AUTH_FAILED);
  memset (long_nonce, 'a', sizeof long_nonce - 1);
  long_nonce[sizeof long_nonce - 1] = '\0';
  {
    g_autofree char *msg = g_strconcat ("n,,n=user,r=", long_nonce, NULL);
    expect_client_first_refused (msg, bad);
  }

  expect_server_first_refused ("s=" RFC_SALT ",i=4096", bad);                 /* no r= */
  expect_server_first_refused ("r=abcdef,i=4096", bad);                      /* no s= */
  expect_server_first_refused ("r=abcdef,s=" RFC_SALT, bad);                 /* no i= */
  expect_server_first_refused ("r=abcdef,r=abcdef,s=" RFC_SALT ",i=4096", bad);
  expect_server_first_refused ("r=abcdef,s=" RFC_SALT ",i=4096,i=4096", bad);
  expect_server_first_refused ("r=abcdef,s=W22Z!J0SNY7soEsUEjb6gQ==,i=4096", bad);
  expect_server_first_refused ("r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ,i=4096", bad);
  expect_server_first_refused ("r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gR==,i=4096", bad);
  expect_server_first_refused ("r=abcdef,s=W2=ZaJ0SNY7soEsUEjb6gQ==,i=4096", bad);
  expect_server_first_refused ("r=abcdef,s=" RFC_SALT ",i=0", bad);
  expect_server_first_refused ("r=abcdef,s=" RFC_SALT ",i=1000", bad);
  expect_server_first_refused ("r=abcdef,s=" RFC_SALT ",i=4095", bad);
  expect_server_first_refused ("r=abcdef,s=" RFC_SALT ",i=04096", bad);
  expect_server_first_refused ("r=abcdef,s=" RFC_SALT ",i=-4096", bad);
  expect_server_first_refused ("r=abcdef,s=" RFC_SALT ",i=10000001", bad);
  expect_server_first_refused ("r=abcdef,s=" RFC_SALT ",i=99999999999999", bad);
  expect_server_first_refused ("m=x,r=abcdef,s=" RFC_SALT ",i=4096", bad);

  expect_client_final_refused ("c=biws,r=abcXYZ", bad);                      /* no p= */
  expect_client_final_refused ("r=abcXYZ,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", bad);
  expect_client_final_refused ("c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", bad);
  expect_client_final_refused ("c=biws,r=abcXYZ,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=,x=1", bad);
  expect_client_final_refused ("c=biws,r=abcXYZ,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndV", bad);
  expect_client_final_refused ("c=biws,r=abcXYZ,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7A$dVQ=", bad);
  expect_client_final_refused ("c=biws,r=abcXYZ,r=abcXYZ,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", bad);
  /* Well formed but wrong: authentication failure. */
  expect_client_final_refused ("c=biws,r=abcXYZ,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                               CZ_ERROR_AUTH_FAILED);
}

/* Extensions the RFC allows are ignored. */
static void
test_extensions (void)
{
  g_autoptr(CzScramClient) c = cz_scram_client_new (RFC_USER, RFC_PASSWORD, NULL, RFC_CLIENT_NONCE);
  g_autoptr(CzScramServer) s = cz_scram_server_new (NULL, "srv");
  g_autofree char *first = cz_scram_client_first (c);
  g_autofree char *cfinal = NULL;
  g_autofree char *user = NULL;
  g_autoptr(GError) error = NULL;

  cfinal = cz_scram_client_final (c, RFC_SERVER_FIRST ",x=future,Y=more", &error);
  g_assert_no_error (error);
  g_assert_nonnull (cfinal);

  g_assert_true (cz_scram_server_parse_first (s, "n,,n=user,r=abc,z=extension", &user, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (user, ==, "user");
}

static void
test_saslname (void)
{
  g_autoptr(GBytes) cb = make_cbind (6);
  g_autoptr(CzScramClient) c = cz_scram_client_new ("a,b=c", "pw", cb, "nonce");
  g_autoptr(CzScramServer) s = cz_scram_server_new (cb, NULL);
  g_autofree char *first = cz_scram_client_first (c);
  g_autofree char *user = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (first, ==, "p=tls-exporter,,n=a=2Cb=3Dc,r=nonce");
  g_assert_true (cz_scram_server_parse_first (s, first, &user, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (user, ==, "a,b=c");

  /* Escapes are decoded once, left to right. */
  {
    g_autoptr(CzScramServer) s2 = cz_scram_server_new (NULL, NULL);
    g_autofree char *user2 = NULL;

    g_assert_true (cz_scram_server_parse_first (s2, "n,,n==3D2C=2C3D,r=x", &user2, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (user2, ==, "=2C,3D");
  }
}

static void
test_cached_salted_password (void)
{
  g_autoptr(GBytes) cb = make_cbind (8);
  g_auto(CzScramCredentials) creds = { 0 };
  g_autofree char *fresh = NULL, *cached = NULL, *bogus = NULL;
  g_autoptr(GBytes) salt = NULL;
  guint iterations = 0;
  guint8 salted[32];
  g_autoptr(GError) error = NULL;

  make_creds (&creds, "secret");

  for (guint round = 0; round < 3; round++)
    {
      g_autoptr(CzScramClient) c = cz_scram_client_new ("alice", "secret", cb, "fixednonce");
      g_autoptr(CzScramServer) s = cz_scram_server_new (cb, "serverpart");
      g_autofree char *first = cz_scram_client_first (c);
      g_autofree char *sfirst = NULL, *cfinal = NULL, *sfinal = NULL;

      if (round == 1)
        cz_scram_client_set_salted_password (c, g_bytes_get_data (salt, NULL),
                                             g_bytes_get_size (salt), iterations, salted);
      if (round == 2)
        {
          /* A stale cache (other iteration count) must not be used. */
          guint8 junk[32];

          memset (junk, 0xaa, sizeof junk);
          cz_scram_client_set_salted_password (c, g_bytes_get_data (salt, NULL),
                                               g_bytes_get_size (salt), iterations + 1, junk);
        }

      g_assert_true (cz_scram_server_parse_first (s, first, NULL, &error));
      sfirst = cz_scram_server_first (s, &creds, fake_secret, ITER);
      cfinal = cz_scram_client_final (c, sfirst, &error);
      g_assert_no_error (error);
      sfinal = cz_scram_server_final (s, cfinal, &error);
      g_assert_no_error (error);
      g_assert_true (cz_scram_client_verify_server (c, sfinal, &error));
      g_assert_no_error (error);

      if (round == 0)
        {
          g_assert_true (cz_scram_client_get_salted (c, &salt, &iterations, salted));
          g_assert_true (g_bytes_equal (salt, creds.salt));
          g_assert_cmpuint (iterations, ==, ITER);
          fresh = g_steal_pointer (&cfinal);
        }
      else if (round == 1)
        cached = g_steal_pointer (&cfinal);
      else
        bogus = g_steal_pointer (&cfinal);
    }

  g_assert_cmpstr (fresh, ==, cached);
  g_assert_cmpstr (fresh, ==, bogus);
}

static void
test_sequence (void)
{
  g_autoptr(CzScramServer) s = cz_scram_server_new (NULL, NULL);
  g_autoptr(CzScramClient) c = cz_scram_client_new ("u", "p", NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  out = cz_scram_server_final (s, RFC_CLIENT_FINAL, &error);
  g_assert_null (out);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_PROTOCOL);
  g_clear_error (&error);

  out = cz_scram_client_final (c, RFC_SERVER_FIRST, &error);
  g_assert_null (out);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_PROTOCOL);
  g_assert_false (cz_scram_client_get_salted (c, NULL, NULL, NULL));
}

/* Issue #15 item 12: passwords are prepared as RFC 8265 OpaqueString, so
 * precomposed and decomposed spellings are one password; a password that
 * is not an OpaqueString is refused locally, never sent. */
static void
test_password_normalized (void)
{
  const char *nfc = "caf\xc3\xa9";
  const char *nfd = "cafe\xcc\x81";
  const char *bad[] = { "", "tab\there", "bell\x07", "bad\xff" };
  g_autofree char *a = cz_scram_prepare_password (nfc, NULL);
  g_autofree char *b = cz_scram_prepare_password (nfd, NULL);
  g_autofree char *space = cz_scram_prepare_password ("a\xc2\xa0" "b", NULL);
  g_autoptr(GBytes) salt = cz_scram_new_salt ();
  g_auto(CzScramCredentials) c1 = { 0 };
  g_auto(CzScramCredentials) c2 = { 0 };

  g_assert_cmpstr (a, ==, nfc);
  g_assert_cmpstr (b, ==, nfc);
  g_assert_cmpstr (space, ==, "a b");     /* non-ASCII space mapped to U+0020 */
  g_assert_true (cz_scram_credentials_from_password (&c1, nfc, salt, 4096, NULL));
  g_assert_true (cz_scram_credentials_from_password (&c2, nfd, salt, 4096, NULL));
  g_assert_cmpmem (c1.stored_key, 32, c2.stored_key, 32);

  /* Registered with NFC, logged in with NFD. */
  {
    g_autoptr(GBytes) cb = make_cbind (3);
    g_autoptr(CzScramClient) c = cz_scram_client_new ("alice", nfd, cb, NULL);
    g_autoptr(CzScramServer) s = cz_scram_server_new (cb, NULL);
    g_autofree char *first = cz_scram_client_first (c);
    g_autofree char *user = NULL;
    g_autofree char *server_first = NULL;
    g_autofree char *final = NULL;
    g_autofree char *server_final = NULL;

    g_assert_true (cz_scram_server_parse_first (s, first, &user, NULL));
    server_first = cz_scram_server_first (s, &c1, (const guint8 *) "0123456789abcdef0123456789abcdef",
                                          4096);
    final = cz_scram_client_final (c, server_first, NULL);
    server_final = cz_scram_server_final (s, final, NULL);
    g_assert_nonnull (server_final);
    g_assert_true (cz_scram_client_verify_server (c, server_final, NULL));
  }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) cb = make_cbind (4);
      g_autoptr(CzScramClient) c = cz_scram_client_new ("alice", bad[i], cb, NULL);
      g_autofree char *first = cz_scram_client_first (c);
      g_autofree char *final = NULL;
      g_auto(CzScramCredentials) c3 = { 0 };

      g_assert_null (cz_scram_prepare_password (bad[i], &error));
      g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
      g_clear_error (&error);
      g_assert_false (cz_scram_credentials_from_password (&c3, bad[i], salt, 4096, &error));
      g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
      g_clear_error (&error);
      final = cz_scram_client_final (c, "r=x,s=AAAA,i=4096", &error);
      g_assert_null (final);
      g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  cz_random_bytes (fake_secret, sizeof fake_secret);

  g_test_add_func ("/scram/rfc7677", test_rfc7677);
  g_test_add_func ("/scram/plus", test_plus);
  g_test_add_func ("/scram/wrong-password", test_wrong_password);
  g_test_add_func ("/scram/wrong-channel-binding", test_wrong_channel_binding);
  g_test_add_func ("/scram/downgrade", test_downgrade);
  g_test_add_func ("/scram/tampered-nonce", test_tampered_nonce);
  g_test_add_func ("/scram/tampered-server-signature", test_tampered_server_signature);
  g_test_add_func ("/scram/unknown-user", test_unknown_user);
  g_test_add_func ("/scram/malformed", test_malformed);
  g_test_add_func ("/scram/extensions", test_extensions);
  g_test_add_func ("/scram/saslname", test_saslname);
  g_test_add_func ("/scram/cached-salted-password", test_cached_salted_password);
  g_test_add_func ("/scram/sequence", test_sequence);
  g_test_add_func ("/scram/password-normalized", test_password_normalized);

  return g_test_run ();
}
