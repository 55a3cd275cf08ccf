/* testutil.c: throwaway PKI and subprocess drivers for the tests. */
#include "config.h"

#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "testutil.h"
#include "cz-cert.h"
#include "cz-cert-generate.h"
#include "cz-util.h"

char *
cz_test_make_pki (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("causerie-test-XXXXXX", &error);
  g_autofree char *ca = NULL, *ca_key = NULL, *cert = NULL, *key = NULL;
  const char *sans[] = { "DNS:localhost", "IP:127.0.0.1", "IP:::1", NULL };
  CzCertRequest ca_req = { .common_name = "Causerie test CA", .key_type = CZ_KEY_ECDSA_P256 };
  CzCertRequest req = { .common_name = "localhost", .sans = sans, .key_type = CZ_KEY_ECDSA_P256 };
  CzCertInfo *info;

  g_assert_no_error (error);
  ca = g_build_filename (dir, "ca.pem", NULL);
  ca_key = g_build_filename (dir, "ca-key.pem", NULL);
  cert = g_build_filename (dir, "server.pem", NULL);
  key = g_build_filename (dir, "server-key.pem", NULL);
  info = cz_cert_generate_ca (&ca_req, ca, ca_key, &error);
  g_assert_no_error (error);
  cz_cert_info_free (info);
  info = cz_cert_generate_signed (&req, ca, ca_key, cert, key, &error);
  g_assert_no_error (error);
  cz_cert_info_free (info);
  return dir;
}

void
cz_test_rmdir (const char *dir)
{
  g_autoptr(GDir) d = NULL;
  const char *name;

  if (dir == NULL || (d = g_dir_open (dir, 0, NULL)) == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        cz_test_rmdir (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

void
cz_test_spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
}

GBytes *
cz_test_unhex (const char *hex)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = cz_hex_decode (hex, &error);

  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  return bytes;
}

guint
cz_test_count_dir_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

const char *
cz_test_server_bin (void)
{
  const char *bin = g_getenv ("CZ_SERVER_BIN");
  return bin && g_file_test (bin, G_FILE_TEST_IS_EXECUTABLE) ? bin : NULL;
}

const char *
cz_test_client_bin (void)
{
  const char *bin = g_getenv ("CZ_CLIENT_BIN");
  return bin && g_file_test (bin, G_FILE_TEST_IS_EXECUTABLE) ? bin : NULL;
}

/* A test that aborts must not leave its servers running: each child dies
 * with the test. */
gsize cz_test_server_file_limit = 0;
guint cz_test_server_nofile_limit = 0;

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* The server's child setup: dies with the test, and optionally may not
 * write files larger than cz_test_server_file_limit (a full disk, as the
 * process sees it: writes fail with EFBIG instead of a SIGXFSZ). */
static void
server_child_setup (gpointer data)
{
  gsize limit = GPOINTER_TO_SIZE (data);

  die_with_parent (NULL);
  if (cz_test_server_nofile_limit > 0)
    {
      struct rlimit rl = { cz_test_server_nofile_limit, cz_test_server_nofile_limit };
      setrlimit (RLIMIT_NOFILE, &rl);
    }
  if (limit > 0)
    {
      struct rlimit rl = { limit, limit };
      signal (SIGXFSZ, SIG_IGN);
      setrlimit (RLIMIT_FSIZE, &rl);
    }
}

/* ---- Reading lines with a deadline -------------------------------------------------- */

typedef struct {
  gboolean done;
  char *line;
} LineRead;

static void
line_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LineRead *r = user_data;
  r->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                       NULL, NULL);
  r->done = TRUE;
}

static gboolean
timeout_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* One line, or NULL at end of stream or after @timeout_ms. */
static char *
read_line_timeout (GDataInputStream *in, guint timeout_ms)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  LineRead r = { FALSE, NULL };
  gboolean timed_out = FALSE;
  guint id;

  g_data_input_stream_read_line_async (in, G_PRIORITY_DEFAULT, cancellable, line_cb, &r);
  id = g_timeout_add (timeout_ms, timeout_flag_cb, &timed_out);
  while (!r.done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  if (!r.done)
    {
      g_cancellable_cancel (cancellable);
      while (!r.done)
        g_main_context_iteration (NULL, TRUE);
    }
  return r.line;
}

