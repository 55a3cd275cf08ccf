/* cz-client.c: the client engine on a GMainContext: connecting, the
 * channel's I/O, the chat requests, and the incoming kinds, each decoded
 * and checked once (a dispatch table) and emitted as a typed signal. */
#include "config.h"

#include <string.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>

#include "cz-protocol.h"
#include "cz-client-private.h"
#include "cz-crypto.h"
#include "cz-error.h"
#include "cz-message.h"
#include "cz-scram.h"
#include "cz-util.h"

G_DEFINE_FINAL_TYPE (CzClient, cz_client, G_TYPE_OBJECT)

enum {
  SIGNAL_CONNECTED,
  SIGNAL_TRUST_PROMPT,
  SIGNAL_REGISTERED,
  SIGNAL_LOGGED_IN,
  SIGNAL_MESSAGE,
  SIGNAL_ACK,
  SIGNAL_PRESENCE,
  SIGNAL_WHO,
  SIGNAL_RECEIPT,
  SIGNAL_HISTORY,
  SIGNAL_ERROR,
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* ---- Errors ---------------------------------------------------------------------- */

static void
emit_error (CzClient *self, CzClientError *error)
{
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
}

void
cz_client_emit_error (CzClient *self, guint32 ref, const GError *error)
{
  CzClientError event = {
    .ref = ref,
    .code = error->domain == CZ_ERROR ? (CzErrorCode) error->code : CZ_ERROR_INTERNAL,
    .code_name = (char *) cz_error_wire_code (error),
    .message = error->message,
    .local = TRUE,
  };

  emit_error (self, &event);
}

void
cz_client_emit_error_literal (CzClient *self, guint32 ref, CzErrorCode code, const char *text)
{
  g_autoptr(GError) error = g_error_new_literal (CZ_ERROR, code, text);
  cz_client_emit_error (self, ref, error);
}

void
cz_client_emit_logged_in (CzClient *self, guint32 ref, const char *user, const char *server_final)
{
  g_signal_emit (self, signals[SIGNAL_LOGGED_IN], 0, ref, user, server_final);
}

/* ---- Object ------------------------------------------------------------------------ */

static void
wipe_secrets (CzClient *self)
{
  g_clear_pointer (&self->reg_password, cz_str_wipe_free);
  g_clear_pointer (&self->scram, cz_scram_client_free);
}

static void
teardown (CzClient *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_handle_id (&self->received_id, g_source_remove);
  if (self->source)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  g_clear_pointer (&self->channel, cz_channel_free);
  if (self->connection)
    {
      g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
      g_clear_object (&self->connection);
    }
  wipe_secrets (self);
}

static void
cz_client_finalize (GObject *object)
{
  CzClient *self = CZ_CLIENT (object);

  g_cancellable_cancel (self->cancellable);
  teardown (self);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->tls, cz_tls_client_config_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->received, g_array_unref);
  g_free (self->host);
  g_free (self->name);
  g_free (self->user);
  g_free (self->reg_user);
  g_free (self->auth_user);
  g_free (self->bye_reason);
  G_OBJECT_CLASS (cz_client_parent_class)->finalize (object);
}

