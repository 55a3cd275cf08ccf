/* cz-client-private.h: what the client engine's files share. */
#pragma once

#include "cz-client.h"
#include "cz-channel.h"
#include "cz-tls-client.h"
#include "cz-error.h"
#include "cz-known-servers.h"
#include "cz-scram.h"

G_BEGIN_DECLS

struct _CzClient {
  GObject parent_instance;

  char *host;
  guint16 port;
  char *name;
  guint timeout_ms;
  CzTlsClientConfig *tls;
  GCancellable *cancellable;
  GSocketConnection *connection;
  CzChannel *channel;
  GSource *source;
  GIOCondition source_cond;
  guint timeout_id;
  guint received_id;          /* idle that sends `received` */
  GArray *received;           /* ids to acknowledge as delivered */

  guint32 next_ref;
  GHashTable *pending;        /* ref → kind (static string) */
  gboolean connected;
  gboolean closing;
  gboolean disconnected;
  char *user;

  /* registration */
  guint32 reg_ref;
  char *reg_user;
  char *reg_password;
  /* login */
  guint32 auth_ref;
  char *auth_user;
  CzScramClient *scram;
  guint8 auth_check[32];      /* password_check() of the login under way */
  char *bye_reason;           /* from the server's bye */
};

/* cz-client.c */
/* The `error` signal for a failure raised on this side. */
void cz_client_emit_error (CzClient *self, guint32 ref, const GError *error);
void cz_client_emit_error_literal (CzClient *self, guint32 ref, CzErrorCode code, const char *text);
void cz_client_emit_logged_in (CzClient *self, guint32 ref, const char *user,
                               const char *server_final);
/* Sends @msg (floating or owned: taken) now. */
void cz_client_send_msg (CzClient *self, GVariant *msg);
/* A new ref for a request of @kind (0 and an error event if not connected). */
guint32 cz_client_start_request (CzClient *self, const char *kind);
void cz_client_end_request (CzClient *self, guint32 ref);

/* cz-client-accounts.c: registration, SCRAM login, the salted-password cache */
void cz_client_on_register_params (CzClient *self, GVariant *msg, guint32 ref);
void cz_client_on_auth_challenge (CzClient *self, GVariant *msg, guint32 ref);
void cz_client_on_auth_ok (CzClient *self, GVariant *msg, guint32 ref);

/* cz-client-accounts.c: what ties a cached salted password to the password
 * typed (32 bytes). */
void cz_client_password_check (const char *password, guint8 out[32]);

G_END_DECLS