static gboolean
wait_exit (gboolean *exited, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!*exited && g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (5000);
    }
  return *exited;
}

static void
watch_exit_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static int
exit_status (GSubprocess *proc)
{
  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
}

/* ---- Server ---------------------------------------------------------------------------------- */

CzTestServer *
cz_test_server_start (const char *dir, const char *const *extra_args, GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *log = g_build_filename (dir, "server.log", NULL);
  g_autofree char *line = NULL;
  CzTestServer *server;
  gboolean has_db = FALSE;
  const char *bin = cz_test_server_bin ();

  if (bin == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "CZ_SERVER_BIN is not set");
      return NULL;
    }
  for (guint i = 0; extra_args && extra_args[i]; i++)
    if (g_str_equal (extra_args[i], "--db"))
      has_db = TRUE;

  server = g_new0 (CzTestServer, 1);
  server->dir = g_strdup (dir);
  server->db = g_build_filename (dir, "server.db", NULL);
  g_ptr_array_add (argv, g_strdup (bin));
  g_ptr_array_add (argv, g_strdup ("--headless"));
  g_ptr_array_add (argv, g_strdup ("--bind"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1"));
  g_ptr_array_add (argv, g_strdup ("--port"));
  g_ptr_array_add (argv, g_strdup ("0"));
  g_ptr_array_add (argv, g_strdup ("--cert"));
  g_ptr_array_add (argv, g_build_filename (dir, "server.pem", NULL));
  g_ptr_array_add (argv, g_strdup ("--key"));
  g_ptr_array_add (argv, g_build_filename (dir, "server-key.pem", NULL));
  if (!has_db)
    {
      g_ptr_array_add (argv, g_strdup ("--db"));
      g_ptr_array_add (argv, g_strdup (server->db));
    }
  g_ptr_array_add (argv, g_strdup ("--scram-iterations"));
  g_ptr_array_add (argv, g_strdup ("4096"));
  for (guint i = 0; extra_args && extra_args[i]; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, server_child_setup,
                                         GSIZE_TO_POINTER (cz_test_server_file_limit), NULL);
  g_unlink (log);   /* the launcher does not truncate */
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", dir, TRUE);
  server->proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, error);
  if (server->proc == NULL)
    {
      cz_test_server_free (server);
      return NULL;
    }
  g_subprocess_wait_async (server->proc, NULL, watch_exit_cb, &server->exited);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->proc));
  line = read_line_timeout (out, 10000);
  if (line == NULL || !g_str_has_prefix (line, "listening on "))
    {
      g_autofree char *contents = NULL;
      g_file_get_contents (log, &contents, NULL, NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "server did not start: %s",
                   contents ? contents : "(no log)");
      cz_test_server_kill (server);
      cz_test_server_free (server);
      return NULL;
    }
  server->address = g_strdup (line + strlen ("listening on "));
  server->port = (guint16) g_ascii_strtoull (strrchr (line, ':') + 1, NULL, 10);
  return server;
}

static char *
server_proc_file (CzTestServer *server, const char *name)
{
  const char *pid = g_subprocess_get_identifier (server->proc);
  g_autofree char *path = NULL;
  char *contents = NULL;

  g_assert_nonnull (pid);
  path = g_strdup_printf ("/proc/%s/%s", pid, name);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

static guint64
server_status_kib (CzTestServer *server, const char *field)
{
  g_autofree char *status = server_proc_file (server, "status");
  g_autofree char *key = g_strdup_printf ("\n%s:", field);
  const char *line = strstr (status, key);

  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen (key), NULL, 10);
}

guint64
cz_test_server_rss_kib (CzTestServer *server)
{
  return server_status_kib (server, "VmRSS");
}

guint64
cz_test_server_peak_rss_kib (CzTestServer *server)
{
  return server_status_kib (server, "VmHWM");
}

