/* test-client-model.c: the client window's conversation model (ordering,
 * day separators, own-message states from ack/receipt, retrying and
 * discarding a message not sent, unread counts, history, outbox) and its
 * session (login, errors in words, trust on first use, a changed key,
 * reconnecting with messages typed meanwhile) against the real headless
 * server.  No display needed. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "cz-protocol.h"
#include "cz-chat-model.h"
#include "cz-client-session.h"
#include "cz-message.h"
#include "testutil.h"

/* ---- Helpers ------------------------------------------------------------------ */

static gint64
local_ms (int y, int m, int d, int hh, int mm)
{
  g_autoptr(GDateTime) dt = g_date_time_new_local (y, m, d, hh, mm, 0);
  return g_date_time_to_unix (dt) * 1000;
}

static GVariant *
lobby_fields (gint64 id, gint64 ts, const char *from, const char *text)
{
  GVariantDict d;

  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "id", "x", id);
  g_variant_dict_insert (&d, "ts", "x", ts);
  g_variant_dict_insert (&d, "from", "s", from);
  g_variant_dict_insert (&d, "text", "s", text);
  g_variant_dict_insert (&d, "offline", "b", FALSE);
  g_variant_dict_insert (&d, "room", "s", "lobby");
  return g_variant_ref_sink (g_variant_dict_end (&d));
}

static GVariant *
direct_fields (gint64 id, gint64 ts, const char *from, const char *to, const char *text,
               gboolean offline)
{
  GVariantDict d;

  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "id", "x", id);
  g_variant_dict_insert (&d, "ts", "x", ts);
  g_variant_dict_insert (&d, "from", "s", from);
  g_variant_dict_insert (&d, "to", "s", to);
  g_variant_dict_insert (&d, "text", "s", text);
  g_variant_dict_insert (&d, "offline", "b", offline);
  return g_variant_ref_sink (g_variant_dict_end (&d));
}

/* Decodes @fields (taken) as the engine does a `message`, and adds it. */
static CzChatMessage *
add (CzChatModel *model, GVariant *fields)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzClientMessage) message = cz_client_message_new_from_fields (fields, &error);

  g_assert_no_error (error);
  g_variant_unref (fields);
  return cz_chat_model_add_message (model, message);
}

static gint64
id_at (CzConversation *conv, guint i)
{
  g_autoptr(CzChatMessage) msg = g_list_model_get_item (cz_conversation_get_messages (conv), i);
  g_assert_nonnull (msg);
  return cz_chat_message_get_id (msg);
}

static const char *
text_at (CzConversation *conv, guint i)
{
  g_autoptr(CzChatMessage) msg = g_list_model_get_item (cz_conversation_get_messages (conv), i);
  g_assert_nonnull (msg);
  return cz_chat_message_get_text (msg);   /* the conversation keeps it alive */
}

static guint
n_messages (CzConversation *conv)
{
  return g_list_model_get_n_items (cz_conversation_get_messages (conv));
}

/* ---- Model ----------------------------------------------------------------------- */

static void
test_order (void)
{
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  CzConversation *lobby;
  gint64 now = g_get_real_time () / 1000;

  cz_chat_model_set_me (model, "alice");
  g_assert_nonnull (add (model, lobby_fields (5, now, "bob", "five")));
  g_assert_nonnull (add (model, lobby_fields (3, now, "bob", "three")));
  g_assert_nonnull (add (model, lobby_fields (9, now, "carol", "nine")));
  g_assert_nonnull (add (model, lobby_fields (4, now, "alice", "four")));
  /* A message seen twice (live and in history) is kept once. */
  g_assert_null (add (model, lobby_fields (5, now, "bob", "five")));

  lobby = cz_chat_model_lookup (model, CZ_LOBBY);
  g_assert_nonnull (lobby);
  g_assert_true (cz_conversation_is_lobby (lobby));
  g_assert_cmpuint (n_messages (lobby), ==, 4);
  g_assert_cmpint (id_at (lobby, 0), ==, 3);
  g_assert_cmpint (id_at (lobby, 1), ==, 4);
  g_assert_cmpint (id_at (lobby, 2), ==, 5);
  g_assert_cmpint (id_at (lobby, 3), ==, 9);
  g_assert_cmpint (cz_conversation_get_oldest_id (lobby), ==, 3);
}

