/* wire-peer.c: a bare client for wire tests against the real
 * causerie-server --headless: a CzChannel over a socket driven with
 * poll(), an inbox of what came, and the register / SCRAM login steps
 * done by hand (test-chat-wire, test-e2e-wire, test-presence). */

/* Generous: a storm of logins on a loaded machine. */
#define WIRE_WAIT_MS 20000
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "wire-peer.h"
#include "cz-protocol.h"
#include "cz-message.h"
#include "cz-scram.h"

static void
wire_ready_cb (CzChannel *channel, gpointer user_data)
{
  ((Wire *) user_data)->ready = TRUE;
}

static void
wire_message_cb (CzChannel *channel, GVariant *message, gpointer user_data)
{
  g_ptr_array_add (((Wire *) user_data)->inbox, g_variant_ref (message));
}

static void
wire_closed_cb (CzChannel *channel, const GError *error, gpointer user_data)
{
  if (error != NULL)
    g_test_message ("wire closed: %s", error->message);
  ((Wire *) user_data)->closed = TRUE;
}

static const CzChannelCallbacks wire_callbacks = {
  .ready = wire_ready_cb,
  .message = wire_message_cb,
  .closed = wire_closed_cb,
};

void
wire_free (Wire *w)
{
  g_clear_pointer (&w->channel, cz_channel_free);
  if (w->fd >= 0)
    close (w->fd);
  g_ptr_array_unref (w->inbox);
  g_free (w->user);
  g_free (w);
}

/* Waits for the socket (at most @timeout_ms) and runs the channel once. */
void
wire_pump (Wire *w, int timeout_ms)
{
  struct pollfd p = { .fd = w->fd, .events = POLLIN };

  if (w->closed)
    return;
  if (cz_channel_wants_write (w->channel))
    p.events |= POLLOUT;
  if (!cz_channel_has_buffered_input (w->channel))
    poll (&p, 1, timeout_ms);
  cz_channel_io (w->channel);
}

Wire *
wire_connect (WireFixture *f)
{
  g_autoptr(GError) error = NULL;
  CzChannelOptions options = { .name = "wire-peer" };
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (f->server->port),
                              .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  gint64 end = g_get_monotonic_time () + WIRE_WAIT_MS * 1000;
  Wire *w = g_new0 (Wire, 1);

  w->inbox = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  w->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_ptr_array_add (f->wires, w);
  g_assert_cmpint (w->fd, >=, 0);
  g_assert_cmpint (connect (w->fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (fcntl (w->fd, F_SETFL, fcntl (w->fd, F_GETFL) | O_NONBLOCK), ==, 0);
  w->channel = cz_channel_new_client (f->tls, w->fd, "127.0.0.1", f->server->port, &options,
                                      &wire_callbacks, w, &error);
  g_assert_no_error (error);
  cz_channel_start (w->channel);
  while (!w->ready && !w->closed && g_get_monotonic_time () < end)
    wire_pump (w, 100);
  g_assert_true (w->ready);
  return w;
}

/* Sends and takes @message (a full reference, as cz_message_new() gives). */
void
wire_send (Wire *w, GVariant *message)
{
  g_autoptr(GVariant) owned = g_variant_take_ref (message);
  g_autoptr(GError) error = NULL;

  g_assert_true (cz_channel_send (w->channel, owned, &error));
  g_assert_no_error (error);
  cz_channel_flush (w->channel);
}

/* The first message of @kind received (taken from the inbox), or NULL
 * after @timeout_ms. */
GVariant *
wire_take (Wire *w, const char *kind, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      for (guint i = 0; i < w->inbox->len; i++)
        if (g_str_equal (cz_message_kind (w->inbox->pdata[i]), kind))
          return g_ptr_array_steal_index (w->inbox, i);
      if (w->closed || g_get_monotonic_time () >= end)
        return NULL;
      wire_pump (w, 50);
    }
}

/* Takes the next error and checks its code and ref. */
void
wire_expect_error (Wire *w, const char *code, guint32 ref)
{
  g_autoptr(GVariant) err = wire_take (w, "error", WIRE_WAIT_MS);
  const char *got = NULL;

  g_assert_nonnull (err);
  g_assert_true (cz_message_get_string (err, "code", &got, NULL));
  g_assert_cmpstr (got, ==, code);
  g_assert_cmpuint (cz_message_ref (err), ==, ref);
}

void
wire_register (Wire *w, const char *user, const char *password)
{
  g_auto(CzScramCredentials) creds = { 0 };
  g_autoptr(GVariant) params = NULL;
  g_autoptr(GVariant) done = NULL;
  g_autoptr(GBytes) salt = NULL;
  guint32 iterations = 0;

  wire_send (w, cz_message_new ("register", "ref", g_variant_new_uint32 (1),
                                "user", g_variant_new_string (user), NULL));
  params = wire_take (w, "register-params", WIRE_WAIT_MS);
  g_assert_nonnull (params);
  g_assert_true (cz_message_get_bytes (params, "salt", &salt, NULL));
  g_assert_true (cz_message_get_uint32 (params, "iterations", &iterations, NULL));
  g_assert_true (cz_scram_credentials_from_password (&creds, password, salt, iterations, NULL));
  wire_send (w, cz_message_new ("register-keys", "ref", g_variant_new_uint32 (1),
                                "stored_key", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                         creds.stored_key, 32, 1),
                                "server_key", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                         creds.server_key, 32, 1),
                                NULL));
  done = wire_take (w, "registered", WIRE_WAIT_MS);
  g_assert_nonnull (done);
}

