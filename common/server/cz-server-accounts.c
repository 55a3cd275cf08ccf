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
#include "cz-crypto.h"
#include "cz-util.h"

gboolean
cz_server_accounts_load (CzServer *self, GError **error)
{
  g_autoptr(CzStoreLoginSecret) op = cz_store_login_secret_new ();

  if (!cz_store_run (self->store, &op->op, error))
    return FALSE;
  memcpy (self->fake_secret, op->secret, sizeof self->fake_secret);
  self->fake_iterations = g_array_ref (op->iterations);
  return TRUE;
}

/* The iteration count of the fake challenge for unknown @user
 * (doc/security.md §5.9): one of the counts real accounts use, picked by
 * highest HMAC (fake secret, name, count) — stable for a name across
 * restarts and configuration changes as long as no new count comes into
 * use, and then it changes for about 1/n of the names only.  With no
 * account yet, the configured count (what a first account will get). */
static guint
fake_iterations (CzServer *self, const char *user)
{
  GArray *counts = self->fake_iterations;
  guint best = self->config.scram_iterations;
  guint8 best_mac[32] = { 0 };

  for (guint i = 0; counts && i < counts->len; i++)
    {
      guint count = g_array_index (counts, guint, i);
      g_autofree char *label = g_strdup_printf ("causerie fake iterations\n%s\n%u", user, count);
      guint8 mac[32];

      cz_hmac_sha256 (self->fake_secret, sizeof self->fake_secret, label, strlen (label), mac);
      if (i == 0 || memcmp (mac, best_mac, sizeof mac) > 0)
        {
          best = count;
          memcpy (best_mac, mac, sizeof mac);
        }
    }
  return best;
}

/* A new account's count is now in use. */
static void
note_iterations (CzServer *self, guint count)
{
  GArray *counts = self->fake_iterations;
  guint i = 0;

  while (i < counts->len && g_array_index (counts, guint, i) < count)
    i++;
  if (i == counts->len || g_array_index (counts, guint, i) != count)
    g_array_insert_val (counts, i, count);
}

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

/* The throttle keys of a login for @user on @conn: the (account, address)
 * pair, the address (an IPv6 /64) and the account (doc/security.md §5.3). */
static void
throttle_keys (CzConn *conn, const char *user, char **pair_key, char **addr_key,
               char **user_key)
{
  *addr_key = cz_throttle_address_key (conn->host);
  *pair_key = g_strconcat ("pair:", user, "@", *addr_key + strlen ("addr:"), NULL);
  *user_key = g_strconcat ("user:", user, NULL);
}

/* TRUE when the peer presented a client certificate.  The server asks for
 * one only with a client CA, and the handshake refuses any certificate
 * that CA did not issue (--require-client-cert and --request-client-cert
 * alike, cz-tls-server.c): one that is here was verified. */
static gboolean
has_trusted_client_cert (CzConn *conn)
{
  CzSessionInfo *info = cz_channel_get_info (conn->channel);

  return info != NULL && info->client_cert != NULL;
}

/* The attempt reserved at auth-start ends: a failure stays counted; a
 * success forgets the account's failures (its own pair and the account)
 * and gives the address back only its own attempt. */
static void
settle_attempt (CzConn *conn, gboolean ok)
{
  CzThrottle *throttle = conn->server->throttle;
  g_autofree char *pair_key = NULL;
  g_autofree char *addr_key = NULL;
  g_autofree char *user_key = NULL;
  gint64 now = g_get_monotonic_time ();

  if (!conn->auth_reserved || conn->auth_user == NULL)
    return;
  conn->auth_reserved = FALSE;
  throttle_keys (conn, conn->auth_user, &pair_key, &addr_key, &user_key);
  if (ok)
    {
      cz_throttle_success (throttle, pair_key, TRUE);
      cz_throttle_success (throttle, user_key, TRUE);
      cz_throttle_success (throttle, addr_key, FALSE);
    }
  else
    {
      cz_throttle_failure (throttle, pair_key, now);
      cz_throttle_failure (throttle, addr_key, now);
      cz_throttle_failure (throttle, user_key, now);
    }
  cz_server_cluster_login (conn->server, pair_key, addr_key, user_key, ok);
}