static void
test_routing (void)
{
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  GListModel *convs = cz_chat_model_get_conversations (model);
  CzChatMessage *in, *out;
  gint64 now = g_get_real_time () / 1000;
  g_autoptr(CzConversation) c0 = NULL;
  g_autoptr(CzConversation) c1 = NULL;
  g_autoptr(CzConversation) c2 = NULL;

  cz_chat_model_set_me (model, "alice");
  in = add (model, direct_fields (1, now, "carol", "alice", "hi alice", TRUE));
  out = add (model, direct_fields (2, now, "alice", "bob", "hi bob", FALSE));
  g_assert_nonnull (in);
  g_assert_nonnull (out);
  g_assert_false (cz_chat_message_get_own (in));
  g_assert_true (cz_chat_message_get_offline (in));
  g_assert_cmpint (cz_chat_message_get_state (in), ==, CZ_MESSAGE_STATE_NONE);
  g_assert_true (cz_chat_message_get_own (out));
  g_assert_cmpint (cz_chat_message_get_state (out), ==, CZ_MESSAGE_STATE_STORED);
  g_assert_true (cz_chat_model_conversation_of (model, in) == cz_chat_model_lookup (model, "carol"));
  g_assert_true (cz_chat_model_conversation_of (model, out) == cz_chat_model_lookup (model, "bob"));

  /* Lobby first, then people by name. */
  g_assert_cmpuint (g_list_model_get_n_items (convs), ==, 3);
  c0 = g_list_model_get_item (convs, 0);
  c1 = g_list_model_get_item (convs, 1);
  c2 = g_list_model_get_item (convs, 2);
  g_assert_cmpstr (cz_conversation_get_key (c0), ==, CZ_LOBBY);
  g_assert_cmpstr (cz_conversation_get_key (c1), ==, "bob");
  g_assert_cmpstr (cz_conversation_get_key (c2), ==, "carol");
  g_assert_cmpstr (cz_conversation_get_title (c2), ==, "carol");

  /* Malformed fields are refused (by the engine's decoding), and so is a
   * message without an id. */
  {
    g_autoptr(GVariant) empty = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("{sv}"),
                                                                         NULL, 0));
    g_autoptr(GError) error = NULL;
    CzClientMessage no_id = { .from = (char *) "bob", .text = (char *) "x", .room = (char *) "lobby" };

    g_assert_null (cz_client_message_new_from_fields (empty, &error));
    g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME);
    g_assert_null (cz_chat_model_add_message (model, &no_id));
  }
}

static void
test_day_separators (void)
{
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  CzConversation *lobby = cz_chat_model_lookup (model, CZ_LOBBY);
  g_autoptr(CzChatMessage) m0 = NULL;
  g_autoptr(CzChatMessage) m2 = NULL;
  g_autofree char *today = NULL;
  g_autofree char *yesterday = NULL;
  g_autofree char *older = NULL;
  g_autofree char *other_year = NULL;
  gint64 now = local_ms (2025, 3, 12, 15, 0);

  cz_chat_model_set_me (model, "alice");
  g_assert_nonnull (add (model, lobby_fields (1, local_ms (2025, 3, 10, 10, 0), "bob", "a")));
  g_assert_nonnull (add (model, lobby_fields (2, local_ms (2025, 3, 10, 23, 59), "bob", "b")));
  g_assert_nonnull (add (model, lobby_fields (3, local_ms (2025, 3, 11, 0, 1), "bob", "c")));
  g_assert_nonnull (add (model, lobby_fields (4, local_ms (2025, 3, 12, 9, 0), "bob", "d")));
  g_assert_nonnull (add (model, lobby_fields (5, local_ms (2025, 3, 12, 9, 5), "bob", "e")));

  g_assert_true (cz_conversation_starts_day (lobby, 0));
  g_assert_false (cz_conversation_starts_day (lobby, 1));
  g_assert_true (cz_conversation_starts_day (lobby, 2));
  g_assert_true (cz_conversation_starts_day (lobby, 3));
  g_assert_false (cz_conversation_starts_day (lobby, 4));
  g_assert_false (cz_conversation_starts_day (lobby, 5));   /* out of range */

  m0 = g_list_model_get_item (cz_conversation_get_messages (lobby), 0);
  m2 = g_list_model_get_item (cz_conversation_get_messages (lobby), 3);
  today = cz_conversation_day_label (m2, now);
  g_assert_cmpstr (today, ==, "Today");
  {
    g_autoptr(CzChatMessage) m3 = g_list_model_get_item (cz_conversation_get_messages (lobby), 2);
    yesterday = cz_conversation_day_label (m3, now);
  }
  g_assert_cmpstr (yesterday, ==, "Yesterday");
  older = cz_conversation_day_label (m0, now);
  g_assert_cmpstr (older, ==, "Monday 10 March");
  other_year = cz_conversation_day_label (m0, local_ms (2026, 1, 5, 12, 0));
  g_assert_cmpstr (other_year, ==, "10 March 2025");
}

