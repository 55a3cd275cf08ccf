/* cz-client-window.h: the client's main window: the connect form, then the
 * chat, over one CzClientSession. */
#pragma once

#include <gtk/gtk.h>
#include "cz-chat-model.h"
#include "cz-chat-view.h"
#include "cz-client-session.h"
#include "cz-connect-view.h"

G_BEGIN_DECLS

/* The window's GResource (client-gui/causerie-client.gresource.xml).  Calling
 * it links the resources in, which registers them. */
GResource *causerie_client_get_resource (void);

#define CZ_TYPE_CLIENT_WINDOW (cz_client_window_get_type ())
G_DECLARE_FINAL_TYPE (CzClientWindow, cz_client_window, CZ, CLIENT_WINDOW, GtkApplicationWindow)

/* @app may be NULL (tests). */
CzClientWindow *cz_client_window_new (GtkApplication *app);
/* Prefills the connect form (NULL / 0 leave a field as it is). */
void cz_client_window_prefill (CzClientWindow *window, const char *host, guint16 port,
                               const char *ca_file);
/* The same for the connect form's client certificate and key. */
void cz_client_window_prefill_client_cert (CzClientWindow *window, const char *cert_file,
                                           const char *key_file);
/* Shows @key's conversation (a notification was clicked). */
void cz_client_window_show_conversation (CzClientWindow *window, const char *key);

CzClientSession *cz_client_window_get_session (CzClientWindow *window);
CzChatModel *cz_client_window_get_model (CzClientWindow *window);
CzConnectView *cz_client_window_get_connect_view (CzClientWindow *window);
CzChatView *cz_client_window_get_chat_view (CzClientWindow *window);
/* Notifications sent so far (tests). */
guint cz_client_window_get_notification_count (CzClientWindow *window);

G_END_DECLS