void
cz_server_accounts_auth_start (CzConn *conn, GVariant *msg, guint32 ref)
{
  CzServer *self = conn->server;
  const char *mechanism, *first;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) cbind = NULL;
  g_autofree char *user = NULL;
  g_autofree char *pair_key = NULL;
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
  conn->presence_batch = cz_server_presence_wants_batch (msg);
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

  /* The name is checked before it becomes a throttle key, a lookup or a
   * log line (it may be 64 KB of anything). */
  if (!cz_user_name_valid (user))
    {
      g_clear_pointer (&conn->scram, cz_scram_server_free);
      cz_conn_send_error (conn, ref, CZ_ERROR_AUTH_FAILED, _("wrong user name or password"));
      return;
    }

  throttle_keys (conn, user, &pair_key, &addr_key, &user_key);
  wait = MAX (cz_throttle_check (self->throttle, pair_key, &cz_throttle_pair_policy, now),
              cz_throttle_check (self->throttle, addr_key, &cz_throttle_addr_policy, now));
  /* The account's slowdown is what guessing from many addresses can
   * inflict on its owner; a client certificate the server trusts skips
   * it (doc/security.md §5.3).  Its pair and address keys still apply. */
  if (!has_trusted_client_cert (conn))
    wait = MAX (wait, cz_throttle_check (self->throttle, user_key, &cz_throttle_account_policy,
                                         now));
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
  /* Counted now, not when it fails: exchanges under way on other
   * connections use up the same budget. */
  cz_throttle_reserve (self->throttle, pair_key, now);
  cz_throttle_reserve (self->throttle, addr_key, now);
  cz_throttle_reserve (self->throttle, user_key, now);
  conn->auth_reserved = TRUE;

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
      settle_attempt (conn, FALSE);
      g_clear_pointer (&conn->scram, cz_scram_server_free);
      cz_conn_send_gerror (conn, ref, op->op.error);
      return;
    }
  server_first = cz_scram_server_first (conn->scram, known ? &op->creds : NULL,
                                        self->fake_secret,
                                        known ? 0 : fake_iterations (self, conn->auth_user));
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
  g_autoptr(GVariant) reply = NULL;

  if (conn->scram == NULL || conn->auth_busy)
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_PROTOCOL, _("auth-finish must follow auth-challenge"));
      return;
    }
  if (!cz_message_get_string (msg, "message", &final, &error))
    {
      settle_attempt (conn, FALSE);
      g_clear_pointer (&conn->scram, cz_scram_server_free);
      cz_conn_send_gerror (conn, ref, error);
      return;
    }
  server_final = cz_scram_server_final (conn->scram, final, &error);
  g_clear_pointer (&conn->scram, cz_scram_server_free);
  if (server_final == NULL)
    {
      settle_attempt (conn, FALSE);
      cz_server_log (self, G_LOG_LEVEL_INFO, _("%s: failed login for “%s”"),
                     conn->address, conn->auth_user);
      /* The same answer for a wrong password and an unknown user. */
      cz_conn_send_error (conn, ref, CZ_ERROR_AUTH_FAILED, _("wrong user name or password"));
      return;
    }

  settle_attempt (conn, TRUE);
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
  note_iterations (conn->server, op->creds.iterations);
  reply = cz_message_new ("registered",
                          "ref", g_variant_new_uint32 (ref),
                          "user", g_variant_new_string (op->user),
                          NULL);
  cz_conn_send (conn, reply);
  cz_server_log (conn->server, G_LOG_LEVEL_INFO, _("new account “%s” from %s"),
                 op->user, conn->address);
}