static void
test_own_states (void)
{
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  CzConversation *bob;
  CzChatMessage *mine, *second;
  gint64 now = g_get_real_time () / 1000;

  cz_chat_model_set_me (model, "alice");
  /* Typed into an empty conversation, then stored: it must stay there. */
  mine = cz_chat_model_add_outgoing (model, "bob", "first");
  bob = cz_chat_model_lookup (model, "bob");
  g_assert_cmpint (cz_chat_message_get_state (mine), ==, CZ_MESSAGE_STATE_SENDING);
  g_assert_cmpint (cz_chat_message_get_id (mine), ==, 0);
  cz_chat_model_set_ref (model, mine, 7);
  g_assert_true (cz_chat_model_ack (model, 7, 20, now) == mine);
  g_assert_cmpuint (n_messages (bob), ==, 1);
  g_assert_cmpint (cz_chat_message_get_id (mine), ==, 20);
  g_assert_cmpint (cz_chat_message_get_state (mine), ==, CZ_MESSAGE_STATE_STORED);
  g_assert_null (cz_chat_model_ack (model, 7, 20, now));   /* a ref answers once */

  /* A pending message stays last while others arrive... */
  second = cz_chat_model_add_outgoing (model, "bob", "second");
  cz_chat_model_set_ref (model, second, 8);
  g_assert_nonnull (add (model, direct_fields (30, now, "bob", "alice", "late", FALSE)));
  g_assert_nonnull (add (model, direct_fields (10, now, "bob", "alice", "early", FALSE)));
  g_assert_cmpuint (n_messages (bob), ==, 4);
  g_assert_cmpstr (text_at (bob, 0), ==, "early");
  g_assert_cmpstr (text_at (bob, 3), ==, "second");
  /* ...and takes its place by id when stored (25: before "late"). */
  g_assert_true (cz_chat_model_ack (model, 8, 25, now) == second);
  g_assert_cmpstr (text_at (bob, 0), ==, "early");
  g_assert_cmpstr (text_at (bob, 1), ==, "first");
  g_assert_cmpstr (text_at (bob, 2), ==, "second");
  g_assert_cmpstr (text_at (bob, 3), ==, "late");

  /* Receipts move the state forward only. */
  g_assert_true (cz_chat_model_receipt (model, 20, CZ_RECEIPT_DELIVERED) == mine);
  g_assert_cmpint (cz_chat_message_get_state (mine), ==, CZ_MESSAGE_STATE_DELIVERED);
  g_assert_true (cz_chat_model_receipt (model, 20, CZ_RECEIPT_READ) == mine);
  g_assert_cmpint (cz_chat_message_get_state (mine), ==, CZ_MESSAGE_STATE_READ);
  cz_chat_model_receipt (model, 20, CZ_RECEIPT_DELIVERED);
  g_assert_cmpint (cz_chat_message_get_state (mine), ==, CZ_MESSAGE_STATE_READ);
  {
    /* Another state is refused (by the engine, before any model sees it). */
    CzReceiptState state = CZ_RECEIPT_READ;
    g_assert_false (cz_receipt_state_from_string ("bogus", &state));
    g_assert_true (cz_receipt_state_from_string ("delivered", &state));
    g_assert_cmpint (state, ==, CZ_RECEIPT_DELIVERED);
  }
  g_assert_null (cz_chat_model_receipt (model, 30, CZ_RECEIPT_READ));   /* not ours */
  g_assert_null (cz_chat_model_receipt (model, 999, CZ_RECEIPT_READ));
  g_assert_cmpstr (cz_message_state_describe (CZ_MESSAGE_STATE_READ), ==, "Read");

  /* Refused by the server. */
  {
    CzChatMessage *bad = cz_chat_model_add_outgoing (model, CZ_LOBBY, "x");
    cz_chat_model_set_ref (model, bad, 9);
    g_assert_true (cz_chat_model_fail (model, 9, "too long") == bad);
    g_assert_cmpint (cz_chat_message_get_state (bad), ==, CZ_MESSAGE_STATE_FAILED);
    g_assert_cmpstr (cz_chat_message_get_error (bad), ==, "too long");
    g_assert_null (cz_chat_model_fail (model, 9, "again"));
  }
}

/* A message the server refused can be sent again, with the same txn, or
 * thrown away without disturbing the conversation's order. */
