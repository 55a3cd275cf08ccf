/* test-faults.c: faults around the server (issue #7).
 *
 * - A client killed mid-frame: a peer process (this program, re-run as
 *   --mid-frame-peer) that sends part of a frame and SIGKILLs itself, and a
 *   real CLI client killed while it streams.  The server frees the
 *   connection (its descriptors come back), tells the others the user left,
 *   and alice and bob go on chatting.
 * - Certificate files missing, corrupt or mismatched at start: the server
 *   (and the CLI client, for its own files) exits with status 1 and one
 *   clear line naming the file, without listening. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "testutil.h"
#include "fuzz/raw-peer.h"
#include "cz-cert.h"
#include "cz-cert-generate.h"
#include "cz-message.h"

static struct {
  char *dir;
  char *self;               /* this program, for --mid-frame-peer */
  CzTestServer *server;
  CzTestClient *alice;
  CzTestClient *bob;
  guint checks;
} F;

/* ---- The peer that dies mid-frame (a separate process) ------------------------------ */

static int
mid_frame_peer (const char *port, const char *ca, const char *variant)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GVariant) msg = NULL;
  CzRawPeer peer;
  gnutls_session_t session;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  addr.sin_port = htons ((guint16) atoi (port));
  inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    return 2;
  cz_raw_peer_init (&peer);
  session = cz_raw_connect_open (fd, ca, &peer, &error);
  if (session == NULL)
    {
      fprintf (stderr, "peer: %s\n", error->message);
      return 2;
    }
  if (g_str_equal (variant, "big"))
    {
      /* The header of the largest frame and half of its body. */
      g_byte_array_set_size (out, 4 + CZ_FRAME_MAX / 2);
      memset (out->data, 'b', out->len);
      cz_frame_put_header (out->data, CZ_FRAME_MAX);
    }
  else
    {
      msg = cz_message_new ("say", "ref", g_variant_new_uint32 (1),
                            "text", g_variant_new_string ("cut short"), NULL);
      cz_raw_peer_seal_message (&peer, msg, out, NULL);
      g_byte_array_set_size (out, out->len / 2);
    }
  if (!cz_raw_write_all (session, out->data, out->len, &error))
    return 2;
  printf ("ready\n");
  fflush (stdout);
  g_usleep (100000);   /* let the bytes reach the server */
  raise (SIGKILL);
  return 3;
}

/* ---- Helpers ---------------------------------------------------------------------------- */

static guint
server_fd_count (void)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd",
                                           g_subprocess_get_identifier (F.server->proc));
  return cz_test_count_dir_entries (path);
}

/* Waits (5 s at most) until the server holds no more descriptors than
 * @baseline: the dead connections were freed. */
static void
assert_fds_back (guint baseline)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  guint n;

  while ((n = server_fd_count ()) > baseline && g_get_monotonic_time () < end)
    g_usleep (20000);
  g_assert_cmpuint (n, <=, baseline);
}

static void
assert_chat_works (const char *after)
{
  g_autofree char *text = g_strdup_printf ("still chatting after %s (%u)", after, ++F.checks);
  g_autofree char *line = g_strconcat ("/say ", text, NULL);

  g_assert_false (F.server->exited);
  cz_test_client_send (F.alice, line);
  g_assert_nonnull (cz_test_client_expect (F.alice, "ack", 10000));
  g_assert_nonnull (cz_test_client_expect_with (F.bob, "message", "text", text, 10000));
}

typedef struct {
  gboolean done;
  char *out;
  char *err;
} Comm;

static void
communicate_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Comm *c = data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, &c->err, NULL);
  c->done = TRUE;
}

/* Runs a program (LC_ALL=C) and waits 10 s at most; returns its exit status
 * (-1 if it had to be killed) with its outputs. */
static int
run_bounded (const char *const *argv, char **out, char **err)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                               | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  Comm c = { FALSE, NULL, NULL };
  gboolean killed = FALSE;

  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", F.dir, TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (proc, "/quit\n", NULL, communicate_cb, &c);
  /* If it ever listened instead of failing, it would wait forever. */
  while (!c.done)
    {
      if (!killed && g_get_monotonic_time () > end)
        {
          g_subprocess_force_exit (proc);
          killed = TRUE;
        }
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
  g_subprocess_wait (proc, NULL, NULL);
  *out = c.out ? c.out : g_strdup ("");
  *err = c.err ? c.err : g_strdup ("");
  if (killed || !g_subprocess_get_if_exited (proc))
    return -1;
  return g_subprocess_get_exit_status (proc);
}

/* ---- Killed mid-frame ---------------------------------------------------------------------- */

