/* cz-client-session.c: one log-in session of the window: connect, trust,
 * log in, feed the chat model from the engine's typed signals, send what
 * was typed, reconnect. */
#include "config.h"

#include <glib/gi18n.h>

#include "cz-cert-info.h"
#include "cz-client-session.h"
#include "cz-util.h"

#define HISTORY_PAGE 50

struct _CzClientSession {
  GObject parent_instance;

  CzChatModel *model;
  CzClient *client;
  CzSessionState state;
  CzSessionInfo *info;
  char *fingerprint;

  /* what to connect to, kept for reconnecting */
  char *host;
  guint16 port;
  char *server;
  CzTrustMode trust;
  char *ca_file;
  char *known_servers;
  char *cert_file;            /* client certificate and key, or NULL */
  char *key_file;
  char *user;
  char *password;
  guint timeout_ms;
  gboolean create_account;
  gboolean was_online;        /* logged in at least once: drops reconnect */
  gboolean send_receipts;

  guint32 login_ref;
  guint32 register_ref;
  GHashTable *history_refs;   /* ref → conversation key (owned) */
  char *sync_error;           /* an ERROR with ref 0 raised inside a call */

  guint attempt;              /* reconnection attempts since the drop */
  guint last_delay_ms;        /* the previous wait: the next is never shorter */
  guint retry_id;
  guint tick_id;
  gint64 retry_at;            /* monotonic µs */
};