static void
cz_client_class_init (CzClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cz_client_finalize;

  /* Strings and boxed values are the emitter's, valid during the emission
   * (G_SIGNAL_TYPE_STATIC_SCOPE: no copies for each handler). */
#define STATIC(type) ((type) | G_SIGNAL_TYPE_STATIC_SCOPE)
#define NEW_SIGNAL(name, n, ...) \
  g_signal_new (name, G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, \
                G_TYPE_NONE, n, __VA_ARGS__)
  signals[SIGNAL_CONNECTED] = NEW_SIGNAL ("connected", 2, STATIC (CZ_TYPE_SESSION_INFO),
                                          STATIC (G_TYPE_STRING));
  signals[SIGNAL_TRUST_PROMPT] = NEW_SIGNAL ("trust-prompt", 1, STATIC (G_TYPE_STRING));
  signals[SIGNAL_REGISTERED] = NEW_SIGNAL ("registered", 2, G_TYPE_UINT, STATIC (G_TYPE_STRING));
  signals[SIGNAL_LOGGED_IN] = NEW_SIGNAL ("logged-in", 3, G_TYPE_UINT, STATIC (G_TYPE_STRING),
                                          STATIC (G_TYPE_STRING));
  signals[SIGNAL_MESSAGE] = NEW_SIGNAL ("message", 1, STATIC (CZ_TYPE_CLIENT_MESSAGE));
  signals[SIGNAL_ACK] = NEW_SIGNAL ("ack", 3, G_TYPE_UINT, G_TYPE_INT64, G_TYPE_INT64);
  signals[SIGNAL_PRESENCE] = NEW_SIGNAL ("presence", 2, STATIC (G_TYPE_STRING), G_TYPE_BOOLEAN);
  signals[SIGNAL_WHO] = NEW_SIGNAL ("who", 2, G_TYPE_UINT, STATIC (G_TYPE_STRV));
  signals[SIGNAL_RECEIPT] = NEW_SIGNAL ("receipt", 3, G_TYPE_INT64, STATIC (G_TYPE_STRING),
                                        CZ_TYPE_RECEIPT_STATE);
  signals[SIGNAL_HISTORY] = NEW_SIGNAL ("history", 2, G_TYPE_UINT, STATIC (G_TYPE_PTR_ARRAY));
  signals[SIGNAL_ERROR] = NEW_SIGNAL ("error", 1, STATIC (CZ_TYPE_CLIENT_ERROR));
  signals[SIGNAL_DISCONNECTED] = NEW_SIGNAL ("disconnected", 2, STATIC (G_TYPE_ERROR),
                                             STATIC (G_TYPE_STRING));
#undef NEW_SIGNAL
#undef STATIC
}

static void
cz_client_init (CzClient *self)
{
  self->cancellable = g_cancellable_new ();
  self->pending = g_hash_table_new (NULL, NULL);
  self->received = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->next_ref = 1;
}

CzClient *
cz_client_new (const CzClientConfig *config, GError **error)
{
  g_autoptr(CzClient) self = g_object_new (CZ_TYPE_CLIENT, NULL);

  self->tls = cz_tls_client_config_new (&config->tls, error);
  if (self->tls == NULL)
    return NULL;
  self->host = g_strdup (config->host);
  self->port = config->port;
  self->name = g_strdup (config->name ? config->name : "causerie-client " PACKAGE_VERSION);
  self->timeout_ms = config->timeout_ms ? config->timeout_ms : 10000;
  return g_steal_pointer (&self);
}

/* ---- Closing ---------------------------------------------------------------------------- */

static void
finish_disconnect (CzClient *self, const GError *error, const char *reason)
{
  if (self->disconnected)
    return;
  self->disconnected = TRUE;
  self->connected = FALSE;
  g_hash_table_remove_all (self->pending);
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, error, reason);
  g_object_unref (self);
}

static gboolean
free_channel_idle (gpointer data)
{
  CzClient *self = data;
  teardown (self);
  return G_SOURCE_REMOVE;
}

static void
channel_closed_cb (CzChannel *channel, const GError *error, gpointer user_data)
{
  CzClient *self = user_data;
  g_autofree char *reason = g_steal_pointer (&self->bye_reason);

  /* The channel is freed outside its own callback. */
  g_idle_add_full (G_PRIORITY_DEFAULT, free_channel_idle, g_object_ref (self), g_object_unref);
  finish_disconnect (self, error, reason);
}

/* ---- I/O ---------------------------------------------------------------------------------- */

static gboolean socket_ready_cb (gint fd, GIOCondition condition, gpointer user_data);

/* (Re)creates the fd source for @cond: unix fd sources cannot change
 * their condition, and it changes only when output backs up. */
