/* cz-client-events.h: what the client engine's typed signals carry.
 *
 * The engine decodes every kind it receives once, checks it, and hands its
 * consumers (the window, the terminal mode and its --json writer) these
 * typed values; none of them reads a wire field name.  Each type here is a
 * GBoxed (or a GEnum) so it can travel as a signal argument. */
#pragma once

#include <glib-object.h>
#include "cz-session-info.h"
#include "cz-error.h"

G_BEGIN_DECLS

/* A `receipt`'s state (DESIGN §2.1: "delivered" | "read"). */
typedef enum {
  CZ_RECEIPT_DELIVERED,
  CZ_RECEIPT_READ,
} CzReceiptState;

#define CZ_TYPE_RECEIPT_STATE (cz_receipt_state_get_type ())
GType cz_receipt_state_get_type (void);

/* "delivered" or "read". */
const char *cz_receipt_state_to_string (CzReceiptState state);
/* The inverse: FALSE for any other string (or NULL). */
gboolean cz_receipt_state_from_string (const char *string, CzReceiptState *state);

/* One chat message: a `message` event, or an entry of a `history` page. */
typedef struct {
  gint64 id;                   /* the server's id, > 0 */
  char *from;
  char *to;                    /* a direct message: its recipient; else NULL */
  char *room;                  /* a lobby message: "lobby"; else NULL */
  gint64 ts;                   /* Unix ms */
  char *text;
  gboolean offline;            /* kept for the recipient while it was away */
  /* History entries of direct messages say how far they got. */
  gboolean has_receipts;       /* TRUE when the two below were sent */
  gboolean delivered;
  gboolean read;
} CzClientMessage;

#define CZ_TYPE_CLIENT_MESSAGE (cz_client_message_get_type ())
GType cz_client_message_get_type (void);

CzClientMessage *cz_client_message_copy (const CzClientMessage *msg);
void cz_client_message_free (CzClientMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzClientMessage, cz_client_message_free)

/* Decodes the fields (a{sv}) of a `message`, or of a `history` entry:
 * `id` x > 0, `from` s, `ts` x, `text` s, and `to` s or `room` s are
 * required; `offline`, `delivered` and `read` (b) are optional.  NULL
 * with CZ_ERROR_BAD_FRAME otherwise. */
CzClientMessage *cz_client_message_new_from_fields (GVariant *fields, GError **error);

/* An `error`, from the server or raised on this side (then `local`). */
typedef struct {
  guint32 ref;                 /* the request it answers, 0 if none */
  CzErrorCode code;            /* the code, as this side knows it */
  char *code_name;             /* the wire code ("no-such-user"); NULL if the server sent none */
  char *message;               /* NULL if the server sent none */
  guint retry_after;           /* seconds, for "throttled"; 0 if not given */
  gboolean local;
} CzClientError;

#define CZ_TYPE_CLIENT_ERROR (cz_client_error_get_type ())
GType cz_client_error_get_type (void);

CzClientError *cz_client_error_copy (const CzClientError *error);
void cz_client_error_free (CzClientError *error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzClientError, cz_client_error_free)

G_END_DECLS