G_DEFINE_FINAL_TYPE (CzClientSession, cz_client_session, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (CzSessionState, cz_session_state,
                    G_DEFINE_ENUM_VALUE (CZ_SESSION_IDLE, "idle"),
                    G_DEFINE_ENUM_VALUE (CZ_SESSION_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (CZ_SESSION_TRUST, "trust"),
                    G_DEFINE_ENUM_VALUE (CZ_SESSION_AUTHENTICATING, "authenticating"),
                    G_DEFINE_ENUM_VALUE (CZ_SESSION_ONLINE, "online"),
                    G_DEFINE_ENUM_VALUE (CZ_SESSION_RECONNECTING, "reconnecting"))

enum { PROP_0, PROP_STATE, PROP_RETRY_SECONDS, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_TRUST_PROMPT, SIGNAL_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void connect_now (CzClientSession *self);

/* ---- Object ------------------------------------------------------------------------ */

static void
set_state (CzClientSession *self, CzSessionState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static gboolean
retire_idle (gpointer data)
{
  CzClient *client = data;

  cz_client_disconnect (client);
  g_object_unref (client);
  return G_SOURCE_REMOVE;
}

/* Drops the current connection without hearing from it again.  The client
 * is let go from an idle: we may be inside its own signal emission. */
static void
retire_client (CzClientSession *self)
{
  if (self->client == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->client, self);
  g_idle_add (retire_idle, g_steal_pointer (&self->client));
  g_hash_table_remove_all (self->history_refs);
  self->login_ref = self->register_ref = 0;
}

static void
stop_timers (CzClientSession *self)
{
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->tick_id, g_source_remove);
}

static void
forget_secrets (CzClientSession *self)
{
  g_clear_pointer (&self->password, cz_str_wipe_free);
}

static void
cz_client_session_dispose (GObject *object)
{
  CzClientSession *self = CZ_CLIENT_SESSION (object);

  stop_timers (self);
  retire_client (self);
  G_OBJECT_CLASS (cz_client_session_parent_class)->dispose (object);
}

static void
cz_client_session_finalize (GObject *object)
{
  CzClientSession *self = CZ_CLIENT_SESSION (object);

  forget_secrets (self);
  g_clear_object (&self->model);
  g_clear_pointer (&self->info, cz_session_info_unref);
  g_clear_pointer (&self->history_refs, g_hash_table_unref);
  g_free (self->fingerprint);
  g_free (self->host);
  g_free (self->server);
  g_free (self->ca_file);
  g_free (self->known_servers);
  g_free (self->cert_file);
  g_free (self->key_file);
  g_free (self->user);
  g_free (self->sync_error);
  G_OBJECT_CLASS (cz_client_session_parent_class)->finalize (object);
}

static void
cz_client_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CzClientSession *self = CZ_CLIENT_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_RETRY_SECONDS:
      g_value_set_uint (value, cz_client_session_get_retry_seconds (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cz_client_session_class_init (CzClientSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cz_client_session_dispose;
  object_class->finalize = cz_client_session_finalize;
  object_class->get_property = cz_client_session_get_property;

  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, CZ_TYPE_SESSION_STATE,
                                              CZ_SESSION_IDLE,
                                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                              | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RETRY_SECONDS] = g_param_spec_uint ("retry-seconds", NULL, NULL, 0, G_MAXUINT, 0,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                                      | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CzClientSession::trust-prompt:
   * @fingerprint: the server key's SHA-256 (hex)
   *
   * First contact with a server under trust on first use: answer with
   * cz_client_session_trust().
   */
  signals[SIGNAL_TRUST_PROMPT] = g_signal_new ("trust-prompt", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * CzClientSession::failed:
   * @title: a headline
   * @detail: an explanation
   *
   * The session stopped (state IDLE) for a reason the person must see.
   */
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
cz_client_session_init (CzClientSession *self)
{
  self->history_refs = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->send_receipts = TRUE;
}

CzClientSession *
cz_client_session_new (CzChatModel *model)
{
  CzClientSession *self = g_object_new (CZ_TYPE_CLIENT_SESSION, NULL);

  self->model = g_object_ref (model);
  return self;
}

CzChatModel *cz_client_session_get_model (CzClientSession *self) { return self->model; }
CzSessionState cz_client_session_get_state (CzClientSession *self) { return self->state; }
const char *cz_client_session_get_user (CzClientSession *self) { return self->user; }
const char *cz_client_session_get_server (CzClientSession *self) { return self->server; }
CzSessionInfo *cz_client_session_get_info (CzClientSession *self) { return self->info; }
const char *cz_client_session_get_fingerprint (CzClientSession *self) { return self->fingerprint; }
const char *cz_client_session_get_cert_file (CzClientSession *self) { return self->cert_file; }

void
cz_client_session_set_send_receipts (CzClientSession *self, gboolean send)
{
  self->send_receipts = send;
}

guint
cz_client_session_get_retry_seconds (CzClientSession *self)
{
  gint64 left;

  if (self->retry_id == 0)
    return 0;
  left = self->retry_at - g_get_monotonic_time ();
  return left > 0 ? (guint) ((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC) : 0;
}

/* Stops with an error for the connect form. */
static void
fail_with (CzClientSession *self, const char *title, const char *detail)
{
  stop_timers (self);
  retire_client (self);
  cz_chat_model_forget_refs (self->model);
  cz_chat_model_set_all_offline (self->model);
  set_state (self, CZ_SESSION_IDLE);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, title, detail);
}

static void
fail (CzClientSession *self, CzErrorCode code, const char *message, guint retry_after)
{
  g_autofree char *title = NULL;
  g_autofree char *detail = NULL;

  if (!cz_client_session_describe_cert_error (code, message, self->cert_file, &title, &detail))
    cz_client_session_describe_error (code, message, retry_after, &title, &detail);
  fail_with (self, title, detail);
}

/* ---- Reconnecting ------------------------------------------------------------------ */

guint
cz_reconnect_delay_ms (guint attempt, gboolean local, double jitter, guint previous_ms)
{
  /* A server on the same network is back within seconds (a restart, a
   * new build): try often and reconnect at most ~1.7 s after its return.
   * Far away, back off further, as the server may be overloaded. */
  guint first = local ? 250 : 500, cap = local ? 1500 : 30000;
  guint base = first, delay;

  for (guint i = 1; i < attempt && base < cap; i++)
    base *= 2;
  base = MIN (base, cap);
  /* Up to a tenth more, so that many clients dropped at once do not all
   * come back in the same millisecond; added, never taken away. */
  delay = base + (guint) (CLAMP (jitter, 0.0, 1.0) * base / 10);
  return MAX (delay, previous_ms);
}

/* The last connection went to a loopback, private or link-local address
 * (or, before any, the host is one): a local network. */
static gboolean
server_is_local (CzClientSession *self)
{
  g_autoptr(GSocketConnectable) peer = NULL;
  g_autoptr(GInetAddress) addr = NULL;
  const char *host = self->host;

  if (self->info && self->info->peer_address)
    {
      peer = g_network_address_parse (self->info->peer_address, self->port, NULL);
      if (peer)
        host = g_network_address_get_hostname (G_NETWORK_ADDRESS (peer));
    }
  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_has_suffix (host, ".local"))
    return TRUE;
  addr = g_inet_address_new_from_string (host);
  return addr && (g_inet_address_get_is_loopback (addr) || g_inet_address_get_is_site_local (addr)
                  || g_inet_address_get_is_link_local (addr));
}

static void schedule_tick (CzClientSession *self);

/* Ticks when the whole seconds left change, so that the countdown shown
 * goes down by one each time, on time. */
static gboolean
tick_cb (gpointer data)
{
  CzClientSession *self = data;

  self->tick_id = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_SECONDS]);
  schedule_tick (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_tick (CzClientSession *self)
{
  gint64 left = self->retry_at - g_get_monotonic_time ();
  gint64 to_next;

  if (self->retry_id == 0 || left <= 0)
    return;
  to_next = left % G_USEC_PER_SEC;
  if (to_next == 0)
    to_next = G_USEC_PER_SEC;
  self->tick_id = g_timeout_add ((guint) ((to_next + 999) / 1000), tick_cb, self);
}

static gboolean
retry_cb (gpointer data)
{
  CzClientSession *self = data;

  self->retry_id = 0;
  g_clear_handle_id (&self->tick_id, g_source_remove);
  connect_now (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_SECONDS]);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (CzClientSession *self, guint at_least_s)
{
  guint delay;

  retire_client (self);
  cz_chat_model_forget_refs (self->model);
  cz_chat_model_set_all_offline (self->model);
  self->attempt++;
  delay = cz_reconnect_delay_ms (self->attempt, server_is_local (self), g_random_double (),
                                 self->last_delay_ms);
  self->last_delay_ms = delay;
  /* The server said when (throttled): not before, this once. */
  delay = MAX (delay, at_least_s * 1000);
  stop_timers (self);
  self->retry_at = g_get_monotonic_time () + (gint64) delay * 1000;
  self->retry_id = g_timeout_add (delay, retry_cb, self);
  schedule_tick (self);
  set_state (self, CZ_SESSION_RECONNECTING);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_SECONDS]);
}

void
cz_client_session_reconnect_now (CzClientSession *self)
{
  if (self->state != CZ_SESSION_RECONNECTING || self->client)
    return;
  stop_timers (self);
  connect_now (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_SECONDS]);
}

/* ---- Sending ----------------------------------------------------------------------------- */

static void
send_one (CzClientSession *self, CzChatMessage *msg)
{
  CzConversation *conv = cz_chat_model_conversation_of (self->model, msg);
  const char *text = cz_chat_message_get_text (msg);
  guint32 ref;

  g_clear_pointer (&self->sync_error, g_free);
  /* The same txn each time: a resend after a lost ack is stored once. */
  ref = cz_client_send_text (self->client,
                             cz_conversation_is_lobby (conv) ? NULL : cz_conversation_get_key (conv),
                             text, cz_chat_message_get_txn (msg));
  if (ref == 0)
    {
      /* Refused before sending (text too long...): the error came with ref 0. */
      cz_chat_model_set_ref (self->model, msg, G_MAXUINT32);
      cz_chat_model_fail (self->model, G_MAXUINT32,
                          self->sync_error ? self->sync_error : _("not connected"));
      return;
    }
  cz_chat_model_set_ref (self->model, msg, ref);
}

static void
flush_outbox (CzClientSession *self)
{
  g_autoptr(GPtrArray) outbox = cz_chat_model_get_outbox (self->model);

  for (guint i = 0; i < outbox->len && self->client; i++)
    send_one (self, outbox->pdata[i]);
}

CzChatMessage *
cz_client_session_send (CzClientSession *self, const char *key, const char *text)
{
  CzChatMessage *msg = cz_chat_model_add_outgoing (self->model, key, text);

  if (self->state == CZ_SESSION_ONLINE && self->client)
    send_one (self, msg);
  return msg;
}

gboolean
cz_client_session_retry (CzClientSession *self, CzChatMessage *msg)
{
  if (!cz_chat_model_retry (self->model, msg))
    return FALSE;
  if (self->state == CZ_SESSION_ONLINE && self->client)
    send_one (self, msg);
  return TRUE;
}

static void
request_history (CzClientSession *self, CzConversation *conv, gint64 before)
{
  guint32 ref;

  if (self->state != CZ_SESSION_ONLINE || self->client == NULL)
    return;
  ref = cz_client_history (self->client, cz_conversation_get_key (conv), before, HISTORY_PAGE);
  if (ref == 0)
    return;
  cz_conversation_set_history_loading (conv, TRUE);
  g_hash_table_insert (self->history_refs, GUINT_TO_POINTER (ref),
                       g_strdup (cz_conversation_get_key (conv)));
}

void
cz_client_session_load_history (CzClientSession *self, CzConversation *conv)
{
  if (cz_conversation_get_history_loading (conv) || cz_conversation_get_history_complete (conv))
    return;
  request_history (self, conv, cz_conversation_get_oldest_id (conv));
}

void
cz_client_session_conversation_seen (CzClientSession *self, CzConversation *conv)
{
  g_autoptr(GArray) ids = cz_chat_model_mark_seen (self->model, conv);

  if (ids->len == 0 || !self->send_receipts || self->state != CZ_SESSION_ONLINE)
    return;
  cz_client_mark_read (self->client, (const gint64 *) ids->data, ids->len);
}

/* ---- Events ----------------------------------------------------------------------------- */

static void
connected_cb (CzClient *client, CzSessionInfo *info, const char *fingerprint, gpointer user_data)
{
  CzClientSession *self = user_data;

  g_clear_pointer (&self->info, cz_session_info_unref);
  self->info = info ? cz_session_info_ref (info) : NULL;
  g_free (self->fingerprint);
  self->fingerprint = g_strdup (fingerprint);
  set_state (self, CZ_SESSION_AUTHENTICATING);
  if (self->create_account)
    self->register_ref = cz_client_register (client, self->user, self->password);
  else
    self->login_ref = cz_client_login (client, self->user, self->password);
}

static void
trust_prompt_cb (CzClient *client, const char *fingerprint, gpointer user_data)
{
  CzClientSession *self = user_data;

  if (self->was_online)
    {
      /* A reconnect never asks: the key was accepted before. */
      fail (self, CZ_ERROR_CERT_UNTRUSTED, _("the server is not the one accepted before"), 0);
      return;
    }
  set_state (self, CZ_SESSION_TRUST);
  g_signal_emit (self, signals[SIGNAL_TRUST_PROMPT], 0, fingerprint);
}

static void
registered_cb (CzClient *client, guint ref, const char *user, gpointer user_data)
{
  CzClientSession *self = user_data;

  self->register_ref = 0;
  self->login_ref = cz_client_login (client, self->user, self->password);
}

static void
logged_in_cb (CzClient *client, guint ref, const char *user, const char *server_final,
              gpointer user_data)
{
  CzClientSession *self = user_data;
  guint n;

  self->login_ref = 0;
  self->was_online = TRUE;
  self->attempt = 0;
  self->last_delay_ms = 0;
  self->create_account = FALSE;
  set_state (self, CZ_SESSION_ONLINE);
  cz_client_who (self->client);
  /* The newest page of every conversation: fills what was missed while
   * away (known messages are skipped). */
  n = g_list_model_get_n_items (cz_chat_model_get_conversations (self->model));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CzConversation) conv =
        g_list_model_get_item (cz_chat_model_get_conversations (self->model), i);
      cz_conversation_set_history_loading (conv, FALSE);
      request_history (self, conv, 0);
    }
  flush_outbox (self);
}

static void
message_cb (CzClient *client, CzClientMessage *message, gpointer user_data)
{
  CzClientSession *self = user_data;
  CzChatMessage *msg = cz_chat_model_add_message (self->model, message);
  CzConversation *active = cz_chat_model_get_active (self->model);

  if (msg && active && cz_chat_model_get_focused (self->model)
      && cz_chat_model_conversation_of (self->model, msg) == active)
    cz_client_session_conversation_seen (self, active);
}

static void
ack_cb (CzClient *client, guint ref, gint64 id, gint64 ts, gpointer user_data)
{
  CzClientSession *self = user_data;

  cz_chat_model_ack (self->model, ref, id, ts);
}

static void
presence_cb (CzClient *client, const char *user, gboolean online, gpointer user_data)
{
  CzClientSession *self = user_data;

  cz_chat_model_set_presence (self->model, user, online);
}

static void
who_cb (CzClient *client, guint ref, char **users, gpointer user_data)
{
  CzClientSession *self = user_data;

  cz_chat_model_set_who (self->model, (const char *const *) users);
}

static void
receipt_cb (CzClient *client, gint64 id, const char *by, CzReceiptState state,
            gpointer user_data)
{
  CzClientSession *self = user_data;

  cz_chat_model_receipt (self->model, id, state);
}

static void
history_cb (CzClient *client, guint ref, GPtrArray *messages, gpointer user_data)
{
  CzClientSession *self = user_data;
  g_autofree char *key = NULL;
  CzConversation *active = cz_chat_model_get_active (self->model);

  if (!g_hash_table_steal_extended (self->history_refs, GUINT_TO_POINTER (ref), NULL,
                                    (gpointer *) &key))
    return;
  cz_chat_model_add_history (self->model, key, messages, HISTORY_PAGE);
  if (active && g_str_equal (cz_conversation_get_key (active), key)
      && cz_chat_model_get_focused (self->model))
    cz_client_session_conversation_seen (self, active);
}

static void
error_cb (CzClient *client, CzClientError *error, gpointer user_data)
{
  CzClientSession *self = user_data;
  guint32 ref = error->ref;
  g_autofree char *key = NULL;

  if (ref == 0)
    {
      g_free (self->sync_error);
      self->sync_error = g_strdup (error->message);
    }
  if (ref != 0 && (ref == self->login_ref || ref == self->register_ref))
    {
      if (self->was_online && error->code == CZ_ERROR_THROTTLED)
        schedule_reconnect (self, error->retry_after);
      else
        fail (self, error->code, error->message, error->retry_after);
      return;
    }
  if (ref != 0 && g_hash_table_steal_extended (self->history_refs, GUINT_TO_POINTER (ref),
                                               NULL, (gpointer *) &key))
    {
      CzConversation *conv = cz_chat_model_lookup (self->model, key);
      if (conv)
        cz_conversation_set_history_loading (conv, FALSE);
      return;
    }
  if (ref != 0)
    cz_chat_model_fail (self->model, ref, error->message);
}

static void
disconnected_cb (CzClient *client, const GError *error, const char *reason, gpointer user_data)
{
  CzClientSession *self = user_data;
  CzErrorCode code = CZ_ERROR_CLOSED;
  g_autofree char *message = NULL;

  if (error && error->domain == CZ_ERROR)
    code = error->code;
  if (error)
    message = g_strdup (error->message);
  else if (reason && *reason)
    message = g_strdup_printf (_("The server said goodbye: %s"), reason);
  else
    message = g_strdup (_("The connection was closed."));

  if (self->was_online && code != CZ_ERROR_KEY_CHANGED && code != CZ_ERROR_CERT_UNTRUSTED
      && code != CZ_ERROR_TLS)
    schedule_reconnect (self, 0);
  else
    fail (self, code, message, 0);
}

/* The engine's signals, and what takes each. */
static const struct {
  const char *signal;
  GCallback handler;
} client_handlers[] = {
  { "connected", G_CALLBACK (connected_cb) },
  { "trust-prompt", G_CALLBACK (trust_prompt_cb) },
  { "registered", G_CALLBACK (registered_cb) },
  { "logged-in", G_CALLBACK (logged_in_cb) },
  { "message", G_CALLBACK (message_cb) },
  { "ack", G_CALLBACK (ack_cb) },
  { "presence", G_CALLBACK (presence_cb) },
  { "who", G_CALLBACK (who_cb) },
  { "receipt", G_CALLBACK (receipt_cb) },
  { "history", G_CALLBACK (history_cb) },
  { "error", G_CALLBACK (error_cb) },
  { "disconnected", G_CALLBACK (disconnected_cb) },
};

/* ---- Connecting ---------------------------------------------------------------------------- */

static void
connect_now (CzClientSession *self)
{
  CzClientConfig config = {
    .host = self->host,
    .port = self->port,
    .timeout_ms = self->timeout_ms,
    .tls = {
      .trust = self->trust,
      .ca_file = self->ca_file,
      .known_servers = self->known_servers,
      .cert_file = self->cert_file,
      .key_file = self->key_file,
    },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) pair_error = NULL;

  retire_client (self);
  self->client = cz_client_new (&config, &error);
  if (self->client == NULL)
    {
      /* The CA file and the client certificate both fail as "cert": say
       * which, with the library's own reason. */
      if (g_error_matches (error, CZ_ERROR, CZ_ERROR_CERT) && self->cert_file && self->key_file
          && !cz_cert_check_pair (self->cert_file, self->key_file, &pair_error))
        {
          g_autofree char *detail =
            g_strdup_printf (_("%s. Choose a certificate in PEM form and the private key that "
                               "belongs to it."), pair_error->message);
          fail_with (self, _("Your client certificate cannot be used"), detail);
          return;
        }
      fail (self, error->domain == CZ_ERROR ? error->code : CZ_ERROR_INTERNAL, error->message, 0);
      return;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (client_handlers); i++)
    g_signal_connect (self->client, client_handlers[i].signal, client_handlers[i].handler, self);
  if (!self->was_online)
    set_state (self, CZ_SESSION_CONNECTING);
  cz_client_connect (self->client);
}

void
cz_client_session_start (CzClientSession *self, const CzSessionParams *params)
{
  g_return_if_fail (params->host && params->user && params->password);

  stop_timers (self);
  retire_client (self);
  forget_secrets (self);
  /* The engine's salted-password cache is keyed by server and user only,
   * not by password: a login typed by the person must prove the password
   * again.  Reconnects of this session still use the cache. */
  cz_client_forget_cached_keys ();
  /* Another account or server: the old conversations are not this one's. */
  if (g_strcmp0 (self->user, params->user) != 0 || g_strcmp0 (self->host, params->host) != 0
      || self->port != params->port)
    cz_chat_model_clear (self->model);
  g_free (self->host);
  self->host = g_strdup (params->host);
  self->port = params->port;
  g_free (self->server);
  self->server = strchr (params->host, ':') ? g_strdup_printf ("[%s]:%u", params->host, params->port)
                                            : g_strdup_printf ("%s:%u", params->host, params->port);
  self->trust = params->trust;
  g_free (self->ca_file);
  self->ca_file = g_strdup (params->ca_file);
  g_free (self->known_servers);
  self->known_servers = g_strdup (params->known_servers);
  g_free (self->cert_file);
  self->cert_file = g_strdup (params->cert_file);
  g_free (self->key_file);
  self->key_file = g_strdup (params->key_file);
  g_free (self->user);
  self->user = g_strdup (params->user);
  self->password = g_strdup (params->password);
  self->create_account = params->create_account;
  self->timeout_ms = params->timeout_ms;
  self->was_online = FALSE;
  self->attempt = 0;
  self->last_delay_ms = 0;
  cz_chat_model_set_me (self->model, params->user);
  connect_now (self);
}

void
cz_client_session_cancel (CzClientSession *self)
{
  stop_timers (self);
  retire_client (self);
  cz_chat_model_forget_refs (self->model);
  cz_chat_model_set_all_offline (self->model);
  self->was_online = FALSE;
  set_state (self, CZ_SESSION_IDLE);
}

void
cz_client_session_logout (CzClientSession *self)
{
  cz_client_session_cancel (self);
  forget_secrets (self);
  cz_client_forget_cached_keys ();
  g_clear_pointer (&self->user, g_free);
  cz_chat_model_clear (self->model);
}

void
cz_client_session_trust (CzClientSession *self, gboolean accept)
{
  if (self->state != CZ_SESSION_TRUST || self->client == NULL)
    return;
  if (!accept)
    {
      cz_client_session_cancel (self);
      return;
    }
  set_state (self, CZ_SESSION_CONNECTING);
  cz_client_trust (self->client, TRUE);
}