static void
test_killed_mid_frame (void)
{
  static const char *const variants[] = { "small", "big" };
  g_autofree char *port = g_strdup_printf ("%u", F.server->port);
  g_autofree char *ca = g_build_filename (F.dir, "ca.pem", NULL);
  guint baseline = server_fd_count ();

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      const char *argv[] = { F.self, "--mid-frame-peer", port, ca, variants[i], NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(GSubprocess) peer = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
      g_autoptr(GDataInputStream) out = NULL;
      g_autofree char *line = NULL;

      g_assert_no_error (error);
      out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (peer));
      line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (line, ==, "ready");
      g_assert_true (g_subprocess_wait (peer, NULL, &error));
      g_assert_true (g_subprocess_get_if_signaled (peer));
      g_assert_cmpint (g_subprocess_get_term_sig (peer), ==, SIGKILL);
      assert_fds_back (baseline);
      assert_chat_works (variants[i]);
    }
}

static void
test_streaming_client_killed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestClient) streamer = NULL;
  g_autoptr(GString) burst = g_string_new (NULL);
  JsonObject *gone;
  guint baseline = server_fd_count ();

  streamer = cz_test_client_start (F.dir, F.server->port, NULL, &error);
  g_assert_no_error (error);
  cz_test_client_register_login (streamer, "streamer", "streamer password");
  g_assert_nonnull (cz_test_client_expect_with (F.alice, "presence", "user", "streamer", 10000));

  for (guint i = 0; i < 400; i++)
    g_string_append_printf (burst, "/say burst %u %s\n", i, "............................");
  g_output_stream_write_all (streamer->in, burst->str, burst->len, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_flush (streamer->in, NULL, NULL);
  g_assert_nonnull (cz_test_client_expect (streamer, "ack", 10000));
  /* Killed while acknowledgements (and its frames) are still in flight. */
  g_subprocess_send_signal (streamer->proc, SIGKILL);

  gone = cz_test_client_expect_with (F.alice, "presence", "user", "streamer", 10000);
  g_assert_nonnull (gone);
  g_assert_false (json_object_get_boolean_member (gone, "online"));
  assert_fds_back (baseline);
  assert_chat_works ("a streaming client was killed");
}

/* ---- Certificate files at start ---------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *cert;       /* file names in the test folder */
  const char *key;
  const char *client_ca;  /* NULL: none */
  const char *expect;     /* in the message, besides the file name */
  const char *file;       /* the file the message must name */
} CertCase;

static void
write_test_files (void)
{
  g_autofree char *junk = g_build_filename (F.dir, "junk.pem", NULL);
  g_autofree char *empty = g_build_filename (F.dir, "empty.pem", NULL);
  g_autofree char *cut = g_build_filename (F.dir, "cut.pem", NULL);
  g_autofree char *server = g_build_filename (F.dir, "server.pem", NULL);
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_set_contents (junk, "this is not a certificate\n", -1, NULL));
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_true (g_file_get_contents (server, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (cut, contents, (gssize) len / 2, NULL));
}

static const CertCase server_cases[] = {
  { "cert-missing", "missing.pem", "server-key.pem", NULL, "cannot read the certificate", "missing.pem" },
  { "cert-corrupt", "junk.pem", "server-key.pem", NULL, "does not contain a certificate", "junk.pem" },
  { "cert-truncated", "cut.pem", "server-key.pem", NULL, "does not contain a certificate", "cut.pem" },
  { "cert-empty", "empty.pem", "server-key.pem", NULL, "does not contain a certificate", "empty.pem" },
  { "cert-is-a-key", "server-key.pem", "server-key.pem", NULL, "does not contain a certificate", "server-key.pem" },
  { "key-missing", "server.pem", "missing.pem", NULL, "cannot read the private key", "missing.pem" },
  { "key-corrupt", "server.pem", "junk.pem", NULL, "does not contain a private key", "junk.pem" },
  { "key-is-a-cert", "server.pem", "server.pem", NULL, "does not contain a private key", "server.pem" },
  { "mismatched", "server.pem", "ca-key.pem", NULL, "does not belong", "ca-key.pem" },
  { "client-ca-missing", "server.pem", "server-key.pem", "missing.pem", "cannot read", "missing.pem" },
  { "client-ca-corrupt", "server.pem", "server-key.pem", "junk.pem", "cannot read", "junk.pem" },
};