void
wire_login_with (Wire *w, const char *user, const char *password,
                 const char *const *features)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) cbind = cz_tls_channel_binding (cz_channel_get_session (w->channel), &error);
  g_autoptr(CzScramClient) scram = NULL;
  g_autoptr(GVariant) challenge = NULL;
  g_autoptr(GVariant) ok = NULL;
  g_autofree char *first = NULL;
  g_autofree char *final = NULL;
  const char *server_first = NULL, *server_final = NULL;

  g_assert_no_error (error);
  scram = cz_scram_client_new (user, password, cbind, NULL);
  first = cz_scram_client_first (scram);
  if (features != NULL)
    wire_send (w, cz_message_new ("auth-start", "ref", g_variant_new_uint32 (2),
                                  "mechanism", g_variant_new_string (CZ_SCRAM_MECHANISM),
                                  "message", g_variant_new_string (first),
                                  "features", g_variant_new_strv (features, -1), NULL));
  else
    wire_send (w, cz_message_new ("auth-start", "ref", g_variant_new_uint32 (2),
                                  "mechanism", g_variant_new_string (CZ_SCRAM_MECHANISM),
                                  "message", g_variant_new_string (first), NULL));
  challenge = wire_take (w, "auth-challenge", WIRE_WAIT_MS);
  g_assert_nonnull (challenge);
  g_assert_true (cz_message_get_string (challenge, "message", &server_first, NULL));
  final = cz_scram_client_final (scram, server_first, &error);
  g_assert_no_error (error);
  wire_send (w, cz_message_new ("auth-finish", "ref", g_variant_new_uint32 (2),
                                "message", g_variant_new_string (final), NULL));
  ok = wire_take (w, "auth-ok", WIRE_WAIT_MS);
  g_assert_nonnull (ok);
  g_assert_true (cz_message_get_string (ok, "message", &server_final, NULL));
  g_assert_true (cz_scram_client_verify_server (scram, server_final, &error));
  g_assert_no_error (error);
  g_free (w->user);
  w->user = g_strdup (user);
}

void
wire_login (Wire *w, const char *user, const char *password)
{
  wire_login_with (w, user, password, NULL);
}

void
wire_pump_all (WireFixture *f)
{
  g_autofree struct pollfd *p = g_new0 (struct pollfd, f->wires->len);

  for (guint i = 0; i < f->wires->len; i++)
    {
      Wire *w = f->wires->pdata[i];
      p[i].fd = w->closed ? -1 : w->fd;
      p[i].events = POLLIN;
    }
  poll (p, f->wires->len, 20);
  for (guint i = 0; i < f->wires->len; i++)
    {
      Wire *w = f->wires->pdata[i];
      if (!w->closed && (p[i].revents || cz_channel_has_buffered_input (w->channel)))
        cz_channel_io (w->channel);
    }
}

Wire *
wire_join (WireFixture *f, const char *user, const char *password)
{
  Wire *w = wire_connect (f);

  wire_register (w, user, password);
  wire_login (w, user, password);
  return w;
}

/* The server still answers: `who` lists @user. */
void
wire_assert_alive (Wire *w, const char *user)
{
  g_autoptr(GVariant) who = NULL;
  g_autoptr(GVariant) users = NULL;
  g_autofree const char **list = NULL;

  wire_send (w, cz_message_new ("who", "ref", g_variant_new_uint32 (99), NULL));
  who = wire_take (w, "who", WIRE_WAIT_MS);
  g_assert_nonnull (who);
  g_assert_cmpuint (cz_message_ref (who), ==, 99);
  users = cz_message_lookup (who, "users", G_VARIANT_TYPE_STRING_ARRAY);
  g_assert_nonnull (users);
  list = g_variant_get_strv (users, NULL);
  g_assert_true (g_strv_contains (list, user));
}

GVariant *
wire_ids_of (gint64 id)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, &id, 1, sizeof id);
}

void
wire_fixture_init (WireFixture *f)
{
  f->wires = g_ptr_array_new_with_free_func ((GDestroyNotify) wire_free);
  if (cz_test_server_bin () != NULL)
    f->dir = cz_test_make_pki ();
}

void
wire_fixture_start_server (WireFixture *f, const char *const *server_args)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ca = g_build_filename (f->dir, "ca.pem", NULL);
  CzTlsClientOptions tls = { .trust = CZ_TRUST_CA, .ca_file = ca };

  f->server = cz_test_server_start (f->dir, server_args, &error);
  g_assert_no_error (error);
  if (f->tls == NULL)
    {
      f->tls = cz_tls_client_config_new (&tls, &error);
      g_assert_no_error (error);
    }
}

void
wire_fixture_setup (WireFixture *f, const char *const *server_args)
{
  wire_fixture_init (f);
  if (f->dir != NULL)
    wire_fixture_start_server (f, server_args);
}

void
wire_fixture_teardown (WireFixture *f)
{
  g_clear_pointer (&f->wires, g_ptr_array_unref);
  if (f->server)
    g_assert_cmpint (cz_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, cz_test_server_free);
  g_clear_pointer (&f->tls, cz_tls_client_config_unref);
  if (f->dir)
    cz_test_rmdir (f->dir);
  g_free (f->dir);
}

gboolean
wire_need_server (WireFixture *f)
{
  if (f->dir == NULL)
    g_test_skip ("CZ_SERVER_BIN not set");
  return f->dir != NULL;
}