static void
test_retry_discard (void)
{
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  g_autoptr(GPtrArray) outbox = NULL;
  g_autoptr(CzChatMessage) gone = NULL;
  g_autofree char *txn = NULL;
  g_autofree char *huge = g_strnfill (5000, 'x');
  CzConversation *bob;
  CzChatMessage *failed, *pending, *local;
  gint64 now = g_get_real_time () / 1000;

  cz_chat_model_set_me (model, "alice");
  g_assert_nonnull (add (model, direct_fields (10, now, "bob", "alice", "hi", FALSE)));
  bob = cz_chat_model_lookup (model, "bob");
  failed = cz_chat_model_add_outgoing (model, "bob", "refused");
  txn = g_strdup (cz_chat_message_get_txn (failed));
  cz_chat_model_set_ref (model, failed, 4);
  g_assert_false (cz_chat_model_retry (model, failed));      /* in flight: nothing to retry */
  g_assert_false (cz_chat_model_discard (model, failed));
  g_assert_true (cz_chat_model_fail (model, 4, "there is no such user") == failed);
  g_assert_true (cz_chat_message_can_retry (failed));

  /* Retry: SENDING again, no error, no ref, in the outbox, same txn. */
  g_assert_true (cz_chat_model_retry (model, failed));
  g_assert_cmpint (cz_chat_message_get_state (failed), ==, CZ_MESSAGE_STATE_SENDING);
  g_assert_null (cz_chat_message_get_error (failed));
  g_assert_cmpuint (cz_chat_message_get_ref (failed), ==, 0);
  g_assert_cmpstr (cz_chat_message_get_txn (failed), ==, txn);
  g_assert_false (cz_chat_message_can_retry (failed));
  g_assert_false (cz_chat_model_retry (model, failed));      /* once is enough */
  outbox = cz_chat_model_get_outbox (model);
  g_assert_cmpuint (outbox->len, ==, 1);
  g_assert_true (outbox->pdata[0] == failed);
  g_clear_pointer (&outbox, g_ptr_array_unref);
  /* Sent again and acknowledged: stored, in its place. */
  cz_chat_model_set_ref (model, failed, 5);
  g_assert_null (cz_chat_model_fail (model, 4, "stale"));    /* the old ref is gone */
  g_assert_true (cz_chat_model_ack (model, 5, 11, now) == failed);
  g_assert_cmpint (cz_chat_message_get_state (failed), ==, CZ_MESSAGE_STATE_STORED);
  g_assert_cmpint (cz_chat_message_get_id (failed), ==, 11);
  g_assert_cmpuint (n_messages (bob), ==, 2);
  g_assert_cmpstr (text_at (bob, 1), ==, "refused");

  /* Discard: a failed message between the stored ones and one in flight. */
  failed = cz_chat_model_add_outgoing (model, "bob", "unwanted");
  pending = cz_chat_model_add_outgoing (model, "bob", "in flight");
  cz_chat_model_set_ref (model, failed, 6);
  cz_chat_model_set_ref (model, pending, 7);
  cz_chat_model_fail (model, 6, "your message was not saved, try again later");
  gone = g_object_ref (failed);
  g_assert_false (cz_chat_model_discard (model, pending));   /* not failed */
  g_assert_true (cz_chat_model_discard (model, failed));
  g_assert_false (cz_chat_model_discard (model, failed));    /* already gone */
  g_assert_false (cz_chat_model_retry (model, gone));        /* and stays gone */
  g_assert_null (cz_chat_model_conversation_of (model, gone));
  g_assert_cmpuint (n_messages (bob), ==, 3);
  g_assert_cmpstr (text_at (bob, 2), ==, "in flight");
  cz_chat_model_forget_refs (model);                          /* a drop: all to send again */
  outbox = cz_chat_model_get_outbox (model);
  g_assert_cmpuint (outbox->len, ==, 1);
  g_assert_true (outbox->pdata[0] == pending);
  g_clear_pointer (&outbox, g_ptr_array_unref);
  /* The pending count stayed right: a new message goes above the pending
   * one, and the pending one takes its place when stored. */
  g_assert_nonnull (add (model, direct_fields (20, now, "bob", "alice", "later", FALSE)));
  g_assert_cmpstr (text_at (bob, 0), ==, "hi");
  g_assert_cmpstr (text_at (bob, 2), ==, "later");
  g_assert_cmpstr (text_at (bob, 3), ==, "in flight");
  g_assert_cmpint (cz_conversation_get_oldest_id (bob), ==, 10);
  cz_chat_model_set_ref (model, pending, 8);
  g_assert_true (cz_chat_model_ack (model, 8, 15, now) == pending);
  g_assert_cmpstr (text_at (bob, 2), ==, "in flight");
  g_assert_cmpstr (text_at (bob, 3), ==, "later");
  g_assert_cmpuint (cz_conversation_get_unread (bob), ==, 2);   /* bob's two, not ours */

  /* Refused before sending (ref G_MAXUINT32, as the session does): a text
   * the engine never sends cannot be retried; one that may can. */
  local = cz_chat_model_add_outgoing (model, CZ_LOBBY, huge);
  cz_chat_model_set_ref (model, local, G_MAXUINT32);
  g_assert_true (cz_chat_model_fail (model, G_MAXUINT32, "too long") == local);
  g_assert_false (cz_chat_message_can_retry (local));
  g_assert_false (cz_chat_model_retry (model, local));
  g_assert_cmpint (cz_chat_message_get_state (local), ==, CZ_MESSAGE_STATE_FAILED);
  g_assert_true (cz_chat_model_discard (model, local));
  g_assert_cmpuint (n_messages (cz_chat_model_lookup (model, CZ_LOBBY)), ==, 0);
  local = cz_chat_model_add_outgoing (model, CZ_LOBBY, "offline");
  cz_chat_model_set_ref (model, local, G_MAXUINT32);
  cz_chat_model_fail (model, G_MAXUINT32, "not connected");
  g_assert_true (cz_chat_model_retry (model, local));
  g_assert_null (cz_chat_model_fail (model, G_MAXUINT32, "again"));   /* no ref kept */
  outbox = cz_chat_model_get_outbox (model);
  g_assert_cmpuint (outbox->len, ==, 1);
  g_assert_true (outbox->pdata[0] == local);
}