static void
attach_source (CzClient *self, GIOCondition cond)
{
  GSocket *socket = g_socket_connection_get_socket (self->connection);

  if (self->source)
    {
      g_source_destroy (self->source);
      g_source_unref (self->source);
    }
  self->source = g_unix_fd_source_new (g_socket_get_fd (socket), cond);
  self->source_cond = cond;
  g_source_set_callback (self->source, (GSourceFunc) (void (*) (void)) socket_ready_cb, self, NULL);
  g_source_attach (self->source, g_main_context_get_thread_default ());
}

static void
update_source (CzClient *self)
{
  GIOCondition cond;

  if (self->source == NULL || self->channel == NULL
      || cz_channel_get_state (self->channel) == CZ_CHANNEL_CLOSED)
    return;
  cond = G_IO_IN | (cz_channel_wants_write (self->channel) ? G_IO_OUT : 0);
  if (cond != self->source_cond)
    attach_source (self, cond);
}

static void
run_io (CzClient *self)
{
  g_object_ref (self);
  for (int i = 0; self->channel && i < 64; i++)
    {
      if (cz_channel_io (self->channel) == CZ_CHANNEL_CLOSED)
        break;
      if (!cz_channel_has_buffered_input (self->channel))
        break;
    }
  update_source (self);
  g_object_unref (self);
}

static gboolean
socket_ready_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  run_io (user_data);
  return G_SOURCE_CONTINUE;
}

void
cz_client_send_msg (CzClient *self, GVariant *msg)
{
  g_autoptr(GVariant) owned = g_variant_take_ref (msg);
  g_autoptr(GError) error = NULL;

  if (self->channel == NULL || !cz_channel_send (self->channel, owned, &error))
    {
      if (error)
        cz_client_emit_error (self, cz_message_ref (owned), error);
      return;
    }
  cz_channel_flush (self->channel);
  update_source (self);
}

guint32
cz_client_start_request (CzClient *self, const char *kind)
{
  guint32 ref;

  if (!self->connected)
    {
      cz_client_emit_error_literal (self, 0, CZ_ERROR_CLOSED, _("not connected"));
      return 0;
    }
  ref = self->next_ref++;
  g_hash_table_insert (self->pending, GUINT_TO_POINTER (ref), (gpointer) kind);
  return ref;
}

void
cz_client_end_request (CzClient *self, guint32 ref)
{
  g_hash_table_remove (self->pending, GUINT_TO_POINTER (ref));
}

/* ---- Chat ----------------------------------------------------------------------------------- */

static gboolean
send_received_idle (gpointer data)
{
  CzClient *self = data;

  self->received_id = 0;
  if (self->received->len > 0 && self->connected)
    cz_client_send_msg (self, cz_message_new ("received",
                                    "ids", g_variant_new_fixed_array (G_VARIANT_TYPE_INT64,
                                                                      self->received->data,
                                                                      self->received->len,
                                                                      sizeof (gint64)),
                                    NULL));
  g_array_set_size (self->received, 0);
  return G_SOURCE_REMOVE;
}

/* Sends the waiting `received` batch now (and drops its idle). */
static void
flush_received (CzClient *self)
{
  g_clear_handle_id (&self->received_id, g_source_remove);
  send_received_idle (self);
}

/* Direct messages are acknowledged as delivered, in one batch per turn of
 * the main loop. */
static void
queue_received (CzClient *self, gint64 id)
{
  g_array_append_val (self->received, id);
  if (self->received->len >= 500)
    flush_received (self);
  else if (self->received_id == 0)
    self->received_id = g_idle_add (send_received_idle, self);
}

