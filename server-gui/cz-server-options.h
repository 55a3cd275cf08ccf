/* cz-server-options.h: causerie-server's options (DESIGN §4): the struct
 * they are parsed into, their GOptionGroup, and the checks that turn them
 * into an engine configuration.  The dispatch (cz-server-main.c),
 * --headless and the window's application all read this one struct. */
#pragma once

#include <glib.h>
#include "cz-server.h"

G_BEGIN_DECLS

typedef struct {
  gboolean headless;
  gboolean log_messages;     /* --headless: log every message with its text */
  gboolean demo;             /* window: demo CA and certificate, 127.0.0.1:7443 */
  char *add_user;
  char *migrate_db;          /* --migrate-db FROM (TO follows it) */
  char *bind;
  int port;                  /* -1 = not given */
  char *cert;
  char *key;
  char *db;
  char *dh_group;
  char *client_ca;
  gboolean require_client_cert;
  gboolean request_client_cert;
  gboolean no_registration;
  int scram_iterations;
  int max_clients;
  int max_per_address;       /* -1 = default, 0 = no cap */
  int presence_grace_ms;     /* 0 = default */
} CzServerOptions;

void cz_server_options_clear (CzServerOptions *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CzServerOptions, cz_server_options_clear)

/* The option entries, writing into @options (which must outlive the
 * group), for a GOptionContext or a GApplication.  Sets @options->port to
 * -1 (not given). */
GOptionGroup *cz_server_options_group (CzServerOptions *options);

/* Turns parsed options into an engine configuration (strings borrowed from
 * @options).  FALSE with a clear error for bad values. */
gboolean cz_server_options_to_config (const CzServerOptions *options, CzServerConfig *config,
                                      GError **error);

G_END_DECLS