static void
added_cb (CzChatModel *model, CzConversation *conv, CzChatMessage *msg, guint *count)
{
  (*count)++;
}

static void
test_unread (void)
{
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  CzConversation *lobby = cz_chat_model_lookup (model, CZ_LOBBY);
  CzConversation *bob;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GArray) again = NULL;
  g_autoptr(GArray) lobby_ids = NULL;
  gint64 now = g_get_real_time () / 1000;
  guint added = 0;

  cz_chat_model_set_me (model, "alice");
  g_signal_connect (model, "message-added", G_CALLBACK (added_cb), &added);
  cz_chat_model_set_active (model, lobby);
  cz_chat_model_set_focused (model, TRUE);

  /* Seen at once in the focused, shown conversation. */
  add (model, lobby_fields (1, now, "bob", "in the lobby"));
  g_assert_cmpuint (cz_conversation_get_unread (lobby), ==, 0);
  /* Elsewhere: counted. */
  add (model, direct_fields (2, now, "bob", "alice", "one", FALSE));
  add (model, direct_fields (3, now, "bob", "alice", "two", FALSE));
  add (model, direct_fields (4, now, "alice", "bob", "mine", FALSE));
  bob = cz_chat_model_lookup (model, "bob");
  g_assert_cmpuint (cz_conversation_get_unread (bob), ==, 2);
  /* Unfocused window: counted even in the shown conversation. */
  cz_chat_model_set_focused (model, FALSE);
  add (model, lobby_fields (5, now, "bob", "while away"));
  g_assert_cmpuint (cz_conversation_get_unread (lobby), ==, 1);
  g_assert_cmpuint (added, ==, 5);

  /* Seeing bob's conversation: his two messages are reported read, once. */
  ids = cz_chat_model_mark_seen (model, bob);
  g_assert_cmpuint (cz_conversation_get_unread (bob), ==, 0);
  g_assert_cmpuint (ids->len, ==, 2);
  g_assert_cmpint (g_array_index (ids, gint64, 0), ==, 2);
  g_assert_cmpint (g_array_index (ids, gint64, 1), ==, 3);
  again = cz_chat_model_mark_seen (model, bob);
  g_assert_cmpuint (again->len, ==, 0);
  /* The lobby has no read receipts. */
  lobby_ids = cz_chat_model_mark_seen (model, lobby);
  g_assert_cmpuint (lobby_ids->len, ==, 0);
  g_assert_cmpuint (cz_conversation_get_unread (lobby), ==, 0);
}

static GPtrArray *
history_of (GVariant **items, guint n)
{
  /* A history page, decoded entry by entry as the engine does. */
  GPtrArray *page = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_client_message_free);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      CzClientMessage *message = cz_client_message_new_from_fields (items[i], &error);

      g_assert_no_error (error);
      g_ptr_array_add (page, message);
    }
  return page;
}

static void
test_history (void)
{
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  CzConversation *bob;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GVariant) own = NULL;
  GVariant *items[3];
  GVariantDict d;
  gint64 now = g_get_real_time () / 1000;
  g_autoptr(CzChatMessage) first = NULL;

  cz_chat_model_set_me (model, "alice");
  add (model, direct_fields (50, now, "bob", "alice", "live", FALSE));
  bob = cz_chat_model_lookup (model, "bob");
  g_assert_cmpuint (cz_conversation_get_unread (bob), ==, 1);

  g_variant_dict_init (&d, direct_fields (40, now, "alice", "bob", "older mine", FALSE));
  g_variant_dict_insert (&d, "delivered", "b", TRUE);
  g_variant_dict_insert (&d, "read", "b", TRUE);
  own = g_variant_ref_sink (g_variant_dict_end (&d));
  items[0] = own;
  items[1] = direct_fields (45, now, "bob", "alice", "older his", FALSE);
  items[2] = direct_fields (50, now, "bob", "alice", "live", FALSE);   /* known */
  page = history_of (items, 3);
  g_variant_unref (items[1]);
  g_variant_unref (items[2]);

  cz_conversation_set_history_loading (bob, TRUE);
  g_assert_cmpuint (cz_chat_model_add_history (model, "bob", page, 50), ==, 2);
  g_assert_false (cz_conversation_get_history_loading (bob));
  g_assert_true (cz_conversation_get_history_complete (bob));   /* 3 < 50 */
  g_assert_cmpuint (n_messages (bob), ==, 3);
  g_assert_cmpint (cz_conversation_get_oldest_id (bob), ==, 40);
  first = g_list_model_get_item (cz_conversation_get_messages (bob), 0);
  g_assert_cmpint (cz_chat_message_get_state (first), ==, CZ_MESSAGE_STATE_READ);
  /* History does not count as unread. */
  g_assert_cmpuint (cz_conversation_get_unread (bob), ==, 1);
  /* A full page means there may be more. */
  {
    g_autoptr(CzChatModel) m2 = cz_chat_model_new ();
    cz_chat_model_set_me (m2, "alice");
    cz_chat_model_add_history (m2, "bob", page, 3);
    g_assert_false (cz_conversation_get_history_complete (cz_chat_model_lookup (m2, "bob")));
  }
}