guint32
cz_client_send_text (CzClient *self, const char *to, const char *text, const char *txn)
{
  g_autoptr(GError) error = NULL;
  const char *keys[4] = { "ref", "text" };
  GVariant *values[4];
  gsize n = 2;
  guint32 ref;

  g_return_val_if_fail (text != NULL, 0);
  g_return_val_if_fail (txn == NULL || (*txn != '\0' && strlen (txn) <= CZ_TXN_MAX), 0);

  if (!cz_text_valid (text, -1, &error))
    {
      cz_client_emit_error (self, 0, error);
      return 0;
    }
  if ((ref = cz_client_start_request (self, to ? "msg" : "say")) == 0)
    return 0;
  values[0] = g_variant_new_uint32 (ref);
  values[1] = g_variant_new_string (text);
  if (to != NULL)
    keys[n] = "to", values[n++] = g_variant_new_string (to);
  if (txn != NULL)
    keys[n] = "txn", values[n++] = g_variant_new_string (txn);
  cz_client_send_msg (self, cz_message_newv (to ? "msg" : "say", keys, values, n));
  return ref;
}

guint32
cz_client_say (CzClient *self, const char *text)
{
  return cz_client_send_text (self, NULL, text, NULL);
}

guint32
cz_client_msg (CzClient *self, const char *to, const char *text)
{
  g_return_val_if_fail (to != NULL, 0);

  return cz_client_send_text (self, to, text, NULL);
}

guint32
cz_client_who (CzClient *self)
{
  guint32 ref = cz_client_start_request (self, "who");

  if (ref)
    cz_client_send_msg (self, cz_message_new ("who", "ref", g_variant_new_uint32 (ref), NULL));
  return ref;
}

guint32
cz_client_history (CzClient *self, const char *with, gint64 before, guint limit)
{
  guint32 ref = cz_client_start_request (self, "history");

  if (ref)
    cz_client_send_msg (self, cz_message_new ("history",
                                    "ref", g_variant_new_uint32 (ref),
                                    "with", g_variant_new_string (with),
                                    "before", g_variant_new_int64 (before),
                                    "limit", g_variant_new_uint32 (limit),
                                    NULL));
  return ref;
}

void
cz_client_mark_read (CzClient *self, const gint64 *ids, guint n_ids)
{
  if (!self->connected || n_ids == 0)
    return;
  cz_client_send_msg (self, cz_message_new ("read",
                                  "ids", g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, ids,
                                                                    n_ids, sizeof (gint64)),
                                  NULL));
}

/* ---- Incoming messages ----------------------------------------------------------------------- */

/* Each kind is decoded and checked here, once; the signals carry typed
 * values.  A handler returns FALSE with @error when a field it needs is
 * missing or of the wrong type. */
typedef gboolean (*IncomingHandler) (CzClient *self, GVariant *msg, guint32 ref, GError **error);

static gboolean
on_register_params (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  cz_client_on_register_params (self, msg, ref);
  return TRUE;
}

static gboolean
on_registered (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  const char *user;

  if (!cz_message_get_string (msg, "user", &user, error))
    return FALSE;
  g_signal_emit (self, signals[SIGNAL_REGISTERED], 0, ref, user);
  return TRUE;
}

static gboolean
on_auth_challenge (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  cz_client_on_auth_challenge (self, msg, ref);
  return TRUE;
}

static gboolean
on_auth_ok (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  cz_client_on_auth_ok (self, msg, ref);
  return TRUE;
}

static gboolean
on_message (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  g_autoptr(GVariant) fields = g_variant_get_child_value (msg, 1);
  g_autoptr(CzClientMessage) message = cz_client_message_new_from_fields (fields, error);

  if (message == NULL)
    return FALSE;
  if (message->to)
    queue_received (self, message->id);
  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, message);
  return TRUE;
}

static gboolean
on_ack (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  gint64 id, ts;

  if (!cz_message_get_int64 (msg, "id", &id, error)
      || !cz_message_get_int64 (msg, "ts", &ts, error))
    return FALSE;
  g_signal_emit (self, signals[SIGNAL_ACK], 0, ref, id, ts);
  return TRUE;
}