guint64
cz_test_server_cpu_ms (CzTestServer *server)
{
  g_autofree char *stat = server_proc_file (server, "stat");
  const char *p = strrchr (stat, ')');   /* after the command name */
  g_auto(GStrv) fields = NULL;
  long hz = sysconf (_SC_CLK_TCK);

  g_assert_nonnull (p);
  fields = g_strsplit (p + 2, " ", -1);
  /* state is field 3 of stat(5), fields[0] here: utime and stime are 14 and 15. */
  g_assert_cmpuint (g_strv_length (fields), >, 13);
  return (g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10))
         * 1000 / (guint64) hz;
}

int
cz_test_server_stop (CzTestServer *server)
{
  if (server->proc == NULL)
    return -1;
  if (server->exited)
    return exit_status (server->proc);
  g_subprocess_send_signal (server->proc, SIGTERM);
  if (!wait_exit (&server->exited, 10000))
    {
      g_subprocess_force_exit (server->proc);
      wait_exit (&server->exited, 5000);
      return -1;
    }
  return exit_status (server->proc);
}

void
cz_test_server_kill (CzTestServer *server)
{
  if (server->proc == NULL || server->exited)
    return;
  g_subprocess_send_signal (server->proc, SIGKILL);
  wait_exit (&server->exited, 5000);
}

void
cz_test_server_free (CzTestServer *server)
{
  if (server == NULL)
    return;
  if (server->proc && !server->exited)
    cz_test_server_kill (server);
  g_clear_object (&server->proc);
  g_free (server->dir);
  g_free (server->db);
  g_free (server->address);
  g_free (server);
}

/* ---- Client ----------------------------------------------------------------------------------- */

CzTestClient *
cz_test_client_start (const char *dir, guint16 port, const char *const *extra_args,
                      GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *log = g_build_filename (dir, "client.log", NULL);
  CzTestClient *client;
  gboolean has_trust = FALSE;
  const char *bin = cz_test_client_bin ();

  if (bin == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "CZ_CLIENT_BIN is not set");
      return NULL;
    }
  for (guint i = 0; extra_args && extra_args[i]; i++)
    if (g_str_equal (extra_args[i], "--ca-file") || g_str_equal (extra_args[i], "--pin")
        || g_str_equal (extra_args[i], "--trust-on-first-use")
        || g_str_equal (extra_args[i], "--known-servers"))
      has_trust = TRUE;

  g_ptr_array_add (argv, g_strdup (bin));
  g_ptr_array_add (argv, g_strdup ("--cli"));
  g_ptr_array_add (argv, g_strdup ("--json"));
  g_ptr_array_add (argv, g_strdup ("--host"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1"));
  g_ptr_array_add (argv, g_strdup ("--port"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", port));
  if (!has_trust)
    {
      g_ptr_array_add (argv, g_strdup ("--ca-file"));
      g_ptr_array_add (argv, g_build_filename (dir, "ca.pem", NULL));
    }
  for (guint i = 0; extra_args && extra_args[i]; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                        | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_unlink (log);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", dir, TRUE);
  client = g_new0 (CzTestClient, 1);
  client->seen = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  client->proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, error);
  if (client->proc == NULL)
    {
      cz_test_client_free (client);
      return NULL;
    }
  g_subprocess_wait_async (client->proc, NULL, watch_exit_cb, &client->exited);
  client->in = g_object_ref (g_subprocess_get_stdin_pipe (client->proc));
  client->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (client->proc));
  return client;
}

void
cz_test_client_send (CzTestClient *client, const char *line)
{
  g_autofree char *with_nl = g_strconcat (line, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (client->in, with_nl, strlen (with_nl), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_flush (client->in, NULL, NULL);
}

static JsonObject *
read_event (CzTestClient *client, guint timeout_ms)
{
  g_autofree char *line = read_line_timeout (client->out, timeout_ms);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  if (line == NULL)
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, line, -1, &error))
    g_error ("client printed a line that is not JSON: %s (%s)", line, error->message);
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root) || !json_object_has_member (json_node_get_object (root), "event"))
    g_error ("client printed a JSON line without an event: %s", line);
  if (g_test_verbose ())
    g_printerr ("  client: %s\n", line);
  g_ptr_array_add (client->seen, json_object_ref (json_node_get_object (root)));
  return json_node_get_object (root);
}