static void
test_outbox_presence (void)
{
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  g_autoptr(GPtrArray) outbox = NULL;
  g_autoptr(GPtrArray) after = NULL;
  const char *users[] = { "bob", "carol", "alice", NULL };
  CzChatMessage *a, *b, *c;
  g_autofree char *c_txn = NULL;

  cz_chat_model_set_me (model, "alice");
  a = cz_chat_model_add_outgoing (model, CZ_LOBBY, "a");
  b = cz_chat_model_add_outgoing (model, "bob", "b");
  c = cz_chat_model_add_outgoing (model, CZ_LOBBY, "c");
  /* Each own message has its own transaction id, short enough to send. */
  g_assert_nonnull (cz_chat_message_get_txn (c));
  g_assert_cmpuint (strlen (cz_chat_message_get_txn (c)), <=, CZ_TXN_MAX);
  g_assert_cmpstr (cz_chat_message_get_txn (a), !=, cz_chat_message_get_txn (b));
  g_assert_cmpstr (cz_chat_message_get_txn (b), !=, cz_chat_message_get_txn (c));
  c_txn = g_strdup (cz_chat_message_get_txn (c));
  cz_chat_model_set_ref (model, c, 3);
  outbox = cz_chat_model_get_outbox (model);
  g_assert_cmpuint (outbox->len, ==, 2);
  g_assert_true (outbox->pdata[0] == a);
  g_assert_true (outbox->pdata[1] == b);
  /* A drop: sent but unacknowledged messages wait to be sent again. */
  cz_chat_model_forget_refs (model);
  after = cz_chat_model_get_outbox (model);
  g_assert_cmpuint (after->len, ==, 3);
  /* ...with the same txn, so that the server stores them once. */
  g_assert_cmpstr (cz_chat_message_get_txn (c), ==, c_txn);
  g_assert_null (cz_chat_model_ack (model, 3, 5, 0));

  cz_chat_model_set_who (model, users);
  g_assert_true (cz_conversation_get_online (cz_chat_model_lookup (model, "bob")));
  g_assert_true (cz_conversation_get_online (cz_chat_model_lookup (model, "carol")));
  g_assert_null (cz_chat_model_lookup (model, "alice"));   /* not a conversation with oneself */
  cz_chat_model_set_presence (model, "bob", FALSE);
  g_assert_false (cz_conversation_get_online (cz_chat_model_lookup (model, "bob")));
  cz_chat_model_set_presence (model, "dave", TRUE);
  g_assert_true (cz_conversation_get_online (cz_chat_model_lookup (model, "dave")));
  cz_chat_model_set_all_offline (model);
  g_assert_false (cz_conversation_get_online (cz_chat_model_lookup (model, "dave")));

  cz_chat_model_clear (model);
  g_assert_cmpuint (g_list_model_get_n_items (cz_chat_model_get_conversations (model)), ==, 1);
  g_assert_cmpuint (n_messages (cz_chat_model_lookup (model, CZ_LOBBY)), ==, 0);
}

/* The states are enum properties: bindings and GtkBuilder see their names. */
static void
test_state_properties (void)
{
  g_autoptr(GTypeClass) msg_class = g_type_class_ref (CZ_TYPE_CHAT_MESSAGE);
  g_autoptr(GTypeClass) session_class = g_type_class_ref (CZ_TYPE_CLIENT_SESSION);
  GParamSpec *msg_state = g_object_class_find_property (G_OBJECT_CLASS (msg_class), "state");
  GParamSpec *session_state = g_object_class_find_property (G_OBJECT_CLASS (session_class), "state");
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  g_autoptr(CzClientSession) session = cz_client_session_new (model);
  CzChatMessage *msg;
  CzMessageState state = CZ_MESSAGE_STATE_NONE;
  CzSessionState sstate = CZ_SESSION_ONLINE;

  g_assert_true (G_IS_PARAM_SPEC_ENUM (msg_state));
  g_assert_cmpuint (G_PARAM_SPEC_VALUE_TYPE (msg_state), ==, CZ_TYPE_MESSAGE_STATE);
  g_assert_true (G_IS_PARAM_SPEC_ENUM (session_state));
  g_assert_cmpuint (G_PARAM_SPEC_VALUE_TYPE (session_state), ==, CZ_TYPE_SESSION_STATE);

  cz_chat_model_set_me (model, "alice");
  msg = cz_chat_model_add_outgoing (model, CZ_LOBBY, "hi");
  g_object_get (msg, "state", &state, NULL);
  g_assert_cmpint (state, ==, CZ_MESSAGE_STATE_SENDING);
  g_object_get (session, "state", &sstate, NULL);
  g_assert_cmpint (sstate, ==, CZ_SESSION_IDLE);
}