static gboolean
on_presence (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  const char *user;
  gboolean online;

  if (!cz_message_get_string (msg, "user", &user, error)
      || !cz_message_get_boolean (msg, "online", &online, error))
    return FALSE;
  g_signal_emit (self, signals[SIGNAL_PRESENCE], 0, user, online);
  return TRUE;
}

/* Many changes in one frame (asked for at auth-start, doc/protocol.md):
 * one `presence` signal each, those who came first. */
static gboolean
on_presence_batch (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  g_autoptr(GVariant) online = cz_message_lookup (msg, "online", G_VARIANT_TYPE_STRING_ARRAY);
  g_autoptr(GVariant) offline = cz_message_lookup (msg, "offline", G_VARIANT_TYPE_STRING_ARRAY);
  GVariant *lists[2] = { online, offline };

  if (online == NULL || offline == NULL)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_PROTOCOL,
                           "presence-batch without its online and offline lists");
      return FALSE;
    }
  for (guint l = 0; l < 2; l++)
    {
      gsize n = g_variant_n_children (lists[l]);

      for (gsize i = 0; i < n; i++)
        {
          const char *user = NULL;

          g_variant_get_child (lists[l], i, "&s", &user);
          g_signal_emit (self, signals[SIGNAL_PRESENCE], 0, user, l == 0);
        }
    }
  return TRUE;
}

static gboolean
on_who (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  g_autoptr(GVariant) users = cz_message_lookup (msg, "users", G_VARIANT_TYPE_STRING_ARRAY);
  g_autofree const char **strv = NULL;

  if (users == NULL)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
                           "field 'users' is missing or not a string array");
      return FALSE;
    }
  strv = g_variant_get_strv (users, NULL);
  g_signal_emit (self, signals[SIGNAL_WHO], 0, ref, strv);
  return TRUE;
}

static gboolean
on_receipt (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  const char *by, *state_name;
  CzReceiptState state;
  gint64 id;

  if (!cz_message_get_int64 (msg, "id", &id, error)
      || !cz_message_get_string (msg, "by", &by, error)
      || !cz_message_get_string (msg, "state", &state_name, error))
    return FALSE;
  if (!cz_receipt_state_from_string (state_name, &state))
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME, "unknown receipt state '%s'", state_name);
      return FALSE;
    }
  g_signal_emit (self, signals[SIGNAL_RECEIPT], 0, id, by, state);
  return TRUE;
}

static gboolean
on_history (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  g_autoptr(GVariant) entries = cz_message_lookup (msg, "messages", G_VARIANT_TYPE ("aa{sv}"));
  g_autoptr(GPtrArray) messages = NULL;
  gsize n;

  if (entries == NULL)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
                           "field 'messages' is missing or not a list of messages");
      return FALSE;
    }
  n = g_variant_n_children (entries);
  messages = g_ptr_array_new_full (n, (GDestroyNotify) cz_client_message_free);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) fields = g_variant_get_child_value (entries, i);
      g_autoptr(GError) entry_error = NULL;
      CzClientMessage *message = cz_client_message_new_from_fields (fields, &entry_error);

      if (message)
        g_ptr_array_add (messages, message);
      else
        g_debug ("history entry %" G_GSIZE_FORMAT " dropped: %s", i, entry_error->message);
    }
  g_signal_emit (self, signals[SIGNAL_HISTORY], 0, ref, messages);
  return TRUE;
}

static gboolean
on_error (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  CzClientError event = {
    .ref = ref,
    .code_name = (char *) cz_message_opt_string (msg, "code", NULL),
    .message = (char *) cz_message_opt_string (msg, "message", NULL),
    .retry_after = cz_message_opt_uint32 (msg, "retry_after", 0),
  };

  event.code = cz_error_code_from_string (event.code_name);
  if (ref == self->auth_ref)
    g_clear_pointer (&self->scram, cz_scram_client_free);
  if (ref == self->reg_ref)
    g_clear_pointer (&self->reg_password, cz_str_wipe_free);
  emit_error (self, &event);
  return TRUE;
}

