/* cz-chat-model.c: the conversations the window shows, fed with the client
 * engine's typed events (messages, history pages, acks, receipts, presence). */
#include "config.h"

#include <glib/gi18n.h>

#include "cz-chat-model-private.h"

struct _CzChatModel {
  GObject parent_instance;

  char *me;
  GListStore *conversations;
  GHashTable *by_key;         /* key → CzConversation (borrowed from the store) */
  GHashTable *by_id;          /* gint64* id → CzChatMessage (borrowed) */
  GHashTable *by_ref;         /* ref → CzChatMessage (borrowed) */
  GHashTable *msg_conv;       /* CzChatMessage → CzConversation (borrowed) */
  CzConversation *active;     /* borrowed */
  gboolean focused;
};

G_DEFINE_FINAL_TYPE (CzChatModel, cz_chat_model, G_TYPE_OBJECT)

enum { SIGNAL_MESSAGE_ADDED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
cz_chat_model_finalize (GObject *object)
{
  CzChatModel *self = CZ_CHAT_MODEL (object);

  g_clear_pointer (&self->by_key, g_hash_table_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->by_ref, g_hash_table_unref);
  g_clear_pointer (&self->msg_conv, g_hash_table_unref);
  g_clear_object (&self->conversations);
  g_free (self->me);
  G_OBJECT_CLASS (cz_chat_model_parent_class)->finalize (object);
}

static void
cz_chat_model_class_init (CzChatModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cz_chat_model_finalize;

  /**
   * CzChatModel::message-added:
   * @conversation: where it went
   * @message: the new message
   *
   * A message arrived live (not from history): the window may notify.
   */
  signals[SIGNAL_MESSAGE_ADDED] = g_signal_new ("message-added", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 2, CZ_TYPE_CONVERSATION,
                                                CZ_TYPE_CHAT_MESSAGE);
}

static void
cz_chat_model_init (CzChatModel *self)
{
  self->conversations = g_list_store_new (CZ_TYPE_CONVERSATION);
  self->by_key = g_hash_table_new (g_str_hash, g_str_equal);
  self->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->by_ref = g_hash_table_new (NULL, NULL);
  self->msg_conv = g_hash_table_new (NULL, NULL);
  cz_chat_model_ensure (self, CZ_LOBBY);
}

CzChatModel *
cz_chat_model_new (void)
{
  return g_object_new (CZ_TYPE_CHAT_MODEL, NULL);
}

void
cz_chat_model_set_me (CzChatModel *self, const char *user)
{
  g_free (self->me);
  self->me = g_strdup (user);
}

const char *
cz_chat_model_get_me (CzChatModel *self)
{
  return self->me;
}

GListModel *
cz_chat_model_get_conversations (CzChatModel *self)
{
  return G_LIST_MODEL (self->conversations);
}

CzConversation *
cz_chat_model_lookup (CzChatModel *self, const char *key)
{
  return key ? g_hash_table_lookup (self->by_key, key) : NULL;
}

CzConversation *
cz_chat_model_ensure (CzChatModel *self, const char *key)
{
  CzConversation *conv = cz_chat_model_lookup (self, key);
  g_autoptr(CzConversation) made = NULL;

  if (conv)
    return conv;
  made = cz_conversation_new (key);
  g_hash_table_insert (self->by_key, (gpointer) cz_conversation_get_key (made), made);
  g_list_store_insert_sorted (self->conversations, made, cz_conversation_compare, NULL);
  return made;
}

void
cz_chat_model_clear (CzChatModel *self)
{
  self->active = NULL;
  g_hash_table_remove_all (self->by_id);
  g_hash_table_remove_all (self->by_ref);
  g_hash_table_remove_all (self->msg_conv);
  g_hash_table_remove_all (self->by_key);
  g_list_store_remove_all (self->conversations);
  g_clear_pointer (&self->me, g_free);
  cz_chat_model_ensure (self, CZ_LOBBY);
}

void
cz_chat_model_set_active (CzChatModel *self, CzConversation *conv)
{
  self->active = conv;
}

CzConversation *
cz_chat_model_get_active (CzChatModel *self)
{
  return self->active;
}

void
cz_chat_model_set_focused (CzChatModel *self, gboolean focused)
{
  self->focused = focused;
}

gboolean
cz_chat_model_get_focused (CzChatModel *self)
{
  return self->focused;
}

/* ---- Messages ------------------------------------------------------------------- */

static void
index_message (CzChatModel *self, CzConversation *conv, CzChatMessage *msg)
{
  gint64 id = cz_chat_message_get_id (msg);

  if (id > 0)
    g_hash_table_insert (self->by_id, g_memdup2 (&id, sizeof id), msg);
  g_hash_table_insert (self->msg_conv, msg, conv);
}

/* Which conversation a message belongs to: the lobby, or the other person. */
static const char *
route (CzChatModel *self, const CzClientMessage *message, const char *with)
{
  if (with)
    return with;
  if (message->room)
    return CZ_LOBBY;
  return g_strcmp0 (message->from, self->me) == 0 ? message->to : message->from;
}

/* Builds and files a message; NULL if invalid or known. */
static CzChatMessage *
file_message (CzChatModel *self, const CzClientMessage *message, const char *with,
              CzConversation **conv_out)
{
  const char *key = route (self, message, with);
  gboolean own;
  CzMessageState state = CZ_MESSAGE_STATE_NONE;
  CzConversation *conv;
  g_autoptr(CzChatMessage) msg = NULL;

  if (message->id <= 0 || message->from == NULL || message->text == NULL || key == NULL
      || g_hash_table_contains (self->by_id, &message->id))
    return NULL;
  own = g_strcmp0 (message->from, self->me) == 0;
  if (own)
    state = message->read ? CZ_MESSAGE_STATE_READ
                          : message->delivered ? CZ_MESSAGE_STATE_DELIVERED
                                               : CZ_MESSAGE_STATE_STORED;
  conv = cz_chat_model_ensure (self, key);
  msg = cz_chat_message_new (message->id, message->ts, message->from, message->text,
                             message->offline, own, state);
  /* The peer's messages already read (from history) need no `read`. */
  if (!own && message->read)
    cz_chat_message_set_read_sent (msg, TRUE);
  cz_conversation_insert (conv, msg);
  index_message (self, conv, msg);
  *conv_out = conv;
  return msg;
}

CzChatMessage *
cz_chat_model_add_message (CzChatModel *self, const CzClientMessage *message)
{
  CzConversation *conv = NULL;
  CzChatMessage *msg = file_message (self, message, NULL, &conv);

  if (msg == NULL)
    return NULL;
  if (!cz_chat_message_get_own (msg)
      && !(conv == self->active && self->focused))
    cz_conversation_set_unread (conv, cz_conversation_get_unread (conv) + 1);
  g_signal_emit (self, signals[SIGNAL_MESSAGE_ADDED], 0, conv, msg);
  return msg;
}

guint
cz_chat_model_add_history (CzChatModel *self, const char *with, GPtrArray *messages,
                           guint limit)
{
  CzConversation *conv = cz_chat_model_ensure (self, with);
  guint added = 0;

  cz_conversation_set_history_loading (conv, FALSE);
  if (messages == NULL)
    return 0;
  for (guint i = 0; i < messages->len; i++)
    {
      CzConversation *where = NULL;
      if (file_message (self, messages->pdata[i], with, &where))
        added++;
    }
  if (messages->len < limit)
    cz_conversation_set_history_complete (conv, TRUE);
  return added;
}

CzChatMessage *
cz_chat_model_add_outgoing (CzChatModel *self, const char *key, const char *text)
{
  CzConversation *conv = cz_chat_model_ensure (self, key);
  g_autoptr(CzChatMessage) msg = cz_chat_message_new (0, g_get_real_time () / 1000, self->me,
                                                      text, FALSE, TRUE,
                                                      CZ_MESSAGE_STATE_SENDING);
  g_autofree char *txn = g_uuid_string_random ();

  cz_chat_message_set_txn (msg, txn);
  cz_conversation_insert (conv, msg);
  index_message (self, conv, msg);
  return msg;
}

void
cz_chat_model_set_ref (CzChatModel *self, CzChatMessage *msg, guint32 ref)
{
  if (cz_chat_message_get_ref (msg))
    g_hash_table_remove (self->by_ref, GUINT_TO_POINTER (cz_chat_message_get_ref (msg)));
  cz_chat_message_set_ref (msg, ref);
  if (ref)
    g_hash_table_insert (self->by_ref, GUINT_TO_POINTER (ref), msg);
}

CzChatMessage *
cz_chat_model_ack (CzChatModel *self, guint32 ref, gint64 id, gint64 ts)
{
  CzChatMessage *msg = g_hash_table_lookup (self->by_ref, GUINT_TO_POINTER (ref));
  CzConversation *conv;

  if (msg == NULL || id <= 0)
    return NULL;
  g_hash_table_remove (self->by_ref, GUINT_TO_POINTER (ref));
  conv = g_hash_table_lookup (self->msg_conv, msg);
  if (g_hash_table_contains (self->by_id, &id))
    {
      /* Already seen (history arrived first): keep one copy. */
      guint position;
      g_hash_table_remove (self->msg_conv, msg);
      if (g_list_store_find (G_LIST_STORE (cz_conversation_get_messages (conv)), msg, &position))
        {
          cz_conversation_reposition (conv, msg);   /* fixes the pending count */
          if (g_list_store_find (G_LIST_STORE (cz_conversation_get_messages (conv)), msg, &position))
            g_list_store_remove (G_LIST_STORE (cz_conversation_get_messages (conv)), position);
        }
      return g_hash_table_lookup (self->by_id, &id);
    }
  cz_chat_message_set_stored (msg, id, ts);
  g_hash_table_insert (self->by_id, g_memdup2 (&id, sizeof id), msg);
  cz_conversation_reposition (conv, msg);
  if (cz_chat_message_get_state (msg) < CZ_MESSAGE_STATE_STORED)
    cz_chat_message_set_state (msg, CZ_MESSAGE_STATE_STORED);
  return msg;
}

CzChatMessage *
cz_chat_model_fail (CzChatModel *self, guint32 ref, const char *why)
{
  CzChatMessage *msg = g_hash_table_lookup (self->by_ref, GUINT_TO_POINTER (ref));

  if (msg == NULL)
    return NULL;
  g_hash_table_remove (self->by_ref, GUINT_TO_POINTER (ref));
  cz_chat_message_set_ref (msg, 0);
  cz_chat_message_set_error (msg, why);
  cz_chat_message_set_state (msg, CZ_MESSAGE_STATE_FAILED);
  return msg;
}

gboolean
cz_chat_model_retry (CzChatModel *self, CzChatMessage *msg)
{
  g_return_val_if_fail (CZ_IS_CHAT_MESSAGE (msg), FALSE);

  if (!cz_chat_message_can_retry (msg) || !g_hash_table_contains (self->msg_conv, msg))
    return FALSE;
  /* fail() took it out of by_ref already; a ref of its own it has none. */
  cz_chat_model_set_ref (self, msg, 0);
  cz_chat_message_set_error (msg, NULL);
  cz_chat_message_set_state (msg, CZ_MESSAGE_STATE_SENDING);
  return TRUE;
}

gboolean
cz_chat_model_discard (CzChatModel *self, CzChatMessage *msg)
{
  g_autoptr(CzChatMessage) keep = NULL;
  CzConversation *conv;

  g_return_val_if_fail (CZ_IS_CHAT_MESSAGE (msg), FALSE);

  conv = g_hash_table_lookup (self->msg_conv, msg);
  if (conv == NULL || cz_chat_message_get_state (msg) != CZ_MESSAGE_STATE_FAILED
      || cz_chat_message_get_id (msg) != 0)
    return FALSE;
  keep = g_object_ref (msg);   /* the conversation may hold the last reference */
  cz_chat_model_set_ref (self, msg, 0);
  g_hash_table_remove (self->msg_conv, msg);
  cz_conversation_remove (conv, msg);
  return TRUE;
}

CzChatMessage *
cz_chat_model_receipt (CzChatModel *self, gint64 id, CzReceiptState state)
{
  CzChatMessage *msg = g_hash_table_lookup (self->by_id, &id);
  CzMessageState to = state == CZ_RECEIPT_READ ? CZ_MESSAGE_STATE_READ
                                               : CZ_MESSAGE_STATE_DELIVERED;

  if (msg == NULL || !cz_chat_message_get_own (msg))
    return NULL;
  if (cz_chat_message_get_state (msg) < to)
    cz_chat_message_set_state (msg, to);
  return msg;
}

void
cz_chat_model_forget_refs (CzChatModel *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->by_ref);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    cz_chat_message_set_ref (value, 0);
  g_hash_table_remove_all (self->by_ref);
}

