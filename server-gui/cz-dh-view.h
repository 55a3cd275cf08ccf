/* cz-dh-view.h: the "Diffie-Hellman" pane: group, prime, generator, the
 * server's private value behind a reveal toggle, both public values and the
 * verification code, all selectable in a monospace font. */
#pragma once

#include <gtk/gtk.h>
#include "cz-session-info.h"

G_BEGIN_DECLS

#define CZ_TYPE_DH_VIEW (cz_dh_view_get_type ())
G_DECLARE_FINAL_TYPE (CzDhView, cz_dh_view, CZ, DH_VIEW, GtkStack)

GtkWidget *cz_dh_view_new (void);
/* Shows the values of @info (NULL: none yet, or no client selected when
 * @address is NULL too).  A new client hides the private value again. */
void cz_dh_view_set_client (CzDhView *self, const char *address, CzSessionInfo *info,
                            gboolean connected);
/* Whether the private value is shown. */
void cz_dh_view_set_reveal (CzDhView *self, gboolean reveal);
gboolean cz_dh_view_get_reveal (CzDhView *self);

G_END_DECLS