JsonObject *
cz_test_client_expect_with (CzTestClient *client, const char *event, const char *key,
                            const char *value, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      gint64 left = (end - g_get_monotonic_time ()) / 1000;
      JsonObject *obj;

      if (left <= 0)
        return NULL;
      obj = read_event (client, (guint) left);
      if (obj == NULL)
        return NULL;
      if (!g_str_equal (json_object_get_string_member (obj, "event"), event))
        continue;
      if (key == NULL)
        return obj;
      if (json_object_has_member (obj, key)
          && JSON_NODE_HOLDS_VALUE (json_object_get_member (obj, key))
          && g_strcmp0 (json_object_get_string_member (obj, key), value) == 0)
        return obj;
    }
}

JsonObject *
cz_test_client_expect (CzTestClient *client, const char *event, guint timeout_ms)
{
  return cz_test_client_expect_with (client, event, NULL, NULL, timeout_ms);
}

guint
cz_test_client_count (CzTestClient *client, const char *event)
{
  guint n = 0;

  for (guint i = 0; i < client->seen->len; i++)
    if (g_str_equal (json_object_get_string_member (client->seen->pdata[i], "event"), event))
      n++;
  return n;
}

int
cz_test_client_finish (CzTestClient *client)
{
  if (client->in)
    {
      g_output_stream_close (client->in, NULL, NULL);
      g_clear_object (&client->in);
    }
  while (read_event (client, 10000) != NULL)
    ;
  if (!wait_exit (&client->exited, 10000))
    {
      g_subprocess_force_exit (client->proc);
      wait_exit (&client->exited, 5000);
      return -1;
    }
  return exit_status (client->proc);
}

void
cz_test_client_free (CzTestClient *client)
{
  if (client == NULL)
    return;
  if (client->proc && !client->exited)
    {
      g_subprocess_force_exit (client->proc);
      wait_exit (&client->exited, 5000);
    }
  g_clear_object (&client->in);
  g_clear_object (&client->out);
  g_clear_object (&client->proc);
  g_clear_pointer (&client->seen, g_ptr_array_unref);
  g_free (client);
}

void
cz_test_client_register_login (CzTestClient *client, const char *user, const char *password)
{
  g_autofree char *reg = g_strdup_printf ("/register %s %s", user, password);
  g_autofree char *login = g_strdup_printf ("/login %s %s", user, password);

  cz_test_client_send (client, reg);
  g_assert_nonnull (cz_test_client_expect_with (client, "registered", "user", user, 20000));
  cz_test_client_send (client, login);
  g_assert_nonnull (cz_test_client_expect_with (client, "logged-in", "user", user, 20000));
}

/* ---- Socketless channels ------------------------------------------------------------ */

#include <errno.h>

struct _CzTestEnd {
  gnutls_session_t session;
  GByteArray *inbound;        /* bytes for this end to read */
  CzTestEnd *peer;
};

static ssize_t
end_push (gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
  CzTestEnd *end = ptr;
  g_byte_array_append (end->peer->inbound, data, len);
  return (ssize_t) len;
}

static ssize_t
end_pull (gnutls_transport_ptr_t ptr, void *data, size_t len)
{
  CzTestEnd *end = ptr;
  gsize n = MIN (len, end->inbound->len);

  if (n == 0)
    {
      gnutls_transport_set_errno (end->session, EAGAIN);
      return -1;
    }
  memcpy (data, end->inbound->data, n);
  g_byte_array_remove_range (end->inbound, 0, n);
  return (ssize_t) n;
}

static void
pair_ready_cb (CzChannel *channel, gpointer user_data)
{
  CzTestPair *p = user_data;
  if (channel == p->server)
    p->server_ready = TRUE;
  else
    p->client_ready = TRUE;
}