static int
compare_ts (gconstpointer a, gconstpointer b)
{
  CzChatMessage *ma = *(CzChatMessage **) a, *mb = *(CzChatMessage **) b;
  gint64 ta = cz_chat_message_get_ts (ma), tb = cz_chat_message_get_ts (mb);

  return ta < tb ? -1 : ta > tb;
}

GPtrArray *
cz_chat_model_get_outbox (CzChatModel *self)
{
  GPtrArray *out = g_ptr_array_new ();
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->conversations));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CzConversation) conv = g_list_model_get_item (G_LIST_MODEL (self->conversations), i);
      GListModel *msgs = cz_conversation_get_messages (conv);
      guint m = g_list_model_get_n_items (msgs);

      /* Pending messages are at the end: walk back while id is 0. */
      for (guint j = m; j > 0; j--)
        {
          g_autoptr(CzChatMessage) msg = g_list_model_get_item (msgs, j - 1);
          if (cz_chat_message_get_id (msg) != 0)
            break;
          if (cz_chat_message_get_state (msg) == CZ_MESSAGE_STATE_SENDING
              && cz_chat_message_get_ref (msg) == 0)
            g_ptr_array_add (out, msg);
        }
    }
  g_ptr_array_sort (out, compare_ts);   /* stable: typing order */
  return out;
}

