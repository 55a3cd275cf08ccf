/* pg-cluster.h: a throw-away PostgreSQL cluster for the tests (DESIGN §3):
 * initdb and pg_ctl in a temporary folder, run as an unprivileged user
 * when the tests run as root (nobody, through setpriv), listening on a
 * Unix socket in that folder only.  A watchdog process stops it and
 * removes the folder when the test process ends, however it ends. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CzPgCluster CzPgCluster;

/* The folder of PostgreSQL's server programs ($CZ_PG_BINDIR, or the
 * newest /usr/lib/postgresql/N/bin), or NULL when it is not installed
 * (the tests then skip). */
const char *cz_pg_bindir (void);
/* Starts a cluster (bounded waits; asserts it started).  NULL only when
 * PostgreSQL is not installed. */
CzPgCluster *cz_pg_cluster_start (void);
/* A new empty database in @cluster: its libpq URI. */
char *cz_pg_cluster_new_db (CzPgCluster *cluster);
/* Runs one SQL statement on @uri's database; the first column of the
 * first row as text ("" for none).  Asserts it ran. */
char *cz_pg_query (const char *uri, const char *sql);
/* Stops the server (fast shutdown, as an administrator would) and starts
 * it again, same data. */
void cz_pg_cluster_stop_server (CzPgCluster *cluster);
void cz_pg_cluster_start_server (CzPgCluster *cluster);
/* Stops it and removes its folder. */
void cz_pg_cluster_free (CzPgCluster *cluster);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzPgCluster, cz_pg_cluster_free)

G_END_DECLS