static void
test_describe_error (void)
{
  g_autofree char *t1 = NULL, *d1 = NULL, *t2 = NULL, *d2 = NULL, *t3 = NULL, *d3 = NULL;

  cz_client_session_describe_error (CZ_ERROR_THROTTLED, "x", 30, &t1, &d1);
  g_assert_cmpstr (t1, ==, "Too many failed attempts");
  g_assert_cmpstr (d1, ==, "Try again in 30 seconds.");
  cz_client_session_describe_error (CZ_ERROR_KEY_CHANGED, "the key is new", 0, &t2, &d2);
  g_assert_cmpstr (t2, ==, "Warning: the server’s key has changed");
  g_assert_nonnull (strstr (d2, "the key is new"));
  g_assert_nonnull (strstr (d2, "did not connect"));
  cz_client_session_describe_error (CZ_ERROR_AUTH_FAILED, "auth", 0, &t3, &d3);
  g_assert_cmpstr (t3, ==, "Wrong user name or password");
}

/* ---- Session against the real server ----------------------------------------------- */

typedef struct {
  char *title;
  char *fingerprint;
  gboolean accept;
} Watch;

static void
failed_cb (CzClientSession *session, const char *title, const char *detail, Watch *w)
{
  g_free (w->title);
  w->title = g_strdup (title);
}

static void
trust_cb (CzClientSession *session, const char *fingerprint, Watch *w)
{
  g_free (w->fingerprint);
  w->fingerprint = g_strdup (fingerprint);
  cz_client_session_trust (session, w->accept);
}