CzConversation *
cz_chat_model_conversation_of (CzChatModel *self, CzChatMessage *msg)
{
  return g_hash_table_lookup (self->msg_conv, msg);
}

/* ---- Presence --------------------------------------------------------------------- */

void
cz_chat_model_set_presence (CzChatModel *self, const char *user, gboolean online)
{
  CzConversation *conv;

  if (user == NULL || g_strcmp0 (user, self->me) == 0)
    return;
  conv = online ? cz_chat_model_ensure (self, user) : cz_chat_model_lookup (self, user);
  if (conv)
    cz_conversation_set_online (conv, online);
}

void
cz_chat_model_set_who (CzChatModel *self, const char *const *users)
{
  cz_chat_model_set_all_offline (self);
  for (guint i = 0; users && users[i]; i++)
    cz_chat_model_set_presence (self, users[i], TRUE);
}

void
cz_chat_model_set_all_offline (CzChatModel *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->conversations));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CzConversation) conv = g_list_model_get_item (G_LIST_MODEL (self->conversations), i);
      cz_conversation_set_online (conv, FALSE);
    }
}

GArray *
cz_chat_model_mark_seen (CzChatModel *self, CzConversation *conv)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  GListModel *msgs = cz_conversation_get_messages (conv);
  guint n = g_list_model_get_n_items (msgs);

  cz_conversation_set_unread (conv, 0);
  if (cz_conversation_is_lobby (conv))
    return ids;
  for (guint i = n; i > 0; i--)
    {
      g_autoptr(CzChatMessage) msg = g_list_model_get_item (msgs, i - 1);
      gint64 id = cz_chat_message_get_id (msg);

      if (cz_chat_message_get_own (msg) || id == 0)
        continue;
      if (cz_chat_message_get_read_sent (msg))
        continue;
      cz_chat_message_set_read_sent (msg, TRUE);
      g_array_prepend_val (ids, id);
    }
  return ids;
}
