/* cz-server-accounts.c: the server's account handlers (DESIGN §2.1
 * "Accounts", §2.5): registration and SCRAM-SHA-256-PLUS login, with
 * throttling per account and per address.  After auth-ok the offline
 * queue is asked for; its completion (cz-server-chat.c) puts the user
 * online. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-protocol.h"
#include "cz-server-private.h"
#include "cz-error.h"
#include "cz-message.h"
#include "cz-util.h"

void
cz_server_accounts_register (CzConn *conn, GVariant *msg, guint32 ref)
{
  CzServer *self = conn->server;
  const char *user;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  if (self->config.no_registration)
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_REGISTRATION_CLOSED,
                          _("this server does not accept new accounts"));
      return;
    }
  if (!cz_message_get_string (msg, "user", &user, &error))
    {
      cz_conn_send_gerror (conn, ref, error);
      return;
    }
  if (!cz_user_name_valid (user))
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_BAD_NAME,
                          _("user names are 1 to 32 of a-z, 0-9, “_”, “.” and “-”"));
      return;
    }
  g_free (conn->reg_user);
  g_clear_pointer (&conn->reg_salt, g_bytes_unref);
  conn->reg_user = g_strdup (user);
  conn->reg_salt = cz_scram_new_salt ();
  conn->reg_ref = ref;
  reply = cz_message_new ("register-params",
                          "ref", g_variant_new_uint32 (ref),
                          "salt", g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                                            conn->reg_salt, TRUE),
                          "iterations", g_variant_new_uint32 (self->config.scram_iterations),
                          NULL);
  cz_conn_send (conn, reply);
}

void
cz_server_accounts_register_keys (CzConn *conn, GVariant *msg, guint32 ref)
{
  CzServer *self = conn->server;
  g_autoptr(GBytes) stored = NULL;
  g_autoptr(GBytes) server_key = NULL;
  g_autoptr(GError) error = NULL;
  CzStoreAddUser *op;

  if (conn->reg_user == NULL)
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_PROTOCOL,
                          _("register-keys must follow register"));
      return;
    }
  if (!cz_message_get_bytes (msg, "stored_key", &stored, &error)
      || !cz_message_get_bytes (msg, "server_key", &server_key, &error))
    {
      cz_conn_send_gerror (conn, ref, error);
      return;
    }
  if (g_bytes_get_size (stored) != 32 || g_bytes_get_size (server_key) != 32)
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_BAD_FRAME,
                          _("stored_key and server_key must be 32 bytes each"));
      return;
    }
  op = cz_store_add_user_new (conn->reg_user);
  g_clear_pointer (&conn->reg_user, g_free);
  op->creds.salt = g_steal_pointer (&conn->reg_salt);
  op->creds.iterations = self->config.scram_iterations;
  memcpy (op->creds.stored_key, g_bytes_get_data (stored, NULL), 32);
  memcpy (op->creds.server_key, g_bytes_get_data (server_key, NULL), 32);
  cz_server_submit (self, conn, ref, CZ_OP_REGISTER, &op->op);
}

void
cz_server_accounts_auth_start (CzConn *conn, GVariant *msg, guint32 ref)
{
  CzServer *self = conn->server;
  const char *mechanism, *first;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) cbind = NULL;
  g_autofree char *user = NULL;
  g_autofree char *user_key = NULL;
  g_autofree char *addr_key = NULL;
  gint64 now = g_get_monotonic_time ();
  guint wait;
  CzStoreGetUser *op;

  if (conn->auth_busy || conn->scram)
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_PROTOCOL, _("a login is already under way"));
      return;
    }
  if (!cz_message_get_string (msg, "mechanism", &mechanism, &error)
      || !cz_message_get_string (msg, "message", &first, &error))
    {
      cz_conn_send_gerror (conn, ref, error);
      return;
    }
  if (!g_str_equal (mechanism, CZ_SCRAM_MECHANISM))
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_AUTH_FAILED,
                          _("only SCRAM-SHA-256-PLUS is supported"));
      return;
    }
  cbind = cz_tls_channel_binding (cz_channel_get_session (conn->channel), &error);
  if (cbind == NULL)
    {
      cz_conn_send_gerror (conn, ref, error);
      return;
    }
  conn->scram = cz_scram_server_new (cbind, NULL);
  if (!cz_scram_server_parse_first (conn->scram, first, &user, &error))
    {
      g_clear_pointer (&conn->scram, cz_scram_server_free);
      cz_conn_send_gerror (conn, ref, error);
      return;
    }

  user_key = g_strconcat ("user:", user, NULL);
  addr_key = g_strconcat ("addr:", conn->host, NULL);
  wait = MAX (cz_throttle_check (self->throttle, user_key, now),
              cz_throttle_check (self->throttle, addr_key, now));
  if (wait > 0)
    {
      g_autofree char *text =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "too many failed logins: try again in %u second",
                                      "too many failed logins: try again in %u seconds", wait),
                         wait);
      g_autoptr(GVariant) err = cz_message_new ("error",
                                                "ref", g_variant_new_uint32 (ref),
                                                "code", g_variant_new_string ("throttled"),
                                                "message", g_variant_new_string (text),
                                                "retry_after", g_variant_new_uint32 (wait),
                                                NULL);
      g_clear_pointer (&conn->scram, cz_scram_server_free);
      cz_conn_send (conn, err);
      cz_server_log (self, G_LOG_LEVEL_INFO, _("%s: login for “%s” throttled (%u s)"),
                     conn->address, user, wait);
      return;
    }

  conn->auth_ref = ref;
  g_free (conn->auth_user);
  conn->auth_user = g_strdup (user);
  conn->auth_busy = TRUE;
  op = cz_store_get_user_new (user);
  cz_server_submit (self, conn, ref, CZ_OP_LOGIN_LOOKUP, &op->op);
}

void
cz_server_accounts_login_lookup_done (CzConn *conn, CzStoreGetUser *op, guint32 ref)
{
  CzServer *self = conn->server;
  g_autofree char *server_first = NULL;
  g_autoptr(GVariant) reply = NULL;
  gboolean known = op->op.error == NULL;

  conn->auth_busy = FALSE;
  if (conn->scram == NULL)
    return;
  if (op->op.error && !g_error_matches (op->op.error, CZ_ERROR, CZ_ERROR_NO_SUCH_USER))
    {
      g_clear_pointer (&conn->scram, cz_scram_server_free);
      cz_conn_send_gerror (conn, ref, op->op.error);
      return;
    }
  server_first = cz_scram_server_first (conn->scram, known ? &op->creds : NULL,
                                        self->fake_secret, self->config.scram_iterations);
  reply = cz_message_new ("auth-challenge",
                          "ref", g_variant_new_uint32 (ref),
                          "message", g_variant_new_string (server_first),
                          NULL);
  cz_conn_send (conn, reply);
}

void
cz_server_accounts_auth_finish (CzConn *conn, GVariant *msg, guint32 ref)
{
  CzServer *self = conn->server;
  const char *final;
  g_autoptr(GError) error = NULL;
  g_autofree char *server_final = NULL;
  g_autofree char *user_key = NULL;
  g_autofree char *addr_key = NULL;
  g_autoptr(GVariant) reply = NULL;

  if (conn->scram == NULL || conn->auth_busy)
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_PROTOCOL, _("auth-finish must follow auth-challenge"));
      return;
    }
  if (!cz_message_get_string (msg, "message", &final, &error))
    {
      g_clear_pointer (&conn->scram, cz_scram_server_free);
      cz_conn_send_gerror (conn, ref, error);
      return;
    }
  user_key = g_strconcat ("user:", conn->auth_user, NULL);
  addr_key = g_strconcat ("addr:", conn->host, NULL);
  server_final = cz_scram_server_final (conn->scram, final, &error);
  g_clear_pointer (&conn->scram, cz_scram_server_free);
  if (server_final == NULL)
    {
      gint64 now = g_get_monotonic_time ();
      cz_throttle_failure (self->throttle, user_key, now);
      cz_throttle_failure (self->throttle, addr_key, now);
      cz_server_log (self, G_LOG_LEVEL_INFO, _("%s: failed login for “%s”"),
                     conn->address, conn->auth_user);
      /* The same answer for a wrong password and an unknown user. */
      cz_conn_send_error (conn, ref, CZ_ERROR_AUTH_FAILED, _("wrong user name or password"));
      return;
    }

  cz_throttle_success (self->throttle, user_key);
  cz_throttle_success (self->throttle, addr_key);
  conn->user_name = g_variant_ref_sink (g_variant_new_take_string (g_steal_pointer (&conn->auth_user)));
  conn->user = g_variant_get_string (conn->user_name, NULL);
  conn->deadline_us = 0;
  reply = cz_message_new ("auth-ok",
                          "ref", g_variant_new_uint32 (ref),
                          "message", g_variant_new_string (server_final),
                          "user", conn->user_name,
                          NULL);
  cz_conn_send (conn, reply);
  {
    CzServerEvent event = { .kind = CZ_SERVER_EVENT_LOGGED_IN, .client_id = conn->id,
                            .address = conn->address, .user = (char *) conn->user };
    cz_server_emit (self, &event);
  }

  /* Online (live messages, presence) once the offline queue is sent. */
  cz_server_chat_offline_start (conn);
}

void
cz_server_accounts_registered (CzConn *conn, CzStoreAddUser *op, guint32 ref)
{
  g_autoptr(GVariant) reply = NULL;

  if (op->op.error)
    {
      cz_conn_send_gerror (conn, ref, op->op.error);
      return;
    }
  reply = cz_message_new ("registered",
                          "ref", g_variant_new_uint32 (ref),
                          "user", g_variant_new_string (op->user),
                          NULL);
  cz_conn_send (conn, reply);
  cz_server_log (conn->server, G_LOG_LEVEL_INFO, _("new account “%s” from %s"),
                 op->user, conn->address);
}
