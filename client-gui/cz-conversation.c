/* cz-conversation.c: one chat message and one conversation (the lobby or
 * a direct conversation), as GObjects the views bind to. */
#include "config.h"

#include <glib/gi18n.h>

#include "cz-protocol.h"
#include "cz-chat-model-private.h"
#include "cz-cli.h"
#include "cz-util.h"

G_DEFINE_ENUM_TYPE (CzMessageState, cz_message_state,
                    G_DEFINE_ENUM_VALUE (CZ_MESSAGE_STATE_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (CZ_MESSAGE_STATE_SENDING, "sending"),
                    G_DEFINE_ENUM_VALUE (CZ_MESSAGE_STATE_STORED, "stored"),
                    G_DEFINE_ENUM_VALUE (CZ_MESSAGE_STATE_DELIVERED, "delivered"),
                    G_DEFINE_ENUM_VALUE (CZ_MESSAGE_STATE_READ, "read"),
                    G_DEFINE_ENUM_VALUE (CZ_MESSAGE_STATE_FAILED, "failed"))

const char *
cz_message_state_describe (CzMessageState state)
{
  switch (state)
    {
    case CZ_MESSAGE_STATE_SENDING:
      return _("Sending…");
    case CZ_MESSAGE_STATE_STORED:
      /* TRANSLATORS: an own message the server has taken (and stored) */
      return _("Sent");
    case CZ_MESSAGE_STATE_DELIVERED:
      return _("Delivered");
    case CZ_MESSAGE_STATE_READ:
      return _("Read");
    case CZ_MESSAGE_STATE_FAILED:
      return _("Not sent");
    case CZ_MESSAGE_STATE_NONE:
    default:
      return NULL;
    }
}

/* ---- CzChatMessage ------------------------------------------------------------ */

struct _CzChatMessage {
  GObject parent_instance;

  gint64 id;
  gint64 ts;
  char *from;
  char *text;
  char *error;
  char *txn;                 /* own: the transaction id it is sent with */
  guint32 ref;
  CzMessageState state;
  gboolean offline;
  gboolean own;
  gboolean read_sent;
};

G_DEFINE_FINAL_TYPE (CzChatMessage, cz_chat_message, G_TYPE_OBJECT)

enum { MSG_PROP_0, MSG_PROP_ID, MSG_PROP_STATE, MSG_N_PROPS };
static GParamSpec *msg_props[MSG_N_PROPS];

static void
cz_chat_message_finalize (GObject *object)
{
  CzChatMessage *self = CZ_CHAT_MESSAGE (object);

  g_free (self->from);
  g_free (self->text);
  g_free (self->error);
  g_free (self->txn);
  G_OBJECT_CLASS (cz_chat_message_parent_class)->finalize (object);
}

static void
cz_chat_message_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CzChatMessage *self = CZ_CHAT_MESSAGE (object);

  switch (prop_id)
    {
    case MSG_PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case MSG_PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cz_chat_message_class_init (CzChatMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cz_chat_message_finalize;
  object_class->get_property = cz_chat_message_get_property;
  msg_props[MSG_PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                               | G_PARAM_EXPLICIT_NOTIFY);
  msg_props[MSG_PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, CZ_TYPE_MESSAGE_STATE,
                                                 CZ_MESSAGE_STATE_NONE,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                                 | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, MSG_N_PROPS, msg_props);
}

static void
cz_chat_message_init (CzChatMessage *self)
{
}

CzChatMessage *
cz_chat_message_new (gint64 id, gint64 ts, const char *from, const char *text,
                     gboolean offline, gboolean own, CzMessageState state)
{
  CzChatMessage *self = g_object_new (CZ_TYPE_CHAT_MESSAGE, NULL);

  self->id = id;
  self->ts = ts;
  self->from = g_strdup (from);
  self->text = g_strdup (text);
  self->offline = offline;
  self->own = own;
  self->state = state;
  return self;
}

gint64 cz_chat_message_get_id (CzChatMessage *msg) { return msg->id; }
gint64 cz_chat_message_get_ts (CzChatMessage *msg) { return msg->ts; }
const char *cz_chat_message_get_from (CzChatMessage *msg) { return msg->from; }
const char *cz_chat_message_get_text (CzChatMessage *msg) { return msg->text; }
gboolean cz_chat_message_get_offline (CzChatMessage *msg) { return msg->offline; }
gboolean cz_chat_message_get_own (CzChatMessage *msg) { return msg->own; }
CzMessageState cz_chat_message_get_state (CzChatMessage *msg) { return msg->state; }
const char *cz_chat_message_get_error (CzChatMessage *msg) { return msg->error; }
guint32 cz_chat_message_get_ref (CzChatMessage *msg) { return msg->ref; }
const char *cz_chat_message_get_txn (CzChatMessage *msg) { return msg->txn; }

gboolean
cz_chat_message_can_retry (CzChatMessage *msg)
{
  /* The engine refuses such a text before sending, every time. */
  return msg->own && msg->state == CZ_MESSAGE_STATE_FAILED
         && cz_text_valid (msg->text, -1, NULL);
}

void
cz_chat_message_set_txn (CzChatMessage *msg, const char *txn)
{
  g_free (msg->txn);
  msg->txn = g_strdup (txn);
}
gboolean cz_chat_message_get_read_sent (CzChatMessage *msg) { return msg->read_sent; }

void
cz_chat_message_set_read_sent (CzChatMessage *msg, gboolean sent)
{
  msg->read_sent = sent;
}

void
cz_chat_message_set_state (CzChatMessage *msg, CzMessageState state)
{
  if (msg->state == state)
    return;
  msg->state = state;
  g_object_notify_by_pspec (G_OBJECT (msg), msg_props[MSG_PROP_STATE]);
}

void
cz_chat_message_set_stored (CzChatMessage *msg, gint64 id, gint64 ts)
{
  msg->id = id;
  if (ts > 0)
    msg->ts = ts;
  msg->ref = 0;
  g_object_notify_by_pspec (G_OBJECT (msg), msg_props[MSG_PROP_ID]);
}

void
cz_chat_message_set_ref (CzChatMessage *msg, guint32 ref)
{
  msg->ref = ref;
}

void
cz_chat_message_set_error (CzChatMessage *msg, const char *why)
{
  g_free (msg->error);
  msg->error = g_strdup (why);
}

char *
cz_chat_message_format_time (CzChatMessage *msg)
{
  g_autoptr(GDateTime) dt = cz_local_time (msg->ts);
  return dt ? g_date_time_format (dt, "%H:%M") : g_strdup ("");
}

/* ---- CzConversation ------------------------------------------------------------ */

struct _CzConversation {
  GObject parent_instance;

  char *key;
  char *title;
  GListStore *messages;
  guint n_pending;            /* own messages without an id, at the end */
  guint unread;
  gboolean online;
  gboolean history_complete;
  gboolean history_loading;
};

G_DEFINE_FINAL_TYPE (CzConversation, cz_conversation, G_TYPE_OBJECT)

enum {
  CONV_PROP_0, CONV_PROP_ONLINE, CONV_PROP_UNREAD, CONV_PROP_HISTORY_LOADING,
  CONV_PROP_HISTORY_COMPLETE, CONV_N_PROPS
};
static GParamSpec *conv_props[CONV_N_PROPS];

static void
cz_conversation_finalize (GObject *object)
{
  CzConversation *self = CZ_CONVERSATION (object);

  g_free (self->key);
  g_free (self->title);
  g_clear_object (&self->messages);
  G_OBJECT_CLASS (cz_conversation_parent_class)->finalize (object);
}

static void
cz_conversation_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CzConversation *self = CZ_CONVERSATION (object);

  switch (prop_id)
    {
    case CONV_PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;
    case CONV_PROP_UNREAD:
      g_value_set_uint (value, self->unread);
      break;
    case CONV_PROP_HISTORY_LOADING:
      g_value_set_boolean (value, self->history_loading);
      break;
    case CONV_PROP_HISTORY_COMPLETE:
      g_value_set_boolean (value, self->history_complete);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cz_conversation_class_init (CzConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cz_conversation_finalize;
  object_class->get_property = cz_conversation_get_property;
  conv_props[CONV_PROP_ONLINE] = g_param_spec_boolean ("online", NULL, NULL, FALSE,
                                                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                                       | G_PARAM_EXPLICIT_NOTIFY);
  conv_props[CONV_PROP_UNREAD] = g_param_spec_uint ("unread", NULL, NULL, 0, G_MAXUINT, 0,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                                    | G_PARAM_EXPLICIT_NOTIFY);
  /* A page of history was asked for and has not come yet. */
  conv_props[CONV_PROP_HISTORY_LOADING] =
    g_param_spec_boolean ("history-loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* The oldest message is here: there is nothing earlier to load. */
  conv_props[CONV_PROP_HISTORY_COMPLETE] =
    g_param_spec_boolean ("history-complete", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, CONV_N_PROPS, conv_props);
}

static void
cz_conversation_init (CzConversation *self)
{
  self->messages = g_list_store_new (CZ_TYPE_CHAT_MESSAGE);
}

CzConversation *
cz_conversation_new (const char *key)
{
  CzConversation *self = g_object_new (CZ_TYPE_CONVERSATION, NULL);

  self->key = g_strdup (key);
  self->title = g_str_equal (key, CZ_LOBBY) ? g_strdup (_("Lobby")) : g_strdup (key);
  return self;
}

const char *cz_conversation_get_key (CzConversation *conv) { return conv->key; }
const char *cz_conversation_get_title (CzConversation *conv) { return conv->title; }
gboolean cz_conversation_get_online (CzConversation *conv) { return conv->online; }
guint cz_conversation_get_unread (CzConversation *conv) { return conv->unread; }
gboolean cz_conversation_get_history_complete (CzConversation *conv) { return conv->history_complete; }
gboolean cz_conversation_get_history_loading (CzConversation *conv) { return conv->history_loading; }

gboolean
cz_conversation_is_lobby (CzConversation *conv)
{
  return g_str_equal (conv->key, CZ_LOBBY);
}

GListModel *
cz_conversation_get_messages (CzConversation *conv)
{
  return G_LIST_MODEL (conv->messages);
}

void
cz_conversation_set_history_loading (CzConversation *conv, gboolean loading)
{
  loading = !!loading;
  if (conv->history_loading == loading)
    return;
  conv->history_loading = loading;
  g_object_notify_by_pspec (G_OBJECT (conv), conv_props[CONV_PROP_HISTORY_LOADING]);
}

void
cz_conversation_set_history_complete (CzConversation *conv, gboolean complete)
{
  complete = !!complete;
  if (conv->history_complete == complete)
    return;
  conv->history_complete = complete;
  g_object_notify_by_pspec (G_OBJECT (conv), conv_props[CONV_PROP_HISTORY_COMPLETE]);
}

void
cz_conversation_set_online (CzConversation *conv, gboolean online)
{
  if (conv->online == online)
    return;
  conv->online = online;
  g_object_notify_by_pspec (G_OBJECT (conv), conv_props[CONV_PROP_ONLINE]);
}

void
cz_conversation_set_unread (CzConversation *conv, guint unread)
{
  if (conv->unread == unread)
    return;
  conv->unread = unread;
  g_object_notify_by_pspec (G_OBJECT (conv), conv_props[CONV_PROP_UNREAD]);
}

int
cz_conversation_compare (gconstpointer a, gconstpointer b, gpointer user_data)
{
  CzConversation *ca = (CzConversation *) a, *cb = (CzConversation *) b;

  if (cz_conversation_is_lobby (ca) != cz_conversation_is_lobby (cb))
    return cz_conversation_is_lobby (ca) ? -1 : 1;
  return g_strcmp0 (ca->key, cb->key);
}

static guint
n_stored (CzConversation *conv)
{
  return g_list_model_get_n_items (G_LIST_MODEL (conv->messages)) - conv->n_pending;
}

static gint64
id_at (CzConversation *conv, guint position)
{
  g_autoptr(CzChatMessage) m = g_list_model_get_item (G_LIST_MODEL (conv->messages), position);
  return m->id;
}

/* First position among the stored messages whose id is greater than @id. */
static guint
upper_bound (CzConversation *conv, gint64 id)
{
  guint lo = 0, hi = n_stored (conv);

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      if (id_at (conv, mid) <= id)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

void
cz_conversation_insert (CzConversation *conv, CzChatMessage *msg)
{
  if (msg->id == 0)
    {
      g_list_store_append (conv->messages, msg);
      conv->n_pending++;
      return;
    }
  g_list_store_insert (conv->messages, upper_bound (conv, msg->id), msg);
}

gboolean
cz_conversation_remove (CzConversation *conv, CzChatMessage *msg)
{
  guint position;

  if (!g_list_store_find (conv->messages, msg, &position))
    return FALSE;
  /* Counted first: the list's listeners look at n_stored() while it changes. */
  if (position >= n_stored (conv))
    conv->n_pending--;
  g_list_store_remove (conv->messages, position);
  return TRUE;
}

void
cz_conversation_reposition (CzConversation *conv, CzChatMessage *msg)
{
  guint position, target;

  if (!g_list_store_find (conv->messages, msg, &position) || position < n_stored (conv))
    return;
  /* It was pending (id 0, at the end); it is stored now.  Usually it stays
   * where it is: first after the stored messages, and the newest. */
  if (position == n_stored (conv)
      && (position == 0 || id_at (conv, position - 1) < msg->id))
    {
      conv->n_pending--;
      return;
    }
  g_object_ref (msg);
  g_list_store_remove (conv->messages, position);
  conv->n_pending--;
  target = upper_bound (conv, msg->id);
  g_list_store_insert (conv->messages, target, msg);
  g_object_unref (msg);
}

gint64
cz_conversation_get_oldest_id (CzConversation *conv)
{
  return n_stored (conv) > 0 ? id_at (conv, 0) : 0;
}

static void
local_date (gint64 ts_ms, int *y, int *m, int *d)
{
  g_autoptr(GDateTime) dt = cz_local_time (ts_ms);

  if (dt == NULL)
    {
      *y = *m = *d = 0;
      return;
    }
  g_date_time_get_ymd (dt, y, m, d);
}

gboolean
cz_conversation_starts_day (CzConversation *conv, guint position)
{
  g_autoptr(CzChatMessage) cur = NULL;
  g_autoptr(CzChatMessage) prev = NULL;
  int y1, m1, d1, y2, m2, d2;

  cur = g_list_model_get_item (G_LIST_MODEL (conv->messages), position);
  if (cur == NULL)
    return FALSE;
  if (position == 0)
    return TRUE;
  prev = g_list_model_get_item (G_LIST_MODEL (conv->messages), position - 1);
  local_date (prev->ts, &y1, &m1, &d1);
  local_date (cur->ts, &y2, &m2, &d2);
  return y1 != y2 || m1 != m2 || d1 != d2;
}

char *
cz_conversation_day_label (CzChatMessage *msg, gint64 now_ms)
{
  g_autoptr(GDateTime) dt = cz_local_time (msg->ts);
  g_autoptr(GDateTime) now = cz_local_time (now_ms);
  g_autoptr(GDateTime) day = NULL;
  g_autoptr(GDateTime) today = NULL;
  GTimeZone *zone;
  GTimeSpan diff;

  if (dt == NULL || now == NULL)
    return g_strdup ("");
  /* Midnights in the same cached zone (g_date_time_new_local would read
   * the zone files again). */
  zone = g_date_time_get_timezone (dt);
  day = g_date_time_new (zone, g_date_time_get_year (dt), g_date_time_get_month (dt),
                         g_date_time_get_day_of_month (dt), 0, 0, 0);
  today = g_date_time_new (zone, g_date_time_get_year (now), g_date_time_get_month (now),
                           g_date_time_get_day_of_month (now), 0, 0, 0);
  diff = g_date_time_difference (today, day);
  if (diff <= 0)
    return g_strdup (_("Today"));
  /* Days may be 23 or 25 hours long around a clock change. */
  if (diff <= 25 * G_TIME_SPAN_HOUR)
    return g_strdup (_("Yesterday"));
  if (g_date_time_get_year (dt) == g_date_time_get_year (now))
    /* TRANSLATORS: a day separator in a conversation, e.g. "Monday 3 March" */
    return g_date_time_format (dt, _("%A %-d %B"));
  /* TRANSLATORS: a day separator for another year, e.g. "3 March 2024" */
  return g_date_time_format (dt, _("%-d %B %Y"));
}
