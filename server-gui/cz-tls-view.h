/* cz-tls-view.h: the "TLS session" pane: protocol, cipher, key exchange,
 * signature, ALPN, the server and client certificates of one connection. */
#pragma once

#include <gtk/gtk.h>
#include "cz-session-info.h"

G_BEGIN_DECLS

#define CZ_TYPE_TLS_VIEW (cz_tls_view_get_type ())
G_DECLARE_FINAL_TYPE (CzTlsView, cz_tls_view, CZ, TLS_VIEW, GtkStack)

GtkWidget *cz_tls_view_new (void);
/* Shows @info (may be NULL: the handshake is not finished, or no client is
 * selected when @address is NULL too).  @user may be NULL (not logged in). */
void cz_tls_view_set_client (CzTlsView *self, const char *address, CzSessionInfo *info,
                             const char *user, gboolean connected);

G_END_DECLS