static gboolean
wait_state (CzClientSession *session, CzSessionState state, Watch *w, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (cz_client_session_get_state (session) != state && g_get_monotonic_time () < end)
    {
      if (w && w->title && state != CZ_SESSION_IDLE)
        return FALSE;
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
  return cz_client_session_get_state (session) == state;
}

static gboolean
wait_msg_state (CzChatMessage *msg, CzMessageState state, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (cz_chat_message_get_state (msg) != state && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  return cz_chat_message_get_state (msg) == state;
}

static CzClientSession *
new_session (CzChatModel *model, Watch *w)
{
  CzClientSession *s = cz_client_session_new (model);
  g_signal_connect (s, "failed", G_CALLBACK (failed_cb), w);
  g_signal_connect (s, "trust-prompt", G_CALLBACK (trust_cb), w);
  return s;
}

static void
test_session (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *port_arg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  g_autoptr(CzClientSession) session = NULL;
  CzTestServer *server;
  CzChatMessage *hello, *typed;
  Watch w = { 0 };
  CzSessionParams params = { .host = "127.0.0.1", .trust = CZ_TRUST_CA, .user = "alice",
                             .password = "secret", .create_account = TRUE };
  guint16 port;

  if (cz_test_server_bin () == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN not set");
      return;
    }
  dir = cz_test_make_pki ();
  ca = g_build_filename (dir, "ca.pem", NULL);
  server = cz_test_server_start (dir, NULL, &error);
  g_assert_no_error (error);
  port = server->port;
  params.port = port;
  params.ca_file = ca;

  /* Create the account, log in, send. */
  session = new_session (model, &w);
  cz_client_session_start (session, &params);
  g_assert_true (wait_state (session, CZ_SESSION_ONLINE, &w, 15000));
  g_assert_nonnull (cz_client_session_get_info (session));
  g_assert_nonnull (cz_client_session_get_info (session)->code);
  hello = cz_client_session_send (session, CZ_LOBBY, "hello");
  g_assert_true (wait_msg_state (hello, CZ_MESSAGE_STATE_STORED, 10000));
  g_assert_cmpint (cz_chat_message_get_id (hello), >, 0);

  /* The server goes away: the session waits and retries by itself; a
   * message typed meanwhile is sent after the new login. */
  g_assert_cmpint (cz_test_server_stop (server), ==, 0);
  cz_test_server_free (server);
  g_assert_true (wait_state (session, CZ_SESSION_RECONNECTING, &w, 10000));
  typed = cz_client_session_send (session, CZ_LOBBY, "typed while away");
  g_assert_cmpint (cz_chat_message_get_state (typed), ==, CZ_MESSAGE_STATE_SENDING);
  port_arg = g_strdup_printf ("%u", port);
  server = cz_test_server_start (dir, (const char *const[]) { "--port", port_arg, NULL }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (server->port, ==, port);
  g_assert_true (wait_state (session, CZ_SESSION_ONLINE, &w, 40000));
  g_assert_true (wait_msg_state (typed, CZ_MESSAGE_STATE_STORED, 10000));
  g_assert_cmpint (cz_chat_message_get_id (typed), >, cz_chat_message_get_id (hello));
  /* The lobby kept one copy of each after the history reload. */
  g_assert_cmpuint (n_messages (cz_chat_model_lookup (model, CZ_LOBBY)), ==, 2);
  g_assert_null (w.title);

  /* A wrong password is said in words, and the session stops. */
  cz_client_session_logout (session);
  g_assert_cmpint (cz_client_session_get_state (session), ==, CZ_SESSION_IDLE);
  params.create_account = FALSE;
  params.password = "wrong";
  cz_client_session_start (session, &params);
  g_assert_true (wait_state (session, CZ_SESSION_IDLE, NULL, 15000));
  g_assert_cmpstr (w.title, ==, "Wrong user name or password");

  /* Connection refused. */
  g_clear_pointer (&w.title, g_free);
  cz_test_server_stop (server);
  cz_test_server_free (server);
  params.password = "secret";
  cz_client_session_start (session, &params);
  g_assert_true (wait_state (session, CZ_SESSION_IDLE, NULL, 15000));
  g_assert_cmpstr (w.title, ==, "Could not connect to the server");

  g_clear_pointer (&w.title, g_free);
  g_clear_object (&session);
  cz_test_rmdir (dir);
}

static void
test_session_tofu (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *dir2 = NULL;
  g_autofree char *known = NULL;
  g_autofree char *port_arg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CzChatModel) model = cz_chat_model_new ();
  g_autoptr(CzClientSession) session = NULL;
  CzTestServer *server;
  Watch w = { 0 };
  CzSessionParams params = { .host = "127.0.0.1", .trust = CZ_TRUST_TOFU, .user = "bob",
                             .password = "pw", .create_account = TRUE };

  if (cz_test_server_bin () == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN not set");
      return;
    }
  dir = cz_test_make_pki ();
  known = g_build_filename (dir, "known-servers", NULL);
  params.known_servers = known;
  server = cz_test_server_start (dir, NULL, &error);
  g_assert_no_error (error);
  params.port = server->port;
  session = new_session (model, &w);

  /* Refusing the unknown key: back to the form, nothing stored. */
  w.accept = FALSE;
  cz_client_session_start (session, &params);
  g_assert_true (wait_state (session, CZ_SESSION_IDLE, NULL, 15000));
  g_assert_nonnull (w.fingerprint);
  g_assert_false (g_file_test (known, G_FILE_TEST_EXISTS));

  /* Accepting it: connected, and the key is pinned. */
  g_clear_pointer (&w.fingerprint, g_free);
  w.accept = TRUE;
  cz_client_session_start (session, &params);
  g_assert_true (wait_state (session, CZ_SESSION_ONLINE, &w, 15000));
  g_assert_nonnull (w.fingerprint);
  g_assert_cmpstr (cz_client_session_get_fingerprint (session), ==, w.fingerprint);
  g_assert_true (g_file_test (known, G_FILE_TEST_EXISTS));
  cz_client_session_logout (session);

  /* Another key on the same address: a clear warning, no connection. */
  cz_test_server_stop (server);
  cz_test_server_free (server);
  dir2 = cz_test_make_pki ();
  port_arg = g_strdup_printf ("%u", params.port);
  server = cz_test_server_start (dir2, (const char *const[]) { "--port", port_arg, NULL }, &error);
  g_assert_no_error (error);
  g_clear_pointer (&w.fingerprint, g_free);
  params.create_account = FALSE;
  cz_client_session_start (session, &params);
  g_assert_true (wait_state (session, CZ_SESSION_IDLE, NULL, 15000));
  g_assert_cmpstr (w.title, ==, "Warning: the server’s key has changed");
  g_assert_null (w.fingerprint);   /* never asked */

  cz_test_server_stop (server);
  cz_test_server_free (server);
  g_free (w.title);
  g_clear_object (&session);
  cz_test_rmdir (dir);
  cz_test_rmdir (dir2);
}

int
main (int argc, char **argv)
{
  g_setenv ("LC_ALL", "C", TRUE);   /* the English strings and day names */
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client-model/order", test_order);
  g_test_add_func ("/client-model/routing", test_routing);
  g_test_add_func ("/client-model/day-separators", test_day_separators);
  g_test_add_func ("/client-model/own-states", test_own_states);
  g_test_add_func ("/client-model/retry-discard", test_retry_discard);
  g_test_add_func ("/client-model/unread", test_unread);
  g_test_add_func ("/client-model/history", test_history);
  g_test_add_func ("/client-model/outbox-presence", test_outbox_presence);
  g_test_add_func ("/client-model/describe-error", test_describe_error);
  g_test_add_func ("/client-model/state-properties", test_state_properties);
  g_test_add_func ("/client-session/login-reconnect-errors", test_session);
  g_test_add_func ("/client-session/trust-on-first-use", test_session_tofu);
  return g_test_run ();
}