static void
test_server_cert_files (gconstpointer data)
{
  const CertCase *c = data;
  g_autofree char *cert = g_build_filename (F.dir, c->cert, NULL);
  g_autofree char *key = g_build_filename (F.dir, c->key, NULL);
  g_autofree char *ca = c->client_ca ? g_build_filename (F.dir, c->client_ca, NULL) : NULL;
  g_autofree char *db = g_build_filename (F.dir, "faults.db", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char *argv[] = { cz_test_server_bin (), "--headless", "--bind", "127.0.0.1", "--port", "0",
                         "--cert", cert, "--key", key, "--db", db,
                         ca ? "--client-ca" : NULL, ca, "--require-client-cert", NULL };
  int status = run_bounded (argv, &out, &err);

  g_test_message ("%s: exit %d: %s", c->name, status, err);
  g_assert_cmpint (status, ==, 1);
  g_assert_cmpstr (out, ==, "");                    /* never "listening on" */
  g_assert_true (g_str_has_prefix (err, "causerie-server: "));
  g_assert_nonnull (strstr (err, c->file));
  g_assert_nonnull (strstr (err, c->expect));
  g_assert_cmpuint (strlen (err), <, 300);
  g_assert_true (g_str_has_suffix (err, "\n") && strchr (err, '\n') == err + strlen (err) - 1);
}

static const CertCase client_cases[] = {
  { "ca-missing", NULL, NULL, "missing.pem", "cannot read the CA file", "missing.pem" },
  { "ca-corrupt", NULL, NULL, "junk.pem", "cannot read the CA file", "junk.pem" },
  { "client-cert-missing", "missing.pem", "client-key.pem", "ca.pem", "cannot read the certificate", "missing.pem" },
  { "client-key-corrupt", "client.pem", "junk.pem", "ca.pem", "does not contain a private key", "junk.pem" },
  { "client-pair-mismatched", "client.pem", "server-key.pem", "ca.pem", "does not belong", "server-key.pem" },
};

static void
test_client_cert_files (gconstpointer data)
{
  const CertCase *c = data;
  g_autofree char *ca = g_build_filename (F.dir, c->client_ca, NULL);
  g_autofree char *cert = c->cert ? g_build_filename (F.dir, c->cert, NULL) : NULL;
  g_autofree char *key = c->key ? g_build_filename (F.dir, c->key, NULL) : NULL;
  g_autofree char *port = g_strdup_printf ("%u", F.server->port);
  g_autofree char *out = NULL, *err = NULL;
  const char *argv[] = { cz_test_client_bin (), "--cli", "--json", "--host", "127.0.0.1",
                         "--port", port, "--ca-file", ca,
                         cert ? "--cert" : NULL, cert, "--key", key, NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *event;
  int status = run_bounded (argv, &out, &err);

  g_test_message ("%s: exit %d: %s", c->name, status, out);
  g_assert_cmpint (status, ==, 1);
  /* One JSON line: the error event, and nothing else (no "connected"). */
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  event = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (event, "event"), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (event, "code"), ==, "cert");
  g_assert_nonnull (strstr (json_object_get_string_member (event, "message"), c->file));
  g_assert_nonnull (strstr (json_object_get_string_member (event, "message"), c->expect));
}

static void
make_client_cert (void)
{
  g_autofree char *ca = g_build_filename (F.dir, "ca.pem", NULL);
  g_autofree char *ca_key = g_build_filename (F.dir, "ca-key.pem", NULL);
  g_autofree char *cert = g_build_filename (F.dir, "client.pem", NULL);
  g_autofree char *key = g_build_filename (F.dir, "client-key.pem", NULL);
  CzCertRequest req = { .common_name = "alice", .key_type = CZ_KEY_ECDSA_P256, .client = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(CzCertInfo) info = cz_cert_generate_signed (&req, ca, ca_key, cert, key, &error);

  g_assert_no_error (error);
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

  if (argc == 5 && g_str_equal (argv[1], "--mid-frame-peer"))
    return mid_frame_peer (argv[2], argv[3], argv[4]);

  g_test_init (&argc, &argv, NULL);
  if (cz_test_server_bin () == NULL || cz_test_client_bin () == NULL)
    {
      g_test_add_func ("/faults/skip", test_skip);
      return g_test_run ();
    }

  F.self = g_canonicalize_filename (argv[0], NULL);
  F.dir = cz_test_make_pki ();
  write_test_files ();
  make_client_cert ();
  F.server = cz_test_server_start (F.dir, NULL, &error);
  g_assert_no_error (error);
  F.alice = cz_test_client_start (F.dir, F.server->port, NULL, &error);
  g_assert_no_error (error);
  F.bob = cz_test_client_start (F.dir, F.server->port, NULL, &error);
  g_assert_no_error (error);
  cz_test_client_register_login (F.alice, "alice", "alice password");
  cz_test_client_register_login (F.bob, "bob", "bob password");

  g_test_add_func ("/faults/killed-mid-frame", test_killed_mid_frame);
  g_test_add_func ("/faults/streaming-client-killed", test_streaming_client_killed);
  for (guint i = 0; i < G_N_ELEMENTS (server_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/faults/server-start/%s", server_cases[i].name);
      g_test_add_data_func (path, &server_cases[i], test_server_cert_files);
    }
  for (guint i = 0; i < G_N_ELEMENTS (client_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/faults/client-start/%s", client_cases[i].name);
      g_test_add_data_func (path, &client_cases[i], test_client_cert_files);
    }
  ret = g_test_run ();

  g_assert_cmpint (cz_test_client_finish (F.alice), ==, 0);
  g_assert_cmpint (cz_test_client_finish (F.bob), ==, 0);
  g_assert_cmpint (cz_test_server_stop (F.server), ==, 0);
  cz_test_client_free (F.alice);
  cz_test_client_free (F.bob);
  cz_test_server_free (F.server);
  cz_test_rmdir (F.dir);
  g_free (F.dir);
  g_free (F.self);
  return ret;
}