static void
pair_message_cb (CzChannel *channel, GVariant *message, gpointer user_data)
{
  CzTestPair *p = user_data;
  g_ptr_array_add (channel == p->server ? p->server_msgs : p->client_msgs,
                   g_variant_ref (message));
}

static void
pair_closed_cb (CzChannel *channel, const GError *error, gpointer user_data)
{
  CzTestPair *p = user_data;
  if (channel == p->server)
    {
      p->server_closed_called = TRUE;
      p->server_closed = error ? g_error_copy (error) : NULL;
    }
  else
    {
      p->client_closed_called = TRUE;
      p->client_closed = error ? g_error_copy (error) : NULL;
    }
}

static void
pair_trust_cb (CzChannel *channel, const char *fingerprint, gpointer user_data)
{
  CzTestPair *p = user_data;
  g_free (p->trust_fingerprint);
  p->trust_fingerprint = g_strdup (fingerprint);
  if (p->auto_trust)
    cz_channel_trust_decided (channel, TRUE);
}

static const CzChannelCallbacks pair_callbacks = {
  .trust_prompt = pair_trust_cb,
  .ready = pair_ready_cb,
  .message = pair_message_cb,
  .closed = pair_closed_cb,
};

CzTestPair *
cz_test_pair_new (CzTlsServerConfig *server_config, CzTlsClientConfig *client_config,
                  const char *host, CzDhGroup group)
{
  CzTestPair *p = g_new0 (CzTestPair, 1);
  CzChannelOptions server_options = { .dh_group = group, .name = "test server" };
  CzChannelOptions client_options = { .name = "test client" };
  g_autoptr(GError) error = NULL;

  p->server_msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  p->client_msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  p->server_end = g_new0 (CzTestEnd, 1);
  p->client_end = g_new0 (CzTestEnd, 1);
  p->server_end->inbound = g_byte_array_new ();
  p->client_end->inbound = g_byte_array_new ();
  p->server_end->peer = p->client_end;
  p->client_end->peer = p->server_end;

  p->server = cz_channel_new_server (server_config, -1, &server_options, &pair_callbacks, p, &error);
  g_assert_no_error (error);
  p->client = cz_channel_new_client (client_config, -1, host, 7443, &client_options,
                                     &pair_callbacks, p, &error);
  g_assert_no_error (error);
  p->server_end->session = cz_channel_get_session (p->server);
  p->client_end->session = cz_channel_get_session (p->client);
  cz_channel_set_transport (p->server, end_push, end_pull, p->server_end);
  cz_channel_set_transport (p->client, end_push, end_pull, p->client_end);
  return p;
}

void
cz_test_pair_pump (CzTestPair *p)
{
  for (int i = 0; i < 200; i++)
    {
      guint before = p->server_end->inbound->len + p->client_end->inbound->len;
      CzChannelState s = CZ_CHANNEL_CLOSED, c = CZ_CHANNEL_CLOSED;

      if (!p->client_closed_called)
        c = cz_channel_io (p->client);
      if (!p->server_closed_called)
        s = cz_channel_io (p->server);
      if (p->server_end->inbound->len + p->client_end->inbound->len == 0 && before == 0
          && i > 2 && (s != CZ_CHANNEL_HANDSHAKE || c != CZ_CHANNEL_HANDSHAKE))
        break;
    }
}

GByteArray *
cz_test_pair_to_server (CzTestPair *p)
{
  return p->server_end->inbound;
}

GByteArray *
cz_test_pair_to_client (CzTestPair *p)
{
  return p->client_end->inbound;
}

void
cz_test_pair_free (CzTestPair *p)
{
  if (p == NULL)
    return;
  cz_channel_free (p->server);
  cz_channel_free (p->client);
  g_byte_array_unref (p->server_end->inbound);
  g_byte_array_unref (p->client_end->inbound);
  g_free (p->server_end);
  g_free (p->client_end);
  g_ptr_array_unref (p->server_msgs);
  g_ptr_array_unref (p->client_msgs);
  g_clear_error (&p->server_closed);
  g_clear_error (&p->client_closed);
  g_free (p->trust_fingerprint);
  g_free (p);
}
