/* cz-connect-view.h: the connect form (server, trust, account). */
#pragma once

#include <gtk/gtk.h>
#include "cz-tls-options.h"

G_BEGIN_DECLS

#define CZ_TYPE_CONNECT_VIEW (cz_connect_view_get_type ())
G_DECLARE_FINAL_TYPE (CzConnectView, cz_connect_view, CZ, CONNECT_VIEW, GtkScrolledWindow)

GtkWidget *cz_connect_view_new (void);

/* Prefill (NULL / 0 leaves a field alone). */
void cz_connect_view_set_server (CzConnectView *view, const char *host, guint16 port);
void cz_connect_view_set_trust (CzConnectView *view, CzTrustMode trust, const char *ca_file);
void cz_connect_view_set_user (CzConnectView *view, const char *user);
/* The client certificate and its key (NULL or "" clears a chooser); the
 * "Use a client certificate" section is unfolded when either is set. */
void cz_connect_view_set_client_cert (CzConnectView *view, const char *cert_file,
                                      const char *key_file);
/* "host:port" entries, newest first, offered in the server drop-down. */
void cz_connect_view_set_recent (CzConnectView *view, const char *const *servers);

/* What was typed (NULL when empty). */
char *cz_connect_view_get_host (CzConnectView *view);
guint16 cz_connect_view_get_port (CzConnectView *view);
CzTrustMode cz_connect_view_get_trust (CzConnectView *view);
char *cz_connect_view_get_ca_file (CzConnectView *view);
/* The client certificate and key files; NULL when not chosen or when the
 * "Use a client certificate" section is folded away. */
char *cz_connect_view_get_cert_file (CzConnectView *view);
char *cz_connect_view_get_key_file (CzConnectView *view);
const char *cz_connect_view_get_user (CzConnectView *view);
const char *cz_connect_view_get_password (CzConnectView *view);
void cz_connect_view_clear_password (CzConnectView *view);

/* Busy: the form is locked and @status shows next to a spinner and Cancel. */
void cz_connect_view_set_busy (CzConnectView *view, gboolean busy, const char *status);
void cz_connect_view_show_error (CzConnectView *view, const char *title, const char *detail);
void cz_connect_view_clear_error (CzConnectView *view);
/* Puts the keyboard focus where typing should start. */
void cz_connect_view_focus (CzConnectView *view);

G_END_DECLS