static gboolean
on_bye (CzClient *self, GVariant *msg, guint32 ref, GError **error)
{
  g_free (self->bye_reason);
  self->bye_reason = g_strdup (cz_message_opt_string (msg, "reason", ""));
  return TRUE;
}

/* Dispatch by kind.  `answers`: the message answers a request, which is
 * no longer pending once it arrives. */
static const struct {
  const char *kind;
  IncomingHandler handler;
  gboolean answers;
} incoming[] = {
  { "register-params", on_register_params, FALSE },
  { "registered", on_registered, TRUE },
  { "auth-challenge", on_auth_challenge, FALSE },
  { "auth-ok", on_auth_ok, TRUE },
  { "message", on_message, FALSE },
  { "ack", on_ack, TRUE },
  { "presence", on_presence, FALSE },
  { "presence-batch", on_presence_batch, FALSE },
  { "who", on_who, TRUE },
  { "receipt", on_receipt, FALSE },
  { "history", on_history, TRUE },
  { "error", on_error, TRUE },
  { "bye", on_bye, FALSE },
};

static void
channel_message_cb (CzChannel *channel, GVariant *msg, gpointer user_data)
{
  CzClient *self = user_data;
  const char *kind = cz_message_kind (msg);
  guint32 ref = cz_message_ref (msg);

  for (gsize i = 0; i < G_N_ELEMENTS (incoming); i++)
    {
      g_autoptr(GError) error = NULL;

      if (!g_str_equal (kind, incoming[i].kind))
        continue;
      if (incoming[i].answers)
        cz_client_end_request (self, ref);
      if (!incoming[i].handler (self, msg, ref, &error))
        {
          /* An answer the request cannot use fails that request; anything
           * else malformed is dropped. */
          if (incoming[i].answers && ref != 0)
            cz_client_emit_error (self, ref, error);
          else
            g_debug ("%s dropped: %s", kind, error->message);
        }
      return;
    }
  /* Unknown kinds from a newer server are ignored (DESIGN §2.1). */
}

static void
channel_ready_cb (CzChannel *channel, gpointer user_data)
{
  CzClient *self = user_data;

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->connected = TRUE;
  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0, cz_channel_get_info (channel),
                 cz_channel_get_verify_state (channel)->fingerprint);
}

static void
channel_trust_prompt_cb (CzChannel *channel, const char *fingerprint, gpointer user_data)
{
  CzClient *self = user_data;

  g_signal_emit (self, signals[SIGNAL_TRUST_PROMPT], 0,
                 cz_channel_get_verify_state (channel)->fingerprint);
}

static const CzChannelCallbacks client_callbacks = {
  .trust_prompt = channel_trust_prompt_cb,
  .ready = channel_ready_cb,
  .message = channel_message_cb,
  .closed = channel_closed_cb,
};

void
cz_client_trust (CzClient *self, gboolean accept)
{
  const CzTlsVerifyState *state;
  g_autoptr(GError) error = NULL;

  if (self->channel == NULL || cz_channel_get_state (self->channel) != CZ_CHANNEL_TRUST)
    return;
  state = cz_channel_get_verify_state (self->channel);
  if (accept && !cz_known_servers_store (cz_tls_client_config_get_known_servers (self->tls),
                                         self->host, self->port, state->fingerprint, &error))
    {
      cz_client_emit_error (self, 0, error);
      accept = FALSE;
    }
  cz_channel_trust_decided (self->channel, accept);
  run_io (self);
}

/* ---- Connecting ---------------------------------------------------------------------------------- */

