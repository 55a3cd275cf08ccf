/* cz-ui-util.h: small widget helpers shared by the server window's views:
 * caption/value rows for the details panes, hex layout, file choosers,
 * enum properties bound to combo boxes. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Makes sure the program's GResource (templates, CSS) is linked in and
 * registered; every widget class calls it before loading its template. */
void cz_ui_ensure_resources (void);

/* Adds a row to @grid: a dim caption and a selectable, wrapping value
 * label (monospace if @monospace), labelled-by the caption for assistive
 * technologies.  Returns the value label (owned by the grid). */
GtkLabel *cz_ui_grid_add_row (GtkGrid *grid, int row, const char *caption, gboolean monospace);
/* Adds a bold section heading spanning both columns. */
void cz_ui_grid_add_heading (GtkGrid *grid, int row, const char *heading);
/* Sets a value label; NULL or "" shows an em dash. */
void cz_ui_set_value (GtkLabel *label, const char *value);

/* Lower-case hex grouped by 4 digits ("7fff ffff ..."), eight groups
 * (16 bytes) a line, so long values wrap at group boundaries.  Whitespace
 * and ':' in @hex are dropped. */
char *cz_ui_group_hex (const char *hex);
/* Makes @label wrap long values without inserting hyphens that are not
 * part of them (Pango's insert-hyphens off). */
void cz_ui_label_no_hyphens (GtkLabel *label);

/* Plain names for what GnuTLS calls things: "TLS1.3" → "TLS 1.3";
 * "SECP256R1" → "P-256", "X25519" stays; "FFDHE2048" → "FFDHE 2048".
 * Unknown names come back as they are. */
char *cz_ui_protocol_name (const char *protocol);
char *cz_ui_group_name (const char *group);
/* A date the locale's way, e.g. "7 Dec 2027" (never ISO 8601); from Unix
 * seconds, or from an ISO 8601 string (NULL in, "—" out). */
char *cz_ui_format_date (gint64 unix_seconds);
char *cz_ui_format_iso_date (const char *iso8601);

/* Runs a file chooser starting at @current (open, save or folder) and
 * calls @func with the chosen path, or NULL if cancelled.  Non-modal on
 * the event loop (GtkFileChooserNative). */
typedef void (*CzUiPathFunc) (const char *path, gpointer data);
void cz_ui_choose_path (GtkWidget *parent, const char *current, const char *title,
                        GtkFileChooserAction action, CzUiPathFunc func, gpointer data);
/* Runs a file chooser for @entry (open, save or folder) and puts the chosen
 * path in it.  Non-modal on the event loop (GtkFileChooserNative). */
void cz_ui_choose_file (GtkWidget *parent, GtkEntry *entry, const char *title,
                        GtkFileChooserAction action);

/* Binds @object's enum @property both ways to @combo's "active-id", the
 * combo's ids being the enum's nicks (as they are on the command line). */
GBinding *cz_ui_bind_enum_to_combo (gpointer object, const char *property, GtkComboBox *combo);

/* Sets the accessible name of @widget. */
void cz_ui_set_accessible_name (GtkWidget *widget, const char *name);

/* "14:02:11" (today) or "24 Nov 2026 14:02" from Unix milliseconds, local time. */
char *cz_ui_format_time (gint64 unix_ms);

G_END_DECLS