static gboolean
timeout_cb (gpointer data)
{
  CzClient *self = data;
  g_autoptr(GError) error = g_error_new (CZ_ERROR, CZ_ERROR_TIMEOUT,
                                         _("no answer from %s:%u within %u seconds"),
                                         self->host, self->port, self->timeout_ms / 1000);

  self->timeout_id = 0;
  g_cancellable_cancel (self->cancellable);
  if (self->channel && cz_channel_get_state (self->channel) == CZ_CHANNEL_TRUST)
    return G_SOURCE_REMOVE;   /* a person is deciding; do not rush them */
  if (self->channel)
    {
      cz_channel_abort (self->channel, error);
      run_io (self);
    }
  else
    finish_disconnect (self, error, NULL);
  return G_SOURCE_REMOVE;
}

static void
connected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CzClient) self = user_data;
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;
  GSocket *socket;
  CzChannelOptions options = { .name = self->name };

  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection == NULL)
    {
      g_autoptr(GError) mapped = NULL;
      if (self->disconnected)
        return;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        mapped = g_error_new (CZ_ERROR, CZ_ERROR_IO,
                              _("%s:%u refused the connection: is the server running?"),
                              self->host, self->port);
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
               || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        mapped = g_error_new (CZ_ERROR, CZ_ERROR_TIMEOUT,
                              _("no answer from %s:%u"), self->host, self->port);
      else
        mapped = g_error_new (CZ_ERROR, CZ_ERROR_IO, _("cannot connect to %s:%u: %s"),
                              self->host, self->port, error->message);
      g_clear_handle_id (&self->timeout_id, g_source_remove);
      finish_disconnect (self, mapped, NULL);
      return;
    }
  self->connection = connection;
  socket = g_socket_connection_get_socket (connection);
  g_socket_set_blocking (socket, FALSE);
  self->channel = cz_channel_new_client (self->tls, g_socket_get_fd (socket), self->host,
                                         self->port, &options, &client_callbacks, self, &error);
  if (self->channel == NULL)
    {
      finish_disconnect (self, error, NULL);
      return;
    }
  {
    g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
    if (G_IS_INET_SOCKET_ADDRESS (remote))
      {
        g_autofree char *ip = g_inet_address_to_string (
            g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
        g_autofree char *addr = strchr (ip, ':') ? g_strdup_printf ("[%s]:%u", ip, self->port)
                                                 : g_strdup_printf ("%s:%u", ip, self->port);
        cz_channel_set_peer_address (self->channel, addr);
      }
  }
  attach_source (self, G_IO_IN);
  run_io (self);
}

void
cz_client_connect (CzClient *self)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();

  g_socket_client_set_timeout (sc, (self->timeout_ms + 999) / 1000);
  self->timeout_id = g_timeout_add (self->timeout_ms, timeout_cb, self);
  g_socket_client_connect_to_host_async (sc, self->host, self->port, self->cancellable,
                                         connected_cb, g_object_ref (self));
}

void
cz_client_disconnect (CzClient *self)
{
  if (self->channel == NULL)
    {
      g_cancellable_cancel (self->cancellable);
      return;
    }
  /* Acknowledge what was shown before saying bye. */
  if (self->received->len > 0)
    flush_received (self);
  self->closing = TRUE;
  cz_channel_close (self->channel, 0, NULL, "bye");
  run_io (self);
}

/* ---- Accessors --------------------------------------------------------------------------------------- */

guint
cz_client_get_pending (CzClient *self)
{
  return g_hash_table_size (self->pending);
}

gboolean
cz_client_is_connected (CzClient *self)
{
  return self->connected;
}

gboolean
cz_client_is_logged_in (CzClient *self)
{
  return self->connected && self->user != NULL;
}

const char *
cz_client_get_user (CzClient *self)
{
  return self->user;
}

CzSessionInfo *
cz_client_get_info (CzClient *self)
{
  return self->channel ? cz_channel_get_info (self->channel) : NULL;
}

const char *
cz_client_get_fingerprint (CzClient *self)
{
  return self->channel ? cz_channel_get_verify_state (self->channel)->fingerprint : NULL;
}
